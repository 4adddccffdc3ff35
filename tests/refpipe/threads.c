// SPDX-License-Identifier: MIT
/*
 * threads.c - --threads: one thread per stage, joined by bounded queues.
 *
 * Stage i runs on thread "rp-<stage>", pops batches from queue i-1, calls
 * its stage once per batch and pushes the batch to queue i. stage_ingest
 * is called until it returns 0, then a NULL sentinel flows down the queues
 * and each thread forwards it and exits. So every stage is called exactly
 * as often as in single-thread mode. Only the ingest thread takes SIGINT /
 * SIGTERM, so a blocking read of the input is interrupted.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "refpipe.h"

/* ---------------------------------------------------------------- queue */

/* A ring of batch pointers; NULL is the end-of-stream sentinel. */
struct rp_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct rp_batch *slot[RP_QUEUE_CAP];
	unsigned int head; /* next slot to pop */
	unsigned int len;
};

static void queue_init(struct rp_queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
}

static void queue_destroy(struct rp_queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
}

/* Append b (or the NULL sentinel), waiting while the queue is full. */
static void queue_push(struct rp_queue *q, struct rp_batch *b)
{
	pthread_mutex_lock(&q->mu);
	while (q->len == RP_QUEUE_CAP)
		pthread_cond_wait(&q->not_full, &q->mu);
	q->slot[(q->head + q->len) % RP_QUEUE_CAP] = b;
	q->len++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

/* Remove the oldest entry, waiting while the queue is empty. */
static struct rp_batch *queue_pop(struct rp_queue *q)
{
	struct rp_batch *b;

	pthread_mutex_lock(&q->mu);
	while (!q->len)
		pthread_cond_wait(&q->not_empty, &q->mu);
	b = q->slot[q->head];
	q->head = (q->head + 1) % RP_QUEUE_CAP;
	q->len--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return b;
}

/* -------------------------------------------------------------- workers */

typedef long (*rp_batch_stage_fn)(struct rp_pipeline *p, struct rp_batch *b);

static const rp_batch_stage_fn batch_stages[RP_NSTAGES] = {
	[RP_PARSE] = stage_parse,	  [RP_FILTER] = stage_filter,
	[RP_NORMALIZE] = stage_normalize, [RP_FEATURES] = stage_features,
	[RP_SINK] = stage_sink,
};

struct rp_worker {
	struct rp_pipeline *p;
	enum rp_stage stage;
	struct rp_queue *in; /* NULL for ingest */
	struct rp_queue *out; /* NULL for sink */
	pthread_t tid;
	bool started;
};

/* Thread body of one stage; see the file comment. */
static void *worker_main(void *arg)
{
	struct rp_worker *w = arg;
	struct rp_batch *b;
	char name[16];

	snprintf(name, sizeof(name), "rp-%s", rp_stage_names[w->stage]);
	pthread_setname_np(pthread_self(), name);

	if (w->stage == RP_INGEST) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		while (stage_ingest(w->p, &b) > 0)
			queue_push(w->out, b);
		queue_push(w->out, NULL);
		return NULL;
	}
	while ((b = queue_pop(w->in))) {
		batch_stages[w->stage](w->p, b); /* sink frees b */
		if (w->out)
			queue_push(w->out, b);
	}
	if (w->out)
		queue_push(w->out, NULL);
	return NULL;
}

/*
 * Run the pipeline on six threads and wait for them; returns 0 or -errno
 * if a thread could not be started (the started ones are drained and
 * joined first).
 */
int rp_run_threads(struct rp_pipeline *p)
{
	struct rp_queue queues[RP_NSTAGES - 1];
	struct rp_worker workers[RP_NSTAGES];
	sigset_t set, old;
	int err = 0;

	for (int i = 0; i < RP_NSTAGES - 1; i++)
		queue_init(&queues[i]);
	memset(workers, 0, sizeof(workers));

	/* Threads inherit the mask; worker_main unblocks ingest's. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	/* Downstream first: if one fails, its consumers are all running. */
	for (int i = RP_NSTAGES - 1; i >= 0; i--) {
		struct rp_worker *w = &workers[i];

		w->p = p;
		w->stage = (enum rp_stage)i;
		w->in = i > 0 ? &queues[i - 1] : NULL;
		w->out = i < RP_NSTAGES - 1 ? &queues[i] : NULL;
		err = -pthread_create(&w->tid, NULL, worker_main, w);
		if (err) {
			if (w->out)
				queue_push(w->out, NULL);
			break;
		}
		w->started = true;
	}
	for (int i = 0; i < RP_NSTAGES; i++)
		if (workers[i].started)
			pthread_join(workers[i].tid, NULL);

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < RP_NSTAGES - 1; i++)
		queue_destroy(&queues[i]);
	return err;
}
