// SPDX-License-Identifier: MIT
/*
 * test_nested.c - what nested stage calls' probes cost the call enclosing
 * them is taken out of it, held to the program's own truth.
 *
 * prog_nestcost runs an outer stage making 1,000 calls to a ~50 ns inner
 * stage, interleaved with an unprobed twin of both, and times each in the
 * thread's CPU time: twin_cpu is what the outer call takes untraced,
 * outer_cpu - twin_cpu what the probes cost it. pipetrace's on-CPU time of
 * an outer call (its latency less the time the outer and inner calls spent
 * off CPU: run queue and waits, which two CPU hogs make large) must be
 * nearer the twin than the probes' cost: at most half of that cost off.
 * Without the nested pairs' cost taken out, the outer call carries nearly
 * all of it. CPU time does not count waiting for a CPU, so the tolerance
 * holds on a busy machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define NESTCOST PT_BUILD_DIR "/tests/integration/prog_nestcost"
#define TIMEOUT 300.0
#define ROUNDS 60
#define INNER_CALLS 1000

/* A stage's time off CPU (its own time less its on-CPU part), in ns. */
static uint64_t off_cpu(json_object *stage)
{
	json_object *b;

	assert_true(json_object_object_get_ex(stage, "breakdown_ns", &b));
	return ptest_u64(stage, "self_ns") - ptest_u64(b, "on_cpu");
}

static uint64_t mean_of(json_object *stage)
{
	json_object *lat;

	assert_true(json_object_object_get_ex(stage, "latency_ns", &lat));
	return ptest_u64(lat, "mean");
}

static void test_nested_probe_cost_removed(void **state)
{
	char jpath[64], rounds[16], calls[16], *out = NULL, *err = NULL, *p;
	char *argv[] = { PTEST_PIPETRACE, "-s",	    "outer", "-s",
			 "inner",	  "--json", jpath,   "--",
			 NESTCOST,	  rounds,   calls,   NULL };
	long n, twin_mean, twin_median, twin_cpu, outer_cpu;
	double cost, oncpu, off;
	json_object *rep, *outer, *inner;

	PTEST_REQUIRE_TRACING();
	snprintf(rounds, sizeof(rounds), "%d", ROUNDS);
	snprintf(calls, sizeof(calls), "%d", INNER_CALLS);
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	p = strstr(err, "nestcost: ");
	assert_non_null(p);
	assert_int_equal(
		sscanf(p,
		       "nestcost: rounds %ld twin_mean %ld twin_median %ld twin_cpu %ld outer_cpu %ld",
		       &n, &twin_mean, &twin_median, &twin_cpu, &outer_cpu),
		5);
	rep = ptest_take_json(jpath);
	outer = ptest_stage(rep, "outer");
	inner = ptest_stage(rep, "inner");
	assert_non_null(outer);
	assert_non_null(inner);
	assert_int_equal(ptest_u64(outer, "calls"), ROUNDS);
	assert_int_equal(ptest_u64(inner, "calls"), ROUNDS * INNER_CALLS);
	cost = (double)(outer_cpu - twin_cpu);
	off = (double)(off_cpu(outer) + off_cpu(inner)) / ROUNDS;
	oncpu = (double)mean_of(outer) - off;
	print_message("  twin: cpu %ld ns (wall mean %ld, median %ld); probed "
		      "outer: cpu %ld ns, probes %.0f ns\n",
		      twin_cpu, twin_mean, twin_median, outer_cpu, cost);
	print_message("  pipetrace: outer mean %" PRIu64
		      " ns, off CPU %.0f ns, on CPU %.0f ns: %+.0f ns from the "
		      "twin (%.1f%% of the probes' cost)\n",
		      mean_of(outer), off, oncpu, oncpu - (double)twin_cpu,
		      100.0 * (oncpu - (double)twin_cpu) / cost);
	assert_true(cost > 0);
	assert_true(oncpu - (double)twin_cpu <= cost / 2);
	assert_true((double)twin_cpu - oncpu <= cost / 2);
	json_object_put(rep);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_probe_cost_removed),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
