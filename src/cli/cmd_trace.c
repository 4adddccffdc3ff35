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

#include "cli/cmd.h"
#include "symbols/elfsyms.h"
#include "collect/events.h"
#include "target/launch.h"
#include "report/memreport.h"
#include "util/log.h"
#include "report/report.h"
#include "report/stackfold.h"
#include "target/stages.h"
#include "symbols/symbolize.h"
#include "collect/tracer.h"

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
	uint64_t tail_ns[PT_PROBE_NR];
	bool calibrated;
	uint64_t start_ns;
	struct pt_alloc_sites asites; /* --alloc */
	uint64_t rss_start;
	bool exited; /* the target's end was seen */
	struct pt_usyms *usyms; /* names for stacks, while they are needed */
	struct pt_ksyms *ksyms; /* kernel names, with --folded* */
	uint64_t next_syms_ns; /* when to re-read the target's maps */
	uint64_t next_dither_ns; /* when to change the sampling period */
	unsigned int dither_seed;
	unsigned int syms_refreshes;
	struct pt_events *events; /* --events */
	int events_err; /* a drain failed: -errno */
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

/*
 * Reads VmRSS and VmHWM (bytes) of a live process from /proc/PID/status.
 * Returns 0, or -errno (-ESRCH once it is gone or a zombie without memory).
 */
static int read_rss(pid_t pid, uint64_t *rss, uint64_t *hwm)
{
	char path[64], line[256];
	unsigned long long kb;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			*rss = kb * 1024;
			found |= 1;
		} else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			*hwm = kb * 1024;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ESRCH;
}

/*
 * Re-reads the target's maps for the symbolizer on a schedule: soon after
 * the start (a launched program's loader is still mapping its libraries),
 * then every 200 ms, so that a target that exits is named as it last was.
 */
static void refresh_syms(struct trace_run *r, uint64_t now)
{
	static const uint64_t early_ms[] = { 2, 10, 30, 80 };
	int ret;

	if (!r->usyms || now < r->next_syms_ns)
		return;
	ret = pt_usyms__refresh(r->usyms);
	pt_debug("symbols: maps re-read (%d), target %s", ret,
		 pt_usyms__alive(r->usyms) ? "alive" : "gone");
	r->syms_refreshes++;
	r->next_syms_ns =
		now +
		1000000ull * (r->syms_refreshes < 4 ?
				      early_ms[r->syms_refreshes] -
					      early_ms[r->syms_refreshes - 1] :
				      200);
}

/*
 * On-CPU sampling: every 10-30 periods, a new rate drawn uniformly from
 * [0.75, 1.25] x freq (so that the mean rate is freq), so that samples do
 * not phase-lock onto a periodic workload. Setting a period restarts each
 * CPU's timer and loses the part of a period already elapsed, half a period
 * per change on average: 2.5% of the samples (changing every 10-30 ms, as
 * before, lost 45% at 49 Hz). The changes come at times unrelated to the
 * target, so the loss is spread evenly over its stacks.
 */
static void dither_sampling(struct trace_run *r, uint64_t now)
{
	uint64_t base = 1000000000ull / r->o->freq_hz;
	double hz;

	if (!r->next_dither_ns || now < r->next_dither_ns)
		return;
	hz = r->o->freq_hz *
	     (0.75 + 0.5 * (double)rand_r(&r->dither_seed) / RAND_MAX);
	pt_tracer__set_sample_period(r->tracer, (uint64_t)(1e9 / hz));
	r->next_dither_ns =
		now + base * (10 + (uint64_t)rand_r(&r->dither_seed) % 21);
}

/* The memory half of the report: per-stage heap figures and RSS. */
static int report_mem(struct trace_run *r, struct pt_report *rep,
		      struct pt_mem_row **rows)
{
	struct pt_exit_mem em;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int ret;

	*rows = calloc(r->stages.n + 1, sizeof(**rows));
	if (!*rows)
		return -ENOMEM;
	ret = pt_mem__collect(r->tracer, r->stages.n, r->o->alloc_sample,
			      r->usyms, *rows);
	if (ret)
		return ret;
	rep->mem = *rows;
	rep->alloc_sample = r->o->alloc_sample;
	rep->alloc_min = r->o->alloc_min;
	rep->rss.start = r->rss_start;
	if (!r->exited && !read_rss(r->pid, &rep->rss.end, &rep->rss.peak)) {
		rep->rss.end_known = true;
		return 0;
	}
	/* Gone: what the kernel saw as its last thread exited. */
	pt_tracer__exit_mem(r->tracer, &em);
	if (em.seen) {
		rep->rss.end = em.rss_pages * page;
		rep->rss.peak = em.hiwater_pages * page;
		rep->rss.end_known = true;
	}
	return 0;
}

/* Writes the --folded and --folded-offcpu files. Returns 0 or -errno
 * (message printed). */
static int save_folded(struct trace_run *r)
{
	const struct pt_opts *o = r->o;
	struct pt_folded *on = NULL, *off = NULL;
	char err[512];
	int ret;

	if (!o->folded_path && !o->folded_offcpu_path)
		return 0;
	ret = o->folded_path ? pt_folded__new(&on) : 0;
	if (!ret && o->folded_offcpu_path)
		ret = pt_folded__new(&off);
	if (!ret)
		ret = pt_stackfold__collect(r->tracer, &r->stages, r->usyms,
					    r->ksyms, on, off);
	if (ret) {
		pt_err("cannot fold the stacks: %s", strerror(-ret));
		goto out;
	}
	if (on) {
		ret = pt_folded__save(on, o->folded_path, err, sizeof(err));
		if (ret) {
			pt_err("%s", err);
			goto out;
		}
		pt_info("wrote %llu on-CPU samples in %zu stacks to %s",
			(unsigned long long)pt_folded__total(on),
			pt_folded__nr_stacks(on), o->folded_path);
	}
	if (off) {
		ret = pt_folded__save(off, o->folded_offcpu_path, err,
				      sizeof(err));
		if (ret) {
			pt_err("%s", err);
			goto out;
		}
		pt_info("wrote %.3f s off CPU in %zu stacks to %s",
			pt_folded__total(off) / 1e6, pt_folded__nr_stacks(off),
			o->folded_offcpu_path);
	}
out:
	pt_folded__free(on);
	pt_folded__free(off);
	return ret;
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
	memcpy(rep.tail_ns, r->tail_ns, sizeof(rep.tail_ns));
	struct pt_thread_info *threads = NULL;
	struct pt_pair *pairs = NULL;
	struct pt_mem_row *mem = NULL;

	ret = pt_tracer__read(r->tracer, r->totals, rep.lost);
	rep.inflight_exits = pt_tracer__inflight_exits(r->tracer);
	if (!ret)
		ret = pt_tracer__read_threads(r->tracer, &threads,
					      &rep.nthreads);
	if (!ret)
		ret = pt_tracer__read_pairs(r->tracer, &pairs, &rep.npairs);
	if (!ret && r->o->alloc)
		ret = report_mem(r, &rep, &mem);
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
	if (mem)
		pt_mem__free(mem, r->stages.n + 1);
	free(mem);
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
/*
 * Says which stages are probed on an instruction the kernel single-steps,
 * and what that costs per call (bias: calibrated figures, or NULL).
 */
static void warn_costly_probes(const struct pt_stage_set *set, const char *exe,
			       const uint64_t *bias)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct pt_stage *s = &set->v[i];
		const char *fix;
		char cost[96];

		if (s->probe_class != PT_PROBE_STEP &&
		    s->probe_class != PT_PROBE_ENDBR)
			continue;
		/* Only the program's own code can be annotated or rebuilt. */
		fix = exe && !strcmp(s->object, exe) ?
			      "add PIPETRACE_ENTER() to it and use --sites, or build with -fno-omit-frame-pointer" :
			      "it is in a library: probing its caller instead is cheaper";
		if (bias && bias[PT_PROBE_PUSH])
			snprintf(
				cost, sizeof(cost),
				"about %.1f us per call, %.1f us more than a push site (measured now)",
				bias[s->probe_class] / 1e3,
				((double)bias[s->probe_class] -
				 (double)bias[PT_PROBE_PUSH]) /
					1e3);
		else
			snprintf(
				cost, sizeof(cost),
				"several times the cost of a push site per call");
		pt_warn("%s: its first instruction is single-stepped by the kernel: %s; %s",
			s->name, cost, fix);
	}
}

/* With --sites, names the stages that have no probe sites (no
 * PIPETRACE_ENTER()): they keep their entry and return probes. */
static void note_siteless(const struct pt_stage_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].probe_class != PT_PROBE_SITE)
			pt_info("--sites: %s has no PIPETRACE_ENTER() sites; probing its entry and return",
				set->v[i].name);
}

/* Puts the events file in place (or removes it after an error); 0 or -1. */
static int save_events(struct trace_run *r)
{
	uint64_t n = pt_events__count(r->events);
	char err[512];
	int ret = r->events_err;

	if (ret) {
		pt_err("cannot write the events to %s: %s; no partial file left",
		       r->o->events_path, strerror(-ret));
		pt_events__close(r->events, false, NULL, 0);
	} else {
		ret = pt_events__close(r->events, true, err, sizeof(err));
		if (ret)
			pt_err("%s", err);
		else
			pt_info("%llu events written to %s",
				(unsigned long long)n, r->o->events_path);
	}
	r->events = NULL;
	return ret ? -1 : 0;
}

/* How often streamed events are drained at the least. */
#define EVENTS_DRAIN_NS 20000000ull

/* Writes the streamed events waiting; a failure is kept for the end. */
static void drain_events(struct trace_run *r)
{
	int n;

	if (!r->events || r->events_err)
		return;
	n = pt_tracer__drain(r->tracer);
	if (n < 0)
		r->events_err = n;
}

static enum stop_reason wait_for_end(struct trace_run *r)
{
	const struct pt_opts *o = r->o;
	uint64_t deadline = 0, tick = 0, iv = 0, now, next;
	struct signalfd_siginfo si;
	struct pollfd p[3];
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
		refresh_syms(r, now);
		dither_sampling(r, now);
		drain_events(r);
		next = deadline;
		if (tick && (!next || tick < next))
			next = tick;
		if (r->usyms && (!next || r->next_syms_ns < next))
			next = r->next_syms_ns;
		if (r->next_dither_ns && (!next || r->next_dither_ns < next))
			next = r->next_dither_ns;
		/* Streamed events wake us only in bulk: drain them often. */
		if (r->events && (!next || now + EVENTS_DRAIN_NS < next))
			next = now + EVENTS_DRAIN_NS;
		timeout = !next	      ? -1 :
			  next <= now ? 0 :
					(int)((next - now + 999999) / 1000000);
		p[0] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = pt_tracer__stream_fd(r->tracer),
					.events = POLLIN };
		if (poll(p, p[2].fd >= 0 ? 3 : 2, timeout) < 0) {
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

/*
 * While detaching (yes), SIGINT or SIGTERM ends pipetrace at once, by that
 * signal, as a signalled stop does: the report is out, the kernel removes
 * the probes left when pipetrace exits, and a launched command that still
 * runs keeps running, untraced. After it they arrive through the signalfd
 * again, while pipetrace waits for its command.
 */
static void signals_end_detach(bool yes)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGINT);
	sigaddset(&m, SIGTERM);
	/* Not SIG_IGN, as in a shell's background job: they stop a trace. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(yes ? SIG_UNBLOCK : SIG_BLOCK, &m, NULL);
}

static int run_trace(const struct pt_opts *o)
{
	struct trace_run r = { .o = o, .sigfd = -1, .pidfd = -1 };
	struct pt_tracer_opts topts = {
		.max_threads = o->max_threads,
		.alloc = o->alloc,
		.alloc_sample = o->alloc_sample,
		.alloc_min = o->alloc_min,
		.alloc_max = o->alloc_max,
		.oncpu = o->folded_path != NULL,
		.offcpu = o->folded_offcpu_path != NULL,
		.events = o->events_path != NULL,
	};
	bool want_syms = o->alloc || o->folded_path || o->folded_offcpu_path;
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
	if (!o->sites)
		pt_stages__drop_sites(&r.stages);
	if (o->alloc) {
		ret = pt_alloc_sites__resolve(&r.target, &r.asites, err,
					      sizeof(err));
		if (ret)
			goto fail_msg;
		pt_debug("allocator: %zu functions in %s", r.asites.n,
			 r.asites.object);
	}
	if (o->folded_path || o->folded_offcpu_path) {
		ret = pt_ksyms__load(&r.ksyms, err, sizeof(err));
		if (ret)
			pt_warn("%s; kernel frames are shown as addresses",
				err);
	}
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
	if (o->events_path) {
		ret = pt_events__open(o->events_path, &r.stages, &r.events, err,
				      sizeof(err));
		if (!ret) {
			ret = pt_tracer__stream(r.tracer, pt_events__handle,
						r.events);
			if (ret)
				pt_errf(err, sizeof(err), ret,
					"cannot read the events ring buffer: %s",
					strerror(-ret));
		}
		if (ret)
			goto fail_msg;
	}
	if (o->calibrate) {
		ret = pt_tracer__calibrate(r.tracer, r.bias_ns, r.tail_ns, err,
					   sizeof(err));
		r.calibrated = ret == 0;
		if (ret)
			pt_warn("%s; latencies include the probe's own cost",
				err);
		pt_debug("start: calibrated at %.1f ms", (now_ns() - t0) / 1e6);
	}
	warn_costly_probes(&r.stages, r.target.exe,
			   r.calibrated ? r.bias_ns : NULL);
	if (o->sites)
		note_siteless(&r.stages);

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
	if (o->alloc) {
		ret = pt_tracer__attach_alloc(r.tracer, r.pid, &r.asites, err,
					      sizeof(err));
		if (ret)
			goto fail_msg;
		/* A launched command's memory starts at its exec. */
		if (o->pid) {
			uint64_t hwm;

			read_rss(r.pid, &r.rss_start, &hwm);
		}
	}
	if (o->folded_path) {
		ret = pt_tracer__attach_sampling(r.tracer, o->freq_hz, err,
						 sizeof(err));
		if (ret)
			goto fail_msg;
		r.dither_seed = (unsigned int)now_ns() ^ (unsigned int)getpid();
		r.next_dither_ns = now_ns();
	}
	if (!o->pid)
		attach_warmup(&r);
	r.start_ns = now_ns();
	pt_debug("start: attached at %.1f ms", (r.start_ns - t0) / 1e6);
	pt_tracer__start_offcpu(r.tracer);
	if (!o->pid) {
		ret = pt_child__release(&r.child);
		if (ret) {
			pt_err("cannot run '%s': %s", o->argv[0],
			       strerror(-ret));
			code = 127;
			goto out;
		}
	}
	/* Stacks to name: open the target's objects while it lives (a
	 * launched one once its loader has mapped its libraries: its _init
	 * ran, or 200 ms passed). */
	if (want_syms && !o->pid) {
		uint64_t give_up = now_ns() + 200000000ull;

		while (!pt_tracer__warmed_up(r.tracer) && now_ns() < give_up &&
		       !kill(r.pid, 0))
			usleep(200);
	}
	if (want_syms) {
		ret = pt_usyms__open(r.pid, &r.usyms, err, sizeof(err));
		if (ret)
			pt_warn("%s; stacks are shown as addresses", err);
		r.next_syms_ns = now_ns() + 2000000;
		r.syms_refreshes = 1;
		pt_debug("start: symbols opened at %.1f ms",
			 (now_ns() - t0) / 1e6);
	}
	pt_info("tracing %zu stage%s of PID %d%s", r.stages.n,
		r.stages.n == 1 ? "" : "s", r.pid,
		o->pid ? "; Ctrl-C to stop" : "");

	why = wait_for_end(&r);
	end = now_ns();
	r.exited = why == STOP_EXITED;
	/* Report first, then detach: removing probes is slow. Stacks are
	 * named by the target's maps as they are now, if it lives. */
	pt_tracer__freeze(r.tracer);
	if (r.usyms && !r.exited)
		pt_usyms__refresh(r.usyms);
	drain_events(&r);
	ret = report(&r, stdout, end, true);
	if (save_folded(&r) && !ret)
		ret = -EIO;
	if (r.events && save_events(&r) && !ret)
		ret = -EIO;
	code = ret ? 1 : 0;
	signals_end_detach(true);
	pt_tracer__detach(r.tracer);
	signals_end_detach(false);
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
	pt_alloc_sites__free(&r.asites);
	pt_events__close(r.events, false, NULL, 0);
	pt_usyms__close(r.usyms);
	pt_ksyms__free(r.ksyms);
	pt_target__free(&r.target);
	free(r.totals);
	free(r.command);
	return code;
}

#define PIPETRACE_VERSION "0.1.0"

int pt_cmd_trace(int argc, char **argv)
{
	struct pt_opts o;
	char err[512];
	int code = 0;

	if (pt_opts__parse(argc, argv, &o, err, sizeof(err))) {
		pt_err("%s", err);
		pt_opts__free(&o);
		return 2;
	}
	if (o.help) {
		pt_opts__usage(stdout);
	} else if (o.version) {
		printf("pipetrace %s\n", PIPETRACE_VERSION);
	} else {
		/* A closed stdout (pipetrace | head) is a write error, not
		 * death before --json is written. A launched command gets
		 * SIG_DFL back. */
		signal(SIGPIPE, SIG_IGN);
		pt_log_set_level(o.verbose ? PT_LOG_DEBUG : PT_LOG_INFO);
		pt_log_install_libbpf();
		code = run_trace(&o);
	}
	pt_opts__free(&o);
	return code;
}
