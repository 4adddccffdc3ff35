// SPDX-License-Identifier: MIT
/*
 * procs.c - --procs: the pipeline as three processes joined by pipes,
 *
 *     ingest (child) | parse, filter, normalize, features (this process)
 *                    | sink (child)
 *
 * so that a tracer of processes has a pipeline whose truth it can be held
 * to. Each process times its own read(2) and write(2) calls on the pipes
 * with CLOCK_MONOTONIC (a reader blocked on an empty pipe, a writer on a
 * full one), and the part of that it was blocked: less its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) and run-queue wait (schedstat), which a loaded
 * machine makes large (a reader that empties a full pipe wakes its writer,
 * which can take its CPU before the read returns); and writes its own
 * self-report: FILE (this process),
 * FILE.ingest and FILE.sink, each with a "process" object (role, pid, pipe
 * waits and bytes).
 *
 * Frames: ingest -> transform: {lines, text bytes} then the text;
 * transform -> sink: {records, 0} then the records as struct rp_record.
 * Frames are checked against --batch: a bad one is a run-time error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "refpipe.h"

struct rp_frame {
	uint64_t n; /* lines or records */
	uint64_t len; /* text bytes (ingest -> transform), else 0 */
};

/* The clocks around one pipe call: wall, the thread's CPU time and its
 * run-queue wait (schedstat's second field; 0 if unreadable). */
struct rp_clocks {
	uint64_t wall, cpu, runq;
};

static void read_clocks(const struct rp_proc *pr, struct rp_clocks *c)
{
	char buf[128];
	ssize_t n = pr->schedstat >= 0 ?
			    pread(pr->schedstat, buf, sizeof(buf) - 1, 0) :
			    -1;
	unsigned long long runq = 0;

	c->wall = rp_clock_ns(CLOCK_MONOTONIC);
	c->cpu = rp_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (n > 0) {
		buf[n] = 0;
		if (sscanf(buf, "%*u %llu", &runq) != 1)
			runq = 0;
	}
	c->runq = runq;
}

/* Blocked between a and b: wall time less CPU and run queue (0 if the
 * clocks' granularity makes it negative). */
static uint64_t blocked_ns(const struct rp_clocks *a, const struct rp_clocks *b)
{
	uint64_t busy = (b->cpu - a->cpu) + (b->runq - a->runq);
	uint64_t wall = b->wall - a->wall;

	return wall > busy ? wall - busy : 0;
}

/* read(2) exactly len bytes; 1, 0 at a clean end before any byte, or
 * -errno (-EPIPE: the stream ended inside a frame). */
static int pipe_read(struct rp_proc *pr, int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct rp_clocks c0, c1;
		ssize_t n;

		read_clocks(pr, &c0);
		n = read(fd, (char *)buf + got, len - got);
		read_clocks(pr, &c1);
		pr->read_wait_ns += c1.wall - c0.wall;
		pr->read_block_ns += blocked_ns(&c0, &c1);
		pr->read_calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EPIPE : 0;
		pr->read_bytes += (uint64_t)n;
		got += (size_t)n;
	}
	return 1;
}

/* write(2) all of buf; 0 or -errno. */
static int pipe_write(struct rp_proc *pr, int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		struct rp_clocks c0, c1;
		ssize_t n;

		read_clocks(pr, &c0);
		n = write(fd, (const char *)buf + put, len - put);
		read_clocks(pr, &c1);
		pr->write_wait_ns += c1.wall - c0.wall;
		pr->write_block_ns += blocked_ns(&c0, &c1);
		pr->write_calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		pr->write_bytes += (uint64_t)n;
		put += (size_t)n;
	}
	return 0;
}

static void proc_begin(struct rp_pipeline *p, const char *role)
{
	p->proc.role = role;
	p->proc.start_ns = rp_clock_ns(CLOCK_MONOTONIC);
	/* this process's thread, after its fork */
	p->proc.schedstat =
		open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

static void proc_end(struct rp_pipeline *p)
{
	p->proc.end_ns = rp_clock_ns(CLOCK_MONOTONIC);
	p->proc.cpu_ns = rp_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (p->proc.schedstat >= 0)
		close(p->proc.schedstat);
	p->proc.schedstat = -1;
}

/* ---------------------------------------------------------------- ingest */

static void run_ingest(struct rp_pipeline *p, int out)
{
	struct rp_batch *b;
	int err = 0;

	while (!err && stage_ingest(p, &b) > 0) {
		struct rp_frame f = { .n = b->nlines, .len = b->text_len };

		err = pipe_write(&p->proc, out, &f, sizeof(f));
		if (!err)
			err = pipe_write(&p->proc, out, b->text, b->text_len);
		rp_batch_free(p, RP_OUTSIDE, b);
	}
	if (err)
		rp_fail(p,
			"cannot write to the transform process: %s; see its "
			"error",
			strerror(-err));
}

/* ------------------------------------------------------------- transform */

/* One ingest frame into a new batch (*bp); 1, 0 at the end, or -errno. */
static int read_lines(struct rp_pipeline *p, int in, struct rp_batch **bp)
{
	struct rp_frame f;
	struct rp_batch *b;
	int ret = pipe_read(&p->proc, in, &f, sizeof(f));

	if (ret <= 0)
		return ret;
	if (f.n > p->opts->batch || f.len > (uint64_t)p->opts->batch * 4096)
		return -EPROTO;
	b = rp_batch_new(p);
	if (!b || rp_batch_reserve(p, b, f.len)) {
		rp_batch_free(p, RP_OUTSIDE, b);
		return -ENOMEM;
	}
	ret = pipe_read(&p->proc, in, b->text, f.len);
	if (ret == 0 && f.len)
		ret = -EPIPE;
	if (ret < 0) {
		rp_batch_free(p, RP_OUTSIDE, b);
		return ret;
	}
	b->text_len = f.len;
	b->nlines = f.n;
	*bp = b;
	return 1;
}

static void run_transform(struct rp_pipeline *p, int in, int out)
{
	struct rp_batch *b;
	int ret;

	while ((ret = read_lines(p, in, &b)) > 0) {
		struct rp_frame f = { 0 };

		stage_parse(p, b);
		stage_filter(p, b);
		stage_normalize(p, b);
		stage_features(p, b);
		f.n = b->nrecs;
		ret = pipe_write(&p->proc, out, &f, sizeof(f));
		if (!ret)
			ret = pipe_write(&p->proc, out, b->recs,
					 b->nrecs * sizeof(*b->recs));
		rp_batch_free(p, RP_OUTSIDE, b);
		if (ret)
			break;
	}
	if (ret < 0)
		rp_fail(p,
			"transform process: pipe: %s; see the other "
			"processes' errors",
			strerror(-ret));
}

/* ------------------------------------------------------------------ sink */

static void run_sink(struct rp_pipeline *p, int in)
{
	struct rp_frame f;
	struct rp_batch *b;
	int ret;

	while ((ret = pipe_read(&p->proc, in, &f, sizeof(f))) > 0) {
		if (f.n > p->opts->batch || f.len) {
			ret = -EPROTO;
			break;
		}
		b = rp_batch_new(p);
		if (!b) {
			ret = -ENOMEM;
			break;
		}
		ret = f.n ? pipe_read(&p->proc, in, b->recs,
				      f.n * sizeof(*b->recs)) :
			    1;
		if (ret <= 0) {
			rp_batch_free(p, RP_OUTSIDE, b);
			ret = ret ? ret : -EPIPE;
			break;
		}
		b->nrecs = f.n;
		stage_sink(p, b); /* frees b */
	}
	if (ret < 0)
		rp_fail(p,
			"sink process: pipe: %s; see the other processes' "
			"errors",
			strerror(-ret));
}

/* ------------------------------------------------------------ children */

/* Write this child's self-report to "<--self-report>.<role>". */
static void child_report(struct rp_pipeline *p)
{
	const char *base = p->opts->self_report;
	char path[4096], tmp[4100];
	int fd, err;

	if (!base)
		return;
	snprintf(path, sizeof(path), "%s.%s", base, p->proc.role);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	err = fd < 0 ? -errno : rp_report_write(p, fd, tmp, path);
	if (err)
		rp_fail(p, "cannot write self-report '%s': %s; check the disk",
			path, strerror(-err));
}

/* Run the child of role with fds in/out (-1: none) and never return. */
static void __attribute__((noreturn))
child_run(struct rp_pipeline *p, const char *role, int in, int out)
{
	proc_begin(p, role);
	if (in < 0)
		run_ingest(p, out);
	else
		run_sink(p, in);
	proc_end(p);
	child_report(p);
	if (p->failed)
		fprintf(stderr, "refpipe: %s\n", p->errmsg);
	fflush(NULL);
	_exit(p->failed ? 1 : 0);
}

/* Fork the child of role; keep[] are its fds, close[] the others. */
static pid_t child_start(struct rp_pipeline *p, const char *role, int in,
			 int out, const int shut[3])
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	for (int i = 0; i < 3; i++)
		close(shut[i]);
	child_run(p, role, in, out);
}

/* Wait for pid; a failure is this run's error too. */
static void child_wait(struct rp_pipeline *p, pid_t pid, const char *role)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	rp_fail(p, "the %s process failed (status %d); see its error", role,
		st);
}

int rp_run_procs(struct rp_pipeline *p)
{
	int a[2], b[2];
	pid_t ing, snk;

	if (pipe2(a, O_CLOEXEC))
		return -errno;
	if (pipe2(b, O_CLOEXEC)) {
		close(a[0]);
		close(a[1]);
		return -errno;
	}
	ing = child_start(p, "ingest", -1, a[1],
			  (const int[]){ a[0], b[0], b[1] });
	snk = ing < 0 ? -1 :
			child_start(p, "sink", b[0], -1,
				    (const int[]){ a[0], a[1], b[1] });
	close(a[1]);
	close(b[0]);
	if (ing < 0 || snk < 0) {
		close(a[0]);
		close(b[1]);
		if (ing > 0)
			child_wait(p, ing, "ingest");
		return -EAGAIN;
	}
	proc_begin(p, "transform");
	run_transform(p, a[0], b[1]);
	close(b[1]);
	close(a[0]);
	proc_end(p);
	child_wait(p, ing, "ingest");
	child_wait(p, snk, "sink");
	return 0;
}
