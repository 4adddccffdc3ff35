// SPDX-License-Identifier: MIT
/*
 * table.c - the "table" sink: the report as text tables, like perf stat's
 * (standard error unless -o table=FILE).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/procs_out.h"
#include "output/sink.h"
#include "output/pipeline_out.h"
#include "report/pipeline.h"

/* "1.23k", "4.5M" for rates and counts in narrow columns. */
static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (v < 1e4)
		snprintf(buf, len, "%.1f", v);
	else if (v < 1e7)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
	return buf;
}

/* The stage's label: its name, prefixed by its object's basename when that
 * is not the main executable's (the first stage's object). Never cut: the
 * STAGE column is as wide as the longest label (label_width()), so that two
 * stages never print alike. Printed padded to WIDTH. */
static void put_label(FILE *f, int width, const struct pt_report *r,
		      const struct pt_stage *s)
{
	const char *base = strrchr(s->object, '/');
	int n;

	if (r->n && strcmp(s->object, r->rows[0].stage->object))
		n = fprintf(f, "%s:%s", base ? base + 1 : s->object, s->name);
	else
		n = fprintf(f, "%s", s->name);
	fprintf(f, "%*s", n >= 0 && n < width ? width - n : 0, "");
}

/* The STAGE column's width: the longest label, at least 24. */
static int label_width(const struct pt_report *r)
{
	size_t i, w = 24, n;

	for (i = 0; i < r->n; i++) {
		const struct pt_stage *s = r->rows[i].stage;
		const char *base = strrchr(s->object, '/');

		n = strlen(s->name);
		if (strcmp(s->object, r->rows[0].stage->object))
			n += strlen(base ? base + 1 : s->object) + 1;
		if (n > w)
			w = n;
	}
	return w > 65536 ? 65536 : (int)w;
}

/* One letter a part, for the stacked bar. */
static const char part_letter[PT_PART_NR] = {
	[PT_PART_USER] = 'u',  [PT_PART_SYS] = 's',   [PT_PART_IO] = 'I',
	[PT_PART_LOCK] = 'L',  [PT_PART_SLEEP] = 'S', [PT_PART_RUNQ] = 'R',
	[PT_PART_OTHER] = 'o',
};

#define BAR_WIDTH 20

/* A BAR_WIDTH-character stacked bar of a split (largest remainders). */
static void split_bar(char *bar, const uint64_t part_ns[PT_PART_NR])
{
	uint64_t total = pt_sum_parts(part_ns);
	int cells[PT_PART_NR], used = 0, p, best, k = 0;
	double rem[PT_PART_NR];

	memset(bar, '.', BAR_WIDTH);
	bar[BAR_WIDTH] = '\0';
	if (!total)
		return;
	for (p = 0; p < PT_PART_NR; p++) {
		double exact = (double)part_ns[p] * BAR_WIDTH / (double)total;

		cells[p] = (int)exact;
		rem[p] = exact - cells[p];
		used += cells[p];
	}
	while (used < BAR_WIDTH) {
		for (best = 0, p = 1; p < PT_PART_NR; p++)
			if (rem[p] > rem[best])
				best = p;
		cells[best]++;
		rem[best] = -1;
		used++;
	}
	for (p = 0; p < PT_PART_NR; p++)
		while (cells[p]-- > 0 && k < BAR_WIDTH)
			bar[k++] = part_letter[p];
}

static double pct_of(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

/* A latency figure, or "-" where no call was timed (none, or only those
 * that carried the kernel's uprobe setup). */
static const char *fmt_lat(char *buf, size_t len, uint64_t ns, bool timed)
{
	if (!timed) {
		snprintf(buf, len, "-");
		return buf;
	}
	return pt_fmt_ns(buf, len, ns);
}

/* What a thread row adds: exited, or never seen run and why. */
static const char *thread_note(char *buf, size_t len,
			       const struct pt_thread_info *th)
{
	if (!th->seen)
		snprintf(buf, len, "not seen run: blocked in %s",
			 th->blocked_on[0] ? th->blocked_on : "?");
	else
		snprintf(buf, len, "%s", th->exited ? "exited" : "");
	return buf;
}

/* One thread's row of the thread table. */
static void thread_row(FILE *f, const struct pt_thread_info *th)
{
	char b[32], note[64], name[32];
	const uint64_t *p = th->idle_ns;
	uint64_t idle = pt_sum_parts(p);
	uint64_t all = pt_sum_parts(th->busy_ns) + idle;

	thread_note(note, sizeof(note), th);
	/* tid 0: exited threads beyond the rows kept, summed. */
	if (th->tid)
		snprintf(name, sizeof(name), "%s", th->comm);
	else
		snprintf(name, sizeof(name), "(%llu exited)",
			 (unsigned long long)th->nthreads);
	fprintf(f,
		"%-8u %-16s %9s %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f%s%s\n",
		th->tid, name, pt_fmt_ns(b, sizeof(b), all),
		pct_of(all - idle, all), pct_of(idle, all),
		pct_of(p[PT_PART_USER] + p[PT_PART_SYS], all),
		pct_of(p[PT_PART_IO], all), pct_of(p[PT_PART_LOCK], all),
		pct_of(p[PT_PART_SLEEP], all), pct_of(p[PT_PART_RUNQ], all),
		pct_of(p[PT_PART_OTHER], all), note[0] ? "  " : "", note);
}

/* Several processes: each one's threads under its name, then the threads
 * of no process traced now (tid 0's sum, a reused tid's). */
static void thread_groups(FILE *f, const struct pt_report *r)
{
	const struct pt_snapshot *s = r->snap;
	size_t i, k, rest = 0;

	for (k = 0; k < s->nprocs; k++) {
		pt_table__proc_heading(f, r, s->procs[k].pid);
		for (i = 0; i < s->nthreads; i++)
			if (s->threads[i].pid == s->procs[k].pid)
				thread_row(f, &s->threads[i]);
	}
	for (i = 0; i < s->nthreads; i++)
		rest += !pt_procs__find(s->procs, s->nprocs, s->threads[i].pid);
	if (rest)
		pt_table__proc_heading(f, r, 0);
	for (i = 0; rest && i < s->nthreads; i++)
		if (!pt_procs__find(s->procs, s->nprocs, s->threads[i].pid))
			thread_row(f, &s->threads[i]);
}

/* Per thread: its time in the trace, in stages (JSON busy_ns) and outside
 * them (idle_ns), and where the time outside went, each in % of the
 * thread's time. */
static void write_thread_table(FILE *f, const struct pt_report *r)
{
	size_t i;

	/* Over the six idle columns: 8+1+16+1+9+1+6+1+6+1 characters in. */
	fprintf(f, "\n%50s%s\n", "",
		"----- outside stages, in % of TIME ------");
	fprintf(f, "%-8s %-16s %9s %6s %6s %6s %6s %6s %6s %6s %6s  %s\n",
		"TID", "THREAD", "TIME", "STAGE%", "OUT%", "CPU%", "IO%",
		"LOCK%", "SLP%", "RUNQ%", "OTH%", "NOTE");
	if (r->snap->nprocs) {
		thread_groups(f, r);
		return;
	}
	for (i = 0; i < r->snap->nthreads; i++)
		thread_row(f, &r->snap->threads[i]);
}

/* A percentage, or "-" when unknown. */
static void fmt_known(char *buf, size_t len, double pct, bool unknown)
{
	if (unknown)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", pct);
}

/* The time split per stage and per thread, and the bottleneck. */
static void write_split_table(FILE *f, const struct pt_report *r)
{
	char bar[BAR_WIDTH + 1], b[32];
	int w = label_width(r);
	bool light = r->snap->sys_light;
	bool unknown_io = light && !r->snap->libc_io;
	size_t i;

	fprintf(f,
		"\n%-*s %9s %5s %5s %5s %5s %5s %5s %5s %5s  %-*s %-8s %8s\n",
		w, "STAGE", "SELF", "CPU%", "SYS%", "IOC%", "IO%", "LOCK%",
		"SLP%", "RUNQ%", "OTH%", BAR_WIDTH, "SPLIT", "VERDICT",
		"2x SAVES");
	for (i = 0; i < r->n; i++) {
		const struct pt_stage_report *row = &r->rows[i];
		const uint64_t *p = row->part_ns;
		uint64_t t = row->self_ns;
		char sys[8], ioc[8];

		put_label(f, w, r, row->stage);
		split_bar(bar, p);
		fmt_known(sys, sizeof(sys), pct_of(p[PT_PART_SYS], t), light);
		fmt_known(ioc, sizeof(ioc), pct_of(row->io_cpu_ns, t),
			  unknown_io);
		fprintf(f,
			" %9s %5.1f %5s %5s %5.1f %5.1f %5.1f %5.1f %5.1f  %s %-8s %7.1f%%\n",
			fmt_lat(b, sizeof(b), t, row->self_known),
			pct_of(p[PT_PART_USER] + p[PT_PART_SYS], t), sys, ioc,
			pct_of(p[PT_PART_IO], t), pct_of(p[PT_PART_LOCK], t),
			pct_of(p[PT_PART_SLEEP], t), pct_of(p[PT_PART_RUNQ], t),
			pct_of(p[PT_PART_OTHER], t), bar, row->verdict,
			row->saves_pct);
	}
	fputs(unknown_io ?
		      "split: u on CPU (user and sys unknown with --syscalls light; IOC% io_cpu too), I io, L lock, S sleep, R run queue, o other\n" :
	      light ? "split: u on CPU (user and sys unknown with --syscalls light; IOC%: the part of it in libc I/O calls), I io, L lock, S sleep, R run queue, o other\n" :
		      "split: u user, s sys (IOC%: the part of it in I/O syscalls), I io, L lock, S sleep, R run queue, o other\n",
	      f);
	if (r->snap->nthreads)
		write_thread_table(f, r);
	if (r->bottleneck >= 0)
		fprintf(f, "\nbottleneck: %s: %s\n",
			r->rows[r->bottleneck].stage->name,
			r->bottleneck_reason);
	pt_pipeline__print(f, r);
}

/* "812B", "1.2KiB", "3.4MiB", "2.0GiB" into buf. */
static const char *fmt_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)b);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%s", v, units[u]);
	return buf;
}

/* One memory row of the table. */
static void mem_line(FILE *f, const struct pt_mem_row *m)
{
	char b[6][32];

	fprintf(f, " %9llu %9s %9llu %9s %9s %9s %9s %8llu\n",
		(unsigned long long)m->alloc_calls,
		fmt_bytes(b[0], sizeof(b[0]), m->alloc_bytes),
		(unsigned long long)m->frees,
		fmt_bytes(b[1], sizeof(b[1]), m->freed_bytes),
		fmt_bytes(b[2], sizeof(b[2]), m->handed_bytes),
		fmt_bytes(b[3], sizeof(b[3]), m->live_bytes),
		fmt_bytes(b[4], sizeof(b[4]), m->peak_live_bytes),
		(unsigned long long)m->page_faults);
}

/* The memory section: heap use per stage, leak suspects, RSS. */
static void write_mem_table(FILE *f, const struct pt_report *r)
{
	char b[3][32];
	int w = label_width(r);
	size_t i, k;

	fprintf(f, "\nmemory");
	if (r->snap->alloc_sample > 1)
		fprintf(f, " (1 allocation in %u recorded, counts scaled)",
			r->snap->alloc_sample);
	if (r->snap->alloc_min)
		fprintf(f, " (allocations under %llu bytes ignored)",
			(unsigned long long)r->snap->alloc_min);
	fprintf(f,
		": live = allocated here and freed nowhere yet; handed = freed by a later stage\n");
	fprintf(f, "%-*s %9s %9s %9s %9s %9s %9s %9s %8s\n", w, "STAGE",
		"ALLOCS", "BYTES", "FREES", "FREED", "HANDED", "LIVE", "PEAK",
		"FAULTS");
	for (i = 0; i < r->n; i++) {
		put_label(f, w, r, r->rows[i].stage);
		mem_line(f, &r->snap->mem[i]);
	}
	fprintf(f, "%-*s", w, "[no stage]");
	mem_line(f, &r->snap->mem[r->n]);
	for (i = 0; i <= r->n; i++) {
		const struct pt_mem_row *m = &r->snap->mem[i];

		for (k = 0; k < m->ntop && k < 3; k++) {
			const struct pt_live_site *site = &m->top[k];
			size_t fr;

			fprintf(f, "  live in %s: %s in %llu block%s from ",
				i < r->n ? r->rows[i].stage->name :
					   "[no stage]",
				fmt_bytes(b[0], sizeof(b[0]), site->bytes),
				(unsigned long long)site->count,
				site->count == 1 ? "" : "s");
			for (fr = 0; fr < site->nframes && fr < 4; fr++)
				fprintf(f, "%s%s", fr ? " < " : "",
					site->frames[fr]);
			fputs("\n", f);
		}
	}
	fprintf(f, "rss: start %s, end %s%s, peak %s\n",
		fmt_bytes(b[0], sizeof(b[0]), r->snap->rss.start),
		fmt_bytes(b[1], sizeof(b[1]), r->snap->rss.end),
		r->snap->rss.end_known ? "" : " (not seen)",
		fmt_bytes(b[2], sizeof(b[2]), r->snap->rss.peak));
}

/* A line naming the figures of row that are not known ("-"): the probes'
 * calibrated cost taken off (its own, its nested stages') was all some
 * calls (min, percentiles), all its calls (mean) or all its own time
 * (self) held. */
static void write_unknown_note(FILE *f, const struct pt_stage_report *row)
{
	bool timed = pt_totals__timed(row->tot) > 0;
	bool pct = timed && !row->pct_known, mean = timed && !row->mean_known;

	if (!pct && !mean && row->self_known)
		return;
	fprintf(f,
		"  %s: %s%s%s%s not shown: the probes' calibrated cost taken off (its own, its nested stages') was more than %s paid\n",
		row->stage->name, pct ? "min and percentiles" : "",
		pct && (mean || !row->self_known) ? ", " : "",
		mean ? "mean" : "",
		row->self_known ? "" :
				  (pct || mean ? " and own time" : "own time"),
		mean || !row->self_known ? "the stage" : "some calls");
}

/* A line for a stage whose nested stages' probes cost it more than the own
 * time left after taking that cost off: its own figures are the difference
 * of two large numbers, and tracing it alone measures them. */
static void write_nest_note(FILE *f, const struct pt_stage_report *row)
{
	char a[32], b[32];

	if (!row->nested_probes_ns || row->nested_probes_ns <= row->self_ns)
		return;
	fprintf(f,
		"  %s: its nested stages' probes cost it about %s, more than its own time (%s): trace it without its nested stages for its own\n",
		row->stage->name,
		pt_fmt_ns(a, sizeof(a), row->nested_probes_ns),
		row->self_known ? pt_fmt_ns(b, sizeof(b), row->self_ns) :
				  "not known");
}

/* A line per stage with calls that carried the kernel's one-time uprobe
 * setup: they are in CALLS, not in the latency columns. */
static void write_setup_notes(FILE *f, const struct pt_report *r)
{
	char b[32];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct pt_totals *t = r->rows[i].tot;

		write_unknown_note(f, &r->rows[i]);
		write_nest_note(f, &r->rows[i]);
		if (!t->setup_calls)
			continue;
		fprintf(f,
			"  %s: %llu call%s (%s, the kernel's one-time uprobe setup in the process included) %s left out of its latency figures\n",
			r->rows[i].stage->name,
			(unsigned long long)t->setup_calls,
			t->setup_calls == 1 ? "" : "s",
			pt_fmt_ns(b, sizeof(b), t->setup_ns),
			t->setup_calls == 1 ? "is" : "are");
	}
}

/* Names the stages timed by return-site probes (PT_PROBE_RETSITE) of Go
 * (go) or not: code exceptions unwind through, which a return probe would
 * break; Go code, which a return probe would kill. */
static void write_probe_note(FILE *f, const struct pt_report *r, bool go)
{
	size_t i, n = 0, shown = 0;

	for (i = 0; i < r->n; i++)
		n += r->rows[i].stage->probe_class == PT_PROBE_RETSITE &&
		     r->rows[i].stage->go == go;
	if (!n)
		return;
	if (go)
		fprintf(f,
			"  %zu Go stage%s timed at entry and return instructions, frames paired by goroutine, no return probe; time not split by cause (goroutines change threads):",
			n, n == 1 ? "" : "s");
	else
		fprintf(f,
			"  %zu stage%s timed at %s return instructions, no return probe (exceptions unwind through %s):",
			n, n == 1 ? "" : "s", n == 1 ? "its" : "their",
			n == 1 ? "it" : "them");
	for (i = 0; i < r->n && shown < 8; i++) {
		if (r->rows[i].stage->probe_class != PT_PROBE_RETSITE ||
		    r->rows[i].stage->go != go)
			continue;
		fprintf(f, "%s %s", shown ? "," : "", r->rows[i].stage->name);
		shown++;
	}
	if (n > shown)
		fprintf(f, " and %zu more", n - shown);
	fputs("\n", f);
}

static void write_probe_notes(FILE *f, const struct pt_report *r)
{
	write_probe_note(f, r, false);
	write_probe_note(f, r, true);
}

/* "lost: N what, N what, ...": every reason, in the ABI's order. */
static void write_lost(FILE *f, const struct pt_report *r)
{
	size_t i;

	fputs("lost:", f);
	for (i = 0; i < PT_LOST_NR; i++)
		fprintf(f, "%s %llu %s", i ? "," : "",
			(unsigned long long)r->snap->lost[i],
			pt_lost_reasons[i].phrase);
	fputs("\n", f);
}

int pt_report__write_table(FILE *f, const struct pt_report *r)
{
	char b[10][32];
	int w = label_width(r);
	size_t i;

	fprintf(f, "PID %d (%s): ", r->snap->pid,
		r->snap->command ? r->snap->command : "?");
	if (r->snap->interval)
		fprintf(f, "interval %s to %s",
			pt_fmt_ns(b[0], sizeof(b[0]), r->snap->since_ns),
			pt_fmt_ns(b[1], sizeof(b[1]),
				  r->snap->since_ns + r->snap->duration_ns));
	else
		fprintf(f, "traced %s",
			pt_fmt_ns(b[0], sizeof(b[0]), r->snap->duration_ns));
	fprintf(f, ", %zu stage%s, %llu lost event%s", r->n,
		r->n == 1 ? "" : "s", (unsigned long long)r->lost_total,
		r->lost_total == 1 ? "" : "s");
	/* No stage (none probed in any program traced): no probe cost. */
	if (r->snap->calibrated && r->n) {
		bool used[PT_PROBE_NR] = { false };
		const char *sep = "";
		int c;

		for (i = 0; i < r->n; i++)
			used[r->rows[i].stage->probe_class] = true;
		fputs(", probe cost subtracted per call:", f);
		for (c = 0; c < PT_PROBE_NR; c++) {
			if (!used[c])
				continue;
			fprintf(f, "%s %s %s (means: %s more)", sep,
				pt_probe_class__name((enum pt_probe_class)c),
				pt_fmt_ns(b[1], sizeof(b[1]),
					  r->snap->bias_ns[c]),
				pt_fmt_ns(b[2], sizeof(b[2]),
					  r->snap->tail_ns[c]));
			sep = ",";
		}
	} else if (!r->snap->calibrated) {
		fputs(", probe cost not subtracted", f);
	}
	fputs("\n", f);
	if (r->lost_total)
		write_lost(f, r);
	if (r->snap->unpaired_returns)
		fprintf(f,
			"unpaired: %llu returns of calls entered before their process was traced (forked inside a stage call, or found late): not counted as calls\n",
			(unsigned long long)r->snap->unpaired_returns);
	fprintf(f,
		"%-*s %9s %10s %9s %9s %5s %8s %8s %8s %8s %8s %8s %8s %8s\n",
		w, "STAGE", "CALLS", "ITEMS", "WALL", "SELF", "CONC", "MIN",
		"MEAN", "P50", "P95", "P99", "MAX", "CALLS/s", "ITEMS/s");
	for (i = 0; i < r->n; i++) {
		const struct pt_stage_report *row = &r->rows[i];
		const struct pt_totals *t = row->tot;
		bool items = row->stage->items != PT_ITEMS_NONE;
		bool timed = pt_totals__timed(t) > 0;
		bool pct = timed && row->pct_known;
		char items_s[24];

		put_label(f, w, r, row->stage);
		if (items)
			snprintf(items_s, sizeof(items_s), "%llu",
				 (unsigned long long)t->items);
		else
			snprintf(items_s, sizeof(items_s), "-");
		fprintf(f,
			" %9llu %10s %9s %9s %5.2f %8s %8s %8s %8s %8s %8s %8s %8s\n",
			(unsigned long long)t->calls, items_s,
			pt_fmt_ns(b[0], sizeof(b[0]), t->wall_ns),
			fmt_lat(b[9], sizeof(b[9]), row->self_ns,
				row->self_known),
			row->concurrency,
			fmt_lat(b[1], sizeof(b[1]), t->min_ns, pct),
			fmt_lat(b[2], sizeof(b[2]), row->mean_ns,
				timed && row->mean_known),
			fmt_lat(b[3], sizeof(b[3]), row->p50_ns, pct),
			fmt_lat(b[4], sizeof(b[4]), row->p95_ns, pct),
			fmt_lat(b[5], sizeof(b[5]), row->p99_ns, pct),
			fmt_lat(b[6], sizeof(b[6]), t->max_ns, timed),
			fmt_rate(b[7], sizeof(b[7]), row->calls_per_s),
			items ? fmt_rate(b[8], sizeof(b[8]), row->items_per_s) :
				"-");
		if (r->snap->nprocs)
			pt_table__proc_rows(f, w, r, i);
	}
	if (r->snap->nprocs)
		pt_table__procs(f, r);
	write_setup_notes(f, r);
	write_probe_notes(f, r);
	write_split_table(f, r);
	if (r->snap->mem)
		write_mem_table(f, r);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------ sink */

static int table_finish(struct pt_sink *s, const struct pt_report *r)
{
	return pt_report__write_table(s->f, r);
}

/* An interval's table, under the time it was taken. */
static int table_tick(struct pt_sink *s, const struct pt_report *r)
{
	time_t wall = time(NULL);
	char ts[32];

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&wall));
	fprintf(s->f, "\n--- %s\n", ts);
	return pt_report__write_table(s->f, r);
}

const struct pt_sink_format pt_sink_table = {
	.name = "table",
	.what = "the report table",
	.tick = table_tick,
	.finish = table_finish,
};
