// SPDX-License-Identifier: MIT
/*
 * test_probewait.c - a wait for the CPU inside a stage call stays in the
 * call unless the thread was preempted inside the call's own probes
 * (sched.bpf.c, in_probe()), held to the program's own books (issue 16).
 *
 * prog_probewait keeps a thread of its own spinning on the main thread's
 * CPU, so that the main thread waits for the CPU about half of every call,
 * and books the calls' CLOCK_MONOTONIC spans and its schedstat run-queue
 * wait inside them. Two ways that wait went missing from the call (taken
 * out of its latency as the probe's, charged outside every stage):
 *
 * - alloc: churn() makes malloc()/free() pairs under --alloc. A thread
 *   preempted in free's single-step slot or on its way out of malloc's
 *   return trampoline is in the uprobe area, but in the allocator's
 *   probes, not churn's: churn read latency 1.57 s and run queue 0.63 s
 *   against the books' 1.90 s and 0.96 s (20 calls of 2,000 pairs).
 * - top: spin_top() loops from its second instruction, one byte past its
 *   entry probe: every preemption in the loop passed for one on the way
 *   back from the entry probe. It read latency 46.4 ms and run queue
 *   0.4 ms against 101.3 ms and 55.0 ms (30 calls).
 *
 * Tolerances: the latency sum within 5% + 1 ms + 20 us per call (the probe
 * pair's calibrated cost is taken off each call; the books' spans hold the
 * pair), the run-queue part within 10% + 2 ms of the books' (a preemption
 * between the program's schedstat read and the probe is the books' only,
 * and more CPU hogs beside the program's own make more of them).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define PROBEWAIT PT_BUILD_DIR "/tests/integration/prog_probewait"
#define TIMEOUT 120.0
#define DELAYACCT "/proc/sys/kernel/task_delayacct"

/* Whether schedstat's run-queue time is whole (delay accounting on),
 * turning it on if it is off; false (and why printed) if it cannot be. */
static bool delayacct_on(void)
{
	FILE *f = fopen(DELAYACCT, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	if (c == '1')
		return true;
	f = fopen(DELAYACCT, "w");
	if (!f || fputs("1\n", f) < 0 || fclose(f)) {
		print_message("  skipped: cannot turn on %s, without which the "
			      "program's run-queue books miss waits\n",
			      DELAYACCT);
		return false;
	}
	print_message("  turned %s on\n", DELAYACCT);
	return true;
}

static int64_t diff_of(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

/* Runs prog_probewait MODE CALLS N traced (stage STAGE, extra option
 * EXTRA or none) and holds STAGE's latency sum and run-queue part to the
 * program's books. */
static void check_mode(const char *mode, const char *calls, const char *n,
		       const char *stage, const char *extra)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *argv[12];
	long books_calls, lat, rq;
	uint64_t sum, runq, ncalls;
	int64_t lat_tol, rq_tol;
	json_object *rep, *s, *lat_o, *b;
	int a = 0;

	PTEST_REQUIRE_TRACING();
	if (!delayacct_on())
		skip();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	argv[a++] = PTEST_PIPETRACE;
	argv[a++] = "-s";
	argv[a++] = (char *)stage;
	if (extra)
		argv[a++] = (char *)extra;
	argv[a++] = "--json";
	argv[a++] = jpath;
	argv[a++] = "--";
	argv[a++] = PROBEWAIT;
	argv[a++] = (char *)mode;
	argv[a++] = (char *)calls;
	argv[a++] = (char *)n;
	argv[a] = NULL;
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	assert_int_equal(sscanf(out, "calls %ld lat %ld rq %ld", &books_calls,
				&lat, &rq),
			 3);
	rep = ptest_take_json(jpath);
	s = ptest_stage(rep, stage);
	assert_non_null(s);
	ncalls = ptest_u64(s, "calls");
	assert_true(json_object_object_get_ex(s, "latency_ns", &lat_o));
	assert_true(json_object_object_get_ex(s, "breakdown_ns", &b));
	sum = ptest_u64(lat_o, "sum");
	runq = ptest_u64(b, "runqueue");
	lat_tol = lat / 20 + 1000000 + 20000 * books_calls;
	rq_tol = rq / 10 + 2000000;
	print_message("  %s: books: %ld calls, latency %ld ns, run queue %ld "
		      "ns; pipetrace: %" PRIu64 " calls, latency %" PRIu64
		      " ns (%+" PRId64 ", tolerance %" PRId64
		      "), run queue %" PRIu64 " ns (%+" PRId64
		      ", tolerance %" PRId64 ")\n",
		      mode, books_calls, lat, rq, ncalls, sum,
		      diff_of(sum, lat), lat_tol, runq, diff_of(runq, rq),
		      rq_tol);
	assert_int_equal(ncalls, books_calls);
	/* The spinning twin thread must have made the main thread wait. */
	assert_true(rq > lat / 10);
	assert_true(llabs(diff_of(sum, lat)) <= lat_tol);
	assert_true(llabs(diff_of(runq, rq)) <= rq_tol);
	json_object_put(rep);
	free(out);
	free(err);
}

/* Waits in the allocator's probes (single-step slot, return trampoline)
 * are the stage's time. */
static void test_probewait_alloc(void **state)
{
	(void)state;
	check_mode("alloc", "12", "2000", "churn", "--alloc");
}

/* A loop at the top of a stage is the stage's own code, not its entry
 * probe. */
static void test_probewait_top(void **state)
{
	(void)state;
	check_mode("top", "30", "5000000", "spin_top", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probewait_alloc),
		cmocka_unit_test(test_probewait_top),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
