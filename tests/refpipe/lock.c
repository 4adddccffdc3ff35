// SPDX-License-Identifier: MIT
/*
 * lock.c - --workers N --lock STAGE: lock contention of known size.
 *
 * N threads "rp-worker-0".."rp-worker-<N-1>" are started before the run and
 * joined after it. At the end of each call, the --lock stage hands the
 * call's items (its return value) to them and blocks on a condition
 * variable until all are done. Each worker repeatedly locks the one shared
 * pthread mutex, takes the next item (an index guarded by the mutex), does
 * RP_LOCK_WORK_ITERS iterations of arithmetic (~2 us) for it holding the
 * mutex, and unlocks it, until no item is left.
 *
 * The mutex is a plain (non-adaptive) one and nobody spins: with N >= 2 one
 * worker holds it while the others sleep in futex(2) waiting for it, and
 * the stage thread sleeps in futex(2) (its condition variable) waiting for
 * them. Two things keep all N contending however unfair the mutex and
 * however few CPUs are free: items are taken one at a time, not as a fixed
 * share each, and the first worker to see a batch holds the mutex until
 * every worker has seen it (the gate), so all are queued on it when the
 * work starts; otherwise the first to run could do the whole batch before
 * the others had a CPU. With N = 1 the mutex is never contended: the same
 * work, done on-CPU by one worker.
 *
 * The workers run SCHED_BATCH, which only differs from the default in that
 * a woken thread never preempts the running one. Otherwise, on a machine
 * with no CPU to spare, the worker woken by the stage thread would preempt
 * it between the wakeup and its pthread_cond_wait(), and the stage thread
 * would spend the batch runnable (run-queue time) instead of waiting.
 *
 * Time is measured with CLOCK_MONOTONIC: around pthread_mutex_lock()
 * (wait_ns; a worker woken but waiting for a CPU there counts too), from
 * its return to just before pthread_mutex_unlock() (hold_ns), both summed
 * over workers, and around the stage thread's hand out and wait (join_ns).
 * The stage's own counters (stages.c) are untouched: its calls and items
 * are the same as without --lock, and its cpu_ns is the stage thread's only.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "refpipe.h"

/* ----------------------------------------------------------------- work */

/* The work done holding the lock for one item: deterministic arithmetic. */
static uint64_t item_work(uint64_t x)
{
	for (unsigned int i = 0; i < RP_LOCK_WORK_ITERS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/*
 * Take items of the current batch (n of them) one lock at a time until none
 * is left; add the times to *wait and *hold, and return the work's result.
 */
static uint64_t take_items(struct rp_lockpool *pool, size_t n, uint64_t *wait,
			   uint64_t *hold)
{
	uint64_t sum = 0, t0, t1, t2;
	size_t i;

	do {
		t0 = rp_clock_ns(CLOCK_MONOTONIC);
		pthread_mutex_lock(&pool->lock);
		t1 = rp_clock_ns(CLOCK_MONOTONIC);
		i = pool->next;
		if (i < n) {
			pool->next++;
			sum += item_work(i);
		}
		t2 = rp_clock_ns(CLOCK_MONOTONIC);
		pthread_mutex_unlock(&pool->lock);
		*wait += t1 - t0;
		*hold += t2 - t1;
	} while (i < n);
	return sum;
}

/* ------------------------------------------------------------- workers */

/* Thread body of worker K: items of every batch, until quit. */
static void *worker_main(void *arg)
{
	struct rp_lock_worker *w = arg;
	struct rp_lockpool *pool = &w->p->pool;
	struct sched_param batch_param = { .sched_priority = 0 };
	uint64_t seen = 0, wait, hold, sum;
	bool gatekeeper;
	char name[16];
	size_t n;

	snprintf(name, sizeof(name), "rp-worker-%u", (unsigned int)w->k);
	pthread_setname_np(pthread_self(), name);
	/* Best effort: a woken SCHED_BATCH thread does not preempt. */
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch_param);

	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (pool->gen == seen && !pool->quit)
			pthread_cond_wait(&pool->go, &pool->mu);
		if (pool->gen == seen) { /* quit, and no batch left */
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		seen = pool->gen;
		n = pool->nitems;
		/* The first to see the batch holds the lock until all have. */
		gatekeeper = pool->arrived++ == 0 && pool->started > 1;
		if (gatekeeper)
			pthread_mutex_lock(&pool->lock); /* free: no batch */
		else if (pool->arrived == pool->started && pool->started > 1)
			sem_post(&pool->all_in);
		pthread_mutex_unlock(&pool->mu);
		if (gatekeeper) {
			while (sem_wait(&pool->all_in) && errno == EINTR)
				;
			pthread_mutex_unlock(&pool->lock); /* open the gate */
		}

		wait = hold = 0;
		sum = take_items(pool, n, &wait, &hold);

		pthread_mutex_lock(&pool->mu);
		pool->wait_ns += wait;
		pool->hold_ns += hold;
		pool->sum += sum;
		if (!--pool->pending)
			pthread_cond_signal(&pool->done);
		pthread_mutex_unlock(&pool->mu);
	}
}

/* Hand n items to the workers and block until all are done. */
void rp_lock_batch(struct rp_pipeline *p, size_t n)
{
	struct rp_lockpool *pool = &p->pool;
	uint64_t t0;

	if (!pool->started || !n)
		return;
	t0 = rp_clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&pool->mu);
	pool->nitems = n;
	pool->next = 0; /* no worker holds pool->lock between batches */
	pool->arrived = 0;
	pool->pending = pool->started;
	pool->gen++;
	pthread_cond_broadcast(&pool->go);
	while (pool->pending)
		pthread_cond_wait(&pool->done, &pool->mu);
	pool->join_ns += rp_clock_ns(CLOCK_MONOTONIC) - t0;
	pthread_mutex_unlock(&pool->mu);
}

/* ------------------------------------------------------- start and stop */

/*
 * Start --workers threads if a stage has --lock, with SIGINT and SIGTERM
 * blocked so that they stay with the threads that read the input. Returns
 * 0 or -errno (then the started ones are already joined).
 */
int rp_lock_start(struct rp_pipeline *p)
{
	const struct rp_opts *o = p->opts;
	struct rp_lockpool *pool = &p->pool;
	sigset_t set, old;
	bool any = false;
	int err = 0;

	for (int i = 0; i < RP_NSTAGES; i++)
		any |= o->knobs[i].lock;
	if (!any)
		return 0;

	pthread_mutex_init(&pool->lock, NULL); /* default: no spinning */
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->go, NULL);
	pthread_cond_init(&pool->done, NULL);
	sem_init(&pool->all_in, 0, 0);
	pool->active = true;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (uint32_t k = 0; k < o->workers; k++) {
		struct rp_lock_worker *w = &pool->w[k];

		w->p = p;
		w->k = k;
		err = -pthread_create(&w->tid, NULL, worker_main, w);
		if (err)
			break;
		pool->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		rp_lock_stop(p);
	return err;
}

/* Tell the workers to quit, join them and free the pool's sync objects. */
void rp_lock_stop(struct rp_pipeline *p)
{
	struct rp_lockpool *pool = &p->pool;

	if (!pool->active)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->quit = true;
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->mu);
	for (uint32_t k = 0; k < pool->started; k++)
		pthread_join(pool->w[k].tid, NULL);
	pool->started = 0;
	pthread_mutex_destroy(&pool->lock);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->go);
	pthread_cond_destroy(&pool->done);
	sem_destroy(&pool->all_in);
	pool->active = false;
}
