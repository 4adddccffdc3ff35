// SPDX-License-Identifier: MIT
/*
 * test_accounting.c - the accounting core against a program's own books
 * (prog_acct.c): pipetrace in a PID namespace, a target in another one,
 * realloc racing threads that reuse its old block's address,
 * --alloc-sample per stage, a full allocs map, and a sleep resumed by
 * restart_syscall after SIGSTOP/SIGCONT.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <bpf/libbpf.h>
#include "lib/ptest.h"
#include "collect/sysclass.h"

#define TIMEOUT 180.0
#define PROG PT_BUILD_DIR "/tests/integration/prog_acct"
#define UNSHARE "/usr/bin/unshare"

/* The program's own figure `key` from its OUT file. */
static uint64_t book(const char *out, const char *key)
{
	char k[128];
	unsigned long long v;
	FILE *f = fopen(out, "r");
	int found = 0;

	if (!f)
		fail_msg("no books at %s", out);
	while (!found && fscanf(f, "%127s %llu", k, &v) == 2)
		found = !strcmp(k, key);
	fclose(f);
	if (!found)
		fail_msg("no %s in the program's books", key);
	return v;
}

/* The program's books for stage name, key suffix suf. */
static uint64_t book_of(const char *out, const char *name, const char *suf)
{
	char key[128];

	snprintf(key, sizeof(key), "%s_%s", name, suf);
	return book(out, key);
}

static json_object *alloc_of(json_object *rep, const char *name)
{
	json_object *s = ptest_stage(rep, name), *a;

	if (!s || !json_object_object_get_ex(s, "alloc", &a))
		fail_msg("stage %s has no \"alloc\" object", name);
	return a;
}

/* Stage name's calls and heap figures equal the program's books. */
static void check_books(json_object *rep, const char *out, const char *name)
{
	json_object *a = alloc_of(rep, name);

	print_message(
		"  %-12s calls %llu/%llu allocs %llu/%llu bytes %llu/%llu frees %llu/%llu freed %llu/%llu live %lld untracked %llu\n",
		name,
		(unsigned long long)ptest_u64(ptest_stage(rep, name), "calls"),
		(unsigned long long)book_of(out, name, "calls"),
		(unsigned long long)ptest_u64(a, "calls"),
		(unsigned long long)book_of(out, name, "allocs"),
		(unsigned long long)ptest_u64(a, "bytes"),
		(unsigned long long)book_of(out, name, "alloc_bytes"),
		(unsigned long long)ptest_u64(a, "frees"),
		(unsigned long long)book_of(out, name, "frees"),
		(unsigned long long)ptest_u64(a, "freed_bytes"),
		(unsigned long long)book_of(out, name, "freed_bytes"),
		(long long)ptest_u64(a, "live_bytes"),
		(unsigned long long)ptest_u64(a, "frees_untracked"));
	assert_int_equal(ptest_u64(ptest_stage(rep, name), "calls"),
			 book_of(out, name, "calls"));
	assert_int_equal(ptest_u64(a, "calls"), book_of(out, name, "allocs"));
	assert_int_equal(ptest_u64(a, "bytes"),
			 book_of(out, name, "alloc_bytes"));
	assert_int_equal(ptest_u64(a, "frees"), book_of(out, name, "frees"));
	assert_int_equal(ptest_u64(a, "freed_bytes"),
			 book_of(out, name, "freed_bytes"));
	assert_int_equal(ptest_u64(a, "frees_untracked"), 0);
	assert_int_equal(ptest_u64(a, "live_bytes"), 0);
}

/* Runs pre... -- prog_acct mode n OUT with pipetrace's --json; returns the
 * report (out: the books' path). */
static json_object *trace(char **pre, const char *mode, const char *n,
			  char *out, size_t outlen)
{
	char jpath[64], *argv[32], *o = NULL, *e = NULL;
	json_object *rep;
	int i = 0, k;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_tmp_path(out, outlen, ".books");
	for (k = 0; pre[k]; k++)
		argv[i++] = pre[k];
	argv[i++] = "--json";
	argv[i++] = jpath;
	argv[i++] = "--";
	argv[i++] = PROG;
	argv[i++] = (char *)mode;
	argv[i++] = (char *)n;
	argv[i++] = out;
	argv[i] = NULL;
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	rep = ptest_take_json(jpath);
	free(o);
	free(e);
	return rep;
}

static uint64_t lost(json_object *rep, const char *why)
{
	return ptest_u64(json_object_object_get(rep, "lost"), why);
}

/* Skips unless `unshare --pid --fork --mount-proc` works here. */
static void require_unshare(void)
{
	char *argv[] = { UNSHARE,	 "--pid",     "--fork",
			 "--mount-proc", "/bin/true", NULL };

	if (access(UNSHARE, X_OK) || ptest_run(argv, 30, NULL, NULL)) {
		print_message(
			"[  SKIP    ] %s --pid --fork --mount-proc fails here\n",
			UNSHARE);
		skip();
	}
}

/* ------------------------------------------------------------------ tests */

/* pipetrace itself in a new PID namespace: it counts every call, its
 * calibration works, and the only thread it reports is the program's. */
static void test_pidns_tracer(void **state)
{
	char *pre[] = { UNSHARE,	 "--pid",   "--fork", "--mount-proc",
			PTEST_PIPETRACE, "--alloc", NULL };
	char out[64];
	json_object *rep, *threads, *th;

	PTEST_REQUIRE_TRACING();
	require_unshare();
	rep = trace(pre, "count", "2000", out, sizeof(out));
	assert_int_equal(ptest_u64(rep, "lost_events"), 0);
	check_books(rep, out, "stage_count");
	assert_int_equal(book_of(out, "stage_count", "calls"), 2000);
	assert_non_null(json_object_object_get(rep, "calibration_ns"));
	assert_true(json_object_object_get_ex(rep, "threads", &threads));
	assert_int_equal(json_object_array_length(threads), 1);
	th = json_object_array_get_idx(threads, 0);
	assert_string_equal(
		json_object_get_string(json_object_object_get(th, "comm")),
		"prog_acct");
	json_object_put(rep);
	unlink(out);
}

/* Whether process pid runs PROG (it has exec'd). */
static bool runs_prog(pid_t pid)
{
	char path[64], exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	return !strcmp(exe, PROG);
}

/* The child of process pid (the namespace's init under unshare), once it
 * runs PROG; 0 if it does not. */
static pid_t child_of(pid_t pid)
{
	char path[64];
	int c = 0, tries;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	for (tries = 0; tries < 3000; tries++) {
		f = fopen(path, "r");
		if (f && fscanf(f, "%d", &c) != 1)
			c = 0;
		if (f)
			fclose(f);
		if (c > 0 && runs_prog(c))
			return c;
		usleep(10000);
	}
	return 0;
}

/* The target in its own PID namespace, pipetrace outside it (-p with the
 * target's pid as pipetrace sees it). The target waits on stdin until
 * pipetrace has attached. */
static void test_pidns_target(void **state)
{
	char out[64], jpath[64], *log = NULL, *o = NULL;
	char *argv[] = { UNSHARE, "--pid", "--fork", PROG,
			 "gated", "3000",  out,	     NULL };
	char *extra[] = { "--alloc", "--json", jpath, NULL };
	struct ptest_proc target, tracer;
	json_object *rep;
	pid_t pid;

	PTEST_REQUIRE_TRACING();
	require_unshare();
	ptest_tmp_path(out, sizeof(out), ".books");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_spawn(&target, argv, true), 0);
	pid = child_of(target.pid);
	assert_true(pid > 0);
	ptest_attach(&tracer, pid, extra, &log);
	assert_int_equal(write(target.in_fd, "go\n", 3), 3);
	close(target.in_fd);
	target.in_fd = -1;
	assert_int_equal(ptest_finish(&target, TIMEOUT, &o, NULL), 0);
	assert_int_equal(ptest_finish(&tracer, TIMEOUT, NULL, &log), 0);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	assert_int_equal(ptest_u64(rep, "lost_events"), 0);
	check_books(rep, out, "stage_count");
	assert_int_equal(book_of(out, "stage_count", "calls"), 3000);
	json_object_put(rep);
	unlink(out);
	unlink(jpath);
	free(log);
	free(o);
}

/* realloc's old block goes back to the allocator inside realloc; other
 * threads (one arena, no tcache) are given its address before realloc's
 * return probe runs. No false leaks, no untracked frees. */
static void test_realloc_race(void **state)
{
	char *pre[] = { PTEST_PIPETRACE, "--alloc", NULL };
	char out[64];
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
	rep = trace(pre, "race", "30000", out, sizeof(out));
	unsetenv("GLIBC_TUNABLES");
	assert_int_equal(ptest_u64(rep, "lost_events"), 0);
	check_books(rep, out, "stage_r");
	check_books(rep, out, "stage_m");
	json_object_put(rep);
	unlink(out);
}

/* A realloc() that fails leaves its old block live and tracked: freed
 * later, tracked, and nothing left over. */
static void test_realloc_fails(void **state)
{
	char *pre[] = { PTEST_PIPETRACE, "--alloc", NULL };
	char out[64];
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	rep = trace(pre, "fail", "200", out, sizeof(out));
	assert_int_equal(ptest_u64(rep, "lost_events"), 0);
	check_books(rep, out, "stage_fail");
	json_object_put(rep);
	unlink(out);
}

/* --alloc-sample 2 with two stages that alternate, one malloc each: each
 * stage's scaled figures are its own exactly. */
static void test_sample_per_stage(void **state)
{
	char *pre[] = { PTEST_PIPETRACE, "--alloc-sample", "2", NULL };
	static const char *const names[] = { "stage_a", "stage_b" };
	char out[64];
	json_object *rep, *a;
	size_t i;

	PTEST_REQUIRE_TRACING();
	rep = trace(pre, "alternate", "2000", out, sizeof(out));
	for (i = 0; i < 2; i++) {
		a = alloc_of(rep, names[i]);
		print_message(
			"  %s: allocs %llu/%llu bytes %llu/%llu\n", names[i],
			(unsigned long long)ptest_u64(a, "calls"),
			(unsigned long long)book_of(out, names[i], "allocs"),
			(unsigned long long)ptest_u64(a, "bytes"),
			(unsigned long long)book_of(out, names[i],
						    "alloc_bytes"));
		assert_int_equal(ptest_u64(a, "calls"),
				 book_of(out, names[i], "allocs"));
		assert_int_equal(ptest_u64(a, "bytes"),
				 book_of(out, names[i], "alloc_bytes"));
		assert_int_equal(ptest_u64(a, "frees"),
				 book_of(out, names[i], "frees"));
		assert_int_equal(ptest_u64(a, "live_bytes"), 0);
	}
	json_object_put(rep);
	unlink(out);
}

/* --alloc-max 100 while the program holds 1000 blocks: the stage's totals
 * stay its own; only blocks beyond the map go untracked, counted. */
static void test_allocs_full(void **state)
{
	char *pre[] = { PTEST_PIPETRACE, "--alloc", "--alloc-max", "100",
			NULL };
	char out[64];
	json_object *rep, *a;
	uint64_t full;

	PTEST_REQUIRE_TRACING();
	rep = trace(pre, "hold", "1000", out, sizeof(out));
	a = alloc_of(rep, "stage_hold");
	full = lost(rep, "allocs_full");
	print_message("  allocs %llu/%llu bytes %llu/%llu allocs_full %llu\n",
		      (unsigned long long)ptest_u64(a, "calls"),
		      (unsigned long long)book_of(out, "stage_hold", "allocs"),
		      (unsigned long long)ptest_u64(a, "bytes"),
		      (unsigned long long)book_of(out, "stage_hold",
						  "alloc_bytes"),
		      (unsigned long long)full);
	assert_int_equal(book_of(out, "stage_hold", "allocs"), 1000);
	assert_int_equal(ptest_u64(a, "calls"),
			 book_of(out, "stage_hold", "allocs"));
	assert_int_equal(ptest_u64(a, "bytes"),
			 book_of(out, "stage_hold", "alloc_bytes"));
	/* At least 900 did not fit (blocks from before the stage take map
	 * slots too), and every free() was seen, tracked or not. */
	assert_true(full >= 900 && full <= 1000);
	assert_int_equal(ptest_u64(a, "frees") +
				 ptest_u64(a, "frees_untracked"),
			 book_of(out, "stage_hold", "frees"));
	assert_int_equal(ptest_u64(a, "frees_untracked"), full);
	assert_int_equal(ptest_u64(a, "live_bytes"), 0);
	assert_true(ptest_u64(rep, "lost_events") >= full);
	json_object_put(rep);
	unlink(out);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads pid from path, once the program has written it. */
static pid_t read_pid(const char *path)
{
	int pid = 0, tries;
	FILE *f;

	for (tries = 0; tries < 6000 && pid <= 0; tries++) {
		f = fopen(path, "r");
		if (f && fscanf(f, "%d", &pid) != 1)
			pid = 0;
		if (f)
			fclose(f);
		if (pid <= 0)
			usleep(10000);
	}
	return pid;
}

/* Whether space-separated field `field` (from 1) of the first line of
 * /proc/PID/FILE is want: syscall's 1 is the syscall in progress, stat's 3
 * the state. */
static bool proc_is(pid_t pid, const char *file, int field, const char *want)
{
	char path[64], buf[512], *tok, *save = NULL;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	tok = fgets(buf, sizeof(buf), f);
	fclose(f);
	for (i = 1; tok && (tok = strtok_r(i == 1 ? buf : NULL, " ", &save));
	     i++)
		if (i == field)
			return !strcmp(tok, want);
	return false;
}

/* Waits (bounded) until pid shows want. */
static bool wait_proc(pid_t pid, const char *file, int field, const char *want)
{
	int tries;

	for (tries = 0; tries < 6000; tries++) {
		if (proc_is(pid, file, field, want))
			return true;
		usleep(1000);
	}
	return false;
}

/* Stops pid (in its sleep) and continues it; returns the longest it can
 * have been stopped: from before SIGSTOP to after SIGCONT. */
static uint64_t stop_and_continue(pid_t pid)
{
	uint64_t t0;

	/* clock_nanosleep(2), as glibc's nanosleep() calls it. */
	assert_true(wait_proc(pid, "syscall", 1, "230"));
	t0 = mono_ns();
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_true(wait_proc(pid, "stat", 3, "T"));
	assert_int_equal(kill(pid, SIGCONT), 0);
	return mono_ns() - t0;
}

static uint64_t part(json_object *s, const char *name)
{
	return ptest_u64(json_object_object_get(s, "breakdown_ns"), name);
}

/* -v's line on restart_syscall's functions says how many were found, and
 * how: as many as /proc/kallsyms names (read here), the way asked for
 * ("kallsyms" forced, else the kernel's lookup where it has one). */
static void check_restarts_known(const char *log, const char *how)
{
	uint64_t fn[PT_RESTART_FNS];
	int32_t nr[PT_RESTART_FNS];
	char err[256], want[128];
	int n;

	n = pt_sysclass__restarts("/proc/kallsyms", fn, nr, err, sizeof(err));
	assert_true(n > 0);
	snprintf(want, sizeof(want),
		 "restart_syscall: %d restart functions known (%s)", n, how);
	print_message("  wanted in -v: %s\n", want);
	assert_non_null(strstr(log, want));
}

/* A 1 s nanosleep stopped and continued: the kernel resumes it through
 * restart_syscall, which is still the program's sleep. Only the stop itself
 * (at most the test's stop window) is other. restarts: how pipetrace finds
 * the restart functions (PIPETRACE_RESTARTS), NULL for its own choice. */
static void restart_sleep(const char *restarts)
{
	char out[64], pidpath[80], jpath[64], *log = NULL, *o = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-v", "--json", jpath, "--", PROG,
			 "sleep",	  "0",	out,	  NULL };
	struct ptest_proc tracer;
	uint64_t stop_ns, slept, rest;
	json_object *rep, *s;
	pid_t pid;

	if (restarts)
		setenv("PIPETRACE_RESTARTS", restarts, 1);
	else
		unsetenv("PIPETRACE_RESTARTS");
	ptest_tmp_path(out, sizeof(out), ".books");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	snprintf(pidpath, sizeof(pidpath), "%s.pid", out);
	assert_int_equal(ptest_spawn(&tracer, argv, false), 0);
	unsetenv("PIPETRACE_RESTARTS");
	/* -v writes more than a pipe holds before the program starts. */
	assert_true(ptest_wait_stderr(&tracer, "start: attached at", TIMEOUT,
				      &log));
	pid = read_pid(pidpath);
	assert_true(pid > 0);
	stop_ns = stop_and_continue(pid);
	assert_int_equal(ptest_finish(&tracer, TIMEOUT, &o, &log), 0);
	check_restarts_known(
		log, restarts ? "kallsyms" :
		     libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL,
					     BPF_FUNC_kallsyms_lookup_name,
					     NULL) > 0 ?
				"the kernel's lookup" :
				"kallsyms");
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	s = ptest_stage(rep, "stage_sleep");
	assert_non_null(s);
	slept = book(out, "sleep_ns");
	rest = part(s, "on_cpu") + part(s, "io") + part(s, "lock") +
	       part(s, "runqueue");
	print_message(
		"  program slept %.3f s, stopped at most %.3f s; pipetrace: sleep %.3f s, other %.3f s, rest %.3f s, verdict %s\n",
		slept / 1e9, stop_ns / 1e9, part(s, "sleep") / 1e9,
		part(s, "other") / 1e9, rest / 1e9,
		json_object_get_string(json_object_object_get(s, "verdict")));
	assert_int_equal(ptest_u64(s, "calls"), 1);
	/* The stop, seen from here, brackets the task's stopped state but for
	 * the moments its own signal handling takes on either side: 5 ms of
	 * the 1 s (before restart_syscall was classed, other read ~1 s). */
	assert_true(part(s, "other") <= stop_ns + 5000000);
	assert_string_equal(
		json_object_get_string(json_object_object_get(s, "verdict")),
		"sleep");
	json_object_put(rep);
	unlink(out);
	unlink(pidpath);
	unlink(jpath);
	free(log);
	free(o);
}

/* Found by the kernel's lookup where it has one (ksyms.bpf.c). */
static void test_restart_sleep(void **state)
{
	PTEST_REQUIRE_TRACING();
	restart_sleep(NULL);
}

/* Found in /proc/kallsyms, as on kernels without the lookup. */
static void test_restart_sleep_kallsyms(void **state)
{
	PTEST_REQUIRE_TRACING();
	restart_sleep("kallsyms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidns_tracer),
		cmocka_unit_test(test_pidns_target),
		cmocka_unit_test(test_realloc_race),
		cmocka_unit_test(test_realloc_fails),
		cmocka_unit_test(test_sample_per_stage),
		cmocka_unit_test(test_allocs_full),
		cmocka_unit_test(test_restart_sleep),
		cmocka_unit_test(test_restart_sleep_kallsyms),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
