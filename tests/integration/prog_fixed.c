// SPDX-License-Identifier: MIT
/*
 * prog_fixed.c - a function of fixed cost and its unprobed twin, timed by
 * the program itself in the same run (issue 12: calibration).
 *
 *   prog_fixed ROUNDS CALLS
 *	ROUNDS times: CALLS calls of fixed_twin() (never probed), each timed
 *	on its own, then CALLS calls of fixed_probed() (the one traced): the
 *	same ~1 us of arithmetic. Prints on stdout "twin_min NS", "twin_mean
 *	NS" (the twin's blocks timed whole, less the thread's run-queue wait
 *	during them from /proc/self/task/TID/schedstat) and "probed_calls N".
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t fixed_twin(uint64_t x);
uint64_t fixed_probed(uint64_t x);

/* The arithmetic both functions run: the same instructions. */
#define FIXED_BODY                                       \
	do {                                             \
		for (int i = 0; i < 900; i++) {          \
			x = x * 6364136223846793005ull + \
			    1442695040888963407ull;      \
			__asm__ volatile("" : "+r"(x));  \
		}                                        \
	} while (0)

__attribute__((noinline)) uint64_t fixed_twin(uint64_t x)
{
	FIXED_BODY;
	return x;
}

__attribute__((noinline)) uint64_t fixed_probed(uint64_t x)
{
	FIXED_BODY;
	return x;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's run-queue wait so far (schedstat's second field). */
static uint64_t runq_ns(void)
{
	char path[64];
	uint64_t cpu = 0, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat",
		 (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64 " %" SCNu64, &cpu, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

int main(int argc, char **argv)
{
	uint64_t x = 1, min = UINT64_MAX, sum = 0, blocks = 0, t0, t1, q0, q1;
	long rounds, calls, r, i;

	if (argc != 3 || (rounds = atol(argv[1])) <= 0 ||
	    (calls = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: prog_fixed ROUNDS CALLS\n");
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		/* Each twin call alone: its least cost. */
		for (i = 0; i < calls / 4; i++) {
			t0 = now_ns();
			x = fixed_twin(x);
			t1 = now_ns();
			if (t1 - t0 < min)
				min = t1 - t0;
		}
		/* A block of twin calls, its run-queue wait out (exact with
		 * task_delayacct); kept only if that wait fell inside it. */
		q0 = runq_ns();
		t0 = now_ns();
		for (i = 0; i < calls; i++)
			x = fixed_twin(x);
		t1 = now_ns();
		q1 = runq_ns() - q0;
		if (q1 < t1 - t0) {
			sum += t1 - t0 - q1;
			blocks++;
		}
		for (i = 0; i < calls; i++)
			x = fixed_probed(x);
	}
	printf("twin_min %" PRIu64 "\ntwin_mean %" PRIu64
	       "\nprobed_calls %ld\nresult %" PRIu64 "\n",
	       min, blocks ? sum / (blocks * (uint64_t)calls) : 0,
	       rounds * calls, x & 1);
	return 0;
}
