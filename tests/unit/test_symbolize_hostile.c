// SPDX-License-Identifier: MIT
/*
 * test_symbolize_hostile.c - the symbolizer with a hostile object mapped
 * into the process: fuzz_symbolize found an object whose program headers
 * claim a range over other objects' code (an executable with a segment of
 * 2^54 bytes) taking their addresses: the harness's own function lost its
 * name. Such an object is now named by its mapping, and the others keep
 * their names.
 */
#include <elf.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/paths.h"
#include "symbols/symbolize.h"

#define FX_NOPIE PT_BUILD_DIR "/fixtures/fixture_nopie"

/* Reads FX_NOPIE into buf; with huge, its last PT_LOAD's memory size
 * becomes 2^54. Returns its size. */
static size_t read_exec(char *buf, size_t cap, bool huge)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph, *last = NULL;
	ssize_t n;
	int fd = open(FX_NOPIE, O_RDONLY), i;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n > (ssize_t)sizeof(*eh));
	assert_int_equal(eh->e_type, ET_EXEC);
	assert_true(eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(*ph) <=
		    (uint64_t)n);
	ph = (Elf64_Phdr *)(buf + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			last = &ph[i];
	assert_non_null(last);
	if (huge)
		last->p_memsz = 1ull << 54;
	return (size_t)n;
}

/* Maps the first 4 KiB of a copy of FX_NOPIE (huge: see read_exec())
 * executable, where mmap puts it, not at its own addresses; refreshes s.
 * Returns the mapping. */
static void *map_exec(struct pt_usyms *s, bool huge, char *path)
{
	static char buf[1 << 20];
	size_t n = read_exec(buf, sizeof(buf), huge);
	void *map;
	int fd;

	strcpy(path, "/tmp/pt-hostile-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	map = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(map != MAP_FAILED);
	assert_int_equal(pt_usyms__refresh(s), 0);
	return map;
}

/*
 * An executable mapped away from its addresses claims them (0x400000 on),
 * the next one 2^54 bytes from there: this program's own function keeps
 * its name, and the objects are named by their files.
 */
static void test_object_claiming_others(void **state)
{
	uint64_t addr = (uint64_t)(uintptr_t)&read_exec;
	char path[2][32], before[256], after[256];
	struct pt_usyms *s;
	enum pt_ucode kind;
	char err[256];
	void *map[2];
	int i;

	assert_int_equal(pt_usyms__open(getpid(), &s, err, sizeof(err)), 0);
	assert_int_equal(pt_usyms__name(s, addr, before, sizeof(before)), 0);
	assert_string_equal(before, "read_exec");
	for (i = 0; i < 2; i++) {
		map[i] = map_exec(s, i == 1, path[i]);
		assert_int_equal(pt_usyms__kind(s, (uintptr_t)map[i], &kind),
				 0);
		assert_int_equal(kind, PT_UCODE_NOSYM);
		munmap(map[i], 4096);
		unlink(path[i]);
	}
	assert_int_equal(pt_usyms__name(s, addr, after, sizeof(after)), 0);
	assert_string_equal(after, before);
	pt_usyms__close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_claiming_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
