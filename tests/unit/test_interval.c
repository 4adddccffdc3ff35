// SPDX-License-Identifier: MIT
/* test_interval.c - an interval's own figures from two cumulative
 * snapshots (report/interval.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report/hist.h"
#include "report/interval.h"
#include "report/report.h"

static struct pt_stage stage = { .name = "work", .object = "/bin/x" };
static struct pt_stage_set set = { .v = &stage, .n = 1 };

/* Adds n calls of latency v ns to t. */
static void add_calls(struct pt_totals *t, uint64_t v, uint64_t n)
{
	t->hist[pt_hist_bucket(v)] += n;
	t->calls += n;
	t->lat_sum_ns += v * n;
	t->wall_ns += v * n;
	t->time.part_ns[PT_PART_USER] += v * n;
	if (!t->min_ns || v < t->min_ns)
		t->min_ns = v;
	if (v > t->max_ns)
		t->max_ns = v;
}

static void snap_of(struct pt_snapshot *s, const struct pt_totals *t,
		    const struct pt_thread_info *th, uint64_t dur)
{
	memset(s, 0, sizeof(*s));
	s->stages = &set;
	s->totals = t;
	s->threads = th;
	s->nthreads = 1;
	s->duration_ns = dur;
}

/*
 * 100 calls of 1 ms in the first second, 10 of 5 ms in the second, none
 * in the third: each interval's calls, rate, percentiles and split are its
 * own, and an idle interval reads 0 calls/s.
 */
static void test_interval_deltas(void **state)
{
	struct pt_totals t = { 0 };
	struct pt_thread_info th = { .tid = 7 };
	struct pt_interval iv = { 0 };
	struct pt_snapshot s, d;
	struct pt_report r;

	add_calls(&t, 1000000, 100);
	th.busy_ns[PT_PART_USER] = 100000000;
	th.idle_ns[PT_PART_SLEEP] = 900000000;
	snap_of(&s, &t, &th, 1000000000);
	assert_int_equal(pt_interval__next(&iv, &s, &d), 0);
	assert_true(d.interval);
	assert_int_equal(d.since_ns, 0);
	assert_int_equal(d.totals[0].calls, 100);
	add_calls(&t, 5000000, 10);
	th.busy_ns[PT_PART_USER] += 50000000;
	th.idle_ns[PT_PART_SLEEP] += 950000000;
	snap_of(&s, &t, &th, 2000000000);
	assert_int_equal(pt_interval__next(&iv, &s, &d), 0);
	assert_int_equal(d.since_ns, 1000000000);
	assert_int_equal(d.duration_ns, 1000000000);
	assert_int_equal(d.totals[0].calls, 10);
	assert_int_equal(d.totals[0].time.part_ns[PT_PART_USER], 50000000);
	/* A new maximum is exact; the minimum is its bucket's low bound. */
	assert_int_equal(d.totals[0].max_ns, 5000000);
	assert_int_equal(d.totals[0].min_ns,
			 pt_hist_bucket_low(pt_hist_bucket(5000000)));
	assert_int_equal(d.threads[0].busy_ns[PT_PART_USER], 50000000);
	assert_int_equal(d.threads[0].idle_ns[PT_PART_SLEEP], 950000000);
	assert_int_equal(pt_report__build(&r, &d), 0);
	assert_true(r.rows[0].calls_per_s > 9.99 &&
		    r.rows[0].calls_per_s < 10.01);
	/* p50 of the interval is 5 ms (within a bucket), not 1 ms. */
	assert_true(r.rows[0].p50_ns >= 4960000 && r.rows[0].p50_ns <= 5000000);
	pt_report__free(&r);
	snap_of(&s, &t, &th, 3000000000);
	assert_int_equal(pt_interval__next(&iv, &s, &d), 0);
	assert_int_equal(d.totals[0].calls, 0);
	assert_int_equal(pt_report__build(&r, &d), 0);
	assert_true(r.rows[0].calls_per_s == 0.0);
	assert_int_equal(r.rows[0].p50_ns, 0);
	assert_string_equal(r.rows[0].verdict, "idle");
	pt_report__free(&r);
	pt_interval__free(&iv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_deltas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
