// SPDX-License-Identifier: MIT
/*
 * allocloop - malloc/free pairs timed in batches, for the bench's
 * in-process A/B of --alloc (scripts/bench-alloc.sh): the same loop before,
 * while and after pipetrace traces it, so that the ratio is within one
 * process and one run.
 *
 *   allocloop SECONDS [PAIRS]
 *
 * For SECONDS, batches of malloc(64)/free() pairs, PAIRS (default 100) at
 * a time until the batch has run 10 ms; after each batch one line: its end
 * (CLOCK_REALTIME, ns) and its ns per pair. Exits 0, or 1 if malloc
 * failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH_NS 10000000ull /* a batch runs at least 10 ms */

static unsigned long long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

/* n pairs; 0, or -1 if malloc failed. */
static int pairs(long n)
{
	/* volatile: each block is written, so the pair is not elided. */
	char *volatile p;
	long i;

	for (i = 0; i < n; i++) {
		p = malloc(64);
		if (!p)
			return -1;
		p[0] = (char)i;
		free(p);
	}
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	long n = argc > 2 ? atol(argv[2]) : 100, done;
	unsigned long long end, t0, t1;

	if (n <= 0 || secs <= 0) {
		fprintf(stderr, "usage: allocloop SECONDS [PAIRS]\n");
		return 2;
	}
	end = now_ns(CLOCK_MONOTONIC) + (unsigned long long)(secs * 1e9);
	do {
		t0 = now_ns(CLOCK_MONOTONIC);
		done = 0;
		do {
			if (pairs(n))
				return 1;
			done += n;
			t1 = now_ns(CLOCK_MONOTONIC);
		} while (t1 - t0 < BATCH_NS);
		printf("%llu %.1f\n", now_ns(CLOCK_REALTIME),
		       (double)(t1 - t0) / (double)done);
		fflush(stdout);
	} while (t1 < end);
	return 0;
}
