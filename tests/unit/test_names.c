// SPDX-License-Identifier: MIT
/*
 * test_names.c - C++ and Rust names: libiberty's demangling with its
 * bounds, -s SPEC parsing that never splits "::", patterns matching raw
 * or demangled names, `pipetrace list` showing both, stage names in the
 * report (table and JSON), and the table never cutting long names, on the
 * fixtures fixture_shop (g++) and fixture_rust_* (rustc, when installed).
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
#include <cmocka.h>
#include <json.h>

#include "cli/cmd.h"
#include "lib/paths.h"
#include "output/sink.h"
#include "report/report.h"
#include "symbols/demangle.h"
#include "target/spec.h"
#include "target/stages.h"
#include "target/target.h"

#define FX_SHOP PT_BUILD_DIR "/fixtures/fixture_shop"
#define FX_RUST_LEGACY PT_BUILD_DIR "/fixtures/fixture_rust_legacy"
#define FX_RUST_V0 PT_BUILD_DIR "/fixtures/fixture_rust_v0"

#define SYM_PARSE_V "_ZN4shop6Parser5parseEv"
#define SYM_PARSE_I "_ZN4shop6Parser5parseEi"
#define SYM_PARSE_S "_ZN4shop6Parser5parseEPKc"

/* ------------------------------------------------------------ demangling */

static void test_demangle_cpp(void **state)
{
	char buf[PT_DEMANGLE_MAX + 1];

	assert_int_equal(pt_demangle(SYM_PARSE_V, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "shop::Parser::parse()");
	assert_int_equal(pt_demangle(SYM_PARSE_S, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "shop::Parser::parse(char const*)");
	assert_int_equal(pt_demangle(SYM_PARSE_S, PT_DEMANGLE_NO_PARAMS, buf,
				     sizeof(buf)),
			 0);
	assert_string_equal(buf, "shop::Parser::parse");
	assert_int_equal(pt_demangle("_ZN4shop5totalIiEET_PKS1_m", 0, buf,
				     sizeof(buf)),
			 0);
	assert_string_equal(buf,
			    "int shop::total<int>(int const*, unsigned long)");
	/* Plain C names and garbage are not demangled. */
	assert_int_equal(pt_demangle("main", 0, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(pt_demangle("_ZN4shop", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt_demangle("_Z", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt_demangle("", 0, buf, sizeof(buf)), -EINVAL);
}

static void test_demangle_rust(void **state)
{
	char buf[PT_DEMANGLE_MAX + 1];

	/* legacy: the hash is dropped */
	assert_int_equal(
		pt_demangle("_ZN12fixture_rust4shop5total17h5b2a135fbf6fca69E",
			    0, buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "fixture_rust::shop::total");
	/* v0 */
	assert_int_equal(
		pt_demangle("_RNvNtCs790J39Rb7t0_12fixture_rust4shop5total", 0,
			    buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "fixture_rust::shop::total");
	/* v0 with a Unicode identifier (punycode "maana-pta", mañana):
	 * not printable ASCII, so not kept */
	assert_int_equal(pt_demangle("_RNvCs1234_7mycrateu9maana_pta", 0, buf,
				     sizeof(buf)),
			 -EILSEQ);
	assert_string_equal(buf, "");
}

/* "_Z1fN<100 a>1xE" then S_ n times: f(aaa..::x, aaa..::x, ...), each
 * parameter ~100 bytes of output for 2 bytes of input. */
static char *blowup(int n)
{
	char *s = malloc(256 + 2 * (size_t)n);
	int k = 0, i;

	assert_non_null(s);
	k += sprintf(s + k, "_Z1fN100");
	for (i = 0; i < 100; i++)
		s[k++] = 'a';
	k += sprintf(s + k, "1xE");
	for (i = 0; i < n; i++)
		k += sprintf(s + k, "S_");
	s[k] = '\0';
	return s;
}

static void test_demangle_bounds(void **state)
{
	char buf[PT_DEMANGLE_MAX + 1], small[8], *sym, *big;

	/* output over PT_DEMANGLE_MAX from a short input */
	sym = blowup(60);
	assert_true(strlen(sym) < 300);
	assert_int_equal(pt_demangle(sym, 0, buf, sizeof(buf)), -ENAMETOOLONG);
	assert_string_equal(buf, "");
	/* ... which fits without parameters */
	assert_int_equal(
		pt_demangle(sym, PT_DEMANGLE_NO_PARAMS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "f");
	free(sym);
	/* 30 parameters fit */
	sym = blowup(30);
	assert_int_equal(pt_demangle(sym, 0, buf, sizeof(buf)), 0);
	assert_true(strlen(buf) > 3000);
	free(sym);
	/* a buffer too small */
	assert_int_equal(pt_demangle(SYM_PARSE_V, 0, small, sizeof(small)),
			 -ENAMETOOLONG);
	assert_string_equal(small, "");
	/* input over PT_DEMANGLE_MAX is not demangled at all */
	big = malloc(PT_DEMANGLE_MAX + 32);
	assert_non_null(big);
	snprintf(big, PT_DEMANGLE_MAX + 32, "_ZN%dx", PT_DEMANGLE_MAX);
	memset(big + strlen(big), 'a', PT_DEMANGLE_MAX);
	strcpy(big + PT_DEMANGLE_MAX + 8 - 1, "E");
	assert_true(strlen(big) > PT_DEMANGLE_MAX);
	assert_int_equal(pt_demangle(big, 0, buf, sizeof(buf)), -ENAMETOOLONG);
	assert_ptr_equal(pt_demangle__display(big, 0, buf, sizeof(buf)), big);
	free(big);
}

static void test_display(void **state)
{
	char buf[PT_DEMANGLE_BUF];
	const char *plain = "write@GLIBC_2.2.5";

	assert_string_equal(pt_demangle__display(SYM_PARSE_I "@@V1", 0, buf,
						 sizeof(buf)),
			    "shop::Parser::parse(int)@@V1");
	assert_string_equal(pt_demangle__display(SYM_PARSE_I, 0, buf,
						 sizeof(buf)),
			    "shop::Parser::parse(int)");
	/* not mangled: the symbol itself */
	assert_ptr_equal(pt_demangle__display(plain, 0, buf, sizeof(buf)),
			 plain);
	/* no room for the suffix: the symbol */
	assert_string_equal(pt_demangle__display(SYM_PARSE_V "@@VERSION_1", 0,
						 buf, 24),
			    SYM_PARSE_V "@@VERSION_1");
}

static void test_match(void **state)
{
	static const struct {
		const char *pattern, *sym;
		bool match;
	} cases[] = {
		{ "shop::Parser::*", SYM_PARSE_V, true },
		{ "shop::Parser::*", SYM_PARSE_S, true },
		{ "shop::Parser::parse", SYM_PARSE_V, true }, /* no params */
		{ "shop::Parser::parse", SYM_PARSE_I, true },
		{ "shop::Parser::parse(int)", SYM_PARSE_I, true },
		{ "shop::Parser::parse(int)", SYM_PARSE_V, false },
		{ "shop::Parser::parse()", SYM_PARSE_V, true },
		{ "*(char const\\*)", SYM_PARSE_S, true },
		{ "_ZN4shop6Parser*", SYM_PARSE_I, true }, /* raw */
		{ SYM_PARSE_I, SYM_PARSE_I, true },
		{ "shop::Parser", SYM_PARSE_V, false },
		{ "Parser::*", SYM_PARSE_V, false }, /* globs are anchored */
		{ "shop::total*", "_ZN4shop5totalIiEET_PKS1_m", true },
		{ "*shop::total<int>*", "_ZN4shop5totalIiEET_PKS1_m", true },
		{ "shop::*", "main", false },
		{ "main", "main", true },
		{ "fixture_rust::shop::*",
		  "_ZN12fixture_rust4shop5total17h5b2a135fbf6fca69E", true },
		{ "*h5b2a135fbf6fca69*",
		  "_ZN12fixture_rust4shop5total17h5b2a135fbf6fca69E", true },
		{ "<fixture_rust::shop::Parser>::parse",
		  "_RNvMNtCs790J39Rb7t0_12fixture_rust4shopNtB2_6Parser5parse",
		  true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (pt_demangle__match(cases[i].pattern, cases[i].sym) !=
		    cases[i].match)
			fail_msg("'%s' against %s: expected %s",
				 cases[i].pattern, cases[i].sym,
				 cases[i].match ? "a match" : "none");
	}
}

/* ------------------------------------------------------------------ spec */

static void test_spec_split(void **state)
{
	static const struct {
		const char *text, *object, *pattern;
		int items;
	} cases[] = {
		{ "shop::Parser::*", NULL, "shop::Parser::*", -1 },
		{ "libshop.so:shop::Parser::*", "libshop.so", "shop::Parser::*",
		  -1 },
		{ "/opt/lib/libshop.so.2:ns::f", "/opt/lib/libshop.so.2",
		  "ns::f", -1 },
		{ "libz.so.1:deflate", "libz.so.1", "deflate", -1 },
		{ "/usr/lib/x.so:f*,items=u64", "/usr/lib/x.so", "f*",
		  PT_ITEMS_U64 },
		{ "ns::C::f,items=none", NULL, "ns::C::f", PT_ITEMS_NONE },
		{ "f[abi:cxx11]", NULL, "f[abi:cxx11]", -1 },
		{ "lib.so:*[[:digit:]]", "lib.so", "*[[:digit:]]", -1 },
		{ "shop::f(int, long)", NULL, "shop::f(int, long)", -1 },
		{ "shop::f(int,long),items=s32", NULL, "shop::f(int,long)",
		  PT_ITEMS_S32 },
		{ "std::map<int,int>::find", NULL, "std::map<int,int>::find",
		  -1 },
		{ "lib.so:::f", NULL, "lib.so:::f", -1 }, /* a run of ':' */
		{ "stage_*", NULL, "stage_*", -1 },
	};
	struct pt_spec s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (pt_spec__parse(cases[i].text, &s, err, sizeof(err)))
			fail_msg("'%s': %s", cases[i].text, err);
		if (cases[i].object)
			assert_string_equal(s.object, cases[i].object);
		else if (s.object)
			fail_msg("'%s': object '%s'", cases[i].text, s.object);
		assert_string_equal(s.pattern, cases[i].pattern);
		assert_int_equal(s.items, cases[i].items);
		free(s.object);
		free(s.pattern);
	}
}

static void test_spec_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "", "empty stage spec" },
		{ ":f", "empty object name in stage spec ':f'" },
		{ "lib.so:", "empty function pattern in stage spec 'lib.so:'" },
		{ "ns::f,items=lots", "bad stage spec option 'items=lots'" },
		{ "ns::f,mode=u32", "bad stage spec option 'mode=u32'" },
	};
	struct pt_spec s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(pt_spec__parse(cases[i].text, &s, err,
						sizeof(err)),
				 -EINVAL);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("'%s': got '%s'", cases[i].text, err);
		assert_null(s.object);
		assert_null(s.pattern);
	}
}

/* -------------------------------------------------------------- matching */

static void test_stages_demangled(void **state)
{
	static const char *const names[] = {
		"shop::Parser::parse()",
		"shop::Parser::parse(int)",
		"shop::Parser::parse(char const*)",
	};
	static const char *const syms[] = { SYM_PARSE_V, SYM_PARSE_I,
					    SYM_PARSE_S };
	struct pt_target t = { 0 };
	struct pt_stage_set set;
	struct pt_spec spec;
	char err[512];
	size_t i, j;

	assert_int_equal(pt_target__from_file(&t, FX_SHOP, err, sizeof(err)),
			 0);
	assert_int_equal(
		pt_spec__parse("shop::Parser::*", &spec, err, sizeof(err)), 0);
	if (pt_stages__resolve(&t, &spec, 1, &set, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(set.n, 3);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < set.n; j++)
			if (!strcmp(set.v[j].symbol, syms[i]))
				break;
		if (j == set.n)
			fail_msg("no stage for %s", syms[i]);
		assert_string_equal(set.v[j].name, names[i]);
	}
	pt_stages__free(&set);
	free(spec.pattern);
	/* the raw name still works; one overload by its parameters */
	assert_int_equal(pt_spec__parse(SYM_PARSE_I, &spec, err, sizeof(err)),
			 0);
	assert_int_equal(
		pt_stages__resolve(&t, &spec, 1, &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].name, "shop::Parser::parse(int)");
	pt_stages__free(&set);
	free(spec.pattern);
	assert_int_equal(pt_spec__parse("shop::Parser::parse(char const\\*)",
					&spec, err, sizeof(err)),
			 0);
	assert_int_equal(
		pt_stages__resolve(&t, &spec, 1, &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].symbol, SYM_PARSE_S);
	pt_stages__free(&set);
	free(spec.pattern);
	pt_target__free(&t);
}

/* ------------------------------------------------------------------ list */

/* Runs `pipetrace list ARGS...` in-process; its standard output. */
static char *run_list(int argc, char **argv)
{
	char path[] = "/tmp/pt-test-names-XXXXXX", *buf;
	int fd = mkstemp(path), saved;
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	assert_int_equal(pt_cmd_list(argc, argv), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	buf = calloc(1, 65536);
	assert_non_null(buf);
	n = pread(fd, buf, 65535, 0);
	assert_true(n > 0);
	close(fd);
	return buf;
}

static void test_list_cpp(void **state)
{
	char *argv[] = { "list", FX_SHOP, "shop::Parser::parse", NULL };
	char *out = run_list(3, argv);

	assert_non_null(
		strstr(out, "3 functions matching shop::Parser::parse"));
	assert_non_null(strstr(out, "SIZE  NAME  DEMANGLED\n"));
	assert_non_null(
		strstr(out, "  " SYM_PARSE_V "  shop::Parser::parse()\n"));
	assert_non_null(
		strstr(out, "  " SYM_PARSE_I "  shop::Parser::parse(int)\n"));
	assert_non_null(strstr(out, "  " SYM_PARSE_S
				    "  shop::Parser::parse(char const*)\n"));
	/* sorted by the demangled name */
	assert_true(strstr(out, SYM_PARSE_V) < strstr(out, SYM_PARSE_S));
	assert_true(strstr(out, SYM_PARSE_S) < strstr(out, SYM_PARSE_I));
	free(out);
}

static void test_list_c_names_unchanged(void **state)
{
	char *argv[] = { "list", FX_SHOP, "main", NULL };
	char *out = run_list(3, argv);

	assert_non_null(strstr(out, "1 function matching main"));
	assert_non_null(strstr(out, "  main\n")); /* nothing after it */
	free(out);
}

static void rust_case(const char *path, const char *parse)
{
	char *argv[] = { "list", (char *)path, "fixture_rust::shop::*", NULL };
	char *out, line[256];

	if (access(path, R_OK)) {
		print_message("[  SKIP    ] %s not built: no Debian rustc "
			      "(/usr/bin/rustc; scripts/install-deps.sh)\n",
			      path);
		skip();
	}
	/* the v0 form of a method is <Type>::method: match it too */
	if (strchr(parse, '<'))
		argv[2] = "*fixture_rust::shop::*";
	out = run_list(3, argv);
	assert_non_null(strstr(out, "2 functions matching"));
	snprintf(line, sizeof(line), "  %s\n", parse);
	assert_non_null(strstr(out, line));
	assert_non_null(strstr(out, "  fixture_rust::shop::total\n"));
	free(out);
}

static void test_list_rust_legacy(void **state)
{
	rust_case(FX_RUST_LEGACY, "fixture_rust::shop::Parser::parse");
}

static void test_list_rust_v0(void **state)
{
	rust_case(FX_RUST_V0, "<fixture_rust::shop::Parser>::parse");
}

/* ---------------------------------------------------------------- report */

#define LONG_NS                                                   \
	"shop::inventory_management_subsystem_with_a_long_name::" \
	"reconcile_stock_levels_across_all_regional_warehouses_"

struct rep_fixture {
	struct pt_stage st[2];
	struct pt_stage_set set;
	struct pt_totals tot[2];
	struct pt_snapshot snap;
	struct pt_report rep;
};

static void build_report(struct rep_fixture *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->st[0] = (struct pt_stage){ .name = LONG_NS "first(int)",
				      .symbol = "_ZN4shop1aEi",
				      .object = "/opt/shop" };
	f->st[1] = (struct pt_stage){ .name = LONG_NS "second(int)",
				      .symbol = "_ZN4shop1bEi",
				      .object = "/opt/shop" };
	f->set = (struct pt_stage_set){ .v = f->st, .n = 2 };
	for (i = 0; i < 2; i++) {
		f->tot[i].calls = 5 + (uint64_t)i;
		f->tot[i].hist[pt_hist_bucket(1000)] = 5 + (uint64_t)i;
		f->tot[i].lat_sum_ns = 1000 * (5 + (uint64_t)i);
		f->tot[i].wall_ns = f->tot[i].lat_sum_ns;
	}
	f->snap.pid = 7;
	f->snap.command = "shop";
	f->snap.stages = &f->set;
	f->snap.totals = f->tot;
	f->snap.duration_ns = 1000000000ull;
	assert_int_equal(pt_report__build(&f->rep, &f->snap), 0);
}

static char *capture(int (*write)(FILE *, const struct pt_report *),
		     const struct pt_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(write(f, r), 0);
	fclose(f);
	return buf;
}

/* The line of TEXT that starts with PREFIX and then CALLS, or NULL. */
static const char *row(const char *text, const char *prefix, const char *rest)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p + n;

		if (strncmp(p, prefix, n))
			continue;
		while (*q == ' ')
			q++;
		if (!strncmp(q, rest, strlen(rest)))
			return p;
	}
	return NULL;
}

static void test_table_long_names_distinct(void **state)
{
	struct rep_fixture *f = calloc(1, sizeof(*f));
	const char *a, *b;
	char *text;

	assert_non_null(f);
	build_report(f);
	text = capture(pt_report__write_table, &f->rep);
	/* whole names, each on its own row with its own calls */
	a = row(text, LONG_NS "first(int) ", "5 ");
	b = row(text, LONG_NS "second(int) ", "6 ");
	if (!a || !b)
		fail_msg("rows missing in:\n%s", text);
	/* the columns after the names line up: CALLS ends at one column */
	assert_int_equal(strchr(a, '5') - a, strchr(b, '6') - b);
	free(text);
	pt_report__free(&f->rep);
	free(f);
}

static void test_json_name_and_symbol(void **state)
{
	struct rep_fixture *f = calloc(1, sizeof(*f));
	json_object *root, *stages, *s, *v;
	char *text;

	assert_non_null(f);
	build_report(f);
	text = capture(pt_report__write_json, &f->rep);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "stages", &stages));
	s = json_object_array_get_idx(stages, 1);
	assert_true(json_object_object_get_ex(s, "name", &v));
	assert_string_equal(json_object_get_string(v), LONG_NS "second(int)");
	assert_true(json_object_object_get_ex(s, "symbol", &v));
	assert_string_equal(json_object_get_string(v), "_ZN4shop1bEi");
	json_object_put(root);
	free(text);
	pt_report__free(&f->rep);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle_cpp),
		cmocka_unit_test(test_demangle_rust),
		cmocka_unit_test(test_demangle_bounds),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_spec_split),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_stages_demangled),
		cmocka_unit_test(test_list_cpp),
		cmocka_unit_test(test_list_c_names_unchanged),
		cmocka_unit_test(test_list_rust_legacy),
		cmocka_unit_test(test_list_rust_v0),
		cmocka_unit_test(test_table_long_names_distinct),
		cmocka_unit_test(test_json_name_and_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
