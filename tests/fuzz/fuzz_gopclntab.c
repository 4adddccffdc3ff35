// SPDX-License-Identifier: MIT
/*
 * fuzz_gopclntab.c - libFuzzer harness for gopclntab.c: the input is a
 * .gopclntab section. When it parses, every function is read and looked
 * up at its entry and its last byte, which must give back that function,
 * and a name must be a non-empty string.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "symbols/gopclntab.h"
#include "fuzz.h"

#define TEXT 0x401000u

/* A function with a non-empty range is the one found at its first and
 * last byte (the table is sorted: no other has an entry in between). */
static void check_func(const struct pt_gotab *t, size_t i, const uint8_t *data,
		       size_t size)
{
	uint64_t entry, end, e2;
	const char *name, *n2;

	if (pt_gotab__func(t, i, &entry, &end, &name))
		return; /* a bad name offset: reported, not read */
	CHECK(entry <= end);
	CHECK(name[0] != '\0');
	CHECK(strlen(name) < size); /* inside the copy of the input */
	if (entry == end)
		return;
	CHECK(pt_gotab__lookup(t, entry, &n2, &e2) == 0);
	CHECK(e2 == entry && n2 == name);
	CHECK(pt_gotab__lookup(t, end - 1, &n2, &e2) == 0);
	CHECK(e2 == entry && n2 == name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_gotab *t = NULL;
	const char *name;
	uint64_t entry;
	size_t i, n;

	if (pt_gotab__parse(data, size, TEXT, &t))
		return 0;
	n = pt_gotab__count(t);
	CHECK(n > 0 && n <= size / 8);
	for (i = 0; i < n && i < 4096; i++)
		check_func(t, i, data, size);
	pt_gotab__lookup(t, 0, &name, &entry);
	pt_gotab__lookup(t, UINT64_MAX, &name, &entry);
	pt_gotab__lookup(t, TEXT, &name, &entry);
	pt_gotab__free(t);
	return 0;
}
