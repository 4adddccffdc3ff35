// SPDX-License-Identifier: MIT
/*
 * test_target.c - what pipetrace refuses to probe and how it starts the
 * target, on real uprobes: a glob over every function of a program GCC
 * split into hot and cold parts leaves its output and exit status exactly
 * those of an untraced run; naming a cold fragment is refused before the
 * program starts; -u USER runs the command as that user, traced from its
 * first instruction; a library is found where the launched program's
 * loader finds it (its DT_RUNPATH or DT_RPATH).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define FX_COLD PT_BUILD_DIR "/fixtures/fixture_cold"
#define NESTED PT_BUILD_DIR "/tests/integration/prog_nested"
#define RPATH_BIN PT_BUILD_DIR "/fixtures/rpath/bin/"

static void test_glob_over_cold_split_program(void **state)
{
	char a[64], b[64], jpath[64], *untraced, *traced;
	char *plain[] = { FX_COLD, a, NULL };
	char *argv[] = { PTEST_PIPETRACE, "--json", jpath, "-s", "*", "--",
			 FX_COLD,	  b,	    NULL };
	json_object *rep;
	int code_plain, code;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(a, sizeof(a), ".untraced.txt");
	ptest_tmp_path(b, sizeof(b), ".traced.txt");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	code_plain = ptest_run(plain, 30, NULL, NULL);
	assert_int_equal(code_plain, 3); /* it always has bad lines */
	code = ptest_run(argv, 60, NULL, NULL);
	assert_int_equal(code, code_plain);
	untraced = ptest_slurp(a);
	traced = ptest_slurp(b);
	assert_non_null(strstr(untraced, "bad number 'x' on line 2"));
	assert_string_equal(traced, untraced);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	assert_int_equal(ptest_u64(ptest_stage(rep, "parse_num"), "calls"), 5);
	assert_null(ptest_stage(rep, "parse_num.cold"));
	json_object_put(rep);
	free(untraced);
	free(traced);
	unlink(a);
	unlink(b);
	unlink(jpath);
}

static void test_named_cold_fragment_refused(void **state)
{
	char out_path[64], *err = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-s", "parse_num.cold", "--", FX_COLD,
			 out_path,	  NULL };
	struct stat st;
	int code;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(out_path, sizeof(out_path), ".txt");
	code = ptest_run(argv, 30, NULL, &err);
	assert_int_not_equal(code, 0);
	assert_string_equal(
		err,
		"pipetrace: error: parse_num.cold is a cold fragment of parse_num, not a function entry; probe parse_num\n");
	/* Refused before the program ran. */
	assert_int_equal(stat(out_path, &st), -1);
	free(err);
}

/* nobody's uid, skipping the test where there is no such user. */
static uid_t nobody_uid(void)
{
	struct passwd *pw = getpwnam("nobody");

	if (!pw) {
		print_message("[  SKIP    ] no user nobody here\n");
		skip();
	}
	return pw->pw_uid;
}

static void test_user_runs_command_as_user(void **state)
{
	char *argv[] = { PTEST_PIPETRACE,
			 "-u",
			 "nobody",
			 "-s",
			 "libc.so.6:getuid",
			 "--",
			 "id",
			 "-u",
			 NULL };
	char want[32], *out = NULL, *err = NULL;

	PTEST_REQUIRE_TRACING();
	snprintf(want, sizeof(want), "%u\n", (unsigned)nobody_uid());
	ptest_run_ok(argv, 60, &out, &err);
	/* id's output comes first, then the report. */
	assert_true(!strncmp(out, want, strlen(want)));
	free(out);
	free(err);
}

/* Copies the program where nobody may run it; the directory in dir. */
static void copy_for_nobody(const char *src, char *dir, char *dst, size_t len)
{
	char *cp[] = { "/bin/cp", (char *)src, dst, NULL };

	strcpy(dir, "/tmp/pt-user-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(dst, len, "%s/prog", dir);
	ptest_run_ok(cp, 10, NULL, NULL);
	assert_int_equal(chmod(dst, 0755), 0);
}

static void test_user_trace_counts_calls(void **state)
{
	char dir[32], prog[64], jpath[64];
	char *argv[] = { PTEST_PIPETRACE,
			 "-u",
			 "nobody",
			 "--json",
			 jpath,
			 "--",
			 prog,
			 "2",
			 "50",
			 "10",
			 "3",
			 NULL };
	char *rm[] = { "/bin/rm", "-rf", dir, NULL };
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	nobody_uid();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	copy_for_nobody(NESTED, dir, prog, sizeof(prog));
	ptest_run_ok(argv, 60, NULL, NULL);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	/* 2 threads x 50 outer(), each 3 inner(); 2 x 10 x 4 recurse(). */
	assert_int_equal(ptest_u64(ptest_stage(rep, "outer"), "calls"), 100);
	assert_int_equal(ptest_u64(ptest_stage(rep, "inner"), "calls"), 300);
	assert_int_equal(ptest_u64(ptest_stage(rep, "recurse"), "calls"), 80);
	json_object_put(rep);
	unlink(jpath);
	ptest_run_ok(rm, 10, NULL, NULL);
}

static void test_user_errors(void **state)
{
	char *unknown[] = { PTEST_PIPETRACE, "-u", "no-such-user-pt", "--",
			    "true",	     NULL };
	char *with_pid[] = { PTEST_PIPETRACE, "-u", "nobody", "-p", "1", NULL };
	char *err = NULL;

	assert_int_equal(ptest_run(unknown, 30, NULL, &err), 1);
	assert_string_equal(
		err,
		"pipetrace: error: unknown user 'no-such-user-pt'; give a user name or uid from the user database (getent passwd)\n");
	free(err);
	err = NULL;
	assert_int_not_equal(ptest_run(with_pid, 30, NULL, &err), 0);
	assert_non_null(strstr(err, "-u USER runs a launched command"));
	assert_int_equal(ptest_count_lines(err), 1);
	free(err);
}

/* The report at jpath has rp_work of the fixtures' libptrpath.so, every
 * one of fixture_rpath's 3000 calls counted. */
static void check_rp_work(const char *jpath)
{
	json_object *rep = ptest_take_json(jpath);
	json_object *s = ptest_stage(rep, "rp_work");

	assert_non_null(s);
	assert_non_null(strstr(
		json_object_get_string(json_object_object_get(s, "object")),
		"/fixtures/rpath/lib/libptrpath.so"));
	assert_int_equal(ptest_u64(s, "calls"), 3000);
	json_object_put(rep);
}

/* A library named in -s for a launched program that finds it through its
 * own DT_RUNPATH or DT_RPATH ($ORIGIN/../lib; in no system directory) is
 * that copy: every call counted, the output that of an untraced run. */
static void trace_rpath_program(const char *bin)
{
	char jpath[64], *plain_out = NULL, *out = NULL;
	char *plain[] = { (char *)bin, "3000", NULL };
	char *argv[] = { PTEST_PIPETRACE,
			 "-j",
			 jpath,
			 "-s",
			 "libptrpath.so:rp_work",
			 "--",
			 (char *)bin,
			 "3000",
			 NULL };

	char *err = NULL;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(plain, 30, &plain_out, NULL);
	ptest_run_ok(argv, 60, &out, &err);
	assert_string_equal(out, plain_out);
	/* it links the library: no warning that it has its own copy */
	assert_null(strstr(err, "itself"));
	check_rp_work(jpath);
	free(plain_out);
	free(out);
	free(err);
}

/*
 * A library stage for a launched program that has the function itself and
 * does not link the library (Debian's perl and libperl): one warning
 * before attaching, naming the program's own function; the library's
 * stage counts nothing (the program runs as untraced), the advised -s
 * every call.
 */
static void test_library_own_copy(void **state)
{
	char jpath[64], *plain_out = NULL, *out = NULL, *err = NULL;
	char *prog = PT_BUILD_DIR "/tests/integration/prog_owncopy";
	char *plain[] = { prog, "3000", NULL };
	char *lib[] = { PTEST_PIPETRACE,
			"-j",
			jpath,
			"-s",
			PT_BUILD_DIR
			"/fixtures/rpath/lib/libptrpath.so:rp_work",
			"--",
			prog,
			"3000",
			NULL };
	char *own[] = {
		PTEST_PIPETRACE, "-j", jpath, "-s", "rp_work", "--", prog,
		"3000",		 NULL
	};
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_run(plain, 30, &plain_out, NULL), 4);
	assert_int_equal(ptest_run(lib, 60, &out, &err), 4);
	print_message("  %s", err);
	assert_string_equal(out, plain_out);
	assert_non_null(strstr(
		err,
		"prog_owncopy has rp_work itself and does not link libptrpath.so: its calls go to its own copy"));
	assert_non_null(strstr(err, "trace the program's: -s 'rp_work'\n"));
	rep = ptest_take_json(jpath);
	assert_int_equal(ptest_u64(ptest_stage(rep, "rp_work"), "calls"), 0);
	json_object_put(rep);
	free(out);
	free(err);
	out = err = NULL;
	assert_int_equal(ptest_run(own, 60, &out, &err), 4);
	assert_string_equal(out, plain_out);
	assert_null(strstr(err, "itself"));
	rep = ptest_take_json(jpath);
	assert_int_equal(ptest_u64(ptest_stage(rep, "rp_work"), "calls"), 3000);
	json_object_put(rep);
	free(plain_out);
	free(out);
	free(err);
}

/*
 * A glob over libc matches aliases of one function (write, __write and,
 * with libc6-dbg's .symtab, glibc's internal __GI___write, listed first):
 * one stage, named by its plainest alias, with the program's one write.
 */
static void test_alias_named_plainly(void **state)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *prog = PT_BUILD_DIR "/tests/integration/prog_owncopy";
	char *argv[] = { PTEST_PIPETRACE,
			 "-j",
			 jpath,
			 "-s",
			 "libc.so.6:*write",
			 "--",
			 prog,
			 "10",
			 NULL };
	json_object *rep, *stages;
	size_t i, n;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_run(argv, 60, &out, &err), 4);
	rep = ptest_take_json(jpath);
	stages = json_object_object_get(rep, "stages");
	n = json_object_array_length(stages);
	for (i = 0; i < n; i++) {
		const char *name =
			json_object_get_string(json_object_object_get(
				json_object_array_get_idx(stages, i), "name"));

		assert_false(strncmp(name, "__GI_", 5) == 0);
	}
	/* stdout is a pipe: printf's line goes out in one write at exit */
	assert_non_null(ptest_stage(rep, "write"));
	assert_int_equal(ptest_u64(ptest_stage(rep, "write"), "calls"), 1);
	json_object_put(rep);
	free(out);
	free(err);
}

static void test_library_through_runpath(void **state)
{
	PTEST_REQUIRE_TRACING();
	trace_rpath_program(RPATH_BIN "fixture_runpath");
	trace_rpath_program(RPATH_BIN "fixture_rpath_old");
}

/*
 * The same program run by a script (as pyenv's shim runs its python): the
 * library is in no system directory, so the script's shell has none; the
 * program's copy is probed when the shell execs it (it waits on a FIFO the
 * test opens once pipetrace says so), every call counted.
 */
static void test_library_of_program_execd(void **state)
{
	char script[64], gate[64], jpath[64];
	char *argv[] = { PTEST_PIPETRACE,	  "-j", jpath,	"-s",
			 "libptrpath.so:rp_work", "--", script, NULL };
	struct ptest_proc tracer;
	char *log = NULL, *out = NULL;
	FILE *f;
	int fd;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(script, sizeof(script), ".sh");
	ptest_tmp_path(gate, sizeof(gate), ".gate");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(mkfifo(gate, 0600), 0);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nexec %s 3000 %s\n", RPATH_BIN "fixture_runpath",
		gate);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	assert_int_equal(ptest_spawn(&tracer, argv, false), 0);
	if (!ptest_wait_stderr(&tracer, "fixture_runpath probed", 120, &log))
		fail_msg("fixture_runpath's library was not probed: %s",
			 log ? log : "");
	fd = open(gate, O_WRONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ptest_finish(&tracer, 120, &out, &log), 0);
	assert_non_null(strstr(out, "calls 3000"));
	check_rp_work(jpath);
	unlink(script);
	unlink(gate);
	free(out);
	free(log);
}

/* The first line of `pipetrace list ARGS...`: "# PATH: N functions". */
static char *list_header(char **args, size_t n)
{
	char *argv[8] = { PTEST_PIPETRACE, "list" }, *out = NULL, *nl;
	size_t i;

	for (i = 0; i < n && i < 5; i++)
		argv[2 + i] = args[i];
	ptest_run_ok(argv, 30, &out, NULL);
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	return out;
}

/* "# REALPATH: " for the file at path, as the shell found it. */
static void header_names(const char *header, const char *path)
{
	char real[PATH_MAX], want[PATH_MAX + 8];

	assert_non_null(realpath(path, real));
	snprintf(want, sizeof(want), "# %s: ", real);
	assert_true(strncmp(header, want, strlen(want)) == 0);
}

/*
 * `pipetrace list xz` and `list -- xz` find the command through PATH, as
 * the shell's `command -v` does; a script is listed by the interpreter its
 * own #! line names, which is what runs (main: "xz: No such file or
 * directory", and "not an ELF file" for the script).
 */
static void test_list_command_through_path(void **state)
{
	char *sh[] = { "/bin/sh", "-c", "command -v xz", NULL };
	char script[64], *where = NULL, *h, *nl;
	char *bare[] = { "xz" }, *dashed[] = { "--", "xz" },
	     *scr[] = { script };
	FILE *f;

	if (ptest_run(sh, 10, &where, NULL) != 0) {
		free(where);
		skip(); /* no xz installed: nothing to find */
	}
	nl = strchr(where, '\n');
	if (nl)
		*nl = '\0';
	h = list_header(bare, 1);
	header_names(h, where);
	free(h);
	h = list_header(dashed, 2);
	header_names(h, where);
	free(h);
	ptest_tmp_path(script, sizeof(script), ".sh");
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!%s -q\nexit 0\n", where);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	h = list_header(scr, 1);
	header_names(h, where);
	free(h);
	unlink(script);
	free(where);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_over_cold_split_program),
		cmocka_unit_test(test_named_cold_fragment_refused),
		cmocka_unit_test(test_user_runs_command_as_user),
		cmocka_unit_test(test_user_trace_counts_calls),
		cmocka_unit_test(test_user_errors),
		cmocka_unit_test(test_library_through_runpath),
		cmocka_unit_test(test_library_own_copy),
		cmocka_unit_test(test_alias_named_plainly),
		cmocka_unit_test(test_library_of_program_execd),
		cmocka_unit_test(test_list_command_through_path),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
