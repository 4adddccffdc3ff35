// SPDX-License-Identifier: MIT
/*
 * prog_exitin.c - a program that exits from inside a stage, as perl's
 * `exit` does from inside Perl_runops_standard: its last call never
 * returns.
 *
 *   prog_exitin STEPS OUT
 *
 * Calls stage_step() STEPS times (each ~0.2 ms of CPU), then stage_last(),
 * which spins ~30 ms of CPU, writes "open_ns N" to OUT (CLOCK_MONOTONIC from
 * its first statement to the write) and calls exit(0) inside the call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void spin_cpu(uint64_t ns)
{
	struct timespec ts;
	uint64_t t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	do {
		sink = sink * 31 + 7;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	} while (t - t0 < ns);
}

void stage_step(void);
void stage_last(const char *out);

__attribute__((noinline)) void stage_step(void)
{
	spin_cpu(200000);
}

__attribute__((noinline)) void stage_last(const char *out)
{
	uint64_t t0 = mono_ns();
	FILE *f;

	spin_cpu(30000000);
	f = fopen(out, "w");
	if (!f)
		exit(2);
	fprintf(f, "open_ns %llu\n", (unsigned long long)(mono_ns() - t0));
	fclose(f);
	exit(0);
}

int main(int argc, char **argv)
{
	long i, n;

	if (argc != 3 || (n = atol(argv[1])) < 0) {
		fprintf(stderr, "usage: prog_exitin STEPS OUT\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		stage_step();
	stage_last(argv[2]);
	return 1; /* not reached */
}
