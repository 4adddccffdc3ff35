// SPDX-License-Identifier: MIT
/* json.c - the "json" sink: the report as one JSON document (json-c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json.h>

#include "output/procs_out.h"
#include "output/jsonw.h"
#include "output/sink.h"
#include "output/pipeline_out.h"
#include "report/pipeline.h"

/* JSON names of the parts, in enum pt_part order. */
static const char *const part_names[PT_PART_NR] = {
	[PT_PART_USER] = "user",   [PT_PART_SYS] = "sys",
	[PT_PART_IO] = "io",	   [PT_PART_LOCK] = "lock",
	[PT_PART_SLEEP] = "sleep", [PT_PART_RUNQ] = "runqueue",
	[PT_PART_OTHER] = "other",
};

/* ------------------------------------------------------------------- JSON */

/* Whether part p is unknown: user and sys with --syscalls light. */
static bool part_unknown(int p, bool light)
{
	return light && (p == PT_PART_USER || p == PT_PART_SYS);
}

/* {"on_cpu":..,"user":..,"sys":..,"io":..,...} of a split (user and sys
 * null when light). */
/* Per probe class, what a nested probed call costs its caller. */
static json_object *nested_json(const uint64_t nest_ns[PT_PROBE_NR])
{
	json_object *o = json_object_new_object();
	int c;

	for (c = 0; o && c < PT_PROBE_NR; c++)
		if (jadd(o, pt_probe_class__name((enum pt_probe_class)c),
			 juint(nest_ns[c]))) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

static json_object *split_json(const uint64_t part_ns[PT_PART_NR], bool light)
{
	json_object *o = json_object_new_object();
	int p, ret;

	if (!o)
		return NULL;
	ret = jadd(o, "on_cpu",
		   juint(part_ns[PT_PART_USER] + part_ns[PT_PART_SYS]));
	for (p = 0; p < PT_PART_NR; p++)
		ret |= part_unknown(p, light) ?
			       json_object_object_add(o, part_names[p], NULL) :
			       jadd(o, part_names[p], juint(part_ns[p]));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The split's "io_cpu": on CPU inside I/O syscalls, within "sys" (within
 * "on_cpu" when light; null when light without libc I/O probes: unknown). */
static int add_io_cpu(json_object *split, uint64_t io_cpu_ns, bool unknown)
{
	if (!split)
		return -ENOMEM;
	if (unknown)
		return json_object_object_add(split, "io_cpu", NULL);
	return jadd(split, "io_cpu", juint(io_cpu_ns));
}

static json_object *thread_json(const struct pt_thread_info *th, bool light)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "tid", juint(th->tid));
	ret |= jadd(o, "comm", json_object_new_string(th->comm));
	ret |= jadd(o, "exited", json_object_new_boolean(th->exited));
	ret |= jadd(o, "seen_running", json_object_new_boolean(th->seen));
	if (th->seen)
		ret |= json_object_object_add(o, "blocked_on", NULL);
	else
		ret |= jadd(o, "blocked_on",
			    json_object_new_string(th->blocked_on));
	ret |= jadd(o, "threads", juint(th->nthreads));
	ret |= jadd(o, "busy_ns", juint(pt_sum_parts(th->busy_ns)));
	ret |= jadd(o, "idle_ns", juint(pt_sum_parts(th->idle_ns)));
	ret |= jadd(o, "busy", split_json(th->busy_ns, light));
	ret |= jadd(o, "idle", split_json(th->idle_ns, light));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* "alloc":{...} of one memory row. */
static json_object *mem_json(const struct pt_mem_row *m, bool light)
{
	json_object *o = json_object_new_object(), *top, *site, *stack, *vm;
	size_t i, f;
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "calls", juint(m->alloc_calls));
	ret |= jadd(o, "bytes", juint(m->alloc_bytes));
	ret |= jadd(o, "frees", juint(m->frees));
	ret |= jadd(o, "freed_bytes", juint(m->freed_bytes));
	ret |= jadd(o, "live_bytes", juint(m->live_bytes));
	ret |= jadd(o, "peak_live_bytes", juint(m->peak_live_bytes));
	ret |= jadd(o, "handed_downstream_bytes", juint(m->handed_bytes));
	ret |= jadd(o, "frees_untracked", juint(m->frees_untracked));
	vm = json_object_new_object();
	if (vm) {
		ret |= jadd(vm, "mmap_calls", juint(m->mmap_calls));
		ret |= jadd(vm, "mmap_bytes", juint(m->mmap_bytes));
		ret |= jadd(vm, "munmap_calls", juint(m->munmap_calls));
		ret |= jadd(vm, "munmap_bytes", juint(m->munmap_bytes));
		ret |= jadd(vm, "brk_grow_bytes", juint(m->brk_grow_bytes));
	}
	if (light) { /* --syscalls light: not seen */
		json_object_put(vm);
		ret |= json_object_object_add(o, "syscalls", NULL);
	} else {
		ret |= jadd(o, "syscalls", vm);
	}
	top = json_object_new_array();
	for (i = 0; top && i < m->ntop; i++) {
		site = json_object_new_object();
		stack = json_object_new_array();
		for (f = 0; stack && f < m->top[i].nframes; f++)
			if (json_object_array_add(stack,
						  json_object_new_string(
							  m->top[i].frames[f])))
				ret = -ENOMEM;
		if (!site || !stack) {
			json_object_put(site);
			json_object_put(stack);
			ret = -ENOMEM;
			break;
		}
		ret |= jadd(site, "stack", stack);
		ret |= jadd(site, "bytes", juint(m->top[i].bytes));
		ret |= jadd(site, "count", juint(m->top[i].count));
		if (json_object_array_add(top, site)) {
			json_object_put(site);
			ret = -ENOMEM;
		}
	}
	ret |= jadd(o, "top_live", top);
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* unknown_io: io_cpu and fsyncs not seen (--syscalls light without libc
 * I/O probes). */
static json_object *stage_json(const struct pt_stage_report *row,
			       const struct pt_mem_row *mem, bool light,
			       bool unknown_io)
{
	const struct pt_totals *t = row->tot;
	bool items = row->stage->items != PT_ITEMS_NONE;
	json_object *o = json_object_new_object(), *lat, *io, *cs;
	int ret = 0;

	if (!o)
		return NULL;
	lat = json_object_new_object();
	ret |= jadd(o, "name", json_object_new_string(row->stage->name));
	ret |= jadd(o, "symbol",
		    json_object_new_string(row->stage->symbol ?
						   row->stage->symbol :
						   row->stage->name));
	ret |= jadd(o, "object", json_object_new_string(row->stage->object));
	ret |= jadd(o, "annotated",
		    json_object_new_boolean(row->stage->annotated));
	ret |= jadd(o, "calls", juint(t->calls));
	if (items)
		ret |= jadd(o, "items", juint(t->items));
	else
		ret |= json_object_object_add(o, "items", NULL);
	ret |= jadd(
		o, "items_mode",
		json_object_new_string(pt_items_mode__name(row->stage->items)));
	ret |= jadd(o, "errors", juint(t->errors));
	ret |= jadd(o, "wall_ns", juint(t->wall_ns));
	if (lat) {
		bool pk = row->pct_known;

		/* null: not known (pct_known) */
		ret |= pk ? jadd(lat, "min", juint(t->min_ns)) :
			    jset(lat, "min", NULL);
		ret |= row->mean_known ?
			       jadd(lat, "mean", juint(row->mean_ns)) :
			       jset(lat, "mean", NULL);
		ret |= pk ? jadd(lat, "p50", juint(row->p50_ns)) :
			    jset(lat, "p50", NULL);
		ret |= pk ? jadd(lat, "p95", juint(row->p95_ns)) :
			    jset(lat, "p95", NULL);
		ret |= pk ? jadd(lat, "p99", juint(row->p99_ns)) :
			    jset(lat, "p99", NULL);
		ret |= jadd(lat, "max", juint(t->max_ns));
		ret |= jadd(lat, "sum", juint(t->lat_sum_ns));
		ret |= jadd(lat, "count", juint(pt_totals__timed(t)));
		ret |= jadd(lat, "setup_calls", juint(t->setup_calls));
		ret |= jadd(lat, "setup_ns", juint(t->setup_ns));
	}
	ret |= jadd(o, "latency_ns", lat);
	ret |= jadd(o, "throughput_per_s",
		    json_object_new_double(row->calls_per_s));
	if (items)
		ret |= jadd(o, "items_per_s",
			    json_object_new_double(row->items_per_s));
	else
		ret |= json_object_object_add(o, "items_per_s", NULL);
	ret |= jadd(o, "concurrency", json_object_new_double(row->concurrency));
	ret |= jadd(o, "probe_class",
		    json_object_new_string(
			    pt_probe_class__name(row->stage->probe_class)));
	ret |= jadd(o, "pairing",
		    json_object_new_string(row->stage->go ? "goroutine" :
							    "thread"));
	ret |= jadd(o, "probe_bias_ns", juint(row->bias_ns));
	ret |= jadd(o, "probe_tail_ns", juint(row->tail_ns));
	ret |= row->self_known ? jadd(o, "self_ns", juint(row->self_ns)) :
				 jset(o, "self_ns", NULL);
	ret |= jadd(o, "nested_probes_ns", juint(row->nested_probes_ns));
	ret |= jadd(o, "work_ns", juint(row->work_ns));
	ret |= jadd(o, "breakdown_ns", split_json(row->part_ns, light));
	ret |= add_io_cpu(json_object_object_get(o, "breakdown_ns"),
			  row->io_cpu_ns, unknown_io);
	ret |= jadd(o, "verdict", json_object_new_string(row->verdict));
	io = json_object_new_object();
	if (io) {
		ret |= jadd(io, "syscalls", juint(t->time.io_syscalls));
		ret |= jadd(io, "read_bytes", juint(t->time.read_bytes));
		ret |= jadd(io, "write_bytes", juint(t->time.write_bytes));
		ret |= unknown_io ? json_object_object_add(io, "fsyncs", NULL) :
				    jadd(io, "fsyncs", juint(t->time.fsyncs));
	}
	ret |= jadd(o, "io", io);
	cs = json_object_new_object();
	if (cs) {
		ret |= jadd(cs, "voluntary", juint(t->time.vol_switches));
		ret |= jadd(cs, "involuntary", juint(t->time.invol_switches));
	}
	ret |= jadd(o, "ctx_switches", cs);
	ret |= jadd(o, "speedup_2x_saves_pct",
		    json_object_new_double(row->saves_pct));
	if (mem) {
		ret |= jadd(o, "alloc", mem_json(mem, light));
		ret |= jadd(o, "page_faults", juint(mem->page_faults));
	}
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The whole report as a json-c object; NULL on allocation failure. */
static json_object *report_json(const struct pt_report *r)
{
	json_object *o = json_object_new_object(), *stages, *lost, *threads;
	size_t i;
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "schema", json_object_new_string(PT_REPORT_SCHEMA));
	ret |= jadd(o, "pid", json_object_new_int(r->snap->pid));
	ret |= jadd(o, "command",
		    json_object_new_string(r->snap->command ? r->snap->command :
							      ""));
	ret |= jadd(o, "duration_ns", juint(r->snap->duration_ns));
	ret |= jadd(o, "lost_events", juint(r->lost_total));
	lost = json_object_new_object();
	for (i = 0; lost && i < PT_LOST_NR; i++)
		ret |= jadd(lost, pt_lost_reasons[i].key,
			    juint(r->snap->lost[i]));
	ret |= jadd(o, "lost", lost);
	ret |= jadd(o, "calls_in_flight_at_attach",
		    juint(r->snap->inflight_exits));
	ret |= jadd(o, "unpaired_returns", juint(r->snap->unpaired_returns));
	if (r->snap->calibrated) {
		json_object *cal = json_object_new_object();
		int c;

		for (c = 0; cal && c < PT_PROBE_NR; c++)
			ret |= jadd(
				cal,
				pt_probe_class__name((enum pt_probe_class)c),
				juint(r->snap->bias_ns[c]));
		ret |= jadd(o, "calibration_ns", cal);
		ret |= jadd(o, "calibration_nested_ns",
			    nested_json(r->snap->nest_ns));
		ret |= jadd(o, "calibration_nested_tail_ns",
			    nested_json(r->snap->nest_tail_ns));
	} else {
		ret |= json_object_object_add(o, "calibration_ns", NULL);
		ret |= json_object_object_add(o, "calibration_nested_ns", NULL);
		ret |= json_object_object_add(o, "calibration_nested_tail_ns",
					      NULL);
	}
	stages = json_object_new_array();
	for (i = 0; stages && i < r->n; i++) {
		json_object *s = stage_json(
			&r->rows[i], r->snap->mem ? &r->snap->mem[i] : NULL,
			r->snap->sys_light,
			r->snap->sys_light && !r->snap->libc_io);

		if (s && r->snap->nprocs &&
		    json_object_object_add(s, "pid", pt_json__stage_pid(r, i)))
			ret = -ENOMEM;
		if (!s || json_object_array_add(stages, s)) {
			json_object_put(s);
			ret = -ENOMEM;
			break;
		}
	}
	ret |= jadd(o, "stages", stages);
	threads = json_object_new_array();
	for (i = 0; threads && i < r->snap->nthreads; i++) {
		json_object *t =
			thread_json(&r->snap->threads[i], r->snap->sys_light);

		if (t && r->snap->nprocs)
			ret |= jadd(t, "pid", juint(r->snap->threads[i].pid));
		if (!t || json_object_array_add(threads, t)) {
			json_object_put(t);
			ret = -ENOMEM;
			break;
		}
	}
	ret |= jadd(o, "threads", threads);
	if (r->snap->nprocs)
		ret |= jadd(o, "processes", pt_json__procs(r));
	if (r->snap->mem) {
		json_object *a = json_object_new_object(), *rss;

		if (a) {
			ret |= jadd(a, "sample", juint(r->snap->alloc_sample));
			ret |= jadd(a, "min_bytes", juint(r->snap->alloc_min));
			ret |= jadd(a, "outside_stages",
				    mem_json(&r->snap->mem[r->n],
					     r->snap->sys_light));
			ret |= jadd(a, "outside_stages_page_faults",
				    juint(r->snap->mem[r->n].page_faults));
		}
		ret |= jadd(o, "alloc", a);
		rss = json_object_new_object();
		if (rss) {
			ret |= jadd(rss, "start", juint(r->snap->rss.start));
			if (r->snap->rss.end_known)
				ret |= jadd(rss, "end",
					    juint(r->snap->rss.end));
			else
				ret |= json_object_object_add(rss, "end", NULL);
			ret |= jadd(rss, "peak", juint(r->snap->rss.peak));
		}
		ret |= jadd(o, "rss_bytes", rss);
	}
	if (r->bottleneck >= 0) {
		json_object *b = json_object_new_object();

		if (b) {
			ret |= jadd(
				b, "stage",
				json_object_new_string(
					r->rows[r->bottleneck].stage->name));
			ret |= jadd(
				b, "reason",
				json_object_new_string(r->bottleneck_reason));
		}
		ret |= jadd(o, "bottleneck", b);
	} else {
		ret |= json_object_object_add(o, "bottleneck", NULL);
	}
	ret |= pt_pipeline__json(o, r);
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int pt_report__write_json(FILE *f, const struct pt_report *r)
{
	json_object *o = report_json(r);
	const char *s;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fputs(s, f) < 0 || fputc('\n', f) < 0)
		ret = -EIO;
	json_object_put(o);
	if (!ret && ferror(f))
		ret = -EIO;
	return ret;
}

/* ------------------------------------------------------------------ sink */

static int json_finish(struct pt_sink *s, const struct pt_report *r)
{
	return pt_report__write_json(s->f, r);
}

const struct pt_sink_format pt_sink_json = {
	.name = "json",
	.what = "the report as JSON",
	.finish = json_finish,
};
