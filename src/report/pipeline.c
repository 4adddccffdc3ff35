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

#include <json.h>

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

/* Whether node i takes part: known busy time, and a pipe if any has. */
static bool takes_part(const struct pt_pipeline *pl, size_t i)
{
	const struct pt_pl_node *n = &pl->nodes[i];

	if (!n->traced && !n->cpu_known)
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
	append(buf, len, &off, ": busy %.0f%%", v->busy_pct);
	if (n->cpu_known)
		append(buf, len, &off, ", on CPU %.0f%%",
		       pct(n->oncpu_ns, n->span_ns));
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
	/* not counted (--syscalls light): "-", never 0 */
	append(buf, len, &off, ", %s",
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

/* The stage of traced process n with the most wall time there (several
 * processes), else the report's bottleneck stage; NULL if none. */
static const char *stage_of(const struct pt_report *r,
			    const struct pt_pl_node *n)
{
	const struct pt_snapshot *s = r->snap;
	const struct pt_proc_stage_row *best = NULL;

	if (!n->traced || r->bottleneck < 0)
		return NULL;
	if (!s->nprocs)
		return r->rows[r->bottleneck].stage->name;
	for (size_t i = 0; i < s->nproc_stages; i++) {
		const struct pt_proc_stage_row *p = &s->proc_stages[i];

		if ((pid_t)p->pid == n->pid && p->stage < r->n && p->calls &&
		    (!best || p->wall_ns > best->wall_ns))
			best = p;
	}
	return best ? r->rows[best->stage].stage->name : NULL;
}

/* Stage i's pipe waits (i == r->n: outside every stage), or NULL. */
static const uint64_t *stage_waits(const struct pt_report *r, size_t i)
{
	const struct pt_pipeline *pl = r->snap->pipeline;
	size_t k = i < r->n ? i : PT_MAX_STAGES;

	if (!pl->stage_wait_ns || k >= pl->nstage_wait)
		return NULL;
	return pl->stage_wait_ns[k];
}

/* The part of each stage's io that was a pipe wait, where there was one. */
static void print_stage_waits(FILE *f, const struct pt_report *r)
{
	char a[32], b[32], c[32];

	for (size_t i = 0; i <= r->n; i++) {
		const uint64_t *w = stage_waits(r, i);

		if (!w || !(w[0] | w[1]))
			continue;
		if (i < r->n)
			fprintf(f,
				"  %s: io %s, of it pipe_read %s, pipe_write %s\n",
				r->rows[i].stage->name,
				pt_fmt_ns(a, sizeof(a),
					  r->rows[i].part_ns[PT_PART_IO]),
				pt_fmt_ns(b, sizeof(b), w[0]),
				pt_fmt_ns(c, sizeof(c), w[1]));
		else
			fprintf(f,
				"  outside stages: pipe_read %s, pipe_write %s\n",
				pt_fmt_ns(b, sizeof(b), w[0]),
				pt_fmt_ns(c, sizeof(c), w[1]));
	}
}

void pt_pipeline__print(FILE *f, const struct pt_report *r)
{
	const struct pt_pipeline *pl = r->snap->pipeline;
	struct pt_pl_verdict v;
	char line[1024];

	if (!pl || !pl->nedges)
		return;
	fprintf(f, "\npipes:\n");
	for (size_t i = 0; i < pl->nedges; i++) {
		pt_pipeline__edge_line(pl, &pl->edges[i], line, sizeof(line));
		fprintf(f, "  %s\n", line);
	}
	if (pl->lost)
		fprintf(f, "  (%llu pipe waits not kept: map full)\n",
			(unsigned long long)pl->lost);
	print_stage_waits(f, r);
	if (pt_pipeline__analyze(pl, &v))
		return;
	pt_pipeline__line(pl, &v, stage_of(r, &pl->nodes[v.node]), line,
			  sizeof(line));
	fprintf(f, "pipeline: %s\n", line);
}

static json_object *ju(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static int jset(json_object *o, const char *k, json_object *v)
{
	return json_object_object_add(o, k, v);
}

static json_object *edge_json(const struct pt_pl_edge *e)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jset(o, "inode", ju(e->ino));
	ret |= jset(o, "kind", json_object_new_string(e->kind));
	ret |= jset(o, "writer_pid", ju((uint64_t)e->writer));
	ret |= jset(o, "reader_pid", ju((uint64_t)e->reader));
	ret |= jset(o, "bytes", e->bytes_known ? ju(e->bytes) : NULL);
	ret |= jset(o, "writer_blocked_ns",
		    e->writer_known ? ju(e->writer_wait_ns) : NULL);
	ret |= jset(o, "reader_starved_ns",
		    e->reader_known ? ju(e->reader_wait_ns) : NULL);
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *node_json(const struct pt_pl_node *n)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jset(o, "pid", ju((uint64_t)n->pid));
	ret |= jset(o, "command",
		    n->name ? json_object_new_string(n->name) : NULL);
	ret |= jset(o, "traced", json_object_new_boolean(n->traced));
	ret |= jset(o, "span_ns", ju(n->span_ns));
	ret |= jset(o, "on_cpu_ns", n->cpu_known ? ju(n->oncpu_ns) : NULL);
	ret |= jset(o, "runqueue_ns", n->cpu_known ? ju(n->runq_ns) : NULL);
	ret |= jset(o, "pipe_read_ns", n->traced ? ju(n->wait_ns[0]) : NULL);
	ret |= jset(o, "pipe_write_ns", n->traced ? ju(n->wait_ns[1]) : NULL);
	ret |= jset(o, "pipe_read_runqueue_ns",
		    n->traced ? ju(n->wait_runq_ns[0]) : NULL);
	ret |= jset(o, "pipe_write_runqueue_ns",
		    n->traced ? ju(n->wait_runq_ns[1]) : NULL);
	ret |= jset(o, "other_ns", n->other_known ? ju(n->other_ns) : NULL);
	ret |= jset(o, "busy_ns", ju(pt_pl_busy(n)));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *verdict_json(const struct pt_report *r,
				 const struct pt_pipeline *pl)
{
	struct pt_pl_verdict v;
	json_object *o;
	const char *stage;
	char line[1024];
	int ret = 0;

	if (pt_pipeline__analyze(pl, &v))
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	stage = stage_of(r, &pl->nodes[v.node]);
	pt_pipeline__line(pl, &v, stage, line, sizeof(line));
	ret |= jset(o, "pid", ju((uint64_t)pl->nodes[v.node].pid));
	ret |= jset(o, "tie_pid",
		    v.tie >= 0 ? ju((uint64_t)pl->nodes[v.tie].pid) : NULL);
	ret |= jset(o, "stage", stage ? json_object_new_string(stage) : NULL);
	ret |= jset(o, "busy_pct", json_object_new_double(v.busy_pct));
	ret |= jset(o, "speedup_2x_saves_pct",
		    json_object_new_double(v.saves_pct));
	ret |= jset(o, "reason", json_object_new_string(line));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* [{"stage": name or null (outside), "pipe_read_ns", "pipe_write_ns"}] */
static json_object *stage_waits_json(const struct pt_report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i <= r->n; i++) {
		const uint64_t *w = stage_waits(r, i);
		json_object *o = json_object_new_object();
		int ret = !o;

		if (!ret) {
			ret |= jset(o, "stage",
				    i < r->n ? json_object_new_string(
						       r->rows[i].stage->name) :
					       NULL);
			ret |= jset(o, "pipe_read_ns", ju(w ? w[0] : 0));
			ret |= jset(o, "pipe_write_ns", ju(w ? w[1] : 0));
		}
		if (ret || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

int pt_pipeline__json(json_object *root, const struct pt_report *r)
{
	const struct pt_pipeline *pl = r->snap->pipeline;
	json_object *pipes, *o, *procs;
	int ret = 0;

	if (!pl)
		return 0;
	pipes = json_object_new_array();
	o = json_object_new_object();
	procs = json_object_new_array();
	if (!pipes || !o || !procs) {
		json_object_put(pipes);
		json_object_put(o);
		json_object_put(procs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pl->nedges; i++)
		ret |= json_object_array_add(pipes, edge_json(&pl->edges[i]));
	for (size_t i = 0; i < pl->nnodes; i++)
		ret |= json_object_array_add(procs, node_json(&pl->nodes[i]));
	ret |= jset(root, "pipes", pipes);
	ret |= jset(o, "processes", procs);
	ret |= jset(o, "lost", ju(pl->lost));
	ret |= jset(o, "stage_pipe_waits", stage_waits_json(r));
	ret |= jset(o, "bottleneck", verdict_json(r, pl));
	ret |= jset(root, "pipeline", o);
	return ret ? -ENOMEM : 0;
}

void pt_pipeline__free(struct pt_pipeline *pl)
{
	if (!pl)
		return;
	free(pl->nodes);
	free(pl->edges);
	free((void *)pl->stage_wait_ns);
	memset(pl, 0, sizeof(*pl));
}
