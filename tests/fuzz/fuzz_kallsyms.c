// SPDX-License-Identifier: MIT
/*
 * fuzz_kallsyms.c - libFuzzer harness for pt_ksyms__parse() and the
 * lookups.
 *
 * Besides memory safety (ASan/UBSan), it checks properties of every input
 * the parser accepts: a table sorted by strictly increasing non-zero
 * address with sane names, modules and types, lookups that agree with the
 * table, and a round trip (formatting the table the way the kernel does and
 * parsing that again gives the same table).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kallsyms.h"
#include "fuzz.h"

static int sane_string(const char *s, size_t max, int bracket_ok)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] >= 0x7f || (!bracket_ok && s[n] == ']'))
			return 0;
	return n > 0 && n <= max;
}

/* Format K as /proc/kallsyms text; returns a heap buffer, length in *len. */
static char *format_ksyms(const struct pt_ksyms *k, size_t *len)
{
	size_t cap = 1, i, off = 0, n = pt_ksyms__count(k);
	char *buf;

	for (i = 0; i < n; i++) {
		const struct pt_ksym *s = pt_ksyms__at(k, i);

		cap += 32 + strlen(s->name) +
		       (s->module ? strlen(s->module) : 0);
	}
	buf = malloc(cap);
	if (!buf)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct pt_ksym *s = pt_ksyms__at(k, i);

		off += (size_t)snprintf(buf + off, cap - off, "%016llx %c %s",
					(unsigned long long)s->addr, s->type,
					s->name);
		if (s->module)
			off += (size_t)snprintf(buf + off, cap - off, "\t[%s]",
						s->module);
		buf[off++] = '\n';
	}
	*len = off;
	return buf;
}

static void check_same(const struct pt_ksyms *a, const struct pt_ksyms *b)
{
	size_t i, n = pt_ksyms__count(a);

	CHECK(n == pt_ksyms__count(b));
	for (i = 0; i < n; i++) {
		const struct pt_ksym *x = pt_ksyms__at(a, i);
		const struct pt_ksym *y = pt_ksyms__at(b, i);

		CHECK(x->addr == y->addr && x->type == y->type);
		CHECK(!strcmp(x->name, y->name));
		CHECK(!x->module == !y->module);
		CHECK(!x->module || !strcmp(x->module, y->module));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_ksyms *k = (struct pt_ksyms *)1, *again;
	size_t i, n, len, lines = 0;
	char *text;
	int err;

	err = pt_ksyms__parse((const char *)data, size, &k);
	if (err) {
		CHECK(err == -EINVAL || err == -ENOMEM);
		CHECK(!k);
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	n = pt_ksyms__count(k);
	CHECK(n + pt_ksyms__hidden(k) <= lines + 1);
	CHECK(!pt_ksyms__at(k, n));

	for (i = 0; i < n; i++) {
		const struct pt_ksym *s = pt_ksyms__at(k, i);

		CHECK(s && s->addr);
		CHECK(i == 0 || pt_ksyms__at(k, i - 1)->addr < s->addr);
		CHECK(strchr("tTwW", s->type) && s->type);
		CHECK(sane_string(s->name, PT_KSYM_NAME_MAX, 1));
		CHECK(!s->module || sane_string(s->module, 255, 0));
		CHECK(pt_ksyms__find(k, s->addr) == s);
		CHECK(pt_ksyms__find(k, s->addr - 1) ==
		      (i ? pt_ksyms__at(k, i - 1) : NULL));
		CHECK(pt_ksyms__name(k, s->addr) == s->name);
	}
	CHECK(!pt_ksyms__find(k, 0));
	CHECK(!n || pt_ksyms__find(k, UINT64_MAX) == pt_ksyms__at(k, n - 1));

	text = format_ksyms(k, &len);
	if (text) {
		err = pt_ksyms__parse(text, len, &again);
		CHECK(err == 0 || err == -ENOMEM);
		if (!err) {
			check_same(k, again);
			CHECK(pt_ksyms__hidden(again) == 0);
			pt_ksyms__free(again);
		}
		free(text);
	}
	pt_ksyms__free(k);
	return 0;
}
