// SPDX-License-Identifier: MIT
/* readelf.c - see readelf.h. */
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/readelf.h"

void ptest_readelf_sections(const char *path, struct ptest_sections *s)
{
	char cmd[PATH_MAX + 64], line[512], flags[16];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -SW '%s'", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	s->n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct ptest_section *sec = &s->v[s->n];
		char *p = strchr(line, ']');
		char type[32];

		if (!p || !strchr(line, '[') || s->n == 64)
			continue;
		/* [Nr] Name Type Address Off Size ES Flg Lk Inf Al */
		if (sscanf(p + 1,
			   "%63s %31s %" SCNx64 " %" SCNx64 " %" SCNx64
			   " %*x %15s",
			   sec->name, type, &sec->addr, &sec->off, &sec->size,
			   flags) != 6)
			continue;
		sec->exec = strchr(flags, 'X') != NULL;
		s->n++;
	}
	assert_int_equal(pclose(f), 0);
	assert_true(s->n > 10);
}

const struct ptest_section *ptest_section_named(const struct ptest_sections *s,
						const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	fail_msg("no section %s", name);
	return NULL;
}

void ptest_readelf_symbol(const char *path, const char *name, uint64_t *value,
			  uint64_t *size)
{
	char cmd[PATH_MAX + 64], line[1024], sym[512];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -sW '%s'", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t v, sz;

		/* Num: Value Size Type Bind Vis Ndx Name */
		if (sscanf(line,
			   " %*u: %" SCNx64 " %" SCNu64
			   " %*s %*s %*s %*s %511s",
			   &v, &sz, sym) == 3 &&
		    !strcmp(sym, name) && !found) {
			*value = v;
			*size = sz;
			found = true;
		}
	}
	assert_int_equal(pclose(f), 0);
	if (!found)
		fail_msg("readelf: no symbol %s in %s", name, path);
}
