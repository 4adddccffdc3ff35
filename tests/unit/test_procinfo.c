// SPDX-License-Identifier: MIT
/*
 * test_procinfo.c - a target's /proc/PID/cmdline and status, parsed as
 * hostile text: control characters in a command line, values too large
 * for bytes, missing or malformed lines; and this process's own files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/procinfo.h"

#define CMDLINE(lit) pt_proc_cmdline__parse(lit, sizeof(lit) - 1)

static void test_cmdline_joined(void **state)
{
	char *s = CMDLINE("prog\0-x\0a b\0\0");

	assert_string_equal(s, "prog -x a b");
	free(s);
	assert_null(CMDLINE(""));
	assert_null(CMDLINE("\0\0\0"));
}

/* A process writes its own argv: escape sequences must not reach the
 * terminal that shows the report. */
static void test_cmdline_control_characters(void **state)
{
	char *s = CMDLINE("x\033[2J\0y\r\n\x7f\0");

	assert_string_equal(s, "x?[2J y???");
	free(s);
}

static void test_cmdline_cut(void **state)
{
	size_t n = 3 * PT_CMDLINE_MAX;
	char *big = malloc(n), *s;

	assert_non_null(big);
	memset(big, 'a', n);
	s = pt_proc_cmdline__parse(big, n);
	assert_int_equal(strlen(s), PT_CMDLINE_MAX - 1);
	free(s);
	free(big);
}

static int rss(const char *text, uint64_t *r, uint64_t *h)
{
	return pt_proc_status__rss(text, strlen(text), r, h);
}

static void test_status(void **state)
{
	uint64_t r = 0, h = 0;

	assert_int_equal(rss("Name:\tcat\nVmHWM:\t    2048 kB\n"
			     "VmRSS:\t  1024 kB\nThreads:\t1\n",
			     &r, &h),
			 0);
	assert_int_equal(r, 1024 * 1024);
	assert_int_equal(h, 2048 * 1024);
	/* The last line need not end in a newline. */
	assert_int_equal(rss("VmRSS: 1 kB\nVmHWM: 3 kB", &r, &h), 0);
	assert_int_equal(h, 3 * 1024);
}

static void test_status_hostile(void **state)
{
	uint64_t r = 7, h = 7;

	/* A zombie has neither line. */
	assert_int_equal(rss("Name:\tz\nState:\tZ (zombie)\n", &r, &h), -ESRCH);
	assert_int_equal(rss("VmRSS: 1 kB\n", &r, &h), -ESRCH);
	assert_int_equal(rss("VmRSS: kB\nVmHWM: 1 kB\n", &r, &h), -ESRCH);
	assert_int_equal(rss("VmRSS: 1 MB\nVmHWM: 1 kB\n", &r, &h), -ESRCH);
	assert_int_equal(rss(" VmRSS: 1 kB\nVmHWM: 1 kB\n", &r, &h), -ESRCH);
	/* 2^54 KiB is 2^64 bytes. */
	assert_int_equal(rss("VmRSS: 18014398509481984 kB\nVmHWM: 1 kB\n", &r,
			     &h),
			 -EOVERFLOW);
	assert_int_equal(rss("VmRSS: 99999999999999999999999 kB\n", &r, &h),
			 -EOVERFLOW);
	assert_int_equal(r, 7);
	assert_int_equal(h, 7);
	assert_int_equal(
		rss("VmRSS: 18014398509481983 kB\nVmHWM: 0 kB\n", &r, &h), 0);
	assert_true(r == UINT64_MAX - 1023);
}

static void test_own_process(void **state)
{
	uint64_t r = 0, h = 0;
	char *s = pt_proc_cmdline__read(getpid());

	assert_non_null(s);
	assert_non_null(strstr(s, "test_procinfo"));
	free(s);
	assert_int_equal(pt_proc_status__read_rss(getpid(), &r, &h), 0);
	assert_true(r > 0 && h >= r);
	assert_int_equal(pt_proc_status__read_rss(-1, &r, &h), -ESRCH);
	assert_null(pt_proc_cmdline__read(-1));
}

/* pt_proc_io__parse() of a string literal. */
#define io_parse(lit, r, w) pt_proc_io__parse(lit, strlen(lit), r, w)

/* /proc/PID/io's rchar and wchar; malformed, missing and too large values
 * refused. */
static void test_io(void **state)
{
	const char ok[] = "rchar: 4096\nwchar: 12\nsyscr: 3\nsyscw: 1\n";
	uint64_t r = 0, w = 0;

	(void)state;
	assert_int_equal(pt_proc_io__parse(ok, strlen(ok), &r, &w), 0);
	assert_int_equal(r, 4096);
	assert_int_equal(w, 12);
	assert_int_equal(io_parse("rchar: 1\n", &r, &w), -ESRCH);
	assert_int_equal(io_parse("rchar: 1x\nwchar: 2", &r, &w), -EINVAL);
	assert_int_equal(io_parse("rchar:\nwchar: 2", &r, &w), -EINVAL);
	assert_int_equal(io_parse("rchar: 18446744073709551616\nwchar: 2", &r,
				  &w),
			 -EOVERFLOW);
	assert_int_equal(
		io_parse("rchar: 18446744073709551615\nwchar: 0", &r, &w), 0);
	assert_true(r == UINT64_MAX && w == 0);
	/* our own: readable; a pid that is none: gone */
	assert_int_equal(pt_proc_io__read(getpid(), &r, &w), 0);
	assert_int_equal(pt_proc_io__read(-1, &r, &w), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_joined),
		cmocka_unit_test(test_cmdline_control_characters),
		cmocka_unit_test(test_cmdline_cut),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_hostile),
		cmocka_unit_test(test_own_process),
		cmocka_unit_test(test_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
