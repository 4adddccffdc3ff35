// SPDX-License-Identifier: MIT
/*
 * prog_honest.c - a sample program that keeps its own clocks, for the
 * figures a user must be able to trust (issues 12 and 16).
 *
 *   prog_honest items CALLS
 *	count_int() (annotated, PIPETRACE_ENTER()) returns -1 one call in
 *	four and 3 otherwise; not_count() (not annotated) returns a pointer-
 *	sized value that is no count. Prints "items N errors N".
 *   prog_honest split MS
 *	thread 1 calls outer() (which calls inner()) about 60% of the time,
 *	thread 2 calls flat() about 89% of the time, for MS milliseconds.
 *	Prints each stage's own time ("self outer NS") per thread, each
 *	thread's busy time ("busy TID NS"), and "elapsed NS"; then, on the
 *	threads' CPU clocks (the spins' time less their run-queue waits),
 *	flat's ("oncpu flat NS") and each thread's busy time ("oncpu busy
 *	NS1 NS2").
 *   prog_honest idle WORK_MS IDLE_MS
 *	a thread that sleeps throughout (its tid printed first, "sleeper
 *	TID", on stdout and stderr), while the main thread calls work()
 *	(1 ms spins) for WORK_MS, then sleeps IDLE_MS. Prints "calls N".
 *   prog_honest blocked MS
 *	for a tracer to attach while threads are blocked: thread "napper"
 *	sleeps MS (nanosleep), thread "locker" waits for a mutex the main
 *	thread holds while it sleeps MS + 300; each names itself on stderr
 *	("napper TID", "locker TID", then "blocked"). Prints "woke TID NS"
 *	for each thread, the main one included, as it returns from its wait
 *	(CLOCK_MONOTONIC), then "exit NS".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

int count_int(int i);
long not_count(long i);
long inner(long spin_ns);
long outer(long spin_ns);
long flat(long spin_ns);
long work(long spin_ns);

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void spin(long ns)
{
	long end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ items */

PIPETRACE_NOINLINE int count_int(int i)
{
	PIPETRACE_ENTER();
	return i % 4 == 3 ? -1 : 3;
}
PIPETRACE_STAGE(count_int);

PIPETRACE_NOINLINE long not_count(long i)
{
	return (long)&not_count + i * 0x5a5a5a5a5aL;
}

static int run_items(long calls)
{
	long i, items = 0, errors = 0, sink = 0;
	int r;

	for (i = 0; i < calls; i++) {
		r = count_int((int)i);
		if (r < 0)
			errors++;
		else
			items += r;
		sink += not_count(i);
	}
	printf("items %ld errors %ld\n", items, errors);
	return sink == 42;
}

/* ------------------------------------------------------------------ split */

/* Own time of each stage on this thread, by its own clock. */
struct clocks {
	long outer_self, inner_self, flat_self, busy;
	/* on this thread's CPU clock: in flat, and while busy */
	long flat_cpu, busy_cpu;
	long tid;
};

static struct clocks cl[2];
static long split_end;

PIPETRACE_NOINLINE long inner(long spin_ns)
{
	spin(spin_ns);
	return 1;
}
PIPETRACE_STAGE_NOITEMS(inner);

PIPETRACE_NOINLINE long outer(long spin_ns)
{
	long t0 = now_ns(), t1, t2;

	spin(spin_ns);
	t1 = now_ns();
	inner(2 * spin_ns);
	t2 = now_ns();
	spin(spin_ns);
	cl[0].inner_self += t2 - t1;
	cl[0].outer_self += now_ns() - t0 - (t2 - t1);
	return 1;
}
PIPETRACE_STAGE_NOITEMS(outer);

PIPETRACE_NOINLINE long flat(long spin_ns)
{
	spin(spin_ns);
	return 1;
}
PIPETRACE_STAGE_NOITEMS(flat);

/* Thread 1: outer (1 ms: 0.5 own, 0.5 inner) then 0.67 ms asleep: 60%. */
static void *thread_nested(void *arg)
{
	long t0, t1;

	cl[0].tid = syscall(SYS_gettid);
	while (now_ns() < split_end) {
		long c0 = thread_cpu_ns();

		t0 = now_ns();
		outer(250000);
		t1 = now_ns();
		cl[0].busy += t1 - t0;
		cl[0].busy_cpu += thread_cpu_ns() - c0;
		sleep_ns(660000);
	}
	return arg;
}

/* Thread 2: flat (8 ms) then 1 ms asleep: 89%. */
static void *thread_flat(void *arg)
{
	long t0, t1;

	cl[1].tid = syscall(SYS_gettid);
	while (now_ns() < split_end) {
		long c0 = thread_cpu_ns(), c1;

		t0 = now_ns();
		flat(8000000);
		t1 = now_ns();
		c1 = thread_cpu_ns();
		cl[1].flat_self += t1 - t0;
		cl[1].busy += t1 - t0;
		cl[1].flat_cpu += c1 - c0;
		cl[1].busy_cpu += c1 - c0;
		sleep_ns(1000000);
	}
	return arg;
}

static int run_split(long ms)
{
	long start = now_ns();
	pthread_t a, b;

	split_end = start + ms * 1000000L;
	if (pthread_create(&a, NULL, thread_nested, NULL) ||
	    pthread_create(&b, NULL, thread_flat, NULL))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("self outer %ld %ld\n", cl[0].tid, cl[0].outer_self);
	printf("self inner %ld %ld\n", cl[0].tid, cl[0].inner_self);
	printf("self flat %ld %ld\n", cl[1].tid, cl[1].flat_self);
	printf("busy %ld %ld\n", cl[0].tid, cl[0].busy);
	printf("busy %ld %ld\n", cl[1].tid, cl[1].busy);
	printf("elapsed %ld\n", now_ns() - start);
	printf("oncpu flat %ld\n", cl[1].flat_cpu);
	printf("oncpu busy %ld %ld\n", cl[0].busy_cpu, cl[1].busy_cpu);
	return 0;
}

/* ------------------------------------------------------------------- idle */

PIPETRACE_NOINLINE long work(long spin_ns)
{
	spin(spin_ns);
	return 1;
}
PIPETRACE_STAGE(work);

static void *sleeper(void *arg)
{
	/* On both streams: a test attaching waits for it on stderr. */
	printf("sleeper %ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	fprintf(stderr, "sleeper %ld\n", (long)syscall(SYS_gettid));
	for (;;)
		sleep(3600);
	return arg;
}

static int run_idle(long work_ms, long idle_ms)
{
	long end = now_ns() + work_ms * 1000000L, calls = 0;
	pthread_t t;

	if (pthread_create(&t, NULL, sleeper, NULL))
		return 1;
	while (now_ns() < end)
		calls += work(1000000);
	sleep_ns(idle_ms * 1000000L);
	printf("calls %ld\n", calls);
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- blocked */

static pthread_mutex_t blocked_mu = PTHREAD_MUTEX_INITIALIZER;
static long blocked_ms;

static void say_woke(void)
{
	printf("woke %ld %ld\n", (long)syscall(SYS_gettid), now_ns());
}

static void *napper(void *arg)
{
	fprintf(stderr, "napper %ld\n", (long)syscall(SYS_gettid));
	sleep_ns(blocked_ms * 1000000L);
	say_woke();
	return arg;
}

static void *locker(void *arg)
{
	fprintf(stderr, "locker %ld\n", (long)syscall(SYS_gettid));
	pthread_mutex_lock(&blocked_mu);
	say_woke();
	pthread_mutex_unlock(&blocked_mu);
	return arg;
}

static int run_blocked(long ms)
{
	pthread_t a, b;

	blocked_ms = ms;
	pthread_mutex_lock(&blocked_mu);
	if (pthread_create(&a, NULL, napper, NULL) ||
	    pthread_create(&b, NULL, locker, NULL))
		return 1;
	fprintf(stderr, "blocked\n");
	sleep_ns((ms + 300) * 1000000L);
	say_woke();
	pthread_mutex_unlock(&blocked_mu);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("exit %ld\n", now_ns());
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "items"))
		return run_items(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "split"))
		return run_split(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "idle"))
		return run_idle(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "blocked"))
		return run_blocked(atol(argv[2]));
	fprintf(stderr,
		"usage: prog_honest items CALLS | split MS | idle WORK_MS IDLE_MS | blocked MS\n");
	return 2;
}
