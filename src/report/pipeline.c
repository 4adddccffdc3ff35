// SPDX-License-Identifier: MIT
/*
 * pipeline.c - the bottleneck of a pipeline of processes, and its pipes
 * (see pipeline.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipetrace_abi.h"
#include "report/pipeline.h"
#include "report/report.h"

/* Processes within this share of the span are as busy as each other. */
#define TIE_PCT 2.0

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

uint64_t pt_pl_busy(const struct pt_pl_node *n)
{
	uint64_t idle;

	if (!n->traced)
		return n->cpu_known && n->oncpu_ns < n->span_ns ? n->oncpu_ns :
		       n->cpu_known				? n->span_ns :
								  0;
	if (n->nthreads > 1) /* its busiest thread's */
		return n->thread_busy_ns < n->span_ns ? n->thread_busy_ns :
							n->span_ns;
	/* all of its run-queue time when schedstat gave it, else the part
	 * right after its pipe waits */
	idle = n->wait_ns[0] + n->wait_ns[1] +
	       (n->cpu_known ? n->runq_ns :
			       n->wait_runq_ns[0] + n->wait_runq_ns[1]) +
	       (n->other_known ? n->other_ns : 0);
	return idle < n->span_ns ? n->span_ns - idle : 0;
}

static bool has_edge(const struct pt_pipeline *pl, pid_t pid)
{
	for (size_t i = 0; i < pl->nedges; i++)
		if (pl->edges[i].writer == pid || pl->edges[i].reader == pid)
			return true;
	return false;
}

/* Whether a traced process spent most of its span blocked on neither its
 * pipes, I/O, a lock, a sleep nor a CPU: a shell in wait4 for its
 * children, a process in pause(). It does none of the pipeline's work. */
static bool only_waits(const struct pt_pl_node *n)
{
	return n->traced && n->other_known && n->other_ns > n->span_ns / 2;
}

/* Whether node i takes part: known busy time, a pipe if any has, and not
 * only waiting (never the bottleneck, even beside idle processes). */
static bool takes_part(const struct pt_pipeline *pl, size_t i)
{
	const struct pt_pl_node *n = &pl->nodes[i];

	if ((!n->traced && !n->cpu_known) || only_waits(n))
		return false;
	return !pl->nedges || has_edge(pl, n->pid);
}

int pt_pipeline__analyze(const struct pt_pipeline *pl, struct pt_pl_verdict *v)
{
	uint64_t b1 = 0, b2 = 0, span = 0, half, rest;
	long k = -1, k2 = -1;

	memset(v, 0, sizeof(*v));
	v->node = v->tie = -1;
	for (size_t i = 0; i < pl->nnodes; i++) {
		uint64_t b = pt_pl_busy(&pl->nodes[i]);

		if (!takes_part(pl, i))
			continue;
		if (pl->nodes[i].span_ns > span)
			span = pl->nodes[i].span_ns;
		if (k < 0 || b > b1) {
			b2 = b1;
			k2 = k;
			b1 = b;
			k = (long)i;
		} else if (k2 < 0 || b > b2) {
			b2 = b;
			k2 = (long)i;
		}
	}
	if (k < 0 || !b1)
		return -ENOENT;
	v->node = k;
	v->busy_pct = pct(b1, pl->nodes[k].span_ns);
	if (k2 >= 0 && pct(b1 - b2, pl->nodes[k].span_ns) <= TIE_PCT)
		v->tie = k2;
	half = b1 / 2;
	rest = k2 >= 0 && b2 > half ? b2 : half;
	v->saves_pct = pct(b1 - rest, span);
	return 0;
}

/* "name (pid N)" into buf. */
static const char *node_name(const struct pt_pipeline *pl, pid_t pid, char *buf,
			     size_t len)
{
	for (size_t i = 0; i < pl->nnodes; i++)
		if (pl->nodes[i].pid == pid && pl->nodes[i].name) {
			snprintf(buf, len, "%s (pid %d)", pl->nodes[i].name,
				 (int)pid);
			return buf;
		}
	snprintf(buf, len, "pid %d", (int)pid);
	return buf;
}

static const struct pt_pl_node *node_of(const struct pt_pipeline *pl, pid_t pid)
{
	for (size_t i = 0; i < pl->nnodes; i++)
		if (pl->nodes[i].pid == pid)
			return &pl->nodes[i];
	return NULL;
}

/* Appends to buf[*off..len) like snprintf. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

/* Evidence from edge e around bottleneck pid: the other side's wait. */
static void edge_evidence(const struct pt_pipeline *pl,
			  const struct pt_pl_edge *e, pid_t pid, char *buf,
			  size_t len, size_t *off)
{
	const struct pt_pl_node *w = node_of(pl, e->writer);
	const struct pt_pl_node *r = node_of(pl, e->reader);
	char nm[96];

	if (e->reader == pid && e->writer_known && w)
		append(buf, len, off, "; %s waits %.0f%% on a full %s into it",
		       node_name(pl, e->writer, nm, sizeof(nm)),
		       pct(e->writer_wait_ns, w->span_ns), e->kind);
	else if (e->writer == pid && e->reader_known && r)
		append(buf, len, off,
		       "; %s waits %.0f%% on an empty %s from it",
		       node_name(pl, e->reader, nm, sizeof(nm)),
		       pct(e->reader_wait_ns, r->span_ns), e->kind);
}

void pt_pipeline__line(const struct pt_pipeline *pl,
		       const struct pt_pl_verdict *v, const char *stage,
		       char *buf, size_t len)
{
	const struct pt_pl_node *n;
	char nm[96], nm2[96];
	size_t off = 0;

	buf[0] = 0;
	if (v->node < 0)
		return;
	n = &pl->nodes[v->node];
	node_name(pl, n->pid, nm, sizeof(nm));
	if (v->tie >= 0)
		append(buf, len, &off, "%s and %s are the bottleneck, as busy",
		       nm,
		       node_name(pl, pl->nodes[v->tie].pid, nm2, sizeof(nm2)));
	else
		append(buf, len, &off, "%s is the bottleneck", nm);
	append(buf, len, &off, ": busy %.0f%% of its %.2f s", v->busy_pct,
	       (double)n->span_ns / 1e9);
	if (n->nthreads > 1)
		append(buf, len, &off, " (its busiest of %u threads)",
		       n->nthreads);
	/* CPU time summed over threads: in CPUs, never a % above 100 */
	if (n->cpu_known && n->span_ns)
		append(buf, len, &off, ", on CPU %.2f s (%.2f CPUs)",
		       (double)n->oncpu_ns / 1e9,
		       (double)n->oncpu_ns / (double)n->span_ns);
	if (n->traced)
		append(buf, len, &off,
		       ", waits on its input %.0f%%, output %.0f%%",
		       pct(n->wait_ns[0], n->span_ns),
		       pct(n->wait_ns[1], n->span_ns));
	if (stage)
		append(buf, len, &off, "; its slowest stage %s", stage);
	for (size_t i = 0; i < pl->nedges; i++)
		edge_evidence(pl, &pl->edges[i], n->pid, buf, len, &off);
	append(buf, len, &off, "; 2x faster saves %.0f%%", v->saves_pct);
}

/* "12.3 MiB" */
static const char *fmt_size(char *buf, size_t len, uint64_t b)
{
	if (b < 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, len, "%.1f MiB", (double)b / (1024 * 1024));
	return buf;
}

void pt_pipeline__edge_line(const struct pt_pipeline *pl,
			    const struct pt_pl_edge *e, char *buf, size_t len)
{
	const struct pt_pl_node *w = node_of(pl, e->writer);
	const struct pt_pl_node *r = node_of(pl, e->reader);
	char a[96], b[96], sz[32];
	size_t off = 0;

	append(buf, len, &off, "%s -> %s: %s %llu",
	       node_name(pl, e->writer, a, sizeof(a)),
	       node_name(pl, e->reader, b, sizeof(b)), e->kind,
	       (unsigned long long)e->ino);
	if (e->rino != e->ino)
		append(buf, len, &off, "->%llu", (unsigned long long)e->rino);
	/* not counted (--syscalls light): "-", never 0 */
	append(buf, len, &off, ", %s%s", e->bytes_partial ? "at least " : "",
	       e->bytes_known ? fmt_size(sz, sizeof(sz), e->bytes) : "- B");
	if (e->writer_known && w)
		append(buf, len, &off, ", writer blocked %.0f%%",
		       pct(e->writer_wait_ns, w->span_ns));
	else
		append(buf, len, &off, ", writer not traced");
	if (e->reader_known && r)
		append(buf, len, &off, ", reader starved %.0f%%",
		       pct(e->reader_wait_ns, r->span_ns));
	else
		append(buf, len, &off, ", reader not traced");
}

/* --------------------------------------------------------------- sinks */

void pt_pipeline__free(struct pt_pipeline *pl)
{
	if (!pl)
		return;
	free(pl->nodes);
	free(pl->edges);
	free((void *)pl->stage_wait_ns);
	memset(pl, 0, sizeof(*pl));
}
