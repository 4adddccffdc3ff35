// SPDX-License-Identifier: MIT
/*
 * prog_acct.c - a sample program that keeps its own books: it counts its
 * stage calls, heap calls and bytes, and times its sleep with its own clock,
 * and writes those figures to OUT ("key value" lines) when it is done.
 *
 *   prog_acct count N OUT    stage_count() N times: malloc(100), free()
 *   prog_acct race N OUT     N stage_r calls on one thread while 3
 *                            others make N stage_m calls each:
 *                            stage_r: p = malloc(64), g = malloc(64),
 *                            p = realloc(p, 1024) (moves: g is in the way),
 *                            free(g), free(p); stage_m: malloc(64), free()
 *   prog_acct gated N OUT    as count, once a line arrives on stdin
 *   prog_acct alternate N OUT  stage_a(), stage_b() in turn, N times each:
 *                            one malloc(32) and its free() per call
 *   prog_acct hold N OUT     stage_hold() once: N x malloc(64), all kept,
 *                            then all freed
 *   prog_acct fail N OUT     stage_fail() N times: p = malloc(64), a
 *                            realloc(p, 2^62) that fails, free(p)
 *   prog_acct sleep 0 OUT    writes its pid to OUT.pid, then stage_sleep():
 *                            nanosleep(1 s) once, timed (sleep_ns)
 *
 * Keys in OUT: STAGE_calls, STAGE_allocs, STAGE_alloc_bytes, STAGE_frees,
 * STAGE_freed_bytes (a realloc's old block counts as freed), sleep_ns.
 * With `race`, run it with GLIBC_TUNABLES=glibc.malloc.tcache_count=0 and
 * it takes one arena for all threads (mallopt), so that the block realloc
 * frees can go to the other thread before realloc returns.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

#define RACE_M 3 /* stage_m threads */

/* One stage's own books. */
struct book {
	const char *name;
	uint64_t calls, allocs, alloc_bytes, frees, freed_bytes;
};

enum { B_COUNT, B_R, B_M, B_A, B_B, B_HOLD, B_SLEEP, B_FAIL, B_NR };

static struct book books[B_NR] = {
	[B_COUNT] = { "stage_count" }, [B_R] = { "stage_r" },
	[B_M] = { "stage_m" },	       [B_A] = { "stage_a" },
	[B_B] = { "stage_b" },	       [B_HOLD] = { "stage_hold" },
	[B_SLEEP] = { "stage_sleep" }, [B_FAIL] = { "stage_fail" },
};
/* A size no realloc() can give (not a constant: the compiler would say). */
static volatile size_t huge = (size_t)1 << 62;
static uint64_t sleep_ns;

long stage_count(void);
long stage_r(void);
long stage_m(void);
long stage_a(void);
long stage_b(void);
long stage_hold(void **v, long n);
long stage_sleep(void);
long stage_fail(void);

/* The books are shared by threads (race: several stage_m threads). */
static void add(uint64_t *v, uint64_t n)
{
	__atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

static void *book_malloc(struct book *b, size_t size)
{
	void *p = malloc(size);

	if (!p)
		exit(2);
	add(&b->allocs, 1);
	add(&b->alloc_bytes, size);
	return p;
}

static void book_free(struct book *b, void *p, size_t size)
{
	free(p);
	add(&b->frees, 1);
	add(&b->freed_bytes, size);
}

PIPETRACE_NOINLINE long stage_count(void)
{
	book_free(&books[B_COUNT], book_malloc(&books[B_COUNT], 100), 100);
	books[B_COUNT].calls++;
	return 1;
}
PIPETRACE_STAGE(stage_count);

PIPETRACE_NOINLINE long stage_r(void)
{
	struct book *b = &books[B_R];
	char *p = book_malloc(b, 64), *g = book_malloc(b, 64), *q;

	p[0] = g[0] = 1;
	q = realloc(p, 1024);
	if (!q)
		exit(2);
	add(&b->allocs, 1);
	add(&b->alloc_bytes, 1024);
	add(&b->freed_bytes, 64); /* the old block */
	book_free(b, g, 64);
	book_free(b, q, 1024);
	b->calls++;
	return 1;
}
PIPETRACE_STAGE(stage_r);

PIPETRACE_NOINLINE long stage_m(void)
{
	char *p = book_malloc(&books[B_M], 64);

	p[0] = 1;
	book_free(&books[B_M], p, 64);
	add(&books[B_M].calls, 1);
	return 1;
}
PIPETRACE_STAGE(stage_m);

PIPETRACE_NOINLINE long stage_a(void)
{
	book_free(&books[B_A], book_malloc(&books[B_A], 32), 32);
	books[B_A].calls++;
	return 1;
}
PIPETRACE_STAGE(stage_a);

PIPETRACE_NOINLINE long stage_b(void)
{
	book_free(&books[B_B], book_malloc(&books[B_B], 32), 32);
	books[B_B].calls++;
	return 1;
}
PIPETRACE_STAGE(stage_b);

PIPETRACE_NOINLINE long stage_hold(void **v, long n)
{
	long i;

	for (i = 0; i < n; i++)
		v[i] = book_malloc(&books[B_HOLD], 64);
	for (i = 0; i < n; i++)
		book_free(&books[B_HOLD], v[i], 64);
	books[B_HOLD].calls++;
	return n;
}
PIPETRACE_STAGE(stage_hold);

/* realloc() that fails: the block stays the program's, and is freed. */
PIPETRACE_NOINLINE long stage_fail(void)
{
	char *p = book_malloc(&books[B_FAIL], 64);

	p[0] = 1;
	if (realloc(p, huge))
		exit(2);
	book_free(&books[B_FAIL], p, 64);
	books[B_FAIL].calls++;
	return 1;
}
PIPETRACE_STAGE(stage_fail);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

PIPETRACE_NOINLINE long stage_sleep(void)
{
	struct timespec req = { .tv_sec = 1 }, rem;
	uint64_t t0 = now_ns();

	/* SIGSTOP/SIGCONT restart it in the kernel (restart_syscall); no
	 * handler, so no EINTR, but be safe. */
	while (nanosleep(&req, &rem) && errno == EINTR)
		req = rem;
	sleep_ns = now_ns() - t0;
	books[B_SLEEP].calls++;
	return 1;
}
PIPETRACE_STAGE_NOITEMS(stage_sleep);

static void *m_thread(void *arg)
{
	long i, n = *(long *)arg;

	for (i = 0; i < n; i++)
		stage_m();
	return NULL;
}

/* stage_r on this thread, stage_m on RACE_M others: more threads than
 * CPUs, so that realloc's caller is often preempted between its return
 * and its return probe, when the others may be given its old block. */
static void race(long n)
{
	pthread_t th[RACE_M];
	long i;

	for (i = 0; i < RACE_M; i++)
		if (pthread_create(&th[i], NULL, m_thread, &n))
			exit(2);
	for (i = 0; i < n; i++)
		stage_r();
	for (i = 0; i < RACE_M; i++)
		pthread_join(th[i], NULL);
}

/* stage_hold() with its pointer array allocated outside the stage. */
static void hold(long n)
{
	void **v = calloc((size_t)n, sizeof(*v));

	if (!v)
		exit(2);
	stage_hold(v, n);
	free(v);
}

static void write_pid(const char *out)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.pid", out);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static int write_books(const char *out)
{
	FILE *f = fopen(out, "w");
	size_t i;

	if (!f)
		return 2;
	for (i = 0; i < B_NR; i++)
		fprintf(f,
			"%s_calls %llu\n%s_allocs %llu\n%s_alloc_bytes %llu\n"
			"%s_frees %llu\n%s_freed_bytes %llu\n",
			books[i].name, (unsigned long long)books[i].calls,
			books[i].name, (unsigned long long)books[i].allocs,
			books[i].name, (unsigned long long)books[i].alloc_bytes,
			books[i].name, (unsigned long long)books[i].frees,
			books[i].name,
			(unsigned long long)books[i].freed_bytes);
	fprintf(f, "sleep_ns %llu\n", (unsigned long long)sleep_ns);
	return fclose(f) ? 2 : 0;
}

static void run(const char *mode, long n, const char *out)
{
	long i;

	if (!strcmp(mode, "gated") && getchar() == EOF)
		exit(2);
	if (!strcmp(mode, "count") || !strcmp(mode, "gated"))
		for (i = 0; i < n; i++)
			stage_count();
	else if (!strcmp(mode, "race"))
		race(n);
	else if (!strcmp(mode, "alternate"))
		for (i = 0; i < n; i++)
			stage_a(), stage_b();
	else if (!strcmp(mode, "fail"))
		for (i = 0; i < n; i++)
			stage_fail();
	else if (!strcmp(mode, "hold"))
		hold(n);
	else if (!strcmp(mode, "sleep"))
		write_pid(out), stage_sleep();
	else
		exit(2);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: prog_acct MODE N OUT\n");
		return 2;
	}
	mallopt(M_ARENA_MAX, 1);
	run(argv[1], strtol(argv[2], NULL, 10), argv[3]);
	return write_books(argv[3]);
}
