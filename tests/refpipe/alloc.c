// SPDX-License-Identifier: MIT
/*
 * alloc.c - refpipe's heap calls, counted per stage.
 *
 * Every malloc/calloc/realloc/free refpipe itself makes goes through these
 * wrappers, which call the real libc function (once; a uprobe on libc's
 * malloc sees exactly these calls, at the address libc returns) and add it
 * to the counters of the stage whose code made it, or to the setup counters
 * (RP_OUTSIDE) outside every stage. Sizes are not stored in a header or a
 * table: callers pass the size of the block they free, which they keep
 * anyway (batch capacities, buffer caps).
 *
 *   alloc_calls  calls that returned memory; a failed call is not counted
 *   alloc_bytes  the sizes they requested (calloc: nmemb * size)
 *   free_calls   free() of a non-NULL pointer
 *   freed_bytes  sizes of the blocks released: by free(), and the old block
 *                of a realloc() of a non-NULL pointer (moved or not)
 *
 * So alloc_bytes - freed_bytes summed over stages and setup is what is
 * still allocated, and a realloc(non-NULL) is one alloc call that also
 * releases a block, without a free call. The stages make no other heap
 * calls: their stdio use is snprintf() into their own buffers, and strtod
 * of short numbers does not allocate. Libraries' allocations (libc's thread
 * setup, json-c building the self-report) are not counted.
 */
#include <stdlib.h>

#include "refpipe.h"

/* ------------------------------------------------------------- counters */

static struct rp_alloc_stats *alloc_stats(struct rp_pipeline *p,
					  enum rp_stage st)
{
	return st == RP_OUTSIDE ? &p->outside_alloc : &p->stats[st].alloc;
}

/* Relaxed atomics: a stage's counters are only written by its thread, but
 * stay exact if a stage ever runs on several threads at once. */
static void count_alloc(struct rp_pipeline *p, enum rp_stage st, size_t n)
{
	struct rp_alloc_stats *a = alloc_stats(p, st);

	__atomic_fetch_add(&a->alloc_calls, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&a->alloc_bytes, (uint64_t)n, __ATOMIC_RELAXED);
}

static void count_release(struct rp_pipeline *p, enum rp_stage st, size_t size,
			  bool is_free)
{
	struct rp_alloc_stats *a = alloc_stats(p, st);

	if (is_free)
		__atomic_fetch_add(&a->free_calls, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&a->freed_bytes, (uint64_t)size, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------- wrappers */

void *rp_malloc(struct rp_pipeline *p, enum rp_stage st, size_t n)
{
	void *m = malloc(n);

	if (m)
		count_alloc(p, st, n);
	return m;
}

void *rp_calloc(struct rp_pipeline *p, enum rp_stage st, size_t nmemb,
		size_t size)
{
	void *m = calloc(nmemb, size);

	if (m)
		count_alloc(p, st,
			    nmemb * size); /* no overflow: it succeeded */
	return m;
}

void *rp_realloc(struct rp_pipeline *p, enum rp_stage st, void *old,
		 size_t old_size, size_t n)
{
	void *m = realloc(old, n);

	if (m) {
		count_alloc(p, st, n);
		if (old)
			count_release(p, st, old_size, false);
	}
	return m;
}

void rp_free(struct rp_pipeline *p, enum rp_stage st, void *m, size_t size)
{
	if (!m)
		return;
	free(m);
	count_release(p, st, size, true);
}

/* ------------------------------------------------------------------ leak */

/* --leak: malloc n bytes, write them (so they are resident) and drop the
 * pointer; returns 0, or -1 if out of memory. */
int rp_leak(struct rp_pipeline *p, enum rp_stage st, size_t n)
{
	unsigned char *m = rp_malloc(p, st, n);

	if (!m)
		return -1;
	for (size_t i = 0; i < n; i += 4096)
		m[i] = 0xa5;
	/* keep the malloc and the writes: the compiler may not elide them */
	__asm__ volatile("" : : "r"(m) : "memory");
	return 0;
}
