// SPDX-License-Identifier: MIT
/*
 * cmd_trace.c - `pipetrace [OPTIONS] -p PID | -- CMD`: resolve the stages,
 * load and calibrate the probes, attach, wait for the end (target exit,
 * duration, Ctrl-C or SIGTERM), detach, report.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "elfsyms.h"
#include "launch.h"
#include "log.h"
#include "report.h"
#include "stages.h"
#include "tracer.h"

enum stop_reason { STOP_EXITED, STOP_DURATION, STOP_SIGNAL };

struct trace_run {
	const struct pt_opts *o;
	struct pt_target target;
	struct pt_stage_set stages;
	struct pt_tracer *tracer;
	struct pt_child child;
	struct pt_totals *totals;
	char *command;
	uint64_t bias_ns[PT_PROBE_NR];
	bool calibrated;
	uint64_t start_ns;
	pid_t pid;
	int sigfd, pidfd;
	int signo;
};

/* ------------------------------------------------------------------ helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* argv joined by spaces; NULL on allocation failure. */
static char *join_argv(char *const argv[])
{
	size_t len = 1, i;
	char *s;

	for (i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* The command line of a running process (at most 4 KiB), or its exe. */
static char *read_cmdline(pid_t pid, const char *fallback)
{
	char path[64], buf[4096];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strdup(fallback);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return strdup(fallback);
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strdup(buf);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Reads the counters and writes the report table to f, and the JSON file
 * when asked. Returns 0 or -errno (message printed). */
static int report(struct trace_run *r, FILE *f, uint64_t end_ns, bool final)
{
	struct pt_report rep = {
		.pid = r->pid,
		.command = r->command,
		.calibrated = r->calibrated,
	};
	const struct pt_exporter *json;
	int ret;

	memcpy(rep.bias_ns, r->bias_ns, sizeof(rep.bias_ns));
	struct pt_thread_info *threads = NULL;
	struct pt_pair *pairs = NULL;

	ret = pt_tracer__read(r->tracer, r->totals, rep.lost);
	if (!ret)
		ret = pt_tracer__read_threads(r->tracer, &threads,
					      &rep.nthreads);
	if (!ret)
		ret = pt_tracer__read_pairs(r->tracer, &pairs, &rep.npairs);
	if (ret) {
		pt_err("cannot read the BPF counters: %s", strerror(-ret));
		goto out;
	}
	rep.threads = threads;
	rep.pairs = pairs;
	ret = pt_report__build(&rep, &r->stages, r->totals,
			       end_ns - r->start_ns);
	if (ret) {
		pt_err("out of memory building the report");
		goto out;
	}
	ret = pt_report__write_table(f, &rep);
	if (fflush(f) && !ret)
		ret = -errno;
	if (ret)
		pt_err("cannot write the report to standard output: %s",
		       strerror(-ret));
	/* The JSON file is written even when standard output failed. */
	if (final && r->o->json_path) {
		int jret;

		json = pt_exporter__find("json");
		jret = pt_report__save(r->o->json_path, json, &rep);
		if (jret)
			pt_err("cannot write --json %s: %s; check the directory exists and is writable",
			       r->o->json_path, strerror(-jret));
		ret = ret ? ret : jret;
	}
out:
	pt_report__free(&rep);
	free(threads);
	free(pairs);
	return ret;
}

/* ---------------------------------------------------------------- the run */

static int find_init(const struct pt_sym *sym, void *arg)
{
	uint64_t *off = arg;

	if (strcmp(sym->name, "_init") || sym->kind != PT_SYM_FUNC)
		return 0;
	*off = sym->file_off;
	return 1;
}

/* A launched command: move the kernel's one-time uprobe setup into the
 * executable's _init, before main (best effort: without _init, the first
 * stage call pays it, as when attaching to a running process). */
static void attach_warmup(struct trace_run *r)
{
	struct pt_elf *elf = NULL;
	uint64_t off = 0;
	int ret;

	if (pt_elf__open(r->target.exe_open, &elf))
		return;
	ret = pt_elf__for_each_func(elf, find_init, &off);
	pt_elf__close(elf);
	if (ret != 1)
		return;
	ret = pt_tracer__attach_warmup(r->tracer, r->pid, r->target.exe_open,
				       off);
	if (ret)
		pt_debug("no warm-up probe on _init: %s", strerror(-ret));
}

/* Waits for the end of the trace. Returns the reason. */
static enum stop_reason wait_for_end(struct trace_run *r)
{
	const struct pt_opts *o = r->o;
	uint64_t deadline = 0, tick = 0, iv = 0, now, next;
	struct signalfd_siginfo si;
	struct pollfd p[2];
	int timeout;

	if (o->duration_s > 0)
		deadline = r->start_ns + (uint64_t)(o->duration_s * 1e9);
	if (o->interval_s > 0) {
		iv = (uint64_t)(o->interval_s * 1e9);
		tick = r->start_ns + iv;
	}
	for (;;) {
		now = now_ns();
		if (deadline && now >= deadline)
			return STOP_DURATION;
		if (tick && now >= tick) {
			time_t wall = time(NULL);
			char ts[32];

			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&wall));
			printf("\n--- %s\n", ts);
			report(r, stdout, now, false);
			tick += iv;
			continue;
		}
		next = deadline;
		if (tick && (!next || tick < next))
			next = tick;
		timeout = next ? (int)((next - now + 999999) / 1000000) : -1;
		p[0] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
		if (poll(p, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			pt_err("poll: %s", strerror(errno));
			return STOP_SIGNAL;
		}
		if (p[0].revents & POLLIN) {
			if (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
				r->signo = (int)si.ssi_signo;
			return STOP_SIGNAL;
		}
		if (p[1].revents & (POLLIN | POLLHUP))
			return STOP_EXITED;
	}
}

/* Exit code for a wait(2) status, as a shell reports it. */
static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int pt_cmd_trace(const struct pt_opts *o)
{
	struct trace_run r = { .o = o, .sigfd = -1, .pidfd = -1 };
	struct pt_tracer_opts topts = { .max_threads = o->max_threads };
	uint64_t t0 = now_ns();
	enum stop_reason why;
	sigset_t mask, orig;
	int ret, status, code = 1;
	uint64_t end;
	char err[512];

	r.child = (struct pt_child){ .pid = -1, .go_fd = -1, .err_fd = -1 };
	if (o->pid)
		ret = pt_target__from_pid(&r.target, o->pid, err, sizeof(err));
	else
		ret = pt_target__from_command(&r.target, o->argv[0], err,
					      sizeof(err));
	if (ret)
		goto fail_msg;
	ret = pt_stages__resolve(&r.target, o->specs, o->nspecs, &r.stages, err,
				 sizeof(err));
	if (ret)
		goto fail_msg;
	r.totals = calloc(r.stages.n, sizeof(*r.totals));
	r.command = o->pid ? read_cmdline(o->pid, r.target.exe) :
			     join_argv(o->argv);
	if (!r.totals || !r.command) {
		pt_err("out of memory");
		goto out;
	}
	pt_debug("start: %zu stages resolved in %.1f ms", r.stages.n,
		 (now_ns() - t0) / 1e6);
	ret = pt_tracer__open(&r.stages, &topts, &r.tracer, err, sizeof(err));
	if (ret)
		goto fail_msg;
	pt_debug("start: BPF loaded at %.1f ms", (now_ns() - t0) / 1e6);
	if (o->calibrate) {
		ret = pt_tracer__calibrate(r.tracer, r.bias_ns, err,
					   sizeof(err));
		r.calibrated = ret == 0;
		if (ret)
			pt_warn("%s; latencies include the probe's own cost",
				err);
		pt_debug("start: calibrated at %.1f ms", (now_ns() - t0) / 1e6);
	}

	/* Signals arrive through a signalfd; the child gets the old mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &orig);
	r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (r.sigfd < 0) {
		pt_err("signalfd: %s", strerror(errno));
		goto out;
	}

	if (o->pid) {
		r.pid = o->pid;
	} else {
		ret = pt_child__spawn_held(&r.child, o->argv, &orig);
		if (ret) {
			pt_err("cannot start '%s': %s", o->argv[0],
			       strerror(-ret));
			goto out;
		}
		r.pid = r.child.pid;
	}
	r.pidfd = pidfd_open_(r.pid);
	if (r.pidfd < 0) {
		if (errno == ESRCH)
			pt_err("no such PID %d (it exited); check the process id",
			       r.pid);
		else
			pt_err("cannot watch PID %d: %s", r.pid,
			       strerror(errno));
		goto out;
	}
	ret = pt_tracer__attach(r.tracer, r.pid, err, sizeof(err));
	if (ret)
		goto fail_msg;
	if (!o->pid)
		attach_warmup(&r);
	r.start_ns = now_ns();
	pt_debug("start: attached at %.1f ms", (r.start_ns - t0) / 1e6);
	if (!o->pid) {
		ret = pt_child__release(&r.child);
		if (ret) {
			pt_err("cannot run '%s': %s", o->argv[0],
			       strerror(-ret));
			code = 127;
			goto out;
		}
	}
	pt_info("tracing %zu stage%s of PID %d%s", r.stages.n,
		r.stages.n == 1 ? "" : "s", r.pid,
		o->pid ? "; Ctrl-C to stop" : "");

	why = wait_for_end(&r);
	end = now_ns();
	/* Report first, then detach: removing probes is slow. */
	pt_tracer__freeze(r.tracer);
	ret = report(&r, stdout, end, true);
	code = ret ? 1 : 0;
	pt_tracer__detach(r.tracer);
	pt_debug("end: detached in %.1f ms", (now_ns() - end) / 1e6);

	if (o->pid || why == STOP_SIGNAL) {
		/* A signalled launch leaves the command running, untraced. */
		if (why == STOP_SIGNAL && !o->pid)
			code = 128 + r.signo;
		r.child.pid = -1;
		goto out;
	}
	/* Launched: exit with the command's status once it ends. */
	while (waitpid(r.child.pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	r.child.pid = -1;
	if (!ret)
		code = status_code(status);
	goto out;

fail_msg:
	pt_err("%s", err);
out:
	pt_child__abort(&r.child);
	pt_tracer__close(r.tracer);
	if (r.pidfd >= 0)
		close(r.pidfd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	pt_stages__free(&r.stages);
	pt_target__free(&r.target);
	free(r.totals);
	free(r.command);
	return code;
}
