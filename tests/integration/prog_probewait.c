// SPDX-License-Identifier: MIT
/*
 * prog_probewait.c - a stage preempted where a probe's address test could
 * mistake the program's own code for the stage's probe (issue 16), with
 * the program's own books.
 *
 *   prog_probewait alloc CALLS N
 *	churn() (a stage) makes N malloc()/free() pairs per call: under
 *	--alloc, free's entry probe is single-stepped in the uprobe area and
 *	malloc returns through the return trampoline, both inside churn().
 *   prog_probewait top CALLS N
 *	spin_top() (a stage, in assembly) spins N times in a loop that
 *	starts at its first instruction, within a few bytes of its entry
 *	probe.
 *
 * A thread of the program's own spins on the same CPU as the main thread
 * throughout, so that the main thread waits for the CPU inside the stage
 * about half the time. Prints "calls N lat NS rq NS": the calls, the sum
 * of their CLOCK_MONOTONIC spans and of the main thread's run-queue wait
 * inside them (schedstat's second field, read before and after each call;
 * run-queue time needs delay accounting or schedstats on).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

long churn(long n);
long spin_top(long n);

/* The loop starts at the function's second instruction, one byte past
 * its entry probe (a push, which the kernel emulates). */
__asm__(".text\n"
	".globl spin_top\n"
	".type spin_top, @function\n"
	"spin_top:\n"
	"	push %rbp\n"
	"1:	dec %rdi\n"
	"	jnz 1b\n"
	"	pop %rbp\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".size spin_top, .-spin_top\n");
PIPETRACE_STAGE(spin_top);

static void *volatile sink;

PIPETRACE_NOINLINE long churn(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		sink = malloc(48 + (i & 7) * 16);
		free(sink);
	}
	return n;
}
PIPETRACE_STAGE(churn);

static atomic_int stop;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* This thread's run-queue wait so far (ns), or -1. */
static long run_delay(int fd)
{
	char buf[128];
	unsigned long long cpu, rq;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &cpu, &rq) != 2)
		return -1;
	return (long)rq;
}

static int pin(pthread_t th, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(th, sizeof(set), &set);
}

static void *hog(void *arg)
{
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return arg;
}

int main(int argc, char **argv)
{
	long calls, n, i, t0, r0, r1, lat = 0, rq = 0;
	int fd, cpu, top;
	pthread_t th;

	if (argc != 4 || (strcmp(argv[1], "alloc") && strcmp(argv[1], "top"))) {
		fprintf(stderr, "usage: prog_probewait alloc|top CALLS N\n");
		return 2;
	}
	top = !strcmp(argv[1], "top");
	calls = atol(argv[2]);
	n = atol(argv[3]);
	fd = open("/proc/thread-self/schedstat", O_RDONLY);
	cpu = sched_getcpu();
	if (fd < 0 || cpu < 0 || pin(pthread_self(), cpu))
		return 1;
	if (pthread_create(&th, NULL, hog, NULL) || pin(th, cpu))
		return 1;
	for (i = 0; i < calls; i++) {
		r0 = run_delay(fd);
		t0 = now_ns();
		if (top)
			spin_top(n);
		else
			churn(n);
		lat += now_ns() - t0;
		r1 = run_delay(fd);
		if (r0 < 0 || r1 < r0)
			return 1;
		rq += r1 - r0;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("calls %ld lat %ld rq %ld\n", calls, lat, rq);
	return 0;
}
