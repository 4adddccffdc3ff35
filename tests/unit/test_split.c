// SPDX-License-Identifier: MIT
/* test_split.c - verdict rules, the Amdahl pipeline model, syscall classes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "report/report.h"
#include "collect/sysclass.h"

static const char *verdict_of(uint64_t user, uint64_t sys, uint64_t io,
			      uint64_t lock, uint64_t sleep, uint64_t runq,
			      uint64_t other)
{
	uint64_t p[PT_PART_NR] = {
		[PT_PART_USER] = user,	 [PT_PART_SYS] = sys,
		[PT_PART_IO] = io,	 [PT_PART_LOCK] = lock,
		[PT_PART_SLEEP] = sleep, [PT_PART_RUNQ] = runq,
		[PT_PART_OTHER] = other,
	};

	return pt_verdict(p);
}

static void test_verdict(void **state)
{
	/* user and sys together are CPU. */
	assert_string_equal(verdict_of(30, 30, 40, 0, 0, 0, 0), "cpu");
	assert_string_equal(verdict_of(0, 0, 60, 40, 0, 0, 0), "io");
	assert_string_equal(verdict_of(10, 0, 0, 90, 0, 0, 0), "lock");
	assert_string_equal(verdict_of(1, 0, 0, 0, 99, 0, 0), "sleep");
	assert_string_equal(verdict_of(20, 0, 0, 0, 0, 80, 0), "runqueue");
	/* The threshold is 60% inclusive. */
	assert_string_equal(verdict_of(0, 0, 600, 400, 0, 0, 0), "io");
	assert_string_equal(verdict_of(0, 0, 599, 401, 0, 0, 0), "mixed");
	/* "other" is never a verdict of its own. */
	assert_string_equal(verdict_of(10, 0, 0, 0, 0, 0, 90), "mixed");
	assert_string_equal(verdict_of(0, 0, 0, 0, 0, 0, 0), "idle");
	/* No overflow for large values. */
	assert_string_equal(verdict_of(UINT64_MAX / 8, 0, 0, 0, 0, 0, 1),
			    "cpu");
}

/* Issue 12: on-CPU time inside I/O syscalls (io_cpu, a share of sys)
 * counts as I/O. sqlite's autocommit inserts with synchronous=FULL: io
 * 56%, sys 35% of which 30 points in fsync and write. */
static void test_verdict_io_cpu(void **state)
{
	uint64_t p[PT_PART_NR] = {
		[PT_PART_USER] = 9, [PT_PART_SYS] = 35, [PT_PART_IO] = 56
	};

	assert_string_equal(pt_verdict(p), "mixed");
	assert_string_equal(pt_verdict_io(p, 0), "mixed");
	assert_string_equal(pt_verdict_io(p, 30), "io");
	/* 56 + 3 = 59%: just under the threshold. */
	assert_string_equal(pt_verdict_io(p, 3), "mixed");
	assert_string_equal(pt_verdict_io(p, 4), "io");
	/* More io_cpu than sys (the probe's cost taken out of sys) counts
	 * no more than sys. */
	p[PT_PART_IO] = 20;
	p[PT_PART_USER] = 45;
	assert_string_equal(pt_verdict_io(p, 1000), "mixed");
	p[PT_PART_USER] = 0;
	assert_string_equal(pt_verdict_io(p, 1000), "io");
	/* The parts themselves are left alone. */
	assert_int_equal(p[PT_PART_SYS], 35);
	assert_int_equal(p[PT_PART_IO], 20);
}

/* --syscalls light: sys unknown (0), the on-CPU time all in user, and
 * io_cpu (libc I/O probes) a share of it. */
static void test_verdict_light_io_cpu(void **state)
{
	uint64_t p[PT_PART_NR] = { [PT_PART_USER] = 44, [PT_PART_IO] = 56 };

	assert_string_equal(pt_verdict_light_io(p, 0), "mixed");
	/* Exact mode's rule takes it from sys, which light mode lacks. */
	assert_string_equal(pt_verdict_io(p, 30), "mixed");
	assert_string_equal(pt_verdict_light_io(p, 30), "io");
	assert_string_equal(pt_verdict_light_io(p, 3), "mixed");
	assert_string_equal(pt_verdict_light_io(p, 4), "io");
	/* No more than the on-CPU time counts. */
	p[PT_PART_SLEEP] = 1000;
	assert_string_equal(pt_verdict_light_io(p, 1000000), "sleep");
	assert_int_equal(p[PT_PART_USER], 44);
}

static void test_amdahl_single_thread(void **state)
{
	/* One thread, three stages of 10, 30, 60 ms in a 100 ms run. */
	const struct pt_pair pairs[] = {
		{ 7, 0, 10000000, 10000000, 10000000 },
		{ 7, 1, 30000000, 30000000, 30000000 },
		{ 7, 2, 60000000, 60000000, 60000000 },
	};
	double saves[3];
	long b = pt_amdahl(pairs, 3, 3, 100000000, saves);

	assert_int_equal(b, 2);
	assert_true(fabs(saves[0] - 5.0) < 1e-9);
	assert_true(fabs(saves[1] - 15.0) < 1e-9);
	assert_true(fabs(saves[2] - 30.0) < 1e-9);
}

static void test_amdahl_threaded(void **state)
{
	/* Three threads, one stage each: 90, 50, 20 ms busy in 100 ms.
	 * Halving the 90 ms stage: the busiest becomes 50 -> saves 40%.
	 * Halving the others changes nothing. */
	const struct pt_pair pairs[] = {
		{ 1, 0, 20000000, 20000000, 20000000 },
		{ 2, 1, 90000000, 90000000, 90000000 },
		{ 3, 2, 50000000, 50000000, 50000000 },
	};
	double saves[4];
	long b = pt_amdahl(pairs, 3, 4, 100000000, saves);

	assert_int_equal(b, 1);
	assert_true(fabs(saves[1] - 40.0) < 1e-9);
	assert_true(fabs(saves[0]) < 1e-9);
	assert_true(fabs(saves[2]) < 1e-9);
	/* A stage that never ran saves nothing. */
	assert_true(fabs(saves[3]) < 1e-9);
}

static void test_amdahl_workers(void **state)
{
	/* Stage 0 runs on two worker threads (40 + 40 ms), stage 1 on a third
	 * thread (30 ms): halving stage 0 leaves max(20, 20, 30) = 30. */
	const struct pt_pair pairs[] = {
		{ 1, 0, 40000000, 40000000, 40000000 },
		{ 2, 0, 40000000, 40000000, 40000000 },
		{ 3, 1, 30000000, 30000000, 30000000 },
	};
	double saves[2];
	long b = pt_amdahl(pairs, 3, 2, 50000000, saves);

	assert_int_equal(b, 0);
	assert_true(fabs(saves[0] - 20.0) < 1e-9);
	assert_true(fabs(saves[1]) < 1e-9);
}

static void test_amdahl_empty(void **state)
{
	double saves[2] = { -1, -1 };

	assert_int_equal(pt_amdahl(NULL, 0, 2, 1000, saves), -1);
	assert_true(saves[0] == 0 && saves[1] == 0);
	/* No elapsed time: no division by zero. */
	{
		const struct pt_pair p[] = { { 1, 0, 5, 5, 5 } };

		assert_int_equal(pt_amdahl(p, 1, 2, 0, saves), 0);
		assert_true(saves[0] == 0);
	}
}

/*
 * Issue 16 #5: thread 1 runs outer -> inner, 60% busy (outer's own 30 ms,
 * inner 30 ms inside it: outer's wall is 60 ms); thread 2 runs flat, 89%
 * busy, in 100 ms. Own times, derived from the stages' own times and the
 * pairs' wall times, make flat the bottleneck: halving it leaves
 * max(60, 44.5), saving 29%; summed inclusive times would have put thread
 * 1 at 90 ms, outer first, and flat at 0.
 */
static void test_amdahl_nested_self(void **state)
{
	struct pt_pair pairs[] = {
		{ 1, 0, 60000000, 0, 0 }, /* outer, inner included */
		{ 1, 1, 30000000, 0, 0 }, /* inner */
		{ 2, 2, 89000000, 0, 0 }, /* flat */
	};
	const uint64_t self[3] = { 30000000, 30000000, 89000000 };
	double saves[3];
	long b;

	pt_pairs__derive(pairs, 3, self, self, 3); /* no waits: work = self */
	assert_int_equal(pairs[0].self_ns, 30000000);
	assert_int_equal(pairs[1].self_ns, 30000000);
	assert_int_equal(pairs[2].self_ns, 89000000);
	b = pt_amdahl(pairs, 3, 3, 100000000, saves);
	assert_int_equal(b, 2);
	assert_true(fabs(saves[2] - 29.0) < 1e-9);
	assert_true(fabs(saves[0]) < 1e-9);
	assert_true(fabs(saves[1]) < 1e-9);
}

/* A stage on two threads shares its own time by its wall time on each. */
static void test_derive_self_shared(void **state)
{
	struct pt_pair pairs[] = {
		{ 1, 0, 30000000, 0, 0 },
		{ 2, 0, 10000000, 0, 0 },
		{ 2, 5, 10000000, 0, 0 }, /* a stage id past n: no own time */
	};
	const uint64_t self[1] = { 20000000 };

	pt_pairs__derive(pairs, 3, self, NULL, 1);
	assert_int_equal(pairs[0].self_ns, 15000000);
	assert_int_equal(pairs[1].self_ns, 5000000);
	assert_int_equal(pairs[2].self_ns, 0);
}

/*
 * A stage that waits on a lock most of its own time (pigz -dc's threads
 * waiting for their input) does not bound the run: halving it does not
 * halve another's work. The report charges the Amdahl only the work,
 * own time less its run-queue, lock and pipe waits: thread 1's stage
 * works 40 of its 90 ms (50 on a lock), thread 2's works 60 ms. Halving
 * stage 1 saves 30 ms of 100; stage 0 nothing, where own times would
 * have named it.
 */
static void test_amdahl_waits_not_work(void **state)
{
	struct pt_stage st[2] = { { .name = "waiter" }, { .name = "worker" } };
	struct pt_stage_set set = { .v = st, .n = 2 };
	struct pt_totals tot[2] = { 0 };
	struct pt_pair pairs[] = {
		{ 1, 0, 90000000, 0, 0 },
		{ 2, 1, 60000000, 0, 0 },
	};
	struct pt_snapshot snap = { 0 };
	struct pt_report r;

	tot[0].calls = tot[1].calls = 1;
	tot[0].wall_ns = 90000000;
	tot[0].time.part_ns[PT_PART_USER] = 30000000;
	tot[0].time.part_ns[PT_PART_LOCK] = 50000000;
	tot[0].time.part_ns[PT_PART_RUNQ] = 10000000;
	tot[1].wall_ns = 60000000;
	tot[1].time.part_ns[PT_PART_USER] = 60000000;
	snap.stages = &set;
	snap.totals = tot;
	snap.pairs = pairs;
	snap.npairs = 2;
	snap.duration_ns = 100000000;
	assert_int_equal(pt_report__build(&r, &snap), 0);
	assert_int_equal(r.rows[0].self_ns, 90000000);
	assert_int_equal(r.rows[0].work_ns, 30000000);
	assert_int_equal(r.rows[1].work_ns, 60000000);
	assert_int_equal(r.bottleneck, 1);
	assert_true(fabs(r.rows[1].saves_pct - 30.0) < 1e-9);
	assert_true(fabs(r.rows[0].saves_pct) < 1e-9);
	assert_non_null(strstr(r.bottleneck_reason, "at work in stages 60%"));
	pt_report__free(&r);
}

static void test_sysclass(void **state)
{
	uint8_t cls[PT_MAX_SYSCALL];

	pt_sysclass__fill(cls);
	assert_int_equal(cls[SYS_read], PT_SYS_READ);
	assert_int_equal(cls[SYS_pread64], PT_SYS_READ);
	assert_int_equal(cls[SYS_recvfrom], PT_SYS_READ);
	assert_int_equal(cls[SYS_write], PT_SYS_WRITE);
	assert_int_equal(cls[SYS_writev], PT_SYS_WRITE);
	assert_int_equal(cls[SYS_sendto], PT_SYS_WRITE);
	assert_int_equal(cls[SYS_fsync], PT_SYS_FSYNC);
	assert_int_equal(cls[SYS_fdatasync], PT_SYS_FSYNC);
	assert_int_equal(cls[SYS_epoll_wait], PT_SYS_IO);
	assert_int_equal(cls[SYS_poll], PT_SYS_IO);
	assert_int_equal(cls[SYS_futex], PT_SYS_LOCK);
	assert_int_equal(cls[SYS_nanosleep], PT_SYS_SLEEP);
	assert_int_equal(cls[SYS_clock_nanosleep], PT_SYS_SLEEP);
	assert_int_equal(cls[SYS_getpid], PT_SYS_NONE);
	assert_int_equal(cls[SYS_mmap], PT_SYS_MMAP);
	assert_int_equal(cls[SYS_munmap], PT_SYS_MUNMAP);
	assert_int_equal(cls[SYS_brk], PT_SYS_BRK);
	assert_int_equal(cls[SYS_mprotect], PT_SYS_NONE);
#if defined(__x86_64__)
	assert_int_equal(cls[335], PT_SYS_PROBE);
#endif
	assert_int_equal(cls[SYS_restart_syscall], PT_SYS_RESTART);
}

/* What restart_syscall continues, from a kallsyms file: named restart
 * functions with their syscall; hidden (zero) addresses are not used. */
static void test_sysclass_restarts(void **state)
{
	char path[] = "/tmp/pt-kallsymsXXXXXX", err[256];
	static const char text[] =
		"ffffffff8226d9d0 t hrtimer_nanosleep_restart\n"
		"ffffffff8144f450 t futex_wait_restart\n"
		"0000000000000000 t do_restart_poll\n"
		"ffffffff81000000 T _stext\n";
	uint64_t fn[PT_RESTART_FNS];
	int32_t nr[PT_RESTART_FNS];
	int fd = mkstemp(path), i, sleep = 0, lock = 0;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	assert_int_equal(pt_sysclass__restarts(path, fn, nr, err, sizeof(err)),
			 2);
	for (i = 0; i < PT_RESTART_FNS; i++) {
		sleep += fn[i] == 0xffffffff8226d9d0ull &&
			 nr[i] == SYS_clock_nanosleep;
		lock += fn[i] == 0xffffffff8144f450ull && nr[i] == SYS_futex;
		assert_true(fn[i] || !nr[i]);
	}
	assert_int_equal(sleep, 1);
	assert_int_equal(lock, 1);
	unlink(path);
	assert_true(pt_sysclass__restarts(path, fn, nr, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_verdict_io_cpu),
		cmocka_unit_test(test_verdict_light_io_cpu),
		cmocka_unit_test(test_amdahl_single_thread),
		cmocka_unit_test(test_amdahl_threaded),
		cmocka_unit_test(test_amdahl_workers),
		cmocka_unit_test(test_amdahl_empty),
		cmocka_unit_test(test_amdahl_nested_self),
		cmocka_unit_test(test_derive_self_shared),
		cmocka_unit_test(test_amdahl_waits_not_work),
		cmocka_unit_test(test_sysclass),
		cmocka_unit_test(test_sysclass_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
