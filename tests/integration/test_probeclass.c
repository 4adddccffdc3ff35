// SPDX-License-Identifier: MIT
/*
 * test_probeclass.c - a stage's probe is classed by what the kernel does at
 * its first instruction, and that class's calibration is what comes off:
 * a stage whose first instruction is a 5-byte nop is not single-stepped
 * (the kernel emulates the nop, and from 6.18 makes the probe a call), so
 * its latency is held to its unprobed twin's, timed by the program itself
 * in the same run.
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
#include <json-c/json.h>

#include "lib/ptest.h"

#define PROG PT_BUILD_DIR "/tests/integration/prog_nop5first"
#define TIMEOUT 120.0
#define CALLS "2000"

/*
 * The twin runs the same instructions behind the same nop, unprobed, so its
 * median by the program's clock is the stage's own latency. Medians, not
 * means: with two CPU hogs running, a preempted call is rare at ~10 us a
 * call and moves neither median. What is left between them is the probe's
 * cost inside the timed span less its calibrated median (a few hundred ns)
 * and the program's clock reads: 25% + 1 us. Before the nop was classed,
 * the single-step calibration (6-20 us) was taken off instead: p50 ~0.
 */
static void test_nop5_first_instruction(void **state)
{
	char out[64], jpath[64], *o = NULL, *e = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath, "--", PROG,
			 CALLS,		  out,	NULL };
	json_object *rep, *s, *lat;
	uint64_t twin, p50, calls;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(out, sizeof(out), ".books");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	rep = ptest_take_json(jpath);
	s = ptest_stage(rep, "stage_nop5");
	assert_non_null(s);
	lat = json_object_object_get(s, "latency_ns");
	twin = ptest_book(out, "twin_p50_ns");
	calls = ptest_book(out, "calls");
	p50 = ptest_u64(lat, "p50");
	print_message(
		"  twin p50 %llu ns (own clock), probed p50 %llu ns (own clock); pipetrace: p50 %llu ns, min %llu ns, class %s\n",
		(unsigned long long)twin,
		(unsigned long long)ptest_book(out, "stage_p50_ns"),
		(unsigned long long)p50,
		(unsigned long long)ptest_u64(lat, "min"),
		json_object_get_string(
			json_object_object_get(s, "probe_class")));
	assert_string_equal(json_object_get_string(
				    json_object_object_get(s, "probe_class")),
			    "nop5entry");
	assert_int_equal(ptest_u64(s, "calls"), calls);
	assert_true(p50 + twin / 4 + 1000 >= twin);
	assert_true(p50 <= twin + twin / 4 + 1000);
	assert_true(ptest_u64(lat, "min") > 0);
	/* Not single-stepped: not in the warning that says so. */
	assert_null(strstr(e, "single-steps"));
	json_object_put(rep);
	unlink(out);
	free(o);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nop5_first_instruction),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
