// SPDX-License-Identifier: MIT
/*
 * test_honest.c - numbers a user can trust (issues 12 and 16), on real
 * probes, against prog_honest's own counts and clocks: items only where a
 * return value is declared a count, the bottleneck by own (self) times,
 * interval reports with the interval's own figures, and every thread of
 * the target, sleeping ones included.
 */
#include <inttypes.h>
#include <math.h>
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

#include "lib/ptest.h"

#define HONEST PT_BUILD_DIR "/tests/integration/prog_honest"
#define TIMEOUT 120.0

/* ------------------------------------------------------------------ helpers */

static json_object *stage_of(json_object *rep, const char *name)
{
	json_object *s = ptest_stage(rep, name);

	if (!s)
		fail_msg("no stage %s in the report", name);
	return s;
}

static bool is_null(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

static double dbl(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no %s", key);
	return json_object_get_double(v);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no %s", key);
	return json_object_get_string(v);
}

/* Runs pipetrace with args (NULL-terminated, at most 12) then "--" and the
 * program's (at most 4), the report as JSON; returns the report, *out the
 * program's standard output and *err pipetrace's standard error. */
static json_object *trace(char **args, char **prog, char **out, char **err)
{
	char jpath[64], *argv[24];
	json_object *rep;
	int n = 0, i;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	argv[n++] = PTEST_PIPETRACE;
	argv[n++] = "--json";
	argv[n++] = jpath;
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n++] = "--";
	argv[n++] = HONEST;
	for (i = 0; prog[i]; i++)
		argv[n++] = prog[i];
	argv[n] = NULL;
	ptest_run_ok(argv, TIMEOUT, out, err);
	rep = ptest_take_json(jpath);
	return rep;
}

static uint64_t idle_part(json_object *th, const char *part)
{
	return ptest_u64(json_object_object_get(th, "idle"), part);
}

static bool is_true(json_object *o, const char *key)
{
	return json_object_get_boolean(json_object_object_get(o, key));
}

/* |got - want| <= rel * want. */
static void near(const char *what, double got, double want, double rel)
{
	print_message("  %-22s %14.0f truth %14.0f (%+.2f%%)\n", what, got,
		      want, want ? 100.0 * (got - want) / want : 0.0);
	if (fabs(got - want) > rel * want)
		fail_msg("%s: %.0f, truth %.0f", what, got, want);
}

/* -------------------------------------------------------------------- items */

/*
 * count_int() (annotated, int, PIPETRACE_ENTER(), no --sites) returns -1
 * one call in four: its items and errors are the program's own counts, not
 * a long read of an int. not_count() is not annotated: no items at all.
 */
static void test_items_only_when_declared(void **state)
{
	char *args[] = { "-s", "count_int", "-s", "not_count", NULL };
	char *prog[] = { "items", "1000", NULL };
	char *out = NULL, *err = NULL;
	long items, errors;
	json_object *rep, *ci, *nc;

	PTEST_REQUIRE_TRACING();
	rep = trace(args, prog, &out, &err);
	assert_int_equal(sscanf(out, "items %ld errors %ld", &items, &errors),
			 2);
	assert_int_equal(items, 2250);
	ci = stage_of(rep, "count_int");
	nc = stage_of(rep, "not_count");
	assert_int_equal(ptest_u64(ci, "calls"), 1000);
	assert_int_equal(ptest_u64(ci, "items"), (uint64_t)items);
	assert_int_equal(ptest_u64(ci, "errors"), (uint64_t)errors);
	assert_string_equal(str(ci, "items_mode"), "s32");
	assert_int_equal(ptest_u64(nc, "calls"), 1000);
	assert_true(is_null(nc, "items"));
	assert_true(is_null(nc, "items_per_s"));
	assert_string_equal(str(nc, "items_mode"), "none");
	assert_int_equal(ptest_u64(nc, "errors"), 0);
	/* The table says "-" for them. */
	assert_non_null(strstr(err, "not_count "));
	json_object_put(rep);
	free(out);
	free(err);
}

/* An explicit ",items=" is kept, with PIPETRACE_ENTER() and with --sites;
 * u32 reads -1 as 4294967295. */
static void test_items_explicit_kept(void **state)
{
	char *args[] = { "-s", "count_int,items=u32", NULL };
	char *sites[] = { "--sites", "-s", "count_int,items=s32", NULL };
	char *prog[] = { "items", "1000", NULL };
	char *out = NULL, *err = NULL;
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	rep = trace(args, prog, &out, &err);
	assert_string_equal(str(stage_of(rep, "count_int"), "items_mode"),
			    "u32");
	assert_int_equal(ptest_u64(stage_of(rep, "count_int"), "items"),
			 750ull * 3 + 250ull * 4294967295ull);
	assert_int_equal(ptest_u64(stage_of(rep, "count_int"), "errors"), 0);
	json_object_put(rep);
	free(out);
	free(err);
	out = err = NULL;
	rep = trace(sites, prog, &out, &err);
	assert_string_equal(str(stage_of(rep, "count_int"), "items_mode"),
			    "s32");
	assert_int_equal(ptest_u64(stage_of(rep, "count_int"), "calls"), 1000);
	json_object_put(rep);
	free(out);
	free(err);
}

/* ---------------------------------------------------------------- self time */

struct split_truth {
	long outer, inner, flat; /* own times, ns */
	long tid1, tid2, busy1, busy2, elapsed;
	long flat_cpu, busy1_cpu, busy2_cpu; /* on the threads' CPU clocks */
};

static void read_split_truth(const char *out, struct split_truth *t)
{
	const char *p;

	memset(t, 0, sizeof(*t));
	p = strstr(out, "self outer ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "self outer %ld %ld", &t->tid1, &t->outer),
			 2);
	p = strstr(out, "self inner ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "self inner %*d %ld", &t->inner), 1);
	p = strstr(out, "self flat ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "self flat %ld %ld", &t->tid2, &t->flat), 2);
	p = strstr(out, "busy ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "busy %*d %ld\nbusy %*d %ld\nelapsed %ld",
				&t->busy1, &t->busy2, &t->elapsed),
			 3);
	p = strstr(out, "oncpu flat ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "oncpu flat %ld\noncpu busy %ld %ld",
				&t->flat_cpu, &t->busy1_cpu, &t->busy2_cpu),
			 3);
}

/* The Amdahl saving of halving the stage with own time x on thread b of
 * two threads busy b and o, in % of elapsed. */
static double truth_saves(double b, double o, double x, double elapsed)
{
	double before = fmax(b, o), after = fmax(b - x / 2, o);

	return 100.0 * (before - after) / elapsed;
}

/*
 * Issue 16 #5: thread 1 runs outer -> inner (~60% busy), thread 2 flat
 * (~89%). By own times the bottleneck is flat, no percentage passes 100%,
 * and each stage's own time and 2x saving are the program's own clocks'.
 */
static void test_self_time_bottleneck(void **state)
{
	char *args[] = { NULL };
	char *prog[] = { "split", "1500", NULL };
	char *out = NULL, *err = NULL, *p;
	struct split_truth t;
	json_object *rep, *b, *st;
	double pct, dur, saves_flat;
	const char *names[] = { "outer", "inner", "flat" };
	size_t i;

	PTEST_REQUIRE_TRACING();
	rep = trace(args, prog, &out, &err);
	read_split_truth(out, &t);
	dur = (double)ptest_u64(rep, "duration_ns");
	/* outer's own time keeps what is left of its nested calls' probe
	 * cost after the calibrated figures: +5.19% of it once with two CPU
	 * hogs running (the full suite with two hogs, 2026-12-01). */
	near("self outer", (double)ptest_u64(stage_of(rep, "outer"), "self_ns"),
	     (double)t.outer, 0.08);
	/* inner, nested, the same: -5.40% once with two hogs beside four
	 * other jobs (load 9, 2026-12-01). */
	near("self inner", (double)ptest_u64(stage_of(rep, "inner"), "self_ns"),
	     (double)t.inner, 0.08);
	near("self flat", (double)ptest_u64(stage_of(rep, "flat"), "self_ns"),
	     (double)t.flat, 0.05);
	/* outer's wall holds inner's: total is not self. */
	assert_true(ptest_u64(stage_of(rep, "outer"), "wall_ns") >
		    ptest_u64(stage_of(rep, "outer"), "self_ns") +
			    ptest_u64(stage_of(rep, "inner"), "self_ns") * 9 /
				    10);
	b = json_object_object_get(rep, "bottleneck");
	assert_non_null(b);
	assert_string_equal(str(b, "stage"), "flat");
	p = strstr(str(b, "reason"), "is at work in stages ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "is at work in stages %lf%%", &pct), 1);
	print_message("  bottleneck: flat: %s\n", str(b, "reason"));
	assert_true(pct <= 100.0);
	for (i = 0; i < 3; i++) {
		st = stage_of(rep, names[i]);
		assert_true(dbl(st, "speedup_2x_saves_pct") >= 0.0);
		assert_true(dbl(st, "speedup_2x_saves_pct") <= 100.0);
	}
	/* The stages spin: their work is their time on CPU, what is left of
	 * their own time when their waits for a CPU are out (two CPU hogs
	 * running beside make those large). */
	saves_flat = truth_saves((double)t.busy2_cpu, (double)t.busy1_cpu,
				 (double)t.flat_cpu, dur);
	print_message("  flat saves %.2f%%, truth %.2f%%\n",
		      dbl(stage_of(rep, "flat"), "speedup_2x_saves_pct"),
		      saves_flat);
	assert_true(fabs(dbl(stage_of(rep, "flat"), "speedup_2x_saves_pct") -
			 saves_flat) <= 3.0);
	/* Halving outer or inner leaves thread 2 the longer: nothing saved
	 * (by the program's clocks, within the same 3 points). */
	assert_true(truth_saves((double)t.busy1_cpu, (double)t.busy2_cpu,
				(double)t.outer, dur) < 0.5);
	assert_true(dbl(stage_of(rep, "outer"), "speedup_2x_saves_pct") <= 3.0);
	assert_true(dbl(stage_of(rep, "inner"), "speedup_2x_saves_pct") <= 3.0);
	json_object_put(rep);
	free(out);
	free(err);
}

/* ---------------------------------------------------------------- intervals */

/* The CALLS and CALLS/s columns of stage's row in the table at t. */
static bool row_calls(const char *t, const char *stage, uint64_t *calls,
		      double *per_s)
{
	char name[64], cols[12][32];
	const char *p = t;
	size_t len = strlen(stage);

	while ((p = strstr(p, stage))) {
		if ((p == t || p[-1] == '\n') && p[len] == ' ')
			break;
		p += len;
	}
	if (!p ||
	    sscanf(p,
		   "%63s %" SCNu64
		   " %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %lf",
		   name, calls, cols[0], cols[1], cols[2], cols[3], cols[4],
		   cols[5], cols[6], cols[7], cols[8], cols[9], per_s) != 13)
		return false;
	return true;
}

/* Seconds in "812ns", "1.2us", "3.45ms", "2.01s" (pt_fmt_ns()). */
static double secs_of(const char *s)
{
	char unit[4] = "";
	double v;

	if (sscanf(s, "%lf%3[a-z]", &v, unit) != 2)
		fail_msg("not a time: %.16s", s);
	if (!strcmp(unit, "ns"))
		return v / 1e9;
	if (!strcmp(unit, "us"))
		return v / 1e6;
	if (!strcmp(unit, "ms"))
		return v / 1e3;
	return v;
}

/* The length of the interval whose table heading is at p, seconds. */
static double interval_len(const char *p)
{
	const char *a = strstr(p, ": interval "), *b;

	assert_non_null(a);
	a += strlen(": interval ");
	b = strstr(a, " to ");
	assert_non_null(b);
	return secs_of(b + 4) - secs_of(a);
}

/*
 * -i: each interval's table has the interval's own calls (summing to the
 * program's count) and, once the program idles, 0 calls and 0.0 calls/s,
 * not an average since attach; the whole run's report comes last.
 */
static void test_interval_own_figures(void **state)
{
	char *args[] = { "-i", "0.5", NULL };
	char *prog[] = { "idle", "1500", "2000", NULL };
	char *out = NULL, *err = NULL, *p, *next;
	uint64_t calls, sum = 0, n = 0, idle = 0;
	long truth;
	double per_s, len;
	json_object *rep, *th;

	PTEST_REQUIRE_TRACING();
	rep = trace(args, prog, &out, &err);
	p = strstr(out, "calls ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "calls %ld", &truth), 1);
	for (p = strstr(err, "\n--- "); p; p = next) {
		next = strstr(p + 1, "\n--- ");
		if (next)
			*next = '\0';
		assert_non_null(strstr(p, ": interval "));
		assert_true(row_calls(strchr(p + 1, '\n') + 1, "work", &calls,
				      &per_s));
		len = interval_len(p);
		print_message("  interval %" PRIu64 ": %" PRIu64
			      " calls in %.2f s, %.1f calls/s\n",
			      n, calls, len, per_s);
		/* Its own rate: its calls over its length (the heading's
		 * times are rounded to 10 ms; rates to 0.1). */
		assert_true(len > 0.4);
		assert_true(fabs(per_s - (double)calls / len) <=
			    0.03 * (double)calls / len + 0.1);
		sum += calls;
		n++;
		if (calls == 0) {
			assert_true(per_s == 0.0);
			idle++;
		} else {
			assert_true(per_s > 0.0);
		}
		if (next)
			*next = '\n';
	}
	print_message("  %" PRIu64 " intervals, %" PRIu64
		      " calls in them, truth %ld\n",
		      n, sum, truth);
	/* 1.5 s of work then 2 s idle, ticks every 0.5 s. */
	assert_true(n >= 5);
	assert_true(idle >= 2);
	assert_int_equal(sum, (uint64_t)truth);
	assert_int_equal(ptest_u64(stage_of(rep, "work"), "calls"),
			 (uint64_t)truth);
	/* The sleeper started after attach and slept to the end: seen (it
	 * ran to print), its sleep counted up to the end, not to its last
	 * switch (where the BPF side last charged it). */
	p = strstr(out, "sleeper ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "sleeper %ld", &truth), 1);
	th = ptest_thread(rep, (uint64_t)truth);
	print_message("  sleeper: idle %" PRIu64 " ns, sleep %" PRIu64
		      " ns, trace %" PRIu64 " ns\n",
		      ptest_u64(th, "idle_ns"), idle_part(th, "sleep"),
		      ptest_u64(rep, "duration_ns"));
	assert_true(is_true(th, "seen_running"));
	assert_true(idle_part(th, "sleep") >=
		    ptest_u64(rep, "duration_ns") * 9 / 10);
	json_object_put(rep);
	free(out);
	free(err);
}

/* ------------------------------------------------------------------ threads */

/*
 * -p on a program whose second thread sleeps (nanosleep) from before attach
 * to after the end: the thread is reported, never seen run, idle the whole
 * trace, asleep, and blocked in the kernel's sleep; the table names it.
 */
static void test_sleeping_thread_reported(void **state)
{
	char jpath[64], *log = NULL, *out = NULL, *err = NULL, *p;
	/* The attach and the 1 s traced must end inside the work (the
	 * attach took over 7 s under make test at load 25-37): long, and
	 * the program killed once traced. */
	char *prog[] = { HONEST, "idle", "120000", "500", NULL };
	char *extra[] = { "--json", jpath, "-d", "1", NULL };
	struct ptest_proc target, tracer;
	json_object *rep, *th, *main_th;
	uint64_t dur;
	long tid;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_spawn(&target, prog, false), 0);
	assert_true(ptest_wait_stderr(&target, "sleeper", 10.0, &log));
	p = strstr(log, "sleeper ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "sleeper %ld", &tid), 1);
	usleep(100000); /* into its sleep */
	free(log);
	log = NULL;
	ptest_attach(&tracer, target.pid, extra, &log);
	assert_int_equal(ptest_finish(&tracer, TIMEOUT, &out, &log), 0);
	free(out);
	out = NULL;
	assert_int_equal(kill(target.pid, SIGKILL), 0);
	assert_int_equal(ptest_finish(&target, TIMEOUT, &out, &err),
			 128 + SIGKILL);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	dur = ptest_u64(rep, "duration_ns");
	th = ptest_thread(rep, (uint64_t)tid);
	main_th = ptest_thread(rep, (uint64_t)target.pid);
	print_message("  sleeper %ld: seen %d, idle %" PRIu64
		      " ns (sleep %" PRIu64 "), blocked on %s; trace %" PRIu64
		      " ns\n",
		      tid, is_true(th, "seen_running"),
		      ptest_u64(th, "idle_ns"), idle_part(th, "sleep"),
		      str(th, "blocked_on"), dur);
	assert_false(is_true(th, "seen_running"));
	assert_int_equal(ptest_u64(th, "busy_ns"), 0);
	assert_int_equal(ptest_u64(th, "idle_ns"), dur);
	assert_int_equal(idle_part(th, "sleep"), dur);
	assert_true(strlen(str(th, "blocked_on")) > 0);
	assert_true(is_true(main_th, "seen_running"));
	assert_true(ptest_u64(main_th, "busy_ns") > 0);
	assert_non_null(strstr(log, "not seen run: blocked in"));
	json_object_put(rep);
	unlink(jpath);
	free(log);
	free(out);
	free(err);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The NS of the program's "KEY TID NS" line for tid ("exit NS": tid 0). */
static uint64_t printed_ns(const char *out, const char *key, long tid)
{
	char needle[48];
	const char *p;
	unsigned long long ns;

	if (tid)
		snprintf(needle, sizeof(needle), "%s %ld ", key, tid);
	else
		snprintf(needle, sizeof(needle), "%s ", key);
	p = strstr(out, needle);
	if (!p || sscanf(p + strlen(needle), "%llu", &ns) != 1)
		fail_msg("no '%s' line in: %s", needle, out);
	return ns;
}

/* The tid the program named on stderr as "NAME TID". */
static long named_tid(const char *log, const char *name)
{
	char needle[32];
	const char *p;
	long tid;

	snprintf(needle, sizeof(needle), "%s ", name);
	p = strstr(log, needle);
	if (!p || sscanf(p + strlen(needle), "%ld", &tid) != 1)
		fail_msg("no '%s' line in: %s", needle, log);
	return tid;
}

/*
 * Thread tid, blocked in `part` when pipetrace attached between lo and hi
 * (CLOCK_MONOTONIC) and woken to print `woke` (its own clock): its wait
 * from the attach on is in the report, in that part (the rest in the run
 * queue), with none of its wait before the attach.
 */
static void check_wait(json_object *rep, long tid, const char *part,
		       uint64_t woke, uint64_t lo, uint64_t hi)
{
	json_object *th = ptest_thread(rep, (uint64_t)tid);
	uint64_t got, in_part, slack = 2000000;

	assert_non_null(th);
	if (woke <= hi)
		fail_msg("thread %ld woke before the attach ended (%.1f ms "
			 "late): no wait to check",
			 tid, (hi - woke) / 1e6);
	in_part = idle_part(th, part);
	got = in_part + idle_part(th, "runqueue");
	print_message("  %-6s %ld: %s %" PRIu64 " + runqueue %" PRIu64
		      " ns; truth %" PRIu64 " .. %" PRIu64 " ns\n",
		      part, tid, part, in_part, got - in_part, woke - hi,
		      woke - lo);
	assert_true(is_true(th, "seen_running"));
	assert_true(got + slack >= woke - hi);
	assert_true(got <= woke - lo + slack);
	/* Its reason, read at the attach: nearly all of it. */
	assert_true(in_part >= (woke - hi) * 9 / 10);
}

/*
 * -p on a program whose threads are blocked when it attaches (one asleep,
 * one waiting for a mutex, the main one asleep) and wake while traced: each
 * is charged its wait from the attach on, in what it was blocked in (its
 * syscall, read at the attach), not only from its first event. Truth: the
 * time each thread prints as it wakes; the attach lies between the
 * tracer's start (or the program's exit less the trace's duration) and its
 * "tracing" line.
 */
static void test_blocked_at_attach(void **state)
{
	char jpath[64], *log = NULL, *out = NULL, *err = NULL, *tlog = NULL;
	/* Long enough for the attach to end before the first wake, even
	 * with the machine loaded (attaching took 3.7 s at load 18). */
	char *prog[] = { HONEST, "blocked", "8000", NULL };
	char *extra[] = { "--json", jpath, NULL };
	struct ptest_proc target, tracer;
	long napper, locker;
	uint64_t lo, hi, end, dur;
	json_object *rep;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	assert_int_equal(ptest_spawn(&target, prog, false), 0);
	assert_true(ptest_wait_stderr(&target, "blocked", 10.0, &log));
	/* The threads name themselves in their own time. */
	if (!strstr(log, "napper "))
		assert_true(ptest_wait_stderr(&target, "napper ", 10.0, &log));
	if (!strstr(log, "locker "))
		assert_true(ptest_wait_stderr(&target, "locker ", 10.0, &log));
	napper = named_tid(log, "napper");
	locker = named_tid(log, "locker");
	usleep(100000); /* into their waits */
	lo = mono_ns();
	ptest_attach(&tracer, target.pid, extra, &tlog);
	hi = mono_ns();
	assert_int_equal(ptest_finish(&target, TIMEOUT, &out, &log), 0);
	assert_int_equal(ptest_finish(&tracer, TIMEOUT, &err, &tlog), 0);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	/* The trace ends after the program's exit: it began after exit
	 * less its duration. */
	end = printed_ns(out, "exit", 0);
	dur = ptest_u64(rep, "duration_ns");
	if (end - dur > lo)
		lo = end - dur;
	print_message("  attach within %.1f ms\n", (hi - lo) / 1e6);
	assert_true(hi > lo);
	check_wait(rep, napper, "sleep", printed_ns(out, "woke", napper), lo,
		   hi);
	check_wait(rep, locker, "lock", printed_ns(out, "woke", locker), lo,
		   hi);
	check_wait(rep, target.pid, "sleep",
		   printed_ns(out, "woke", target.pid), lo, hi);
	json_object_put(rep);
	unlink(jpath);
	free(log);
	free(tlog);
	free(out);
	free(err);
}

/* ----------------------------------------------------------------- warnings */

/*
 * Several library stages probed on single-stepped instructions: one
 * warning line names them all (each stage whose JSON probe_class is step
 * or endbr, and no other), with the advice for code the user did not
 * build (its caller), not a rebuild or PIPETRACE_ENTER().
 */
static void test_warnings_one_line_per_kind(void **state)
{
	char *args[] = { "-s", "libc.so.6:write", "-s", "libc.so.6:read",
			 "-s", "libc.so.6:close", "-s", "libc.so.6:getpid",
			 NULL };
	char *prog[] = { "items", "10", NULL };
	const char *names[] = { "write", "read", "close", "getpid" };
	char *out = NULL, *err = NULL, *line, *p, want[64];
	json_object *rep;
	size_t i, stepped = 0;
	int lines = 0;

	PTEST_REQUIRE_TRACING();
	rep = trace(args, prog, &out, &err);
	for (p = err; (p = strstr(p, "single-steps")); p++)
		lines++;
	line = strstr(err, "single-steps");
	for (i = 0; i < 4; i++) {
		const char *cls = str(stage_of(rep, names[i]), "probe_class");
		bool step = !strcmp(cls, "step") || !strcmp(cls, "endbr");

		snprintf(want, sizeof(want), "libc.so.6:%s", names[i]);
		print_message("  %s: %s\n", names[i], cls);
		stepped += step;
		if (step)
			assert_non_null(line && strstr(line, want));
		else
			assert_true(!line || !strstr(line, want));
	}
	assert_int_equal(lines, stepped ? 1 : 0);
	if (stepped) {
		assert_non_null(strstr(line, "code you did not build"));
		assert_null(strstr(err, "PIPETRACE_ENTER()"));
		assert_null(strstr(err, "-fno-omit-frame-pointer"));
	}
	json_object_put(rep);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_only_when_declared),
		cmocka_unit_test(test_items_explicit_kept),
		cmocka_unit_test(test_self_time_bottleneck),
		cmocka_unit_test(test_interval_own_figures),
		cmocka_unit_test(test_sleeping_thread_reported),
		cmocka_unit_test(test_blocked_at_attach),
		cmocka_unit_test(test_warnings_one_line_per_kind),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
