// SPDX-License-Identifier: MIT
/*
 * pipeline_out.c - the pipeline of processes in the report's sinks: the
 * table's `pipes:` and `pipeline:` lines and the JSON's "pipes" and
 * "pipeline" (the graph and its verdict come from report/pipeline.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>
#include "pipetrace_abi.h"
#include "output/jsonw.h"
#include "output/pipeline_out.h"
#include "report/pipeline.h"
#include "report/report.h"

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

		if (p->pid == n->kpid && p->stage < r->n && p->calls &&
		    (!best || p->wall_ns > best->wall_ns))
			best = p;
	}
	return best ? r->rows[best->stage].stage->name : NULL;
}

/* Stage i's pipe waits (i == r->n: outside every stage), read and write,
 * into w, as the report model holds them; false if none were collected. */
static bool stage_waits(const struct pt_report *r, size_t i, uint64_t w[2])
{
	const uint64_t *src = i < r->n ? r->rows[i].pipe_wait_ns :
					 r->outside_pipe_wait_ns;

	if (!r->pipe_waits)
		return false;
	w[0] = src[0];
	w[1] = src[1];
	return true;
}

/* The part of each stage's io that was a pipe wait, where there was one. */
static void print_stage_waits(FILE *f, const struct pt_report *r)
{
	char a[32], b[32], c[32];

	for (size_t i = 0; i <= r->n; i++) {
		uint64_t w[2];

		if (!stage_waits(r, i, w) || !(w[0] | w[1]))
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
	if (!pl->bytes_from)
		fprintf(f, "  bytes per pipe: --syscalls libc or exact\n");
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

static json_object *edge_json(const struct pt_pl_edge *e)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jset(o, "inode", juint(e->ino));
	ret |= jset(o, "reader_inode", juint(e->rino));
	ret |= jset(o, "kind", json_object_new_string(e->kind));
	ret |= jset(o, "writer_pid", juint((uint64_t)e->writer));
	ret |= jset(o, "reader_pid", juint((uint64_t)e->reader));
	ret |= jset(o, "bytes", e->bytes_known ? juint(e->bytes) : NULL);
	ret |= jadd(o, "bytes_partial",
		    json_object_new_boolean(e->bytes_partial));
	ret |= jset(o, "writer_blocked_ns",
		    e->writer_known ? juint(e->writer_wait_ns) : NULL);
	ret |= jset(o, "reader_starved_ns",
		    e->reader_known ? juint(e->reader_wait_ns) : NULL);
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
	ret |= jset(o, "pid", juint((uint64_t)n->pid));
	ret |= jset(o, "kernel_pid", n->kpid ? juint(n->kpid) : NULL);
	ret |= jset(o, "command",
		    n->name ? json_object_new_string(n->name) : NULL);
	ret |= jset(o, "traced", json_object_new_boolean(n->traced));
	ret |= jset(o, "span_ns", juint(n->span_ns));
	ret |= jset(o, "on_cpu_ns", n->cpu_known ? juint(n->oncpu_ns) : NULL);
	ret |= jset(o, "runqueue_ns", n->cpu_known ? juint(n->runq_ns) : NULL);
	ret |= jset(o, "pipe_read_ns", n->traced ? juint(n->wait_ns[0]) : NULL);
	ret |= jset(o, "pipe_write_ns",
		    n->traced ? juint(n->wait_ns[1]) : NULL);
	ret |= jset(o, "pipe_read_runqueue_ns",
		    n->traced ? juint(n->wait_runq_ns[0]) : NULL);
	ret |= jset(o, "pipe_write_runqueue_ns",
		    n->traced ? juint(n->wait_runq_ns[1]) : NULL);
	ret |= jset(o, "other_ns", n->other_known ? juint(n->other_ns) : NULL);
	ret |= jset(o, "busy_ns", juint(pt_pl_busy(n)));
	ret |= jset(o, "threads", n->nthreads ? juint(n->nthreads) : NULL);
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
	ret |= jset(o, "pid", juint((uint64_t)pl->nodes[v.node].pid));
	ret |= jset(o, "tie_pid",
		    v.tie >= 0 ? juint((uint64_t)pl->nodes[v.tie].pid) : NULL);
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
		uint64_t w[2];
		bool known = stage_waits(r, i, w);
		json_object *o = json_object_new_object();
		int ret = !o;

		if (!ret) {
			ret |= jset(o, "stage",
				    i < r->n ? json_object_new_string(
						       r->rows[i].stage->name) :
					       NULL);
			ret |= jset(o, "pipe_read_ns", juint(known ? w[0] : 0));
			ret |= jset(o, "pipe_write_ns",
				    juint(known ? w[1] : 0));
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
	ret |= jset(o, "lost", juint(pl->lost));
	ret |= jset(o, "bytes_from",
		    pl->bytes_from ? json_object_new_string(pl->bytes_from) :
				     NULL);
	ret |= jset(o, "stage_pipe_waits", stage_waits_json(r));
	ret |= jset(o, "bottleneck", verdict_json(r, pl));
	ret |= jset(root, "pipeline", o);
	return ret ? -ENOMEM : 0;
}
