// SPDX-License-Identifier: MIT
/* test_opts.c - command-line parsing: accepted forms and one-line errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cmd.h"
#include "cli/opts.h"

#define ARGV(...) ((char *[]){ "pipetrace", __VA_ARGS__, NULL })
#define ARGC(a) ((int)(sizeof(a) / sizeof(char *)) - 1)

static int parse(char **argv, int argc, struct pt_opts *o, char *err)
{
	err[0] = '\0';
	return pt_opts__parse(argc, argv, o, err, 256);
}

static void test_pid_and_stages(void **state)
{
	char *argv[] = { "pipetrace",
			 "-p",
			 "1234",
			 "-s",
			 "stage_*",
			 "-s",
			 "libz.so.1:deflate",
			 "--stage",
			 "/usr/lib/x.so:f*,items=u64",
			 "-d",
			 "2.5",
			 "-i",
			 "1",
			 "--json",
			 "out.json",
			 NULL };
	struct pt_opts o;
	char err[256];

	assert_int_equal(parse(argv, ARGC(argv), &o, err), 0);
	assert_int_equal(o.pid, 1234);
	assert_null(o.argv);
	assert_int_equal(o.nspecs, 3);
	assert_null(o.specs[0].object);
	assert_string_equal(o.specs[0].pattern, "stage_*");
	assert_int_equal(o.specs[0].items, -1);
	assert_string_equal(o.specs[1].object, "libz.so.1");
	assert_string_equal(o.specs[1].pattern, "deflate");
	assert_string_equal(o.specs[2].object, "/usr/lib/x.so");
	assert_string_equal(o.specs[2].pattern, "f*");
	assert_int_equal(o.specs[2].items, PT_ITEMS_U64);
	assert_true(o.duration_s == 2.5);
	assert_true(o.interval_s == 1.0);
	assert_string_equal(o.json_path, "out.json");
	assert_true(o.calibrate);
	pt_opts__free(&o);
}

static void test_command(void **state)
{
	char *argv[] = { "pipetrace", "-s", "f",  "--", "./refpipe",
			 "--records", "10", "-p", "5",	NULL };
	struct pt_opts o;
	char err[256];

	assert_int_equal(parse(argv, ARGC(argv), &o, err), 0);
	assert_int_equal(o.pid, 0);
	assert_non_null(o.argv);
	/* Options after CMD belong to CMD. */
	assert_string_equal(o.argv[0], "./refpipe");
	assert_string_equal(o.argv[1], "--records");
	assert_string_equal(o.argv[4], "5");
	assert_null(o.argv[5]);
	pt_opts__free(&o);
}

static void test_list(void **state)
{
	char *a1[] = { "list", "/bin/true", "main*", NULL };
	char *a2[] = { "list", "-p", "77", "libc.so.6:write", "--sites", NULL };
	char *a3[] = { "list", NULL };
	char *a4[] = { "list", "/bin/true", "a", "b", NULL };
	char *a5[] = { "list", "--json", "x", "/bin/true", NULL };
	struct pt_list_opts o;
	char err[256];

	assert_int_equal(pt_list_opts__parse(ARGC(a1), a1, &o, err, 256), 0);
	assert_string_equal(o.file, "/bin/true");
	assert_string_equal(o.spec.pattern, "main*");
	assert_false(o.sites);
	pt_list_opts__free(&o);

	assert_int_equal(pt_list_opts__parse(ARGC(a2), a2, &o, err, 256), 0);
	assert_int_equal(o.pid, 77);
	assert_null(o.file);
	assert_string_equal(o.spec.object, "libc.so.6");
	assert_true(o.sites);
	pt_list_opts__free(&o);

	assert_int_equal(pt_list_opts__parse(ARGC(a3), a3, &o, err, 256),
			 -EINVAL);
	assert_non_null(strstr(err, "nothing to list"));
	pt_list_opts__free(&o);

	assert_int_equal(pt_list_opts__parse(ARGC(a4), a4, &o, err, 256),
			 -EINVAL);
	assert_non_null(strstr(err, "unexpected argument 'b'"));
	pt_list_opts__free(&o);

	/* A trace option is not a list option. */
	assert_int_equal(pt_list_opts__parse(ARGC(a5), a5, &o, err, 256),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown option '--json'"));
	pt_list_opts__free(&o);
}

/* fuzz_opts found it: `list FILE 'OBJ:'` (an empty pattern after an
 * object) freed the object in the parser and again in
 * pt_list_opts__free(), a double free. A failed spec holds nothing. */
static void test_failed_spec_holds_nothing(void **state)
{
	static const char *const bad[] = { "+:", "lib:", ":f", "f,items=x",
					   "" };
	char *a[] = { "list", "", "+:", NULL };
	struct pt_list_opts o;
	struct pt_spec s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pt_spec__parse(bad[i], &s, err, 256), -EINVAL);
		assert_null(s.object);
		assert_null(s.pattern);
	}
	assert_int_equal(pt_list_opts__parse(ARGC(a), a, &o, err, 256),
			 -EINVAL);
	assert_non_null(strstr(err, "empty function pattern"));
	assert_null(o.spec.object);
	pt_list_opts__free(&o);
}

/* Each bad input: -EINVAL and a message naming the thing. */
static void test_errors(void **state)
{
	static const struct {
		char *argv[8];
		const char *says;
	} cases[] = {
		{ { "pipetrace", "-p", "abc" }, "bad PID 'abc'" },
		{ { "pipetrace", "-p", "-5" }, "bad PID '-5'" },
		{ { "pipetrace", "-p", "0" }, "bad PID '0'" },
		{ { "pipetrace", "-p", "99999999999" }, "bad PID" },
		{ { "pipetrace", "-p" }, "needs a value" },
		{ { "pipetrace", "-d", "0", "-p", "1" }, "bad duration '0'" },
		{ { "pipetrace", "-d", "nan", "-p", "1" }, "bad duration" },
		{ { "pipetrace", "-i", "x", "-p", "1" }, "bad interval 'x'" },
		{ { "pipetrace", "--bogus" }, "unknown option '--bogus'" },
		{ { "pipetrace", "-Z" }, "unknown option '-Z'" },
		{ { "pipetrace" }, "nothing to trace" },
		{ { "pipetrace", "-p", "3", "--", "ls" }, "not both" },
		{ { "pipetrace", "-s", "", "-p", "1" }, "empty stage spec" },
		{ { "pipetrace", "-s", "libc.so.6:", "-p", "1" },
		  "empty function pattern" },
		{ { "pipetrace", "-s", ":write", "-p", "1" },
		  "empty object name" },
		{ { "pipetrace", "-s", "f,items=lots", "-p", "1" },
		  "bad stage spec option 'items=lots'" },
		{ { "pipetrace", "--max-threads", "0", "-p", "1" },
		  "bad --max-threads" },
		{ { "pipetrace", "--json", "", "-p", "1" }, "empty --json" },
	};
	struct pt_opts o;
	char err[256];
	size_t i;
	int argc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (argc = 0; cases[i].argv[argc]; argc++)
			;
		assert_int_equal(parse((char **)cases[i].argv, argc, &o, err),
				 -EINVAL);
		if (!strstr(err, cases[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err,
				 cases[i].says);
		/* One line. */
		assert_null(strchr(err, '\n'));
		pt_opts__free(&o);
	}
}

/* Memory and stack options: defaults, implied --alloc, bad values. */
static void test_alloc_and_stacks(void **state)
{
	char *a0[] = { "pipetrace", "-p", "1", NULL };
	char *a1[] = { "pipetrace", "--alloc-sample",
		       "10",	    "--alloc-min",
		       "64",	    "-F",
		       "99",	    "--folded",
		       "on.gz",	    "--folded-offcpu",
		       "off",	    "-p",
		       "1",	    NULL };
	char *bad[][4] = {
		{ "pipetrace", "--alloc-sample", "0", NULL },
		{ "pipetrace", "--alloc-sample", "x", NULL },
		{ "pipetrace", "--alloc-max", "0", NULL },
		{ "pipetrace", "--alloc-min", "-1", NULL },
		{ "pipetrace", "-F", "0", NULL },
		{ "pipetrace", "-F", "10001", NULL },
		{ "pipetrace", "--folded", "", NULL },
		{ "pipetrace", "--folded-offcpu", "", NULL },
	};
	struct pt_opts o;
	char err[256];
	size_t i;

	assert_int_equal(parse(a0, ARGC(a0), &o, err), 0);
	assert_false(o.alloc);
	assert_int_equal(o.alloc_sample, 1);
	assert_int_equal(o.alloc_max, PT_DEFAULT_MAX_ALLOCS);
	assert_int_equal(o.freq_hz, 49);
	assert_null(o.folded_path);
	pt_opts__free(&o);

	assert_int_equal(parse(a1, ARGC(a1), &o, err), 0);
	assert_true(o.alloc); /* implied by --alloc-sample */
	assert_int_equal(o.alloc_sample, 10);
	assert_int_equal(o.alloc_min, 64);
	assert_int_equal(o.freq_hz, 99);
	assert_string_equal(o.folded_path, "on.gz");
	assert_string_equal(o.folded_offcpu_path, "off");
	pt_opts__free(&o);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 3, &o, err), -EINVAL);
		/* The message names the option (-F by its long name). */
		assert_non_null(strstr(err, bad[i][1][1] == 'F' ? "--freq" :
								  bad[i][1]));
		pt_opts__free(&o);
	}
}

/* --call-graph fp|dwarf[,SIZE]: unset is the choice by evidence. */
static void test_call_graph(void **state)
{
	static const struct {
		const char *arg;
		enum pt_call_graph cg;
		unsigned int size;
	} good[] = {
		{ "fp", PT_CG_FP, PT_USTACK_DEFAULT },
		{ "dwarf", PT_CG_DWARF, PT_USTACK_DEFAULT },
		{ "dwarf,4096", PT_CG_DWARF, 4096 },
		{ "dwarf,16384", PT_CG_DWARF, 16384 },
	};
	static const char *const bad[] = { "lbr",	  "dwarf,",
					   "dwarf,0",	  "dwarf,7",
					   "dwarf,16392", "dwarfx",
					   "fp,8",	  "" };
	char *a0[] = { "pipetrace", "-p", "1", NULL };
	char *a[] = { "pipetrace", "--call-graph", NULL, "-p", "1", NULL };
	char *twice[] = { "pipetrace", "--call-graph", "fp", "--call-graph",
			  "dwarf",     "-p",	       "1",  NULL };
	struct pt_opts o;
	char err[256];
	size_t i;

	assert_int_equal(parse(a0, ARGC(a0), &o, err), 0);
	assert_int_equal(o.call_graph, PT_CG_AUTO);
	assert_int_equal(o.ustack_size, PT_USTACK_DEFAULT);
	pt_opts__free(&o);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a[2] = (char *)good[i].arg;
		assert_int_equal(parse(a, 5, &o, err), 0);
		assert_int_equal(o.call_graph, good[i].cg);
		assert_int_equal(o.ustack_size, good[i].size);
		pt_opts__free(&o);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a[2] = (char *)bad[i];
		assert_int_equal(parse(a, 5, &o, err), -EINVAL);
		assert_non_null(strstr(err, "--call-graph"));
		pt_opts__free(&o);
	}
	assert_int_equal(parse(twice, ARGC(twice), &o, err), -EINVAL);
	assert_non_null(strstr(err, "--call-graph given twice"));
	pt_opts__free(&o);
}

/* -o FORMAT=PATH, repeatable; one-value options given twice fail. */
static void test_outputs_and_repeats(void **state)
{
	static const struct {
		char *argv[8];
		const char *says;
	} bad[] = {
		{ { "pipetrace", "--comm", "a", "--comm", "b" },
		  "--comm given twice" },
		{ { "pipetrace", "-j", "a", "-j", "b", "-p", "1" },
		  "--json given twice" },
		{ { "pipetrace", "--folded", "a", "--folded", "b", "-p", "1" },
		  "--folded given twice" },
		{ { "pipetrace", "-F", "9", "-F", "9", "-p", "1" },
		  "-F given twice" },
		{ { "pipetrace", "-o", "json", "-p", "1" }, "bad -o 'json'" },
		{ { "pipetrace", "-o", "json=", "-p", "1" }, "bad -o 'json='" },
		{ { "pipetrace", "-o", "=x", "-p", "1" }, "bad -o '=x'" },
		{ { "pipetrace", "-o", "xml=x", "-p", "1" },
		  "no output format 'xml'" },
	};
	struct pt_opts o;
	char err[256];
	size_t i;
	int argc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (argc = 0; bad[i].argv[argc]; argc++)
			;
		assert_int_equal(parse((char **)bad[i].argv, argc, &o, err),
				 -EINVAL);
		if (!strstr(err, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err,
				 bad[i].says);
		pt_opts__free(&o);
	}
	{
		char *a[] = { "pipetrace", "-o", "json=a.json", "--output",
			      "table=-",   "-o", "json=b=c",	"-s",
			      "x",	   "-s", "y",		"-p",
			      "1",	   NULL };

		assert_int_equal(parse(a, ARGC(a), &o, err), 0);
		assert_int_equal(o.noutputs, 3);
		assert_string_equal(o.outputs[0].format, "json");
		assert_string_equal(o.outputs[0].path, "a.json");
		assert_string_equal(o.outputs[0].option, "-o json");
		assert_string_equal(o.outputs[1].format, "table");
		assert_string_equal(o.outputs[1].path, "-");
		/* The first '=' splits; the path may hold more. */
		assert_string_equal(o.outputs[2].path, "b=c");
		assert_int_equal(o.nspecs, 2);
		pt_opts__free(&o);
		assert_int_equal(o.noutputs, 0);
	}
}

/* Several processes: -p PID,PID and repeated -p, --children, --comm,
 * --exe, --no-follow, and what they refuse. */
static void test_several_processes(void **state)
{
	char *a1[] = { "pipetrace", "-p", "12,34",	"-p", "56",
		       "-p",	    "12", "--children", NULL };
	char *a2[] = { "pipetrace", "--comm", "pigz", NULL };
	char *a3[] = { "pipetrace", "--no-follow", "--", "sh", NULL };
	char *a4[] = { "pipetrace", "--exe", "/bin/sh", NULL };
	static const struct {
		char *argv[6];
		const char *says;
	} bad[] = {
		{ { "pipetrace", "-p", "12,", NULL },
		  "bad PID '' in '-p 12,'" },
		{ { "pipetrace", "-p", "1,x", NULL }, "bad PID 'x'" },
		{ { "pipetrace", "-p", ",1", NULL }, "bad PID ''" },
		{ { "pipetrace", "--comm", "", NULL }, "bad --comm ''" },
		{ { "pipetrace", "--comm", "0123456789abcdef", NULL },
		  "1 to 15 characters" },
		{ { "pipetrace", "--children", "--", "sh", NULL },
		  "give -p PID too" },
		{ { "pipetrace", "--no-follow", "-p", "1", NULL },
		  "--no-follow is for a launched command" },
		{ { "pipetrace", "--comm", "sh", "-p", "1", NULL },
		  "give one of -p PID, --comm NAME, --exe PATH or -- CMD" },
		{ { "pipetrace", "--exe", "/bin/sh", "--", "sh", NULL },
		  "give one of -p PID, --comm NAME, --exe PATH or -- CMD" },
		{ { "pipetrace", "--exe", "/bin/sh", "--comm", "sh", NULL },
		  "give either --comm NAME or --exe PATH, not both" },
		{ { "pipetrace", "--exe", "", NULL }, "bad --exe ''" },
	};
	struct pt_opts o;
	char err[256];
	size_t i;
	int argc;

	(void)state;
	assert_int_equal(parse(a1, ARGC(a1), &o, err), 0);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[1], 34);
	assert_int_equal(o.pids[2], 56);
	assert_int_equal(o.pid, 12);
	assert_true(o.children);
	pt_opts__free(&o);
	assert_int_equal(parse(a2, ARGC(a2), &o, err), 0);
	assert_string_equal(o.comm, "pigz");
	assert_int_equal(o.pid, 0);
	pt_opts__free(&o);
	assert_int_equal(parse(a3, ARGC(a3), &o, err), 0);
	assert_true(o.no_follow);
	pt_opts__free(&o);
	assert_int_equal(parse(a4, ARGC(a4), &o, err), 0);
	assert_string_equal(o.exe, "/bin/sh");
	assert_null(o.comm);
	pt_opts__free(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (argc = 0; bad[i].argv[argc]; argc++)
			;
		assert_int_equal(parse((char **)bad[i].argv, argc, &o, err),
				 -EINVAL);
		if (!strstr(err, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err,
				 bad[i].says);
		pt_opts__free(&o);
	}
}

static void test_help_version(void **state)
{
	char *a1[] = { "pipetrace", "--help", NULL };
	char *a2[] = { "pipetrace", "-V", NULL };
	struct pt_opts o;
	char err[256];

	assert_int_equal(parse(a1, ARGC(a1), &o, err), 0);
	assert_true(o.help);
	pt_opts__free(&o);
	assert_int_equal(parse(a2, ARGC(a2), &o, err), 0);
	assert_true(o.version);
	pt_opts__free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_and_stages),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_failed_spec_holds_nothing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alloc_and_stacks),
		cmocka_unit_test(test_call_graph),
		cmocka_unit_test(test_outputs_and_repeats),
		cmocka_unit_test(test_several_processes),
		cmocka_unit_test(test_help_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
