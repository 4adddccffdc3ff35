// SPDX-License-Identifier: MIT
/*
 * test_fpcheck.c - unit tests of the frame-pointer evidence
 * (symbols/fpcheck.c): Debian's libc and liblzma, built without frame
 * pointers, lack them; refpipe and this test, built with
 * -fno-omit-frame-pointer, have them; truncated copies of an ELF file are
 * read within their bounds.
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
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "symbols/fpcheck.h"

#include "lib/paths.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LZMA "/usr/lib/x86_64-linux-gnu/liblzma.so.5"

/* The check of the file at PATH; -ENOENT when it is not there. */
static int check_file(const char *path, struct pt_fpcheck *c)
{
	int fd = open(path, O_RDONLY), ret;
	Elf *elf;

	if (fd < 0)
		return -ENOENT;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	assert_non_null(elf);
	ret = pt_fpcheck__elf(elf, c);
	elf_end(elf);
	close(fd);
	return ret;
}

static void test_debian_libraries_lack_fp(void **state)
{
	struct pt_fpcheck c;

	assert_int_equal(check_file(LIBC, &c), 0);
	print_message("libc: %u of %u functions set up a frame pointer\n", c.fp,
		      c.funcs);
	assert_true(c.funcs > 1000);
	assert_true(pt_fpcheck__lacks_fp(&c));
	if (check_file(LZMA, &c) == -ENOENT) {
		print_message("[  SKIP    ] no %s\n", LZMA);
		return;
	}
	print_message("liblzma: %u of %u\n", c.fp, c.funcs);
	assert_true(pt_fpcheck__lacks_fp(&c));
}

static void test_fp_builds_have_fp(void **state)
{
	/* Not this test's own binary: it links libiberty's static archive,
	 * built without frame pointers. */
	static const char *const paths[] = { PT_BUILD_DIR "/refpipe",
					     PT_BUILD_DIR
					     "/fixtures/fixture_shop" };
	struct pt_fpcheck c;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(check_file(paths[i], &c), 0);
		print_message("%s: %u of %u\n", paths[i], c.fp, c.funcs);
		assert_true(c.funcs >= 8);
		assert_false(pt_fpcheck__lacks_fp(&c));
	}
}

/* libc cut at every 4 KiB and at odd lengths: no crash, and a cut before
 * the table reads as nothing told or as fewer functions. */
static void test_truncated(void **state)
{
	struct pt_fpcheck full, c;
	struct stat st;
	size_t len;
	char *buf;
	Elf *elf;
	int fd;

	fd = open(LIBC, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	assert_int_equal(check_file(LIBC, &full), 0);
	elf_version(EV_CURRENT);
	for (len = 0; len < (size_t)st.st_size; len += 4093) {
		elf = elf_memory(buf, len);
		if (!elf)
			continue;
		if (!pt_fpcheck__elf(elf, &c))
			assert_true(c.funcs <= full.funcs);
		elf_end(elf);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_libraries_lack_fp),
		cmocka_unit_test(test_fp_builds_have_fp),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
