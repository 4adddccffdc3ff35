// SPDX-License-Identifier: MIT
/*
 * test_stages.c - stage matching never picks a function that is not
 * entered by a call: cold fragments (PARENT.cold) are told from clones by
 * name, marked by elfsyms, skipped by globs and refused when named, on a
 * fixture GCC -O2 split (tests/fixtures/fixture_cold.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/paths.h"
#include "symbols/elfsyms.h"
#include "target/stages.h"

#define FX_COLD PT_BUILD_DIR "/fixtures/fixture_cold"

static size_t parent_len(const char *name)
{
	return pt_sym__cold_parent_len(name, strlen(name));
}

static void test_cold_names(void **state)
{
	static const struct {
		const char *name;
		size_t parent;
	} cases[] = {
		{ "foo.cold", 3 },
		{ "foo.cold.12", 3 }, /* GCC 8 and 9 */
		{ "foo.part.0.cold", 10 },
		{ "foo.isra.0.cold", 10 },
		{ "foo", 0 },
		{ "cold", 0 },
		{ ".cold", 0 }, /* no parent */
		{ "foo.part.0", 0 },
		{ "foo.isra.0", 0 },
		{ "foo.constprop.0", 0 },
		{ "foo.lto_priv.0", 0 },
		{ "foo.localalias", 0 },
		{ "foo.colder", 0 },
		{ "foo.cold.", 0 },
		{ "foo.cold.1x", 0 },
		{ "foo_cold", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parent_len(cases[i].name) != cases[i].parent)
			print_message("case %s\n", cases[i].name);
		assert_int_equal(parent_len(cases[i].name), cases[i].parent);
	}
	/* Only the LEN bytes given count. */
	assert_int_equal(pt_sym__cold_parent_len("foo.cold@@V1", 8), 3);
	assert_int_equal(pt_sym__cold_parent_len("foo.cold", 7), 0);
}

struct seen {
	bool parse_num, parse_num_cold, parse_num_cold_marked;
};

static int see_sym(const struct pt_sym *sym, void *arg)
{
	struct seen *s = arg;

	if (!strcmp(sym->name, "parse_num")) {
		s->parse_num = true;
		assert_false(sym->cold);
	} else if (!strcmp(sym->name, "parse_num.cold")) {
		s->parse_num_cold = true;
		s->parse_num_cold_marked = sym->cold;
	} else {
		assert_false(sym->cold);
	}
	return 0;
}

static void test_fixture_symbols(void **state)
{
	struct seen s = { 0 };
	struct pt_elf *e;

	assert_int_equal(pt_elf__open(FX_COLD, &e), 0);
	assert_int_equal(pt_elf__for_each_func(e, see_sym, &s), 0);
	pt_elf__close(e);
	assert_true(s.parse_num);
	/* If GCC stops splitting it, the fixture no longer tests anything. */
	assert_true(s.parse_num_cold);
	assert_true(s.parse_num_cold_marked);
}

static int resolve(const char *text, struct pt_stage_set *set, char *err,
		   size_t errlen)
{
	struct pt_target t;
	struct pt_spec spec;
	int ret;

	assert_int_equal(pt_target__from_file(&t, FX_COLD, err, errlen), 0);
	assert_int_equal(pt_spec__parse(text, &spec, err, errlen), 0);
	ret = pt_stages__resolve(&t, &spec, 1, set, err, errlen);
	free(spec.object);
	free(spec.pattern);
	pt_target__free(&t);
	return ret;
}

static const struct pt_stage *find(const struct pt_stage_set *set,
				   const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].name, name))
			return &set->v[i];
	return NULL;
}

static void test_glob_skips_cold(void **state)
{
	struct pt_stage_set set;
	char err[512] = "";

	assert_int_equal(resolve("*", &set, err, sizeof(err)), 0);
	assert_non_null(find(&set, "parse_num"));
	assert_non_null(find(&set, "main"));
	assert_null(find(&set, "parse_num.cold"));
	assert_null(find(&set, "_start"));
	pt_stages__free(&set);

	assert_int_equal(resolve("parse_num*", &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].name, "parse_num");
	pt_stages__free(&set);
}

static void test_named_cold_refused(void **state)
{
	struct pt_stage_set set;
	char err[512] = "";

	assert_int_equal(resolve("parse_num.cold", &set, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(
		err,
		"parse_num.cold is a cold fragment of parse_num, not a function entry; probe parse_num");
	assert_int_equal(set.n, 0);

	assert_int_equal(resolve("*.cold", &set, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err,
		"parse_num.cold is a cold fragment of parse_num, not a function entry; probe parse_num");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_names),
		cmocka_unit_test(test_fixture_symbols),
		cmocka_unit_test(test_glob_skips_cold),
		cmocka_unit_test(test_named_cold_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
