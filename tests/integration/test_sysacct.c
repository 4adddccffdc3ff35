// SPDX-License-Identifier: MIT
/*
 * test_sysacct.c - the time split and the I/O figures of --syscalls exact
 * and light (issue 15) held to the program's own books: prog_sysacct reads
 * its thread's schedstat (on CPU, on a run queue) and its clock at the
 * start and end of every stage call, and counts its reads and writes.
 * Tolerances are shares of the stage's time (plus a bound per call for
 * the probes' own edges), so that they hold on a busy machine: what other
 * load adds is run-queue time, on both sides alike.
 */
#include <math.h>
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

#define PROG PT_BUILD_DIR "/tests/integration/prog_sysacct"
#define CALLS 200
#define TIMEOUT 300.0

/* The value of key in prog_sysacct's "key value" lines. */
static uint64_t book(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	fail_msg("no %s in prog_sysacct's books:\n%s", key, text);
	return 0;
}

static uint64_t part(json_object *s, const char *name)
{
	return ptest_u64(json_object_object_get(s, "breakdown_ns"), name);
}

/* |got - want| <= tol, with the figures printed either way. */
static void near(const char *what, uint64_t got, uint64_t want, double tol)
{
	double d = fabs((double)got - (double)want);

	print_message(
		"  %-10s pipetrace %9.2f ms, own books %9.2f ms (tolerance %.2f ms)\n",
		what, got / 1e6, want / 1e6, tol / 1e6);
	if (d > tol)
		fail_msg("%s: %.2f ms apart", what, d / 1e6);
}

/*
 * io_cpu against the books' thread CPU clock around pread, write and
 * fdatasync (about 450 us a call here). Both count on-CPU time only, so
 * run-queue waits on a busy machine move neither. Light mode's comes from
 * the libc probes, whose span holds the wrapper and part of the probes'
 * own cost, as the books' bracket does, and the stage's two schedstat
 * reads (the books leave those out): 20% plus 25 us a call. Exact mode's is
 * the kernel's part alone: at most the books' (plus those reads), at least
 * half of it.
 */
static void check_io_cpu(uint64_t got, uint64_t want, bool light)
{
	double slack = 25000.0 * CALLS;

	if (light) {
		near("io_cpu", got, want, 0.2 * (double)want + slack);
		return;
	}
	print_message("  io_cpu     pipetrace %9.2f ms, own books %9.2f ms\n",
		      got / 1e6, want / 1e6);
	assert_true((double)got <= 1.05 * (double)want + slack);
	assert_true(2 * got >= want);
}

static void run_mode(const char *mode)
{
	char jpath[64], in[256], db[256], out[256];
	char calls[16];
	char *argv[] = { PTEST_PIPETRACE,
			 "--syscalls",
			 (char *)mode,
			 "-s",
			 "stage_io",
			 "-j",
			 jpath,
			 "--",
			 PROG,
			 calls,
			 in,
			 db,
			 out,
			 NULL };
	char *text, *o = NULL, *e = NULL;
	json_object *rep, *s, *io;
	uint64_t wall, cpu, runq, sleep, rest, self;
	double tol;
	bool light = strcmp(mode, "exact") != 0; /* libc: light + its probes */

	PTEST_REQUIRE_TRACING();
	snprintf(calls, sizeof(calls), "%d", CALLS);
	/* IN: pipetrace itself (read from the page cache); DB on disk. */
	snprintf(in, sizeof(in), "%s", PTEST_PIPETRACE);
	snprintf(db, sizeof(db), "%s/sysacct-%d.db", PT_BUILD_DIR, getpid());
	ptest_tmp_path(out, sizeof(out), ".books");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	text = ptest_slurp(out);
	rep = ptest_take_json(jpath);
	s = ptest_stage(rep, "stage_io");
	assert_non_null(s);
	io = json_object_object_get(s, "io");
	assert_int_equal(ptest_u64(s, "calls"), book(text, "calls"));

	/* Bytes, calls and syncs: exact in both modes (light: the syncs
	 * through libc's fdatasync). */
	assert_int_equal(ptest_u64(io, "read_bytes"), book(text, "read_bytes"));
	assert_int_equal(ptest_u64(io, "write_bytes"),
			 book(text, "write_bytes"));
	assert_int_equal(ptest_u64(io, "syscalls"),
			 book(text, "read_calls") + book(text, "write_calls") +
				 book(text, "syncs"));
	assert_int_equal(ptest_u64(io, "fsyncs"), book(text, "syncs"));

	/* Time: the books cover the call from its first to its last
	 * schedstat read; the stage, from the probe at entry to the one at
	 * exit (the probe's cost taken out). 5% of the call's time plus
	 * 50 us per call apart at most. */
	wall = book(text, "wall_ns");
	cpu = book(text, "cpu_ns");
	runq = book(text, "runq_ns");
	sleep = book(text, "sleep_ns");
	self = ptest_u64(s, "self_ns");
	tol = 0.05 * (double)wall + 50000.0 * CALLS;
	print_message("  --syscalls %s: %d calls, %s\n", mode, CALLS,
		      json_object_to_json_string(
			      json_object_object_get(s, "breakdown_ns")));
	near("self", self, wall, tol);
	near("on_cpu", part(s, "on_cpu"), cpu, tol);
	near("runqueue", part(s, "runqueue"), runq, tol);
	check_io_cpu(part(s, "io_cpu"), book(text, "io_cpu_ns"), light);
	/* The books' sleep holds the run-queue wait after its wakeup. */
	assert_true(part(s, "sleep") <= sleep + tol);
	assert_true(part(s, "sleep") + runq + tol >= sleep);
	/* The rest off CPU: pread, write, fdatasync. */
	rest = wall > cpu + runq + sleep ? wall - cpu - runq - sleep : 0;
	assert_true(part(s, "io") + part(s, "sleep") + tol >= rest);
	near("io+sleep", part(s, "io") + part(s, "sleep"), wall - cpu - runq,
	     tol);
	assert_true(part(s, "lock") + part(s, "other") <= tol);
	unlink(db);
	unlink(out);
	free(text);
	free(o);
	free(e);
	json_object_put(rep);
}

static void test_exact(void **state)
{
	run_mode("exact");
}

static void test_light(void **state)
{
	run_mode("libc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_light),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
