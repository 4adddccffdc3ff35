// SPDX-License-Identifier: MIT
/*
 * prog_churn.c - many short-lived threads, few alive at once: the thread
 * slots must be recycled at each exit for every call to be counted.
 *
 *   prog_churn THREADS CALLS ALIVE
 *
 * Starts THREADS threads in waves of ALIVE (each wave joined before the
 * next starts), each calling churn_stage() CALLS times; churn_stage(i)
 * returns 1, so the stage's items equal its calls. Prints the calls made.
 *
 *   prog_churn --together THREADS
 *
 * Starts THREADS - 1 threads that all wait at a barrier with the main
 * thread (THREADS alive at once), each calling churn_stage() once after it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipetrace/stage.h>

long churn_stage(long i);

static long calls;
static pthread_barrier_t barrier;

PIPETRACE_NOINLINE long churn_stage(long i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
	return 1;
}
PIPETRACE_STAGE(churn_stage);

static void *worker(void *arg)
{
	long i, n = 0;

	for (i = 0; i < calls; i++)
		n += churn_stage(i);
	return (void *)n;
}

static void *waiter(void *arg)
{
	pthread_barrier_wait(&barrier);
	churn_stage(0);
	return NULL;
}

/* Waves of `alive` threads; returns the calls they report, or -1. */
static long churn(long threads, long alive)
{
	pthread_t tid[64];
	long done = 0, k, total = 0;
	void *r;

	while (done < threads) {
		for (k = 0; k < alive && done + k < threads; k++)
			if (pthread_create(&tid[k], NULL, worker, NULL))
				return -1;
		for (k = 0; k < alive && done + k < threads; k++) {
			pthread_join(tid[k], &r);
			total += (long)r;
		}
		done += k;
	}
	return total;
}

/* `threads` threads alive at once (the main one included). */
static int together(long threads)
{
	pthread_t tid[256];
	long k;

	if (pthread_barrier_init(&barrier, NULL, (unsigned int)threads))
		return 1;
	for (k = 0; k < threads - 1; k++)
		if (pthread_create(&tid[k], NULL, waiter, NULL))
			return 1;
	pthread_barrier_wait(&barrier);
	churn_stage(0);
	for (k = 0; k < threads - 1; k++)
		pthread_join(tid[k], NULL);
	printf("%ld threads together\n", threads);
	return 0;
}

int main(int argc, char **argv)
{
	long threads, alive, total;

	if (argc == 3 && !strcmp(argv[1], "--together")) {
		threads = atol(argv[2]);
		if (threads < 1 || threads > 256)
			return 2;
		return together(threads);
	}
	if (argc != 4)
		return 2;
	threads = atol(argv[1]);
	calls = atol(argv[2]);
	alive = atol(argv[3]);
	if (threads < 0 || calls < 0 || alive < 1 || alive > 64)
		return 2;
	total = churn(threads, alive);
	if (total < 0)
		return 1;
	printf("%ld calls\n", total);
	return 0;
}
