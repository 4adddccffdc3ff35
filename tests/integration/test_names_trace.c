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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_overloads),
		cmocka_unit_test(test_folded_frames_demangled),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
