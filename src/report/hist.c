// SPDX-License-Identifier: MIT
/* hist.c - see hist.h. */
#include <math.h>

#include "report/hist.h"

uint64_t pt_hist_bucket_low(uint32_t b)
{
	uint32_t e, sub;

	if (b < PT_HIST_SUB)
		return b;
	e = (b - PT_HIST_SUB) / PT_HIST_SUB + PT_HIST_SUB_BITS;
	sub = (b - PT_HIST_SUB) % PT_HIST_SUB;
	return (1ull << e) + ((uint64_t)sub << (e - PT_HIST_SUB_BITS));
}

uint64_t pt_hist_bucket_high(uint32_t b)
{
	if (b >= PT_HIST_BUCKETS - 1)
		return UINT64_MAX;
	return pt_hist_bucket_low(b + 1);
}

/* Bucket b's value as the percentiles read it: its midpoint in [min, max]. */
static uint64_t bucket_value(uint32_t b, uint64_t min, uint64_t max)
{
	uint64_t lo, hi, v = max;

	if (b < PT_HIST_BUCKETS - 1) {
		lo = pt_hist_bucket_low(b);
		hi = pt_hist_bucket_high(b);
		v = lo + (hi - lo - 1) / 2;
	}

	if (v < min)
		v = min;
	return v > max ? max : v;
}

uint64_t pt_hist_shortfall(const uint64_t *buckets, uint64_t min, uint64_t max,
			   uint64_t floor)
{
	uint64_t sum = 0, v;
	uint32_t b;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		if (!buckets[b])
			continue;
		v = bucket_value(b, min, max);
		if (v >= floor)
			break;
		sum += buckets[b] * (floor - v);
	}
	return sum;
}

uint64_t pt_hist_percentile(const uint64_t *buckets, uint64_t count, double p,
			    uint64_t min, uint64_t max)
{
	uint64_t rank, seen = 0;
	uint32_t b;

	if (count == 0)
		return 0;
	if (p <= 0)
		return min;
	if (p >= 100)
		return max;
	rank = (uint64_t)ceil(p / 100.0 * (double)count);
	if (rank < 1)
		rank = 1;
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		seen += buckets[b];
		if (seen >= rank)
			break;
	}
	return bucket_value(b, min, max);
}
