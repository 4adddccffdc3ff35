// SPDX-License-Identifier: MIT
/*
 * test_cmatrix.c - C programs built as distributions build them (the
 * Makefile builds prog_cmatrix.c so, under cmatrix/), traced
 * with a glob over their functions: position-independent (-O2 -fPIE), static,
 * stripped (its functions only in .dynsym, -rdynamic) and with
 * -fcf-protection=full (endbr64 at every entry). Each traced run prints
 * exactly what the untraced one does, exits with its status (3), and counts
 * cm_leaf's calls exactly, launched (--) and attached (-p) alike.
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

#define TIMEOUT 120.0
#define CALLS "3000"

/* Traces bin with -s glob --syscalls libc: its output and status as
 * untraced, cm_leaf's calls exact; its io_cpu known if it uses libc (libc),
 * null if it does not (a static binary: no libc wrapper to probe). */
static void trace_unharmed(const char *bin, const char *glob, bool libc)
{
	char jpath[64], *plain_out = NULL, *out = NULL, *err = NULL;
	char *plain[] = { (char *)bin, CALLS, NULL };
	char *argv[] = {
		PTEST_PIPETRACE, "--syscalls", "libc", "-j", jpath, "-s",
		(char *)glob,	 "--",	       (char *)bin, CALLS,	NULL
	};
	json_object *rep, *leaf;
	int code;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_run(plain, TIMEOUT, &plain_out, &err), 3);
	free(err);
	err = NULL;
	code = ptest_run(argv, TIMEOUT, &out, &err);
	print_message("  %s -s '%s': exit %d, %s", bin, glob, code, out);
	if (code != 3)
		fail_msg("traced exit %d, untraced 3: %s", code, err);
	assert_string_equal(out, plain_out);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	leaf = ptest_stage(rep, "cm_leaf");
	assert_non_null(leaf);
	assert_int_equal(ptest_u64(leaf, "calls"), 3000);
	assert_int_equal(json_object_object_get(
				 json_object_object_get(leaf, "breakdown_ns"),
				 "io_cpu") != NULL,
			 libc);
	json_object_put(rep);
	unlink(jpath);
	free(plain_out);
	free(out);
	free(err);
}

/* trace_unharmed() with pipetrace attached by PID (-p) to bin waiting
 * for a byte on stdin before its work. */
static void attach_unharmed(const char *bin, const char *glob)
{
	char jpath[64], *plain_out = NULL, *out = NULL, *err = NULL;
	char *log = NULL, *tout = NULL;
	char *plain[] = { (char *)bin, CALLS, NULL };
	char *waiting[] = { (char *)bin, CALLS, "wait", NULL };
	char *extra[] = { "-j", jpath, "-s", (char *)glob, NULL };
	struct ptest_proc target, tracer;
	json_object *rep, *leaf;
	int code;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_run(plain, TIMEOUT, &plain_out, &err), 3);
	assert_int_equal(ptest_spawn(&target, waiting, true), 0);
	ptest_attach(&tracer, target.pid, extra, &log);
	assert_int_equal(write(target.in_fd, "x", 1), 1);
	close(target.in_fd);
	target.in_fd = -1;
	code = ptest_finish(&target, TIMEOUT, &out, &err);
	print_message("  -p %s -s '%s': exit %d, %s", bin, glob, code, out);
	assert_int_equal(code, 3);
	assert_string_equal(out, plain_out);
	code = ptest_finish(&tracer, TIMEOUT, &tout, &log);
	if (code != 0)
		fail_msg("pipetrace -p exited %d: %s", code, log);
	rep = ptest_take_json(jpath);
	leaf = ptest_stage(rep, "cm_leaf");
	assert_non_null(leaf);
	assert_int_equal(ptest_u64(leaf, "calls"), 3000);
	json_object_put(rep);
	free(plain_out);
	free(out);
	free(err);
	free(log);
	free(tout);
}

#define MATRIX PT_BUILD_DIR "/tests/integration/cmatrix/"

static void test_pie(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(MATRIX "pie", "*", true);
	attach_unharmed(MATRIX "pie", "*");
}

/* All of libc is in it: its own functions, by their prefix. */
static void test_static(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(MATRIX "static", "cm_*", false);
	attach_unharmed(MATRIX "static", "cm_*");
}

static void test_stripped(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(MATRIX "stripped", "*", true);
	attach_unharmed(MATRIX "stripped", "*");
}

static void test_cf_protection(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_unharmed(MATRIX "cet", "*", true);
	attach_unharmed(MATRIX "cet", "*");
}

/* Stripped to nothing (not even -rdynamic), its symbols in the separate
 * debug file its .gnu_debuglink names (in .debug/ beside it): every
 * function is a stage by name, launched and attached; `list` says where
 * the names came from. */
static void test_debuglink(void **state)
{
	char *argv[] = { PTEST_PIPETRACE, "list", MATRIX "debuglink", "cm_*",
			 NULL };
	char *out = NULL, *err = NULL;

	PTEST_REQUIRE_TRACING();
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	print_message("  %s", out);
	/* not exported (no -rdynamic): named by the debug file's .symtab */
	assert_non_null(strstr(out, " cm_leaf\n"));
	assert_non_null(strstr(out,
			       "# names from its separate debug file " MATRIX
			       ".debug/debuglink.debug\n"));
	free(out);
	free(err);
	trace_unharmed(MATRIX "debuglink", "cm_*", true);
	attach_unharmed(MATRIX "debuglink", "cm_*");
}

/* Its debuglink names a debug file of another build (another build ID):
 * refused, so cm_leaf is not found, and the error says why, in one line,
 * before anything is attached. */
static void test_debuglink_stale(void **state)
{
	char *argv[] = { PTEST_PIPETRACE, "-s",	 "cm_leaf", "--",
			 MATRIX "stale",  CALLS, NULL };
	char *out = NULL, *err = NULL;
	int code;

	PTEST_REQUIRE_TRACING();
	code = ptest_run(argv, TIMEOUT, &out, &err);
	print_message("  exit %d: %s", code, err);
	assert_int_equal(code, 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(
		err, "which is stripped (no .symtab, no matching debug file)"));
	assert_non_null(strchr(err, '\n'));
	assert_string_equal(strchr(err, '\n'), "\n"); /* one line */
	free(out);
	free(err);
}

/* Threads cancelled inside probed functions (uprobe + uretprobe): the
 * forced unwind passes the replaced return addresses; the program runs as
 * untraced, the stages' calls never complete: each thread exits with two
 * calls open, counted as unwound past. */
static void test_thread_cancel(void **state)
{
	char jpath[64],
		*plain[] = { PT_BUILD_DIR "/tests/integration/prog_cancel",
			     "10", NULL };
	char *argv[] = { PTEST_PIPETRACE, "-s", "middle", "-s", "blocker", "-j",
			 jpath,		  "--", plain[0], "10", NULL };
	char *want = NULL, *out = NULL, *err = NULL;
	json_object *rep, *lost;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(plain, TIMEOUT, &want, &err);
	free(err);
	err = NULL;
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	print_message("  untraced %s  traced   %s", want, out);
	assert_string_equal(want, "cancelled 10\n");
	assert_string_equal(out, want);
	rep = ptest_take_json(jpath);
	lost = json_object_object_get(rep, "lost");
	assert_int_equal(ptest_u64(ptest_stage(rep, "middle"), "calls"), 0);
	assert_int_equal(ptest_u64(ptest_stage(rep, "blocker"), "calls"), 0);
	assert_int_equal(ptest_u64(lost, "unwound"), 20);
	assert_int_equal(ptest_u64(lost, "unmatched"), 0);
	json_object_put(rep);
	free(want);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_cf_protection),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_debuglink_stale),
		cmocka_unit_test(test_thread_cancel),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
