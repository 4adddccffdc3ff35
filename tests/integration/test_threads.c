// SPDX-License-Identifier: MIT
/*
 * test_threads.c - thread slots: --max-threads bounds the threads alive at
 * once (a slot is freed when its thread exits), every thread is in the
 * report's rows once (exited ones beyond the rows kept summed in tid 0),
 * and lost.threads_full counts threads refused a slot, each once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define CHURN PT_BUILD_DIR "/tests/integration/prog_churn"
#define TIMEOUT 120.0
#define THREADS 10000
#define CALLS 5

/* Runs pipetrace --json [--max-threads max_threads] [opt] on prog_churn's
 * args (max_threads and opt may be NULL); returns the report. */
static json_object *trace_churn(const char *max_threads, const char *opt,
				char **args)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *argv[16] = { PTEST_PIPETRACE, "--json", jpath };
	json_object *rep;
	int n = 3;

	if (max_threads) {
		argv[n++] = "--max-threads";
		argv[n++] = (char *)max_threads;
	}
	if (opt)
		argv[n++] = (char *)opt;
	argv[n++] = "--";
	argv[n++] = CHURN;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	rep = ptest_take_json(jpath);
	free(out);
	free(err);
	return rep;
}

/* Sums the report's thread rows' "threads"; *rows gets their number. */
static uint64_t threads_in_rows(json_object *rep, size_t *rows)
{
	json_object *a = json_object_object_get(rep, "threads");
	uint64_t sum = 0;
	size_t i;

	assert_non_null(a);
	*rows = json_object_array_length(a);
	for (i = 0; i < *rows; i++)
		sum += ptest_u64(json_object_array_get_idx(a, i), "threads");
	return sum;
}

/* 10,000 threads, two alive at a time, each calling the stage CALLS
 * times: every call counted, no thread untracked, every thread (and the
 * main one) in the rows, at most max_threads exited rows plus tid 0's. */
static void churn(const char *max_threads, size_t max_rows)
{
	char threads[16], calls[16];
	char *args[] = { threads, calls, "2", NULL };
	json_object *rep, *s, *lost;
	size_t rows;

	snprintf(threads, sizeof(threads), "%d", THREADS);
	snprintf(calls, sizeof(calls), "%d", CALLS);
	rep = trace_churn(max_threads, NULL, args);
	s = ptest_stage(rep, "churn_stage");
	assert_non_null(s);
	assert_int_equal(ptest_u64(s, "calls"), THREADS * CALLS);
	assert_int_equal(ptest_u64(s, "items"), THREADS * CALLS);
	lost = json_object_object_get(rep, "lost");
	assert_int_equal(ptest_u64(lost, "threads_full"), 0);
	assert_int_equal(ptest_u64(lost, "pairs_full"), 0);
	assert_int_equal(ptest_u64(lost, "unmatched"), 0);
	assert_int_equal(ptest_u64(rep, "lost_events"), 0);
	assert_int_equal(threads_in_rows(rep, &rows), THREADS + 1);
	assert_true(rows <= max_rows);
	json_object_put(rep);
}

static void test_churn_default(void **state)
{
	PTEST_REQUIRE_TRACING();
	churn(NULL, 8192 + 1);
}

/* Four slots for 10,000 threads: three are alive at once at most. */
static void test_churn_four_slots(void **state)
{
	PTEST_REQUIRE_TRACING();
	churn("4", 4 + 1);
}

/* 20 threads alive together for 4 slots: 16 untracked threads, once each
 * however many events each had (with --alloc too, whose per-thread map
 * refuses them as well). */
static void test_untracked_counted_once(void **state)
{
	char *args[] = { "--together", "20", NULL };
	const char *opts[] = { NULL, "--alloc" };
	json_object *rep, *lost;
	int i;

	PTEST_REQUIRE_TRACING();
	for (i = 0; i < 2; i++) {
		rep = trace_churn("4", opts[i], args);
		lost = json_object_object_get(rep, "lost");
		assert_int_equal(ptest_u64(lost, "threads_full"), 16);
		json_object_put(rep);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_default),
		cmocka_unit_test(test_churn_four_slots),
		cmocka_unit_test(test_untracked_counted_once),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
