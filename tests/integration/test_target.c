// SPDX-License-Identifier: MIT
/*
 * test_target.c - what pipetrace refuses to probe and how it starts the
 * target, on real uprobes: a glob over every function of a program GCC
 * split into hot and cold parts leaves its output and exit status exactly
 * those of an untraced run; naming a cold fragment is refused before the
 * program starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define FX_COLD PT_BUILD_DIR "/fixtures/fixture_cold"

/* The whole of a small file, NUL-terminated (free it). */
static char *slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	ssize_t n;
	int fd;

	assert_non_null(buf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, 65535);
	close(fd);
	assert_true(n >= 0);
	return buf;
}

static void test_glob_over_cold_split_program(void **state)
{
	char a[64], b[64], jpath[64], *untraced, *traced;
	char *plain[] = { FX_COLD, a, NULL };
	char *argv[] = { PTEST_PIPETRACE, "--json", jpath, "-s", "*", "--",
			 FX_COLD,	  b,	    NULL };
	json_object *rep;
	int code_plain, code;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(a, sizeof(a), ".untraced.txt");
	ptest_tmp_path(b, sizeof(b), ".traced.txt");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	code_plain = ptest_run(plain, 30, NULL, NULL);
	assert_int_equal(code_plain, 3); /* it always has bad lines */
	code = ptest_run(argv, 60, NULL, NULL);
	assert_int_equal(code, code_plain);
	untraced = slurp(a);
	traced = slurp(b);
	assert_non_null(strstr(untraced, "bad number 'x' on line 2"));
	assert_string_equal(traced, untraced);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	assert_int_equal(ptest_u64(ptest_stage(rep, "parse_num"), "calls"), 5);
	assert_null(ptest_stage(rep, "parse_num.cold"));
	json_object_put(rep);
	free(untraced);
	free(traced);
	unlink(a);
	unlink(b);
	unlink(jpath);
}

static void test_named_cold_fragment_refused(void **state)
{
	char out_path[64], *err = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-s", "parse_num.cold", "--", FX_COLD,
			 out_path,	  NULL };
	struct stat st;
	int code;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(out_path, sizeof(out_path), ".txt");
	code = ptest_run(argv, 30, NULL, &err);
	assert_int_not_equal(code, 0);
	assert_string_equal(
		err,
		"pipetrace: error: parse_num.cold is a cold fragment of parse_num, not a function entry; probe parse_num\n");
	/* Refused before the program ran. */
	assert_int_equal(stat(out_path, &st), -1);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_over_cold_split_program),
		cmocka_unit_test(test_named_cold_fragment_refused),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
