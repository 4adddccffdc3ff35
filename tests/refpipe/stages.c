// SPDX-License-Identifier: MIT
/*
 * stages.c - the six stages of refpipe and what they share.
 *
 * Each stage is an external, noinline function annotated with
 * PIPETRACE_STAGE() that handles one batch and returns how many records it
 * output. PIPETRACE_ENTER() gives each one nop5 probe sites at entry and
 * exit, where the count returned goes through PIPETRACE_ITEMS(). Its whole body runs between rp_clock_start() and rp_clock_stop(),
 * which add the call to the stage's counters; injected load (--cpu-burn,
 * --sleep, --leak first, --lock last) runs inside that region, as part of
 * the stage, and is measured on its own too (sleep_ns, burn_ns, lock.c).
 *
 * Heap calls go through alloc.c, counted for the stage that makes them:
 * stage_ingest allocates each batch (rp_batch, its text and its record
 * array: 3 calls; a realloc of the text if a line does not fit) and, with
 * --input, grows the read(2) buffer on first use; stage_sink may grow its
 * output buffer and frees the batch (3 calls). The feature windows and the
 * sink buffer are allocated at setup (rp_stages_init). No other stage
 * allocates, and nothing else in a stage calls the heap.
 *
 * Data: generated lines are "id,sensor,timestamp,value" with sequential ids,
 * sensors 0..63, microsecond timestamps and values around a per-sensor
 * baseline (20.0..57.5, +-10); 3% of values are spikes outside the filter
 * range [-50, 150]. The stream depends only on --seed and --records, not on
 * --batch.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipetrace/stage.h>

#include "refpipe.h"

/* A helper that must keep its own symbol, but is not a pipeline stage. */
#if defined(__clang__)
#define RP_NOINLINE __attribute__((noinline))
#else
#define RP_NOINLINE __attribute__((noinline, noclone))
#endif

#define RP_TS_BASE 1700000000000000ull /* generated timestamps, in us */
#define RP_GEN_LINE_MAX 64 /* longest generated line */
#define RP_SINK_LINE 128 /* usual formatted output line */

const char *const rp_stage_names[RP_NSTAGES] = {
	[RP_INGEST] = "ingest",	    [RP_PARSE] = "parse",
	[RP_FILTER] = "filter",	    [RP_NORMALIZE] = "normalize",
	[RP_FEATURES] = "features", [RP_SINK] = "sink",
};

/* ------------------------------------------------------ stage accounting */

struct rp_clock {
	struct timespec wall;
	struct timespec cpu;
};

static inline uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

/* Take the entry timestamps; first thing in every stage body. */
static inline void rp_clock_start(struct rp_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu);
}

/* Keeps the fastest call's wall time in s (0: none yet). */
static inline void rp_min_wall(struct rp_stats *s, uint64_t ns)
{
	uint64_t cur = __atomic_load_n(&s->min_wall_ns, __ATOMIC_RELAXED);

	while ((!cur || ns < cur) &&
	       !__atomic_compare_exchange_n(&s->min_wall_ns, &cur, ns, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Account one call that output items; last thing in a stage body. */
static inline long rp_clock_stop(struct rp_pipeline *p, enum rp_stage st,
				 const struct rp_clock *c, long items)
{
	struct rp_stats *s = &p->stats[st];
	struct timespec wall, cpu;
	uint64_t d;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	clock_gettime(CLOCK_MONOTONIC, &wall);
	d = ts_ns(&wall) - ts_ns(&c->wall);
	/* Relaxed atomics: exact totals even if a stage ever runs on
	 * several threads at once (--workers); cheap when uncontended. */
	if (!__atomic_fetch_add(&s->calls, 1, __ATOMIC_RELAXED))
		s->first_wall_ns = d;
	__atomic_fetch_add(&s->items, (uint64_t)items, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->wall_ns, d, __ATOMIC_RELAXED);
	rp_min_wall(s, d);
	__atomic_fetch_add(&s->cpu_ns, ts_ns(&cpu) - ts_ns(&c->cpu),
			   __ATOMIC_RELAXED);
	return items;
}

/* ------------------------------------------------------ injected load */

/* Spin until this thread has used usec more microseconds of CPU time;
 * returns the thread CPU time used, in ns. */
static uint64_t burn_cpu(uint64_t usec)
{
	uint64_t start = rp_clock_ns(CLOCK_THREAD_CPUTIME_ID), now;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	do {
		/* ~1 us of user-mode work between clock reads */
		for (int i = 0; i < 1024; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			__asm__ volatile("" : "+r"(x));
		}
		now = rp_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (now - start < usec * 1000);
	return now - start;
}

/* Sleep usec microseconds of CLOCK_MONOTONIC, resuming after signals. */
static void sleep_us(uint64_t usec)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(usec / 1000000);
	t.tv_nsec += (long)(usec % 1000000) * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) ==
	       EINTR)
		;
}

/* Apply the stage's --cpu-burn / --sleep, adding their time to its stats,
 * then its --leak. */
static void rp_inject(struct rp_pipeline *p, enum rp_stage st)
{
	const struct rp_knobs *k = &p->opts->knobs[st];
	struct rp_stats *s = &p->stats[st];
	uint64_t t0, cpu;

	if (k->burn_us) {
		t0 = rp_clock_ns(CLOCK_MONOTONIC);
		cpu = burn_cpu(k->burn_us);
		__atomic_fetch_add(&s->burn_ns,
				   rp_clock_ns(CLOCK_MONOTONIC) - t0,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->burn_cpu_ns, cpu, __ATOMIC_RELAXED);
	}
	if (k->sleep_us) {
		t0 = rp_clock_ns(CLOCK_MONOTONIC);
		sleep_us(k->sleep_us);
		__atomic_fetch_add(&s->sleep_ns,
				   rp_clock_ns(CLOCK_MONOTONIC) - t0,
				   __ATOMIC_RELAXED);
	}
	if (k->leak_bytes && rp_leak(p, st, (size_t)k->leak_bytes))
		rp_fail(p, "out of memory for --leak %s=%" PRIu64 "; lower it",
			rp_stage_names[st], k->leak_bytes);
}

/* Apply the stage's --lock to the n items the call output; just before
 * rp_clock_stop(). */
static void rp_inject_items(struct rp_pipeline *p, enum rp_stage st, long n)
{
	if (p->opts->knobs[st].lock && n > 0)
		rp_lock_batch(p, (size_t)n);
}

/* -------------------------------------------------------------- batches */

/* Make text room for need more bytes (ingest); returns 0 or -ENOMEM. */
static int text_reserve(struct rp_pipeline *p, struct rp_batch *b, size_t need)
{
	size_t cap = b->text_cap;
	char *t;

	if (b->text_len + need <= cap)
		return 0;
	while (cap < b->text_len + need)
		cap *= 2;
	t = rp_realloc(p, RP_INGEST, b->text, b->text_cap, cap);
	if (!t)
		return -ENOMEM;
	b->text = t;
	b->text_cap = cap;
	return 0;
}

/* Free batch b (NULL: nothing), counted for stage st. */
static void batch_free(struct rp_pipeline *p, enum rp_stage st,
		       struct rp_batch *b)
{
	if (!b)
		return;
	rp_free(p, st, b->text, b->text_cap);
	rp_free(p, st, b->recs, p->opts->batch * sizeof(*b->recs));
	rp_free(p, st, b, sizeof(*b));
}

/* Allocate an empty batch (ingest): the struct, text and record array
 * (3 calls); NULL if out of memory. */
static struct rp_batch *batch_new(struct rp_pipeline *p)
{
	size_t n = p->opts->batch;
	struct rp_batch *b = rp_calloc(p, RP_INGEST, 1, sizeof(*b));

	if (!b)
		return NULL;
	b->text_cap = n * 48;
	b->text = rp_malloc(p, RP_INGEST, b->text_cap);
	b->recs = rp_malloc(p, RP_INGEST, n * sizeof(*b->recs));
	if (!b->text || !b->recs) {
		batch_free(p, RP_INGEST, b);
		return NULL;
	}
	return b;
}

/* --procs: batches that cross a pipe (procs.c). */
struct rp_batch *rp_batch_new(struct rp_pipeline *p)
{
	return batch_new(p);
}

void rp_batch_free(struct rp_pipeline *p, enum rp_stage st, struct rp_batch *b)
{
	batch_free(p, st, b);
}

int rp_batch_reserve(struct rp_pipeline *p, struct rp_batch *b, size_t need)
{
	return text_reserve(p, b, need);
}

/* --------------------------------------------------------------- ingest */

/* splitmix64: the generator's only source of randomness. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Append the next generated line to b (room already reserved). */
static void gen_line(struct rp_source *s, struct rp_batch *b)
{
	uint64_t id = s->produced++;
	uint64_t r1 = rng_next(&s->rng), r2 = rng_next(&s->rng);
	unsigned int sensor = (unsigned int)(r1 % RP_NSENSORS);
	uint64_t ts = RP_TS_BASE + id * 1000 + (r1 >> 8) % 1000;
	int64_t milli;
	uint64_t mag;
	int len;

	if ((r2 >> 32) % 1000 < 30) {
		/* spike: outside [RP_FILTER_MIN, RP_FILTER_MAX] */
		if ((r2 >> 42) & 1)
			milli = 200000 + (int64_t)((r2 >> 43) % 800000);
		else
			milli = -100000 - (int64_t)((r2 >> 43) % 900000);
	} else {
		/* baseline 20.0..57.5 plus triangular noise in [-10, 10] */
		milli = 20000 + (int64_t)(sensor % 16) * 2500 +
			(int64_t)((r2 & 0xffff) % 10001) +
			(int64_t)(((r2 >> 16) & 0xffff) % 10001) - 10000;
	}
	mag = milli < 0 ? (uint64_t)-milli : (uint64_t)milli;
	len = snprintf(b->text + b->text_len, b->text_cap - b->text_len,
		       "%" PRIu64 ",%u,%" PRIu64 ",%s%" PRIu64 ".%03u\n", id,
		       sensor, ts, milli < 0 ? "-" : "", mag / 1000,
		       (unsigned int)(mag % 1000));
	b->text_len += (size_t)len;
	b->nlines++;
}

/* Generate want (> 0) lines into *bp (allocated here); returns the count. */
static long ingest_generate(struct rp_pipeline *p, size_t want,
			    struct rp_batch **bp)
{
	struct rp_source *s = &p->src;
	struct rp_batch *b = batch_new(p);

	if (!b) {
		rp_fail(p, "out of memory for a batch; lower --batch");
		return 0;
	}
	for (size_t i = 0; i < want; i++) {
		if (text_reserve(p, b, RP_GEN_LINE_MAX)) {
			rp_fail(p, "out of memory for a batch; lower --batch");
			break;
		}
		gen_line(s, b);
	}
	*bp = b;
	return (long)b->nlines;
}

/*
 * Set *line and *len to the next input line ('\n' included, if it has one),
 * valid until the next call; read(2) blocks for more input as needed, and
 * resumes after a signal unless stopping. Returns 1, 0 at the end of the
 * input (or stop), or -errno.
 */
static int src_next_line(struct rp_pipeline *p, const char **line, size_t *len)
{
	struct rp_source *s = &p->src;
	struct pollfd pfd;
	size_t cap;
	ssize_t n;
	char *nl;

	for (;;) {
		nl = s->len ? memchr(s->buf + s->start, '\n', s->len) : NULL;
		if (nl || (s->read_eof && s->len)) {
			*line = s->buf + s->start;
			*len = nl ? (size_t)(nl - *line) + 1 : s->len;
			s->start += *len;
			s->len -= *len;
			return 1;
		}
		if (s->read_eof)
			return 0;
		/* no whole line left: keep the partial one, read after it */
		if (s->start) {
			memmove(s->buf, s->buf + s->start, s->len);
			s->start = 0;
		}
		if (s->len == s->cap) {
			cap = s->cap ? s->cap * 2 : RP_READ_BUF;
			/* not realloc(NULL): glibc's calls malloc inside */
			nl = s->buf ? rp_realloc(p, RP_INGEST, s->buf, s->cap,
						 cap) :
				      rp_malloc(p, RP_INGEST, cap);
			if (!nl)
				return -ENOMEM;
			s->buf = nl;
			s->cap = cap;
		}
		n = read(s->fd, s->buf + s->len, s->cap - s->len);
		if (n > 0) {
			s->len += (size_t)n;
		} else if (n == 0) {
			s->read_eof = true;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* an O_NONBLOCK stdin: wait for it, then read again */
			pfd.fd = s->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
		} else if (errno != EINTR) {
			return -errno;
		}
		if (n < 0 && rp_should_stop(p))
			return 0; /* interrupted by SIGINT/SIGTERM */
	}
}

/* Read up to want (> 0) lines into *bp, allocated on the first line. */
static long ingest_read(struct rp_pipeline *p, size_t want,
			struct rp_batch **bp)
{
	struct rp_source *s = &p->src;
	struct rp_batch *b = NULL;
	const char *line = NULL; /* set when src_next_line() returns 1 */
	size_t len = 0;
	int ret;

	while (!s->eof && (!b || b->nlines < want)) {
		ret = src_next_line(p, &line, &len);
		if (ret <= 0) {
			if (ret == -ENOMEM)
				rp_fail(p, "out of memory for an input line; "
					   "check the input has newlines");
			else if (ret < 0)
				rp_fail(p,
					"cannot read input '%s': %s; check "
					"the file",
					s->name, strerror(-ret));
			s->eof = true;
			break;
		}
		if (!b) {
			b = batch_new(p);
			if (!b) {
				rp_fail(p, "out of memory for a batch; lower "
					   "--batch");
				s->eof = true;
				break;
			}
		}
		if (text_reserve(p, b, len + 1)) {
			rp_fail(p, "out of memory for an input line; check "
				   "the input has newlines");
			s->eof = true;
			break;
		}
		memcpy(b->text + b->text_len, line, len);
		b->text_len += len;
		if (line[len - 1] != '\n')
			b->text[b->text_len++] = '\n';
		b->nlines++;
		s->produced++;
	}
	*bp = b;
	return b ? (long)b->nlines : 0;
}

/*
 * Produce the next batch of raw CSV lines into *out: generated from the
 * seed, or read from --input with read(2) (blocking here until the batch is
 * full or the input ends). Returns the number of lines; 0 (and *out NULL)
 * at the end of the stream, after --records lines, or when stopping.
 */
PIPETRACE_NOINLINE long stage_ingest(struct rp_pipeline *p,
				     struct rp_batch **out)
{
	PIPETRACE_ENTER();
	struct rp_source *s = &p->src;
	struct rp_clock clk;
	size_t want;
	long n = 0;

	rp_clock_start(&clk);
	rp_inject(p, RP_INGEST);
	*out = NULL;
	want = p->opts->batch;
	if (s->limit - s->produced < want)
		want = (size_t)(s->limit - s->produced);
	if (want && !rp_should_stop(p)) {
		if (s->fd >= 0)
			n = ingest_read(p, want, out);
		else
			n = ingest_generate(p, want, out);
		if (!n) {
			/* out of memory before the first line */
			batch_free(p, RP_INGEST, *out);
			*out = NULL;
		}
	}
	rp_inject_items(p, RP_INGEST, n);
	return PIPETRACE_ITEMS(rp_clock_stop(p, RP_INGEST, &clk, n));
}
PIPETRACE_STAGE(stage_ingest);

/* ---------------------------------------------------------------- parse */

/* Parse decimal digits at *sp into *out; returns false if none/overflow. */
static bool parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return true;
}

/* Parse one '\n'-terminated line into *r; false if it is malformed. */
static bool parse_line(const char *s, struct rp_record *r)
{
	uint64_t sensor;
	char *end;

	if (!parse_u64(&s, &r->id) || *s++ != ',')
		return false;
	if (!parse_u64(&s, &sensor) || *s++ != ',' || sensor >= RP_NSENSORS)
		return false;
	if (!parse_u64(&s, &r->ts) || *s++ != ',')
		return false;
	/* no leading space: strtod would skip '\n' into the next line */
	if (isspace((unsigned char)*s))
		return false;
	r->value = strtod(s, &end);
	if (end == s || !isfinite(r->value))
		return false;
	if (*end == '\r')
		end++;
	if (*end != '\n')
		return false;
	r->sensor = (uint32_t)sensor;
	r->milli = 0;
	r->mean = 0;
	r->var = 0;
	return true;
}

/*
 * Turn the batch's text lines into records. A line is malformed (dropped)
 * unless it is "ID,SENSOR,TIMESTAMP,VALUE" with unsigned decimal ID and
 * TIMESTAMP, SENSOR < 64 and a finite VALUE; a header line is dropped too.
 * Returns the number of records.
 */
PIPETRACE_NOINLINE long stage_parse(struct rp_pipeline *p, struct rp_batch *b)
{
	PIPETRACE_ENTER();
	const char *s, *end;
	struct rp_clock clk;
	size_t n = 0;

	rp_clock_start(&clk);
	rp_inject(p, RP_PARSE);
	s = b->text;
	end = b->text + b->text_len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (parse_line(s, &b->recs[n]))
			n++;
		s = nl + 1;
	}
	b->nrecs = n;
	rp_inject_items(p, RP_PARSE, (long)n);
	return PIPETRACE_ITEMS(rp_clock_stop(p, RP_PARSE, &clk, (long)n));
}
PIPETRACE_STAGE(stage_parse);

/* --------------------------------------------------------------- filter */

/* Keep records whose value is in [RP_FILTER_MIN, RP_FILTER_MAX]. */
PIPETRACE_NOINLINE long stage_filter(struct rp_pipeline *p, struct rp_batch *b)
{
	PIPETRACE_ENTER();
	struct rp_clock clk;
	size_t n = 0;

	rp_clock_start(&clk);
	rp_inject(p, RP_FILTER);
	for (size_t i = 0; i < b->nrecs; i++) {
		double v = b->recs[i].value;

		if (v >= RP_FILTER_MIN && v <= RP_FILTER_MAX) {
			if (n != i)
				b->recs[n] = b->recs[i];
			n++;
		}
	}
	b->nrecs = n;
	rp_inject_items(p, RP_FILTER, (long)n);
	return PIPETRACE_ITEMS(rp_clock_stop(p, RP_FILTER, &clk, (long)n));
}
PIPETRACE_STAGE(stage_filter);

/* ------------------------------------------------------------ normalize */

/*
 * Calibrate: value = (value - offset[sensor]) * gain[sensor], rounded to
 * 1/1000 (kept exactly in milli, so both --features modes agree to the bit).
 * Returns the number of records.
 */
PIPETRACE_NOINLINE long stage_normalize(struct rp_pipeline *p,
					struct rp_batch *b)
{
	PIPETRACE_ENTER();
	struct rp_clock clk;

	rp_clock_start(&clk);
	rp_inject(p, RP_NORMALIZE);
	for (size_t i = 0; i < b->nrecs; i++) {
		struct rp_record *r = &b->recs[i];
		const struct rp_calib *c = &p->calib[r->sensor];

		r->milli = llrint((r->value - c->offset) * c->gain * 1000.0);
		r->value = (double)r->milli / 1000.0;
	}
	rp_inject_items(p, RP_NORMALIZE, (long)b->nrecs);
	return PIPETRACE_ITEMS(
		rp_clock_stop(p, RP_NORMALIZE, &clk, (long)b->nrecs));
}
PIPETRACE_STAGE(stage_normalize);

/* ------------------------------------------------------------- features */

/* Sum and sum of squares of vals[0..n); the naive mode's inner loop. */
RP_NOINLINE void window_stats(const int64_t *vals, uint32_t n, int64_t *sum,
			      int64_t *sumsq)
{
	int64_t s = 0, sq = 0;

	for (uint32_t i = 0; i < n; i++) {
		s += vals[i];
		sq += vals[i] * vals[i];
	}
	*sum = s;
	*sumsq = sq;
}

/*
 * Set each record's mean and (population) variance over the last W values
 * of its sensor, itself included. Sums are exact integers in milli units,
 * so naive and incremental give identical results. Returns the count.
 */
PIPETRACE_NOINLINE long stage_features(struct rp_pipeline *p,
				       struct rp_batch *b)
{
	PIPETRACE_ENTER();
	uint32_t wlen = p->opts->window;
	bool naive = p->opts->features == RP_FEAT_NAIVE;
	struct rp_clock clk;

	rp_clock_start(&clk);
	rp_inject(p, RP_FEATURES);
	for (size_t i = 0; i < b->nrecs; i++) {
		struct rp_record *r = &b->recs[i];
		struct rp_window *w = &p->win[r->sensor];
		int64_t v = r->milli, old = 0, sum, sumsq;
		double n, mean;

		if (w->count == wlen)
			old = w->vals[w->head]; /* evicted by v */
		else
			w->count++;
		w->vals[w->head] = v;
		w->head = w->head + 1 == wlen ? 0 : w->head + 1;
		if (naive) {
			window_stats(w->vals, w->count, &sum, &sumsq);
		} else {
			w->sum += v - old;
			w->sumsq += v * v - old * old;
			sum = w->sum;
			sumsq = w->sumsq;
		}
		n = (double)w->count;
		mean = (double)sum / n;
		r->mean = mean / 1000.0;
		r->var = fmax((double)sumsq / n - mean * mean, 0.0) / 1e6;
	}
	rp_inject_items(p, RP_FEATURES, (long)b->nrecs);
	return PIPETRACE_ITEMS(
		rp_clock_stop(p, RP_FEATURES, &clk, (long)b->nrecs));
}
PIPETRACE_STAGE(stage_features);

/* ----------------------------------------------------------------- sink */

/* write(2) all of buf, looping on partial writes; returns 0 or -errno. */
static int sink_write_all(struct rp_sink *k, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(k->fd, buf, len);

		k->write_calls++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		k->write_bytes += (uint64_t)n;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Format the batch as CSV in k->buf; returns its length or -ENOMEM. */
static long sink_format(struct rp_pipeline *p, const struct rp_batch *b)
{
	struct rp_sink *k = &p->sink;
	size_t len = 0;

	for (size_t i = 0; i < b->nrecs; i++) {
		const struct rp_record *r = &b->recs[i];
		char *nb;
		size_t n;

		for (;;) {
			n = (size_t)snprintf(k->buf + len, k->cap - len,
					     "%" PRIu64 ",%u,%" PRIu64
					     ",%.3f,%.4f,%.4f\n",
					     r->id, r->sensor, r->ts, r->value,
					     r->mean, r->var);
			if (n < k->cap - len)
				break;
			/* did not fit: grow and format the line again */
			nb = rp_realloc(p, RP_SINK, k->buf, k->cap,
					k->cap * 2 + n);

			if (!nb)
				return -ENOMEM;
			k->buf = nb;
			k->cap = k->cap * 2 + n;
		}
		len += n;
	}
	return (long)len;
}

/*
 * Format the batch as "id,sensor,timestamp,value,mean,var" lines, write
 * them to --output with write(2) (fsync(2) after if --fsync), and free the
 * batch. Returns the number of records written; 0 once output has failed.
 */
PIPETRACE_NOINLINE long stage_sink(struct rp_pipeline *p, struct rp_batch *b)
{
	PIPETRACE_ENTER();
	struct rp_sink *k = &p->sink;
	struct rp_clock clk;
	long n = 0, len;
	int err;

	rp_clock_start(&clk);
	rp_inject(p, RP_SINK);
	if (!k->broken) {
		len = sink_format(p, b);
		if (len < 0) {
			rp_fail(p, "out of memory formatting output; lower "
				   "--batch");
			k->broken = true;
		} else if ((err = sink_write_all(k, k->buf, (size_t)len))) {
			rp_fail(p,
				"cannot write output '%s': %s; check the "
				"disk or choose another --output",
				k->name, strerror(-err));
			k->broken = true;
		} else {
			n = (long)b->nrecs;
		}
	}
	if (!k->broken && p->opts->fsync) {
		k->fsyncs++;
		/* /dev/null and pipes cannot be synced: not an error */
		if (fsync(k->fd) && errno != EINVAL && errno != EROFS) {
			rp_fail(p,
				"cannot fsync output '%s': %s; check the "
				"disk or drop --fsync",
				k->name, strerror(errno));
			k->broken = true;
		}
	}
	batch_free(p, RP_SINK, b);
	rp_inject_items(p, RP_SINK, n);
	return PIPETRACE_ITEMS(rp_clock_stop(p, RP_SINK, &clk, n));
}
PIPETRACE_STAGE(stage_sink);

/* ----------------------------------------------------------- init/fini */

/* Set up stage state (input/output already open); returns 0 or -ENOMEM. */
int rp_stages_init(struct rp_pipeline *p)
{
	const struct rp_opts *o = p->opts;

	p->src.limit = o->records;
	p->src.rng = o->seed;
	for (unsigned int s = 0; s < RP_NSENSORS; s++) {
		p->calib[s].offset = 0.25 * (s % 5);
		p->calib[s].gain = 1.0 + 0.0125 * (s % 8);
	}
	p->win_vals = rp_calloc(p, RP_OUTSIDE, (size_t)RP_NSENSORS * o->window,
				sizeof(*p->win_vals));
	p->sink.cap = (size_t)o->batch * RP_SINK_LINE;
	p->sink.buf = rp_malloc(p, RP_OUTSIDE, p->sink.cap);
	if (!p->win_vals || !p->sink.buf)
		return -ENOMEM;
	for (unsigned int s = 0; s < RP_NSENSORS; s++)
		p->win[s].vals = p->win_vals + (size_t)s * o->window;
	return 0;
}

/* Free stage state; the input and output are closed by main. */
void rp_stages_fini(struct rp_pipeline *p)
{
	rp_free(p, RP_OUTSIDE, p->src.buf, p->src.cap);
	rp_free(p, RP_OUTSIDE, p->win_vals,
		(size_t)RP_NSENSORS * p->opts->window * sizeof(*p->win_vals));
	rp_free(p, RP_OUTSIDE, p->sink.buf, p->sink.cap);
	p->src.buf = NULL;
	p->win_vals = NULL;
	p->sink.buf = NULL;
}
