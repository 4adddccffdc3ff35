// SPDX-License-Identifier: MIT
/*
 * test_atomicfile.c - the one atomic writer: the target appears only on
 * commit, complete; an abort leaves nothing; what must not be replaced (a
 * FIFO, a directory) is refused at open. Each case runs both ways: an
 * unnamed O_TMPFILE and the mkstemp fallback.
 */
#include <dirent.h>
#include <errno.h>
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

#include "util/atomicfile.h"
#include "lib/ptest.h"

static const unsigned int ways[] = { 0, PT_AFILE_NO_TMPFILE };

static char *read_all(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_commit(void **state)
{
	char dir[] = "/tmp/pt-afile-XXXXXX", path[128], err[512];
	struct pt_afile *a;
	struct stat st;
	size_t i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	for (i = 0; i < 2; i++) {
		assert_int_equal(
			pt_afile__open(path, ways[i], &a, err, sizeof(err)), 0);
		assert_int_equal(pt_afile__unnamed(a), ways[i] == 0);
		fputs(i ? "second\n" : "first\n", pt_afile__file(a));
		fflush(pt_afile__file(a));
		/* Written, not committed: no file under the name (the
		 * second time, the first one's, untouched). */
		if (i)
			assert_string_equal(read_all(path), "first\n");
		else
			assert_int_equal(access(path, F_OK), -1);
		assert_int_equal(pt_afile__commit(a, err, sizeof(err)), 0);
		/* Committed: the whole file, and nothing else beside it
		 * (the second time it replaced the first). */
		assert_string_equal(read_all(path), i ? "second\n" : "first\n");
		assert_int_equal(ptest_count_entries(dir), 1);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644 & ~0022);
	}
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_abort(void **state)
{
	char dir[] = "/tmp/pt-afile-XXXXXX", path[128], err[512];
	struct pt_afile *a;
	size_t i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	for (i = 0; i < 2; i++) {
		assert_int_equal(
			pt_afile__open(path, ways[i], &a, err, sizeof(err)), 0);
		fputs("half", pt_afile__file(a));
		fflush(pt_afile__file(a));
		/* The mkstemp way has a hidden file while writing. */
		assert_int_equal(ptest_count_entries(dir), ways[i] ? 1 : 0);
		pt_afile__abort(a);
		assert_int_equal(ptest_count_entries(dir), 0);
	}
	/* An existing file is untouched by an abort. */
	a = NULL;
	assert_int_equal(pt_afile__open(path, 0, &a, err, sizeof(err)), 0);
	fputs("old\n", pt_afile__file(a));
	assert_int_equal(pt_afile__commit(a, err, sizeof(err)), 0);
	assert_int_equal(pt_afile__open(path, 0, &a, err, sizeof(err)), 0);
	fputs("new\n", pt_afile__file(a));
	pt_afile__abort(a);
	assert_string_equal(read_all(path), "old\n");
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* A FIFO, a directory, a path ending in '/', a missing directory: refused
 * at open, one-line message naming the path, nothing created. */
static void test_refuse(void **state)
{
	char dir[] = "/tmp/pt-afile-XXXXXX", path[128], err[512];
	struct pt_afile *a = NULL;
	struct stat st;
	size_t i;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/fifo", dir);
		assert_int_equal(mkfifo(path, 0644), 0);
		err[0] = '\0';
		assert_int_equal(pt_afile__open(path, ways[i], &a, err,
						sizeof(err)),
				 -EINVAL);
		assert_null(a);
		assert_non_null(strstr(err, path));
		assert_null(strchr(err, '\n'));
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISFIFO(st.st_mode));
		unlink(path);

		snprintf(path, sizeof(path), "%s/sub", dir);
		assert_int_equal(mkdir(path, 0755), 0);
		assert_int_equal(pt_afile__open(path, ways[i], &a, err,
						sizeof(err)),
				 -EISDIR);
		assert_non_null(strstr(err, "is a directory"));
		assert_int_equal(ptest_count_entries(path), 0);
		rmdir(path);

		snprintf(path, sizeof(path), "%s/", dir);
		assert_int_equal(pt_afile__open(path, ways[i], &a, err,
						sizeof(err)),
				 -EISDIR);

		snprintf(path, sizeof(path), "%s/no-such-dir/x", dir);
		assert_int_equal(pt_afile__open(path, ways[i], &a, err,
						sizeof(err)),
				 -ENOENT);
		assert_non_null(strstr(err, "no-such-dir"));
		assert_int_equal(ptest_count_entries(dir), 0);
	}
	/* /dev/null is a device: never replaced. */
	assert_int_equal(pt_afile__open("/dev/null", 0, &a, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rmdir(dir), 0);
}

/* A directory the writer cannot write in (root ignores modes: a
 * read-only file system stands in when run as root). */
static void test_unwritable(void **state)
{
	char dir[] = "/tmp/pt-afile-XXXXXX", path[128], err[512];
	struct pt_afile *a = NULL;

	if (geteuid() == 0) {
		assert_true(pt_afile__open("/proc/pt-afile-test", 0, &a, err,
					   sizeof(err)) < 0);
		assert_null(a);
		assert_non_null(strstr(err, "/proc/pt-afile-test"));
		return;
	}
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0555), 0);
	snprintf(path, sizeof(path), "%s/x", dir);
	assert_int_equal(pt_afile__open(path, 0, &a, err, sizeof(err)),
			 -EACCES);
	chmod(dir, 0755);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
