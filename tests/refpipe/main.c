// SPDX-License-Identifier: MIT
/*
 * main.c - refpipe: set up, run the pipeline, write the self-report.
 *
 * Exit status: 0 success (nothing printed), 1 run-time error (one line on
 * stderr), 2 bad usage (one line on stderr, see options.c). SIGINT and
 * SIGTERM end the input early: batches in flight finish, the self-report is
 * written, and the exit status is 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refpipe.h"

/* ------------------------------------------------------- signals, errors */

/* Set by SIGINT/SIGTERM; the only file-scope mutable state. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* Make SIGINT/SIGTERM end the input; no SA_RESTART, so reads see EINTR. */
static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* True once ingest should end the stream: signal or run-time error. */
bool rp_should_stop(struct rp_pipeline *p)
{
	return stop_signal || __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
}

/* Record the first run-time error (message "<what>; <fix>") and stop. */
void rp_fail(struct rp_pipeline *p, const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	if (__atomic_compare_exchange_n(&p->failed, &expected, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		va_start(ap, fmt);
		vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ files */

/*
 * Open --input for read(2) (NULL: generate); a FIFO blocks here until it
 * has a writer. Returns 0 or 2 after printing why.
 */
static int open_input(struct rp_pipeline *p, const char *path)
{
	struct rp_source *s = &p->src;

	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		s->fd = STDIN_FILENO;
		s->name = "stdin";
		return 0;
	}
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		fprintf(stderr,
			"refpipe: cannot open input '%s': %s; check "
			"the path, or use --input - for stdin\n",
			path, strerror(errno));
		return 2;
	}
	s->own_fd = true;
	s->name = path;
	return 0;
}

/* Open --output for write(2); returns 0 or 2 after printing why. */
static int open_output(struct rp_pipeline *p, const char *path)
{
	struct rp_sink *k = &p->sink;

	k->name = path;
	if (!strcmp(path, "-")) {
		k->fd = STDOUT_FILENO;
		k->name = "stdout";
		return 0;
	}
	k->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (k->fd < 0) {
		fprintf(stderr,
			"refpipe: cannot open output '%s': %s; check "
			"the path and its directory\n",
			path, strerror(errno));
		return 2;
	}
	k->own_fd = true;
	return 0;
}

/*
 * Create "<path>.tmp" for the self-report now, so a bad path fails before
 * the run. Sets *tmp_path (allocated, strlen + 1 bytes); returns the fd, or
 * -1 after printing.
 */
static int open_report(struct rp_pipeline *p, const char *path, char **tmp_path)
{
	size_t len = strlen(path) + sizeof(".tmp");
	char *tmp = rp_malloc(p, RP_OUTSIDE, len);
	int fd;

	if (!tmp) {
		fputs("refpipe: out of memory; free some memory\n", stderr);
		return -1;
	}
	snprintf(tmp, len, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr,
			"refpipe: cannot create self-report '%s': %s; "
			"check the path and its directory\n",
			tmp, strerror(errno));
		rp_free(p, RP_OUTSIDE, tmp, len);
		return -1;
	}
	*tmp_path = tmp;
	return fd;
}

static void close_files(struct rp_pipeline *p)
{
	if (p->src.own_fd)
		close(p->src.fd);
	if (p->sink.own_fd)
		close(p->sink.fd);
}

/* ------------------------------------------------------------------ run */

/* Every batch through every stage in order, on this thread. */
static void run_single(struct rp_pipeline *p)
{
	struct rp_batch *b;

	while (stage_ingest(p, &b) > 0) {
		stage_parse(p, b);
		stage_filter(p, b);
		stage_normalize(p, b);
		stage_features(p, b);
		stage_sink(p, b); /* frees b */
	}
}

int main(int argc, char **argv)
{
	struct rp_opts opts;
	struct rp_pipeline pl;
	char *report_tmp = NULL;
	int report_fd = -1;
	uint64_t run_t0;
	int ret, err;

	ret = rp_parse_options(argc, argv, &opts);
	if (ret)
		return ret == 1 ? 0 : ret;

	memset(&pl, 0, sizeof(pl));
	pl.opts = &opts;
	pl.src.fd = -1;
	pl.sink.fd = -1;
	if (open_input(&pl, opts.input) || open_output(&pl, opts.output)) {
		close_files(&pl);
		return 2;
	}
	if (opts.self_report) {
		report_fd = open_report(&pl, opts.self_report, &report_tmp);
		if (report_fd < 0) {
			close_files(&pl);
			return 2;
		}
	}

	ret = 0;
	if (rp_stages_init(&pl)) {
		fputs("refpipe: out of memory for the feature windows; lower "
		      "--window or --batch\n",
		      stderr);
		ret = 1;
		goto out;
	}
	install_signals();
	run_t0 = rp_clock_ns(CLOCK_MONOTONIC);
	err = rp_lock_start(&pl);
	if (err) {
		rp_fail(&pl,
			"cannot start --lock worker threads: %s; "
			"lower --workers or raise the thread limit",
			strerror(-err));
	} else if (opts.procs) {
		err = rp_run_procs(&pl);
		if (err)
			rp_fail(&pl,
				"cannot start the --procs processes: %s; "
				"raise the process limit or drop --procs",
				strerror(-err));
	} else if (opts.threads) {
		err = rp_run_threads(&pl);
		if (err)
			rp_fail(&pl,
				"cannot start stage threads: %s; "
				"raise the thread limit or drop --threads",
				strerror(-err));
	} else {
		run_single(&pl);
	}
	rp_lock_stop(&pl);
	pl.run_ns = rp_clock_ns(CLOCK_MONOTONIC) - run_t0;

	if (report_fd >= 0) {
		err = rp_report_write(&pl, report_fd, report_tmp,
				      opts.self_report);
		report_fd = -1;
		if (err)
			rp_fail(&pl,
				"cannot write self-report '%s': %s; "
				"check the disk",
				opts.self_report, strerror(-err));
	}
	if (pl.failed) {
		fprintf(stderr, "refpipe: %s\n", pl.errmsg);
		ret = 1;
	}
out:
	if (report_fd >= 0) {
		close(report_fd);
		unlink(report_tmp);
	}
	if (report_tmp)
		rp_free(&pl, RP_OUTSIDE, report_tmp, strlen(report_tmp) + 1);
	rp_stages_fini(&pl);
	close_files(&pl);
	return ret;
}
