// SPDX-License-Identifier: MIT
/* interval.c - see interval.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/hist.h"
#include "report/interval.h"

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The interval's extremes: exact where it set a new one. */
static void interval_extremes(struct pt_totals *d, const struct pt_totals *c,
			      const struct pt_totals *p)
{
	uint32_t b, lo = PT_HIST_BUCKETS, hi = 0;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		if (!d->hist[b])
			continue;
		if (lo == PT_HIST_BUCKETS)
			lo = b;
		hi = b;
	}
	d->min_ns = d->max_ns = 0;
	if (lo == PT_HIST_BUCKETS)
		return;
	d->min_ns = !pt_totals__timed(p) || c->min_ns < p->min_ns ?
			    c->min_ns :
			    pt_hist_bucket_low(lo);
	d->max_ns = c->max_ns > p->max_ns ? c->max_ns :
					    pt_hist_bucket_high(hi) - 1;
	if (d->max_ns > c->max_ns)
		d->max_ns = c->max_ns;
	if (d->min_ns < c->min_ns)
		d->min_ns = c->min_ns;
}

/* d = c - p, one stage's counters. */
static void totals_delta(struct pt_totals *d, const struct pt_totals *c,
			 const struct pt_totals *p)
{
	uint32_t b;
	int k;

	d->calls = less(c->calls, p->calls);
	d->items = less(c->items, p->items);
	d->errors = less(c->errors, p->errors);
	d->wall_ns = less(c->wall_ns, p->wall_ns);
	d->lat_sum_ns = less(c->lat_sum_ns, p->lat_sum_ns);
	d->bias_ns = less(c->bias_ns, p->bias_ns);
	d->nest_tail_ns = less(c->nest_tail_ns, p->nest_tail_ns);
	d->setup_calls = less(c->setup_calls, p->setup_calls);
	d->setup_ns = less(c->setup_ns, p->setup_ns);
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		d->hist[b] = less(c->hist[b], p->hist[b]);
	for (k = 0; k < PT_PART_NR; k++)
		d->time.part_ns[k] =
			less(c->time.part_ns[k], p->time.part_ns[k]);
	d->time.io_syscalls = less(c->time.io_syscalls, p->time.io_syscalls);
	d->time.read_bytes = less(c->time.read_bytes, p->time.read_bytes);
	d->time.write_bytes = less(c->time.write_bytes, p->time.write_bytes);
	d->time.fsyncs = less(c->time.fsyncs, p->time.fsyncs);
	d->time.vol_switches = less(c->time.vol_switches, p->time.vol_switches);
	d->time.invol_switches =
		less(c->time.invol_switches, p->time.invol_switches);
	d->time.io_cpu_ns = less(c->time.io_cpu_ns, p->time.io_cpu_ns);
	d->time.nest_ns = less(c->time.nest_ns, p->time.nest_ns);
	d->time.nest_tail_ns = less(c->time.nest_tail_ns, p->time.nest_tail_ns);
	interval_extremes(d, c, p);
}

static const struct pt_thread_info *prev_thread(const struct pt_interval *iv,
						uint32_t tid)
{
	size_t i;

	for (i = 0; i < iv->nthreads; i++)
		if (iv->prev_threads[i].tid == tid)
			return &iv->prev_threads[i];
	return NULL;
}

static const struct pt_pair *prev_pair(const struct pt_interval *iv,
				       const struct pt_pair *c)
{
	size_t i;

	for (i = 0; i < iv->npairs; i++)
		if (iv->prev_pairs[i].tid == c->tid &&
		    iv->prev_pairs[i].stage == c->stage)
			return &iv->prev_pairs[i];
	return NULL;
}

/* This interval's thread times and pairs. */
static void threads_delta(struct pt_interval *iv, const struct pt_snapshot *c)
{
	const struct pt_thread_info *p;
	const struct pt_pair *pp;
	size_t i;
	int k;

	for (i = 0; i < c->nthreads; i++) {
		iv->threads[i] = c->threads[i];
		p = prev_thread(iv, c->threads[i].tid);
		for (k = 0; p && k < PT_PART_NR; k++) {
			iv->threads[i].busy_ns[k] =
				less(c->threads[i].busy_ns[k], p->busy_ns[k]);
			iv->threads[i].idle_ns[k] =
				less(c->threads[i].idle_ns[k], p->idle_ns[k]);
		}
	}
	for (i = 0; i < c->npairs; i++) {
		iv->pairs[i] = c->pairs[i];
		pp = prev_pair(iv, &c->pairs[i]);
		if (pp)
			iv->pairs[i].wall_ns =
				less(c->pairs[i].wall_ns, pp->wall_ns);
	}
}

/* Allocates this interval's arrays (at least one element each). */
static int alloc_current(struct pt_interval *iv, const struct pt_snapshot *c)
{
	free(iv->totals);
	free(iv->threads);
	free(iv->pairs);
	iv->totals = calloc(c->stages->n + 1, sizeof(*iv->totals));
	iv->threads = calloc(c->nthreads + 1, sizeof(*iv->threads));
	iv->pairs = calloc(c->npairs + 1, sizeof(*iv->pairs));
	return iv->totals && iv->threads && iv->pairs ? 0 : -ENOMEM;
}

/* Keeps c's counters as the next interval's start. */
static int keep(struct pt_interval *iv, const struct pt_snapshot *c)
{
	size_t n = c->stages->n;

	free(iv->prev_totals);
	free(iv->prev_threads);
	free(iv->prev_pairs);
	iv->prev_totals = calloc(n + 1, sizeof(*iv->prev_totals));
	iv->prev_threads = calloc(c->nthreads + 1, sizeof(*iv->prev_threads));
	iv->prev_pairs = calloc(c->npairs + 1, sizeof(*iv->prev_pairs));
	iv->nstages = iv->nthreads = iv->npairs = 0;
	if (!iv->prev_totals || !iv->prev_threads || !iv->prev_pairs)
		return -ENOMEM;
	memcpy(iv->prev_totals, c->totals, n * sizeof(*c->totals));
	if (c->nthreads)
		memcpy(iv->prev_threads, c->threads,
		       c->nthreads * sizeof(*c->threads));
	if (c->npairs)
		memcpy(iv->prev_pairs, c->pairs, c->npairs * sizeof(*c->pairs));
	iv->nstages = n;
	iv->nthreads = c->nthreads;
	iv->npairs = c->npairs;
	iv->prev_duration_ns = c->duration_ns;
	memcpy(iv->prev_lost, c->lost, sizeof(iv->prev_lost));
	return 0;
}

int pt_interval__next(struct pt_interval *iv, const struct pt_snapshot *cur,
		      struct pt_snapshot *out)
{
	static const struct pt_totals none;
	size_t i;

	if (alloc_current(iv, cur))
		return -ENOMEM;
	for (i = 0; i < cur->stages->n; i++)
		totals_delta(&iv->totals[i], &cur->totals[i],
			     i < iv->nstages ? &iv->prev_totals[i] : &none);
	threads_delta(iv, cur);
	*out = *cur;
	out->totals = iv->totals;
	out->threads = iv->threads;
	out->pairs = iv->pairs;
	out->interval = true;
	out->final = false;
	out->since_ns = iv->prev_duration_ns;
	out->duration_ns = less(cur->duration_ns, iv->prev_duration_ns);
	for (i = 0; i < PT_LOST_NR; i++)
		out->lost[i] = less(cur->lost[i], iv->prev_lost[i]);
	out->mem = NULL;
	out->oncpu = out->offcpu = NULL;
	/* Per-process counts are cumulative: not shown for an interval. */
	out->proc_stages = NULL;
	out->nproc_stages = 0;
	return keep(iv, cur);
}

void pt_interval__free(struct pt_interval *iv)
{
	free(iv->prev_totals);
	free(iv->prev_threads);
	free(iv->prev_pairs);
	free(iv->totals);
	free(iv->threads);
	free(iv->pairs);
	memset(iv, 0, sizeof(*iv));
}
