// SPDX-License-Identifier: MIT
/*
 * test_gen.c - a few seeds of the differential test (tests/gen/README.md):
 * generated programs run under pipetrace, every figure held to the
 * program's own books. `make soak` runs many more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define GENDIFF PT_BUILD_DIR "/tests/gen/gendiff"
#define TIMEOUT 300.0

static void test_generated_programs(void **state)
{
	char *argv[] = { GENDIFF, "1", "4", NULL };
	char *out = NULL, *err = NULL;
	int rc;

	PTEST_REQUIRE_TRACING();
	rc = ptest_run(argv, TIMEOUT, &out, &err);
	print_message("%s%s", out ? out : "", err ? err : "");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "4 seeds, 0 disagreed"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_programs),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
