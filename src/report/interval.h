/* SPDX-License-Identifier: MIT */
/*
 * interval.h - one interval's own figures (-i SEC): a snapshot whose
 * counters are the differences between two cumulative snapshots, so that
 * its report shows what happened in the interval alone (calls/s, items/s,
 * latency percentiles from the histogram's difference, the time split),
 * not an average since attach.
 */
#ifndef PT_INTERVAL_H
#define PT_INTERVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/snapshot.h"

struct pt_interval {
	/* The previous snapshot's counters (copied); none before the first. */
	struct pt_totals *prev_totals;
	struct pt_thread_info *prev_threads;
	struct pt_pair *prev_pairs;
	size_t nstages, nthreads, npairs;
	uint64_t prev_duration_ns;
	uint64_t prev_lost[PT_LOST_NR];
	/* This interval's, which the snapshot pt_interval__next() fills
	 * points to (until the next call or pt_interval__free()). */
	struct pt_totals *totals;
	struct pt_thread_info *threads;
	struct pt_pair *pairs;
};

/*
 * Fills *out with the interval from the previous call's snapshot (or from
 * attach, the first time) to cur, cumulative, then keeps cur's counters for
 * the next call. out's latency extremes are exact when the interval set a
 * new one, else its histogram's bucket bounds (within 1/64). Memory and
 * stacks are not split into intervals (out has none). 0 or -ENOMEM.
 */
int pt_interval__next(struct pt_interval *iv, const struct pt_snapshot *cur,
		      struct pt_snapshot *out);
void pt_interval__free(struct pt_interval *iv);

#endif /* PT_INTERVAL_H */
