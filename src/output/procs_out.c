// SPDX-License-Identifier: MIT
/* procs_out.c - see procs_out.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output/procs_out.h"
#include "output/jsonw.h"

/* The name of process pid in the report, or "?". */
static const char *proc_comm(const struct pt_report *r, uint32_t pid)
{
	const struct pt_proc_info *p =
		pt_procs__find(r->snap->procs, r->snap->nprocs, pid);

	return p && p->comm[0] ? p->comm : "?";
}

/* Process row p's mean latency: as the stage's own (report.c), each call
 * had the least probe cost taken off already; the rest of the probe's
 * mean cost, its tail, comes off the mean, not below the row's min. */
static uint64_t row_mean(const struct pt_report *r,
			 const struct pt_proc_stage_row *p)
{
	uint64_t timed = p->calls - p->setup_calls, raw, tail;

	if (!timed)
		return 0;
	raw = p->lat_sum_ns / timed;
	tail = p->stage < r->n ? r->rows[p->stage].tail_ns : 0;
	return raw > p->min_ns + tail ? raw - tail : p->min_ns;
}

void pt_table__proc_rows(FILE *f, int w, const struct pt_report *r, size_t i)
{
	const struct pt_snapshot *s = r->snap;
	char label[64], b[5][32], items[24];
	bool has_items = r->rows[i].stage->items != PT_ITEMS_NONE;
	double secs = s->duration_ns ? (double)s->duration_ns / 1e9 : 0;
	size_t k;

	for (k = 0; k < s->nproc_stages; k++) {
		const struct pt_proc_stage_row *p = &s->proc_stages[k];

		if (p->stage != i)
			continue;
		snprintf(label, sizeof(label), "  PID %u %s", p->pid,
			 proc_comm(r, p->pid));
		snprintf(items, sizeof(items), "%llu",
			 (unsigned long long)p->items);
		fprintf(f,
			"%-*s %9llu %10s %9s %9s %5s %8s %8s %8s %8s %8s %8s %8.1f %8s\n",
			w, label, (unsigned long long)p->calls,
			has_items ? items : "-",
			pt_fmt_ns(b[0], sizeof(b[0]), p->wall_ns), "-", "-",
			pt_fmt_ns(b[1], sizeof(b[1]), p->min_ns),
			pt_fmt_ns(b[2], sizeof(b[2]), row_mean(r, p)), "-", "-",
			"-", pt_fmt_ns(b[3], sizeof(b[3]), p->max_ns),
			secs > 0 ? (double)p->calls / secs : 0.0, "-");
	}
}

/* "exit 0", "running" */
static const char *fmt_exit(char *buf, size_t len, const struct pt_proc_info *p)
{
	if (p->exited)
		snprintf(buf, len, "exit %d", p->exit_status);
	else
		snprintf(buf, len, "running");
	return buf;
}

void pt_table__procs(FILE *f, const struct pt_report *r)
{
	const struct pt_snapshot *s = r->snap;
	char b[2][32], ex[32], up[48], late[64];
	size_t i;

	fprintf(f, "\n%-8s %-8s %-16s %9s %9s", "PID", "PPID", "PROCESS",
		"START", "END");
	if (s->mem)
		fprintf(f, " %9s %9s", "ALLOCS", "FREES");
	fprintf(f, "  %s\n", "STATUS");
	for (i = 0; i < s->nprocs; i++) {
		const struct pt_proc_info *p = &s->procs[i];

		up[0] = '\0';
		if (p->unpaired)
			snprintf(up, sizeof(up), "  (%llu unpaired return%s)",
				 (unsigned long long)p->unpaired,
				 p->unpaired == 1 ? "" : "s");
		fprintf(f, "%-8u %-8u %-16s %9s %9s", p->pid, p->ppid, p->comm,
			pt_fmt_ns(b[0], sizeof(b[0]), p->start_ns),
			p->exited ? pt_fmt_ns(b[1], sizeof(b[1]), p->end_ns) :
				    "-");
		if (s->mem && p->alloc_known)
			fprintf(f, " %9llu %9llu",
				(unsigned long long)p->alloc_calls,
				(unsigned long long)p->frees);
		else if (s->mem)
			fprintf(f, " %9s %9s", "-", "-");
		late[0] = '\0';
		if (p->unprobed[0])
			snprintf(late, sizeof(late), "  (not probed)");
		else if (p->late)
			snprintf(late, sizeof(late),
				 "  (unprobed for %.2f ms after its exec)",
				 (double)p->late_ns / 1e6);
		else if (p->io_late)
			snprintf(late, sizeof(late),
				 "  (libc I/O unprobed for %.2f ms: %s missed)",
				 (double)p->io_late_ns / 1e6,
				 !p->io_late_write ? "reads" :
				 !p->io_late_read  ? "writes" :
						     "reads and writes");
		fprintf(f, "  %s%s%s%s\n", fmt_exit(ex, sizeof(ex), p),
			p->followed ? "  (followed from its fork)" : "", up,
			late);
	}
	if (s->procs_missed)
		fprintf(f,
			"%llu processes not traced: the process table was full\n",
			(unsigned long long)s->procs_missed);
}

void pt_table__proc_heading(FILE *f, const struct pt_report *r, uint32_t pid)
{
	if (pid)
		fprintf(f, "process %u (%s)\n", pid, proc_comm(r, pid));
	else
		fprintf(f, "other threads\n");
}

/* ------------------------------------------------------------------ JSON */

static json_object *proc_stage_json(const struct pt_report *r,
				    const struct pt_proc_stage_row *p)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "stage",
		    json_object_new_string(r->rows[p->stage].stage->name));
	ret |= jadd(o, "calls", juint(p->calls));
	ret |= jadd(o, "items", juint(p->items));
	ret |= jadd(o, "errors", juint(p->errors));
	ret |= jadd(o, "wall_ns", juint(p->wall_ns));
	ret |= jadd(o, "mean_ns", juint(row_mean(r, p)));
	ret |= jadd(o, "setup_calls", juint(p->setup_calls));
	ret |= jadd(o, "min_ns", juint(p->min_ns));
	ret |= jadd(o, "max_ns", juint(p->max_ns));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The stages process pid called, as an array. */
static json_object *proc_stages_json(const struct pt_report *r, uint32_t pid)
{
	json_object *a = json_object_new_array(), *o;
	size_t k;

	for (k = 0; a && k < r->snap->nproc_stages; k++) {
		const struct pt_proc_stage_row *p = &r->snap->proc_stages[k];

		if (p->pid != pid || p->stage >= r->n)
			continue;
		o = proc_stage_json(r, p);
		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* --alloc: the process's own allocator calls. */
static json_object *proc_alloc_json(const struct pt_proc_info *p)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "calls", juint(p->alloc_calls));
	ret |= jadd(o, "bytes", juint(p->alloc_bytes));
	ret |= jadd(o, "frees", juint(p->frees));
	ret |= jadd(o, "freed_bytes", juint(p->freed_bytes));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *proc_json(const struct pt_report *r,
			      const struct pt_proc_info *p)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "pid", juint(p->pid));
	ret |= jadd(o, "ppid", juint(p->ppid));
	ret |= jadd(o, "command", json_object_new_string(p->comm));
	if (p->exited)
		ret |= jadd(o, "exit_status",
			    json_object_new_int(p->exit_status));
	else
		ret |= json_object_object_add(o, "exit_status", NULL);
	ret |= jadd(o, "start_ns", juint(p->start_ns));
	if (p->exited)
		ret |= jadd(o, "end_ns", juint(p->end_ns));
	else
		ret |= json_object_object_add(o, "end_ns", NULL);
	ret |= jadd(o, "followed", json_object_new_boolean(p->followed));
	if (r->snap->mem)
		ret |= json_object_object_add(
			o, "alloc", p->alloc_known ? proc_alloc_json(p) : NULL);
	ret |= jadd(o, "unpaired_returns", juint(p->unpaired));
	/* ran its program this long before the stages were probed */
	ret |= json_object_object_add(o, "late_ns",
				      p->late ? juint(p->late_ns) : NULL);
	ret |= json_object_object_add(o, "libc_io_late_ns",
				      p->io_late ? juint(p->io_late_ns) : NULL);
	/* which of its libc reads and writes before then were missed */
	ret |= jadd(o, "libc_reads_missed",
		    json_object_new_boolean(p->io_late_read));
	ret |= jadd(o, "libc_writes_missed",
		    json_object_new_boolean(p->io_late_write));
	/* its program's stages were not probed: why */
	ret |= json_object_object_add(
		o, "unprobed",
		p->unprobed[0] ? json_object_new_string(p->unprobed) : NULL);
	ret |= jadd(o, "stages", proc_stages_json(r, p->pid));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *pt_json__procs(const struct pt_report *r)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a && i < r->snap->nprocs; i++) {
		o = proc_json(r, &r->snap->procs[i]);
		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

json_object *pt_json__stage_pid(const struct pt_report *r, size_t i)
{
	const struct pt_proc_stage_row *one = NULL;
	size_t k;

	for (k = 0; k < r->snap->nproc_stages; k++) {
		const struct pt_proc_stage_row *p = &r->snap->proc_stages[k];

		if (p->stage != i || !p->calls)
			continue;
		if (one)
			return NULL;
		one = p;
	}
	return one ? juint(one->pid) : NULL;
}
