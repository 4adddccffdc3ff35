// SPDX-License-Identifier: MIT
/*
 * gendiff.c - the differential test's driver (tests/gen/README.md): for
 * each seed, writes a program with gen, compiles it, runs it under
 * pipetrace (-o json=..., --alloc where it allocates) and holds every
 * figure of the report to the program's own books.
 *
 *   gendiff [--keep] FIRST [COUNT]    seeds FIRST .. FIRST+COUNT-1
 *
 * Prints one line per failing figure with the seed and the command that
 * reproduces it, then the worst error per figure over all seeds. Exit 0 if
 * every seed agreed, 1 if one did not, 2 if a seed could not be run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <json.h>
#include <zlib.h>

#ifndef PT_BUILD_DIR
#define PT_BUILD_DIR ".output"
#endif
#ifndef PT_SOURCE_DIR
#define PT_SOURCE_DIR "."
#endif
#define GEN PT_BUILD_DIR "/tests/gen/gen"
#define PIPETRACE PT_BUILD_DIR "/pipetrace"

extern char **environ;

/*
 * Tolerances. Counts are exact. A time differs between the program's
 * clocks and pipetrace's by:
 * - per call, the part of the probe pair the calibrated median does not
 *   take off (its tail, a slow pass) and the program's clock reads:
 *   PER_CALL_NS (20 us: a single-stepped pass is ~15 us here);
 * - a preemption that falls between a probe and the program's clock read
 *   (one of them sees it, the other not): never more than the run-queue
 *   time of the program's threads, which each measures itself
 *   (schedstat), so that bound holds however loaded the machine is;
 * - REL_PCT of the figure for clock granularity and CPU-clock sampling,
 *   and FLOOR_NS once.
 */
#define PER_CALL_NS 20000ull
#define REL_PCT 5
#define FLOOR_NS 1000000ull
/* A thread reads its own CPU clock and schedstat before it returns and
 * exits: the kernel charges its last interval on CPU at its final
 * switch-out, after that read, and the tick that may charge it can come
 * that much later (tests/gen/thread-end.bt: pipetrace within 0.1 ms of
 * the kernel's final sum_exec_runtime, the program's read short of it by
 * up to a tick). One tick, 1e9 / CONFIG_HZ, read by tick_ns(). */
#define TICK_FALLBACK_NS UINT64_C(4000000)
/* A thread's run-queue time, at least: the wakeup boundary above (a few
 * ms of 30 seen as sleep). */
#define RQ_PCT 15

enum fig {
	F_CALLS,
	F_ALLOCS,
	F_FREES,
	F_LAT,
	F_WALL,
	F_SELF,
	F_ONCPU,
	F_SLEEP,
	F_T_ONCPU,
	F_T_RUNQ,
	F_NR
};

static const char *const fig_names[F_NR] = {
	"calls",	 "alloc.calls",	    "alloc.frees", "latency sum",
	"wall_ns",	 "self_ns",	    "on_cpu",	   "sleep",
	"thread on_cpu", "thread runqueue",
};

struct worst {
	double ratio; /* |error| / tolerance */
	int64_t err;
	uint64_t truth, seed;
	char where[64];
};

static struct worst worst[F_NR];
static bool keep;

static uint64_t u64(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Runs argv, stdout to out_path if given; returns its exit code or -1. */
static int run(char *const argv[], const char *out_path, const char *err_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, ret;

	posix_spawn_file_actions_init(&fa);
	if (out_path)
		posix_spawn_file_actions_addopen(
			&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (err_path)
		posix_spawn_file_actions_addopen(
			&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Holds one figure; 0 if within tol, else prints it and returns 1. */
static int hold(enum fig f, uint64_t seed, const char *where, uint64_t pt,
		uint64_t truth, uint64_t tol)
{
	int64_t err = (int64_t)(pt - truth);
	uint64_t mag = err < 0 ? (uint64_t)-err : (uint64_t)err;
	double ratio = tol ? (double)mag / (double)tol : (mag ? 1e9 : 0);

	if (ratio >= worst[f].ratio && (mag || !worst[f].seed)) {
		worst[f] = (struct worst){
			.ratio = ratio, .err = err, .truth = truth, .seed = seed
		};
		snprintf(worst[f].where, sizeof(worst[f].where), "%s", where);
	}
	if (mag <= tol)
		return 0;
	printf("seed %" PRIu64 ": %s %s: pipetrace %" PRIu64
	       ", program %" PRIu64 ", tolerance %" PRIu64 "\n",
	       seed, where, fig_names[f], pt, truth, tol);
	return 1;
}

/* hold() for a figure pipetrace may exceed by any amount: only its
 * shortfall is held to tol. */
static int hold_atleast(enum fig f, uint64_t seed, const char *where,
			uint64_t pt, uint64_t truth, uint64_t tol)
{
	return hold(f, seed, where, pt, truth,
		    pt > truth ? pt - truth + tol : tol);
}

static uint64_t time_tol(uint64_t truth, uint64_t calls, uint64_t rq)
{
	return truth * REL_PCT / 100 + calls * PER_CALL_NS + FLOOR_NS + rq;
}

static int check_stage(uint64_t seed, json_object *s, json_object *b,
		       bool alloc, uint64_t rq)
{
	const char *name = json_object_get_string(get(b, "name"));
	json_object *split = get(s, "breakdown_ns"), *lat, *a;
	uint64_t n = u64(b, "calls"), kids = u64(b, "kids");
	int bad = 0;

	bad |= hold(F_CALLS, seed, name, u64(s, "calls"), n, 0);
	if (alloc) {
		a = get(s, "alloc");
		bad |= hold(F_ALLOCS, seed, name, u64(a, "calls"),
			    u64(b, "allocs"), 0);
		bad |= hold(F_FREES, seed, name, u64(a, "frees"),
			    u64(b, "frees"), 0);
	}
	if (!n)
		return bad;
	lat = get(s, "latency_ns");
	bad |= hold(F_LAT, seed, name, u64(lat, "sum") + u64(lat, "setup_ns"),
		    u64(b, "lat_ns"), time_tol(u64(b, "lat_ns"), n, rq));
	bad |= hold(F_WALL, seed, name, u64(s, "wall_ns"), u64(b, "wall_ns"),
		    time_tol(u64(b, "wall_ns"), n, rq));
	/* Own time: each probed call made from the stage (kids) has its
	 * probe pair inside the stage's own window, on the program's clocks,
	 * and pipetrace takes its calibrated cost off (README.md): a pair's
	 * allowance per kid too. */
	bad |= hold(F_SELF, seed, name, u64(s, "self_ns"), u64(b, "self_ns"),
		    time_tol(u64(b, "self_ns"), n + kids, rq));
	/* On-CPU time has no run-queue term: a preempted thread runs not. */
	bad |= hold(F_ONCPU, seed, name, u64(split, "on_cpu"),
		    u64(b, "self_cpu_ns"),
		    time_tol(u64(b, "self_cpu_ns"), n + kids, 0));
	/* The program books a nap's blocked time (its wall time less its
	 * CPU and run-queue time). Where a wait turns from blocked to
	 * runnable, pipetrace's wakeup event and schedstat's enqueue can
	 * disagree (seen: 3-4 ms over a run, either way): bounded by the
	 * run-queue time. */
	bad |= hold(F_SLEEP, seed, name, u64(split, "sleep"),
		    u64(b, "sleep_ns"),
		    time_tol(u64(b, "sleep_ns"), u64(b, "naps"), rq));
	return bad;
}

static json_object *thread_row(json_object *rep, uint64_t tid)
{
	json_object *a = get(rep, "threads"), *t;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		t = json_object_array_get_idx(a, i);
		if (u64(t, "tid") == tid)
			return t;
	}
	return NULL;
}

static uint64_t both(json_object *t, const char *part)
{
	return u64(get(t, "busy"), part) + u64(get(t, "idle"), part);
}

static int check_threads(uint64_t seed, json_object *rep, json_object *books,
			 uint64_t tick)
{
	json_object *a = get(books, "threads"), *b, *t;
	char where[32];
	int bad = 0;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		b = json_object_array_get_idx(a, i);
		snprintf(where, sizeof(where), "thread %" PRIu64,
			 u64(b, "tid"));
		t = thread_row(rep, u64(b, "tid"));
		if (!t) {
			printf("seed %" PRIu64 ": %s missing from the report\n",
			       seed, where);
			bad = 1;
			continue;
		}
		bad |= hold(F_T_ONCPU, seed, where, both(t, "on_cpu"),
			    u64(b, "cpu_ns"),
			    u64(b, "cpu_ns") * REL_PCT / 100 + tick);
		/* One-sided: after its last schedstat read the thread still
		 * returns and exits, and a preemption there (a whole time
		 * slice, with other tasks runnable) is pipetrace's only. */
		bad |= hold_atleast(F_T_RUNQ, seed, where, both(t, "runqueue"),
				    u64(b, "rq_ns"),
				    u64(b, "rq_ns") * RQ_PCT / 100 + tick);
	}
	return bad;
}

static uint64_t rq_sum(json_object *books)
{
	json_object *a = get(books, "threads");
	uint64_t rq = 0;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++)
		rq += u64(json_object_array_get_idx(a, i), "rq_ns");
	return rq;
}

static json_object *stage_row(json_object *rep, const char *name)
{
	json_object *a = get(rep, "stages"), *x;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		x = json_object_array_get_idx(a, i);
		if (!strcmp(json_object_get_string(get(x, "name")), name))
			return x;
	}
	return NULL;
}

static int compare(uint64_t seed, json_object *rep, json_object *books,
		   bool alloc, uint64_t tick)
{
	json_object *bs = get(books, "stages"), *b, *s;
	uint64_t rq = rq_sum(books);
	int bad = 0;
	size_t i;

	for (i = 0; bs && i < json_object_array_length(bs); i++) {
		b = json_object_array_get_idx(bs, i);
		s = stage_row(rep, json_object_get_string(get(b, "name")));
		if (!s) {
			printf("seed %" PRIu64 ": %s missing from the report\n",
			       seed, json_object_get_string(get(b, "name")));
			bad = 1;
			continue;
		}
		bad |= check_stage(seed, s, b, alloc, rq);
	}
	return bad | check_threads(seed, rep, books, tick);
}

/* Paths of seed's files under dir. */
struct files {
	char src[256], bin[256], books[256], json[256], err[256];
	char table[256], topt[300];
};

static void files_of(struct files *f, const char *dir, uint64_t seed)
{
	snprintf(f->src, sizeof(f->src), "%s/gen-%" PRIu64 ".c", dir, seed);
	snprintf(f->bin, sizeof(f->bin), "%s/gen-%" PRIu64, dir, seed);
	snprintf(f->books, sizeof(f->books), "%s/gen-%" PRIu64 ".books", dir,
		 seed);
	snprintf(f->json, sizeof(f->json), "%s/gen-%" PRIu64 ".json", dir,
		 seed);
	snprintf(f->err, sizeof(f->err), "%s/gen-%" PRIu64 ".err", dir, seed);
	snprintf(f->table, sizeof(f->table), "%s/gen-%" PRIu64 ".table", dir,
		 seed);
	snprintf(f->topt, sizeof(f->topt), "table=%s", f->table);
}

static bool allocates(const char *src)
{
	char line[256] = "";
	FILE *f = fopen(src, "r");

	if (f && !fgets(line, sizeof(line), f))
		line[0] = '\0';
	if (f)
		fclose(f);
	return strstr(line, "alloc=1") != NULL;
}

static void forget(const struct files *f)
{
	if (keep)
		return;
	unlink(f->src);
	unlink(f->bin);
	unlink(f->books);
	unlink(f->json);
	unlink(f->err);
	unlink(f->table);
}

/* 0: agreed, 1: disagreed, 2: could not run. */
static int one_seed(uint64_t seed, const char *dir, uint64_t tick)
{
	char seedbuf[32], jopt[300];
	struct files f;
	json_object *rep, *books;
	bool alloc;
	int ret;

	files_of(&f, dir, seed);
	snprintf(seedbuf, sizeof(seedbuf), "%" PRIu64, seed);
	snprintf(jopt, sizeof(jopt), "json=%s", f.json);
	char *gen[] = { GEN, seedbuf, NULL };
	char *cc[] = { "/usr/bin/cc",
		       "-g",
		       "-O0",
		       "-fno-omit-frame-pointer",
		       "-I" PT_SOURCE_DIR "/include",
		       "-o",
		       f.bin,
		       f.src,
		       "-lpthread",
		       NULL };
	if (run(gen, f.src, NULL) || run(cc, NULL, f.err)) {
		printf("seed %" PRIu64 ": cannot generate or build (see %s)\n",
		       seed, f.err);
		return 2;
	}
	alloc = allocates(f.src);
	char *pt[12];
	int n = 0;

	pt[n++] = PIPETRACE;
	pt[n++] = "-o";
	pt[n++] = jopt;
	pt[n++] = "-o";
	pt[n++] = f.topt;
	if (alloc)
		pt[n++] = "--alloc";
	pt[n++] = "--";
	pt[n++] = f.bin;
	pt[n++] = f.books;
	pt[n] = NULL;
	ret = run(pt, NULL, f.err);
	if (ret) {
		printf("seed %" PRIu64 ": pipetrace exited %d (see %s)\n", seed,
		       ret, f.err);
		return 2;
	}
	rep = json_object_from_file(f.json);
	books = json_object_from_file(f.books);
	ret = rep && books ? compare(seed, rep, books, alloc, tick) : 2;
	if (!rep || !books)
		printf("seed %" PRIu64 ": unreadable report or books\n", seed);
	json_object_put(rep);
	json_object_put(books);
	if (!ret)
		forget(&f);
	return ret;
}

static void summary(uint64_t n, uint64_t failed)
{
	int f;

	printf("%" PRIu64 " seeds, %" PRIu64
	       " disagreed; worst error per figure (error / tolerance):\n",
	       n, failed);
	for (f = 0; f < F_NR; f++) {
		if (!worst[f].seed)
			continue;
		printf("  %-16s %+.3f ms of %.3f ms (%.2f of tolerance), seed %" PRIu64
		       " %s\n",
		       fig_names[f], worst[f].err / 1e6, worst[f].truth / 1e6,
		       worst[f].ratio, worst[f].seed, worst[f].where);
	}
}

/* CONFIG_HZ from a gzip'ed kernel config; 0 if not there. */
static uint64_t config_hz(const char *path)
{
	char line[256];
	uint64_t hz = 0;
	gzFile z = gzopen(path, "rb");

	if (!z)
		return 0;
	while (!hz && gzgets(z, line, sizeof(line)))
		if (!strncmp(line, "CONFIG_HZ=", 10))
			hz = strtoull(line + 10, NULL, 10);
	gzclose(z);
	return hz;
}

/* One scheduler tick in ns, from /proc/config.gz; TICK_FALLBACK_NS with a
 * note when it cannot be read. */
static uint64_t tick_ns(void)
{
	uint64_t hz = config_hz("/proc/config.gz");

	if (hz)
		return 1000000000ull / hz;
	printf("gendiff: no CONFIG_HZ in /proc/config.gz (modprobe configs?); a thread's figures get %" PRIu64
	       " ms for one tick\n",
	       TICK_FALLBACK_NS / 1000000);
	return TICK_FALLBACK_NS;
}

/*
 * schedstat's run_delay is a thread's whole run-queue time only with
 * delay accounting on (kernel.task_delayacct=1): without it, waits go
 * missing. Turns it on if it is off (root), saying so. 0 or -1.
 */
static int want_delayacct(void)
{
	const char *path = "/proc/sys/kernel/task_delayacct";
	char c = 0;
	FILE *f = fopen(path, "r");

	if (f && fread(&c, 1, 1, f) != 1)
		c = 0;
	if (f)
		fclose(f);
	if (c == '1')
		return 0;
	f = fopen(path, "w");
	if (!f || fputs("1\n", f) < 0 || fclose(f)) {
		fprintf(stderr,
			"gendiff: cannot turn on %s: run-queue times would not be exact\n",
			path);
		return -1;
	}
	printf("gendiff: turned kernel.task_delayacct on (threads' run-queue time, from schedstat)\n");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t first, count = 1, i, failed = 0;
	const char *dir = getenv("GENDIFF_DIR");
	int a = 1, r, worst_rc = 0;
	uint64_t tick;

	if (a < argc && !strcmp(argv[a], "--keep")) {
		keep = true;
		a++;
	}
	if (a >= argc)
		return fprintf(stderr,
			       "usage: gendiff [--keep] FIRST [COUNT]\n"),
		       2;
	first = strtoull(argv[a], NULL, 0);
	if (a + 1 < argc)
		count = strtoull(argv[a + 1], NULL, 0);
	if (!dir)
		dir = PT_BUILD_DIR "/tests/gen";
	if (want_delayacct())
		return 2;
	tick = tick_ns();
	for (i = 0; i < count; i++) {
		r = one_seed(first + i, dir, tick);
		if (r) {
			failed++;
			printf("  reproduce: make %s/tests/gen/gendiff && %s/tests/gen/gendiff --keep %" PRIu64
			       "\n",
			       PT_BUILD_DIR, PT_BUILD_DIR, first + i);
			worst_rc = r > worst_rc ? r : worst_rc;
		}
		fflush(stdout);
	}
	summary(count, failed);
	return worst_rc;
}
