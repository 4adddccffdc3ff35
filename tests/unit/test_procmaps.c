// SPDX-License-Identifier: MIT
/*
 * test_procmaps.c - unit tests of the /proc/PID/maps parser.
 *
 * Fixture files are read into heap buffers of exactly their size, without a
 * terminating NUL, so that an overread shows under ASan or valgrind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "symbols/procmaps.h"

#ifndef PT_SOURCE_DIR
#define PT_SOURCE_DIR "."
#endif
#define MAPS_DIR PT_SOURCE_DIR "/tests/fixtures/maps/"

/* ---------------------------------------------------------------- helpers */

/* Read fixture NAME into an exact-size heap buffer (not NUL-terminated). */
static char *read_fixture(const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s%s", MAPS_DIR, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, *len), (ssize_t)*len);
	close(fd);
	return buf;
}

/* Parse fixture NAME; returns pt_maps__parse()'s result. */
static int parse_fixture(const char *name, struct pt_maps *m)
{
	size_t len;
	char *buf = read_fixture(name, &len);
	int err = pt_maps__parse(buf, len, m);

	free(buf);
	return err;
}

/* Parse the string S, passed without its NUL in an exact-size buffer. */
static int parse_str(const char *s, struct pt_maps *m)
{
	size_t len = strlen(s);
	char *buf = malloc(len ? len : 1);
	int err;

	assert_non_null(buf);
	memcpy(buf, s, len);
	err = pt_maps__parse(buf, len, m);
	free(buf);
	return err;
}

static void assert_mapping(const struct pt_mapping *m, uint64_t start,
			   uint64_t end, unsigned int perms, uint64_t offset,
			   unsigned int major, unsigned int minor,
			   uint64_t inode, const char *path, bool deleted)
{
	assert_non_null(m);
	assert_int_equal(m->start, start);
	assert_int_equal(m->end, end);
	assert_int_equal(m->perms, perms);
	assert_int_equal(m->offset, offset);
	assert_int_equal(m->dev_major, major);
	assert_int_equal(m->dev_minor, minor);
	assert_int_equal(m->inode, inode);
	if (path)
		assert_string_equal(m->path, path);
	else
		assert_null(m->path);
	assert_int_equal(m->deleted, deleted);
}

#define RP (PT_MAP_R | PT_MAP_P)
#define RXP (PT_MAP_R | PT_MAP_X | PT_MAP_P)
#define RWP (PT_MAP_R | PT_MAP_W | PT_MAP_P)
#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

/* ------------------------------------------------------- fixture parsing */

static void test_parse_pie_process(void **state)
{
	struct pt_maps m;

	assert_int_equal(parse_fixture("pie_process.txt", &m), 0);
	assert_int_equal(m.n, 38);
	assert_mapping(&m.v[0], 0x5581a2c00000, 0x5581a2c01000, RP, 0, 0xfe, 1,
		       1311023, "/usr/local/bin/refpipe", false);
	assert_mapping(&m.v[1], 0x5581a2c01000, 0x5581a2c03000, RXP, 0x1000,
		       0xfe, 1, 1311023, "/usr/local/bin/refpipe", false);
	assert_mapping(&m.v[5], 0x5581a3e5e000, 0x5581a3e7f000, RWP, 0, 0, 0, 0,
		       "[heap]", false);
	/* anonymous, with the kernel's trailing space */
	assert_mapping(&m.v[6], 0x7f0b6c000000, 0x7f0b6c021000, RWP, 0, 0, 0, 0,
		       NULL, false);
	assert_mapping(&m.v[7], 0x7f0b6c021000, 0x7f0b70000000, PT_MAP_P, 0, 0,
		       0, 0, NULL, false);
	/* shared, deleted */
	assert_mapping(&m.v[8], 0x7f0b71a00000, 0x7f0b71a02000,
		       PT_MAP_R | PT_MAP_W, 0, 0, 1, 4097, "/memfd:ring", true);
	assert_mapping(&m.v[15], 0x7f0b71eab000, 0x7f0b72000000, RXP, 0x26000,
		       0xfe, 1, 131567, LIBDIR "libc.so.6", false);
	assert_mapping(&m.v[24], 0x7f0b72200000, 0x7f0b72201000, RP, 0, 0xfe, 1,
		       655362, "/opt/my app/lib/libplugin.so", false);
	assert_mapping(&m.v[27], 0x7f0b72301000, 0x7f0b72303000, RXP, 0x1000,
		       0xfe, 1, 655401, "/tmp/old-build/libstage.so", true);
	assert_mapping(&m.v[30], 0x7f0b72316000, 0x7f0b72318000, RXP, 0, 0, 0,
		       0, "[vdso]", false);
	assert_mapping(&m.v[36], 0x7ffd8e1f0000, 0x7ffd8e211000, RWP, 0, 0, 0,
		       0, "[stack]", false);
	assert_mapping(&m.v[37], 0xffffffffff600000, 0xffffffffff601000,
		       PT_MAP_X | PT_MAP_P, 0, 0, 0, 0, "[vsyscall]", false);
	pt_maps__free(&m);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
}

static void test_parse_captured(void **state)
{
	struct pt_maps m;
	size_t i, anon = 0, special = 0;

	/* A real capture of `cat /proc/self/maps`. */
	assert_int_equal(parse_fixture("captured_cat.txt", &m), 0);
	assert_int_equal(m.n, 38);
	assert_string_equal(m.v[0].path, "/usr/bin/cat");
	assert_int_equal(m.v[0].perms, RP);
	assert_int_equal(m.v[1].perms, RXP);
	assert_int_equal(m.v[1].offset, 0x2000);
	for (i = 0; i < m.n; i++) {
		assert_true(m.v[i].start < m.v[i].end);
		if (i)
			assert_true(m.v[i - 1].end <= m.v[i].start);
		if (!m.v[i].path)
			anon++;
		else if (m.v[i].path[0] == '[')
			special++;
		else
			assert_int_equal(m.v[i].path[0], '/');
	}
	assert_int_equal(anon, 4);
	assert_int_equal(special, 6); /* heap stack vdso vsyscall vvar x2 */
	assert_non_null(pt_maps__find_object(&m, "cat"));
	assert_ptr_equal(pt_maps__find_object(&m, "libc.so.6"),
			 pt_maps__find_object(&m, "libc"));
	pt_maps__free(&m);
}

static void test_parse_no_trailing_newline(void **state)
{
	struct pt_maps m;

	assert_int_equal(parse_fixture("no_trailing_newline.txt", &m), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[2].path, "/usr/local/bin/refpipe");
	assert_int_equal(m.v[2].offset, 0x3000);
	pt_maps__free(&m);
}

static void test_parse_malformed_fixtures(void **state)
{
	static const char *const bad[] = {
		"bad_perms.txt",	"bad_start_gt_end.txt",
		"bad_overlong_hex.txt", "bad_missing_inode.txt",
		"bad_dev.txt",		"bad_inode_overflow.txt",
		"bad_tab.txt",		"bad_garbage.txt",
		"bad_blank_line.txt",
	};
	struct pt_maps m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.v = (void *)1; /* must be reset on error */
		m.n = 99;
		if (parse_fixture(bad[i], &m) != -EINVAL)
			fail_msg("%s: not -EINVAL", bad[i]);
		assert_null(m.v);
		assert_int_equal(m.n, 0);
	}
}

/* ------------------------------------------------------------ edge cases */

static void test_parse_empty(void **state)
{
	struct pt_maps m = { (void *)1, 5 };

	assert_int_equal(pt_maps__parse(NULL, 0, &m), 0);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
	assert_int_equal(parse_str("", &m), 0);
	assert_int_equal(m.n, 0);
	/* a lone newline is an empty line, not an empty file */
	assert_int_equal(parse_str("\n", &m), -EINVAL);
	pt_maps__free(&m);
	pt_maps__free(NULL);
}

static void test_parse_malformed_inline(void **state)
{
	static const char *const bad[] = {
		"1000-2000 r-xp 0 08:01 12 /a\n\n",
		"2000-1000 r-xp 0 08:01 12 /a\n", /* start > end */
		"11112222333344445-11112222333344446 r-xp 0 08:01 1 /a\n",
		"1000-2000 r-xp 00001111222233334444 08:01 1 /a\n",
		"1000-2000 r-xp 0 123456789:01 1 /a\n", /* 9-digit major */
		"1000-2000 rxp 0 08:01 1 /a\n",
		"1000-2000 r-xpp 0 08:01 1 /a\n",
		"1000-2000 R-xp 0 08:01 1 /a\n",
		"1000-2000  r-xp 0 08:01 1 /a\n", /* two spaces */
		" 1000-2000 r-xp 0 08:01 1 /a\n",
		"1000 2000 r-xp 0 08:01 1 /a\n",
		"-2000 r-xp 0 08:01 1 /a\n",
		"1000- r-xp 0 08:01 1 /a\n",
		"1000-2000 r-xp 0 08:01\n",
		"1000-2000 r-xp 0 08:01 \n",
		"1000-2000 r-xp 0 0801 1 /a\n",
		"1000-2000 r-xp 0 08: 1 /a\n",
		"1000-2000 r-xp 0 08:01 1x /a\n",
		"1000-2000 r-xp 0 08:01 18446744073709551616 /a\n", /* 2^64 */
		"1000-2000 r-xp 0 08:01 -1 /a\n",
		"1000-2000 r-xp 0x0 08:01 1 /a\n",
		"1000-2000 r-xp 0 08:01 1\t/a\n",
		"g000-2000 r-xp 0 08:01 1 /a\n",
		"1000-2000",
		"1000-2000 r-xp 0 08:01 1 /a\r\n1000",
	};
	struct pt_maps m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_str(bad[i], &m) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_parse_nul_byte(void **state)
{
	static const char line[] = "1000-2000 r-xp 0 08:01 1 /a\0b\n";
	struct pt_maps m;

	/* sizeof - 1: the NUL inside the path is part of the input */
	assert_int_equal(pt_maps__parse(line, sizeof(line) - 1, &m), -EINVAL);
	assert_int_equal(pt_maps__parse(line, 27, &m), 0); /* up to "/a" */
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].path, "/a");
	pt_maps__free(&m);
}

static void test_parse_limits(void **state)
{
	struct pt_maps m;

	assert_int_equal(parse_str("0-ffffffffffffffff rw-s ffffffffffffffff "
				   "ffffffff:ffffffff 18446744073709551615\n",
				   &m),
			 0);
	assert_mapping(&m.v[0], 0, UINT64_MAX, PT_MAP_R | PT_MAP_W, UINT64_MAX,
		       0xffffffff, 0xffffffff, UINT64_MAX, NULL, false);
	pt_maps__free(&m);
	/* start == end is not "start > end"; uppercase hex is hex */
	assert_int_equal(parse_str("ABC-abc ---p 0 0:0 0", &m), 0);
	assert_int_equal(m.v[0].start, 0xabc);
	assert_int_equal(m.v[0].end, 0xabc);
	assert_null(pt_maps__find_addr(&m, 0xabc));
	pt_maps__free(&m);
}

static void test_parse_paths(void **state)
{
	struct pt_maps m;

	assert_int_equal(
		parse_str("1000-2000 r-xp 0 08:01 1      /x/a b  c   \n"
			  "2000-3000 r-xp 0 08:01 1 /x/gone (deleted)\n"
			  "3000-4000 r-xp 0 08:01 1 (deleted)\n"
			  "4000-5000 r-xp 0 08:01 1 /x/y (deleted) (deleted)\n"
			  "5000-6000 r-xp 0 08:01 1 /x/y(deleted)\n"
			  "6000-7000 rw-p 0 00:00 0      \n"
			  "7000-8000 rw-p 0 00:00 0 [anon:my arena]\n"
			  "8000-9000 rw-s 0 00:0e 9 anon_inode:[perf_event]",
			  &m),
		0);
	assert_int_equal(m.n, 8);
	assert_string_equal(m.v[0].path, "/x/a b  c   "); /* spaces kept */
	assert_false(m.v[0].deleted);
	assert_string_equal(m.v[1].path, "/x/gone");
	assert_true(m.v[1].deleted);
	assert_string_equal(m.v[2].path, "(deleted)"); /* no " " before */
	assert_false(m.v[2].deleted);
	assert_string_equal(m.v[3].path, "/x/y (deleted)"); /* once only */
	assert_true(m.v[3].deleted);
	assert_string_equal(m.v[4].path, "/x/y(deleted)");
	assert_false(m.v[4].deleted);
	assert_null(m.v[5].path);
	assert_string_equal(m.v[6].path, "[anon:my arena]");
	assert_string_equal(m.v[7].path, "anon_inode:[perf_event]");
	/* not file-backed: never found as an object */
	assert_null(pt_maps__find_object(&m, "anon_inode:[perf_event]"));
	assert_null(pt_maps__find_object(&m, "[anon:my arena]"));
	/* basename "y (deleted)": NAME must be followed by '.' or end it */
	assert_null(pt_maps__find_object(&m, "y"));
	assert_ptr_equal(pt_maps__find_object(&m, "y (deleted)"), &m.v[3]);
	pt_maps__free(&m);
}

static void test_parse_long_lines(void **state)
{
	size_t plen = 200000, n = 500, i, len;
	const char *head = "7f0000000000-7f0000001000 r-xp 00000000 08:01 42 ";
	struct pt_maps m;
	char *buf, *p;

	/* One path of 200000 characters, then 500 short lines. */
	len = strlen(head) + 1 + plen + 1 + n * 64;
	buf = malloc(len);
	assert_non_null(buf);
	p = buf + sprintf(buf, "%s/", head);
	memset(p, 'x', plen);
	p += plen;
	*p++ = '\n';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%llx-%llx r--p 0 08:01 %zu /l\n",
			     0x10000ULL + i * 0x1000, 0x11000ULL + i * 0x1000,
			     i);
	assert_int_equal(pt_maps__parse(buf, (size_t)(p - buf), &m), 0);
	assert_int_equal(m.n, n + 1);
	assert_int_equal(strlen(m.v[0].path), plen + 1);
	assert_int_equal(m.v[n].inode, n - 1);
	assert_ptr_equal(pt_maps__find_addr(&m, 0x10000 + 0x1000 * 250 + 5),
			 &m.v[251]);
	pt_maps__free(&m);
	free(buf);
}

/* ---------------------------------------------------------------- lookups */

static void test_find_addr(void **state)
{
	struct pt_maps m;

	assert_int_equal(parse_fixture("pie_process.txt", &m), 0);
	assert_ptr_equal(pt_maps__find_addr(&m, 0x5581a2c01000), &m.v[1]);
	assert_ptr_equal(pt_maps__find_addr(&m, 0x5581a2c02fff), &m.v[1]);
	/* end is exclusive */
	assert_ptr_equal(pt_maps__find_addr(&m, 0x5581a2c03000), &m.v[2]);
	assert_ptr_equal(pt_maps__find_addr(&m, 0x7f0b71eab123), &m.v[15]);
	assert_ptr_equal(pt_maps__find_addr(&m, 0xffffffffff600abc), &m.v[37]);
	/* gaps and extremes */
	assert_null(pt_maps__find_addr(&m, 0));
	assert_null(pt_maps__find_addr(&m, 0x5581a2c06000));
	assert_null(pt_maps__find_addr(&m, 0x7f0b72199999));
	assert_null(pt_maps__find_addr(&m, UINT64_MAX));
	assert_null(pt_maps__find_addr(NULL, 0x1000));
	pt_maps__free(&m);
}

static void test_find_object(void **state)
{
	const struct pt_mapping *z, *c, *cr;
	struct pt_maps m;

	assert_int_equal(parse_fixture("pie_process.txt", &m), 0);
	z = &m.v[20]; /* first libz.so.1.2.13 mapping */
	c = &m.v[14]; /* first libc.so.6 */
	cr = &m.v[9]; /* first libcrypto.so.3, before libc in the file */
	assert_string_equal(z->path, LIBDIR "libz.so.1.2.13");
	assert_string_equal(c->path, LIBDIR "libc.so.6");
	assert_string_equal(cr->path, LIBDIR "libcrypto.so.3");

	/* basename equal, or NAME followed by '.' */
	assert_ptr_equal(pt_maps__find_object(&m, "libz.so.1"), z);
	assert_ptr_equal(pt_maps__find_object(&m, "libz.so.1.2.13"), z);
	assert_ptr_equal(pt_maps__find_object(&m, "libz.so.1.2"), z);
	assert_ptr_equal(pt_maps__find_object(&m, "libz"), z);
	assert_null(pt_maps__find_object(&m, "libz.so.1.2.1"));
	assert_null(pt_maps__find_object(&m, "libz.so.12"));
	assert_null(pt_maps__find_object(&m, "libz.so.1.2.13.0"));
	assert_ptr_equal(pt_maps__find_object(&m, "libc.so.6"), c);
	assert_ptr_equal(pt_maps__find_object(&m, "libc"), c); /* not crypto */
	assert_ptr_equal(pt_maps__find_object(&m, "libcrypto.so.3"), cr);
	assert_ptr_equal(pt_maps__find_object(&m, "libcrypto"), cr);
	assert_null(pt_maps__find_object(&m, "libcryp"));
	assert_null(pt_maps__find_object(&m, "ibc.so.6"));
	assert_ptr_equal(pt_maps__find_object(&m, "refpipe"), &m.v[0]);
	assert_ptr_equal(pt_maps__find_object(&m, "ld-linux-x86-64.so.2"),
			 &m.v[31]);
	assert_ptr_equal(pt_maps__find_object(&m, "libplugin.so"), &m.v[24]);
	/* deleted objects are still found (path without the suffix) */
	assert_ptr_equal(pt_maps__find_object(&m, "libstage.so"), &m.v[26]);
	assert_true(m.v[26].deleted);
	assert_null(pt_maps__find_object(&m, "libstage.so (deleted)"));

	/* with a '/', the whole path must be equal */
	assert_ptr_equal(pt_maps__find_object(&m, LIBDIR "libc.so.6"), c);
	assert_ptr_equal(pt_maps__find_object(&m,
					      "/opt/my app/lib/libplugin.so"),
			 &m.v[24]);
	assert_null(
		pt_maps__find_object(&m, "/lib/x86_64-linux-gnu/libc.so.6"));
	assert_null(pt_maps__find_object(&m, LIBDIR "libc"));
	assert_null(pt_maps__find_object(&m, "x86_64-linux-gnu/libc.so.6"));

	/* pseudo-paths and anonymous mappings are not objects */
	assert_null(pt_maps__find_object(&m, "[heap]"));
	assert_null(pt_maps__find_object(&m, "[vdso]"));
	assert_null(pt_maps__find_object(&m, ""));
	assert_null(pt_maps__find_object(&m, NULL));
	assert_null(pt_maps__find_object(NULL, "libc"));
	pt_maps__free(&m);
}

/* ---------------------------------------------------------------- reading */

static void test_read_self(void **state)
{
	char exe[PATH_MAX];
	const struct pt_mapping *t, *o;
	struct pt_maps m;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(pt_maps__read_pid(getpid(), &m), 0);
	assert_true(m.n > 5);
	/* This function's code lies in an executable mapping of our binary. */
	t = pt_maps__find_addr(&m, (uint64_t)(uintptr_t)test_read_self);
	assert_non_null(t);
	assert_true(t->perms & PT_MAP_X);
	assert_string_equal(t->path, exe);
	o = pt_maps__find_object(&m, exe);
	assert_non_null(o);
	assert_true(o->start <= t->start);
	assert_non_null(pt_maps__find_object(&m, strrchr(exe, '/') + 1));
	/* and the heap block we just got is in a writable mapping */
	t = pt_maps__find_addr(&m, (uint64_t)(uintptr_t)m.v);
	assert_non_null(t);
	assert_true(t->perms & PT_MAP_W);
	pt_maps__free(&m);
}

static void test_read_errors(void **state)
{
	struct pt_maps m = { (void *)1, 3 };

	assert_int_equal(pt_maps__read_pid(0, &m), -EINVAL);
	assert_null(m.v);
	assert_int_equal(pt_maps__read_pid(-1, &m), -EINVAL);
	/* above any pid_max (at most 2^22) */
	assert_int_equal(pt_maps__read_pid(INT_MAX, &m), -ESRCH);
	assert_int_equal(m.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pie_process),
		cmocka_unit_test(test_parse_captured),
		cmocka_unit_test(test_parse_no_trailing_newline),
		cmocka_unit_test(test_parse_malformed_fixtures),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_malformed_inline),
		cmocka_unit_test(test_parse_nul_byte),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_paths),
		cmocka_unit_test(test_parse_long_lines),
		cmocka_unit_test(test_find_addr),
		cmocka_unit_test(test_find_object),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
