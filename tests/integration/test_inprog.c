// SPDX-License-Identifier: MIT
/*
 * test_inprog.c - time still open at a report is charged up to it: a stage
 * sleeping when the trace ends (-p, ended by Ctrl-C, by -d, and read at
 * every -i tick) and a thread blocked on a condition variable throughout,
 * held to prog_inprog's own clocks and schedstat; a call open when its
 * process exits (prog_exitin) in its stage's wall time.
 */
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
#include <cmocka.h>
#include <json-c/json.h>

#include "lib/ptest.h"

#define TIMEOUT 120.0
#define PROG PT_BUILD_DIR "/tests/integration/prog_inprog"
#define EXITIN PT_BUILD_DIR "/tests/integration/prog_exitin"
/* The stage sleeps this long: longer than any trace below. */
#define NAP_MS "4000"
/* How long the stage is open before the trace is ended. */
#define OPEN_S 0.8
/*
 * Slack between pipetrace's split of the stage's non-sleeping time and the
 * thread's schedstat over the call: each is taken at its own instant (the
 * probe's clock, the scheduler's accounting at a switch), and pipetrace's
 * includes the entry probe's cost. Independent of load: the bound itself
 * grows with the run-queue time.
 */
#define SCHED_SLACK_NS 1000000ull

enum mode { BY_SIGINT, BY_DURATION, BY_INTERVAL };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The number in file path, waiting up to a minute for it to appear. */
static uint64_t wait_number(const char *path)
{
	unsigned long long v = 0;
	int tries;
	FILE *f;

	for (tries = 0; tries < 6000 && !v; tries++) {
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &v) != 1)
			v = 0;
		if (f)
			fclose(f);
		if (!v)
			usleep(10000);
	}
	if (!v)
		fail_msg("%s never appeared", path);
	return v;
}

static uint64_t part(json_object *o, const char *name)
{
	return ptest_u64(o, name);
}

static uint64_t parts_sum(json_object *o)
{
	static const char *const names[] = { "on_cpu", "io",	   "lock",
					     "sleep",  "runqueue", "other" };
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		s += part(o, names[i]);
	return s;
}

/* The worker, blocked on its condition variable from before the attach to
 * after the end: its whole time is idle lock time. */
static void check_worker(json_object *rep, uint64_t pid, uint64_t lo)
{
	json_object *a = json_object_object_get(rep, "threads"), *t, *idle;
	size_t i, seen = 0;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		t = json_object_array_get_idx(a, i);
		if (ptest_u64(t, "tid") == pid)
			continue;
		seen++;
		idle = json_object_object_get(t, "idle");
		print_message("  worker: lock %.3f s of %.3f s\n",
			      part(idle, "lock") / 1e9, parts_sum(idle) / 1e9);
		assert_int_equal(parts_sum(json_object_object_get(t, "busy")),
				 0);
		assert_int_equal(part(idle, "lock"), parts_sum(idle));
		assert_true(part(idle, "lock") >= lo);
	}
	assert_int_equal(seen, 1);
}

/* Interval tables (stderr): once the stage has slept through one, each
 * later one's split row says sleep. Returns how many said so. */
static int sleeping_intervals(const char *log)
{
	const char *p = log, *eol;
	int sleeping = 0, header = 0;
	char row[512];
	size_t n;

	while ((p = strstr(p, "\nstage_nap "))) {
		p++;
		eol = strchr(p, '\n');
		n = eol ? (size_t)(eol - p) : strlen(p);
		snprintf(row, sizeof(row), "%.*s", (int)n, p);
		if (++header % 2)
			continue; /* the latency table's row */
		if (strstr(row, " sleep "))
			sleeping++;
		else if (sleeping)
			fail_msg("an interval lost the sleep: %s", row);
	}
	return sleeping;
}

static void run(enum mode m)
{
	char out[64], path[96], jpath[64], *log = NULL, *o = NULL;
	char *extra[8] = { "-j", jpath, NULL };
	char *argv[] = { PROG, NAP_MS, out, NULL };
	struct ptest_proc prog, tracer;
	uint64_t t0, t_end_lo, t_exit, in, pre, self, sched;
	json_object *rep, *s, *split;
	pid_t pid;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(out, sizeof(out), ".books");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	if (m == BY_DURATION) {
		extra[2] = "-d";
		extra[3] = "1.5";
	} else if (m == BY_INTERVAL) {
		extra[2] = "-i";
		extra[3] = "0.3";
	}
	assert_int_equal(ptest_spawn(&prog, argv, true), 0);
	snprintf(path, sizeof(path), "%s.pid", out);
	pid = (pid_t)wait_number(path);
	t0 = mono_ns();
	ptest_attach(&tracer, pid, extra, &log);
	assert_int_equal(write(prog.in_fd, "go\n", 3), 3);
	snprintf(path, sizeof(path), "%s.in", out);
	in = wait_number(path);
	if (m == BY_DURATION) {
		/* -d counts from the end of the attach, after t0; an attach
		 * slower than -d (a loaded machine) leaves only in itself. */
		t_end_lo = t0 + 1500000000ull;
		if (t_end_lo < in)
			t_end_lo = in;
	} else {
		while (mono_ns() < in + (uint64_t)(OPEN_S * 1e9))
			usleep(10000);
		t_end_lo = mono_ns();
		kill(tracer.pid, SIGINT);
	}
	assert_int_equal(ptest_finish(&tracer, TIMEOUT, &o, &log), 0);
	t_exit = mono_ns();
	assert_int_equal(ptest_finish(&prog, TIMEOUT, NULL, NULL), 0);
	pre = ptest_book(out, "pre_ns");
	sched = ptest_book(out, "cpu_ns") + ptest_book(out, "rq_ns");
	rep = ptest_take_json(jpath);
	s = ptest_stage(rep, "stage_nap");
	assert_non_null(s);
	split = json_object_object_get(s, "breakdown_ns");
	self = ptest_u64(s, "self_ns");
	print_message(
		"  stage open %.3f..%.3f s (own clock); pipetrace: self %.3f s, wall %.3f s, sleep %.3f s; schedstat %.3f ms\n",
		(t_end_lo - in) / 1e9, (t_exit - pre) / 1e9, self / 1e9,
		ptest_u64(s, "wall_ns") / 1e9, part(split, "sleep") / 1e9,
		sched / 1e6);
	assert_int_equal(ptest_u64(s, "calls"), 0);
	/* Open from its entry (before in) to the trace's end (after
	 * t_end_lo, before t_exit). */
	assert_true(self >= t_end_lo - in && self <= t_exit - pre);
	assert_true(ptest_u64(s, "wall_ns") >= t_end_lo - in &&
		    ptest_u64(s, "wall_ns") <= t_exit - pre);
	/* All of it asleep but what the thread ran or waited to run. */
	assert_true(self - part(split, "sleep") <= sched + SCHED_SLACK_NS);
	assert_true(ptest_thread(rep, (uint64_t)pid) != NULL);
	check_worker(rep, (uint64_t)pid, t_end_lo - in);
	if (m == BY_INTERVAL)
		assert_true(sleeping_intervals(log) >= 1);
	json_object_put(rep);
	unlink(out);
	snprintf(path, sizeof(path), "%s.pid", out);
	unlink(path);
	snprintf(path, sizeof(path), "%s.in", out);
	unlink(path);
	free(log);
	free(o);
}

static void test_open_at_sigint(void **state)
{
	run(BY_SIGINT);
}

static void test_open_at_duration(void **state)
{
	run(BY_DURATION);
}

static void test_open_at_intervals(void **state)
{
	run(BY_INTERVAL);
}

/* Stage name's wall and own time in rep; both printed. */
static void stage_times(json_object *rep, const char *name, uint64_t *wall,
			uint64_t *self)
{
	json_object *s = ptest_stage(rep, name);

	if (!s)
		fail_msg("report has no stage %s", name);
	*wall = ptest_u64(s, "wall_ns");
	*self = ptest_u64(s, "self_ns");
	print_message("  %-10s calls %llu wall %.2f ms self %.2f ms\n", name,
		      (unsigned long long)ptest_u64(s, "calls"), *wall / 1e6,
		      *self / 1e6);
}

/*
 * A program that exits from inside a stage (as perl's `exit` leaves
 * Perl_runops_standard): the call that never returns is no call and is
 * counted lost (unmatched), but its time is in the stage's wall as in its
 * time split, up to the exit: at least what the program's own clock saw
 * inside it. Own time never exceeds wall time.
 */
static void test_open_at_process_exit(void **state)
{
	char out[64], jpath[64];
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath, "-s", "stage_*", "--",
			 EXITIN,	  "20", out,   NULL };
	uint64_t wall, self, open_ns = 0;
	json_object *rep, *lost;
	FILE *f;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(out, sizeof(out), ".exitin");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_run(argv, TIMEOUT, NULL, NULL), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	assert_int_equal(
		fscanf(f, "open_ns %llu", (unsigned long long *)&open_ns), 1);
	fclose(f);
	unlink(out);
	rep = ptest_take_json(jpath);
	assert_true(json_object_object_get_ex(rep, "lost", &lost));
	assert_int_equal(ptest_u64(lost, "unmatched"), 1);
	assert_int_equal(ptest_u64(ptest_stage(rep, "stage_step"), "calls"),
			 20);
	stage_times(rep, "stage_step", &wall, &self);
	assert_true(self <= wall);
	stage_times(rep, "stage_last", &wall, &self);
	print_message("  stage_last open %.2f ms by the program's clock\n",
		      open_ns / 1e6);
	assert_int_equal(ptest_u64(ptest_stage(rep, "stage_last"), "calls"), 0);
	assert_true(wall >= open_ns);
	assert_true(self <= wall);
	assert_true(self >= open_ns);
	json_object_put(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_at_sigint),
		cmocka_unit_test(test_open_at_duration),
		cmocka_unit_test(test_open_at_intervals),
		cmocka_unit_test(test_open_at_process_exit),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
