// SPDX-License-Identifier: MIT
/* report.c - see report.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/hist.h"
#include "report/pipeline.h"
#include "report/report.h"
#include "target/probesite.h"

/* ---------------------------------------------------------- time analysis */

uint64_t pt_sum_parts(const uint64_t part_ns[PT_PART_NR])
{
	uint64_t s = 0;
	int p;

	for (p = 0; p < PT_PART_NR; p++)
		s += part_ns[p];
	return s;
}

const struct pt_lost_name pt_lost_reasons[PT_LOST_NR] = {
	[PT_LOST_DEPTH] = { "depth", "nested too deep" },
	[PT_LOST_UNMATCHED] = { "unmatched", "unmatched" },
	[PT_LOST_THREADS_FULL] = { "threads_full", "untracked threads" },
	[PT_LOST_PAIRS_FULL] = { "pairs_full", "untracked thread-stage pairs" },
	[PT_LOST_ALLOCS_FULL] = { "allocs_full", "untracked blocks" },
	[PT_LOST_STACKS] = { "stacks", "stacks" },
	[PT_LOST_SAMPLES_FULL] = { "samples_full", "samples" },
	[PT_LOST_EVENTS] = { "events", "streamed events" },
	[PT_LOST_USAMPLES] = { "dwarf_samples", "dwarf samples" },
	[PT_LOST_UNWOUND] = { "unwound", "unwound past" },
	[PT_LOST_IO_CALLS] = { "io_calls", "libc I/O calls" },
	[PT_LOST_CUT_STACKS] = { "cut_stacks", "stacks cut short" },
};

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

/* The verdict with io_cpu_ns moved from part `from` to io. */
static const char *verdict_moved(const uint64_t part_ns[PT_PART_NR],
				 uint64_t io_cpu_ns, int from)
{
	uint64_t p[PT_PART_NR];

	memcpy(p, part_ns, sizeof(p));
	if (io_cpu_ns > p[from])
		io_cpu_ns = p[from];
	p[from] -= io_cpu_ns;
	p[PT_PART_IO] += io_cpu_ns;
	return pt_verdict(p);
}

const char *pt_verdict_io(const uint64_t part_ns[PT_PART_NR],
			  uint64_t io_cpu_ns)
{
	return verdict_moved(part_ns, io_cpu_ns, PT_PART_SYS);
}

const char *pt_verdict_light_io(const uint64_t part_ns[PT_PART_NR],
				uint64_t io_cpu_ns)
{
	return verdict_moved(part_ns, io_cpu_ns, PT_PART_USER);
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
		busy[j] += (double)pairs[i].work_ns;
	}
	for (j = 0; j < nt; j++)
		if (busy[j] > bmax)
			bmax = busy[j];
	for (k = 0; k < nstages; k++) {
		memset(cut, 0, nt * sizeof(*cut));
		for (i = 0; i < npairs; i++)
			if (pairs[i].stage == k)
				cut[idx[i]] += (double)pairs[i].work_ns / 2;
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

void pt_pairs__derive(struct pt_pair *pairs, size_t npairs,
		      const uint64_t *stage_self_ns,
		      const uint64_t *stage_work_ns, size_t n)
{
	uint64_t *wall = calloc(n ? n : 1, sizeof(*wall));
	size_t i;

	for (i = 0; i < npairs; i++) {
		pairs[i].self_ns = pairs[i].work_ns = 0;
		if (wall && pairs[i].stage < n)
			wall[pairs[i].stage] += pairs[i].wall_ns;
	}
	for (i = 0; wall && i < npairs; i++) {
		uint32_t k = pairs[i].stage;
		double share;

		if (k >= n || !wall[k])
			continue;
		share = (double)pairs[i].wall_ns / (double)wall[k];
		pairs[i].self_ns = (uint64_t)((double)stage_self_ns[k] * share);
		if (stage_work_ns)
			pairs[i].work_ns =
				(uint64_t)((double)stage_work_ns[k] * share);
	}
	free(wall);
}

/* The thread where stage k has most own work (0: none), and that thread's
 * own work in all stages. */
static uint32_t busiest_thread_of(const struct pt_report *r, uint32_t k,
				  uint64_t *tbusy)
{
	uint64_t most = 0;
	uint32_t tid = 0;
	size_t i;

	for (i = 0; i < r->npairs; i++)
		if (r->pairs[i].stage == k && r->pairs[i].work_ns >= most) {
			most = r->pairs[i].work_ns;
			tid = r->pairs[i].tid;
		}
	*tbusy = 0;
	for (i = 0; i < r->npairs; i++)
		if (r->pairs[i].tid == tid)
			*tbusy += r->pairs[i].work_ns;
	return tid;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Why the bottleneck row limits the pipeline, in one sentence: by own
 * times, which never add up past the thread's elapsed time. */
static void explain_bottleneck(struct pt_report *r)
{
	const struct pt_stage_report *row = &r->rows[r->bottleneck];
	bool threaded = false;
	uint64_t tbusy;
	char who[40];
	uint32_t tid;
	size_t i;

	for (i = 1; i < r->npairs; i++)
		if (r->pairs[i].tid != r->pairs[0].tid)
			threaded = true;
	tid = busiest_thread_of(r, (uint32_t)r->bottleneck, &tbusy);
	/* tid 0: exited threads beyond the rows kept, summed. */
	if (tid)
		snprintf(who, sizeof(who), "thread %u is", tid);
	else
		snprintf(who, sizeof(who), "exited threads (summed) are");
	if (threaded)
		snprintf(
			r->bottleneck_reason, sizeof(r->bottleneck_reason),
			"its %s at work in stages %.0f%% of the trace (own times less waits for a CPU, a lock or a pipe; verdict %s); a 2x faster %s saves %.1f%%",
			who, pct(tbusy, r->snap->duration_ns), row->verdict,
			row->stage->name, row->saves_pct);
	else
		snprintf(
			r->bottleneck_reason, sizeof(r->bottleneck_reason),
			"its own work is %.0f%% of the traced time (own time less waits for a CPU, a lock or a pipe; verdict %s); a 2x faster %s saves %.1f%%",
			pct(row->work_ns, r->snap->duration_ns), row->verdict,
			row->stage->name, row->saves_pct);
}

/* ------------------------------------------------------------------ build */

/* The order the probes' own cost is taken out of a stage's split: where
 * the probe ran (user first), then the run queue (a probe preempted), then
 * the waits. */
static const int bias_from[PT_PART_NR] = {
	PT_PART_USER, PT_PART_SYS,   PT_PART_RUNQ,  PT_PART_IO,
	PT_PART_LOCK, PT_PART_SLEEP, PT_PART_OTHER,
};

/* The stage's own time split, with the probes' own cost (what each call
 * had taken off, and that of nested stage calls, time.nest_ns, with their
 * mean's tail, time.nest_tail_ns) taken out of its on-CPU time (where the
 * probe ran), so that the parts add up to the stage's wall time. What its
 * on-CPU time cannot hold (a nested probe preempted, its calibrated cost
 * above this run's) comes out of its waits: the latency had it all taken
 * off, so the split has too, and a stage's time off CPU is never more
 * than its latency holds (test_nested's outer read on-CPU, its mean less
 * its time off CPU, below zero). */
/*
 * Own time never above wall time: own time is the wall time less the
 * nested stages'. The maps are read one after another while the target
 * runs, so a live read (-d, -i, a signal) can find a call's time in the
 * split and not yet in the wall (it ended between the two reads): that
 * excess is the read's, taken off every part in proportion (what
 * rounding leaves, in bias_from order), and kept in read_skew_ns.
 */
static void cap_to_wall(struct pt_stage_report *row)
{
	uint64_t self = pt_sum_parts(row->part_ns), over, left, take;
	int p, i;

	if (self <= row->tot->wall_ns || !row->tot->wall_ns)
		return; /* without wall (a fixture's, no call): nothing to cap */
	over = self - row->tot->wall_ns;
	left = over;
	for (p = 0; p < PT_PART_NR; p++) {
		take = (uint64_t)((double)row->part_ns[p] * (double)over /
				  (double)self);
		if (take > left)
			take = left;
		if (take > row->part_ns[p])
			take = row->part_ns[p];
		row->part_ns[p] -= take;
		left -= take;
	}
	for (i = 0; i < PT_PART_NR && left; i++) {
		p = bias_from[i];
		take = left < row->part_ns[p] ? left : row->part_ns[p];
		row->part_ns[p] -= take;
		left -= take;
	}
	row->read_skew_ns = over;
}

static void split_stage(struct pt_stage_report *row, bool light)
{
	uint64_t bias = row->tot->bias_ns + row->tot->time.nest_ns +
			row->tot->time.nest_tail_ns,
		 take;
	int p, i;

	memcpy(row->part_ns, row->tot->time.part_ns, sizeof(row->part_ns));
	for (i = 0; i < PT_PART_NR && bias; i++) {
		p = bias_from[i];
		take = bias < row->part_ns[p] ? bias : row->part_ns[p];
		row->part_ns[p] -= take;
		bias -= take;
	}
	cap_to_wall(row);
	row->self_ns = pt_sum_parts(row->part_ns);
	row->self_known =
		row->self_ns ||
		!pt_sum_parts((const uint64_t *)row->tot->time.part_ns);
	row->nested_probes_ns =
		row->tot->time.nest_ns + row->tot->time.nest_tail_ns;
	/* io_cpu is within sys (light: within the on-CPU time, all in
	 * user): what the bias took from there, from it too. */
	p = light ? PT_PART_USER : PT_PART_SYS;
	row->io_cpu_ns = row->tot->time.io_cpu_ns;
	if (row->io_cpu_ns > row->part_ns[p])
		row->io_cpu_ns = row->part_ns[p];
	row->verdict =
		light ? pt_verdict_light_io(row->part_ns, row->io_cpu_ns) :
			pt_verdict_io(row->part_ns, row->io_cpu_ns);
}

/* The report over snapshot s: the figures shown as they are stay there. */
static void report_init(struct pt_report *r, const struct pt_snapshot *s)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->snap = s;
	for (i = 0; i < PT_LOST_NR; i++)
		if (i != PT_LOST_CUT_STACKS) /* kept, only shorter */
			r->lost_total += s->lost[i];
	r->npairs = s->npairs;
}

/* Percentile pct of t's timed calls less shift, but not below their min. */
static uint64_t less_probe(const struct pt_totals *t, uint64_t timed,
			   double pct, uint64_t shift)
{
	uint64_t v =
		pt_hist_percentile(t->hist, timed, pct, t->min_ns, t->max_ns);

	return v > t->min_ns + shift ? v - shift : t->min_ns;
}

/* The mean of t's timed calls with rem more of the probes' cost taken off
 * each, none below min (the shortfall puts back what a call would lose
 * below it): a stage whose calls mostly cost less than the probe keeps the
 * mean of what they are known to have taken, not min for all. */
static uint64_t mean_less_probe(const struct pt_totals *t, uint64_t timed,
				uint64_t rem)
{
	uint64_t sum = t->lat_sum_ns + pt_hist_shortfall(t->hist, t->min_ns,
							 t->max_ns,
							 t->min_ns + rem);
	uint64_t take = rem * timed, mean;

	mean = sum > take ? (sum - take) / timed : 0;
	return mean > t->min_ns ? mean : t->min_ns;
}

/* Row i's latency and rate figures. */
static void build_row(struct pt_report *r, const struct pt_snapshot *s,
		      size_t i, double secs)
{
	struct pt_stage_report *row = &r->rows[i];
	const struct pt_totals *t = &s->totals[i];
	uint64_t timed, shift = 0;

	row->stage = &s->stages->v[i];
	row->tot = t;
	if (r->snap->calibrated) {
		row->bias_ns = pt_stage__bias(row->stage, r->snap->bias_ns);
		row->tail_ns = r->snap->tail_ns[row->stage->probe_class];
	}
	timed = pt_totals__timed(t);
	/* A call with a body never takes 0 ns: a 0 min is the probes' cost
	 * (its own calibrated least, its nested stages') taken off beyond
	 * what some call paid. */
	row->pct_known = !(!t->min_ns && (t->bias_ns || t->time.nest_ns));
	if (timed) {
		/* Each call had the least the probe ever cost taken off
		 * (bias_ns sums what was): none reads faster than it ran, and
		 * min is a floor. The percentiles have the rest of the
		 * probe's median off (shift), the mean its mean cost: median
		 * and tail, and its nested calls' tail; neither goes below
		 * min. */
		uint64_t raw = (t->lat_sum_ns + t->bias_ns) / timed;
		uint64_t cost =
			row->bias_ns + row->tail_ns + t->nest_tail_ns / timed;
		uint64_t done = t->bias_ns / timed;

		shift = row->bias_ns > done ? row->bias_ns - done : 0;
		row->mean_ns = cost > done ?
				       mean_less_probe(t, timed, cost - done) :
				       raw - cost;
		row->mean_known = row->mean_ns > 0;
		row->p50_ns = less_probe(t, timed, 50, shift);
		row->p95_ns = less_probe(t, timed, 95, shift);
		row->p99_ns = less_probe(t, timed, 99, shift);
	}
	if (secs > 0) {
		row->calls_per_s = (double)t->calls / secs;
		row->items_per_s = (double)t->items / secs;
		row->concurrency = (double)t->wall_ns / 1e9 / secs;
	}
	split_stage(row, r->snap->sys_light);
}

/* w, a stage's pipe waits, no more than its io: they are part of it, and
 * where the kernel's run-queue figure moved some of the stage's blocked
 * time to the run queue (sched.bpf.c's runq_time_fix()), the pipe waits
 * give up their share of it too. */
static void waits_within(uint64_t w[2], const uint64_t src[2], uint64_t io)
{
	uint64_t sum = src[0] + src[1];

	w[0] = src[0];
	w[1] = src[1];
	if (sum > io) {
		w[0] = (uint64_t)((double)src[0] * (double)io / (double)sum);
		w[1] = io - w[0];
	}
}

/* Each stage's pipe waits (and outside them), from the snapshot's
 * pipeline, where they were collected. */
static void pipe_waits(struct pt_report *r, const struct pt_snapshot *s)
{
	const struct pt_pipeline *pl = s->pipeline;
	size_t i;

	if (!pl || !pl->stage_wait_ns || pl->nstage_wait <= PT_MAX_STAGES)
		return;
	r->pipe_waits = true;
	for (i = 0; i < r->n && i < PT_MAX_STAGES; i++)
		waits_within(r->rows[i].pipe_wait_ns, pl->stage_wait_ns[i],
			     r->rows[i].part_ns[PT_PART_IO]);
	r->outside_pipe_wait_ns[0] = pl->stage_wait_ns[PT_MAX_STAGES][0];
	r->outside_pipe_wait_ns[1] = pl->stage_wait_ns[PT_MAX_STAGES][1];
}

/* A row's own work: its own time less what it waited for a CPU, a lock
 * and its pipes. */
static void row_work(struct pt_stage_report *row)
{
	uint64_t wait = row->part_ns[PT_PART_RUNQ] +
			row->part_ns[PT_PART_LOCK] + row->pipe_wait_ns[0] +
			row->pipe_wait_ns[1];

	row->work_ns = row->self_ns > wait ? row->self_ns - wait : 0;
}

/* Each stage's Amdahl saving and the bottleneck. 0 or -ENOMEM. */
static int find_bottleneck(struct pt_report *r)
{
	double *saves;
	size_t i;
	long b;

	r->bottleneck = -1;
	r->bottleneck_reason[0] = '\0';
	if (!r->n)
		return 0;
	saves = calloc(r->n, sizeof(*saves));
	if (!saves)
		return -ENOMEM;
	b = pt_amdahl(r->pairs, r->npairs, r->n, r->snap->duration_ns, saves);
	for (i = 0; i < r->n; i++)
		r->rows[i].saves_pct = saves[i];
	free(saves);
	if (b == -ENOMEM)
		return -ENOMEM;
	r->bottleneck = b;
	if (b >= 0)
		explain_bottleneck(r);
	return 0;
}

/* The report's own copy of the pairs, with their own times and work. 0 or
 * -ENOMEM. */
static int own_pairs(struct pt_report *r, const struct pt_snapshot *s)
{
	uint64_t *self = calloc(r->n ? r->n : 1, sizeof(*self));
	uint64_t *work = calloc(r->n ? r->n : 1, sizeof(*work));
	size_t i;
	int ret = 0;

	r->pairs = calloc(s->npairs ? s->npairs : 1, sizeof(*r->pairs));
	if (!self || !work || !r->pairs) {
		ret = -ENOMEM;
		goto out;
	}
	if (s->npairs)
		memcpy(r->pairs, s->pairs, s->npairs * sizeof(*r->pairs));
	for (i = 0; i < r->n; i++) {
		self[i] = r->rows[i].self_ns;
		work[i] = r->rows[i].work_ns;
	}
	pt_pairs__derive(r->pairs, r->npairs, self, work, r->n);
out:
	free(self);
	free(work);
	return ret;
}

int pt_report__build(struct pt_report *r, const struct pt_snapshot *s)
{
	double secs = (double)s->duration_ns / 1e9;
	size_t i, n = s->stages->n;

	report_init(r, s);
	r->rows = calloc(n ? n : 1, sizeof(*r->rows));
	if (!r->rows)
		return -ENOMEM;
	r->n = n;
	for (i = 0; i < n; i++)
		build_row(r, s, i, secs);
	pipe_waits(r, s);
	for (i = 0; i < n; i++)
		row_work(&r->rows[i]);
	if (own_pairs(r, s))
		return -ENOMEM;
	return find_bottleneck(r);
}

void pt_report__free(struct pt_report *r)
{
	free(r->rows);
	free(r->pairs);
	r->rows = NULL;
	r->pairs = NULL;
	r->n = 0;
	r->npairs = 0;
}

/* ------------------------------------------------------------- formatting */

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
