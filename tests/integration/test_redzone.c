// SPDX-License-Identifier: MIT
/*
 * test_redzone.c - probes never write into the traced program's stack:
 * prog_redzone's leaf functions keep their locals in the red zone around
 * PIPETRACE_ENTER() sites. With --sites (plain uprobes on the nop5 sites,
 * which the kernel turns into calls) and without, its output must be that
 * of an untraced run, and every call counted.
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

#define TIMEOUT 60.0
#define PROG PT_BUILD_DIR "/tests/integration/prog_redzone"
#define CALLS "4000"

/* Traces prog_redzone (with --sites if sites) and checks its output
 * against an untraced run's, and the calls. */
static void trace_unharmed(bool sites)
{
	char jpath[64], *truth = NULL, *out = NULL, *err = NULL;
	char *plain[] = { PROG, CALLS, NULL };
	char *argv[] = { PTEST_PIPETRACE,
			 "-j",
			 jpath,
			 sites ? "--sites" : "-v",
			 "--",
			 PROG,
			 CALLS,
			 NULL };
	json_object *rep;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(plain, TIMEOUT, &truth, &err);
	free(err);
	err = NULL;
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	print_message("  %s: untraced %s  traced   %s",
		      sites ? "--sites" : "entry/return", truth, out);
	assert_string_equal(out, truth);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	assert_int_equal(ptest_u64(ptest_stage(rep, "leaf_int"), "calls"),
			 4000);
	assert_int_equal(ptest_u64(ptest_stage(rep, "leaf_items"), "calls"),
			 4000);
	json_object_put(rep);
	unlink(jpath);
	free(truth);
	free(out);
	free(err);
}

static void test_sites_leave_red_zone_alone(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(true);
}

static void test_entry_return_leave_red_zone_alone(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sites_leave_red_zone_alone),
		cmocka_unit_test(test_entry_return_leave_red_zone_alone),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
