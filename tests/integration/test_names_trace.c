// SPDX-License-Identifier: MIT
/*
 * test_names_trace.c - C++ names on real uprobes: -s 'shop::Parser::*'
 * over the g++ fixture (tests/fixtures/fixture_shop.cc) probes exactly the
 * three overloads of shop::Parser::parse, counts their calls exactly and
 * reports them demangled (JSON name) with their symbols (JSON symbol); the
 * folded stacks name the frames demangled, inlined ones included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"
#include "output/folded.h"

#define FX_SHOP PT_BUILD_DIR "/fixtures/fixture_shop"

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON key '%s' missing", key);
	return json_object_get_string(v);
}

/* `fixture_shop 7`: parse() 7 times, parse(int) 14, parse(char const*) 21. */
static void test_parser_overloads(void **state)
{
	static const struct {
		const char *name, *symbol;
		uint64_t calls;
	} want[] = {
		{ "shop::Parser::parse()", "_ZN4shop6Parser5parseEv", 7 },
		{ "shop::Parser::parse(int)", "_ZN4shop6Parser5parseEi", 14 },
		{ "shop::Parser::parse(char const*)",
		  "_ZN4shop6Parser5parseEPKc", 21 },
	};
	char jpath[64], *err = NULL;
	char *argv[] = {
		PTEST_PIPETRACE, "--json", jpath, "-s", "shop::Parser::*", "--",
		FX_SHOP,	 "7",	   NULL
	};
	json_object *rep, *stages, *s;
	size_t i;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, 60, NULL, &err);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	stages = json_object_object_get(rep, "stages");
	assert_int_equal(json_object_array_length(stages), 3);
	for (i = 0; i < 3; i++) {
		s = ptest_stage(rep, want[i].name);
		if (!s)
			fail_msg("no stage %s in the report", want[i].name);
		assert_string_equal(str(s, "symbol"), want[i].symbol);
		assert_int_equal(ptest_u64(s, "calls"), want[i].calls);
	}
	/* the table (standard error) names them demangled too */
	assert_non_null(strstr(err, "\nshop::Parser::parse(char const*) "));
	json_object_put(rep);
	free(err);
	unlink(jpath);
}

/* Whether some stack under STAGE holds FRAME after its stage frame. */
static bool has_frame(const struct pt_folded *f, const char *stage,
		      const char *frame)
{
	const char *const *fr;
	size_t i, k, nf;
	uint64_t c;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		if (strcmp(fr[0], stage))
			continue;
		for (k = 1; k < nf; k++)
			if (!strcmp(fr[k], frame))
				return true;
	}
	return false;
}

static void show(const struct pt_folded *f)
{
	const char *const *fr;
	size_t i, k, nf;
	uint64_t c;

	for (i = 0; i < pt_folded__nr_stacks(f) && i < 8; i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		print_message("  ");
		for (k = 0; k < nf; k++)
			print_message("%s%s", k ? ";" : "", fr[k]);
		print_message(" %llu\n", (unsigned long long)c);
	}
}

/* Clock::spin() burns CPU in detail::burn(int): its samples name both,
 * demangled. */
static void test_folded_frames_demangled(void **state)
{
	char path[64], err[256];
	char *argv[] = {
		PTEST_PIPETRACE,     "-F", "499",   "--folded", path,	"-s",
		"shop::Clock::spin", "--", FX_SHOP, "10",	"spin", NULL
	};
	struct pt_folded *f;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(path, sizeof(path), ".folded");
	ptest_run_ok(argv, 60, NULL, NULL);
	assert_int_equal(pt_folded__new(&f), 0);
	if (pt_folded__read(f, path, err, sizeof(err)))
		fail_msg("%s", err);
	show(f);
	assert_true(pt_folded__total(f) > 0);
	assert_true(has_frame(f, "shop::Clock::spin()", "main"));
	assert_true(has_frame(f, "shop::Clock::spin()", "shop::Clock::spin()"));
	assert_true(
		has_frame(f, "shop::Clock::spin()", "shop::detail::burn(int)"));
	/* inlined: named from its DWARF linkage name */
	assert_true(has_frame(f, "shop::Clock::spin()",
			      "shop::detail::accumulate(long volatile&, int)"));
	assert_false(
		has_frame(f, "shop::Clock::spin()", "_ZN4shop5Clock4spinEv"));
	pt_folded__free(f);
	unlink(path);
}

#define SHAPES_SRC PT_SOURCE_DIR "/tests/integration/langs/shapes.cc"

/* The stage whose JSON symbol is SYM, or NULL. */
static json_object *stage_of_symbol(json_object *rep, const char *sym)
{
	json_object *stages = json_object_object_get(rep, "stages");
	size_t i;

	for (i = 0; i < json_object_array_length(stages); i++)
		if (!strcmp(str(json_object_array_get_idx(stages, i), "symbol"),
			    sym))
			return json_object_array_get_idx(stages, i);
	return NULL;
}

/*
 * Circle's deleting destructor (D0) and its complete one (D1, D2 at the
 * same address) both demangle to "Circle::~Circle()": each stage is named
 * "Circle::~Circle() [SYMBOL]" in JSON, the table, list and the folded
 * stacks, never alike (main: two stages named "Circle::~Circle()"). The
 * calls against the program's own counts: D0 once per delete, the
 * complete destructor once per destruction (deleted ones included).
 */
static void test_destructors_kept_apart(void **state)
{
	char bin[64], jpath[64], fpath[64], *out = NULL, *err = NULL;
	char *cc[] = {
		"/usr/bin/g++", "-O2", "-g", "-o", bin, SHAPES_SRC, NULL
	};
	char *argv[] = { PTEST_PIPETRACE,
			 "-j",
			 jpath,
			 "--folded",
			 fpath,
			 "-F",
			 "999",
			 "-s",
			 "Circle::~Circle",
			 "--",
			 bin,
			 "3000",
			 NULL };
	char *list[] = { PTEST_PIPETRACE, "list", bin, "Circle::~Circle",
			 NULL };
	char *folded, want[64];
	const char *a, *b;
	unsigned long deleted = 0, destroyed = 0;
	json_object *rep, *d0, *d1;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(bin, sizeof(bin), ".shapes");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_tmp_path(fpath, sizeof(fpath), ".folded");
	ptest_run_ok(cc, 120, NULL, NULL);
	ptest_run_ok(argv, 60, &out, &err);
	assert_int_equal(sscanf(out, "deleted %lu destroyed %lu", &deleted,
				&destroyed),
			 2);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	d0 = stage_of_symbol(rep, "_ZN6CircleD0Ev");
	d1 = stage_of_symbol(rep, "_ZN6CircleD1Ev");
	if (!d1)
		d1 = stage_of_symbol(rep, "_ZN6CircleD2Ev");
	assert_non_null(d0);
	assert_non_null(d1);
	a = str(d0, "name");
	b = str(d1, "name");
	print_message("  %s / %s\n", a, b);
	assert_string_not_equal(a, b);
	assert_string_equal(a, "Circle::~Circle() [_ZN6CircleD0Ev]");
	snprintf(want, sizeof(want), "Circle::~Circle() [%s]",
		 str(d1, "symbol"));
	assert_string_equal(b, want);
	assert_int_equal(ptest_u64(d0, "calls"), deleted);
	assert_int_equal(ptest_u64(d1, "calls"), deleted + destroyed);
	assert_non_null(strstr(err, "\nCircle::~Circle() [_ZN6CircleD0Ev] "));
	folded = ptest_slurp(fpath);
	assert_non_null(strstr(folded, "Circle::~Circle() [_ZN6CircleD0Ev]"));
	free(out);
	out = NULL;
	ptest_run_ok(list, 30, &out, NULL);
	assert_non_null(strstr(
		out, "_ZN6CircleD0Ev  Circle::~Circle() [_ZN6CircleD0Ev]\n"));
	assert_non_null(strstr(
		out, "_ZN6CircleD1Ev  Circle::~Circle() [_ZN6CircleD1Ev]\n"));
	json_object_put(rep);
	free(folded);
	free(out);
	free(err);
	unlink(bin);
	unlink(jpath);
	unlink(fpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_overloads),
		cmocka_unit_test(test_folded_frames_demangled),
		cmocka_unit_test(test_destructors_kept_apart),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
