// SPDX-License-Identifier: MIT
/*
 * prog_nestcost.c - an outer stage wrapping many cheap inner stage calls,
 * and its unprobed twin as the truth of what the outer call takes.
 *
 *   prog_nestcost ROUNDS INNER_CALLS
 *
 * Each round calls outer() once (INNER_CALLS calls of inner(), ~50 ns of
 * work each), then twin_outer(), the same code calling twin_inner(), which
 * nobody probes (trace with -s outer -s inner), timed with CLOCK_MONOTONIC.
 * Interleaved, so that a slower machine slows both. Both are also timed in
 * the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: no wait for a CPU in it),
 * outer() with its probes' cost. At the end prints to standard error, per
 * round: "nestcost: rounds N twin_mean NS twin_median NS twin_cpu NS
 * outer_cpu NS cost_p10 NS cost_p90 NS half1 NS half2 NS": the last four
 * of what the probes cost a round (outer's CPU time less its twin's), the
 * 10th and 90th percentile over rounds and the mean over the first and the
 * second half of them (how much that cost itself moves within one run),
 * then "outer_mean NS": outer()'s own wall-clock mean (untraced, the
 * truth of what pipetrace's mean of it should read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pipetrace/stage.h>

#define MAX_ROUNDS 100000

long inner(long n);
long twin_inner(long n);
long outer(void);
long twin_outer(void);

static long inner_calls;
static volatile long sink;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* The same body for a function and its twin: a fixed amount of work. */
#define INNER_BODY                                \
	{                                         \
		long i, x = n;                    \
		for (i = 0; i < 24; i++)          \
			x = x * 7 + (x >> 3) + i; \
		return x & 1;                     \
	}
#define OUTER_BODY(callee)                        \
	{                                         \
		long i, n = 0;                    \
		for (i = 0; i < inner_calls; i++) \
			n += callee(i);           \
		return n;                         \
	}

PIPETRACE_NOINLINE long inner(long n) INNER_BODY PIPETRACE_NOINLINE
	long twin_inner(long n) INNER_BODY PIPETRACE_NOINLINE long outer(void)
		OUTER_BODY(inner) PIPETRACE_NOINLINE long twin_outer(void)
			OUTER_BODY(twin_inner)

	/* The calling thread's CPU time (user and system). */
	static long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static long lat[MAX_ROUNDS], cost[MAX_ROUNDS];
	long rounds, r, t0, c0, c1, sum = 0, outer_cpu = 0, twin_cpu = 0;
	long outer_sum = 0;
	long half[2] = { 0, 0 };

	if (argc != 3) {
		fprintf(stderr, "usage: prog_nestcost ROUNDS INNER_CALLS\n");
		return 2;
	}
	rounds = atol(argv[1]);
	inner_calls = atol(argv[2]);
	if (rounds < 1 || rounds > MAX_ROUNDS || inner_calls < 0)
		return 2;
	for (r = 0; r < rounds; r++) {
		c0 = cpu_ns();
		t0 = now_ns();
		sink = outer();
		outer_sum += now_ns() - t0;
		c1 = cpu_ns() - c0;
		outer_cpu += c1;
		c0 = cpu_ns();
		t0 = now_ns();
		sink = twin_outer();
		lat[r] = now_ns() - t0;
		c0 = cpu_ns() - c0;
		twin_cpu += c0;
		cost[r] = c1 - c0;
		half[r >= rounds / 2] += cost[r];
		sum += lat[r];
	}
	qsort(lat, rounds, sizeof(lat[0]), cmp_long);
	qsort(cost, rounds, sizeof(cost[0]), cmp_long);
	fprintf(stderr,
		"nestcost: rounds %ld twin_mean %ld twin_median %ld twin_cpu %ld outer_cpu %ld"
		" cost_p10 %ld cost_p90 %ld half1 %ld half2 %ld outer_mean %ld\n",
		rounds, sum / rounds, lat[rounds / 2], twin_cpu / rounds,
		outer_cpu / rounds, cost[rounds / 10],
		cost[rounds - 1 - rounds / 10],
		half[0] / (rounds > 1 ? rounds / 2 : 1),
		half[1] / (rounds - rounds / 2), outer_sum / rounds);
	return 0;
}
