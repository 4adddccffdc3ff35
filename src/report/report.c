// SPDX-License-Identifier: MIT
/* report.c - see report.h. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json.h>

#include "report/hist.h"
#include "report/report.h"

static const char *const lost_names[PT_LOST_NR] = {
	[PT_LOST_DEPTH] = "depth",
	[PT_LOST_UNMATCHED] = "unmatched",
	[PT_LOST_THREADS_FULL] = "threads_full",
	[PT_LOST_PAIRS_FULL] = "pairs_full",
	[PT_LOST_ALLOCS_FULL] = "allocs_full",
	[PT_LOST_STACKS] = "stacks",
	[PT_LOST_SAMPLES_FULL] = "samples_full",
	[PT_LOST_EVENTS] = "events",
};

/* JSON names of the parts, in enum pt_part order. */
static const char *const part_names[PT_PART_NR] = {
	[PT_PART_USER] = "user",   [PT_PART_SYS] = "sys",
	[PT_PART_IO] = "io",	   [PT_PART_LOCK] = "lock",
	[PT_PART_SLEEP] = "sleep", [PT_PART_RUNQ] = "runqueue",
	[PT_PART_OTHER] = "other",
};

/* ---------------------------------------------------------- time analysis */

static uint64_t sum_parts(const uint64_t part_ns[PT_PART_NR])
{
	uint64_t s = 0;
	int p;

	for (p = 0; p < PT_PART_NR; p++)
		s += part_ns[p];
	return s;
}

const char *pt_verdict(const uint64_t part_ns[PT_PART_NR])
{
	static const struct {
		const char *name;
		int a, b; /* parts summed; b < 0 for one */
	} verdicts[] = {
		{ "cpu", PT_PART_USER, PT_PART_SYS },
		{ "io", PT_PART_IO, -1 },
		{ "lock", PT_PART_LOCK, -1 },
		{ "sleep", PT_PART_SLEEP, -1 },
		{ "runqueue", PT_PART_RUNQ, -1 },
	};
	uint64_t total = 0, v;
	size_t i;
	int p;

	for (p = 0; p < PT_PART_NR; p++)
		total += part_ns[p];
	if (total == 0)
		return "idle";
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		v = part_ns[verdicts[i].a];
		if (verdicts[i].b >= 0)
			v += part_ns[verdicts[i].b];
		/* v / total >= 0.6, in integers */
		if (v * 5 >= total * 3)
			return verdicts[i].name;
	}
	return "mixed";
}

long pt_amdahl(const struct pt_pair *pairs, size_t npairs, size_t nstages,
	       uint64_t elapsed_ns, double *saves_pct)
{
	uint32_t *tids = calloc(npairs + 1, sizeof(*tids));
	size_t *idx = calloc(npairs + 1, sizeof(*idx));
	double *busy = calloc(npairs + 1, sizeof(*busy));
	double *cut = calloc(npairs + 1, sizeof(*cut));
	double bmax = 0, newmax, best_saved = 0, saved;
	size_t nt = 0, i, j, k;
	long best = -1;

	if (!tids || !idx || !busy || !cut) {
		best = -ENOMEM;
		goto out;
	}
	for (i = 0; i < npairs; i++) {
		for (j = 0; j < nt && tids[j] != pairs[i].tid; j++)
			;
		if (j == nt)
			tids[nt++] = pairs[i].tid;
		idx[i] = j;
		busy[j] += (double)pairs[i].wall_ns;
	}
	for (j = 0; j < nt; j++)
		if (busy[j] > bmax)
			bmax = busy[j];
	for (k = 0; k < nstages; k++) {
		memset(cut, 0, nt * sizeof(*cut));
		for (i = 0; i < npairs; i++)
			if (pairs[i].stage == k)
				cut[idx[i]] += (double)pairs[i].wall_ns / 2;
		newmax = 0;
		for (j = 0; j < nt; j++)
			if (busy[j] - cut[j] > newmax)
				newmax = busy[j] - cut[j];
		saved = bmax - newmax;
		saves_pct[k] = elapsed_ns ? saved / (double)elapsed_ns * 100 :
					    0;
		if (saved > best_saved) {
			best_saved = saved;
			best = (long)k;
		}
	}
out:
	free(tids);
	free(idx);
	free(busy);
	free(cut);
	return best;
}

/* Why row b limits the pipeline, in one sentence. */
static void explain_bottleneck(struct pt_report *r)
{
	const struct pt_stage_report *row = &r->rows[r->bottleneck];
	uint32_t tid = 0, first = 0;
	uint64_t most = 0, tbusy = 0;
	bool threaded = false;
	size_t i;

	for (i = 0; i < r->npairs; i++) {
		if (i == 0)
			first = r->pairs[i].tid;
		else if (r->pairs[i].tid != first)
			threaded = true;
		if (r->pairs[i].stage == (uint32_t)r->bottleneck &&
		    r->pairs[i].wall_ns > most) {
			most = r->pairs[i].wall_ns;
			tid = r->pairs[i].tid;
		}
	}
	if (threaded) {
		for (i = 0; i < r->npairs; i++)
			if (r->pairs[i].tid == tid)
				tbusy += r->pairs[i].wall_ns;
		snprintf(
			r->bottleneck_reason, sizeof(r->bottleneck_reason),
			"its thread %u is in stages %.0f%% of the trace (verdict %s); a 2x faster %s saves %.1f%%",
			tid,
			r->duration_ns ?
				100.0 * (double)tbusy / (double)r->duration_ns :
				0.0,
			row->verdict, row->stage->name, row->saves_pct);
	} else {
		snprintf(
			r->bottleneck_reason, sizeof(r->bottleneck_reason),
			"it takes %.0f%% of the traced time (verdict %s); a 2x faster %s saves %.1f%%",
			r->duration_ns ? 100.0 * (double)row->tot->wall_ns /
						 (double)r->duration_ns :
					 0.0,
			row->verdict, row->stage->name, row->saves_pct);
	}
}

/* ------------------------------------------------------------------ build */

/* The stage's own time split, with the probes' own cost taken out of its
 * on-CPU time (where the probe ran), user first. */
static void split_stage(struct pt_stage_report *row)
{
	uint64_t bias = row->tot->bias_ns, take;
	int p;

	memcpy(row->part_ns, row->tot->time.part_ns, sizeof(row->part_ns));
	take = bias < row->part_ns[PT_PART_USER] ? bias :
						   row->part_ns[PT_PART_USER];
	row->part_ns[PT_PART_USER] -= take;
	bias -= take;
	take = bias < row->part_ns[PT_PART_SYS] ? bias :
						  row->part_ns[PT_PART_SYS];
	row->part_ns[PT_PART_SYS] -= take;
	row->self_ns = 0;
	for (p = 0; p < PT_PART_NR; p++)
		row->self_ns += row->part_ns[p];
	row->verdict = pt_verdict(row->part_ns);
}

int pt_report__build(struct pt_report *r, const struct pt_stage_set *stages,
		     const struct pt_totals *totals, uint64_t duration_ns)
{
	double secs = (double)duration_ns / 1e9;
	size_t i;

	r->rows = calloc(stages->n ? stages->n : 1, sizeof(*r->rows));
	if (!r->rows)
		return -ENOMEM;
	r->n = stages->n;
	r->duration_ns = duration_ns;
	r->lost_total = 0;
	for (i = 0; i < PT_LOST_NR; i++)
		r->lost_total += r->lost[i];
	for (i = 0; i < stages->n; i++) {
		struct pt_stage_report *row = &r->rows[i];
		const struct pt_totals *t = &totals[i];
		uint64_t timed;

		row->stage = &stages->v[i];
		row->tot = t;
		if (r->calibrated) {
			row->bias_ns = r->bias_ns[row->stage->probe_class];
			row->tail_ns = r->tail_ns[row->stage->probe_class];
		}
		timed = pt_totals__timed(t);
		if (timed) {
			/* Each call had the probe's median cost taken off,
			 * but no more than its whole latency (bias_ns sums
			 * what was). The mean is the measured one less the
			 * probe's mean cost: median and tail. */
			uint64_t raw = (t->lat_sum_ns + t->bias_ns) / timed;
			uint64_t cost = row->bias_ns + row->tail_ns;

			row->mean_ns = raw > t->min_ns + cost ? raw - cost :
								t->min_ns;
			row->p50_ns = pt_hist_percentile(t->hist, timed, 50,
							 t->min_ns, t->max_ns);
			row->p95_ns = pt_hist_percentile(t->hist, timed, 95,
							 t->min_ns, t->max_ns);
			row->p99_ns = pt_hist_percentile(t->hist, timed, 99,
							 t->min_ns, t->max_ns);
		}
		if (secs > 0) {
			row->calls_per_s = (double)t->calls / secs;
			row->items_per_s = (double)t->items / secs;
			row->concurrency = (double)t->wall_ns / 1e9 / secs;
		}
		split_stage(row);
	}
	r->bottleneck = -1;
	r->bottleneck_reason[0] = '\0';
	if (r->n) {
		double *saves = calloc(r->n, sizeof(*saves));
		long b;

		if (!saves)
			return -ENOMEM;
		b = pt_amdahl(r->pairs, r->npairs, r->n, duration_ns, saves);
		for (i = 0; i < r->n; i++)
			r->rows[i].saves_pct = saves[i];
		free(saves);
		if (b == -ENOMEM)
			return -ENOMEM;
		r->bottleneck = b;
		if (b >= 0)
			explain_bottleneck(r);
	}
	return 0;
}

void pt_report__free(struct pt_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

/* ------------------------------------------------------------------ table */

const char *pt_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

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
 * is not the main executable's (the first stage's object). */
static void stage_label(char *buf, size_t len, const struct pt_report *r,
			const struct pt_stage *s)
{
	const char *base = strrchr(s->object, '/');

	if (r->n && strcmp(s->object, r->rows[0].stage->object))
		snprintf(buf, len, "%s:%s", base ? base + 1 : s->object,
			 s->name);
	else
		snprintf(buf, len, "%s", s->name);
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
	uint64_t total = sum_parts(part_ns);
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

/* The time split per stage and per thread, and the bottleneck. */
static void write_split_table(FILE *f, const struct pt_report *r)
{
	char bar[BAR_WIDTH + 1], label[64], b[32];
	size_t i;

	fprintf(f, "\n%-24s %9s %5s %5s %5s %5s %5s %5s %5s  %-*s %-8s %8s\n",
		"STAGE", "OWN TIME", "CPU%", "SYS%", "IO%", "LOCK%", "SLP%",
		"RUNQ%", "OTH%", BAR_WIDTH, "SPLIT", "VERDICT", "2x SAVES");
	for (i = 0; i < r->n; i++) {
		const struct pt_stage_report *row = &r->rows[i];
		const uint64_t *p = row->part_ns;
		uint64_t t = row->self_ns;

		stage_label(label, sizeof(label), r, row->stage);
		split_bar(bar, p);
		fprintf(f,
			"%-24s %9s %5.1f %5.1f %5.1f %5.1f %5.1f %5.1f %5.1f  %s %-8s %7.1f%%\n",
			label, pt_fmt_ns(b, sizeof(b), t),
			pct_of(p[PT_PART_USER] + p[PT_PART_SYS], t),
			pct_of(p[PT_PART_SYS], t), pct_of(p[PT_PART_IO], t),
			pct_of(p[PT_PART_LOCK], t), pct_of(p[PT_PART_SLEEP], t),
			pct_of(p[PT_PART_RUNQ], t), pct_of(p[PT_PART_OTHER], t),
			bar, row->verdict, row->saves_pct);
	}
	fprintf(f,
		"split: u user, s sys, I io, L lock, S sleep, R run queue, o other\n");
	if (r->nthreads) {
		fprintf(f, "\n%-8s %-16s %6s   %-6s %5s %5s %5s %5s %5s %5s\n",
			"TID", "THREAD", "BUSY%", "IDLE:", "CPU%", "IO%",
			"LOCK%", "SLP%", "RUNQ%", "OTH%");
		for (i = 0; i < r->nthreads; i++) {
			const struct pt_thread_info *th = &r->threads[i];
			const uint64_t *p = th->idle_ns;
			uint64_t busy = sum_parts(th->busy_ns);
			uint64_t all = busy + sum_parts(p);

			fprintf(f,
				"%-8u %-16s %6.1f   %-6s %5.1f %5.1f %5.1f %5.1f %5.1f %5.1f\n",
				th->tid, th->comm, pct_of(busy, all), "",
				pct_of(p[PT_PART_USER] + p[PT_PART_SYS], all),
				pct_of(p[PT_PART_IO], all),
				pct_of(p[PT_PART_LOCK], all),
				pct_of(p[PT_PART_SLEEP], all),
				pct_of(p[PT_PART_RUNQ], all),
				pct_of(p[PT_PART_OTHER], all));
		}
	}
	if (r->bottleneck >= 0)
		fprintf(f, "\nbottleneck: %s: %s\n",
			r->rows[r->bottleneck].stage->name,
			r->bottleneck_reason);
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
static void mem_line(FILE *f, const char *label, const struct pt_mem_row *m)
{
	char b[6][32];

	fprintf(f, "%-24s %9llu %9s %9llu %9s %9s %9s %9s %8llu\n", label,
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
	char label[64], b[3][32];
	size_t i, k;

	fprintf(f, "\nmemory");
	if (r->alloc_sample > 1)
		fprintf(f, " (1 allocation in %u recorded, counts scaled)",
			r->alloc_sample);
	if (r->alloc_min)
		fprintf(f, " (allocations under %llu bytes ignored)",
			(unsigned long long)r->alloc_min);
	fprintf(f,
		": live = allocated here and freed nowhere yet; handed = freed by a later stage\n");
	fprintf(f, "%-24s %9s %9s %9s %9s %9s %9s %9s %8s\n", "STAGE", "ALLOCS",
		"BYTES", "FREES", "FREED", "HANDED", "LIVE", "PEAK", "FAULTS");
	for (i = 0; i < r->n; i++) {
		stage_label(label, sizeof(label), r, r->rows[i].stage);
		mem_line(f, label, &r->mem[i]);
	}
	mem_line(f, "[no stage]", &r->mem[r->n]);
	for (i = 0; i <= r->n; i++) {
		const struct pt_mem_row *m = &r->mem[i];

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
		fmt_bytes(b[0], sizeof(b[0]), r->rss.start),
		fmt_bytes(b[1], sizeof(b[1]), r->rss.end),
		r->rss.end_known ? "" : " (not seen)",
		fmt_bytes(b[2], sizeof(b[2]), r->rss.peak));
}

/* A line per stage with calls that carried the kernel's one-time uprobe
 * setup: they are in CALLS, not in the latency columns. */
static void write_setup_notes(FILE *f, const struct pt_report *r)
{
	char b[32];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct pt_totals *t = r->rows[i].tot;

		if (!t->setup_calls)
			continue;
		fprintf(f,
			"  %s: %llu call%s carried the kernel's one-time uprobe setup in the process (%s) and %s left out of its latency figures\n",
			r->rows[i].stage->name,
			(unsigned long long)t->setup_calls,
			t->setup_calls == 1 ? "" : "s",
			pt_fmt_ns(b, sizeof(b), t->setup_ns),
			t->setup_calls == 1 ? "is" : "are");
	}
}

int pt_report__write_table(FILE *f, const struct pt_report *r)
{
	char b[9][32], label[64];
	size_t i;

	fprintf(f, "PID %d (%s): traced %s, %zu stage%s, %llu lost event%s",
		r->pid, r->command ? r->command : "?",
		pt_fmt_ns(b[0], sizeof(b[0]), r->duration_ns), r->n,
		r->n == 1 ? "" : "s", (unsigned long long)r->lost_total,
		r->lost_total == 1 ? "" : "s");
	if (r->calibrated) {
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
				pt_fmt_ns(b[1], sizeof(b[1]), r->bias_ns[c]),
				pt_fmt_ns(b[2], sizeof(b[2]), r->tail_ns[c]));
			sep = ",";
		}
	} else {
		fputs(", probe cost not subtracted", f);
	}
	fputs("\n", f);
	if (r->lost_total)
		fprintf(f,
			"lost: %llu nested too deep, %llu unmatched, %llu untracked threads, %llu untracked thread-stage pairs, %llu untracked blocks, %llu stacks, %llu samples, %llu streamed events\n",
			(unsigned long long)r->lost[PT_LOST_DEPTH],
			(unsigned long long)r->lost[PT_LOST_UNMATCHED],
			(unsigned long long)r->lost[PT_LOST_THREADS_FULL],
			(unsigned long long)r->lost[PT_LOST_PAIRS_FULL],
			(unsigned long long)r->lost[PT_LOST_ALLOCS_FULL],
			(unsigned long long)r->lost[PT_LOST_STACKS],
			(unsigned long long)r->lost[PT_LOST_SAMPLES_FULL],
			(unsigned long long)r->lost[PT_LOST_EVENTS]);
	fprintf(f, "%-24s %9s %10s %9s %5s %8s %8s %8s %8s %8s %8s %8s %8s\n",
		"STAGE", "CALLS", "ITEMS", "WALL", "CONC", "MIN", "MEAN", "P50",
		"P95", "P99", "MAX", "CALLS/s", "ITEMS/s");
	for (i = 0; i < r->n; i++) {
		const struct pt_stage_report *row = &r->rows[i];
		const struct pt_totals *t = row->tot;
		bool items = row->stage->items != PT_ITEMS_NONE;
		char items_s[24];

		stage_label(label, sizeof(label), r, row->stage);
		if (items)
			snprintf(items_s, sizeof(items_s), "%llu",
				 (unsigned long long)t->items);
		else
			snprintf(items_s, sizeof(items_s), "-");
		fprintf(f,
			"%-24s %9llu %10s %9s %5.2f %8s %8s %8s %8s %8s %8s %8s %8s\n",
			label, (unsigned long long)t->calls, items_s,
			pt_fmt_ns(b[0], sizeof(b[0]), t->wall_ns),
			row->concurrency,
			pt_fmt_ns(b[1], sizeof(b[1]), t->min_ns),
			pt_fmt_ns(b[2], sizeof(b[2]), row->mean_ns),
			pt_fmt_ns(b[3], sizeof(b[3]), row->p50_ns),
			pt_fmt_ns(b[4], sizeof(b[4]), row->p95_ns),
			pt_fmt_ns(b[5], sizeof(b[5]), row->p99_ns),
			pt_fmt_ns(b[6], sizeof(b[6]), t->max_ns),
			fmt_rate(b[7], sizeof(b[7]), row->calls_per_s),
			items ? fmt_rate(b[8], sizeof(b[8]), row->items_per_s) :
				"-");
	}
	write_setup_notes(f, r);
	write_split_table(f, r);
	if (r->mem)
		write_mem_table(f, r);
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------- JSON */

static json_object *juint(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* Adds key: value to obj, taking value; returns -ENOMEM if value is NULL. */
static int jadd(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, key, value)) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* {"on_cpu":..,"user":..,"sys":..,"io":..,...} of a split. */
static json_object *split_json(const uint64_t part_ns[PT_PART_NR])
{
	json_object *o = json_object_new_object();
	int p, ret;

	if (!o)
		return NULL;
	ret = jadd(o, "on_cpu",
		   juint(part_ns[PT_PART_USER] + part_ns[PT_PART_SYS]));
	for (p = 0; p < PT_PART_NR; p++)
		ret |= jadd(o, part_names[p], juint(part_ns[p]));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *thread_json(const struct pt_thread_info *th)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "tid", juint(th->tid));
	ret |= jadd(o, "comm", json_object_new_string(th->comm));
	ret |= jadd(o, "exited", json_object_new_boolean(th->exited));
	ret |= jadd(o, "busy_ns", juint(sum_parts(th->busy_ns)));
	ret |= jadd(o, "idle_ns", juint(sum_parts(th->idle_ns)));
	ret |= jadd(o, "busy", split_json(th->busy_ns));
	ret |= jadd(o, "idle", split_json(th->idle_ns));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* "alloc":{...} of one memory row. */
static json_object *mem_json(const struct pt_mem_row *m)
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
	ret |= jadd(o, "syscalls", vm);
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

static json_object *stage_json(const struct pt_stage_report *row,
			       const struct pt_mem_row *mem)
{
	const struct pt_totals *t = row->tot;
	bool items = row->stage->items != PT_ITEMS_NONE;
	json_object *o = json_object_new_object(), *lat, *io, *cs;
	int ret = 0;

	if (!o)
		return NULL;
	lat = json_object_new_object();
	ret |= jadd(o, "name", json_object_new_string(row->stage->name));
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
		ret |= jadd(lat, "min", juint(t->min_ns));
		ret |= jadd(lat, "mean", juint(row->mean_ns));
		ret |= jadd(lat, "p50", juint(row->p50_ns));
		ret |= jadd(lat, "p95", juint(row->p95_ns));
		ret |= jadd(lat, "p99", juint(row->p99_ns));
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
	ret |= jadd(o, "probe_bias_ns", juint(row->bias_ns));
	ret |= jadd(o, "probe_tail_ns", juint(row->tail_ns));
	ret |= jadd(o, "self_ns", juint(row->self_ns));
	ret |= jadd(o, "breakdown_ns", split_json(row->part_ns));
	ret |= jadd(o, "verdict", json_object_new_string(row->verdict));
	io = json_object_new_object();
	if (io) {
		ret |= jadd(io, "syscalls", juint(t->time.io_syscalls));
		ret |= jadd(io, "read_bytes", juint(t->time.read_bytes));
		ret |= jadd(io, "write_bytes", juint(t->time.write_bytes));
		ret |= jadd(io, "fsyncs", juint(t->time.fsyncs));
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
		ret |= jadd(o, "alloc", mem_json(mem));
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
	ret |= jadd(o, "pid", json_object_new_int(r->pid));
	ret |= jadd(o, "command",
		    json_object_new_string(r->command ? r->command : ""));
	ret |= jadd(o, "duration_ns", juint(r->duration_ns));
	ret |= jadd(o, "lost_events", juint(r->lost_total));
	lost = json_object_new_object();
	for (i = 0; lost && i < PT_LOST_NR; i++)
		ret |= jadd(lost, lost_names[i], juint(r->lost[i]));
	ret |= jadd(o, "lost", lost);
	ret |= jadd(o, "calls_in_flight_at_attach", juint(r->inflight_exits));
	if (r->calibrated) {
		json_object *cal = json_object_new_object();
		int c;

		for (c = 0; cal && c < PT_PROBE_NR; c++)
			ret |= jadd(
				cal,
				pt_probe_class__name((enum pt_probe_class)c),
				juint(r->bias_ns[c]));
		ret |= jadd(o, "calibration_ns", cal);
	} else {
		ret |= json_object_object_add(o, "calibration_ns", NULL);
	}
	stages = json_object_new_array();
	for (i = 0; stages && i < r->n; i++) {
		json_object *s =
			stage_json(&r->rows[i], r->mem ? &r->mem[i] : NULL);

		if (!s || json_object_array_add(stages, s)) {
			json_object_put(s);
			ret = -ENOMEM;
			break;
		}
	}
	ret |= jadd(o, "stages", stages);
	threads = json_object_new_array();
	for (i = 0; threads && i < r->nthreads; i++) {
		json_object *t = thread_json(&r->threads[i]);

		if (!t || json_object_array_add(threads, t)) {
			json_object_put(t);
			ret = -ENOMEM;
			break;
		}
	}
	ret |= jadd(o, "threads", threads);
	if (r->mem) {
		json_object *a = json_object_new_object(), *rss;

		if (a) {
			ret |= jadd(a, "sample", juint(r->alloc_sample));
			ret |= jadd(a, "min_bytes", juint(r->alloc_min));
			ret |= jadd(a, "outside_stages",
				    mem_json(&r->mem[r->n]));
			ret |= jadd(a, "outside_stages_page_faults",
				    juint(r->mem[r->n].page_faults));
		}
		ret |= jadd(o, "alloc", a);
		rss = json_object_new_object();
		if (rss) {
			ret |= jadd(rss, "start", juint(r->rss.start));
			if (r->rss.end_known)
				ret |= jadd(rss, "end", juint(r->rss.end));
			else
				ret |= json_object_object_add(rss, "end", NULL);
			ret |= jadd(rss, "peak", juint(r->rss.peak));
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

/* -------------------------------------------------------------- exporters */

static const struct pt_exporter exporters[] = {
	{ "table", pt_report__write_table },
	{ "json", pt_report__write_json },
};

const struct pt_exporter *pt_exporter__find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++)
		if (!strcmp(exporters[i].name, name))
			return &exporters[i];
	return NULL;
}

int pt_report__save(const char *path, const struct pt_exporter *ex,
		    const struct pt_report *r)
{
	char *tmp, *dir_copy;
	FILE *f;
	int fd, ret;

	dir_copy = strdup(path);
	if (!dir_copy)
		return -ENOMEM;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir_copy),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		free(dir_copy);
		return -ENOMEM;
	}
	free(dir_copy);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	/* mkstemp makes 0600; a report is as readable as any output file. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = ex->write(f, r);
	if (fflush(f) || fsync(fileno(f)))
		ret = ret ? ret : -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		goto fail;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return ret;
}
