// SPDX-License-Identifier: MIT
/*
 * prog_cancel.c - threads cancelled while inside probed functions:
 * pthread_cancel unwinds their stacks (a forced unwind through .eh_frame),
 * past the return address a return probe replaced.
 *
 *   prog_cancel N   N times: a thread enters middle() -> blocker(), which
 *                   sleeps; it is cancelled and joined. Prints
 *                   "cancelled N" (each join saw PTHREAD_CANCELED).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

long blocker(long x);
long middle(long x);

__attribute__((noinline)) long blocker(long x)
{
	sleep(10);
	return x + 1;
}

__attribute__((noinline)) long middle(long x)
{
	return blocker(x) * 2;
}

static void *worker(void *arg)
{
	return (void *)middle((long)arg);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10, ok = 0, i;
	pthread_t t;
	void *r;

	for (i = 0; i < n; i++) {
		if (pthread_create(&t, NULL, worker, (void *)i))
			return 1;
		usleep(20000);
		pthread_cancel(t);
		pthread_join(t, &r);
		ok += r == PTHREAD_CANCELED;
	}
	printf("cancelled %ld\n", ok);
	return 0;
}
