// SPDX-License-Identifier: MIT
/*
 * test_unwind.c - the traced program is never harmed: C++ exceptions and
 * Rust panics through traced functions (return-site probes), longjmp and
 * siglongjmp out of traced functions, swapcontext and setcontext out of
 * them never to return, recursion deeper than the kernel's
 * return-probe limit (return probes, and return sites in the C++ program;
 * frames re-synchronised on the stack pointer), and Go's goroutines
 * (return sites paired by goroutine, stacks that grow, panics; also
 * stripped, the stages found in .gopclntab). Each
 * program is traced with a glob over all its own functions, launched (--)
 * and attached (-p): its stdout and exit status must be byte-identical to
 * an untraced run, and calls exact where they can be counted. The C++,
 * Rust and Go programs are built here (g++ -O2, rustc -C opt-level=2, go
 * build offline); a test whose toolchain is missing skips, saying so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define LONGJMP PT_BUILD_DIR "/tests/integration/prog_longjmp"
#define DEEP PT_BUILD_DIR "/tests/integration/prog_deep"
#define CONTEXT PT_BUILD_DIR "/tests/integration/prog_context"
#define LANGS PT_SOURCE_DIR "/tests/integration/langs"
#define TIMEOUT 120.0

/* Debian's toolchains (install-deps.sh), not whatever is first in PATH. */
#define GXX "/usr/bin/g++"
#define RUSTC "/usr/bin/rustc"
#define GO "/usr/bin/go"

/* A scratch directory for the programs built here. */
static char scratch[64];

static int setup(void **state)
{
	snprintf(scratch, sizeof(scratch), "/tmp/ptest-unwind-XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	char *argv[] = { "/bin/rm", "-rf", scratch, NULL };

	return ptest_run(argv, 60, NULL, NULL) == 0 ? 0 : -1;
}

/* Skips the test, printing why, unless tool is installed. */
#define REQUIRE_TOOL(tool, pkg)                                              \
	do {                                                                 \
		if (access(tool, X_OK)) {                                    \
			print_message("[  SKIP    ] %s missing (Debian " pkg \
				      "; scripts/install-deps.sh)\n",        \
				      tool);                                 \
			skip();                                              \
		}                                                            \
	} while (0)

/* Builds with argv (its output at out), failing the test if it fails. */
static void build(char *const argv[])
{
	char *err = NULL;

	if (ptest_run(argv, 300, NULL, &err) != 0)
		fail_msg("cannot build with %s: %s", argv[0], err);
	free(err);
}

/* A traced program and what it printed and returned untraced. */
struct prog {
	const char *path;
	const char *spec; /* the -s glob over its functions */
	char *out; /* untraced stdout */
	int code; /* untraced exit status */
};

static void run_untraced(struct prog *p)
{
	char *argv[] = { (char *)p->path, NULL };

	p->code = ptest_run(argv, TIMEOUT, &p->out, NULL);
	assert_true(p->code >= 0);
}

/* Traces p launched by pipetrace: same stdout and status; the report. */
static json_object *trace_launch(const struct prog *p)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-s", (char *)p->spec, "--json",
			 jpath,		  "--", (char *)p->path, NULL };
	json_object *rep;
	int code;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	code = ptest_run(argv, TIMEOUT, &out, &err);
	if (code != p->code)
		fail_msg("traced exit status %d, untraced %d: %s", code,
			 p->code, err);
	assert_string_equal(out, p->out);
	rep = ptest_take_json(jpath);
	free(out);
	free(err);
	return rep;
}

/* Starts p waiting for a byte on stdin, attaches (extra: pipetrace's
 * arguments), lets it run, and checks stdout and status. */
static void run_attached(const struct prog *p, char **extra,
			 struct ptest_proc *tracer, char **log)
{
	char *argv[] = { (char *)p->path, "wait", NULL };
	char *out = NULL, *err = NULL;
	struct ptest_proc target;
	int code;

	assert_int_equal(ptest_spawn(&target, argv, true), 0);
	ptest_attach(tracer, target.pid, extra, log);
	assert_int_equal(write(target.in_fd, "x", 1), 1);
	close(target.in_fd);
	target.in_fd = -1;
	code = ptest_finish(&target, TIMEOUT, &out, &err);
	assert_int_equal(code, p->code);
	assert_string_equal(out, p->out);
	free(out);
	free(err);
}

/* Traces p attached with -p: same stdout and status; the report. */
static json_object *trace_pid(const struct prog *p)
{
	char jpath[64], *log = NULL, *out = NULL;
	char *extra[] = { "-s", (char *)p->spec, "--json", jpath, NULL };
	struct ptest_proc tracer;
	json_object *rep;
	int code;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	run_attached(p, extra, &tracer, &log);
	code = ptest_finish(&tracer, 30, &out, &log);
	if (code != 0)
		fail_msg("pipetrace -p exited %d: %s", code, log);
	rep = ptest_take_json(jpath);
	free(out);
	free(log);
	return rep;
}

static uint64_t calls(json_object *rep, const char *stage)
{
	json_object *s = ptest_stage(rep, stage);

	if (!s)
		fail_msg("no stage %s in the report", stage);
	return ptest_u64(s, "calls");
}

static uint64_t lost(json_object *rep, const char *reason)
{
	return ptest_u64(json_object_object_get(rep, "lost"), reason);
}

static const char *probe(json_object *rep, const char *stage)
{
	json_object *s = ptest_stage(rep, stage), *c;

	assert_non_null(s);
	assert_true(json_object_object_get_ex(s, "probe_class", &c));
	return json_object_get_string(c);
}

/* Checks rep against the exception/panic programs' construction: of 100
 * calls of the outer function, the odd ones unwind through nthrough
 * traced functions; plain runs after each. */
static void check_unwinding(json_object *rep, const char *const *through,
			    size_t nthrough, const char *plain)
{
	size_t i;

	for (i = 0; i < nthrough; i++) {
		json_object *st = ptest_stage(rep, through[i]);

		assert_int_equal(calls(rep, through[i]), 50);
		assert_string_equal(probe(rep, through[i]), "retsite");
		/* The unwound calls' time (the unwinding itself, in the
		 * frames it passes) is in wall as it is in self: a stage's
		 * own time is never more than its wall time. */
		print_message("  %s: wall %llu ns, self %llu ns\n", through[i],
			      (unsigned long long)ptest_u64(st, "wall_ns"),
			      (unsigned long long)ptest_u64(st, "self_ns"));
		assert_true(ptest_u64(st, "self_ns") <=
			    ptest_u64(st, "wall_ns"));
	}
	assert_int_equal(calls(rep, plain), 100);
	assert_string_equal(probe(rep, plain), "retsite");
	/* Every frame an exception passed, and nothing else. */
	assert_int_equal(lost(rep, "unwound"), 50 * nthrough);
	/* No landing pad's jump to a cold part taken for a return: at most
	 * main, entered before -p attached, returns unseen. */
	assert_true(ptest_u64(rep, "calls_in_flight_at_attach") <= 1);
}

/* Whether the report check() reads is of a launched command (else -p). */
static bool launched;

/* Traces p both ways and checks each report with check(). */
static void trace_both(struct prog *p, void (*check)(json_object *rep))
{
	json_object *rep;

	run_untraced(p);
	rep = trace_launch(p);
	launched = true;
	check(rep);
	json_object_put(rep);
	rep = trace_pid(p);
	launched = false;
	check(rep);
	json_object_put(rep);
	free(p->out);
	p->out = NULL;
}

/* ---------------------------------------------------------------- C++ */

static void check_cxx(json_object *rep)
{
	static const char *const through[] = { "thrower", "middle",
					       "rethrower" };

	check_unwinding(rep, through, 3, "plain");
	/* 10 recursions 200 deep: the outermost frames timed, the deeper
	 * ones (beyond the frames a thread keeps) counted lost. */
	assert_int_equal(calls(rep, "recurse") + lost(rep, "depth"), 2000);
	assert_true(calls(rep, "recurse") >= 300);
	assert_string_equal(probe(rep, "recurse"), "retsite");
	/* Its jump table is no exit, its tail calls are. */
	assert_int_equal(calls(rep, "sw"), 800);
	assert_int_equal(calls(rep, "leaf"), 200);
	assert_int_equal(lost(rep, "unmatched"), 0);
}

static void test_cxx_exceptions(void **state)
{
	char path[128];
	char *argv[] = { GXX, "-O2", "-o", path, LANGS "/throw.cc", NULL };
	struct prog p = { .path = path, .spec = "*" };

	PTEST_REQUIRE_TRACING();
	REQUIRE_TOOL(GXX, "g++");
	snprintf(path, sizeof(path), "%s/throw", scratch);
	build(argv);
	trace_both(&p, check_cxx);
}

/* --------------------------------------------------------------- Rust */

static void check_rust(json_object *rep)
{
	static const char *const through[] = { "rsprog_thrower",
					       "rsprog_middle" };

	check_unwinding(rep, through, 2, "rsprog_plain");
	assert_int_equal(lost(rep, "depth"), 0);
}

static void test_rust_panics(void **state)
{
	char path[128];
	char *argv[] = { RUSTC,	   "-C", "opt-level=2", "--crate-name",
			 "rsprog", "-o", path,		LANGS "/panic.rs",
			 NULL };
	/* Every function of the crate (std's are many more than a trace
	 * holds stages). */
	struct prog p = { .path = path, .spec = "*rsprog*" };

	PTEST_REQUIRE_TRACING();
	REQUIRE_TOOL(RUSTC, "rustc");
	snprintf(path, sizeof(path), "%s/rsprog", scratch);
	build(argv);
	trace_both(&p, check_rust);
}

/* ----------------------------------------------------------------- Go */

/* A count the Go program printed: the number after "name " at a line's
 * start. */
static uint64_t printed(const char *out, const char *name)
{
	size_t n = strlen(name);
	const char *p = out;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	fail_msg("the Go program printed no %s count", name);
	return 0;
}

/* grow.go's worker goroutines (its const goroutines). */
#define GO_WORKERS 8

/* The Go program, its untraced run's output in it, for check_go(). */
static const struct prog *go_prog;

/* How many calls of main.main's closures, each run once per worker
 * goroutine, did not return. */
static uint64_t closures_open(json_object *rep)
{
	json_object *stages = json_object_object_get(rep, "stages");
	uint64_t open = 0;

	for (size_t i = 0; i < json_object_array_length(stages); i++) {
		json_object *st = json_object_array_get_idx(stages, i);
		const char *name = json_object_get_string(
			json_object_object_get(st, "name"));

		if (name && !strncmp(name, "main.main.", 10))
			open += GO_WORKERS - ptest_u64(st, "calls");
	}
	return open;
}

static void check_go(json_object *rep)
{
	static const char *const timed[] = { "main.work", "main.guard",
					     "main.middle", "main.thrower",
					     "main.deep" };
	const char *go_out = go_prog->out;
	uint64_t panics = printed(go_out, "panic");
	size_t i;

	assert_int_equal(go_prog->code, 3);
	for (i = 0; i < sizeof(timed) / sizeof(timed[0]); i++) {
		json_object *st = ptest_stage(rep, timed[i]), *c;

		assert_non_null(st);
		assert_string_equal(probe(rep, timed[i]), "retsite");
		assert_true(json_object_object_get_ex(st, "pairing", &c));
		assert_string_equal(json_object_get_string(c), "goroutine");
	}
	assert_int_equal(calls(rep, "main.work"), printed(go_out, "work"));
	assert_int_equal(calls(rep, "main.guard"), printed(go_out, "guard"));
	/* A panicking call never returns: it is unwound past, as its
	 * caller middle is. */
	assert_int_equal(calls(rep, "main.middle"),
			 printed(go_out, "middle") - panics);
	assert_int_equal(calls(rep, "main.thrower"),
			 printed(go_out, "thrower") - panics);
	/* Goroutines ended by runtime.Goexit in leaver, called by quitter:
	 * neither returns. */
	assert_int_equal(calls(rep, "main.quitter"), 0);
	assert_int_equal(calls(rep, "main.leaver"), 0);
	assert_int_equal(lost(rep, "unwound"),
			 2 * panics + printed(go_out, "quitter") +
				 printed(go_out, "leaver"));
	/* 200 deep: the outermost frames timed, the deeper ones counted as
	 * lost; each call once, however often its stack grew. */
	assert_int_equal(calls(rep, "main.deep") + lost(rep, "depth"),
			 printed(go_out, "deep"));
	assert_true(calls(rep, "main.deep") > 0);
	/* Each worker goroutine's closures (main.main.func1, the go and
	 * defer wrappers, as this Go names them) returned or were still open
	 * at os.Exit (a race with the deferred wg.Done): counted unmatched,
	 * as is main.main itself, open there, when launched (attached, it
	 * was entered before). */
	print_message("  %s: %llu closure calls open at exit, %llu unmatched\n",
		      launched ? "launched" : "attached",
		      (unsigned long long)closures_open(rep),
		      (unsigned long long)lost(rep, "unmatched"));
	assert_int_equal(lost(rep, "unmatched"),
			 closures_open(rep) + (launched ? 1 : 0));
	/* At most main.main, entered before -p attached, returns unseen
	 * (and it ends in os.Exit). */
	assert_true(ptest_u64(rep, "calls_in_flight_at_attach") <= 1);
}

/* Builds grow.go at path (with -ldflags ldflags, if not NULL) offline and
 * traces it both ways with a glob over its own functions. */
static void trace_go(const char *name, const char *ldflags)
{
	char path[128], flags[64];
	char *argv[] = {
		GO, "build", "-o", path, flags, LANGS "/grow.go", NULL
	};
	/* Every function of the program's own (the runtime's are many more
	 * than a trace holds stages). */
	struct prog p = { .path = path, .spec = "main.*" };

	PTEST_REQUIRE_TRACING();
	REQUIRE_TOOL(GO, "golang-go");
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	snprintf(flags, sizeof(flags), "-ldflags=%s", ldflags ? ldflags : "");
	ptest_go_env(scratch); /* offline: one file, no modules */
	build(argv);
	go_prog = &p;
	trace_both(&p, check_go);
}

/* Frames at their distance below g.stack.hi (from DWARF). */
static void test_go_goroutines(void **state)
{
	trace_go("grow", NULL);
}

/* Without DWARF (-w): frames paired by goroutine and depth only. */
static void test_go_no_dwarf(void **state)
{
	trace_go("grow-w", "-w");
}

/* Stripped as Go programs ship (-s -w: no .symtab, no DWARF): the stages
 * found in .gopclntab's function table, frames paired by depth. */
static void test_go_stripped(void **state)
{
	static const char *const funcs[] = { "main.work", "main.deep",
					     "main.guard", "main.main" };
	char path[128], *out = NULL;
	char *argv[] = { PTEST_PIPETRACE, "list", path, "main.*", NULL };
	size_t i;

	trace_go("grow-sw", "-s -w");
	/* list shows them too, with their sizes from the table. */
	snprintf(path, sizeof(path), "%s/grow-sw", scratch);
	ptest_run_ok(argv, TIMEOUT, &out, NULL);
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), " %s\n", funcs[i]);
		if (!strstr(out, want))
			fail_msg("pipetrace list: no %s in:\n%s", funcs[i],
				 out);
	}
	free(out);
}

/* -------------------------------------------------------------- longjmp */

static void check_longjmp(json_object *rep)
{
	/* 100 longjmps and 100 siglongjmps, each past jumper and deeper. */
	assert_int_equal(calls(rep, "work_a"), 200);
	assert_int_equal(calls(rep, "jumper"), 0);
	assert_int_equal(calls(rep, "deeper"), 0);
	assert_int_equal(lost(rep, "unwound"), 400);
	assert_int_equal(lost(rep, "unmatched"), 0);
	assert_int_equal(lost(rep, "depth"), 0);
}

static void test_longjmp(void **state)
{
	struct prog p = { .path = LONGJMP, .spec = "*" };

	PTEST_REQUIRE_TRACING();
	trace_both(&p, check_longjmp);
}

/* ----------------------------------------------------------- ucontext */

static void check_context(json_object *rep)
{
	/* Of 100 calls of visit (and hop), the 50 odd ones leave by
	 * swapcontext to a coroutine that calls co_stage and setcontext()s
	 * back to main: visit, hop and coroutine never return. */
	assert_int_equal(calls(rep, "visit"), 50);
	assert_int_equal(calls(rep, "hop"), 50);
	assert_int_equal(calls(rep, "co_stage"), 50);
	assert_int_equal(calls(rep, "coroutine"), 0);
	/* Every later call seen. */
	assert_int_equal(calls(rep, "after"), 50);
	assert_int_equal(lost(rep, "unwound"), 150);
	assert_int_equal(lost(rep, "unmatched"), 0);
	assert_int_equal(lost(rep, "depth"), 0);
}

static void test_swapcontext(void **state)
{
	struct prog p = { .path = CONTEXT, .spec = "*" };

	PTEST_REQUIRE_TRACING();
	trace_both(&p, check_context);
}

/* ------------------------------------------------------- deep recursion */

static void check_deep(json_object *rep)
{
	json_object *st = ptest_stage(rep, "recurse");

	/* 10 recursions 200 deep: the frames pipetrace stores are the
	 * outermost ones, timed; the deeper ones are counted lost. */
	assert_non_null(st);
	assert_int_equal(calls(rep, "recurse") + lost(rep, "depth"), 2000);
	assert_true(calls(rep, "recurse") >= 300);
	assert_true(ptest_u64(st, "wall_ns") > 0);
	/* The thread is still counted afterwards. */
	assert_int_equal(calls(rep, "after"), 50);
	assert_int_equal(lost(rep, "unwound"), 0);
	assert_int_equal(lost(rep, "unmatched"), 0);
}

static void test_deep_recursion(void **state)
{
	struct prog p = { .path = DEEP, .spec = "*" };

	PTEST_REQUIRE_TRACING();
	trace_both(&p, check_deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_exceptions),
		cmocka_unit_test(test_rust_panics),
		cmocka_unit_test(test_go_goroutines),
		cmocka_unit_test(test_go_no_dwarf),
		cmocka_unit_test(test_go_stripped),
		cmocka_unit_test(test_longjmp),
		cmocka_unit_test(test_swapcontext),
		cmocka_unit_test(test_deep_recursion),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, setup, teardown);
}
