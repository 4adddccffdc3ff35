// SPDX-License-Identifier: MIT
/*
 * micro - the per-call cost of a tracer on a function of known length.
 *
 *   micro FUNC N       call FUNC N times; print
 *                      "ns_per_call=<x> truth_body_ns=<y>"
 *   micro --calibrate  print the busy-loop counts as MICRO_LOOPS=a,b,c
 *   micro --rate HZ SECONDS FUNC
 *                      call FUNC HZ times a second for SECONDS (a steady
 *                      event rate for a tracer's own cost); print
 *                      "calls=<n> rate=<calls/s>"
 *
 * FUNC is one of f50ns, f1us, f20us: non-inlined pipetrace stages that spin
 * a fixed number of iterations (about 50 ns, 1 us, 20 us). The counts come
 * from MICRO_LOOPS if set (scripts/bench-micro.sh calibrates once, so every
 * run of every tool does the same work), else from a calibration at start.
 * Where <pipetrace/stage.h> has PIPETRACE_ENTER, a50ns, a1us and a20us are
 * the same three bodies with PIPETRACE_ENTER() first (5-byte-nop probe
 * sites at entry and exits); `micro --list` prints the FUNCs built in.
 *
 * ns_per_call: wall time (CLOCK_MONOTONIC) of the N-call loop / N. Start-up
 * and exit, including a tracer's attach and detach, are outside the loop.
 *
 * truth_body_ns: after the timed loop, a separate pass calls an identical
 * copy of FUNC (same loop count, a different symbol, so a tracer probing
 * FUNC does not see it) that reads CLOCK_MONOTONIC first and last in its
 * body; the mean of those intervals less the mean of an empty interval
 * (two back-to-back clock reads) is the time spent inside the function.
 *
 * cpu_ns: the process's CPU time at exit (CLOCK_PROCESS_CPUTIME_ID), so
 * that a tracer's own CPU can be told from that of the command it runs.
 * With MICRO_PARENT_CPU set (micro launched by the tracer: perf record,
 * pipetrace), also the parent's CPU time when the timed loop starts and
 * during it: "parent_cpu_start_ns=<a> parent_cpu_loop_ns=<b>".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

static unsigned long loops_50ns, loops_1us, loops_20us;

static inline __attribute__((always_inline)) unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

/*
 * A dependent chain the compiler cannot remove or shorten. A do-while (n is
 * at least 1): no early exit for n == 0 for gcc to shrink-wrap the prologue
 * around.
 */
static inline __attribute__((always_inline)) unsigned long spin(unsigned long n)
{
	unsigned long x = n, i = 0;

	do
		__asm__ volatile("" : "+r"(x) : : "memory");
	while (++i < n);
	return x;
}

static volatile unsigned long sink;

/*
 * gcc omits the frame of a leaf function even with -fno-omit-frame-pointer
 * (-momit-leaf-frame-pointer). Asking for the frame address makes it build
 * one, so each stage starts with `push %rbp` (what a frame-pointer build of
 * a real stage starts with, and the probe class the kernel emulates; the
 * script checks it with objdump). One store, outside the timed spin.
 */
static void *volatile frame_sink;
#define FRAME() (frame_sink = __builtin_frame_address(0))

long f50ns(void);
long f1us(void);
long f20us(void);
PIPETRACE_STAGE(f50ns);
PIPETRACE_STAGE(f1us);
PIPETRACE_STAGE(f20us);

PIPETRACE_NOINLINE long f50ns(void)
{
	FRAME();
	sink = spin(loops_50ns);
	return 1;
}

PIPETRACE_NOINLINE long f1us(void)
{
	FRAME();
	sink = spin(loops_1us);
	return 1;
}

PIPETRACE_NOINLINE long f20us(void)
{
	FRAME();
	sink = spin(loops_20us);
	return 1;
}

#ifdef PIPETRACE_ENTER
/* The annotated twins: probed at their nop5 sites, not at their entry. */
long a50ns(void);
long a1us(void);
long a20us(void);
PIPETRACE_STAGE(a50ns);
PIPETRACE_STAGE(a1us);
PIPETRACE_STAGE(a20us);

PIPETRACE_NOINLINE long a50ns(void)
{
	PIPETRACE_ENTER();
	FRAME();
	sink = spin(loops_50ns);
	return 1;
}

PIPETRACE_NOINLINE long a1us(void)
{
	PIPETRACE_ENTER();
	FRAME();
	sink = spin(loops_1us);
	return 1;
}

PIPETRACE_NOINLINE long a20us(void)
{
	PIPETRACE_ENTER();
	FRAME();
	sink = spin(loops_20us);
	return 1;
}
#endif

/* The truth copies: the same body, bracketed by clock reads. */
#define TRUTH(name, loops)                                 \
	static PIPETRACE_NOINLINE unsigned long name(void) \
	{                                                  \
		FRAME();                                   \
		unsigned long t0 = now_ns();               \
		sink = spin(loops);                        \
		return now_ns() - t0;                      \
	}
TRUTH(truth_f50ns, loops_50ns)
TRUTH(truth_f1us, loops_1us)
TRUTH(truth_f20us, loops_20us)

static PIPETRACE_NOINLINE unsigned long truth_empty(void)
{
	unsigned long t0 = now_ns();

	return now_ns() - t0;
}

/* Iterations of spin() that take target_ns: the fastest of 21 trials. */
static unsigned long calibrate(double target_ns)
{
	const unsigned long n = 2000000;
	double best = 1e18;

	for (int t = 0; t < 21; t++) {
		unsigned long t0 = now_ns();

		sink = spin(n);
		double d = (double)(now_ns() - t0);
		if (d < best)
			best = d;
	}
	unsigned long l = (unsigned long)(target_ns * n / best + 0.5);
	return l ? l : 1;
}

/* CPU time of the parent's threads so far, ns (schedstat); 0 if unknown. */
static unsigned long parent_cpu_ns(void)
{
	char dir[64], path[64 + sizeof(((struct dirent *)0)->d_name) + 16];
	unsigned long sum = 0, v;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)getppid());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lu", &v) == 1)
			sum += v;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * Calls fn hz times a second for secs seconds on absolute deadlines (a late
 * wake-up is caught up, so the mean rate holds). Returns the wall time, ns.
 */
static unsigned long run_at_rate(long (*fn)(void), double hz, double secs,
				 unsigned long *calls)
{
	const long period = (long)(1e9 / hz);
	unsigned long n = (unsigned long)(hz * secs), t0 = now_ns();
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned long i = 0; i < n; i++) {
		fn();
		next.tv_nsec += period;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
	*calls = n;
	return now_ns() - t0;
}

/* What `micro FUNC N` can run: FUNC and its untraced truth copy. */
static const struct func {
	const char *name;
	long (*fn)(void);
	unsigned long (*truth)(void);
} funcs[] = {
	{ .name = "f50ns", .fn = f50ns, .truth = truth_f50ns },
	{ .name = "f1us", .fn = f1us, .truth = truth_f1us },
	{ .name = "f20us", .fn = f20us, .truth = truth_f20us },
#ifdef PIPETRACE_ENTER
	{ .name = "a50ns", .fn = a50ns, .truth = truth_f50ns },
	{ .name = "a1us", .fn = a1us, .truth = truth_f1us },
	{ .name = "a20us", .fn = a20us, .truth = truth_f20us },
#endif
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

static int usage(void)
{
	fprintf(stderr, "usage: micro FUNC N     (FUNC: micro --list)\n"
			"       micro --calibrate\n"
			"       micro --list\n"
			"       micro --rate HZ SECONDS FUNC\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *env = getenv("MICRO_LOOPS");

	if (env && *env) {
		if (sscanf(env, "%lu,%lu,%lu", &loops_50ns, &loops_1us,
			   &loops_20us) != 3) {
			fprintf(stderr, "micro: bad MICRO_LOOPS '%s'\n", env);
			return 2;
		}
	} else {
		loops_50ns = calibrate(50);
		loops_1us = calibrate(1000);
		loops_20us = calibrate(20000);
	}
	if (argc == 2 && !strcmp(argv[1], "--calibrate")) {
		printf("MICRO_LOOPS=%lu,%lu,%lu\n", loops_50ns, loops_1us,
		       loops_20us);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NFUNCS; i++)
			printf("%s\n", funcs[i].name);
		return 0;
	}
	int rate = argc == 5 && !strcmp(argv[1], "--rate");
	if (argc != 3 && !rate)
		return usage();
	const char *name = rate ? argv[4] : argv[1];

	const struct func *f = NULL;
	for (size_t i = 0; i < NFUNCS; i++)
		if (!strcmp(name, funcs[i].name))
			f = &funcs[i];
	if (!f)
		return usage();
	if (rate) {
		double hz = atof(argv[2]), secs = atof(argv[3]);
		unsigned long calls;

		if (hz <= 0 || hz > 1e7 || secs <= 0)
			return usage();
		unsigned long wall = run_at_rate(f->fn, hz, secs, &calls);
		printf("calls=%lu rate=%.1f\n", calls, calls / (wall / 1e9));
		return 0;
	}
	long (*fn)(void) = f->fn;
	unsigned long (*truth)(void) = f->truth;
	char *end;
	errno = 0;
	unsigned long n = strtoul(argv[2], &end, 10);
	if (errno || *end || n == 0)
		return usage();

	/* Warm-up, untimed: the first call pays page faults, and under a
	 * uretprobe the per-thread trampoline set-up. */
	for (int i = 0; i < 100; i++)
		fn();

	const int parent = getenv("MICRO_PARENT_CPU") != NULL;
	unsigned long pc0 = parent ? parent_cpu_ns() : 0;
	unsigned long t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		fn();
	unsigned long wall = now_ns() - t0;
	unsigned long pc1 = parent ? parent_cpu_ns() : 0;

	/* Truth pass: at most 100k calls or about 0.2 s of body time. */
	unsigned long tn = n < 100000 ? n : 100000;
	unsigned long est = wall / n ? wall / n : 1;
	if (tn * est > 200000000UL)
		tn = 200000000UL / est;
	if (tn < 100)
		tn = 100;
	double body = 0, empty = 0;
	for (unsigned long i = 0; i < tn; i++) {
		body += (double)truth();
		empty += (double)truth_empty();
	}
	double truth_ns = (body - empty) / (double)tn;

	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	printf("ns_per_call=%.1f truth_body_ns=%.1f cpu_ns=%lu",
	       (double)wall / n, truth_ns,
	       (unsigned long)cpu.tv_sec * 1000000000UL + cpu.tv_nsec);
	if (parent)
		printf(" parent_cpu_start_ns=%lu parent_cpu_loop_ns=%lu", pc0,
		       pc1 - pc0);
	printf("\n");
	fprintf(stderr,
		"micro: %s N=%lu loops=%lu,%lu,%lu clock_read_ns=%.1f\n",
		argv[1], n, loops_50ns, loops_1us, loops_20us, empty / tn);
	return 0;
}
