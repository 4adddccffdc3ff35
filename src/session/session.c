// SPDX-License-Identifier: MIT
/* session.c - see session.h. */
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

#include "collect/kpid.h"
#include "collect/memcollect.h"
#include "collect/procinfo.h"
#include "session/session.h"
#include "collect/stackfold.h"
#include "symbols/elfsyms.h"
#include "symbols/fpcheck.h"
#include "util/log.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* pipetrace's CPU time so far, ms (all its threads): beside a start-up
 * step's wall time in -v, what of it was work rather than waiting for a
 * CPU on a busy machine. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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
	char *s = pt_proc_cmdline__read(pid);

	return s ? s : strdup(fallback);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
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

/* ------------------------------------------------------------- outputs */

void pt_session__init(struct pt_session *s, const struct pt_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->sigfd = -1;
	s->pidfd = -1;
	s->fail_code = 1;
	s->t0 = now_ns();
	s->child = (struct pt_child){ .pid = -1, .go_fd = -1, .err_fd = -1 };
}

/* The sinks the options name: -o's in order, the table on standard error
 * unless an -o names one, then --json, --events, --folded*. */
static int add_sinks(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	struct pt_sinks *ss = &s->sinks;
	bool table = false;
	size_t i;
	int ret = 0;

	for (i = 0; i < o->noutputs && !ret; i++) {
		ret = pt_sinks__add(ss, o->outputs[i].format,
				    o->outputs[i].path, o->outputs[i].option,
				    err, errlen);
		table |= !strcmp(o->outputs[i].format, "table");
	}
	if (!ret && !table)
		ret = pt_sinks__add(ss, "table", NULL, "the report", err,
				    errlen);
	if (!ret && o->json_path)
		ret = pt_sinks__add(ss, "json", o->json_path, "--json", err,
				    errlen);
	if (!ret && o->events_path)
		ret = pt_sinks__add(ss, "events", o->events_path, "--events",
				    err, errlen);
	if (!ret && o->folded_path)
		ret = pt_sinks__add(ss, "folded", o->folded_path, "--folded",
				    err, errlen);
	if (!ret && o->folded_offcpu_path)
		ret = pt_sinks__add(ss, "folded-offcpu", o->folded_offcpu_path,
				    "--folded-offcpu", err, errlen);
	return ret;
}

int pt_session__open_outputs(struct pt_session *s, char *err, size_t errlen)
{
	int ret = add_sinks(s, err, errlen);

	if (!ret)
		ret = pt_sinks__open(&s->sinks, &s->stages, err, errlen);
	s->needs = pt_sinks__needs(&s->sinks);
	s->want_syms = s->o->alloc ||
		       (s->needs & (PT_SINK_ONCPU | PT_SINK_OFFCPU));
	return ret;
}

/* ------------------------------------------------------------- prepare */

int pt_session__prepare(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	int ret;

	s->several = pt_session__several(o);
	ret = o->comm || o->exe ? 0 :
	      o->pid ? pt_target__from_pid(&s->target, o->pid, err, errlen) :
		       pt_target__from_command(&s->target, o->argv[0], err,
					       errlen);
	if (!ret)
		ret = pt_session__prepare_procs(s, err, errlen);
	if (!ret && o->user)
		ret = pt_creds__from_user(o->user, &s->creds, err, errlen);
	if (!ret && s->several)
		ret = pt_stages__resolve_several(&s->target, o->specs,
						 o->nspecs, &s->stages, err,
						 errlen);
	else if (!ret)
		ret = pt_stages__resolve(&s->target, o->specs, o->nspecs,
					 &s->stages, err, errlen);
	if (ret)
		return ret;
	if (!o->sites)
		pt_stages__drop_sites(&s->stages);
	if (o->alloc) {
		ret = pt_alloc_sites__resolve(&s->target, &s->asites, err,
					      errlen);
		if (ret)
			return ret;
		pt_debug("allocator: %zu functions in %s", s->asites.n,
			 s->asites.object);
	}
	pt_session__libcio_prepare(s);
	s->command = o->argv ? join_argv(o->argv) :
		     s->target.pid ?
			       read_cmdline(s->target.pid, s->target.exe) :
			       strdup(o->comm ? o->comm : o->exe);
	if (!s->command)
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	pt_debug("start: %zu stages resolved in %.1f ms (CPU %.1f ms)",
		 s->stages.n, (now_ns() - s->t0) / 1e6, cpu_ms());
	return 0;
}

/* ---------------------------------------------------------------- load */

/* The kinds of stage a costly-probe warning gives one advice to. */
enum costly_kind {
	COSTLY_OWN, /* the program's code, no PIPETRACE_ENTER() sites */
	COSTLY_OWN_SITES, /* the program's code, sites not used (no --sites) */
	COSTLY_LIB, /* a library's: not the user's to rebuild or annotate */
	COSTLY_NR,
};

static bool single_stepped(const struct pt_stage *st)
{
	return st->probe_class == PT_PROBE_STEP ||
	       st->probe_class == PT_PROBE_ENDBR;
}

static enum costly_kind costly_kind_of(const struct pt_stage *st,
				       const char *exe)
{
	if (!exe || strcmp(st->object, exe))
		return COSTLY_LIB;
	return st->has_sites ? COSTLY_OWN_SITES : COSTLY_OWN;
}

/* Appends "name" (a library's prefixed by its object's basename) to a
 * comma-separated list in buf, or "..." once it is full. */
static void list_stage(char *buf, size_t len, const struct pt_stage *st,
		       bool lib)
{
	const char *base = strrchr(st->object, '/');
	size_t used = strlen(buf);
	char name[160];

	snprintf(name, sizeof(name), "%s%s%s%s", used ? ", " : "",
		 lib ? (base ? base + 1 : st->object) : "", lib ? ":" : "",
		 st->name);
	if (used + strlen(name) + 6 < len)
		memcpy(buf + used, name, strlen(name) + 1);
	else if (!strstr(buf, ", ..."))
		snprintf(buf + used, len - used, ", ...");
}

/* "about 4.1 us per call, 2.6 us more than a push site (measured now)"
 * for the classes in `used`, or the uncalibrated wording. */
static void costly_cost(char *buf, size_t len, const bool used[PT_PROBE_NR],
			const uint64_t *bias)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int c;

	if (!bias || !bias[PT_PROBE_PUSH]) {
		snprintf(buf, len,
			 "several times a push site's cost, on every call");
		return;
	}
	for (c = 0; c < PT_PROBE_NR; c++) {
		if (!used[c])
			continue;
		lo = bias[c] < lo ? bias[c] : lo;
		hi = bias[c] > hi ? bias[c] : hi;
	}
	if (lo == hi)
		snprintf(buf, len, "about %.1f us", hi / 1e3);
	else
		snprintf(buf, len, "about %.1f-%.1f us", lo / 1e3, hi / 1e3);
	snprintf(
		buf + strlen(buf), len - strlen(buf),
		" per call, %.1f us more than a push site's %.1f us (measured now)",
		((double)hi - (double)bias[PT_PROBE_PUSH]) / 1e3,
		bias[PT_PROBE_PUSH] / 1e3);
}

/* The advice for a kind: what the user can change about it. */
static const char *const costly_fix[COSTLY_NR] = {
	[COSTLY_OWN] =
		"add PIPETRACE_ENTER() to them and use --sites, or build with -fno-omit-frame-pointer (a push first)",
	[COSTLY_OWN_SITES] =
		"they have PIPETRACE_ENTER() sites: --sites probes those instead",
	[COSTLY_LIB] =
		"code you did not build: trace the function of your program that calls them instead (one cheap probe per call of it), or keep them for their counts",
};

/*
 * Says, in one line per kind of stage (the program's code, with or without
 * PIPETRACE_ENTER() sites, and libraries'), which stages are probed on an
 * instruction the kernel single-steps, what that costs per call (bias:
 * calibrated figures, or NULL) and what the user can do about it.
 */
static void warn_costly_probes(const struct pt_stage_set *set, const char *exe,
			       const uint64_t *bias)
{
	bool used[COSTLY_NR][PT_PROBE_NR] = { { false } };
	char names[COSTLY_NR][512] = { { 0 } }, cost[160];
	size_t i, n[COSTLY_NR] = { 0 };
	int k;

	for (i = 0; i < set->n; i++) {
		const struct pt_stage *st = &set->v[i];

		if (!single_stepped(st))
			continue;
		k = costly_kind_of(st, exe);
		used[k][st->probe_class] = true;
		list_stage(names[k], sizeof(names[k]), st, k == COSTLY_LIB);
		n[k]++;
	}
	for (k = 0; k < COSTLY_NR; k++) {
		if (!n[k])
			continue;
		costly_cost(cost, sizeof(cost), used[k], bias);
		pt_warn("%zu stage%s probed on a first instruction the kernel single-steps, %s: %s; %s",
			n[k], n[k] == 1 ? "" : "s", cost, names[k],
			costly_fix[k]);
	}
}

/* With --sites, names in one line the stages that have no probe sites (no
 * PIPETRACE_ENTER()): they keep their entry and return probes. */
static void note_siteless(const struct pt_stage_set *set)
{
	char names[512] = "";
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		if (set->v[i].probe_class != PT_PROBE_SITE) {
			list_stage(names, sizeof(names), &set->v[i], false);
			n++;
		}
	if (n)
		pt_info("--sites: %zu stage%s without PIPETRACE_ENTER() sites, probed at entry and return: %s",
			n, n == 1 ? "" : "s", names);
}

/* A burst of calibration calls this often while tracing: the probe's cost
 * as the machine's load changes, not only at start. The first comes
 * RECALIB_FIRST_NS after the start's and each gap doubles up to RECALIB_NS,
 * so that a start measured in a slow moment of a noisy host (one in ~15
 * runs of test_calib's C++ Worker under two hogs: its fastest pass 14%
 * above the target's) is outvoted within a tenth of a second. */
#define RECALIB_FIRST_NS 25000000ull
#define RECALIB_NS 200000000ull
/* After RECALIB_SETTLE_NS of tracing, a burst every RECALIB_LATE_NS: each
 * burst is 250 probed calls of every class in use, and at one per 200 ms
 * they were ~70% of pipetrace's own CPU on a quiet target (perf record of
 * pipetrace -p on `micro --rate 10000`, 1.3-1.7% of a core in all). */
#define RECALIB_SETTLE_NS 2000000000ull
#define RECALIB_LATE_NS 1000000000ull

/* Measures the probe's own cost; a failure only warns. */
static void calibrate(struct pt_session *s)
{
	char err[512];
	int ret;

	ret = pt_tracer__calibrate(s->tracer, s->bias_ns, s->tail_ns, err,
				   sizeof(err));
	s->calibrated = ret == 0;
	if (!ret) {
		s->calib_gap_ns = RECALIB_FIRST_NS;
		s->next_calib_ns = now_ns() + s->calib_gap_ns;
	}
	if (ret)
		pt_warn("%s; latencies include the probe's own cost", err);
	pt_debug("start: calibrated at %.1f ms (CPU %.1f ms)",
		 (now_ns() - s->t0) / 1e6, cpu_ms());
}

/* --call-graph dwarf (or its choice by evidence, see choose_call_graph()):
 * the samples' ring buffer read into s->ustacks. */
static int stream_usamples(struct pt_session *s, char *err, size_t errlen)
{
	int ret = pt_ustacks__new(s->tracer, &s->ustacks);

	if (!ret)
		ret = pt_tracer__stream_usamples(s->tracer, pt_ustacks__consume,
						 s->ustacks);
	if (!ret && s->o->call_graph == PT_CG_DWARF)
		ret = pt_tracer__set_ustack_copy(s->tracer, s->o->ustack_size);
	if (ret)
		return pt_errf(err, errlen, ret,
			       "cannot set up --call-graph dwarf: %s",
			       strerror(-ret));
	return 0;
}

int pt_session__load(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	struct pt_tracer_opts topts = {
		.max_threads = o->max_threads,
		.alloc = o->alloc,
		.alloc_sample = o->alloc_sample,
		.alloc_min = o->alloc_min,
		.alloc_max = o->alloc_max,
		.oncpu = s->needs & PT_SINK_ONCPU,
		.offcpu = s->needs & PT_SINK_OFFCPU,
		.events = s->needs & PT_SINK_EVENTS,
		.dwarf = ((s->needs & (PT_SINK_ONCPU | PT_SINK_OFFCPU)) &&
			  o->call_graph != PT_CG_FP) ||
			 (o->alloc && o->call_graph == PT_CG_DWARF),
		.alloc_dwarf = o->alloc && o->call_graph == PT_CG_DWARF,
		.sys_light = o->sys_light,
		.libcio = s->libcio_on,
		.procs = s->several,
		.follow = (o->argv && !o->no_follow) || o->children,
		.comm = o->comm,
		.exe_dev = s->execs.exe.dev,
		.exe_ino = s->execs.exe.ino,
		.spare_stages = s->several ? PT_SPARE_STAGES : 0,
	};
	int ret;

	ret = pt_tracer__open(&s->stages, &topts, &s->tracer, err, errlen);
	if (ret)
		return ret;
	pt_debug("start: BPF loaded at %.1f ms (CPU %.1f ms)",
		 (now_ns() - s->t0) / 1e6, cpu_ms());
	if (topts.events) {
		ret = pt_tracer__stream(s->tracer, pt_sinks__event, &s->sinks);
		if (ret)
			return pt_errf(err, errlen, ret,
				       "cannot read the events ring buffer: %s",
				       strerror(-ret));
	}
	if (topts.dwarf) {
		ret = stream_usamples(s, err, errlen);
		if (ret)
			return ret;
	}
	if (s->several) {
		ret = pt_session__watch_execs(s, err, errlen);
		if (ret)
			return ret;
	}
	if (o->calibrate)
		calibrate(s);
	warn_costly_probes(&s->stages, s->target.exe,
			   s->calibrated ? s->bias_ns : NULL);
	if (o->sites)
		note_siteless(&s->stages);
	return 0;
}

/* -------------------------------------------------------------- attach */

static int find_init(const struct pt_sym *sym, void *arg)
{
	uint64_t *off = arg;

	if (strcmp(sym->name, "_init") || sym->kind != PT_SYM_FUNC)
		return 0;
	*off = sym->file_off;
	return 1;
}

/* A launched command: move the kernel's one-time uprobe setup into the
 * executable's _init, before main: its symbol, or in a stripped executable
 * its .init section, which starts with it (best effort: without either,
 * the first stage call pays it, as when attaching to a running process). */
static void attach_warmup(struct pt_session *s)
{
	struct pt_elf *elf = NULL;
	uint64_t off = 0;
	int ret;

	if (pt_elf__open(s->target.exe_open, &elf))
		return;
	ret = pt_elf__for_each_func(elf, find_init, &off);
	if (ret != 1)
		ret = pt_elf__code_section(elf, ".init", &off) ? 0 : 1;
	pt_elf__close(elf);
	if (ret != 1) {
		pt_debug(
			"no _init in %s: its first stage call carries the uprobe setup",
			s->target.exe_open);
		return;
	}
	ret = pt_tracer__attach_warmup(s->tracer, s->pid, s->target.exe_open,
				       off);
	if (ret)
		pt_debug("no warm-up probe on _init: %s", strerror(-ret));
}

/* Signals arrive through a signalfd; a launched child gets the old mask. */
static int watch_signals(struct pt_session *s, char *err, size_t errlen)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &s->orig_mask);
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (s->sigfd < 0)
		return pt_errf(err, errlen, -errno, "signalfd: %s",
			       strerror(errno));
	return 0;
}

/* /proc names threads by pipetrace's PID namespace, the BPF side by the
 * kernel's: set's tids made the kernel's (a thread gone meanwhile keeps
 * its id, and is seen as gone). */
static void tasks_to_kernel_ids(struct pt_session *s, struct pt_task_set *set)
{
	uint32_t ktid;
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!pt_tracer__kernel_tid(s->tracer, (pid_t)set->v[i].tid,
					   &ktid))
			set->v[i].tid = ktid;
}

/* -p: threads blocked at attach are charged their wait from it on, in
 * what /proc says they wait in, not from their first event. */
static void seed_blocked(struct pt_session *s)
{
	uint32_t ktgid;

	if (s->o->argv || !s->pid || !s->tasks.n ||
	    pt_tracer__kernel_tid(s->tracer, s->pid, &ktgid))
		return;
	if (pt_tracer__seed_blocked(s->tracer, ktgid, &s->tasks, s->start_ns))
		pt_warn("out of memory: threads blocked at attach count from their first event");
}

/* The target's process: -p's, or the command started and held. */
static int find_target(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	int ret;

	if (!o->argv) {
		s->pid = s->target.pid;
		s->next_pid = 1;
	} else {
		ret = pt_child__spawn_held_as(&s->child, o->argv, &s->orig_mask,
					      o->user ? &s->creds : NULL);
		if (ret)
			return pt_errf(err, errlen, ret,
				       "cannot start '%s': %s", o->argv[0],
				       strerror(-ret));
		s->pid = s->child.pid;
	}
	/* -p: the pidfd the target was read through (no PID reuse). */
	if (!s->pid || o->comm || o->exe)
		return 0; /* --comm: until -d or a signal */
	s->pidfd = !o->argv ? fcntl(s->target.pidfd, F_DUPFD_CLOEXEC, 0) :
			      pidfd_open_(s->pid);
	if (s->pidfd >= 0)
		return 0;
	if (errno == ESRCH)
		return pt_errf(
			err, errlen, -ESRCH,
			"no such PID %d (it exited); check the process id",
			s->pid);
	return pt_errf(err, errlen, -errno, "cannot watch PID %d: %s", s->pid,
		       strerror(errno));
}

/* The probes beside the stages': allocator, sampling, warm-up. */
static int attach_extras(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	uint64_t hwm;
	int ret;

	if (o->alloc) {
		ret = pt_tracer__attach_alloc(s->tracer, s->pid, &s->asites,
					      err, errlen);
		if (ret)
			return ret;
		if (s->several)
			pt_debug(
				"--alloc, several processes: the probes in %s fire in every process that maps it (untraced ones return at once); --no-follow or one -p: the target's own",
				s->asites.object);
		/* A launched command's memory starts at its exec. */
		if (!o->argv)
			pt_proc_status__read_rss(s->pid, &s->rss_start, &hwm);
	}
	if (s->needs & PT_SINK_ONCPU) {
		ret = pt_tracer__attach_sampling(s->tracer, o->freq_hz, err,
						 errlen);
		if (ret)
			return ret;
		s->dither_seed = (unsigned int)now_ns() ^
				 (unsigned int)getpid();
		s->next_dither_ns = now_ns();
	}
	if (o->argv)
		attach_warmup(s);
	return 0;
}

/*
 * --call-graph unset: dwarf if the code of the target's objects mapped now
 * (its executable and libraries) lacks frame pointers, else fp.
 */
static void choose_call_graph(struct pt_session *s)
{
	char why[512];
	bool lacks = false;

	if (pt_fpcheck__usyms(s->usyms, &lacks, why, sizeof(why)) || !lacks) {
		pt_info("call graph: fp (the target's objects have frame pointers)");
		return;
	}
	pt_info("call graph: dwarf, %u bytes of stack per sample (%s lacks frame pointers); --call-graph fp to walk frame pointers only",
		s->o->ustack_size, why);
	pt_tracer__set_ustack_copy(s->tracer, s->o->ustack_size);
}

/* The unwinder over the symbolizer's modules, for --call-graph dwarf;
 * without it samples keep their frame-pointer stacks. */
static void open_unwinder(struct pt_session *s)
{
	char err[512];

	if (!s->usyms) {
		pt_warn("no symbolizer: stacks are walked by frame pointers");
		return;
	}
	if (pt_unwinder__new(s->usyms, &s->unwinder, err, sizeof(err))) {
		pt_warn("%s", err);
		return;
	}
	pt_ustacks__set_unwinder(s->ustacks, s->unwinder);
	if (s->o->call_graph == PT_CG_AUTO)
		choose_call_graph(s);
}

/* Stacks to name: open the target's objects while it lives (a launched
 * one once its loader has mapped its libraries: its _init ran, or 200 ms
 * passed). */
static void open_syms(struct pt_session *s)
{
	uint64_t give_up = now_ns() + 200000000ull;
	char err[512];

	if (s->want_syms && s->several) {
		s->next_syms_ns = now_ns() + 2000000;
		s->syms_refreshes = 1;
	}
	if (!s->want_syms || !s->pid)
		return;
	if (s->o->argv)
		while (!pt_tracer__warmed_up(s->tracer) && now_ns() < give_up &&
		       !kill(s->pid, 0))
			usleep(200);
	if (pt_usyms__open(s->pid, &s->usyms, err, sizeof(err)))
		pt_warn("%s; stacks are shown as addresses", err);
	if (s->ustacks)
		open_unwinder(s);
	s->next_syms_ns = now_ns() + 2000000;
	s->syms_refreshes = 1;
	pt_debug("start: symbols opened at %.1f ms", (now_ns() - s->t0) / 1e6);
}

/* The traced processes alive now into *v (malloc'ed), as pipetrace's PID
 * namespace names them: with several, the BPF side's table (followed
 * children, -p, --comm matches; the kernel's ids, translated: one outside
 * the namespace is left out); else the target. 0 or -errno. */
static int traced_now(struct pt_session *s, pid_t **v, size_t *n)
{
	struct pt_proc_info *p = NULL;
	size_t np = 0;
	int ret;

	*n = 0;
	ret = s->several ? pt_tracer__read_procs(s->tracer, &p, &np) : 0;
	*v = ret ? NULL : calloc(np + 1, sizeof(**v));
	if (!ret && !*v)
		ret = -ENOMEM;
	if (!ret && !s->several && s->pid > 0)
		(*v)[(*n)++] = s->pid;
	for (size_t i = 0; !ret && i < np; i++) {
		pid_t id;

		if (p[i].exited)
			continue;
		ret = pt_pipewait__id_of(&s->pipes, p[i].pid, &id);
		if (!ret)
			(*v)[(*n)++] = id;
		if (ret == -ESRCH)
			ret = 0;
	}
	free(p);
	if (ret) {
		free(*v);
		*v = NULL;
	}
	return ret;
}

static int kernel_of(void *ctx, pid_t id, uint32_t *out)
{
	return pt_tracer__kernel_tid(ctx, id, out);
}

/* The pipes around the traced processes (collect/pipewait.h): a failure
 * costs only the pipeline's part of the report. */
static void pipes_begin(struct pt_session *s)
{
	struct pt_pipewait_ids ids = { kernel_of, s->tracer };
	pid_t *v;
	size_t n;
	int ret;

	pt_pipewait__init(&s->pipes, pt_kpid__initial_ns() ? NULL : &ids);
	ret = traced_now(s, &v, &n);

	if (!ret)
		ret = pt_pipewait__begin(&s->pipes, v, n);
	free(v);
	s->pipes_on = !ret;
	if (ret)
		pt_warn("cannot read the target's pipes: %s", strerror(-ret));
}

/* Every 100 ms: the processes traced now, their pipes, everyone's CPU. */
static void pipes_tick(struct pt_session *s, uint64_t now)
{
	pid_t *v;
	size_t n;

	if (!s->pipes_on)
		return;
	if (s->several && now >= s->pipes.next_sample_ns &&
	    !traced_now(s, &v, &n)) {
		if (pt_pipewait__track(&s->pipes, v, n))
			pt_debug("pipes: out of memory for the processes");
		free(v);
	}
	pt_pipewait__tick(&s->pipes, now);
}

static const struct pt_pipeline *pipes_end(struct pt_session *s,
					   const struct pt_snapshot *snap)
{
	struct pt_pipewait_end e = {
		.fds = {
			.waits = pt_tracer__map_fd(s->tracer, "pipe_waits"),
			.stage = pt_tracer__map_fd(s->tracer, "pipe_stage"),
			.lost = pt_tracer__map_fd(s->tracer, "pipe_lost"),
		},
		.nstages = s->stages.n,
		.span_ns = snap->duration_ns,
		.bytes = !s->o->sys_light || s->o->libcio,
		.bytes_from = !s->o->sys_light ? "exact" :
			      s->o->libcio     ? "libc" :
						 NULL,
		.procs = snap->procs,
		.nprocs = snap->nprocs,
		.threads = snap->threads,
		.nthreads = snap->nthreads,
	};
	int ret;

	if (!s->pipes_on)
		return NULL;
	ret = pt_pipewait__end(&s->pipes, &e);
	if (ret) {
		pt_warn("cannot read the pipe waits: %s", strerror(-ret));
		return NULL;
	}
	return &s->pipes.pl;
}

int pt_session__attach(struct pt_session *s, char *err, size_t errlen)
{
	int ret;

	ret = watch_signals(s, err, errlen);
	if (!ret)
		ret = find_target(s, err, errlen);
	if (!ret)
		ret = pt_session__seed_procs(s, err, errlen);
	if (!ret)
		ret = pt_tracer__attach(s->tracer, s->pid, err, errlen);
	if (!ret)
		ret = pt_target__check_same(&s->target, err, errlen);
	if (!ret)
		ret = attach_extras(s, err, errlen);
	if (!ret)
		ret = pt_session__scan_procs(s, err, errlen);
	if (ret)
		return ret;
	s->start_ns = now_ns();
	pt_debug("start: attached at %.1f ms (CPU %.1f ms)",
		 (s->start_ns - s->t0) / 1e6, cpu_ms());
	/* A launched command's waits count from its release: before, it
	 * blocks on pipetrace's hold pipe, which may happen after attach on
	 * a loaded machine. */
	if (!s->o->argv)
		pt_tracer__start_offcpu(s->tracer);
	/* Every thread, also those that will not run while traced. */
	if (s->pid && pt_tasks__read(s->pid, &s->tasks, err, errlen))
		pt_warn("%s", err);
	tasks_to_kernel_ids(s, &s->tasks);
	pt_session__libcio_begin(s, now_ns());
	seed_blocked(s);
	pipes_begin(s);
	if (s->o->argv) {
		pt_tracer__start_offcpu(s->tracer);
		ret = pt_tracer__hold_prexec(s->tracer, err, errlen);
		if (ret)
			return ret;
		ret = pt_child__release(&s->child);
		if (ret) {
			s->fail_code = 127;
			return pt_errf(err, errlen, ret, "cannot run '%s': %s",
				       s->o->argv[0], strerror(-ret));
		}
	}
	open_syms(s);
	pt_info("tracing %zu stage%s of PID %d%s", s->stages.n,
		s->stages.n == 1 ? "" : "s", s->pid,
		!s->o->argv ? "; Ctrl-C to stop" : "");
	return 0;
}

/* ----------------------------------------------------------------- run */

/*
 * Re-reads the target's maps for the symbolizer on a schedule: soon after
 * the start (a launched program's loader is still mapping its libraries),
 * then every 200 ms, so that a target that exits is named as it last was.
 */
static void refresh_syms(struct pt_session *s, uint64_t now)
{
	static const uint64_t early_ms[] = { 2, 10, 30, 80 };
	int ret;

	if ((!s->usyms && !(s->several && s->want_syms)) ||
	    now < s->next_syms_ns)
		return;
	if (s->usyms) {
		ret = pt_usyms__refresh(s->usyms);
		pt_debug("symbols: maps re-read (%d), target %s", ret,
			 pt_usyms__alive(s->usyms) ? "alive" : "gone");
	}
	pt_session__refresh_procs_syms(s);
	s->syms_refreshes++;
	s->next_syms_ns =
		now +
		1000000ull * (s->syms_refreshes < 4 ?
				      early_ms[s->syms_refreshes] -
					      early_ms[s->syms_refreshes - 1] :
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
static void dither_sampling(struct pt_session *s, uint64_t now)
{
	uint64_t base = 1000000000ull / s->o->freq_hz;
	double hz;

	if (!s->next_dither_ns || now < s->next_dither_ns)
		return;
	hz = s->o->freq_hz *
	     (0.75 + 0.5 * (double)rand_r(&s->dither_seed) / RAND_MAX);
	pt_tracer__set_sample_period(s->tracer, (uint64_t)(1e9 / hz));
	s->next_dither_ns =
		now + base * (10 + (uint64_t)rand_r(&s->dither_seed) % 21);
}

/* How often streamed events are drained at the least. */
#define EVENTS_DRAIN_NS 20000000ull

/* Hands the streamed events waiting to the sinks; a failed drain fails
 * the sinks that take them, at the end. */
static void drain_events(struct pt_session *s)
{
	int n;

	if (!(s->needs & PT_SINK_EVENTS) && !s->ustacks)
		return;
	if (s->events_err)
		return;
	n = pt_tracer__drain(s->tracer);
	if (n >= 0)
		return;
	s->events_err = n;
	pt_sinks__fail(&s->sinks, PT_SINK_EVENTS, n);
}

/* A calibration burst when one is due (see RECALIB_NS). */
static void recalibrate(struct pt_session *s, uint64_t now)
{
	int ret;

	if (!s->next_calib_ns || now < s->next_calib_ns)
		return;
	ret = pt_tracer__recalibrate(s->tracer, s->bias_ns, s->tail_ns,
				     pt_session__follow_execs, s);
	if (ret)
		pt_debug("calibration burst: %s (figures kept)",
			 strerror(-ret));
	s->calib_gap_ns = s->calib_gap_ns * 2 < RECALIB_NS ?
				  s->calib_gap_ns * 2 :
				  RECALIB_NS;
	if (s->start_ns && now > s->start_ns + RECALIB_SETTLE_NS)
		s->calib_gap_ns = RECALIB_LATE_NS;
	s->next_calib_ns = now + s->calib_gap_ns;
}

/* An interval's report (-i) to the sinks that print them. */
static void tick(struct pt_session *s)
{
	struct pt_snapshot snap, iv;
	struct pt_report rep;
	char err[512];

	if (pt_session__snapshot(s, false, &snap, err, sizeof(err))) {
		pt_warn("%s", err);
		return;
	}
	/* The interval's own figures, not averages since attach. */
	if (pt_interval__next(&s->interval, &snap, &iv)) {
		pt_warn("out of memory for the interval report");
		return;
	}
	if (!pt_report__build(&rep, &iv))
		pt_sinks__tick(&s->sinks, &rep);
	pt_report__free(&rep);
}

/* The earliest of the run's timers after now, or 0 for none. */
static uint64_t next_wake(const struct pt_session *s, uint64_t now,
			  uint64_t deadline, uint64_t tick_at)
{
	uint64_t next = deadline;

	if (tick_at && (!next || tick_at < next))
		next = tick_at;
	if ((s->usyms || (s->several && s->want_syms)) &&
	    (!next || s->next_syms_ns < next))
		next = s->next_syms_ns;
	if (s->next_dither_ns && (!next || s->next_dither_ns < next))
		next = s->next_dither_ns;
	if (s->pipes_on && (!next || s->pipes.next_sample_ns < next))
		next = s->pipes.next_sample_ns;
	if (s->next_libcio_ns && (!next || s->next_libcio_ns < next))
		next = s->next_libcio_ns;
	if (s->next_calib_ns && (!next || s->next_calib_ns < next))
		next = s->next_calib_ns;
	/* Streamed events wake us only in bulk: drain them often. */
	if (((s->needs & PT_SINK_EVENTS) || s->ustacks) &&
	    (!next || now + EVENTS_DRAIN_NS < next))
		next = now + EVENTS_DRAIN_NS;
	return next;
}

/* Polls until next (0: no timeout). Returns the stop reason, or -1 to go
 * on. */
static int poll_once(struct pt_session *s, uint64_t now, uint64_t next)
{
	struct signalfd_siginfo si;
	struct pollfd p[4];
	int timeout = !next	  ? -1 :
		      next <= now ? 0 :
				    (int)((next - now + 999999) / 1000000);

	p[0] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
	/* poll() skips negative fds. */
	p[2] = (struct pollfd){ .fd = pt_tracer__stream_fd(s->tracer),
				.events = POLLIN };
	p[3] = (struct pollfd){ .fd = pt_tracer__exec_fd(s->tracer),
				.events = POLLIN };
	if (poll(p, 4, timeout) < 0) {
		if (errno == EINTR)
			return -1;
		pt_err("poll: %s", strerror(errno));
		return PT_STOP_SIGNAL;
	}
	if (p[0].revents & POLLIN) {
		if (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
			s->signo = (int)si.ssi_signo;
		return PT_STOP_SIGNAL;
	}
	if (p[3].revents & POLLIN)
		pt_session__probe_execs(s);
	if ((p[1].revents & (POLLIN | POLLHUP)) && !pt_session__next_pidfd(s))
		return PT_STOP_EXITED;
	return -1;
}

enum pt_stop pt_session__run(struct pt_session *s)
{
	const struct pt_opts *o = s->o;
	uint64_t deadline = 0, tick_at = 0, iv = 0, now;
	int why;

	if (o->duration_s > 0)
		deadline = s->start_ns + (uint64_t)(o->duration_s * 1e9);
	if (o->interval_s > 0) {
		iv = (uint64_t)(o->interval_s * 1e9);
		tick_at = s->start_ns + iv;
	}
	for (;;) {
		now = now_ns();
		if (deadline && now >= deadline) {
			why = PT_STOP_DURATION;
			break;
		}
		if (tick_at && now >= tick_at) {
			tick(s);
			tick_at += iv;
			continue;
		}
		refresh_syms(s, now);
		dither_sampling(s, now);
		pipes_tick(s, now);
		pt_session__libcio_tick(s, now);
		recalibrate(s, now);
		if (s->execs.ntodo) /* read during the burst */
			pt_session__probe_execs(s);
		drain_events(s);
		why = poll_once(s, now, next_wake(s, now, deadline, tick_at));
		if (why >= 0)
			break;
	}
	s->end_ns = now_ns();
	s->exited = why == PT_STOP_EXITED;
	/* Beside "attached at": pipetrace's own CPU while it traced. */
	pt_debug("run: ended at %.1f ms (CPU %.1f ms)",
		 (s->end_ns - s->t0) / 1e6, cpu_ms());
	return (enum pt_stop)why;
}

/* ------------------------------------------------------------ snapshot */

static void snapshot_release(struct pt_session *s)
{
	struct pt_snap_data *d = &s->data;

	if (d->mem)
		pt_mem__free(d->mem, s->stages.n + 1);
	free(d->mem);
	free(d->totals);
	free(d->threads);
	free(d->pairs);
	free(d->procs);
	free(d->proc_stages);
	pt_folded__free(d->oncpu);
	pt_folded__free(d->offcpu);
	memset(d, 0, sizeof(*d));
}

/* The memory half (--alloc): per-stage heap figures and RSS. */
static int snap_mem(struct pt_session *s, struct pt_snapshot *snap)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct pt_exit_mem em;
	int ret;

	s->data.mem = calloc(s->stages.n + 1, sizeof(*s->data.mem));
	if (!s->data.mem)
		return -ENOMEM;
	ret = pt_mem__collect(s->tracer, s->stages.n, s->o->alloc_sample,
			      s->usyms, s->ustacks, s->data.mem);
	if (ret)
		return ret;
	snap->mem = s->data.mem;
	snap->alloc_sample = s->o->alloc_sample;
	snap->alloc_min = s->o->alloc_min;
	snap->rss.start = s->rss_start;
	if (!s->exited && !pt_proc_status__read_rss(s->pid, &snap->rss.end,
						    &snap->rss.peak)) {
		snap->rss.end_known = true;
		return 0;
	}
	/* Gone: what the kernel saw as its last thread exited. */
	pt_tracer__exit_mem(s->tracer, &em);
	if (em.seen) {
		snap->rss.end = em.rss_pages * page;
		snap->rss.peak = em.hiwater_pages * page;
		snap->rss.end_known = true;
	}
	return 0;
}

/* The threads /proc listed at attach that the trace never saw run, as
 * they are now (all of them if the target is gone). 0 or -ENOMEM. */
static int snap_unseen(struct pt_session *s, uint64_t duration_ns,
		       size_t *nthreads)
{
	struct pt_task_set now = { 0 };
	char err[256];
	int ret;

	if (!s->tasks.n)
		return 0;
	if (!s->exited && pt_tasks__read(s->pid, &now, err, sizeof(err)))
		pt_debug("%s", err);
	tasks_to_kernel_ids(s, &now);
	ret = pt_tasks__add_unseen(&s->tasks, s->exited ? NULL : &now,
				   duration_ns, &s->data.threads, nthreads);
	pt_tasks__free(&now);
	return ret;
}

/* Every counter the BPF side keeps, up to end. 0 or -errno. */
static int snap_counters(struct pt_session *s, struct pt_snapshot *snap,
			 uint64_t end)
{
	struct pt_snap_data *d = &s->data;
	int ret;

	d->totals = calloc(s->stages.n ? s->stages.n : 1, sizeof(*d->totals));
	if (!d->totals)
		return -ENOMEM;
	ret = pt_tracer__read(s->tracer, d->totals, snap->lost);
	if (!ret && s->ustacks) {
		struct pt_ustacks_stats st;

		pt_ustacks__stats(s->ustacks, &st);
		snap->lost[PT_LOST_CUT_STACKS] = st.cut;
	}
	snap->inflight_exits = pt_tracer__inflight_exits(s->tracer);
	if (!ret)
		ret = pt_tracer__read_threads(s->tracer, end, &d->threads,
					      &snap->nthreads);
	if (!ret)
		ret = snap_unseen(s, snap->duration_ns, &snap->nthreads);
	if (!ret)
		ret = pt_tracer__read_pairs(s->tracer, &d->pairs,
					    &snap->npairs);
	if (!ret)
		ret = pt_tracer__charge_open(s->tracer, end, d->totals,
					     &d->pairs, &snap->npairs);
	if (!ret && s->o->alloc)
		ret = snap_mem(s, snap);
	if (!ret)
		ret = pt_session__snap_procs(s, snap);
	snap->totals = d->totals;
	snap->threads = d->threads;
	snap->pairs = d->pairs;
	return ret;
}

/* What --call-graph dwarf cost and gave (-v), and what it dropped. */
static void note_ustacks(const struct pt_session *s)
{
	struct pt_ustacks_stats st;
	uint64_t n;

	if (!s->ustacks)
		return;
	pt_ustacks__stats(s->ustacks, &st);
	n = st.samples ? st.samples : 1;
	pt_debug(
		"call graph dwarf: %llu samples, %llu unwound by CFI, %llu by frame pointers; %.0f bytes of stack and %u of header (registers, uretprobe slots) copied per sample; unwinding %.1f us of CPU per sample; %llu off-CPU weights without their sample",
		(unsigned long long)st.samples, (unsigned long long)st.unwound,
		(unsigned long long)st.fallback,
		(double)st.stack_bytes / (double)n,
		(unsigned int)sizeof(struct pt_usample_hdr),
		(double)st.unwind_ns / 1e3 / (double)n,
		(unsigned long long)st.unmatched);
	if (st.cut)
		pt_warn("call graph dwarf: %llu of %llu stacks cut short where the %u bytes of stack copied per sample ended; raise --call-graph dwarf,SIZE (up to %u)",
			(unsigned long long)st.cut,
			(unsigned long long)st.samples, s->o->ustack_size,
			PT_USTACK_MAX);
	if (st.malformed || st.dropped)
		pt_warn("call graph dwarf: %llu samples dropped (%llu malformed, %llu over the stacks limit)",
			(unsigned long long)(st.malformed + st.dropped),
			(unsigned long long)st.malformed,
			(unsigned long long)st.dropped);
}

/* Kernel names for the folded stacks, from /proc/kallsyms when they are
 * first folded, not at start (its read and parse took 120-200 ms of CPU
 * before attach). The final fold, when it is the first, keeps only the
 * symbols of the frames it names (pt_ksyms__load_for(): most of a whole
 * table's cost was touching its memory); folds of -i intervals read the
 * whole table, once. */
static void load_ksyms(struct pt_session *s, bool final,
		       const struct pt_stackfold_opts *so)
{
	uint64_t t0 = now_ns(), *ips = NULL;
	double cpu0 = cpu_ms();
	size_t n = 0;
	char err[512];
	int ret;

	if (s->ksyms_tried)
		return;
	if (final && pt_stackfold__kernel_ips(s->tracer, so, &ips, &n))
		final = false; /* out of memory: the whole table */
	ret = final ? pt_ksyms__load_for(ips, n, &s->ksyms, err, sizeof(err)) :
		      pt_ksyms__load(&s->ksyms, err, sizeof(err));
	free(ips);
	s->ksyms_tried = true;
	if (ret) {
		pt_warn("%s; kernel frames are shown as addresses", err);
		return;
	}
	pt_debug(
		"kernel symbols: %zu read from /proc/kallsyms in %.1f ms (CPU %.1f ms)%s",
		pt_ksyms__count(s->ksyms), (now_ns() - t0) / 1e6,
		cpu_ms() - cpu0, final ? ", those of the frames named" : "");
}

/* The folded stacks the sinks want; a failure fails those sinks only. */
static void snap_stacks(struct pt_session *s, struct pt_snapshot *snap,
			bool final)
{
	struct pt_stackfold_opts so = { .addresses = s->o->addresses,
					.ustacks = s->ustacks };
	struct pt_snap_data *d = &s->data;
	unsigned int want = s->needs & (PT_SINK_ONCPU | PT_SINK_OFFCPU);
	int ret = 0;

	if (!want)
		return;
	pt_session__stackfold_procs(s, snap, &so);
	load_ksyms(s, final, &so);
	note_ustacks(s);
	if (want & PT_SINK_ONCPU)
		ret = pt_folded__new(&d->oncpu);
	if (!ret && (want & PT_SINK_OFFCPU))
		ret = pt_folded__new(&d->offcpu);
	if (!ret)
		ret = pt_stackfold__collect(s->tracer, &s->stages, s->usyms,
					    s->ksyms, &so, d->oncpu, d->offcpu,
					    &snap->stack_stats);
	if (ret) {
		pt_warn("cannot fold the stacks: %s", strerror(-ret));
		pt_sinks__fail(&s->sinks, want, ret);
		return;
	}
	snap->oncpu = d->oncpu;
	snap->offcpu = d->offcpu;
}

int pt_session__snapshot(struct pt_session *s, bool final,
			 struct pt_snapshot *snap, char *err, size_t errlen)
{
	uint64_t end = final ? s->end_ns : now_ns();
	int ret;

	snapshot_release(s);
	memset(snap, 0, sizeof(*snap));
	if (final) {
		/* Stacks are named by the target's maps as they are now, if
		 * it lives. */
		pt_tracer__freeze(s->tracer);
		if (s->usyms && !s->exited)
			pt_usyms__refresh(s->usyms);
		pt_session__refresh_procs_syms(s);
		drain_events(s);
	}
	snap->pid = s->pid;
	snap->command = s->command;
	snap->stages = &s->stages;
	snap->duration_ns = end - s->start_ns;
	snap->final = final;
	snap->calibrated = s->calibrated;
	snap->sys_light = s->o->sys_light;
	snap->libc_io = s->libcio_on;
	memcpy(snap->bias_ns, s->bias_ns, sizeof(snap->bias_ns));
	memcpy(snap->tail_ns, s->tail_ns, sizeof(snap->tail_ns));
	pt_tracer__nest_ns(s->tracer, snap->nest_ns, snap->nest_tail_ns);
	ret = snap_counters(s, snap, end);
	if (ret)
		return pt_errf(err, errlen, ret,
			       "cannot read the BPF counters: %s",
			       strerror(-ret));
	if (final) {
		snap_stacks(s, snap, final);
		snap->pipeline = pipes_end(s, snap);
	}
	return 0;
}

/* ------------------------------------------------------------ the end */

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

void pt_session__detach(struct pt_session *s)
{
	uint64_t t = now_ns();

	signals_end_detach(true);
	pt_tracer__detach(s->tracer);
	signals_end_detach(false);
	pt_debug("end: detached in %.1f ms", (now_ns() - t) / 1e6);
}

int pt_session__end(struct pt_session *s, enum pt_stop why, bool failed)
{
	int status, code = failed ? 1 : 0;

	if (!s->o->argv || why == PT_STOP_SIGNAL) {
		/* A signalled launch leaves the command running, untraced. */
		if (why == PT_STOP_SIGNAL && s->o->argv)
			code = 128 + s->signo;
		s->child.pid = -1;
		return code;
	}
	/* Launched: exit with the command's status once it ends. */
	while (waitpid(s->child.pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	s->child.pid = -1;
	return failed ? code : status_code(status);
}

void pt_session__free(struct pt_session *s)
{
	pt_child__abort(&s->child);
	pt_tracer__close(s->tracer);
	pt_sinks__free(&s->sinks);
	snapshot_release(s);
	pt_interval__free(&s->interval);
	pt_tasks__free(&s->tasks);
	pt_pipewait__free(&s->pipes);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	pt_stages__free(&s->stages);
	pt_alloc_sites__free(&s->asites);
	pt_libcio__free(&s->lsites);
	free(s->libcio_at);
	pt_ustacks__free(s->ustacks);
	pt_unwinder__free(s->unwinder);
	pt_usyms__close(s->usyms);
	pt_ksyms__free(s->ksyms);
	pt_target__free(&s->target);
	pt_session__free_procs(s);
	pt_creds__free(&s->creds);
	free(s->command);
}
