// SPDX-License-Identifier: MIT
/* test_hist.c - log-linear histogram bucketing and percentiles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/hist.h"

/* ------------------------------------------------------------------ helpers */

/* xorshift64*: deterministic samples without libc's rand(). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static double uniform01(uint64_t *s)
{
	return (double)(next_rand(s) >> 11) / (double)(1ull << 53);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static uint64_t exact_percentile(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

/* Fills a histogram from v[n]; asserts each percentile within bound. */
static void check_distribution(uint64_t *v, size_t n)
{
	static const double ps[] = { 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9 };
	uint64_t *h = calloc(PT_HIST_BUCKETS, sizeof(*h));
	uint64_t min = UINT64_MAX, max = 0;
	size_t i;

	assert_non_null(h);
	for (i = 0; i < n; i++) {
		h[pt_hist_bucket(v[i])]++;
		if (v[i] < min)
			min = v[i];
		if (v[i] > max)
			max = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact_percentile(v, n, ps[i]);
		uint64_t got = pt_hist_percentile(h, n, ps[i], min, max);
		double rel = fabs((double)got - (double)want) / (double)want;

		if (rel > 1.0 / 128 + 1e-12)
			fail_msg("p%.1f: got %llu want %llu (rel err %.4f%%)",
				 ps[i], (unsigned long long)got,
				 (unsigned long long)want, rel * 100);
		/* The bound, with room to spare. */
		assert_true(rel < 0.02);
	}
	assert_int_equal(pt_hist_percentile(h, n, 100, min, max), max);
	free(h);
}

/* ------------------------------------------------------------------- tests */

static void test_bucket_bounds(void **state)
{
	uint64_t s = 42, v;
	uint32_t b, i;

	/* Small values have exact buckets. */
	for (v = 0; v < PT_HIST_SUB; v++) {
		assert_int_equal(pt_hist_bucket(v), v);
		assert_int_equal(pt_hist_bucket_low((uint32_t)v), v);
	}
	/* Every value lies in [low, high) of its bucket; widths are <= 1/64
	 * of the lower bound. */
	for (i = 0; i < 200000; i++) {
		v = next_rand(&s) >> (next_rand(&s) % 64);
		b = pt_hist_bucket(v);
		assert_true(b < PT_HIST_BUCKETS);
		assert_true(pt_hist_bucket_low(b) <= v);
		if (b < PT_HIST_BUCKETS - 1) {
			assert_true(v < pt_hist_bucket_high(b));
			assert_true((pt_hist_bucket_high(b) -
				     pt_hist_bucket_low(b)) *
					    64 <=
				    pt_hist_bucket_low(b) + 64);
		}
	}
	/* Buckets are contiguous and increasing. */
	for (b = 0; b + 1 < PT_HIST_BUCKETS; b++)
		assert_int_equal(pt_hist_bucket_high(b),
				 pt_hist_bucket_low(b + 1));
	/* Powers of two start a bucket; the top is saturated. */
	assert_int_equal(pt_hist_bucket(64), PT_HIST_SUB);
	assert_int_equal(pt_hist_bucket(127), PT_HIST_SUB + 63);
	assert_int_equal(pt_hist_bucket(128), PT_HIST_SUB + 64);
	assert_int_equal(pt_hist_bucket(1ull << 40), PT_HIST_BUCKETS - 1);
	assert_int_equal(pt_hist_bucket(UINT64_MAX), PT_HIST_BUCKETS - 1);
	assert_int_equal(pt_hist_bucket((1ull << 40) - 1), PT_HIST_BUCKETS - 2);
	assert_int_equal(pt_hist_bucket_low(PT_HIST_BUCKETS - 1), 1ull << 40);
}

static void test_log2(void **state)
{
	uint32_t i;

	for (i = 0; i < 64; i++) {
		assert_int_equal(pt_log2_u64(1ull << i), i);
		if (i > 1)
			assert_int_equal(pt_log2_u64((1ull << i) - 1), i - 1);
	}
}

#define N 200000

static void test_uniform(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v)), s = 1;
	size_t i;

	assert_non_null(v);
	for (i = 0; i < N; i++)
		v[i] = 1000 + (uint64_t)(uniform01(&s) * 99000);
	check_distribution(v, N);
	free(v);
}

static void test_exponential(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v)), s = 7;
	size_t i;

	assert_non_null(v);
	for (i = 0; i < N; i++)
		v[i] = 1 + (uint64_t)(-log(1 - uniform01(&s)) * 50000);
	check_distribution(v, N);
	free(v);
}

static void test_lognormal_heavy_tail(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v)), s = 99;
	size_t i;

	assert_non_null(v);
	for (i = 0; i < N; i++) {
		double u1 = uniform01(&s) + 1e-12, u2 = uniform01(&s);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

		v[i] = (uint64_t)exp(10 + 2.5 * z) + 1;
	}
	check_distribution(v, N);
	free(v);
}

static void test_bimodal(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v)), s = 3;
	size_t i;

	assert_non_null(v);
	for (i = 0; i < N; i++)
		v[i] = (i % 10 ? 2000 : 5000000) +
		       (uint64_t)(uniform01(&s) * 300);
	check_distribution(v, N);
	free(v);
}

/* The shortfall below a floor: each value read as its bucket's midpoint
 * (exactly, as the test computes it), clamped to [min, max]; within 1/128
 * of each value of the exact shortfall of 200k exponential values. */
static void test_shortfall(void **state)
{
	uint64_t h[PT_HIST_BUCKETS] = { 0 }, *v = malloc(N * sizeof(*v));
	uint64_t s = 3, lo, mid, exact = 0, slack = 0, min = UINT64_MAX,
		 max = 0;
	uint32_t b = pt_hist_bucket(3000);
	size_t i;

	h[b] = 2;
	h[pt_hist_bucket(90000)] = 1; /* above the floor: none */
	lo = pt_hist_bucket_low(b);
	mid = lo + (pt_hist_bucket_high(b) - lo - 1) / 2;
	assert_true(mid > lo); /* the low bound would read otherwise */
	assert_int_equal(pt_hist_shortfall(h, 2990, 90000, 5000),
			 2 * (5000 - mid));
	/* min above the midpoint: the value read is min */
	assert_int_equal(pt_hist_shortfall(h, mid + 1, 90000, 5000),
			 2 * (5000 - mid - 1));
	assert_int_equal(pt_hist_shortfall(h, 2990, 90000, 100), 0);
	assert_non_null(v);
	memset(h, 0, sizeof(h));
	for (i = 0; i < N; i++) {
		v[i] = 1 + (uint64_t)(-log(1 - uniform01(&s)) * 50000);
		h[pt_hist_bucket(v[i])]++;
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
		if (v[i] < 40000) {
			exact += 40000 - v[i];
			slack += v[i] / 128 + 1;
		}
	}
	lo = pt_hist_shortfall(h, min, max, 40000);
	assert_true(lo + slack >= exact && lo <= exact + slack);
	free(v);
}

static void test_edges(void **state)
{
	uint64_t h[PT_HIST_BUCKETS] = { 0 };

	assert_int_equal(pt_hist_percentile(h, 0, 50, 0, 0), 0);
	/* One value: exactly it, whatever the bucket width. */
	h[pt_hist_bucket(123456789)] = 1;
	assert_int_equal(pt_hist_percentile(h, 1, 50, 123456789, 123456789),
			 123456789);
	/* Values beyond the last bucket report the exact max. */
	memset(h, 0, sizeof(h));
	h[PT_HIST_BUCKETS - 1] = 3;
	assert_int_equal(pt_hist_percentile(h, 3, 99, 1ull << 41, 1ull << 42),
			 1ull << 42);
	/* p0 and p100 are min and max. */
	assert_int_equal(pt_hist_percentile(h, 3, 0, 5, 9), 5);
	assert_int_equal(pt_hist_percentile(h, 3, 100, 5, 9), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2),
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_lognormal_heavy_tail),
		cmocka_unit_test(test_bimodal),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_shortfall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
