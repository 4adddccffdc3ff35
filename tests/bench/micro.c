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
 *   micro --ab FUNC N  in-process A/B: call FUNC N times and its unprobed
 *                      twin N times, alternating in blocks; print
 *                      "ns_per_call=<x> twin_ns_per_call=<y>
 *                      added_ns_per_call=<z> ..." (see below)
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
 * --ab: every f* and a* function has a twin (t50ns, t1us, t20us; ta50ns,
 * ta1us, ta20us) compiled from the same body, but no stage and (gcc)
 * no_icf, so the compiler cannot merge the two and a tracer probing FUNC
 * does not see it (the a* twins' nop5 sites have no note; in the -pg build
 * the twins have no mcount call). The loop times blocks of B calls of FUNC
 * and B calls of the twin, in the order FUNC, twin, twin, FUNC, ... (so a
 * steady drift of the host's speed hits both alike), with CLOCK_MONOTONIC.
 * A host slow-down lasting longer than a block pair hits both sides of it.
 * added_ns_per_call is the median over block pairs of (FUNC's block mean -
 * the twin's); added_mean_ns the difference of the totals; ns_per_call and
 * twin_ns_per_call are the totals / N. B (2 at least) makes a block of FUNC
 * about 100 us as traced (timed after the warm-up): much shorter than the
 * scheduler's slice, so that when other tasks share the CPU most block
 * pairs run uninterrupted and the median is theirs, while longer blocks of
 * FUNC would each be more likely to hold a preemption than the twin's.
 *
 * cpu_ns: the process's CPU time at exit (CLOCK_PROCESS_CPUTIME_ID), so
 * that a tracer's own CPU can be told from that of the command it runs.
 * With MICRO_PARENT_CPU set (micro launched by the tracer: perf record,
 * pipetrace), also the parent's CPU time when the timed loop starts and
 * during it: "parent_cpu_start_ns=<a> parent_cpu_loop_ns=<b>", and during
 * the loop's second half alone, with that half's wall time
 * ("parent_cpu_half_ns=<c> half_ns=<d>"): the tracer's steady state, once
 * the work it does just after its start (opening the target's symbols)
 * is behind it.
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

/*
 * The --ab twins: the bodies above, not stages, never merged with them
 * (no_icf) and, in the -pg build, not instrumented (no_instrument_function
 * also covers -pg's mcount call): what FUNC costs when nothing probes it.
 */
#if defined(__clang__)
#define TWIN static __attribute__((noinline, used, no_instrument_function))
#else
#define TWIN                                                   \
	static __attribute__((noinline, noclone, used, no_icf, \
			      no_instrument_function))
#endif
#define PLAIN_TWIN(name, loops)     \
	TWIN long name(void)        \
	{                           \
		FRAME();            \
		sink = spin(loops); \
		return 1;           \
	}
PLAIN_TWIN(t50ns, loops_50ns)
PLAIN_TWIN(t1us, loops_1us)
PLAIN_TWIN(t20us, loops_20us)

#ifdef PIPETRACE_ENTER
/*
 * The annotated bodies' twins: the instructions of PIPETRACE_ENTER() (a
 * 5-byte nop inside lea -128/+128 of %rsp, at the start and on the way
 * out, %rax holding the item count there) without the site notes, so no
 * tracer finds their sites.
 */
#define TWIN_SITE                                \
	"lea -128(%%rsp), %%rsp\n\t"             \
	".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t" \
	"lea 128(%%rsp), %%rsp\n\t"
struct twin_frame {
	long items;
};
static inline __attribute__((always_inline)) void
twin_exit(struct twin_frame *f)
{
	__asm__ volatile(TWIN_SITE : : "a"(f->items) : "memory");
}
#define ANNOT_TWIN(name, loops)                                              \
	TWIN long name(void)                                                 \
	{                                                                    \
		struct twin_frame fr                                         \
			__attribute__((cleanup(twin_exit),                   \
				       unused)) = { PIPETRACE_ITEMS_UNSET }; \
		__asm__ volatile(TWIN_SITE : : : "memory");                  \
		FRAME();                                                     \
		sink = spin(loops);                                          \
		return 1;                                                    \
	}
ANNOT_TWIN(ta50ns, loops_50ns)
ANNOT_TWIN(ta1us, loops_1us)
ANNOT_TWIN(ta20us, loops_20us)
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

/* What `micro FUNC N` can run: FUNC, its untraced truth copy, its --ab
 * twin and the time it is built to take (the --ab block size). */
static const struct func {
	const char *name;
	long (*fn)(void);
	unsigned long (*truth)(void);
	long (*twin)(void);
	unsigned long ns;
} funcs[] = {
	{ "f50ns", f50ns, truth_f50ns, t50ns, 50 },
	{ "f1us", f1us, truth_f1us, t1us, 1000 },
	{ "f20us", f20us, truth_f20us, t20us, 20000 },
#ifdef PIPETRACE_ENTER
	{ "a50ns", a50ns, truth_f50ns, ta50ns, 50 },
	{ "a1us", a1us, truth_f1us, ta1us, 1000 },
	{ "a20us", a20us, truth_f20us, ta20us, 20000 },
#endif
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

/*
 * The truth pass: the mean time inside truth's body over at most 100k
 * calls or about 0.2 s of body time (est_ns a call), less that of an empty
 * interval (*empty_ns: two back-to-back clock reads).
 */
static double truth_pass(unsigned long (*truth)(void), unsigned long n,
			 unsigned long est_ns, double *empty_ns)
{
	unsigned long tn = n < 100000 ? n : 100000;
	double body = 0, empty = 0;

	if (!est_ns)
		est_ns = 1;
	if (tn * est_ns > 200000000UL)
		tn = 200000000UL / est_ns;
	if (tn < 100)
		tn = 100;
	for (unsigned long i = 0; i < tn; i++) {
		body += (double)truth();
		empty += (double)truth_empty();
	}
	*empty_ns = empty / (double)tn;
	return (body - empty) / (double)tn;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Mean ns per call of n calls of fn. */
static double time_block(long (*fn)(void), unsigned long n)
{
	unsigned long t0 = now_ns();

	for (unsigned long i = 0; i < n; i++)
		fn();
	return (double)(now_ns() - t0) / (double)n;
}

/* The time a block of FUNC's calls takes, about (see run_ab()). */
#define AB_BLOCK_NS 100000.0

/*
 * --ab: f->fn and f->twin, n calls each in blocks, alternating FUNC, twin,
 * twin, FUNC, ... Prints the totals per call and the median over block
 * pairs of the difference (see the top of the file).
 */
static int run_ab(const struct func *f, unsigned long n)
{
	unsigned long block, blocks;
	double sum_fn = 0, sum_twin = 0, *diff, est;

	/* Warm-up, untimed (as in `micro FUNC N`), then FUNC's time per
	 * call as traced, for the block size. */
	for (int i = 0; i < 100; i++) {
		f->fn();
		f->twin();
	}
	est = time_block(f->fn, 20);
	block = (unsigned long)(AB_BLOCK_NS / (est > 1 ? est : 1));
	if (block < 2)
		block = 2;
	blocks = n / block;
	if (blocks < 2)
		blocks = 2;
	diff = calloc(blocks, sizeof(*diff));
	if (!diff) {
		fprintf(stderr, "micro: out of memory\n");
		return 1;
	}
	for (unsigned long b = 0; b < blocks; b++) {
		double a, t;

		if (b & 1) {
			t = time_block(f->twin, block);
			a = time_block(f->fn, block);
		} else {
			a = time_block(f->fn, block);
			t = time_block(f->twin, block);
		}
		sum_fn += a;
		sum_twin += t;
		diff[b] = a - t;
	}
	qsort(diff, blocks, sizeof(*diff), cmp_double);
	double med = blocks & 1 ? diff[blocks / 2] :
				  (diff[blocks / 2 - 1] + diff[blocks / 2]) / 2;
	double empty, truth_ns = truth_pass(f->truth, n,
					    (unsigned long)(sum_twin / blocks),
					    &empty);
	printf("ns_per_call=%.1f twin_ns_per_call=%.1f added_ns_per_call=%.1f "
	       "added_mean_ns=%.1f blocks=%lu block=%lu truth_body_ns=%.1f\n",
	       sum_fn / blocks, sum_twin / blocks, med,
	       (sum_fn - sum_twin) / blocks, blocks, block, truth_ns);
	free(diff);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: micro FUNC N     (FUNC: micro --list)\n"
			"       micro --calibrate\n"
			"       micro --list\n"
			"       micro --rate HZ SECONDS FUNC\n"
			"       micro --ab FUNC N\n");
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
	int ab = argc == 4 && !strcmp(argv[1], "--ab");
	if (argc != 3 && !rate && !ab)
		return usage();
	const char *name = rate ? argv[4] : ab ? argv[2] : argv[1];

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
	unsigned long n = strtoul(argv[ab ? 3 : 2], &end, 10);
	if (errno || *end || n == 0)
		return usage();
	if (ab)
		return run_ab(f, n);

	/* Warm-up, untimed: the first call pays page faults, and under a
	 * uretprobe the per-thread trampoline set-up. */
	for (int i = 0; i < 100; i++)
		fn();

	const int parent = getenv("MICRO_PARENT_CPU") != NULL;
	unsigned long pc0 = parent ? parent_cpu_ns() : 0, pch = 0, th = 0;
	unsigned long t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if (parent && i == n / 2) {
			pch = parent_cpu_ns();
			th = now_ns();
		}
		fn();
	}
	unsigned long t1 = now_ns(), wall = t1 - t0;
	unsigned long pc1 = parent ? parent_cpu_ns() : 0;

	double empty;
	double truth_ns = truth_pass(truth, n, wall / n, &empty);

	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	printf("ns_per_call=%.1f truth_body_ns=%.1f cpu_ns=%lu",
	       (double)wall / n, truth_ns,
	       (unsigned long)cpu.tv_sec * 1000000000UL + cpu.tv_nsec);
	if (parent)
		printf(" parent_cpu_start_ns=%lu parent_cpu_loop_ns=%lu parent_cpu_half_ns=%lu half_ns=%lu",
		       pc0, pc1 - pc0, pc1 - pch, t1 - th);
	printf("\n");
	fprintf(stderr,
		"micro: %s N=%lu loops=%lu,%lu,%lu clock_read_ns=%.1f\n",
		argv[1], n, loops_50ns, loops_1us, loops_20us, empty);
	return 0;
}
