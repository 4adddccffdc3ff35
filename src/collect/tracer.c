// SPDX-License-Identifier: MIT
/* tracer.c - see tracer.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "symbols/elfsyms.h"
#include "report/hist.h"
#include "util/log.h"
#include "pipetrace.skel.h"
#include "collect/kpid.h"
#include "collect/libcio.h"
#include "collect/pending.h"
#include "collect/pipewait.h"
#include "collect/sysclass.h"
#include "collect/tasks.h"
#include "collect/tracer.h"
#include "collect/umulti.h"
#include "collect/uprobes.h"

/* Calibration at start: bursts of calls of each class's function, a yield
 * of the CPU between them, so that no one moment of a busy machine makes
 * the figures. */
#define PT_CALIB_BURSTS 9
#define PT_CALIB_BURST_CALLS 250
/* Calls per start burst on cooled caches, and how much their cooling
 * writes: each call's cooling takes ~11 us on a free CPU here, the 40
 * ~0.5 ms (more on a busy one). Only the start's bursts have them: while
 * the target is traced they would cost pipetrace that every burst. */
#define PT_CALIB_COLD_CALLS 40
#define PT_CALIB_COLD_BYTES (1u << 20)
/* Bursts whose figures make the running ones, per class: the last minute
 * or so of pt_tracer__recalibrate(). */
#define PT_CALIB_KEEP 256

/* restart_syscall's functions: looked up by the kernel after load
 * (ksyms.bpf.c), or where it cannot, read from /proc/kallsyms (~40 ms of
 * CPU, a fifth of a second on a busy host) in a thread while the programs
 * load. */
struct restarts {
	pthread_t thread;
	bool started;
	bool bpf; /* find_restarts loaded: the kernel's lookup */
	int n; /* functions found, or -errno with msg */
	uint64_t fn[PT_RESTART_FNS];
	int32_t nr[PT_RESTART_FNS];
	char msg[256];
};

struct pt_tracer {
	struct pipetrace *skel;
	struct restarts restarts;
	const struct pt_stage_set *stages;
	/* Stage ids the BPF side has room for: stages->n, and with several
	 * processes spare ones for the programs they exec (the calibration
	 * function's id is cap). */
	size_t cap;
	bool multi; /* uprobes through multi-uprobe links (umulti.h) */
	struct pt_uprobes stage_up; /* stages' exits, then entries */
	struct pt_uprobes calib_up; /* kept until detach */
	struct bpf_link *tp_links[6]; /* scheduler and syscall tracepoints */
	bool procs; /* several processes: probes on every process, filtered */
	struct bpf_link *proc_links[3]; /* procs.bpf.c: fork, exec, exit */
	struct pt_uprobes warm_up;
	struct pt_uprobes alloc_up; /* --alloc */
	struct pt_uprobes libcio_up; /* --syscalls light: libc I/O calls */
	pid_t *libcio_pids; /* the processes libcio_up covers */
	size_t nlibcio_pids;
	struct bpf_link *fault_link; /* page_fault_user, with --alloc */
	struct bpf_link **sample_links; /* one per CPU, with --folded */
	struct bpf_link *exec_link; /* a launched command's exec (launch_exec) */
	int *sample_fds; /* their perf events (owned by the links) */
	int nsample_links;
	int ncpus;
	struct pt_stage_stats *percpu; /* ncpus values, for lookups */
	struct pt_stage_time *percpu_time;
	struct ring_buffer *rb; /* --events */
	struct ring_buffer *exec_rb; /* several processes: their execs */
	/* task_ids (kpid.h), when pipetrace runs in a PID namespace that is
	 * not the initial one; else NULL: its ids are the kernel's. */
	struct bpf_program *kpid_iter;
	struct pt_calib *cal; /* calibration's running figures, or NULL */
};

/* ------------------------------------------------------------------ helpers */

/* Says what the kernel offers; fails only on what pipetrace cannot do
 * without. Returns 0 or -EOPNOTSUPP with a message in err. */
static int check_kernel(char *err, size_t errlen)
{
	static const struct {
		const char *path, *what;
		bool needed;
	} features[] = {
		{ "/sys/kernel/btf/vmlinux", "BTF (CONFIG_DEBUG_INFO_BTF)",
		  true },
		{ "/sys/bus/event_source/devices/uprobe/type",
		  "uprobes (CONFIG_UPROBE_EVENTS)", true },
		{ "/sys/bus/event_source/devices/kprobe/type",
		  "kprobes (not used)", false },
	};
	/* PIPETRACE_SYSFS: another root for these files, so that tests can
	 * show what pipetrace says on kernels without them. */
	const char *root = getenv("PIPETRACE_SYSFS");
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		bool ok;

		snprintf(path, sizeof(path), "%s%s", root ? root : "",
			 features[i].path);
		ok = access(path, R_OK) == 0;

		pt_debug("kernel feature %s: %s", features[i].what,
			 ok ? "yes" : "no");
		if (!ok && features[i].needed)
			return pt_errf(
				err, errlen, -EOPNOTSUPP,
				"kernel lacks %s: %s is missing; use a kernel built with it",
				features[i].what, features[i].path);
	}
	return 0;
}

/* Sums stage id's per-CPU counters into *out. Returns 0 or -errno. */
static int read_stage(struct pt_tracer *t, uint32_t id, struct pt_totals *out)
{
	int fd = bpf_map__fd(t->skel->maps.stats), i;

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &id, t->percpu) ||
	    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stage_time), &id,
				t->percpu_time))
		return -errno;
	for (i = 0; i < t->ncpus; i++)
		pt_totals__add_cpu(out, &t->percpu[i], &t->percpu_time[i]);
	return 0;
}

static void setup_procs(struct pt_tracer *t, const struct pt_tracer_opts *o);
static int attach_procs(struct pt_tracer *t, char *err, size_t errlen);

/* ---------------------------------------------------------------- lifecycle */

/*
 * Loads the uprobe programs for multi-uprobe links if the kernel has them:
 * their removal then waits for one grace period per link, not per probe.
 * PIPETRACE_UPROBE_MULTI=0 forces one perf-event link per probe, as on
 * kernels without them (so that tests cover both).
 */
static void use_multi(struct pt_tracer *t)
{
	struct bpf_program *progs[] = {
		t->skel->progs.stage_enter, t->skel->progs.stage_exit,
		t->skel->progs.warmup,	    t->skel->progs.alloc_enter,
		t->skel->progs.alloc_exit,  t->skel->progs.go_enter,
		t->skel->progs.go_exit,	    t->skel->progs.libcio_enter,
		t->skel->progs.libcio_exit,
	};
	const char *env = getenv("PIPETRACE_UPROBE_MULTI");
	int ok = env && !strcmp(env, "0") ? 0 : pt_umulti__probe();
	size_t i;

	pt_debug("kernel feature multi-uprobe links: %s%s",
		 ok > 0 ? "yes" : "no", env && ok == 0 ? " (forced off)" : "");
	t->multi = ok > 0;
	t->stage_up.multi = t->calib_up.multi = t->multi;
	t->warm_up.multi = t->alloc_up.multi = t->multi;
	t->libcio_up.multi = t->multi;
	for (i = 0; t->multi && i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_expected_attach_type(
			progs[i], (enum bpf_attach_type)PT_TRACE_UPROBE_MULTI);
}

/* Go stages' programs load only with Go stages; the runtime's g layout
 * (one Go program: one layout) before load. */
static void set_go(struct pt_tracer *t, const struct pt_stage_set *st)
{
	bool go = false;
	size_t i;

	for (i = 0; i < st->n; i++) {
		if (!st->v[i].go)
			continue;
		t->skel->rodata->go_stack_hi = st->v[i].go_layout.stack_hi;
		t->skel->rodata->go_goid = st->v[i].go_layout.goid;
		go = true;
	}
	t->skel->rodata->go_on = go;
	bpf_program__set_autoload(t->skel->progs.go_enter, go);
	bpf_program__set_autoload(t->skel->progs.go_exit, go);
}

static void *read_restarts(void *arg)
{
	struct restarts *r = arg;

	r->n = pt_sysclass__restarts("/proc/kallsyms", r->fn, r->nr, r->msg,
				     sizeof(r->msg));
	return NULL;
}

/* What restart_syscall continues, from /proc/kallsyms: read in a thread
 * from here (read at once when no thread can be made). */
static void start_restarts(struct pt_tracer *t)
{
	struct restarts *r = &t->restarts;

	r->started = !pthread_create(&r->thread, NULL, read_restarts, r);
	if (!r->started)
		read_restarts(r);
}

/* The kernel's lookup where it has one: find_restarts loaded then, with
 * the names in its rodata; else the kallsyms read starts now.
 * PIPETRACE_RESTARTS=kallsyms reads kallsyms as on kernels without the
 * lookup (so that tests cover both). */
static void prepare_restarts(struct pt_tracer *t)
{
	const char *env = getenv("PIPETRACE_RESTARTS");
	struct restarts *r = &t->restarts;

	r->bpf = !(env && !strcmp(env, "kallsyms")) &&
		 libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL,
					 BPF_FUNC_kallsyms_lookup_name,
					 NULL) > 0;
	bpf_program__set_autoload(t->skel->progs.find_restarts, r->bpf);
	if (!r->bpf) {
		start_restarts(t);
		return;
	}
	pt_sysclass__restart_names(
		(char(*)[PT_RESTART_NAME_LEN])t->skel->rodata->restart_name,
		(int32_t *)t->skel->rodata->restart_name_nr);
}

/* Runs find_restarts, which fills the programs' restart_fn[] and
 * restart_nr[]: how many it found, or -errno. */
static int lookup_restarts(struct pt_tracer *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	int ret;

	ret = bpf_prog_test_run_opts(
		bpf_program__fd(t->skel->progs.find_restarts), &run);
	return ret < 0 ? ret : (int)run.retval;
}

/* Waits for the read, once; with bss, its figures go to the programs:
 * without them (no addresses shown), a sleep resumed after SIGSTOP/SIGCONT
 * counts as other. With the kernel's lookup, runs it (and where it fails,
 * reads kallsyms now). */
static void finish_restarts(struct pt_tracer *t, bool bss)
{
	struct restarts *r = &t->restarts;
	const char *how = "kallsyms";

	if (r->started)
		pthread_join(r->thread, NULL);
	r->started = false;
	if (!bss)
		return;
	if (r->bpf) {
		r->n = lookup_restarts(t);
		if (r->n >= 0) {
			how = "the kernel's lookup";
			goto known;
		}
		pt_debug(
			"restart_syscall: the kernel's lookup failed: %s; reading kallsyms",
			strerror(-r->n));
		read_restarts(r);
	}
	memcpy((void *)t->skel->bss->restart_fn, r->fn, sizeof(r->fn));
	memcpy((void *)t->skel->bss->restart_nr, r->nr, sizeof(r->nr));
	if (r->n < 0) {
		pt_debug("%s", r->msg);
		return;
	}
known:
	pt_debug("restart_syscall: %d restart functions known (%s)%s", r->n,
		 how, r->n ? "" : " (the kernel hides addresses: run as root)");
}

int pt_tracer__open(const struct pt_stage_set *stages,
		    const struct pt_tracer_opts *o, struct pt_tracer **out,
		    char *err, size_t errlen)
{
	struct pt_tracer *t;
	size_t i;
	int ret;

	*out = NULL;
	ret = check_kernel(err, errlen);
	if (ret)
		return ret;
	if ((stages->n == 0 && !o->spare_stages) ||
	    stages->n > PT_MAX_TRACED_STAGES)
		return pt_errf(err, errlen, -EINVAL, "no stages to trace");
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->stages = stages;
	t->cap = stages->n + o->spare_stages;
	if (t->cap > PT_MAX_TRACED_STAGES)
		t->cap = PT_MAX_TRACED_STAGES;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		ret = t->ncpus ? t->ncpus : -EINVAL;
		pt_errf(err, errlen, ret, "cannot count CPUs: %s",
			strerror(-ret));
		goto fail;
	}
	t->percpu = calloc(t->ncpus, sizeof(*t->percpu));
	t->percpu_time = calloc(t->ncpus, sizeof(*t->percpu_time));
	if (!t->percpu || !t->percpu_time) {
		ret = -ENOMEM;
		goto fail;
	}

	t->skel = pipetrace__open();
	if (!t->skel) {
		ret = -errno;
		pt_errf(err, errlen, ret, "cannot open the BPF object: %s",
			strerror(-ret));
		goto fail;
	}
	/* One extra stage id for the calibration function. */
	bpf_map__set_max_entries(t->skel->maps.stats, t->cap + 1);
	bpf_map__set_max_entries(t->skel->maps.stage_time, t->cap + 1);
	bpf_map__set_max_entries(t->skel->maps.threads, o->max_threads);
	bpf_map__set_max_entries(t->skel->maps.thread_done, o->max_threads);
	t->skel->rodata->nstages = t->cap + 1;
	bpf_map__set_max_entries(t->skel->maps.thread_stage,
				 4 * o->max_threads);
	/* Memory: the allocator's probes load only with --alloc. */
	if (o->alloc) {
		t->skel->rodata->alloc_sample =
			o->alloc_sample ? o->alloc_sample : 1;
		t->skel->rodata->alloc_min_bytes = o->alloc_min;
		t->skel->rodata->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
		t->skel->rodata->alloc_on = 1;
		bpf_map__set_max_entries(t->skel->maps.allocs,
					 o->alloc_max ? o->alloc_max :
							PT_DEFAULT_MAX_ALLOCS);
		bpf_map__set_max_entries(t->skel->maps.alloc_calls,
					 o->max_threads);
	} else {
		bpf_program__set_autoload(t->skel->progs.alloc_enter, false);
		bpf_program__set_autoload(t->skel->progs.alloc_exit, false);
		bpf_program__set_autoload(t->skel->progs.page_fault_user,
					  false);
		bpf_map__set_max_entries(t->skel->maps.allocs, 1);
		bpf_map__set_max_entries(t->skel->maps.alloc_calls, 1);
	}
	if (!o->alloc && !o->oncpu && !o->offcpu)
		bpf_map__set_max_entries(t->skel->maps.stacks, 1);
	if (!o->oncpu) {
		bpf_program__set_autoload(t->skel->progs.on_cpu_sample, false);
		bpf_program__set_autoload(t->skel->progs.launch_exec, false);
	}
	if (!o->oncpu && !o->offcpu)
		bpf_map__set_max_entries(t->skel->maps.samples, 1);
	if (o->offcpu) {
		t->skel->rodata->offcpu_stacks = 1;
		bpf_map__set_max_entries(t->skel->maps.offcpu, o->max_threads);
	} else {
		bpf_map__set_max_entries(t->skel->maps.offcpu, 1);
	}
	if (o->dwarf && o->oncpu) {
		t->skel->rodata->usample_wake = PT_DEFAULT_USAMPLES_BYTES / 4;
		bpf_map__set_max_entries(t->skel->maps.usamples,
					 PT_DEFAULT_USAMPLES_BYTES);
	}
	if (o->dwarf && o->offcpu) {
		t->skel->rodata->offcpu_usample_wake =
			PT_DEFAULT_USAMPLES_BYTES / 4;
		bpf_map__set_max_entries(t->skel->maps.offcpu_usamples,
					 PT_DEFAULT_USAMPLES_BYTES);
	}
	if (o->alloc_dwarf && o->alloc)
		bpf_map__set_max_entries(t->skel->maps.alloc_usamples,
					 PT_DEFAULT_USAMPLES_BYTES);
	if (o->events) {
		t->skel->rodata->stream_on = 1;
		/* Wake the consumer at a quarter full; it also drains on a
		 * timer, so a quiet trace loses nothing either. */
		t->skel->rodata->wake_bytes = PT_DEFAULT_EVENTS_BYTES / 4;
		bpf_map__set_max_entries(t->skel->maps.events,
					 PT_DEFAULT_EVENTS_BYTES);
	}
	if (o->sys_light) {
		t->skel->rodata->sys_light = 1;
		bpf_program__set_autoload(t->skel->progs.sys_enter, false);
		bpf_program__set_autoload(t->skel->progs.sys_exit, false);
	}
	/* Only --syscalls libc attaches them: not verified otherwise. */
	if (!o->sys_light || !o->libcio) {
		bpf_program__set_autoload(t->skel->progs.libcio_enter, false);
		bpf_program__set_autoload(t->skel->progs.libcio_exit, false);
	}
	setup_procs(t, o);
	use_multi(t);
	/* A measurement aid: the probe programs time themselves. */
	t->skel->rodata->selftime_on =
		getenv("PIPETRACE_SELFTIME") &&
		!strcmp(getenv("PIPETRACE_SELFTIME"), "1");
	if (!pt_kpid__initial_ns())
		t->kpid_iter = t->skel->progs.task_ids;
	else
		bpf_program__set_autoload(t->skel->progs.task_ids, false);
	pt_sysclass__fill((uint8_t *)t->skel->rodata->syscall_class);
	t->skel->rodata->pipes_splice_nr = (int32_t)pt_pipewait__splice_nr();
	prepare_restarts(t);
	for (i = 0; i < stages->n; i++) {
		t->skel->bss->stage_items_mode[i] = stages->v[i].items;
		t->skel->bss->stage_fn_size[i] = stages->v[i].fn_size;
	}
	set_go(t, stages);

	ret = pipetrace__load(t->skel);
	finish_restarts(t, !ret);
	if (ret) {
		if (ret == -EPERM || (ret == -EACCES && geteuid() != 0))
			pt_errf(err, errlen, ret,
				"not permitted to load BPF programs; run pipetrace as root (CAP_BPF and CAP_PERFMON)");
		else if (ret == -EACCES)
			pt_errf(err, errlen, ret,
				"the kernel's BPF verifier rejected pipetrace's programs; run with -v for its log");
		else
			pt_errf(err, errlen, ret,
				"cannot load the BPF programs: %s; run with -v for the verifier log",
				strerror(-ret));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	pt_tracer__close(t);
	return ret;
}

void pt_tracer__freeze(struct pt_tracer *t)
{
	if (t && t->skel && t->skel->bss)
		t->skel->bss->phase = PT_PHASE_DETACHING;
}

void pt_tracer__detach(struct pt_tracer *t)
{
	struct pt_uprobes *ups[5];
	size_t i;

	if (!t)
		return;
	ups[0] = &t->alloc_up;
	ups[1] = &t->stage_up;
	ups[2] = &t->calib_up;
	ups[3] = &t->warm_up;
	ups[4] = &t->libcio_up;
	/* No new frames from here; exits go first (they come first in
	 * links[]), closing the calls in flight until they are gone. */
	pt_tracer__freeze(t);
	bpf_link__destroy(t->fault_link);
	t->fault_link = NULL;
	for (i = 0; i < (size_t)t->nsample_links; i++)
		bpf_link__destroy(t->sample_links[i]);
	t->nsample_links = 0;
	bpf_link__destroy(t->exec_link);
	t->exec_link = NULL;
	/* The allocator's probes first: the hottest. */
	pt_uprobes__detach(ups, sizeof(ups) / sizeof(ups[0]));
	for (i = 0; i < sizeof(t->proc_links) / sizeof(t->proc_links[0]); i++) {
		bpf_link__destroy(t->proc_links[i]);
		t->proc_links[i] = NULL;
	}
	for (i = 0; i < sizeof(t->tp_links) / sizeof(t->tp_links[0]); i++) {
		bpf_link__destroy(t->tp_links[i]);
		t->tp_links[i] = NULL;
	}
}

static void calib_free(struct pt_calib *cal);

/* PIPETRACE_SELFTIME=1: what the probe programs timed of themselves. */
static void selftime_debug(const struct pt_tracer *t)
{
	static const char *const who[2] = { "calibration", "stages" };
	int i;

	if (!t->skel || !t->skel->bss || !t->skel->rodata->selftime_on)
		return;
	for (i = 0; i < 2; i++) {
		const uint64_t *v = (const uint64_t *)t->skel->bss->selftime[i];
		uint64_t n = v[0] ? v[0] : 1;

		pt_debug(
			"selftime: %s: %llu calls, entry program %llu ns after its stamp, exit trap %llu ns (0 unless --syscalls exact), exit program %llu ns (means)",
			who[i], (unsigned long long)v[0],
			(unsigned long long)(v[1] / n),
			(unsigned long long)(v[2] / n),
			(unsigned long long)(v[3] / n));
	}
}

void pt_tracer__close(struct pt_tracer *t)
{
	if (!t)
		return;
	finish_restarts(t, false);
	selftime_debug(t);
	pt_tracer__detach(t);
	ring_buffer__free(t->rb);
	ring_buffer__free(t->exec_rb);
	pipetrace__destroy(t->skel);
	free(t->sample_links);
	free(t->sample_fds);
	free(t->libcio_pids);
	calib_free(t->cal);
	free(t->percpu);
	free(t->percpu_time);
	free(t);
}

/* --------------------------------------------------------------- attaching */

static int attach_error(char *err, size_t errlen, const struct pt_stage *s,
			int ret)
{
	if (ret == -EPERM || ret == -EACCES)
		return pt_errf(
			err, errlen, ret,
			"not permitted to probe %s in %s; run pipetrace as root",
			s->name, s->object);
	if (ret == -ESRCH)
		return pt_errf(
			err, errlen, ret,
			"the target exited before %s could be probed; nothing to trace",
			s->name);
	return pt_errf(err, errlen, ret,
		       "cannot probe %s in %s at offset 0x%llx: %s", s->name,
		       s->object, (unsigned long long)s->file_off,
		       strerror(-ret));
}

/* Attaches the scheduler and syscall tracepoints (not the syscall ones with
 * --syscalls light), once. They are part of what a probed call costs, so
 * calibration runs with them too. Returns 0 or
 * -errno with a message in err. */
static int attach_tracepoints(struct pt_tracer *t, char *err, size_t errlen)
{
	struct bpf_program *tps[] = {
		t->skel->progs.thread_exit,  t->skel->progs.sched_switch,
		t->skel->progs.sched_wakeup, t->skel->progs.sched_wakeup_new,
		t->skel->progs.sys_enter,    t->skel->progs.sys_exit,
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		if (t->tp_links[i] || !bpf_program__autoload(tps[i]))
			continue;
		t->tp_links[i] = bpf_program__attach(tps[i]);
		if (!t->tp_links[i]) {
			ret = -errno;
			return pt_errf(
				err, errlen, ret,
				"kernel lacks the %s tracepoint (tp_btf): %s",
				bpf_program__name(tps[i]), strerror(-ret));
		}
	}
	return 0;
}

/* A batch's probes being gathered, and the stage (or allocator site) of
 * each for error messages. */
struct probe_list {
	const char **paths;
	unsigned long *offs;
	uint64_t *cookies;
	size_t *owner;
	size_t n;
};

static int probe_list__alloc(struct probe_list *pl, size_t cap)
{
	cap = cap ? cap : 1;
	pl->paths = calloc(cap, sizeof(*pl->paths));
	pl->offs = calloc(cap, sizeof(*pl->offs));
	pl->cookies = calloc(cap, sizeof(*pl->cookies));
	pl->owner = calloc(cap, sizeof(*pl->owner));
	pl->n = 0;
	return pl->paths && pl->offs && pl->cookies && pl->owner ? 0 : -ENOMEM;
}

static void probe_list__free(struct probe_list *pl)
{
	free(pl->paths);
	free(pl->offs);
	free(pl->cookies);
	free(pl->owner);
}

static void probe_list__add(struct probe_list *pl, const char *path,
			    uint64_t off, uint64_t cookie, size_t owner)
{
	pl->paths[pl->n] = path;
	pl->offs[pl->n] = (unsigned long)off;
	pl->cookies[pl->n] = cookie;
	pl->owner[pl->n++] = owner;
}

/* Attaches pl's probes with prog into u. Returns 0 or -errno, and then
 * the owner of a probe that failed in *owner. */
static int probe_list__attach(const struct probe_list *pl, struct pt_uprobes *u,
			      struct bpf_program *prog, bool ret, pid_t tgid,
			      size_t *owner)
{
	struct pt_uprobe_batch b = {
		.prog = prog,
		.ret = ret,
		.tgid = tgid,
		.n = pl->n,
		.paths = pl->paths,
		.offs = pl->offs,
		.cookies = pl->cookies,
	};
	size_t failed = 0;
	int err;

	if (!pl->n)
		return 0;
	err = pt_uprobes__attach(u, &b, &failed);
	if (err)
		*owner = pl->owner[failed];
	return err;
}

/* The stages' probes in three batches, attached in this order so that an
 * entry never misses its exit: return probes, exit sites (plain probes on
 * the exit program: the return value is still in %rax there), entries. */
enum stage_batch {
	SB_RETURNS,
	SB_EXIT_SITES,
	SB_ENTRIES,
	SB_GO_EXITS, /* Go stages' exits and entries (stage_go.bpf.c) */
	SB_GO_ENTRIES,
	SB_NR
};

/* The program batch k is attached to. */
static struct bpf_program *batch_prog(const struct pt_tracer *t,
				      enum stage_batch k)
{
	if (k == SB_GO_EXITS || k == SB_GO_ENTRIES)
		return k == SB_GO_ENTRIES ? t->skel->progs.go_enter :
					    t->skel->progs.go_exit;
	return k == SB_ENTRIES ? t->skel->progs.stage_enter :
				 t->skel->progs.stage_exit;
}

/* Whether stage s is probed by plain uprobes only (no return probe). */
static bool plain_probes(const struct pt_stage *s)
{
	return s->probe_class == PT_PROBE_SITE ||
	       s->probe_class == PT_PROBE_RETSITE;
}

/* The cookie of stage i's probe j (an index into its sites, if any). */
static uint64_t stage_cookie(const struct pt_stage *s, size_t i, size_t j)
{
	uint64_t c = (uint32_t)i;

	if (s->probe_class == PT_PROBE_SITE)
		return c | PT_COOKIE_SITE;
	if (s->probe_class != PT_PROBE_RETSITE)
		return c;
	c |= PT_COOKIE_RET | (s->go ? PT_COOKIE_GO : 0);
	return j < s->nentry ? c : c | s->exit_flags[j - s->nentry];
}

/* Adds stage i's probes of batch k to pl. */
static void add_stage_probes(const struct pt_stage_set *st, size_t i,
			     enum stage_batch k, struct probe_list *pl)
{
	const struct pt_stage *s = &st->v[i];
	bool site = plain_probes(s);
	size_t j, first = 0, n = 1;

	/* A Go stage's batches are the plain ones, on Go's programs. */
	if (s->go != (k == SB_GO_EXITS || k == SB_GO_ENTRIES))
		return;
	if (s->go)
		k = k == SB_GO_EXITS ? SB_EXIT_SITES : SB_ENTRIES;
	if ((k == SB_RETURNS && site) || (k == SB_EXIT_SITES && !site))
		return;
	if (site) {
		first = k == SB_ENTRIES ? 0 : s->nentry;
		n = k == SB_ENTRIES ? s->nentry : s->nexit;
	}
	for (j = first; j < first + n; j++)
		probe_list__add(pl, s->attach_path,
				site ? s->sites[j] : s->file_off,
				stage_cookie(s, i, j), i);
}

/* Attaches the probes of stages first.. (to the last), batch by batch.
 * Returns 0 or -errno, and then the stage that failed in *stage. */
static int attach_stages(struct pt_tracer *t, pid_t tgid, size_t first,
			 size_t *stage)
{
	const struct pt_stage_set *st = t->stages;
	struct probe_list pl;
	size_t i, cap = 0;
	int ret, k;

	for (i = first; i < st->n; i++)
		cap += plain_probes(&st->v[i]) ?
			       st->v[i].nentry + st->v[i].nexit :
			       2;
	*stage = first;
	ret = probe_list__alloc(&pl, cap);
	for (k = 0; k < SB_NR && !ret; k++) {
		pl.n = 0;
		for (i = first; i < st->n; i++)
			add_stage_probes(st, i, (enum stage_batch)k, &pl);
		ret = probe_list__attach(&pl, &t->stage_up,
					 batch_prog(t, (enum stage_batch)k),
					 k == SB_RETURNS, tgid, stage);
	}
	probe_list__free(&pl);
	return ret;
}

int pt_tracer__kernel_tid(struct pt_tracer *t, pid_t id, uint32_t *out)
{
	char err[128];

	return pt_kpid__of(t->kpid_iter, id, out, err, sizeof(err));
}

int pt_tracer__attach(struct pt_tracer *t, pid_t tgid, char *err, size_t errlen)
{
	const struct pt_stage_set *st = t->stages;
	uint32_t ktgid;
	size_t failed;
	int ret;

	ret = tgid > 0 ? pt_kpid__of(t->kpid_iter, tgid, &ktgid, err, errlen) :
			 0;
	if (ret)
		return ret;
	t->skel->bss->target_tgid = tgid > 0 ? ktgid : 0;
	t->skel->bss->phase = PT_PHASE_ATTACHING;
	/* Scheduler and syscall tracepoints first, so that threads are
	 * followed from before their first stage call; then the processes'
	 * (after thread_exit, which must still see an exiting one traced). */
	ret = attach_tracepoints(t, err, errlen);
	if (!ret)
		ret = attach_procs(t, err, errlen);
	if (ret) {
		pt_tracer__detach(t);
		return ret;
	}
	/* Several processes: every process mapping a file hits its probes
	 * (the ones not traced return at once), so that a child is traced
	 * from its first instruction. */
	ret = attach_stages(t, t->procs ? -1 : tgid, 0, &failed);
	if (ret) {
		/* A target that exits while we attach looks like a missing
		 * file. */
		if (ret != -ENOMEM && tgid > 0 && kill(tgid, 0) &&
		    errno == ESRCH)
			ret = -ESRCH;
		attach_error(err, errlen, &st->v[failed], ret);
		pt_tracer__detach(t);
		return ret;
	}
	t->skel->bss->phase = PT_PHASE_ARMED;
	pt_debug("attached %zu probes to %zu stages of PID %d (%s)",
		 t->stage_up.nprobes, st->n, tgid,
		 t->multi ? "multi-uprobe links" : "a link per probe");
	return 0;
}

/* Attaches the allocator's exits then entries (free has no exit probe).
 * Returns 0 or -errno, and then the site that failed in *site. */
static int attach_alloc_sites(struct pt_tracer *t, pid_t tgid,
			      const struct pt_alloc_sites *sites, size_t *site)
{
	struct probe_list pl;
	size_t i;
	int ret;

	*site = 0;
	ret = probe_list__alloc(&pl, sites->n);
	for (i = 0; i < sites->n && !ret; i++)
		if (sites->v[i].kind != PT_ALLOC_FREE)
			probe_list__add(&pl, sites->attach_path,
					sites->v[i].file_off, sites->v[i].kind,
					i);
	if (!ret)
		ret = probe_list__attach(&pl, &t->alloc_up,
					 t->skel->progs.alloc_exit, true, tgid,
					 site);
	for (i = 0, pl.n = 0; i < sites->n && !ret; i++)
		probe_list__add(&pl, sites->attach_path, sites->v[i].file_off,
				sites->v[i].kind, i);
	if (!ret)
		ret = probe_list__attach(&pl, &t->alloc_up,
					 t->skel->progs.alloc_enter, false,
					 tgid, site);
	probe_list__free(&pl);
	return ret;
}

int pt_tracer__attach_alloc(struct pt_tracer *t, pid_t tgid,
			    const struct pt_alloc_sites *sites, char *err,
			    size_t errlen)
{
	const struct pt_alloc_site *a;
	size_t i;
	int ret;

	if (!bpf_program__autoload(t->skel->progs.alloc_enter))
		return pt_errf(err, errlen, -EINVAL,
			       "memory tracing was not enabled when loading");
	/* tgid's own: attached for every process mapping the allocator
	 * (pid -1), its probes would fire in every program using libc on the
	 * machine, untraced ones included (118 us per malloc/free pair for an
	 * untraced loop beside, at load ~20), so the other processes traced
	 * have no allocation figures (null). */
	ret = attach_alloc_sites(t, tgid, sites, &i);
	if (ret) {
		a = &sites->v[i];
		if (ret != -ENOMEM && kill(tgid, 0) && errno == ESRCH)
			ret = -ESRCH;
		return pt_errf(err, errlen, ret,
			       "cannot probe %s in %s at offset 0x%llx: %s",
			       a->name, sites->object,
			       (unsigned long long)a->file_off, strerror(-ret));
	}
	t->fault_link = bpf_program__attach(t->skel->progs.page_fault_user);
	if (!t->fault_link)
		pt_warn("kernel lacks the page_fault_user tracepoint (%s); page faults are not counted",
			strerror(errno));
	pt_debug("attached %zu allocator probes in %s", t->alloc_up.nprobes,
		 sites->object);
	return 0;
}

/* Whether libc I/O probes cover process pid already. */
static bool libcio_has(const struct pt_tracer *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->nlibcio_pids; i++)
		if (t->libcio_pids[i] == pid)
			return true;
	return false;
}

/* Attaches sites's return probes then entries (so that no entry misses
 * its return) for process tgid. 0 or -errno, the site in *site. */
static int attach_libcio_sites(struct pt_tracer *t, pid_t tgid,
			       const struct pt_libcio_sites *sites,
			       size_t *site)
{
	struct bpf_program *progs[] = { t->skel->progs.libcio_exit,
					t->skel->progs.libcio_enter };
	struct probe_list pl;
	size_t i, k;
	int ret;

	*site = 0;
	ret = probe_list__alloc(&pl, sites->n);
	for (k = 0; k < 2 && !ret; k++) {
		pl.n = 0;
		for (i = 0; i < sites->n; i++)
			probe_list__add(&pl, sites->attach_path,
					sites->v[i].file_off, sites->v[i].kind,
					i);
		ret = probe_list__attach(&pl, &t->libcio_up, progs[k], k == 0,
					 tgid, site);
	}
	probe_list__free(&pl);
	return ret;
}

int pt_tracer__attach_libcio(struct pt_tracer *t, pid_t tgid,
			     const struct pt_libcio_sites *sites, char *err,
			     size_t errlen)
{
	pid_t *v;
	size_t i;
	int ret;

	if (!bpf_program__autoload(t->skel->progs.libcio_enter))
		return pt_errf(
			err, errlen, -EINVAL,
			"libc I/O probes were not loaded (--syscalls libc)");
	if (tgid <= 0 || libcio_has(t, tgid))
		return 0;
	v = realloc(t->libcio_pids, (t->nlibcio_pids + 1) * sizeof(*v));
	if (!v)
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	t->libcio_pids = v;
	ret = attach_libcio_sites(t, tgid, sites, &i);
	if (ret)
		return pt_errf(err, errlen, ret,
			       "cannot probe %s in %s for PID %d: %s",
			       sites->v[i].name, sites->object, (int)tgid,
			       strerror(-ret));
	v[t->nlibcio_pids++] = tgid;
	return 0;
}

int pt_tracer__stream(struct pt_tracer *t,
		      int (*fn)(void *ctx, void *data, size_t size), void *ctx)
{
	if (!t->skel->rodata->stream_on)
		return -EINVAL;
	if (t->rb)
		return ring_buffer__add(
			t->rb, bpf_map__fd(t->skel->maps.events), fn, ctx);
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), fn, ctx,
				 NULL);
	return t->rb ? 0 : -errno;
}

/* Whether ring buffer m was sized for --call-graph dwarf at open. */
static bool dwarf_ring(const struct bpf_map *m)
{
	return bpf_map__max_entries(m) >= PT_DEFAULT_USAMPLES_BYTES;
}

static int stream_ring(struct pt_tracer *t, const struct bpf_map *m,
		       int (*fn)(void *ctx, void *data, size_t size), void *ctx)
{
	if (t->rb)
		return ring_buffer__add(t->rb, bpf_map__fd(m), fn, ctx);
	t->rb = ring_buffer__new(bpf_map__fd(m), fn, ctx, NULL);
	return t->rb ? 0 : -errno;
}

int pt_tracer__stream_usamples(struct pt_tracer *t,
			       int (*fn)(void *ctx, void *data, size_t size),
			       void *ctx)
{
	const struct bpf_map *on = t->skel->maps.usamples;
	const struct bpf_map *off = t->skel->maps.offcpu_usamples;
	const struct bpf_map *al = t->skel->maps.alloc_usamples;
	int ret = -EINVAL;

	if (dwarf_ring(on)) {
		ret = stream_ring(t, on, fn, ctx);
		if (ret)
			return ret;
	}
	if (dwarf_ring(off)) {
		ret = stream_ring(t, off, fn, ctx);
		if (ret)
			return ret;
	}
	if (dwarf_ring(al))
		ret = stream_ring(t, al, fn, ctx);
	return ret;
}

int pt_tracer__set_ustack_copy(struct pt_tracer *t, unsigned int bytes)
{
	bool on = dwarf_ring(t->skel->maps.usamples);
	bool off = dwarf_ring(t->skel->maps.offcpu_usamples);
	bool al = dwarf_ring(t->skel->maps.alloc_usamples);

	if (bytes > PT_USTACK_MAX || (!on && !off && !al))
		return -EINVAL;
	if (al)
		__atomic_store_n(&t->skel->bss->alloc_ustack_copy, bytes,
				 __ATOMIC_RELAXED);
	if (on)
		__atomic_store_n(&t->skel->bss->ustack_copy, bytes,
				 __ATOMIC_RELAXED);
	if (off)
		__atomic_store_n(&t->skel->bss->offcpu_ustack_copy, bytes,
				 __ATOMIC_RELAXED);
	return 0;
}

int pt_tracer__stream_fd(const struct pt_tracer *t)
{
	return t->rb ? ring_buffer__epoll_fd(t->rb) : -1;
}

int pt_tracer__drain(struct pt_tracer *t)
{
	return t->rb ? ring_buffer__consume(t->rb) : 0;
}

uint64_t pt_tracer__inflight_exits(const struct pt_tracer *t)
{
	return __atomic_load_n(&t->skel->bss->inflight_exits, __ATOMIC_RELAXED);
}

bool pt_tracer__warmed_up(const struct pt_tracer *t)
{
	/* Without a warm-up probe there is nothing to wait for. */
	return !t->warm_up.nprobes ||
	       __atomic_load_n(&t->skel->bss->warmed_up, __ATOMIC_ACQUIRE);
}

void pt_tracer__start_offcpu(struct pt_tracer *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->skel->data->offcpu_since_ns =
		(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pt_tracer__attach_warmup(struct pt_tracer *t, pid_t tgid, const char *path,
			     uint64_t off)
{
	return pt_uprobes__attach_one(&t->warm_up, t->skel->progs.warmup, true,
				      tgid, path, (unsigned long)off, 0);
}

/* -------------------------------------------------------------- calibration */

/*
 * What calibration measures: functions with empty bodies whose first
 * instruction is of each probe class (see enum pt_probe_class), written in
 * assembly so that the compiler cannot change the probed instruction.
 */
#if defined(__x86_64__)
__asm__(".text\n"
	".p2align 4\n"
	".globl pt_calib_push\n"
	".type pt_calib_push, @function\n"
	"pt_calib_push:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size pt_calib_push, .-pt_calib_push\n"
	".p2align 4\n"
	".globl pt_calib_endbr\n"
	".type pt_calib_endbr, @function\n"
	"pt_calib_endbr:\n"
	"	endbr64\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size pt_calib_endbr, .-pt_calib_endbr\n"
	".p2align 4\n"
	".globl pt_calib_step\n"
	".type pt_calib_step, @function\n"
	"pt_calib_step:\n"
	"	mov %rdi, %rax\n"
	"	ret\n"
	".size pt_calib_step, .-pt_calib_step\n"
	".p2align 4\n"
	".globl pt_calib_site\n"
	".type pt_calib_site, @function\n"
	"pt_calib_site:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	/* As <pipetrace/stage.h> lays a site out: below the red zone. */
	"	lea -128(%rsp), %rsp\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" /* entry site, +9 */
	"	lea 128(%rsp), %rsp\n"
	"	lea -128(%rsp), %rsp\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" /* exit site, +27 */
	"	lea 128(%rsp), %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size pt_calib_site, .-pt_calib_site\n"
	".p2align 4\n"
	".globl pt_calib_retsite\n"
	".type pt_calib_retsite, @function\n"
	"pt_calib_retsite:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n" /* return site, +5 */
	".size pt_calib_retsite, .-pt_calib_retsite\n"
	".p2align 4\n"
	".globl pt_calib_nop5\n"
	".type pt_calib_nop5, @function\n"
	"pt_calib_nop5:\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size pt_calib_nop5, .-pt_calib_nop5\n");
/* Where pt_calib_site's probe sites are, from its start. */
#define PT_CALIB_SITE_ENTRY 9
#define PT_CALIB_SITE_EXIT 27
/* Where pt_calib_retsite's ret is. */
#define PT_CALIB_RETSITE_EXIT 5
static const unsigned char calib_nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
#define PT_CAN_CALIBRATE 1
#else
#define PT_CAN_CALIBRATE 0
#endif

void pt_calib_push(void);
void pt_calib_endbr(void);
void pt_calib_step(void);
void pt_calib_site(void);
void pt_calib_retsite(void);
void pt_calib_nop5(void);

static const char *const calib_names[PT_PROBE_NR] = {
	[PT_PROBE_PUSH] = "pt_calib_push",
	[PT_PROBE_ENDBR] = "pt_calib_endbr",
	[PT_PROBE_STEP] = "pt_calib_step",
	[PT_PROBE_SITE] = "pt_calib_site",
	[PT_PROBE_RETSITE] = "pt_calib_retsite",
	[PT_PROBE_NOP5] = "pt_calib_nop5",
};

struct calib_ctx {
	uint64_t off[PT_PROBE_NR];
	uint64_t enclose_off;
	unsigned int found;
};

static int find_calib(const struct pt_sym *sym, void *arg)
{
	struct calib_ctx *c = arg;
	int i;

	for (i = 0; i < PT_PROBE_NR; i++) {
		if (!strcmp(sym->name, calib_names[i])) {
			c->off[i] = sym->file_off;
			c->found |= 1u << i;
		}
	}
	if (!strcmp(sym->name, "pt_calib_enclose")) {
		c->enclose_off = sym->file_off;
		c->found |= 1u << PT_PROBE_NR;
	}
	return 0;
}

/* A calibration call this much above the median was switched out, not
 * slowed by the probe: another task ran (a busy machine) or an interrupt
 * was served. Such waits land in a real stage's calls as much as in these,
 * so only what lies below is the probe's own. */
#define PT_CALIB_WAIT_NS 50000

/*
 * How far the mean of the probe's own passes lies above their median: the
 * mean of the calls up to median + PT_CALIB_WAIT_NS (from the histogram,
 * each bucket at its middle, within 1/128), less the median. With every
 * call kept, one 4 ms preemption in 2,000 calls would add 2 us to it, and
 * to what is taken off every stage's mean.
 */
static uint64_t probe_tail(const struct pt_totals *tot, uint64_t median)
{
	uint64_t cut = median + PT_CALIB_WAIT_NS, n = 0, lo, hi;
	double sum = 0;
	uint32_t b;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		lo = pt_hist_bucket_low(b);
		if (!tot->hist[b])
			continue;
		if (lo > cut)
			break;
		hi = pt_hist_bucket_high(b);
		hi = hi > tot->max_ns ? tot->max_ns + 1 : hi;
		lo = lo < tot->min_ns ? tot->min_ns : lo;
		sum += (double)tot->hist[b] * ((double)lo + (double)(hi - 1)) /
		       2;
		n += tot->hist[b];
	}
	if (!n || sum / (double)n <= (double)median)
		return 0;
	return (uint64_t)(sum / (double)n) - median;
}

/* Attaches calibration function c's exit then entry probes (c at off), as
 * pt_tracer__attach() probes stages of class c, as stage id. */
static int attach_calib(struct pt_tracer *t, enum pt_probe_class c, uint32_t id,
			uint64_t off)
{
	struct bpf_program *enter = t->skel->progs.stage_enter;
	struct bpf_program *exit = t->skel->progs.stage_exit;
	const char *self = "/proc/self/exe";
	uint64_t exit_off = off, entry_off = off, flag = 0;
	int ret;

	if (c == PT_PROBE_SITE) {
		exit_off += PT_CALIB_SITE_EXIT;
		entry_off += PT_CALIB_SITE_ENTRY;
		flag = PT_COOKIE_SITE;
	} else if (c == PT_PROBE_RETSITE) {
		exit_off += PT_CALIB_RETSITE_EXIT;
		flag = PT_COOKIE_RET;
	}
	/* The links stay until pt_tracer__detach(): removing a uprobe waits
	 * for a grace period, and these functions are not called again. */
	ret = pt_uprobes__attach_one(&t->calib_up, exit, !flag, getpid(), self,
				     exit_off, id | flag);
	if (!ret)
		ret = pt_uprobes__attach_one(&t->calib_up, enter, false,
					     getpid(), self, entry_off,
					     id | flag);
	return ret;
}

static void (*const calib_fns[PT_PROBE_NR])(void) = {
	[PT_PROBE_PUSH] = pt_calib_push,
	[PT_PROBE_ENDBR] = pt_calib_endbr,
	[PT_PROBE_STEP] = pt_calib_step,
	[PT_PROBE_SITE] = pt_calib_site,
	[PT_PROBE_RETSITE] = pt_calib_retsite,
	[PT_PROBE_NOP5] = pt_calib_nop5,
};

/* What calibration found, per class of probe, burst by burst. */
struct pt_calib {
	/* Cold calls' median less the hot ones', per start burst. */
	uint64_t excess[PT_PROBE_NR][PT_CALIB_KEEP];
	uint64_t ncold[PT_PROBE_NR];
	/* Hot calls' means above their median (calib_figures()). */
	uint64_t tail[PT_PROBE_NR][PT_CALIB_KEEP];
	uint64_t hot[PT_PROBE_NR][PT_CALIB_KEEP]; /* hot calls' medians */
	unsigned char *cool; /* PT_CALIB_COLD_BYTES for calib_cool() */
	uint64_t n[PT_PROBE_NR]; /* bursts so far (a ring past KEEP) */
	uint64_t low[PT_PROBE_NR]; /* the fastest call of any burst */
	uint64_t nest[PT_PROBE_NR]; /* a nested call's probes, to its caller */
	/* Their mean cost: CPU time of probed less unprobed calls, summed
	 * over nest_calls calls (all bursts), and the figures derived */
	int64_t nest_sum[PT_PROBE_NR];
	uint64_t nest_calls[PT_PROBE_NR];
	uint64_t nest_tail[PT_PROBE_NR]; /* mean less nest */
	uint64_t nest_own_tail[PT_PROBE_NR]; /* of it, outside the call */
	uint64_t off[PT_PROBE_NR]; /* the calibration functions */
	uint64_t enclose_off; /* pt_calib_enclose() */
	bool enclosed; /* its probes attached */
	int nest_rechecks; /* later bursts that measured nest[] again */
	bool used[PT_PROBE_NR];
	uint32_t id; /* their stage id */
	uint32_t tid; /* pipetrace's, as the kernel counts it */
	struct pt_totals tot; /* scratch */
};

static void calib_free(struct pt_calib *cal)
{
	if (cal)
		free(cal->cool);
	free(cal);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of the n (at most PT_CALIB_KEEP) values of v. */
static uint64_t median_of(const uint64_t *v, uint64_t n)
{
	uint64_t tmp[PT_CALIB_KEEP];

	if (n > PT_CALIB_KEEP)
		n = PT_CALIB_KEEP;
	if (!n)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_u64);
	return tmp[n / 2];
}

/* The mean of the n (at most PT_CALIB_KEEP) values of v. */
static uint64_t mean_of(const uint64_t *v, uint64_t n)
{
	uint64_t sum = 0, i;

	if (n > PT_CALIB_KEEP)
		n = PT_CALIB_KEEP;
	for (i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / n : 0;
}

/* Clears the calibrating thread's state (calib_thread, never in
 * `threads`: pipetrace takes no slot of the target's threads) once
 * calib_tid is 0, for the next burst. */
static void forget_calib_thread(struct pt_tracer *t)
{
	memset(&t->skel->bss->calib_thread, 0,
	       sizeof(t->skel->bss->calib_thread));
}

/*
 * Cools the caches before a cold calibration call as a traced program's
 * own work does between its calls: writes a line in every 64 bytes of
 * PT_CALIB_COLD_BYTES (the size of a core's L2 here) and enters the kernel
 * twice. Calibrated on hot caches alone, the probe's cost came out 150-400
 * ns below what refpipe's calls paid (see PT_CALIB_COLD_CALLS).
 */
static void calib_cool(unsigned char *buf)
{
	volatile unsigned char *b = buf;
	size_t i;

	for (i = 0; i < PT_CALIB_COLD_BYTES; i += 64)
		b[i]++;
	syscall(SYS_getppid);
	syscall(SYS_getppid);
}

/* Reads and clears the calibration stage's counters into cal->tot.
 * 0, -EIO unless it saw calls calls, or -errno. */
static int calib_take(struct pt_tracer *t, uint64_t calls)
{
	struct pt_calib *cal = t->cal;
	int ret = read_stage(t, cal->id, &cal->tot);

	if (!ret && cal->tot.calls != calls)
		ret = -EIO;
	memset(t->percpu, 0, t->ncpus * sizeof(*t->percpu));
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.stats), &cal->id,
			    t->percpu, BPF_ANY);
	return ret;
}

static uint64_t tot_median(const struct pt_totals *tot)
{
	return pt_hist_percentile(tot->hist, pt_totals__timed(tot), 50,
				  tot->min_ns, tot->max_ns);
}

/* Forgets the calibration stage's counters. 0 or -errno. */
static int calib_forget(struct pt_tracer *t)
{
	memset(t->percpu, 0, t->ncpus * sizeof(*t->percpu));
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.stats),
				   &t->cal->id, t->percpu, BPF_ANY) ?
		       -errno :
		       0;
}

/*
 * One burst of class c: PT_CALIB_BURST_CALLS calls back to back (hot: the
 * probe's path in the caches; their fastest is `low`, the floor, their
 * median what the percentiles have off, their tail the rare interrupts),
 * then with cold (the start's bursts) PT_CALIB_COLD_CALLS each after
 * calib_cool() (cold, as in a traced program: how far their median lies
 * above the hot one is part of the mean's extra; too few of them to count
 * rare interrupts). 0 or -errno.
 */
static int calib_burst(struct pt_tracer *t, enum pt_probe_class c, bool cold)
{
	struct pt_calib *cal = t->cal;
	struct pt_totals *tot = &cal->tot;
	uint64_t slot = cal->n[c] % PT_CALIB_KEEP;
	int ret, i;

	for (i = 0; i < PT_CALIB_BURST_CALLS; i++)
		calib_fns[c]();
	ret = calib_take(t, PT_CALIB_BURST_CALLS);
	if (ret)
		return ret;
	cal->hot[c][slot] = tot_median(tot);
	/* Rare interrupts: counted over the many hot calls. */
	cal->tail[c][slot] = probe_tail(tot, cal->hot[c][slot]);
	if (!cal->n[c] || tot->min_ns < cal->low[c])
		cal->low[c] = tot->min_ns;
	cal->n[c]++;
	if (!cold)
		return 0;
	for (i = 0; i < PT_CALIB_COLD_CALLS; i++) {
		calib_cool(cal->cool);
		calib_fns[c]();
	}
	ret = calib_take(t, PT_CALIB_COLD_CALLS);
	if (ret)
		return ret;
	cal->excess[c][cal->ncold[c] % PT_CALIB_KEEP] =
		tot_median(tot) > cal->hot[c][slot] ?
			tot_median(tot) - cal->hot[c][slot] :
			0;
	cal->ncold[c]++;
	return 0;
}

/* The median over the start's bursts of how far a burst's cold median
 * lies above its hot one: the two halves of a burst see the same moment's
 * load. Under two hogs at a load average of 19, refpipe --threads's stage
 * means (the median stage's error per run) were off by -836 to +516 ns
 * with the two medians over all bursts subtracted, -316 to +126 ns
 * paired. */
static uint64_t cold_excess(const struct pt_calib *cal, int c)
{
	return median_of(cal->excess[c], cal->ncold[c]);
}

/* The mean a nested call of class c costs its caller, so far (0: none). */
static int64_t nest_mean(const struct pt_calib *cal, int c)
{
	return cal->nest_calls[c] ?
		       cal->nest_sum[c] / (int64_t)cal->nest_calls[c] :
		       0;
}

/* Stage s's calibrated figures into the BPF side's arrays. */
static void stage_figures(struct pt_tracer *t, size_t s)
{
	const struct pt_stage *st = &t->stages->v[s];
	struct pt_calib *cal = t->cal;

	t->skel->bss->stage_bias_ns[s] = pt_stage__bias(st, cal->low);
	t->skel->bss->stage_nest_ns[s] = pt_stage__bias(st, cal->nest);
	t->skel->bss->stage_nest_tail_ns[s] = cal->nest_tail[st->probe_class];
	t->skel->bss->stage_nest_own_tail_ns[s] =
		cal->nest_own_tail[st->probe_class];
}

/*
 * The nested calls' tails: per class, the mean a nested call's probes cost
 * its caller (nest_sum over nest_calls) less the figure taken off per call
 * (nest, its fastest tenth); and of that, what lies outside the nested
 * call's own interval: less what its own probe costs inside on average
 * above the least taken off it (bias_ns, the median, and tail_ns, less
 * low), which the nested stage keeps in its own time.
 */
static void nest_figures(struct pt_calib *cal, const uint64_t *bias_ns,
			 const uint64_t *tail_ns)
{
	uint64_t inside;
	int64_t mean;
	int c;

	for (c = 0; c < PT_PROBE_NR; c++) {
		mean = nest_mean(cal, c);
		cal->nest_tail[c] = mean > (int64_t)cal->nest[c] ?
					    (uint64_t)mean - cal->nest[c] :
					    0;
		inside = bias_ns[c] + tail_ns[c];
		inside = inside > cal->low[c] ? inside - cal->low[c] : 0;
		cal->nest_own_tail[c] = cal->nest_tail[c] > inside ?
						cal->nest_tail[c] - inside :
						0;
	}
}

/*
 * The figures so far: per class, bias_ns the median of the hot bursts'
 * medians (what a call whose caches are warm pays: the percentiles', so
 * that the fastest calls of a function called in a tight loop do not read
 * below what it runs); tail_ns what the mean pays above it: the mean of
 * how far each hot burst's mean lies above its median (rare interrupts:
 * the median of bursts that do or do not catch one lies below what a call
 * pays on average) plus how far the cold calls' median lies above the hot
 * one in the start's bursts (a traced program's calls find the probe's
 * path colder than a burst does; see cold_excess()). Each stage's calls have
 * the least the probe ever cost taken off from now on, so that no call
 * reads faster than it ran; the report takes the rest of the median off
 * the percentiles and the tail too off the mean.
 */
static void calib_figures(struct pt_tracer *t, uint64_t bias_ns[PT_PROBE_NR],
			  uint64_t tail_ns[PT_PROBE_NR])
{
	struct pt_calib *cal = t->cal;
	uint64_t cold;
	size_t s;
	int c;

	for (c = 0; c < PT_PROBE_NR; c++) {
		bias_ns[c] = median_of(cal->hot[c], cal->n[c]);
		cold = cold_excess(cal, c);
		tail_ns[c] = mean_of(cal->tail[c], cal->n[c]) + cold;
	}
	nest_figures(cal, bias_ns, tail_ns);
	for (s = 0; s < t->stages->n; s++)
		stage_figures(t, s);
}

/* Probes pipetrace's own function of class c as the calibration stage and
 * calls it in bursts, the CPU yielded between them. 0 or -errno. */
static int calibrate_one(struct pt_tracer *t, enum pt_probe_class c)
{
	void (*fn)(void) = calib_fns[c];
	int ret, k;

	/* The sites must be where the assembler above put them. */
	if (c == PT_PROBE_SITE &&
	    (memcmp((const char *)fn + PT_CALIB_SITE_ENTRY, calib_nop5, 5) ||
	     memcmp((const char *)fn + PT_CALIB_SITE_EXIT, calib_nop5, 5)))
		return -EFAULT;
	ret = attach_calib(t, c, t->cal->id, t->cal->off[c]);
	for (k = 0; !ret && k < PT_CALIB_BURSTS; k++) {
		ret = calib_burst(t, c, true);
		sched_yield();
	}
	pt_debug(
		"calibration: %s: median probe latency %llu ns (cooled caches %llu ns), mean %llu ns above, least %llu ns",
		calib_names[c],
		(unsigned long long)median_of(t->cal->hot[c], t->cal->n[c]),
		(unsigned long long)(median_of(t->cal->hot[c], t->cal->n[c]) +
				     cold_excess(t->cal, c)),
		(unsigned long long)mean_of(t->cal->tail[c], t->cal->n[c]),
		(unsigned long long)t->cal->low[c]);
	return ret;
}

/* ------------------------------------------------ nested probes' cost */

/*
 * What a probed call costs the call enclosing it (the whole entry and
 * return path, not only the bias inside its own interval): calls of the
 * probed calibration function fn less calls of an unprobed twin, timed in
 * short batches; the fastest tenth's, so that no batch with a switch-out
 * or an interrupt in it counts (on a busy machine most have one).
 */
#define PT_NEST_BATCH 4
#define PT_NEST_BATCHES 200

#if defined(__x86_64__)
__asm__(".text\n"
	".p2align 4\n"
	".type pt_calib_twin, @function\n"
	"pt_calib_twin:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size pt_calib_twin, .-pt_calib_twin\n");
#endif
void pt_calib_twin(void);

static uint64_t nest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The time of a batch of PT_NEST_BATCH calls of fn: the 10th percentile. */
static uint64_t nest_batch_ns(void (*fn)(void))
{
	uint64_t v[PT_NEST_BATCHES], t0;
	int i, k;

	for (i = 0; i < PT_NEST_BATCHES; i++) {
		t0 = nest_now();
		for (k = 0; k < PT_NEST_BATCH; k++)
			fn();
		v[i] = nest_now() - t0;
	}
	qsort(v, PT_NEST_BATCHES, sizeof(v[0]), cmp_u64);
	return v[PT_NEST_BATCHES / 10];
}

/*
 * The mean of what a nested call costs its caller, as the target pays it:
 * each call of a batch followed by a little work (the caches and branch
 * predictors not kept warm by back-to-back calls), batches of probed and
 * unprobed calls in turn, each timed in the thread's CPU time (a switch-out
 * is not the probe's: the report counts it where it lands). Every batch
 * kept, however slow (interrupts in a probe's path are its cost too).
 * Adds to class c's sum and count.
 */
#define PT_NEST_MEAN_BATCH 32
#define PT_NEST_MEAN_START 8 /* batches at start */
#define PT_NEST_MEAN_BURST 4 /* batches in each later burst */

static volatile uint64_t nest_sink;

static uint64_t nest_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* PT_NEST_MEAN_BATCH calls of fn, each with some work: probed itself
 * (enclose_off), so that the calls are nested in a stage call, as the
 * target's are (the BPF side does more for a nested call's exit). */
void pt_calib_enclose(void (*fn)(void));
__attribute__((noinline)) void pt_calib_enclose(void (*fn)(void))
{
	uint64_t x = nest_sink;
	int k, i;

	for (k = 0; k < PT_NEST_MEAN_BATCH; k++) {
		fn();
		for (i = 0; i < 24; i++)
			x = x * 7 + (x >> 3) + (uint64_t)i;
		nest_sink = x;
	}
}

/* The CPU time of a batch of calls of fn inside pt_calib_enclose(). */
static int64_t nest_cpu_batch(void (*fn)(void))
{
	uint64_t t0 = nest_cpu_now();

	pt_calib_enclose(fn);
	return (int64_t)(nest_cpu_now() - t0);
}

static void nest_mean_burst(struct pt_calib *cal, enum pt_probe_class c,
			    int batches)
{
	static void (*volatile twin)(void) = pt_calib_twin;
	int64_t d = 0;
	int b;

	for (b = 0; b < batches; b++) {
		d -= nest_cpu_batch(twin);
		d += nest_cpu_batch(calib_fns[c]);
	}
	cal->nest_sum[c] += d;
	cal->nest_calls[c] += (uint64_t)batches * PT_NEST_MEAN_BATCH;
}

/* The least a call of fn costs its caller, from n single calls of it and
 * of the unprobed twin, each timed: fn's 2nd percentile less the twin's
 * median (0 if below). n <= PT_NEST_SINGLES. */
#define PT_NEST_SINGLES 400
static uint64_t nest_least_ns(void (*fn)(void), int n)
{
	static void (*volatile twin)(void) = pt_calib_twin;
	uint64_t v[PT_NEST_SINGLES], w[PT_NEST_SINGLES], t0;
	int i;

	for (i = 0; i < n; i++) {
		t0 = nest_now();
		twin();
		w[i] = nest_now() - t0;
		t0 = nest_now();
		fn();
		v[i] = nest_now() - t0;
	}
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	qsort(w, (size_t)n, sizeof(w[0]), cmp_u64);
	return v[n / 50] > w[n / 2] ? v[n / 50] - w[n / 2] : 0;
}

/*
 * Sets *nest to what a call of fn, probed as the calibration stage, costs
 * its caller at the least, then forgets those calls. The figure is taken
 * off every nested call (its mean's excess goes to the mean only), so it
 * must not exceed what a call of the target pays: a low percentile (the
 * 2nd) of single calls, less the unprobed twin's median, and never above
 * the fastest tenth of short batches. (The fastest tenth of batches alone
 * was above the median a redis-server processCommand paid for its nested
 * call and setCommand, 8.2 us against about 6.9, so that half its calls
 * read 0 ns.) Returns 0 or -errno.
 */
static int calibrate_nest(struct pt_tracer *t, void (*fn)(void), uint64_t *nest)
{
	static void (*volatile twin)(void) = pt_calib_twin;
	uint64_t probed, plain, low;

	plain = nest_batch_ns(twin);
	probed = nest_batch_ns(fn);
	plain = (plain + nest_batch_ns(twin)) / 2;
	*nest = probed > plain ? (probed - plain) / PT_NEST_BATCH : 0;
	low = nest_least_ns(fn, PT_NEST_SINGLES);
	pt_debug(
		"calibration: a nested call's probes: fastest tenth of batches %llu ns, 2nd percentile of single calls %llu ns",
		(unsigned long long)*nest, (unsigned long long)low);
	if (low < *nest)
		*nest = low;
	return calib_forget(t);
}

/*
 * The least a nested call of class c costs, measured again in the first
 * PT_NEST_RECHECKS later bursts (a few ms of probed calls each): the
 * lowest of all. A start measured in a busy moment (8.2 us a pair against
 * 6.6 us a minute later, in the same conditions) would otherwise take too
 * much off every nested call for the whole run.
 */
#define PT_NEST_RECHECKS 10
#define PT_NEST_RECHECK_CALLS 120
static void nest_floor_again(struct pt_calib *cal, enum pt_probe_class c)
{
	uint64_t low = nest_least_ns(calib_fns[c], PT_NEST_RECHECK_CALLS);

	if (low && low < cal->nest[c]) {
		pt_debug(
			"calibration: %s: a nested call's probes cost %llu ns at the least (was %llu)",
			calib_names[c], (unsigned long long)low,
			(unsigned long long)cal->nest[c]);
		cal->nest[c] = low;
	}
}

/* What a nested call of class c costs its caller: the figure taken off per
 * call, then a first measure of its mean. 0 or -errno. */
static int calibrate_nested(struct pt_tracer *t, enum pt_probe_class c)
{
	struct pt_calib *cal = t->cal;
	int ret;

	ret = calibrate_nest(t, calib_fns[c], &cal->nest[c]);
	if (!ret && !cal->enclosed) {
		/* A plain uprobe + uretprobe pair, whatever its first
		 * instruction: its cost is in both sides of the difference. */
		ret = attach_calib(t, PT_PROBE_PUSH, cal->id, cal->enclose_off);
		cal->enclosed = !ret;
	}
	if (!ret) {
		nest_mean_burst(cal, c, PT_NEST_MEAN_START);
		ret = calib_forget(t);
	}
	pt_debug(
		"calibration: %s: a nested call's probes cost %llu ns at the least (mean %lld ns)",
		calib_names[c], (unsigned long long)cal->nest[c],
		(long long)nest_mean(cal, c));
	return ret;
}

/* Finds the calibration functions in pipetrace's own file into cal->off,
 * and the classes that the stages use. 0 or -errno with a message. */
static int calib_prepare(struct pt_tracer *t, char *err, size_t errlen)
{
	struct calib_ctx cc = { 0 };
	struct pt_elf *elf = NULL;
	size_t s;
	int ret, i;

	ret = pt_elf__open("/proc/self/exe", &elf);
	if (!ret)
		ret = pt_elf__for_each_func(elf, find_calib, &cc);
	pt_elf__close(elf);
	if (ret < 0 || cc.found != (1u << (PT_PROBE_NR + 1)) - 1)
		return pt_errf(
			err, errlen, ret < 0 ? ret : -ENOENT,
			"cannot find pipetrace's calibration functions (stripped?); use --no-calibrate");
	t->cal = calloc(1, sizeof(*t->cal));
	if (t->cal) {
		t->cal->cool = calloc(1, PT_CALIB_COLD_BYTES);
		if (!t->cal->cool) {
			free(t->cal);
			t->cal = NULL;
		}
	}
	if (!t->cal)
		return pt_errf(
			err, errlen, -ENOMEM,
			"out of memory for calibration; use --no-calibrate");
	memcpy(t->cal->off, cc.off, sizeof(cc.off));
	t->cal->enclose_off = cc.enclose_off;
	t->cal->id = (uint32_t)t->cap;
	for (i = 0; i < PT_PROBE_NR; i++) {
		/* Only the classes in use (each takes tens of ms), and push,
		 * the yardstick for single-step warnings. */
		for (s = 0, t->cal->used[i] = i == PT_PROBE_PUSH;
		     s < t->stages->n; s++)
			t->cal->used[i] |= pt_stage__calibrates(
				&t->stages->v[s], (enum pt_probe_class)i);
	}
	return 0;
}

int pt_tracer__calibrate(struct pt_tracer *t, uint64_t bias_ns[PT_PROBE_NR],
			 uint64_t tail_ns[PT_PROBE_NR], char *err,
			 size_t errlen)
{
	uint32_t id = (uint32_t)t->cap, tid, ktgid;
	int ret, i;

	memset(bias_ns, 0, PT_PROBE_NR * sizeof(*bias_ns));
	memset(tail_ns, 0, PT_PROBE_NR * sizeof(*tail_ns));
	if (!PT_CAN_CALIBRATE)
		return pt_errf(
			err, errlen, -EOPNOTSUPP,
			"probe calibration is implemented for x86-64 only");
	ret = calib_prepare(t, err, errlen);
	if (!ret)
		ret = pt_kpid__of(t->kpid_iter, getpid(), &ktgid, err, errlen);
	if (!ret)
		ret = pt_kpid__of(t->kpid_iter, gettid(), &tid, err, errlen);
	if (!ret)
		ret = attach_tracepoints(t, err, errlen);
	if (ret) {
		calib_free(t->cal);
		t->cal = NULL;
		return ret;
	}
	t->cal->tid = tid;
	t->skel->bss->calib_tid = tid;
	t->skel->bss->target_tgid = ktgid;
	t->skel->bss->stage_bias_ns[id] = 0;
	t->skel->bss->phase = PT_PHASE_ARMED;
	for (i = 0; i < PT_PROBE_NR && !ret; i++) {
		if (!t->cal->used[i])
			continue;
		ret = calibrate_one(t, (enum pt_probe_class)i);
		if (!ret)
			ret = calibrate_nested(t, (enum pt_probe_class)i);
	}
	t->skel->bss->target_tgid = 0;
	t->skel->bss->phase = PT_PHASE_ATTACHING;
	t->skel->bss->calib_tid = 0;
	forget_calib_thread(t);
	if (ret) {
		calib_free(t->cal);
		t->cal = NULL;
		return pt_errf(
			err, errlen, ret,
			"probe calibration failed: %s; use --no-calibrate",
			strerror(-ret));
	}
	calib_figures(t, bias_ns, tail_ns);
	return 0;
}

void pt_tracer__nest_ns(const struct pt_tracer *t, uint64_t out[PT_PROBE_NR],
			uint64_t tail[PT_PROBE_NR])
{
	if (t->cal) {
		memcpy(out, t->cal->nest, PT_PROBE_NR * sizeof(*out));
		memcpy(tail, t->cal->nest_tail, PT_PROBE_NR * sizeof(*tail));
	} else {
		memset(out, 0, PT_PROBE_NR * sizeof(*out));
		memset(tail, 0, PT_PROBE_NR * sizeof(*tail));
	}
}

int pt_tracer__recalibrate(struct pt_tracer *t, uint64_t bias_ns[PT_PROBE_NR],
			   uint64_t tail_ns[PT_PROBE_NR],
			   void (*between)(void *ctx), void *ctx)
{
	struct pt_thread_stage pair = { 0 };
	int ret = 0, i;

	if (!t->cal)
		return 0;
	t->skel->bss->calib_tid = t->cal->tid;
	for (i = 0; i < PT_PROBE_NR && !ret; i++) {
		if (!t->cal->used[i])
			continue;
		ret = calib_burst(t, (enum pt_probe_class)i, false);
		if (between)
			between(ctx);
		if (!ret && t->cal->nest_rechecks < PT_NEST_RECHECKS) {
			nest_floor_again(t->cal, (enum pt_probe_class)i);
			if (between)
				between(ctx);
		}
		if (!ret) {
			nest_mean_burst(t->cal, (enum pt_probe_class)i,
					PT_NEST_MEAN_BURST);
			ret = calib_forget(t);
		}
		if (between)
			between(ctx);
	}
	t->cal->nest_rechecks++;
	t->skel->bss->calib_tid = 0;
	forget_calib_thread(t);
	pair.tid = t->cal->tid;
	pair.stage = t->cal->id;
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.thread_stage), &pair);
	if (!ret)
		calib_figures(t, bias_ns, tail_ns);
	return ret;
}

/* ------------------------------------------------------------------ reading */

static int cmp_thread(const void *a, const void *b)
{
	const struct pt_thread_info *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/*
 * The time since thread th's last event, up to now, where it has been since
 * (the BPF side charges a thread's time only at its next event: one asleep
 * since its last switch-out would show none of that sleep).
 */
static void add_pending(struct pt_thread_info *v, const struct pt_thread *th,
			uint64_t now)
{
	uint64_t *to = th->depth ? v->busy_ns : v->idle_ns;

	if (th->exited || !now || now <= th->last_ns)
		return;
	to[pt_pending__part(th)] += now - th->last_ns;
}

/* Appends a row to *v (length *len). Returns 0 or -ENOMEM. */
static int add_thread_row(struct pt_thread_info **v, size_t *len, uint32_t tid,
			  const struct pt_thread_sum *s, bool exited)
{
	struct pt_thread_info *nv = realloc(*v, (*len + 1) * sizeof(**v));
	struct pt_thread_info *r;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	r = &nv[(*len)++];
	memset(r, 0, sizeof(*r));
	r->tid = tid;
	r->exited = exited;
	r->nthreads = s->threads;
	r->pid = s->tgid;
	r->seen = true;
	memcpy(r->comm, s->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	memcpy(r->busy_ns, s->busy_ns, sizeof(s->busy_ns));
	memcpy(r->idle_ns, s->idle_ns, sizeof(s->idle_ns));
	return 0;
}

/* Live threads (the `threads` map) as rows. */
static int read_live(struct pt_tracer *t, uint64_t now,
		     struct pt_thread_info **v, size_t *len)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	struct pt_thread_sum s = { .threads = 1 };
	uint32_t key, next;
	struct pt_thread *th;
	void *prev = NULL;
	int ret = 0;

	th = malloc(sizeof(*th));
	if (!th)
		return -ENOMEM;
	while (!ret && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, th))
			continue; /* deleted meanwhile */
		if (th->unseen)
			continue; /* not run since attach: tasks.c's row */
		memcpy(s.comm, th->comm, sizeof(s.comm));
		s.tgid = th->tgid;
		memcpy(s.busy_ns, th->busy_ns, sizeof(s.busy_ns));
		memcpy(s.idle_ns, th->idle_ns, sizeof(s.idle_ns));
		ret = add_thread_row(v, len, key, &s, false);
		if (!ret)
			add_pending(&(*v)[*len - 1], th, now);
	}
	free(th);
	return ret;
}

/* Exited threads (`thread_done`) as rows, and the rest summed as tid 0. */
static int read_exited(struct pt_tracer *t, struct pt_thread_info **v,
		       size_t *len)
{
	int fd = bpf_map__fd(t->skel->maps.thread_done);
	struct pt_thread_sum s, rest = t->skel->bss->exited_rest;
	uint32_t key, next;
	void *prev = NULL;
	int ret = 0;

	while (!ret && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &s))
			ret = add_thread_row(v, len, key, &s, true);
	}
	if (!ret && rest.threads) {
		memset(rest.comm, 0, sizeof(rest.comm));
		ret = add_thread_row(v, len, 0, &rest, true);
	}
	return ret;
}

int pt_tracer__read_threads(struct pt_tracer *t, uint64_t now,
			    struct pt_thread_info **out, size_t *n)
{
	struct pt_thread_info *v = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = read_live(t, now, &v, &len);
	if (!ret)
		ret = read_exited(t, &v, &len);
	if (ret) {
		free(v);
		return ret;
	}
	if (len)
		qsort(v, len, sizeof(*v), cmp_thread);
	*out = v;
	*n = len;
	return 0;
}

int pt_tracer__seed_blocked(struct pt_tracer *t, uint32_t tgid,
			    const struct pt_task_set *set, uint64_t since_ns)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	struct pt_thread *th = malloc(sizeof(*th));
	uint32_t part;
	size_t i;

	if (!th)
		return -ENOMEM;
	for (i = 0; i < set->n; i++) {
		if (!pt_tasks__blocked(&set->v[i], &part))
			continue;
		memset(th, 0, sizeof(*th));
		th->sys_nr = -1;
		th->tgid = tgid;
		th->state = PT_T_BLOCKED;
		th->off_part = part;
		th->last_ns = since_ns;
		th->unseen = 1;
		memcpy(th->comm, set->v[i].comm, sizeof(th->comm));
		/* Already there: it ran since attach, its events count. Map
		 * full: the BPF side counts the thread when it runs. */
		bpf_map_update_elem(fd, &set->v[i].tid, th, BPF_NOEXIST);
	}
	free(th);
	return 0;
}

int pt_tracer__read_pairs(struct pt_tracer *t, struct pt_pair **out, size_t *n)
{
	int fd = bpf_map__fd(t->skel->maps.thread_stage);
	struct pt_thread_stage key, next;
	struct pt_pair *v = NULL, *nv;
	void *prev = NULL;
	size_t len = 0;
	uint64_t wall;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &wall))
			continue;
		if (key.stage >= t->stages->n)
			continue; /* the calibration's */
		nv = realloc(v, (len + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[len++] = (struct pt_pair){ .tid = key.tid,
					     .stage = key.stage,
					     .wall_ns = wall };
	}
	*out = v;
	*n = len;
	return 0;
}

int pt_tracer__charge_open(struct pt_tracer *t, uint64_t now,
			   struct pt_totals *totals, struct pt_pair **pairs,
			   size_t *npairs)
{
	int fd = bpf_map__fd(t->skel->maps.threads), ret = 0;
	uint32_t key, next;
	struct pt_thread *th;
	void *prev = NULL;

	th = malloc(sizeof(*th));
	if (!th)
		return -ENOMEM;
	while (!ret && now && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, th))
			continue; /* deleted meanwhile */
		pt_pending__stages(th, now, totals, t->stages->n);
		ret = pt_pending__pairs(th, key, now, t->stages->n, pairs,
					npairs);
	}
	free(th);
	return ret;
}

int pt_tracer__read(struct pt_tracer *t, struct pt_totals *totals,
		    uint64_t lost[PT_LOST_NR])
{
	int fd = bpf_map__fd(t->skel->maps.lost), ret, c;
	uint64_t *v;
	uint32_t i;

	for (i = 0; i < t->stages->n; i++) {
		ret = read_stage(t, i, &totals[i]);
		if (ret)
			return ret;
	}
	v = calloc(t->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < PT_LOST_NR; i++) {
		lost[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v)) {
			ret = -errno;
			free(v);
			return ret;
		}
		for (c = 0; c < t->ncpus; c++)
			lost[i] += v[c];
	}
	free(v);
	return 0;
}

/* ------------------------------------------------------------------ memory */

int pt_tracer__read_mem(struct pt_tracer *t,
			struct pt_stage_mem mem[PT_MAX_STAGES + 1])
{
	int fd = bpf_map__fd(t->skel->maps.mem);
	uint32_t i, out = PT_MEM_OUTSIDE;

	/* This trace's stages and the outside slot; the rest stay zero. */
	memset(mem, 0, (PT_MAX_STAGES + 1) * sizeof(*mem));
	for (i = 0; i < t->stages->n; i++)
		if (bpf_map_lookup_elem(fd, &i, &mem[i]))
			return -errno;
	if (bpf_map_lookup_elem(fd, &out, &mem[out]))
		return -errno;
	return 0;
}

int pt_tracer__for_each_live(struct pt_tracer *t, pt_live_cb cb, void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.allocs), ret;
	struct pt_alloc_key key, next;
	struct pt_alloc a;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &a))
			continue; /* freed meanwhile */
		ret = cb(key.ptr, &a, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int pt_tracer__read_stack(struct pt_tracer *t, int32_t id,
			  uint64_t ips[PT_STACK_DEPTH])
{
	int n;

	if (id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &id, ips))
		return -errno;
	for (n = 0; n < PT_STACK_DEPTH && ips[n]; n++)
		;
	return n;
}

void pt_tracer__exit_mem(struct pt_tracer *t, struct pt_exit_mem *out)
{
	*out = t->skel->bss->exit_mem;
}

/* ------------------------------------------------------------------ stacks */

int pt_tracer__attach_sampling(struct pt_tracer *t, unsigned int freq_hz,
			       char *err, size_t errlen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		/* A period in ns (the kernel turns a cpu-clock frequency
		 * into one anyway), so that it can be dithered. */
		.sample_period = 1000000000ull / (freq_hz ? freq_hz : 1),
	};
	int cpu, fd, ret;

	if (!bpf_program__autoload(t->skel->progs.on_cpu_sample))
		return pt_errf(err, errlen, -EINVAL,
			       "on-CPU sampling was not enabled when loading");
	t->sample_links = calloc(t->ncpus, sizeof(*t->sample_links));
	t->sample_fds = calloc(t->ncpus, sizeof(*t->sample_fds));
	if (!t->sample_links || !t->sample_fds)
		return -ENOMEM;
	for (cpu = 0; cpu < t->ncpus; cpu++) {
		fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
				  PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV || errno == ENXIO)
				continue; /* a possible CPU not online */
			ret = -errno;
			return pt_errf(
				err, errlen, ret,
				"cannot sample on CPU %d with a cpu-clock perf event: %s; the kernel needs CONFIG_PERF_EVENTS (and root)",
				cpu, strerror(-ret));
		}
		t->sample_links[t->nsample_links] =
			bpf_program__attach_perf_event(
				t->skel->progs.on_cpu_sample, fd);
		if (!t->sample_links[t->nsample_links]) {
			ret = -errno;
			close(fd);
			return pt_errf(
				err, errlen, ret,
				"cannot attach the sampler on CPU %d: %s", cpu,
				strerror(-ret));
		}
		t->sample_fds[t->nsample_links++] = fd;
	}
	pt_debug("sampling at %u Hz on %d CPUs", freq_hz, t->nsample_links);
	return 0;
}

int pt_tracer__hold_prexec(struct pt_tracer *t, char *err, size_t errlen)
{
	int ret;

	if (!bpf_program__autoload(t->skel->progs.launch_exec) ||
	    !t->skel->bss->target_tgid)
		return 0;
	t->exec_link = bpf_program__attach(t->skel->progs.launch_exec);
	if (!t->exec_link) {
		ret = -errno;
		return pt_errf(
			err, errlen, ret,
			"kernel lacks the sched_process_exec tracepoint (tp_btf): %s",
			strerror(-ret));
	}
	t->skel->bss->prexec_tgid = t->skel->bss->target_tgid;
	return 0;
}

uint64_t pt_tracer__prexec_samples(const struct pt_tracer *t)
{
	return __atomic_load_n(&t->skel->bss->prexec_samples, __ATOMIC_RELAXED);
}

void pt_tracer__set_sample_period(struct pt_tracer *t, uint64_t period_ns)
{
	int i;

	for (i = 0; i < t->nsample_links; i++)
		ioctl(t->sample_fds[i], PERF_EVENT_IOC_PERIOD, &period_ns);
}

int pt_tracer__for_each_sample(struct pt_tracer *t, pt_sample_cb cb, void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.samples), ret;
	struct pt_sample_key key, next;
	void *prev = NULL;
	uint64_t v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		ret = cb(&key, v, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------ several processes */

/* Before load: the processes' programs and maps, with o->procs only. */
static void setup_procs(struct pt_tracer *t, const struct pt_tracer_opts *o)
{
	struct bpf_program *progs[] = { t->skel->progs.proc_fork,
					t->skel->progs.proc_exec,
					t->skel->progs.proc_exit };
	size_t i;

	t->procs = o->procs;
	if (o->procs) {
		t->skel->rodata->procs_on = 1;
		t->skel->rodata->follow_forks = o->follow;
		if (o->comm)
			snprintf((char *)t->skel->rodata->comm_match,
				 sizeof(t->skel->rodata->comm_match), "%s",
				 o->comm);
		t->skel->rodata->exe_dev = o->exe_dev;
		t->skel->rodata->exe_ino = o->exe_ino;
		return;
	}
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i], false);
	bpf_map__set_max_entries(t->skel->maps.procs, 1);
	bpf_map__set_max_entries(t->skel->maps.proc_stats, 1);
}

static int attach_procs(struct pt_tracer *t, char *err, size_t errlen)
{
	struct bpf_program *progs[] = { t->skel->progs.proc_fork,
					t->skel->progs.proc_exec,
					t->skel->progs.proc_exit };
	size_t i;
	int ret;

	for (i = 0; t->procs && i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (t->proc_links[i])
			continue;
		t->proc_links[i] = bpf_program__attach(progs[i]);
		if (!t->proc_links[i]) {
			ret = -errno;
			return pt_errf(
				err, errlen, ret,
				"kernel lacks the %s tracepoint (tp_btf): %s",
				bpf_program__name(progs[i]), strerror(-ret));
		}
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pt_tracer__add_proc(struct pt_tracer *t, pid_t pid, pid_t ppid,
			const char *comm, char *err, size_t errlen)
{
	struct pt_proc p = { .start_ns = mono_ns() };
	uint32_t kpid, kppid = 0;
	int ret;

	if (!t->procs)
		return 0;
	ret = pt_kpid__of(t->kpid_iter, pid, &kpid, err, errlen);
	if (ret)
		return ret;
	if (ppid > 0 && pt_kpid__of(t->kpid_iter, ppid, &kppid, err, errlen))
		kppid = 0; /* outside pipetrace's namespace */
	p.ppid = kppid;
	/* After attach: it may be inside calls already. */
	if (t->skel->bss->phase == PT_PHASE_ARMED)
		p.flags = PT_PROC_LATE;
	snprintf(p.comm, sizeof(p.comm), "%s", comm ? comm : "");
	/* The filter's bit before the entry (see PT_TRACED_BITS). */
	__atomic_fetch_or(&t->skel->bss->traced_bits[PT_TRACED_WORD(kpid)],
			  PT_TRACED_BIT(kpid), __ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &kpid, &p,
				BPF_NOEXIST) &&
	    errno != EEXIST)
		return pt_errf(err, errlen, -errno,
			       "cannot trace PID %d: %s (at most %d processes)",
			       pid, strerror(errno), PT_MAX_PROCS);
	return 0;
}

int pt_tracer__watch_execs(struct pt_tracer *t,
			   int (*fn)(void *ctx, void *data, size_t size),
			   void *ctx)
{
	if (!t->procs)
		return -EINVAL;
	t->exec_rb = ring_buffer__new(bpf_map__fd(t->skel->maps.execs), fn, ctx,
				      NULL);
	return t->exec_rb ? 0 : -errno;
}

int pt_tracer__exec_fd(const struct pt_tracer *t)
{
	return t->exec_rb ? ring_buffer__epoll_fd(t->exec_rb) : -1;
}

int pt_tracer__drain_execs(struct pt_tracer *t)
{
	return t->exec_rb ? ring_buffer__consume(t->exec_rb) : 0;
}

uint64_t pt_tracer__execs_lost(const struct pt_tracer *t)
{
	return t->procs ? t->skel->bss->execs_lost : 0;
}

size_t pt_tracer__stage_room(const struct pt_tracer *t)
{
	return t->cap - t->stages->n;
}

int pt_tracer__add_stages(struct pt_tracer *t, size_t first, char *err,
			  size_t errlen)
{
	const struct pt_stage_set *st = t->stages;
	size_t i, failed;
	int ret;

	if (st->n > t->cap)
		return pt_errf(err, errlen, -E2BIG,
			       "no room for %zu more stages (at most %zu)",
			       st->n - first, t->cap);
	for (i = first; i < st->n; i++) {
		t->skel->bss->stage_items_mode[i] = st->v[i].items;
		t->skel->bss->stage_fn_size[i] = st->v[i].fn_size;
		if (t->cal)
			stage_figures(t, i);
	}
	ret = attach_stages(t, -1, first, &failed);
	if (ret)
		attach_error(err, errlen, &st->v[failed], ret);
	return ret;
}

uint64_t pt_tracer__procs_full(const struct pt_tracer *t)
{
	return t->procs ? t->skel->bss->procs_full : 0;
}

int pt_tracer__read_procs(struct pt_tracer *t, struct pt_proc_info **out,
			  size_t *n)
{
	int fd = bpf_map__fd(t->skel->maps.procs);
	struct pt_proc_info *v = NULL, *nv;
	uint32_t key, next;
	struct pt_proc p;
	void *prev = NULL;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	while (t->procs && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &p))
			continue;
		nv = realloc(v, (len + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		pt_proc_info__from(&v[len++], key, &p);
	}
	if (len)
		qsort(v, len, sizeof(*v), pt_proc_info__cmp);
	*out = v;
	*n = len;
	return 0;
}

/* Sums one (process, stage) key's per-CPU counters into *r. */
static int read_proc_stage(struct pt_tracer *t, int fd,
			   const struct pt_proc_stage_key *key,
			   struct pt_proc_stats *cpu,
			   struct pt_proc_stage_row *r)
{
	int i;

	if (bpf_map_lookup_elem(fd, key, cpu))
		return -errno;
	memset(r, 0, sizeof(*r));
	r->pid = key->tgid;
	r->stage = key->stage;
	for (i = 0; i < t->ncpus; i++)
		pt_proc_stage_row__add(r, &cpu[i]);
	return 0;
}

int pt_tracer__read_proc_stages(struct pt_tracer *t, size_t nstages,
				struct pt_proc_stage_row **out, size_t *n)
{
	int fd = bpf_map__fd(t->skel->maps.proc_stats);
	struct pt_proc_stage_row *v = NULL, *nv;
	struct pt_proc_stage_key key, next;
	struct pt_proc_stats *cpu;
	void *prev = NULL;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	cpu = calloc((size_t)t->ncpus, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	while (t->procs && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.stage >= nstages) /* the calibration's */
			continue;
		nv = realloc(v, (len + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			free(cpu);
			return -ENOMEM;
		}
		v = nv;
		if (!read_proc_stage(t, fd, &key, cpu, &v[len]))
			len++;
	}
	free(cpu);
	if (len)
		qsort(v, len, sizeof(*v), pt_proc_stage_row__cmp);
	*out = v;
	*n = len;
	return 0;
}

int pt_tracer__map_fd(const struct pt_tracer *t, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(t->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}
