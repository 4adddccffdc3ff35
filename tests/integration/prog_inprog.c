// SPDX-License-Identifier: MIT
/*
 * prog_inprog.c - a stage still open when the trace ends, and a thread
 * blocked on a condition variable throughout, each keeping its own books.
 *
 *   prog_inprog NAP_MS OUT
 *
 * A worker thread waits on a condition variable until the main thread is
 * done. The main thread writes its pid to OUT.pid once the worker waits,
 * reads one line from stdin (the gate: attach first), then calls
 * stage_nap(), which sleeps NAP_MS in clock_nanosleep. At exit OUT gets
 * "key value" lines, CLOCK_MONOTONIC ns and /proc schedstat ns:
 *   pre_ns     just before the call      in_ns   the stage's first statement
 *   post_ns    just after it returned
 *   cpu_ns, rq_ns   the main thread's on-CPU and run-queue time from pre_ns
 *                   to post_ns (its schedstat)
 *   worker_wait_ns  how long the worker waited (its own clock)
 * OUT.in is written inside the stage, after in_ns: the stage is open.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, done;
static uint64_t in_ns, worker_wait_ns;
static const char *out_path;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's on-CPU and run-queue ns from its schedstat. */
static void schedstat(uint64_t *cpu, uint64_t *rq)
{
	char path[64];
	unsigned long long c = 0, r = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", gettid());
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu %llu", &c, &r) != 2)
		c = r = 0;
	if (f)
		fclose(f);
	*cpu = c;
	*rq = r;
}

static void *worker(void *arg)
{
	uint64_t t0 = mono_ns();

	pthread_mutex_lock(&mu);
	waiting = 1;
	while (!done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	worker_wait_ns = mono_ns() - t0;
	return arg;
}

static void write_file(const char *suffix, const char *fmt, uint64_t v)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", out_path, suffix);
	f = fopen(path, "w");
	if (!f)
		exit(1);
	fprintf(f, fmt, (unsigned long long)v);
	fclose(f);
}

long stage_nap(long ms);
PIPETRACE_NOINLINE long stage_nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	in_ns = mono_ns();
	write_file(".in", "%llu\n", in_ns);
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts))
		;
	return 1;
}
PIPETRACE_STAGE(stage_nap);

/* Starts the worker and returns once it waits on the condition variable
 * (its futex wait follows the unlock inside pthread_cond_wait at once). */
static pthread_t start_worker(void)
{
	struct timespec ms10 = { 0, 10000000 };
	pthread_t th;
	int w = 0;

	if (pthread_create(&th, NULL, worker, NULL))
		exit(1);
	while (!w) {
		pthread_mutex_lock(&mu);
		w = waiting;
		pthread_mutex_unlock(&mu);
		nanosleep(&ms10, NULL);
	}
	nanosleep(&ms10, NULL);
	return th;
}

int main(int argc, char **argv)
{
	uint64_t pre, post, c0, r0, c1, r1;
	char line[16];
	pthread_t th;
	FILE *f;

	if (argc != 3)
		return 2;
	out_path = argv[2];
	th = start_worker();
	write_file(".pid", "%llu\n", (uint64_t)getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	schedstat(&c0, &r0);
	pre = mono_ns();
	stage_nap(atol(argv[1]));
	post = mono_ns();
	schedstat(&c1, &r1);
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	f = fopen(out_path, "w");
	if (!f)
		return 1;
	fprintf(f, "pre_ns %llu\nin_ns %llu\npost_ns %llu\n",
		(unsigned long long)pre, (unsigned long long)in_ns,
		(unsigned long long)post);
	fprintf(f, "cpu_ns %llu\nrq_ns %llu\nworker_wait_ns %llu\n",
		(unsigned long long)(c1 - c0), (unsigned long long)(r1 - r0),
		(unsigned long long)worker_wait_ns);
	return fclose(f) ? 1 : 0;
}
