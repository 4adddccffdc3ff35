// SPDX-License-Identifier: MIT
/*
 * prog_nested.c - a sample program whose stage calls are known exactly:
 * nested stages, recursion, and threads created after pipetrace attaches.
 *
 *   prog_nested THREADS OUTER_CALLS RECURSE_CALLS RECURSE_DEPTH
 *
 * Each thread calls outer() OUTER_CALLS times (each calls inner() 3 times,
 * inner() spins ~20 us) and recurse(RECURSE_DEPTH) RECURSE_CALLS times
 * (RECURSE_DEPTH + 1 nested calls; the call with k levels below it returns
 * k + 1).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pipetrace/stage.h>

static long args[4];

long inner(long spin_ns);
long outer(long spin_ns);
long recurse(long depth);

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

PIPETRACE_NOINLINE long inner(long spin_ns)
{
	long end = now_ns() + spin_ns;

	while (now_ns() < end)
		;
	return 1;
}
PIPETRACE_STAGE(inner);

PIPETRACE_NOINLINE long outer(long spin_ns)
{
	long n = 0;
	int i;

	for (i = 0; i < 3; i++)
		n += inner(spin_ns);
	return n;
}
PIPETRACE_STAGE(outer);

PIPETRACE_NOINLINE long recurse(long depth)
{
	long r;

	if (depth == 0)
		return 1;
	r = recurse(depth - 1);
	__asm__ volatile("" : "+r"(r)::"memory"); /* not a tail call */
	return r + 1;
}
PIPETRACE_STAGE(recurse);

static void *worker(void *arg)
{
	long i;

	for (i = 0; i < args[1]; i++)
		outer(20000);
	for (i = 0; i < args[2]; i++)
		recurse(args[3]);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	long i, n;

	if (argc != 5) {
		fprintf(stderr,
			"usage: prog_nested THREADS OUTER RECURSE DEPTH\n");
		return 2;
	}
	for (i = 0; i < 4; i++)
		args[i] = atol(argv[i + 1]);
	n = args[0];
	if (n < 1 || n > 64)
		return 2;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker, NULL))
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
