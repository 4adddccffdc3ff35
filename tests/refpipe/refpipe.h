/* SPDX-License-Identifier: MIT */
/*
 * refpipe.h - shared types of refpipe, pipetrace's reference pipeline.
 *
 * refpipe streams sensor records "id,sensor,timestamp,value" through six
 * stages, each a real (noinline, pipetrace-annotated) function that handles
 * one batch and returns the number of records it output:
 *
 *   stage_ingest -> stage_parse -> stage_filter -> stage_normalize
 *                -> stage_features -> stage_sink
 *
 * A batch (struct rp_batch) is allocated by stage_ingest and freed by
 * stage_sink. Every stage measures itself (calls, items, wall and thread CPU
 * time) so that --self-report gives the ground truth a tracer must match.
 *
 * Files: main.c (setup, single-thread run, signals), options.c (command
 * line), stages.c (the six stages), threads.c (--threads), lock.c
 * (--workers/--lock), alloc.c (heap calls counted per stage), report.c
 * (--self-report).
 */
#ifndef REFPIPE_H
#define REFPIPE_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ------------------------------------------------------------ constants */

#define RP_NSENSORS 64 /* sensor ids are 0..RP_NSENSORS-1 */
#define RP_DEF_RECORDS 100000ull /* generated records by default */
#define RP_DEF_BATCH 1024u
#define RP_MAX_BATCH (1u << 20)
#define RP_DEF_WINDOW 16u
#define RP_MAX_WINDOW 65536u
#define RP_MAX_INJECT_US 60000000ull /* --cpu-burn / --sleep: 60 s */
#define RP_QUEUE_CAP 4 /* batches in flight per queue */
#define RP_MAX_WORKERS 64u /* --workers */
#define RP_READ_BUF 65536u /* --input read(2) buffer, initial */
#define RP_MAX_LEAK (1ull << 30) /* --leak: bytes per call */

/* --lock: arithmetic iterations per record done holding the mutex (~2 us) */
#define RP_LOCK_WORK_ITERS 2000u

/* stage_filter keeps records whose raw value lies in [MIN, MAX]. */
#define RP_FILTER_MIN (-50.0)
#define RP_FILTER_MAX 150.0

/* ---------------------------------------------------------------- types */

/* Stages in pipeline order; also indexes every per-stage array. */
enum rp_stage {
	RP_INGEST,
	RP_PARSE,
	RP_FILTER,
	RP_NORMALIZE,
	RP_FEATURES,
	RP_SINK,
	RP_NSTAGES
};

/* Not a stage: alloc.c's counters of heap calls made outside every stage. */
#define RP_OUTSIDE RP_NSTAGES

enum rp_features_mode {
	RP_FEAT_INCREMENTAL, /* running sums per sensor window */
	RP_FEAT_NAIVE, /* window_stats() over the window per record */
};

/*
 * Per-stage load injected inside the measured region of the stage. New
 * per-stage knobs go here and in rp_inject() or
 * rp_inject_items() (stages.c); options.c parses any STAGE=N option
 * generically.
 */
struct rp_knobs {
	uint64_t burn_us; /* --cpu-burn: spin this much thread CPU time */
	uint64_t sleep_us; /* --sleep: sleep this long */
	bool lock; /* --lock: hand each call's items to the workers */
	uint64_t leak_bytes; /* --leak: malloc this much, never freed */
};

/* Command-line options; filled by rp_parse_options(), then read-only. */
struct rp_opts {
	uint64_t records; /* generate N, or read at most N lines */
	uint32_t batch; /* lines per batch */
	uint32_t window; /* rolling window length per sensor */
	uint64_t seed;
	const char *input; /* NULL: generate; "-": stdin */
	const char *output; /* "-": stdout */
	const char *self_report; /* NULL: none */
	enum rp_features_mode features;
	bool fsync;
	bool threads;
	bool procs; /* --procs: ingest | parse..features | sink, 3 processes */
	uint32_t workers; /* --workers: threads of the --lock stage (1..64) */
	struct rp_knobs knobs[RP_NSTAGES];
};

/* One sensor record; parse fills id..value, later stages the rest. */
struct rp_record {
	uint64_t id;
	uint64_t ts;
	double value; /* raw, then calibrated (normalize) */
	int64_t milli; /* calibrated value in 1/1000 units */
	double mean; /* rolling window mean (features) */
	double var; /* rolling window population variance */
	uint32_t sensor;
};

/* A batch: raw text lines from ingest, then the records parsed from them. */
struct rp_batch {
	char *text; /* nlines lines, each ending in '\n' */
	size_t text_len;
	size_t text_cap;
	size_t nlines;
	struct rp_record *recs; /* capacity: opts->batch */
	size_t nrecs;
};

/* Heap calls of one stage, or outside stages; see alloc.c. */
struct rp_alloc_stats {
	uint64_t alloc_calls; /* malloc/calloc/realloc that returned memory */
	uint64_t alloc_bytes; /* sizes they requested */
	uint64_t free_calls; /* free() of non-NULL */
	uint64_t freed_bytes; /* sizes of the blocks freed or realloc'ed */
};

/* Per-stage counters, one cache line each (stages may run on threads). */
struct rp_stats {
	uint64_t calls;
	uint64_t items; /* sum of returned values */
	uint64_t wall_ns; /* CLOCK_MONOTONIC inside the function */
	uint64_t min_wall_ns; /* its fastest call's, or 0 before any */
	uint64_t first_wall_ns; /* of them, its first call's (in this process) */
	uint64_t cpu_ns; /* CLOCK_THREAD_CPUTIME_ID inside it */
	uint64_t sleep_ns; /* CLOCK_MONOTONIC inside the --sleep */
	uint64_t burn_ns; /* CLOCK_MONOTONIC inside the --cpu-burn */
	uint64_t burn_cpu_ns; /* CLOCK_THREAD_CPUTIME_ID inside it */
	struct rp_alloc_stats alloc; /* heap calls made by the stage's code */
} __attribute__((aligned(64)));

/* stage_ingest state: a generator or a line reader (read(2), no stdio). */
struct rp_source {
	int fd; /* -1: generate records */
	bool own_fd; /* close() it at the end */
	const char *name; /* for error messages */
	char *buf; /* read(2) buffer; unread bytes at buf[start..] */
	size_t cap;
	size_t start;
	size_t len; /* unread bytes */
	bool read_eof; /* read(2) returned 0 */
	uint64_t limit; /* lines to produce at most */
	uint64_t produced; /* lines produced so far */
	uint64_t rng; /* generator state (splitmix64) */
	bool eof; /* no more lines for stage_ingest */
} __attribute__((aligned(64)));

/* stage_normalize calibration of one sensor: (value - offset) * gain. */
struct rp_calib {
	double offset;
	double gain;
};

/* stage_features state of one sensor: a ring of the last W values. */
struct rp_window {
	int64_t *vals; /* W slots, milli units */
	uint32_t head; /* next slot to overwrite */
	uint32_t count; /* filled slots, <= W */
	int64_t sum; /* incremental mode only */
	int64_t sumsq;
};

/* stage_sink state and the counters only the sink has. */
struct rp_sink {
	int fd;
	bool own_fd; /* close() it at the end */
	bool broken; /* a write failed: stop writing */
	const char *name;
	char *buf; /* formatted batch */
	size_t cap;
	uint64_t write_calls; /* write(2) calls, failed ones included */
	uint64_t write_bytes; /* bytes write(2) accepted */
	uint64_t fsyncs; /* fsync(2) calls */
} __attribute__((aligned(64)));

/* One --lock worker thread, "rp-worker-K". */
struct rp_lock_worker {
	struct rp_pipeline *p;
	uint32_t k; /* 0..workers-1 */
	pthread_t tid;
};

/*
 * --workers/--lock (lock.c): the lock stage hands each call's items to the
 * workers, which take them one at a time under the one shared mutex, and
 * waits for them.
 */
struct rp_lockpool {
	pthread_mutex_t lock; /* the contended mutex, held per item */
	size_t next; /* guarded by lock: next item to take */
	pthread_mutex_t mu; /* guards the rest */
	pthread_cond_t go; /* a batch was handed out, or quit */
	pthread_cond_t done; /* pending reached 0 */
	sem_t all_in; /* posted when arrived reaches started */
	uint64_t gen; /* batches handed out so far */
	size_t nitems; /* items of the current batch */
	uint32_t arrived; /* workers that have seen it */
	uint32_t pending; /* workers not yet done with it */
	uint32_t started; /* worker threads running */
	bool quit;
	bool active; /* mutexes and condvars initialised */
	uint64_t hold_ns; /* summed over workers: holding the lock */
	uint64_t wait_ns; /* summed over workers: in pthread_mutex_lock */
	uint64_t join_ns; /* the stage thread: handing out and waiting */
	uint64_t sum; /* result of the arithmetic, so it is not elided */
	struct rp_lock_worker w[RP_MAX_WORKERS];
};

/* Everything one run needs; stages get a pointer to it. */
/* --procs: one process of the pipeline and its own pipe truth, each wait
 * timed with CLOCK_MONOTONIC around its read(2)/write(2) calls. */
struct rp_proc {
	const char *role; /* NULL: not --procs; "ingest", "transform", "sink" */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC: its run */
	uint64_t read_wait_ns, write_wait_ns; /* inside pipe read/write */
	/* of which blocked: less its CPU time and run-queue wait */
	uint64_t read_block_ns, write_block_ns;
	int schedstat; /* /proc/thread-self/schedstat, or -1 */
	uint64_t read_bytes, write_bytes, read_calls, write_calls;
	uint64_t cpu_ns; /* CLOCK_PROCESS_CPUTIME_ID at its end */
};

struct rp_pipeline {
	const struct rp_opts *opts;
	struct rp_source src; /* ingest only */
	struct rp_calib calib[RP_NSENSORS]; /* read-only after init */
	int64_t *win_vals; /* storage of all windows */
	struct rp_window win[RP_NSENSORS]; /* features only */
	struct rp_sink sink; /* sink only */
	struct rp_lockpool pool; /* the --lock stage only */
	struct rp_stats stats[RP_NSTAGES];
	struct rp_alloc_stats outside_alloc; /* heap calls outside stages */
	struct rp_proc proc; /* --procs: this process's part */
	uint64_t run_ns; /* the run's CLOCK_MONOTONIC time, stages started
			  * to stopped (self-report "run_ns") */
	int stop; /* atomic: ingest ends the stream early */
	int failed; /* atomic: errmsg is set */
	char errmsg[512]; /* first runtime error, for main to print */
};

/* Clock clk now, in ns (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID). */
static inline uint64_t rp_clock_ns(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ----------------------------------------------------------- interfaces */

/* Stage names without the "stage_" prefix, in pipeline order. */
extern const char *const rp_stage_names[RP_NSTAGES];

/* options.c: returns 0 to run, 1 after --help, or 2 after an error. */
int rp_parse_options(int argc, char **argv, struct rp_opts *o);

/* stages.c: the six stages (items output) and their helpers. */
long stage_ingest(struct rp_pipeline *p, struct rp_batch **out);
long stage_parse(struct rp_pipeline *p, struct rp_batch *b);
long stage_filter(struct rp_pipeline *p, struct rp_batch *b);
long stage_normalize(struct rp_pipeline *p, struct rp_batch *b);
long stage_features(struct rp_pipeline *p, struct rp_batch *b);
long stage_sink(struct rp_pipeline *p, struct rp_batch *b);
void window_stats(const int64_t *vals, uint32_t n, int64_t *sum,
		  int64_t *sumsq);
int rp_stages_init(struct rp_pipeline *p);
void rp_stages_fini(struct rp_pipeline *p);

/*
 * alloc.c: libc's malloc, calloc, realloc and free, counted for stage st
 * (RP_OUTSIDE: outside every stage); free and realloc take the size the
 * block was allocated with. rp_leak(): --leak, 0 or -1 if out of memory.
 */
void *rp_malloc(struct rp_pipeline *p, enum rp_stage st, size_t n);
void *rp_calloc(struct rp_pipeline *p, enum rp_stage st, size_t nmemb,
		size_t size);
void *rp_realloc(struct rp_pipeline *p, enum rp_stage st, void *old,
		 size_t old_size, size_t n);
void rp_free(struct rp_pipeline *p, enum rp_stage st, void *m, size_t size);
int rp_leak(struct rp_pipeline *p, enum rp_stage st, size_t n);

/* main.c: failure and stop state shared by all threads. */
void rp_fail(struct rp_pipeline *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool rp_should_stop(struct rp_pipeline *p);

/*
 * lock.c: start the --lock workers (none without --lock; 0 or -errno),
 * run n items through them from the lock stage's thread (one caller at a
 * time), stop and join them (safe if never started).
 */
int rp_lock_start(struct rp_pipeline *p);
void rp_lock_batch(struct rp_pipeline *p, size_t n);
void rp_lock_stop(struct rp_pipeline *p);

/* threads.c: run with one thread per stage; returns 0 or -errno. */
int rp_run_threads(struct rp_pipeline *p);
int rp_run_procs(struct rp_pipeline *p);
struct rp_batch *rp_batch_new(struct rp_pipeline *p);
void rp_batch_free(struct rp_pipeline *p, enum rp_stage st, struct rp_batch *b);
int rp_batch_reserve(struct rp_pipeline *p, struct rp_batch *b, size_t need);

/*
 * report.c: write the self-report to tmp_fd (which it closes) and rename
 * tmp_path over path; returns 0 or -errno.
 */
int rp_report_write(const struct rp_pipeline *p, int tmp_fd,
		    const char *tmp_path, const char *path);

#endif /* REFPIPE_H */
