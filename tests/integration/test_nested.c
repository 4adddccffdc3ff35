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
 * off CPU: run queue and waits, which two CPU hogs make large) must lie
 * within NEST_TOL_PCT percent of the probes' cost of the twin. Without the
 * nested pairs' cost taken out, the outer call carries all of it. CPU time
 * does not count waiting for a CPU, so the tolerance holds on a busy
 * machine.
 *
 * Why not within 10% of the twin itself (issue 16's goal): the twin takes
 * ~35 us, the 1,000 inner probe pairs 8-11 ms, so that would ask the
 * pairs' cost to within 0.04%. The target's own cost of them moves more
 * than that within one run: the means over the first and the second half
 * of the rounds ("halves apart" below) lay 0.8 us to 2.6 ms apart on a
 * busy 2-CPU VM (median 0.57 ms; under 10% of the twin in 2 runs of 50),
 * so not even a figure measured in the target itself during the first
 * half would foretell the second to that tolerance (and the mean of a
 * traced run's outer call holds milliseconds of run-queue time on a busy
 * machine that the untraced 35 us call does not: scripts/bench-nest.sh
 * tracks that figure).
 *
 * Each call has the fastest tenth of short batches taken off (a floor,
 * so that no percentile is over-corrected: test_trace's outer stage); the
 * mean and own time also the mean's tail above it, measured in CPU time
 * around calls nested in a probed call. With the floor alone the outer
 * read -4% to +33% of the probes' cost off the twin (24 runs, 12 with two
 * hogs; median +14%); with the tail, -10.2% to +17.4% (40 runs, all with
 * two hogs; median +9.3%), and +26.0% once in the full suite run with two
 * more hogs beside the test's own. NEST_TOL_PCT leaves room above that.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
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
/* The most pipetrace's on-CPU time of the outer call may lie from the
 * twin's, in percent of what the inner calls' probes cost it. */
#define NEST_TOL_PCT 35

/* A stage's time off CPU (its own time less its on-CPU part), in ns. */
static uint64_t off_cpu(json_object *stage)
{
	json_object *b;

	assert_true(json_object_object_get_ex(stage, "breakdown_ns", &b));
	return ptest_u64(stage, "self_ns") - ptest_u64(b, "on_cpu");
}

/* What pipetrace took off the enclosing stage's mean per nested call of
 * stage s (its probe class's calibrated figure: what each call had taken
 * off, and the mean's tail). */
static uint64_t nest_figure(json_object *rep, json_object *s)
{
	json_object *cal, *tail, *cls;
	const char *c;

	assert_true(
		json_object_object_get_ex(rep, "calibration_nested_ns", &cal));
	assert_true(json_object_object_get_ex(rep, "calibration_nested_tail_ns",
					      &tail));
	assert_true(json_object_object_get_ex(s, "probe_class", &cls));
	c = json_object_get_string(cls);
	return ptest_u64(cal, c) + ptest_u64(tail, c);
}

static uint64_t lat_of(json_object *stage, const char *key)
{
	json_object *lat;

	assert_true(json_object_object_get_ex(stage, "latency_ns", &lat));
	return ptest_u64(lat, key);
}

/* A call with a body never reads 0 ns: outer's min and p50 are above 0,
 * or, where taking its 1,000 nested probe pairs' calibrated least off
 * each call left one at 0 (that least measured in pipetrace's own process
 * can exceed what the target paid: 10.3 against 7.8 us once, with four
 * other jobs running), null: not known. */
static void check_outer_floor(json_object *outer)
{
	json_object *lat, *min, *p50;

	assert_true(json_object_object_get_ex(outer, "latency_ns", &lat));
	assert_true(json_object_object_get_ex(lat, "min", &min));
	assert_true(json_object_object_get_ex(lat, "p50", &p50));
	print_message("  outer's latency: min %s, p50 %s\n",
		      json_object_to_json_string(min),
		      json_object_to_json_string(p50));
	assert_true(!min == !p50);
	if (min) {
		assert_true(json_object_get_uint64(min) > 0);
		assert_true(json_object_get_uint64(p50) > 0);
	}
}

static uint64_t mean_of(json_object *stage)
{
	return lat_of(stage, "mean");
}

/* Whether key of o is there and not null (null: not known). */
static bool known(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v != NULL;
}

/* Whether both stages' mean and own time are known; where not, the report
 * says so in a note. Where the outer's nested probes cost it more than its
 * own time left (or all of it), a note says that too: its figures are the
 * difference of two large numbers. */
static bool check_known(json_object *outer, json_object *inner, const char *err)
{
	json_object *lat;
	bool mean, self;
	uint64_t nest = ptest_u64(outer, "nested_probes_ns");

	assert_true(json_object_object_get_ex(outer, "latency_ns", &lat));
	mean = known(lat, "mean");
	self = known(outer, "self_ns") && known(inner, "self_ns");
	print_message("  outer: mean %s, own time %s, nested probes %" PRIu64
		      " ns\n",
		      mean ? "known" : "null", self ? "known" : "null", nest);
	assert_true(nest > 0);
	if (!mean || !self)
		assert_non_null(strstr(
			err,
			"not shown: the probes' calibrated cost taken off"));
	if (!known(outer, "self_ns") || nest > ptest_u64(outer, "self_ns"))
		assert_non_null(strstr(
			err, "outer: its nested stages' probes cost it about"));
	else
		assert_null(strstr(
			err, "outer: its nested stages' probes cost it about"));
	if (mean)
		assert_true(mean_of(outer) > 0);
	return mean && self;
}

static void test_nested_probe_cost_removed(void **state)
{
	char jpath[64], rounds[16], calls[16], *out = NULL, *err = NULL, *p;
	char *argv[] = { PTEST_PIPETRACE, "-s",	    "outer", "-s",
			 "inner",	  "--json", jpath,   "--",
			 NESTCOST,	  rounds,   calls,   NULL };
	long n, twin_mean, twin_median, twin_cpu, outer_cpu, p10, p90, h1, h2;
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
		       "nestcost: rounds %ld twin_mean %ld twin_median %ld twin_cpu %ld outer_cpu %ld cost_p10 %ld cost_p90 %ld half1 %ld half2 %ld",
		       &n, &twin_mean, &twin_median, &twin_cpu, &outer_cpu,
		       &p10, &p90, &h1, &h2),
		9);
	rep = ptest_take_json(jpath);
	outer = ptest_stage(rep, "outer");
	inner = ptest_stage(rep, "inner");
	assert_non_null(outer);
	assert_non_null(inner);
	assert_int_equal(ptest_u64(outer, "calls"), ROUNDS);
	assert_int_equal(ptest_u64(inner, "calls"), ROUNDS * INNER_CALLS);
	cost = (double)(outer_cpu - twin_cpu);
	print_message("  twin: cpu %ld ns (wall mean %ld, median %ld); probed "
		      "outer: cpu %ld ns, probes %.0f ns\n",
		      twin_cpu, twin_mean, twin_median, outer_cpu, cost);
	print_message(
		"  the probes' cost per round: p10 %ld, p90 %ld ns; halves "
		"apart %ld ns (10%% of the twin: %ld ns)\n",
		p10, p90, labs(h1 - h2), twin_cpu / 10);
	assert_true(cost > 0);
	check_outer_floor(outer);
	if (!check_known(outer, inner, err)) {
		/* The probes' cost took all of it: nothing to compare. */
		print_message("  outer's mean or own time not known: the "
			      "on-CPU comparison is not possible\n");
		goto out;
	}
	off = (double)(off_cpu(outer) + off_cpu(inner)) / ROUNDS;
	oncpu = (double)mean_of(outer) - off;
	print_message("  pipetrace: outer mean %" PRIu64
		      " ns, off CPU %.0f ns, on CPU %.0f ns: %+.0f ns from the "
		      "twin (%.1f%% of the probes' cost)\n",
		      mean_of(outer), off, oncpu, oncpu - (double)twin_cpu,
		      100.0 * (oncpu - (double)twin_cpu) / cost);
	print_message("  a nested pair: pipetrace's figure %" PRIu64
		      " ns, the target's %.0f ns\n",
		      nest_figure(rep, inner), cost / INNER_CALLS);
	/* Time off CPU is what the latency holds of it: a probe cost taken
	 * off the latency that the on-CPU part could not hold comes out of
	 * the split's waits too (report.c, split_stage()), so the outer's
	 * mean less both stages' time off CPU is at least their on-CPU
	 * parts, never below zero but for the mean's rounding to whole ns.
	 * Before, with two hogs, it read -0.21 and -0.51 ms in 2 runs of 6. */
	assert_true(oncpu > -1000.0);
	assert_true(oncpu - (double)twin_cpu <= cost * NEST_TOL_PCT / 100);
	assert_true((double)twin_cpu - oncpu <= cost * NEST_TOL_PCT / 100);
out:
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
