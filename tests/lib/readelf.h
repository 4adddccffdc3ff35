/* SPDX-License-Identifier: MIT */
/*
 * readelf.h - independent truths for the ELF tests: section headers and
 * symbols as binutils' readelf prints them (not through libelf, which the
 * code under test uses). Failures fail the current cmocka test.
 */
#ifndef PTEST_READELF_H
#define PTEST_READELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptest_section {
	char name[64];
	uint64_t addr, off, size;
	bool exec; /* flags hold X */
};

struct ptest_sections {
	struct ptest_section v[64];
	size_t n;
};

/* Section headers of PATH (`readelf -SW`); more than 10 expected. */
void ptest_readelf_sections(const char *path, struct ptest_sections *s);
/* The section called NAME; fails the test if there is none. */
const struct ptest_section *ptest_section_named(const struct ptest_sections *s,
						const char *name);
/* Value and size of symbol NAME (first match, `readelf -sW`); fails the
 * test if there is none. */
void ptest_readelf_symbol(const char *path, const char *name, uint64_t *value,
			  uint64_t *size);

#endif /* PTEST_READELF_H */
