// SPDX-License-Identifier: MIT
/*
 * iocall - what a tracer adds to each libc I/O call, measured in one
 * process (a busy host slows both halves alike).
 *
 *   iocall N BLOCKS   BLOCKS pairs of blocks, in turn: N one-byte write()s
 *                     to /dev/null through libc's wrapper, then N through
 *                     syscall(SYS_write, ...), which no libc I/O probe
 *                     sees. Prints "libc_ns=<a> raw_ns=<b> diff_ns=<c>":
 *                     the medians over the blocks of the thread CPU time
 *                     (CLOCK_THREAD_CPUTIME_ID: run-queue waits left out)
 *                     per call, and of the per-pair difference.
 *
 * The difference untraced is the wrappers' own; traced, less that, it is
 * what the tracer adds per libc I/O call (scripts/bench-libcio.sh).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_BLOCKS 1000

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One block of n writes of c to fd; its thread CPU ns per call. */
static double block(int fd, long n, int raw)
{
	char c = 'x';
	double t0 = cpu_ns();
	long i;

	for (i = 0; i < n; i++)
		if ((raw ? syscall(SYS_write, fd, &c, 1) : write(fd, &c, 1)) !=
		    1)
			exit(1);
	return (cpu_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	static double libc[MAX_BLOCKS], raw[MAX_BLOCKS], diff[MAX_BLOCKS];
	long n = argc == 3 ? atol(argv[1]) : 0;
	int blocks = argc == 3 ? atoi(argv[2]) : 0, fd, b;

	if (n <= 0 || blocks <= 0 || blocks > MAX_BLOCKS) {
		fprintf(stderr, "usage: iocall N BLOCKS (BLOCKS <= %d)\n",
			MAX_BLOCKS);
		return 2;
	}
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 1;
	for (b = 0; b < blocks; b++) {
		libc[b] = block(fd, n, 0);
		raw[b] = block(fd, n, 1);
		diff[b] = libc[b] - raw[b];
	}
	printf("libc_ns=%.1f raw_ns=%.1f diff_ns=%.1f\n", median(libc, blocks),
	       median(raw, blocks), median(diff, blocks));
	return 0;
}
