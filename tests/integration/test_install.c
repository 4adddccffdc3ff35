// SPDX-License-Identifier: MIT
/*
 * test_install.c - `make install` into a temporary DESTDIR puts exactly the
 * four files where they belong, usable: the binary runs, the man page
 * renders, pkg-config finds the header and a program compiles against it;
 * `make uninstall` takes exactly those away. Runs make on the build the
 * rest of the tests use (nothing to rebuild after `make test`'s own build).
 */
#include <errno.h>
#include <ftw.h>
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

#define PREFIX "/opt/pipetrace"
#define MAX_FILES 16

/* What install puts under DESTDIR, sorted, and each one's mode. */
static const struct {
	const char *path;
	mode_t mode;
} expected[] = {
	{ PREFIX "/bin/pipetrace", 0755 },
	{ PREFIX "/include/pipetrace/stage.h", 0644 },
	{ PREFIX "/share/man/man1/pipetrace.1", 0644 },
	{ PREFIX "/share/pkgconfig/pipetrace.pc", 0644 },
};
#define NR_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* nftw() has no context argument: the walk's state. */
static struct {
	size_t root_len;
	struct file {
		char *path;
		mode_t mode;
	} files[MAX_FILES];
	int n;
} walk;

static int add_file(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	if (type != FTW_F && type != FTW_SL)
		return 0;
	if (walk.n == MAX_FILES)
		return 1;
	walk.files[walk.n].mode = st->st_mode & 07777;
	walk.files[walk.n++].path = strdup(path + walk.root_len);
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	const struct file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Every file under root (paths from root), sorted, into walk. */
static void list_files(const char *root)
{
	walk.root_len = strlen(root);
	walk.n = 0;
	assert_int_equal(nftw(root, add_file, 16, FTW_PHYS), 0);
	qsort(walk.files, walk.n, sizeof(walk.files[0]), cmp_path);
}

static void free_files(void)
{
	while (walk.n)
		free(walk.files[--walk.n].path);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	return remove(path);
}

/* Runs a command found in PATH (ptest_run() wants a path) from the
 * sources' root; fails the test unless it exits 0. */
static void run_ok(char **args, char **out)
{
	char *argv[32] = { "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"",
			   PT_SOURCE_DIR };
	char *err = NULL;
	int n = 4;

	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	ptest_run_ok(argv, 600, out, &err);
	free(err);
}

/* make TARGET DESTDIR=dest PREFIX=PREFIX on this build, as a make of its
 * own (not a part of the make that may be running the tests). */
static void make(const char *target, const char *dest)
{
	char destdir[256], output[256];
	char *args[] = {
		"make", "-s", (char *)target, "PREFIX=" PREFIX, destdir,
		output, NULL
	};

	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", dest);
	snprintf(output, sizeof(output), "OUTPUT=%s", PT_BUILD_DIR);
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MAKEOVERRIDES");
	run_ok(args, NULL);
}

static void assert_file_list(void)
{
	size_t i;

	for (i = 0; i < (size_t)walk.n; i++)
		print_message("installed %s %04o\n", walk.files[i].path,
			      (unsigned int)walk.files[i].mode);
	assert_int_equal(walk.n, NR_EXPECTED);
	for (i = 0; i < NR_EXPECTED; i++) {
		assert_string_equal(walk.files[i].path, expected[i].path);
		assert_int_equal(walk.files[i].mode, expected[i].mode);
	}
}

static void check_binary(const char *dest)
{
	char path[512], *out = NULL;
	char *args[] = { path, "--version", NULL };

	snprintf(path, sizeof(path), "%s%s/bin/pipetrace", dest, PREFIX);
	run_ok(args, &out);
	assert_non_null(strstr(out, "pipetrace "));
	free(out);
}

static void check_man(const char *dest)
{
	char path[512], *out = NULL;
	char *args[] = { "env", "MANWIDTH=80", "man", "-l", path, NULL };

	snprintf(path, sizeof(path), "%s%s/share/man/man1/pipetrace.1", dest,
		 PREFIX);
	run_ok(args, &out);
	assert_non_null(strstr(out, "PIPETRACE(1)"));
	assert_non_null(strstr(out, "SYNOPSIS"));
	assert_non_null(strstr(out, "EXIT STATUS"));
	/* make install filled in the version. */
	assert_null(strstr(out, "@VERSION@"));
	free(out);
}

/* pkg-config, the installed tree as the sysroot, gives the header's
 * directory; a stage annotated with it compiles. */
static void check_pkgconfig(const char *dest)
{
	char pcpath[512], sysroot[512], want[512], src[512], obj[512];
	char *out = NULL;
	char *pc[] = { "env",	   pcpath,	sysroot, "pkg-config",
		       "--cflags", "pipetrace", NULL };
	char *cc[] = { "cc", "-Werror", NULL, "-c", src, "-o", obj, NULL };
	FILE *f;

	snprintf(pcpath, sizeof(pcpath), "PKG_CONFIG_PATH=%s%s/share/pkgconfig",
		 dest, PREFIX);
	snprintf(sysroot, sizeof(sysroot), "PKG_CONFIG_SYSROOT_DIR=%s", dest);
	run_ok(pc, &out);
	snprintf(want, sizeof(want), "-I%s%s/include", dest, PREFIX);
	out[strcspn(out, " \n")] = '\0';
	assert_string_equal(out, want);

	snprintf(src, sizeof(src), "%s/stage.c", dest);
	snprintf(obj, sizeof(obj), "%s/stage.o", dest);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("#include <pipetrace/stage.h>\n"
	      "PIPETRACE_NOINLINE long stage_x(void) { return 1; }\n"
	      "PIPETRACE_STAGE(stage_x);\n",
	      f);
	assert_int_equal(fclose(f), 0);
	cc[2] = out;
	run_ok(cc, NULL);
	free(out);
	unlink(src);
	unlink(obj);
}

static int make_dest(void **state)
{
	static char dest[64];

	snprintf(dest, sizeof(dest), "/tmp/pipetrace-install-XXXXXX");
	if (!mkdtemp(dest))
		return -1;
	*state = dest;
	return 0;
}

static int remove_dest(void **state)
{
	return nftw(*state, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_install_uninstall(void **state)
{
	const char *dest = *state;
	char dir[512];

	make("install", dest);
	list_files(dest);
	assert_file_list();
	free_files();
	check_binary(dest);
	check_man(dest);
	check_pkgconfig(dest);

	make("uninstall", dest);
	list_files(dest);
	assert_int_equal(walk.n, 0);
	free_files();
	/* install made include/pipetrace/; uninstall took it away. */
	snprintf(dir, sizeof(dir), "%s%s/include/pipetrace", dest, PREFIX);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_install_uninstall,
						make_dest, remove_dest),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
