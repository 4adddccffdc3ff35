// SPDX-License-Identifier: MIT
/*
 * test_kallsyms.c - unit tests of the /proc/kallsyms parser and lookups:
 * fixed text with good, tied, hidden and malformed lines, inputs without a
 * NUL terminator (exact-size heap copies, so that valgrind or ASan sees an
 * overread), and the real /proc/kallsyms checked against a plain sscanf()
 * reading of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbols/kallsyms.h"

/* Parse the first LEN bytes of TEXT from an exact-size heap copy. */
static int parse_n(const char *text, size_t len, struct pt_ksyms **out)
{
	char *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, text, len);
	err = pt_ksyms__parse(copy, len, out);
	free(copy);
	return err;
}

static int parse(const char *text, struct pt_ksyms **out)
{
	return parse_n(text, strlen(text), out);
}

static struct pt_ksyms *parse_ok(const char *text)
{
	struct pt_ksyms *k = NULL;

	assert_int_equal(parse(text, &k), 0);
	assert_non_null(k);
	return k;
}

static void expect_at(const struct pt_ksyms *k, size_t i, uint64_t addr,
		      char type, const char *name, const char *module)
{
	const struct pt_ksym *s = pt_ksyms__at(k, i);

	assert_non_null(s);
	assert_int_equal(s->addr, addr);
	assert_int_equal(s->type, type);
	assert_string_equal(s->name, name);
	if (module)
		assert_string_equal(s->module, module);
	else
		assert_null(s->module);
}

static void expect_name(const struct pt_ksyms *k, uint64_t addr,
			const char *want)
{
	const char *got = pt_ksyms__name(k, addr);

	if (!want && !got)
		return;
	if (!want || !got || strcmp(got, want))
		fail_msg("0x%" PRIx64 ": got %s, want %s", addr,
			 got ? got : "NULL", want ? want : "NULL");
}

/* ------------------------------------------------------------ good input */

static const char sample[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 t __local_dup\n"
	"ffffffff81001000 T do_one\n"
	"ffffffff81001100 t helper.local.1\n"
	"ffffffff81002000 D some_data\n"
	"ffffffff81002100 W weak_fn\n"
	"ffffffff81003000 w weak_local_fn\n"
	"0000000000000000 A fixed_percpu_data\n"
	"0000000000000000 T hidden_fn\n"
	"ffffffffc0a00000 t mod_fn\t[ext4]\n"
	"ffffffffc0a00100 T mod_fn2\t[ext4]\n"
	"ffffffffc0a00200 d mod_data\t[ext4]\n"
	"ffffffffc0b00000 t bpf_prog_6deef7357e7b4530_sd_fw\t[bpf]\n"
	"FFFFFFFF81001080 T upper_hex_unsorted\n"
	"ffffffff81004000 r some_rodata\n"
	"ffffffff81005000 T last_core";

static void test_parse_sample(void **state)
{
	struct pt_ksyms *k = parse_ok(sample);

	assert_int_equal(pt_ksyms__count(k), 10);
	assert_int_equal(pt_ksyms__hidden(k), 2);
	/* sorted; one per address: of the three at _text, the first T */
	expect_at(k, 0, 0xffffffff81000000ULL, 'T', "_text", NULL);
	expect_at(k, 1, 0xffffffff81001000ULL, 'T', "do_one", NULL);
	expect_at(k, 2, 0xffffffff81001080ULL, 'T', "upper_hex_unsorted", NULL);
	expect_at(k, 3, 0xffffffff81001100ULL, 't', "helper.local.1", NULL);
	expect_at(k, 4, 0xffffffff81002100ULL, 'W', "weak_fn", NULL);
	expect_at(k, 5, 0xffffffff81003000ULL, 'w', "weak_local_fn", NULL);
	expect_at(k, 6, 0xffffffff81005000ULL, 'T', "last_core", NULL);
	expect_at(k, 7, 0xffffffffc0a00000ULL, 't', "mod_fn", "ext4");
	expect_at(k, 8, 0xffffffffc0a00100ULL, 'T', "mod_fn2", "ext4");
	expect_at(k, 9, 0xffffffffc0b00000ULL, 't',
		  "bpf_prog_6deef7357e7b4530_sd_fw", "bpf");
	assert_null(pt_ksyms__at(k, 10));
	/* a module's name is stored once */
	assert_ptr_equal(pt_ksyms__at(k, 7)->module,
			 pt_ksyms__at(k, 8)->module);

	/* lookups: the greatest address <= addr */
	expect_name(k, 0, NULL);
	expect_name(k, 0xffffffff80ffffffULL, NULL);
	expect_name(k, 0xffffffff81000000ULL, "_text");
	expect_name(k, 0xffffffff81000fffULL, "_text");
	expect_name(k, 0xffffffff81001000ULL, "do_one");
	expect_name(k, 0xffffffff8100107fULL, "do_one");
	expect_name(k, 0xffffffff81001080ULL, "upper_hex_unsorted");
	expect_name(k, 0xffffffff81002000ULL, "helper.local.1"); /* data */
	expect_name(k, 0xffffffff81004000ULL, "weak_local_fn");
	expect_name(k, 0xffffffffc0a000ffULL, "mod_fn");
	expect_name(k, 0xffffffffc0a00200ULL, "mod_fn2");
	expect_name(k, UINT64_MAX, "bpf_prog_6deef7357e7b4530_sd_fw");
	assert_string_equal(pt_ksyms__find(k, 0xffffffffc0a00150ULL)->module,
			    "ext4");
	assert_null(pt_ksyms__find(k, 0xffffffff81001000ULL)->module);
	pt_ksyms__free(k);
}

/* Which of several symbols at one address is kept. */
static void test_parse_ties(void **state)
{
	struct pt_ksyms *k;

	/* global before weak before local, whatever the order */
	k = parse_ok("1000 t loc\n1000 W wk\n1000 T glob\n1000 w wk2\n");
	assert_int_equal(pt_ksyms__count(k), 1);
	expect_name(k, 0x1000, "glob");
	pt_ksyms__free(k);
	k = parse_ok("1000 t loc\n1000 w wk\n");
	expect_name(k, 0x1000, "wk");
	pt_ksyms__free(k);
	/* then fewer leading underscores */
	k = parse_ok("1000 T __x64_sys_read\n1000 T ksys_read\n"
		     "1000 T _ksys\n");
	expect_name(k, 0x1000, "ksys_read");
	pt_ksyms__free(k);
	/* then the first in the file */
	k = parse_ok("2000 T first\n1000 T a\n2000 T second\n"
		     "2000 T third\n");
	assert_int_equal(pt_ksyms__count(k), 2);
	expect_name(k, 0x2000, "first");
	expect_name(k, 0x1fff, "a");
	pt_ksyms__free(k);
}

/* ------------------------------------------- the table for some addresses */

/* pt_ksyms__parse_for() gives each of the N addresses WANT the symbol (name,
 * module, address) the whole table gives it, in a table of at most N. */
static void expect_same_for(const char *text, const uint64_t *want, size_t n)
{
	struct pt_ksyms *all = parse_ok(text), *some = NULL;
	const struct pt_ksym *a, *b;
	size_t i;

	assert_int_equal(
		pt_ksyms__parse_for(text, strlen(text), want, n, &some), 0);
	assert_non_null(some);
	assert_true(pt_ksyms__count(some) <= n);
	assert_int_equal(pt_ksyms__hidden(some), pt_ksyms__hidden(all));
	for (i = 0; i < n; i++) {
		a = pt_ksyms__find(all, want[i]);
		b = pt_ksyms__find(some, want[i]);
		if (!a) {
			assert_null(b);
			continue;
		}
		assert_non_null(b);
		assert_int_equal(a->addr, b->addr);
		assert_int_equal(a->type, b->type);
		assert_string_equal(a->name, b->name);
		if (a->module)
			assert_string_equal(a->module, b->module);
		else
			assert_null(b->module);
	}
	pt_ksyms__free(all);
	pt_ksyms__free(some);
}

static void test_parse_for(void **state)
{
	/* every address of the sample, one below and one above each, in a
	 * shuffled order with repeats */
	static const uint64_t base[] = {
		0xffffffff81000000ULL, 0xffffffff81001000ULL,
		0xffffffff81001080ULL, 0xffffffff81001100ULL,
		0xffffffff81002000ULL, 0xffffffff81002100ULL,
		0xffffffff81003000ULL, 0xffffffff81004000ULL,
		0xffffffff81005000ULL, 0xffffffffc0a00000ULL,
		0xffffffffc0a00100ULL, 0xffffffffc0a00200ULL,
		0xffffffffc0b00000ULL,
	};
	uint64_t want[3 * sizeof(base) / sizeof(base[0]) + 4];
	size_t i, n = 0;
	struct pt_ksyms *k = (struct pt_ksyms *)1;

	for (i = sizeof(base) / sizeof(base[0]); i-- > 0;) {
		want[n++] = base[i] + 1;
		want[n++] = base[i];
		want[n++] = base[i] - 1;
	}
	want[n++] = 0;
	want[n++] = UINT64_MAX;
	want[n++] = 0xffffffff81001000ULL;
	want[n++] = 0xffffffffc0a00150ULL;
	expect_same_for(sample, want, n);
	/* ties at one address, whichever line order */
	expect_same_for("1000 t loc\n1000 W wk\n1000 T glob\n1000 w wk2\n",
			want + n - 4, 4);
	want[0] = 0x1000;
	want[1] = 0x2000;
	want[2] = 0x1fff;
	expect_same_for("1000 t loc\n1000 W wk\n1000 T glob\n1000 w wk2\n",
			want, 1);
	expect_same_for("1000 T __x64_sys_read\n1000 T ksys_read\n"
			"1000 T _ksys\n",
			want, 1);
	expect_same_for("2000 T first\n1000 T a\n2000 T second\n"
			"2000 T third\n",
			want, 3);
	/* an address not asked for has no name, though a symbol covers it */
	assert_int_equal(
		pt_ksyms__parse_for(sample, strlen(sample), want, 1, &k), 0);
	expect_name(k, 0x1000, NULL);
	pt_ksyms__free(k);
	want[0] = 0xffffffff81001004ULL;
	assert_int_equal(
		pt_ksyms__parse_for(sample, strlen(sample), want, 1, &k), 0);
	expect_name(k, 0xffffffff81001004ULL, "do_one");
	expect_name(k, 0xffffffff81001008ULL, NULL);
	pt_ksyms__free(k);
	k = (struct pt_ksyms *)1;
	/* nothing wanted: an empty table; a malformed line still fails */
	expect_same_for(sample, want, 0);
	assert_int_equal(pt_ksyms__parse_for("1000 T a\nzz\n", 10, want, 1, &k),
			 -EINVAL);
	assert_null(k);
}

/* ------------------------------------------------------------ edge cases */

static void test_parse_edges(void **state)
{
	struct pt_ksyms *k = (struct pt_ksyms *)1;
	char name[PT_KSYM_NAME_MAX + 1];
	char line[PT_KSYM_NAME_MAX + 64];

	/* empty input: an empty table */
	assert_int_equal(parse_n("", 0, &k), 0);
	assert_int_equal(pt_ksyms__count(k), 0);
	expect_name(k, 0x1000, NULL);
	pt_ksyms__free(k);
	assert_int_equal(pt_ksyms__parse(NULL, 0, &k), 0);
	assert_int_equal(pt_ksyms__count(k), 0);
	pt_ksyms__free(k);
	assert_int_equal(pt_ksyms__parse(NULL, 5, &k), -EINVAL);
	assert_null(k);
	assert_int_equal(pt_ksyms__parse("1 T a\n", 6, NULL), -EINVAL);

	/* only data symbols, only zero addresses (kptr_restrict) */
	k = parse_ok("ffffffff81000000 D d\nffffffff81000010 b bss\n");
	assert_int_equal(pt_ksyms__count(k), 0);
	assert_int_equal(pt_ksyms__hidden(k), 0);
	pt_ksyms__free(k);
	k = parse_ok("0000000000000000 T _text\n0000000000000000 t x\n"
		     "0000000000000000 t m\t[mod]\n");
	assert_int_equal(pt_ksyms__count(k), 0);
	assert_int_equal(pt_ksyms__hidden(k), 3);
	pt_ksyms__free(k);

	/* the extreme address, one-digit addresses, the longest name */
	k = parse_ok("ffffffffffffffff T top\n1 t one");
	assert_int_equal(pt_ksyms__count(k), 2);
	expect_name(k, UINT64_MAX, "top");
	expect_name(k, UINT64_MAX - 1, "one");
	expect_name(k, 0, NULL);
	pt_ksyms__free(k);
	memset(name, 'n', PT_KSYM_NAME_MAX);
	name[PT_KSYM_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "ffffffff81000000 T %s\n", name);
	k = parse_ok(line);
	assert_int_equal(strlen(pt_ksyms__name(k, 0xffffffff81000000ULL)),
			 PT_KSYM_NAME_MAX);
	pt_ksyms__free(k);
	/* the last byte of a line cut short at LEN is not read */
	k = NULL;
	assert_int_equal(parse_n("1000 T abc\n", 8, &k), 0);
	expect_name(k, 0x1000, "a");
	pt_ksyms__free(k);

	/* NULL handles */
	assert_null(pt_ksyms__find(NULL, 1));
	assert_null(pt_ksyms__name(NULL, 1));
	assert_int_equal(pt_ksyms__count(NULL), 0);
	assert_null(pt_ksyms__at(NULL, 0));
	assert_int_equal(pt_ksyms__hidden(NULL), 0);
	pt_ksyms__free(NULL);
}

/* --------------------------------------------------------------- bad input */

static void test_parse_malformed(void **state)
{
	static const char nul_in_name[] = "ffffffff81000000 T a\0b\n";
	static const char *const bad[] = {
		"\n",
		"ffffffff81000000 T a\n\n",
		"ffffffff81000000 T\n",
		"ffffffff81000000 T \n",
		"ffffffff81000000 T",
		"ffffffff81000000\n",
		"ffffffff81000000 \n",
		"ffffffff81000000  T a\n",
		"ffffffff81000000 T  a\n",
		" ffffffff81000000 T a\n",
		"ffffffff81000000\tT a\n",
		"ffffffff81000000 T a b\n",
		"ffffffff81000000 T a \n",
		"ffffffff81000000 T a\r\n",
		"ffffffff81000000 TT a\n",
		"ffffffff81000000 \001 a\n",
		"1ffffffff81000000 T a\n", /* 17 digits */
		"0x81000000 T a\n",
		"g1000 T a\n",
		" T a\n",
		"ffffffff81000000 T a [mod]\n",
		"ffffffff81000000 T a\t[mod\n",
		"ffffffff81000000 T a\t[mod",
		"ffffffff81000000 T a\t[]\n",
		"ffffffff81000000 T a\t[mod]]\n",
		"ffffffff81000000 T a\t[mod] x\n",
		"ffffffff81000000 T a\t[m d]\n",
		"ffffffff81000000 T a\tmod\n",
		"ffffffff81000000 T a\t\n",
		"ffffffff81000000 T a\t",
		"ffffffff81000000 T caf\xc3\xa9\n",
		"ffffffff81000000 T a\177\n",
		/* a good line, then a bad one */
		"ffffffff81000000 T a\nffffffff81000001 T\n",
	};
	char name[PT_KSYM_NAME_MAX + 2], line[PT_KSYM_NAME_MAX + 64];
	char mod[300];
	struct pt_ksyms *k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = (struct pt_ksyms *)1;
		if (parse(bad[i], &k) != -EINVAL)
			fail_msg("accepted bad input #%zu: '%s'", i, bad[i]);
		assert_null(k);
	}
	/* a NUL inside a name, within LEN */
	k = (struct pt_ksyms *)1;
	assert_int_equal(parse_n(nul_in_name, sizeof(nul_in_name) - 1, &k),
			 -EINVAL);
	assert_null(k);
	/* a name one past the limit, a module name past 255 */
	memset(name, 'n', PT_KSYM_NAME_MAX + 1);
	name[PT_KSYM_NAME_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "ffffffff81000000 T %s\n", name);
	assert_int_equal(parse(line, &k), -EINVAL);
	memset(mod, 'm', 256);
	mod[256] = '\0';
	snprintf(line, sizeof(line), "ffffffff81000000 T a\t[%s]\n", mod);
	assert_int_equal(parse(line, &k), -EINVAL);
	mod[255] = '\0';
	snprintf(line, sizeof(line), "ffffffff81000000 T a\t[%s]\n", mod);
	k = parse_ok(line);
	assert_int_equal(
		strlen(pt_ksyms__find(k, 0xffffffff81000000ULL)->module), 255);
	pt_ksyms__free(k);
}

/* ---------------------------------------------------------- the real file */

struct real_line {
	uint64_t addr;
	char type;
	char name[PT_KSYM_NAME_MAX + 1];
};

/*
 * /proc/kallsyms as sscanf() reads it: the text lines with a non-zero
 * address. Returns how many were stored in V (at most N), *total counts
 * them all.
 */
static size_t read_real(struct real_line *v, size_t n, size_t *total)
{
	char line[1024], name[PT_KSYM_NAME_MAX + 1], type;
	unsigned long long addr;
	size_t got = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	assert_non_null(f);
	*total = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %512s", &addr, &type, name) != 3)
			fail_msg("odd /proc/kallsyms line: %s", line);
		if (!addr || !strchr("tTwW", type))
			continue;
		(*total)++;
		if (got < n) {
			v[got].addr = addr;
			v[got].type = type;
			strcpy(v[got].name, name);
			got++;
		}
	}
	fclose(f);
	return got;
}

/* Whether NAME is one of the text symbols at ADDR in the file. */
static bool real_has(const struct real_line *v, size_t n, uint64_t addr,
		     const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].addr == addr && !strcmp(v[i].name, name))
			return true;
	return false;
}

/* The real kallsyms: the table for every 97th kept symbol's address, one
 * past it and one before it, answers as the whole table does. */
static void test_load_for_real(void **state)
{
	struct pt_ksyms *all = NULL, *some = NULL;
	const struct pt_ksym *a, *b;
	uint64_t *want;
	char err[256] = "";
	size_t i, n = 0;
	int ret;

	ret = pt_ksyms__load(&all, err, sizeof(err));
	if (ret == -EACCES || ret == -EPERM || ret == -ENOENT) {
		print_message("[  SKIP    ] /proc/kallsyms: %s\n", err);
		skip();
	}
	assert_int_equal(ret, 0);
	want = calloc(3 * (pt_ksyms__count(all) / 97 + 1), sizeof(*want));
	assert_non_null(want);
	for (i = 0; i < pt_ksyms__count(all); i += 97) {
		want[n++] = pt_ksyms__at(all, i)->addr + 1;
		want[n++] = pt_ksyms__at(all, i)->addr;
		want[n++] = pt_ksyms__at(all, i)->addr - 1;
	}
	assert_int_equal(pt_ksyms__load_for(want, n, &some, err, sizeof(err)),
			 0);
	print_message("  %zu addresses: %zu of %zu symbols kept\n", n,
		      pt_ksyms__count(some), pt_ksyms__count(all));
	assert_true(pt_ksyms__count(some) <= n);
	for (i = 0; i < n; i++) {
		a = pt_ksyms__find(all, want[i]);
		b = pt_ksyms__find(some, want[i]);
		assert_true(!a == !b);
		if (a)
			assert_string_equal(a->name, b->name);
	}
	free(want);
	pt_ksyms__free(all);
	pt_ksyms__free(some);
}

static void test_load_real(void **state)
{
	struct pt_ksyms *k = (struct pt_ksyms *)1;
	const struct pt_ksym *s, *next;
	struct real_line *v;
	char err[256] = "";
	size_t n, total, i, checked = 0;
	int ret;

	ret = pt_ksyms__load(&k, err, sizeof(err));
	if (ret == -EACCES || ret == -EPERM || ret == -ENOENT) {
		assert_null(k);
		assert_true(strlen(err) > 0);
		print_message("[  SKIP    ] /proc/kallsyms: %s\n", err);
		skip();
	}
	if (ret)
		fail_msg("pt_ksyms__load: %d %s", ret, err);
	assert_non_null(k);
	assert_true(pt_ksyms__count(k) > 1000);
	for (i = 1; i < pt_ksyms__count(k); i++)
		assert_true(pt_ksyms__at(k, i - 1)->addr <
			    pt_ksyms__at(k, i)->addr);

	v = calloc(1u << 16, sizeof(*v));
	assert_non_null(v);
	n = read_real(v, 1u << 16, &total);
	assert_true(n > 1000);
	/* one kept per address: the count is at most the text lines' */
	assert_true(pt_ksyms__count(k) <= total);
	/* every 97th of the first 64K text lines: its address is a symbol
	 * of the table, named as one of the file's names at that address */
	for (i = 0; i < n; i += 97, checked++) {
		s = pt_ksyms__find(k, v[i].addr);
		assert_non_null(s);
		assert_int_equal(s->addr, v[i].addr);
		if (!real_has(v, n, s->addr, s->name))
			fail_msg("0x%" PRIx64 " named %s, not in the file",
				 s->addr, s->name);
		next = pt_ksyms__at(k, (size_t)(s - pt_ksyms__at(k, 0)) + 1);
		if (!next || next->addr > s->addr + 1)
			assert_ptr_equal(pt_ksyms__find(k, s->addr + 1), s);
	}
	assert_true(checked > 10);
	/* below the lowest text symbol: nothing */
	assert_null(pt_ksyms__find(k, pt_ksyms__at(k, 0)->addr - 1));
	free(v);
	pt_ksyms__free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sample),
		cmocka_unit_test(test_parse_ties),
		cmocka_unit_test(test_parse_for),
		cmocka_unit_test(test_load_for_real),
		cmocka_unit_test(test_parse_edges),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_load_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
