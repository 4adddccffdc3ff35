/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - the BPF side's lifecycle: open, size, load, calibrate, attach,
 * read, detach.
 *
 *   pt_tracer__open()       open the skeleton, size maps, set rodata, load
 *   pt_tracer__calibrate()  measure the probe's own latency on pipetrace
 *   pt_tracer__attach()     probe every stage, filtered to one process
 *   pt_tracer__read()       fold the per-CPU counters into totals
 *   pt_tracer__close()      detach and free (safe on a partial open)
 */
#ifndef PT_TRACER_H
#define PT_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipetrace_abi.h"
#include "pipetrace_procs.h"
#include "collect/allocsites.h"
#include "collect/libcio.h"
#include "report/procs.h"
#include "report/snapshot.h"
#include "target/stages.h"

struct pt_task_set;

struct pt_tracer;

struct pt_tracer_opts {
	unsigned int max_threads;
	bool alloc; /* load the allocator and page-fault programs */
	unsigned int alloc_sample; /* record 1 allocation in N (0, 1: all) */
	uint64_t alloc_min; /* smaller allocations are ignored */
	unsigned int alloc_max; /* live blocks tracked (0: default) */
	bool oncpu; /* load the on-CPU sampling program */
	bool offcpu; /* capture stacks at every switch-out */
	bool events; /* stream every call through the ring buffer */
	bool dwarf; /* --call-graph dwarf possible: its ring buffers (on
		     * CPU with oncpu, at switch-out with offcpu) */
	bool alloc_dwarf; /* with alloc, --call-graph dwarf asked for: a
			   * record of each recorded allocation too */
	bool sys_light; /* --syscalls light: no syscall tracepoint */
	bool libcio; /* --syscalls libc: load the libc I/O probes' programs */
	/* Several processes: stage probes on every process mapping a file,
	 * filtered in BPF to the tgids of `procs` (pt_tracer__add_proc());
	 * follow: their children too; comm: every process of that name. */
	bool procs;
	bool follow;
	const char *comm;
	/* --exe: every process running this file (the kernel's device
	 * number, major << 20 | minor, and inode), at exec or fork. */
	uint32_t exe_dev;
	uint64_t exe_ino;
	/* With procs: stage ids kept for the programs traced processes exec
	 * (pt_tracer__add_stages()); stages may then be empty at open. */
	size_t spare_stages;
};

/* Returns 0 or -errno with a one-line message in err. */
int pt_tracer__open(const struct pt_stage_set *stages,
		    const struct pt_tracer_opts *o, struct pt_tracer **out,
		    char *err, size_t errlen);

/*
 * Measures what the probes add to a call's latency, for each class of probed
 * first instruction (enum pt_probe_class): the median over many calls of an
 * empty function of that class in pipetrace itself. The exit probe then
 * subtracts its class's figure from each stage's calls. tail_ns gets how far
 * the mean lies above that median (rare slow passes through the probe),
 * for the report to take off mean latencies. Call before
 * pt_tracer__attach(). Returns 0 or -errno with a message in err (and then
 * nothing is subtracted).
 */
int pt_tracer__calibrate(struct pt_tracer *t, uint64_t bias_ns[PT_PROBE_NR],
			 uint64_t tail_ns[PT_PROBE_NR], char *err,
			 size_t errlen);

/*
 * One more burst of calibration calls per class, during the trace (after a
 * successful pt_tracer__calibrate(); else nothing), folded into the
 * figures: bias_ns and tail_ns get the medians over the recent bursts, and
 * the stages' calls from now on have the least the probe ever cost taken
 * off. Returns 0 or -errno (the figures are then unchanged).
 */
/* What a probed call of each class costs the call enclosing it: out, the
 * figure taken off an enclosing call per nested call (the fastest tenth,
 * as calibrated at start); tail, the mean cost above it (at start and in
 * each burst since), taken off the enclosing stage's mean and own time by
 * the report. Zeros without calibration. */
void pt_tracer__nest_ns(const struct pt_tracer *t, uint64_t out[PT_PROBE_NR],
			uint64_t tail[PT_PROBE_NR]);

/* A burst of calibration calls of every class in use (bias_ns, tail_ns
 * updated); after each of its steps, between(ctx) if set: a burst took
 * 140-160 ms on a loaded host (3 classes), too long for what must not wait
 * (a new process's libc probes). 0 or -errno. */
int pt_tracer__recalibrate(struct pt_tracer *t, uint64_t bias_ns[PT_PROBE_NR],
			   uint64_t tail_ns[PT_PROBE_NR],
			   void (*between)(void *ctx), void *ctx);

/* The kernel's id of task `id` of pipetrace's PID namespace (the same id
 * in the initial namespace), as the BPF side counts it: 0 or -errno. */
int pt_tracer__kernel_tid(struct pt_tracer *t, pid_t id, uint32_t *out);

/* Attaches every stage's exit then entry probe, for process tgid only.
 * Returns 0 or -errno with a message in err naming the stage. */
int pt_tracer__attach(struct pt_tracer *t, pid_t tgid, char *err,
		      size_t errlen);

/*
 * Attaches the warm-up return probe at path+off (a function a new process
 * runs once before main, such as _init), for process tgid: the kernel's
 * one-time uprobe setup then happens outside every stage. Returns 0 or
 * -errno.
 */
int pt_tracer__attach_warmup(struct pt_tracer *t, pid_t tgid, const char *path,
			     uint64_t off);

/*
 * --syscalls light: probes process tgid's libc I/O wrappers (sites), once
 * per process (again for the same tgid: nothing). Only that process pays
 * for them. Returns 0 or -errno with a message in err.
 */
int pt_tracer__attach_libcio(struct pt_tracer *t, pid_t tgid,
			     const struct pt_libcio_sites *sites, char *err,
			     size_t errlen);

/*
 * Streams calls (needs opts.events at open) to fn(ctx, struct pt_event *,
 * size) as pt_tracer__drain() finds them. Returns 0 or -errno.
 */
int pt_tracer__stream(struct pt_tracer *t,
		      int (*fn)(void *ctx, void *data, size_t size), void *ctx);
/* A file descriptor that polls readable when the BPF side asks for a
 * drain (once a quarter of the ring buffer is waiting), or -1. */
int pt_tracer__stream_fd(const struct pt_tracer *t);
/* Hands every waiting event to the stream's fn. Returns the number handed
 * over, or -errno (fn's error included). */
int pt_tracer__drain(struct pt_tracer *t);

/* Exit sites reached by calls that began before tracing (--sites). */
uint64_t pt_tracer__inflight_exits(const struct pt_tracer *t);

/* Whether the warm-up probe has fired (a launched target's loader has
 * mapped its libraries), or there is none to wait for. */
bool pt_tracer__warmed_up(const struct pt_tracer *t);

/* Off-CPU stacks count only waits that begin from now on (bpf_ktime is
 * CLOCK_MONOTONIC). */
void pt_tracer__start_offcpu(struct pt_tracer *t);

/* Stops new stage calls from being recorded; calls in flight still end.
 * Cheap: report after it, detach (a kernel grace period or more) after. */
void pt_tracer__freeze(struct pt_tracer *t);

/* Detaches every probe (counters stay readable). Removing uprobes waits for
 * kernel grace periods (tens of ms each): about one for all with
 * multi-uprobe links (Linux 6.6+), one per probe without them. */
void pt_tracer__detach(struct pt_tracer *t);

/* Fills totals[i] for stage i (n = number of stages) and lost[]. 0/-errno. */
int pt_tracer__read(struct pt_tracer *t, struct pt_totals *totals,
		    uint64_t lost[PT_LOST_NR]);

/*
 * -p: each thread of set (kernel tids) blocked when read (pt_tasks__read)
 * enters the threads map blocked since since_ns (CLOCK_MONOTONIC, the
 * attach), in the part its syscall and state say, unless the BPF side
 * already has it: its wait is charged from the attach, not from its first
 * event. Until it runs it is left to tasks.c's rows. 0 or -ENOMEM.
 */
int pt_tracer__seed_blocked(struct pt_tracer *t, uint32_t tgid,
			    const struct pt_task_set *set, uint64_t since_ns);

/* The target's threads seen so far, sorted by tid: live ones, exited ones
 * (at most max_threads rows), then the exited threads beyond those summed
 * in one row of tid 0. A live thread's time since its last event is added
 * as of now (CLOCK_MONOTONIC ns; 0: not added). A malloc'ed array in *out
 * (free it), its length in *n. Returns 0 or -errno. */
int pt_tracer__read_threads(struct pt_tracer *t, uint64_t now,
			    struct pt_thread_info **out, size_t *n);
/* Every (thread, stage) pair's wall time: malloc'ed, like the above. */
int pt_tracer__read_pairs(struct pt_tracer *t, struct pt_pair **out, size_t *n);
/*
 * Charges what live threads have open at now (collect/pending.h): the
 * time since each one's last event to its innermost stage's part, and its
 * open outermost calls to their stages' and pairs' wall time. Call it
 * after reading totals and pairs. 0 or -errno.
 */
int pt_tracer__charge_open(struct pt_tracer *t, uint64_t now,
			   struct pt_totals *totals, struct pt_pair **pairs,
			   size_t *npairs);

/*
 * Attaches the allocator's probes (exits, then entries) and the page-fault
 * tracepoint, for process tgid. Needs opts.alloc at open. Returns 0 or
 * -errno with a message in err; a missing page-fault tracepoint only warns.
 */
int pt_tracer__attach_alloc(struct pt_tracer *t, pid_t tgid,
			    const struct pt_alloc_sites *sites, char *err,
			    size_t errlen);

/* Reads mem[] of this trace's stages and mem[PT_MEM_OUTSIDE] (outside
 * every stage); the other slots are zeroed. Returns 0 or -errno. */
int pt_tracer__read_mem(struct pt_tracer *t,
			struct pt_stage_mem mem[PT_MAX_STAGES + 1]);

/* Called for each live block; non-zero stops the walk and is returned. */
typedef int (*pt_live_cb)(uint64_t addr, const struct pt_alloc *a, void *ctx);
int pt_tracer__for_each_live(struct pt_tracer *t, pt_live_cb cb, void *ctx);

/* Reads stack id into ips (innermost first); returns the number of frames
 * or -errno (-ENOENT for a lost stack). */
int pt_tracer__read_stack(struct pt_tracer *t, int32_t id,
			  uint64_t ips[PT_STACK_DEPTH]);

/* The target's RSS when its last thread exited (seen = 0 if it has not). */
void pt_tracer__exit_mem(struct pt_tracer *t, struct pt_exit_mem *out);

/*
 * Samples the target on CPU at freq_hz with a cpu-clock perf event on every
 * CPU. Needs opts.oncpu at open. Returns 0 or -errno with a message in err.
 */
int pt_tracer__attach_sampling(struct pt_tracer *t, unsigned int freq_hz,
			       char *err, size_t errlen);

/*
 * A launched command about to be released: its on-CPU samples until its
 * exec are pipetrace's launcher's, counted (pt_tracer__prexec_samples())
 * and not kept. No-op without on-CPU sampling. Returns 0 or -errno with a
 * message in err.
 */
int pt_tracer__hold_prexec(struct pt_tracer *t, char *err, size_t errlen);

/* The samples pt_tracer__hold_prexec() left out. */
uint64_t pt_tracer__prexec_samples(const struct pt_tracer *t);

/*
 * Changes the sampling period of every CPU's event. A fixed period locks
 * onto a periodic workload (a pipeline's batch cycle) and over-samples
 * some phases of it; the caller dithers it around 1/freq.
 */
void pt_tracer__set_sample_period(struct pt_tracer *t, uint64_t period_ns);

/* --call-graph dwarf: bytes of user stack copied at each on-CPU sample
 * and each switch-out (as loaded) from now on (at most PT_USTACK_MAX; 0:
 * frame pointers only, counted in the samples map). Needs opts.dwarf at
 * open: -EINVAL otherwise. */
int pt_tracer__set_ustack_copy(struct pt_tracer *t, unsigned int bytes);

/* Streams the --call-graph dwarf records (needs opts.dwarf) to fn(ctx,
 * record, size), beside the events, drained by pt_tracer__drain(). */
int pt_tracer__stream_usamples(struct pt_tracer *t,
			       int (*fn)(void *ctx, void *data, size_t size),
			       void *ctx);

/* Called for each folded-stack bucket; non-zero stops the walk. */
typedef int (*pt_sample_cb)(const struct pt_sample_key *key, uint64_t value,
			    void *ctx);
int pt_tracer__for_each_sample(struct pt_tracer *t, pt_sample_cb cb, void *ctx);

void pt_tracer__close(struct pt_tracer *t);

/* The fd of BPF map `name` (read by a concern of its own, pipewait.c), or
 * -ENOENT. */
int pt_tracer__map_fd(const struct pt_tracer *t, const char *name);

/* Folds per-CPU values into one total (exposed for tests). */
void pt_totals__add_cpu(struct pt_totals *t, const struct pt_stage_stats *cpu,
			const struct pt_stage_time *cpu_time);

/* ------------------------------------------------ several processes (procs) */

/* Traces process pid (pipetrace's PID namespace ids; ppid 0: unknown)
 * from now on. A no-op without opts.procs. Returns 0 or -errno with a
 * message in err. */
int pt_tracer__add_proc(struct pt_tracer *t, pid_t pid, pid_t ppid,
			const char *comm, char *err, size_t errlen);
/* The traced processes (sorted by pid); *out malloc'ed. 0 or -ENOMEM. */
int pt_tracer__read_procs(struct pt_tracer *t, struct pt_proc_info **out,
			  size_t *n);
/* Each stage's calls per process (sorted by stage, then pid), stages below
 * nstages only; *out malloc'ed. 0 or -ENOMEM. */
int pt_tracer__read_proc_stages(struct pt_tracer *t, size_t nstages,
				struct pt_proc_stage_row **out, size_t *n);
/* Processes not traced because the procs map was full. */
uint64_t pt_tracer__procs_full(const struct pt_tracer *t);
/*
 * Several processes: fn(ctx, struct pt_exec_event *, size) for each exec
 * of a traced process (or of one that starts being traced by it), read
 * by pt_tracer__drain_execs() when pt_tracer__exec_fd() polls readable.
 * 0 or -errno.
 */
int pt_tracer__watch_execs(struct pt_tracer *t,
			   int (*fn)(void *ctx, void *data, size_t size),
			   void *ctx);
int pt_tracer__exec_fd(const struct pt_tracer *t); /* -1 if not watched */
int pt_tracer__drain_execs(struct pt_tracer *t); /* events or -errno */
/* Execs the BPF side could not tell (its ring buffer was full). */
uint64_t pt_tracer__execs_lost(const struct pt_tracer *t);
/* Stage ids left for pt_tracer__add_stages(). */
size_t pt_tracer__stage_room(const struct pt_tracer *t);
/*
 * The stages appended to the set given at open, from index first, probed
 * (once per file, every process, filtered in BPF) with the calibration's
 * figures. 0 or -errno with a message in err (the set must then be cut
 * back to first by the caller; probes attached stay until detach).
 */
int pt_tracer__add_stages(struct pt_tracer *t, size_t first, char *err,
			  size_t errlen);
/* An entry of the procs map as the model's row (collect/procs.c). */
void pt_proc_info__from(struct pt_proc_info *r, uint32_t tgid,
			const struct pt_proc *p);
/* Adds one CPU's (process, stage) counters to r. */
void pt_proc_stage_row__add(struct pt_proc_stage_row *r,
			    const struct pt_proc_stats *cpu);

#endif /* PT_TRACER_H */
