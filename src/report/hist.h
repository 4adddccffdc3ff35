/* SPDX-License-Identifier: MIT */
/*
 * hist.h - reading the kernel's log-linear latency histograms.
 *
 * Bucketing itself (pt_hist_bucket) is in pipetrace_abi.h, shared with BPF.
 * Here: bucket bounds and percentiles. A percentile is the nearest-rank
 * value's bucket midpoint, clamped to the exact [min, max]: within 1/128 of
 * the true nearest-rank value.
 */
#ifndef PT_HIST_H
#define PT_HIST_H

#include <stdint.h>
#include "pipetrace_abi.h"

/* Smallest value in bucket b. */
uint64_t pt_hist_bucket_low(uint32_t b);
/* One past the largest value in bucket b (UINT64_MAX for the last one). */
uint64_t pt_hist_bucket_high(uint32_t b);

/*
 * Nearest-rank p-th percentile (0 < p <= 100) of the `count` values in
 * buckets[PT_HIST_BUCKETS] whose exact extremes are min and max.
 * Returns 0 when count is 0.
 */
uint64_t pt_hist_percentile(const uint64_t *buckets, uint64_t count, double p,
			    uint64_t min, uint64_t max);

/*
 * What the values in buckets[PT_HIST_BUCKETS] (exact extremes min and max)
 * fall short of floor, summed: each value read as its bucket's midpoint,
 * clamped to [min, max], as pt_hist_percentile() reads it. Taking an amount
 * off every value, none below min: the sum less the amount times the count,
 * plus this shortfall below min + the amount.
 */
uint64_t pt_hist_shortfall(const uint64_t *buckets, uint64_t min, uint64_t max,
			   uint64_t floor);

#endif /* PT_HIST_H */
