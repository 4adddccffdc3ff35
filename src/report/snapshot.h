/* SPDX-License-Identifier: MIT */
/*
 * snapshot.h - what a trace saw, read from the BPF side at one moment:
 * the report's only input. The tracer fills it (collect/), the report and
 * the output sinks read it; a test builds one by hand, without BPF.
 */
#ifndef PT_SNAPSHOT_H
#define PT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipetrace_abi.h"
#include "report/memreport.h"
#include "report/procs.h"
#include "target/stages.h"

struct pt_folded;

/* What the folding of one kind left out (samples on CPU, us off CPU). */
struct pt_stackfold_count {
	uint64_t total; /* all samples of the kind */
	uint64_t own; /* the tracer's own work: left out of the stacks */
	uint64_t truncated; /* user stack cut where the walk left code */
	/* a launched command's before its exec (pipetrace's launcher, code
	 * its maps do not hold: once "[no stage];[unknown]"): left out */
	uint64_t prexec;
};

struct pt_stackfold_stats {
	struct pt_stackfold_count oncpu, offcpu;
};

/* A stage's counters summed over CPUs. */
struct pt_totals {
	uint64_t calls, items, errors, wall_ns, lat_sum_ns, min_ns, max_ns;
	uint64_t bias_ns; /* probe latency subtracted, over all calls */
	/* nested calls' probes' mean cost beyond what was subtracted
	 * (pt_stage_stats.nest_tail_ns) */
	uint64_t nest_tail_ns;
	/* Calls that carried the kernel's one-time uprobe setup: counted in
	 * calls, not in the latency figures (pt_stage_stats.setup_calls). */
	uint64_t setup_calls, setup_ns;
	uint64_t hist[PT_HIST_BUCKETS];
	struct pt_stage_time time; /* the stage's own time, split */
};

/* The calls in a stage's latency figures (hist, mean, min, max). */
static inline uint64_t pt_totals__timed(const struct pt_totals *t)
{
	return t->calls - t->setup_calls;
}

/* A target thread's time: inside stages (busy) and outside (idle). One
 * row a thread; tid 0: exited threads beyond --max-threads rows, summed
 * (nthreads of them). */
struct pt_thread_info {
	uint32_t tid;
	uint32_t pid; /* its process (0: not known) */
	bool exited;
	/* false: never seen run during the trace (listed by /proc at attach,
	 * idle throughout, its part from what it waited in: blocked_on) */
	bool seen;
	uint64_t nthreads; /* threads in the row: 1, more for a reused tid */
	char comm[16];
	char blocked_on[32]; /* unseen: wchan, or "syscall N" */
	uint64_t busy_ns[PT_PART_NR];
	uint64_t idle_ns[PT_PART_NR];
};

/* One stage on one thread: its outermost wall time there (the tracer's
 * figure, nested stages included) and its own time there (derived by the
 * report, pt_report__build(); 0 in a snapshot). */
struct pt_pair {
	uint32_t tid;
	uint32_t stage;
	uint64_t wall_ns;
	uint64_t self_ns;
	uint64_t work_ns; /* of self_ns, less the waits for a CPU, a lock
			   * or a pipe (report.h's pt_amdahl()) */
};

/* The target's resident memory, bytes. */
struct pt_rss {
	uint64_t start, end, peak;
	bool end_known; /* false: the target's end was not seen */
};

struct pt_pipeline;

struct pt_snapshot {
	pid_t pid;
	const char *command;
	const struct pt_stage_set *stages;
	const struct pt_totals *totals; /* stages->n */
	uint64_t duration_ns; /* from attach to this snapshot, or the
			       * interval's length (interval) */
	bool final; /* the trace's end, not an interval */
	/* An interval's own counters (report/interval.h), starting since_ns
	 * after attach; false: cumulative from attach. */
	bool interval;
	uint64_t since_ns;
	/* the probe's own cost, by probe class */
	bool calibrated;
	uint64_t bias_ns[PT_PROBE_NR];
	uint64_t tail_ns[PT_PROBE_NR];
	/* a nested probed call's cost to its caller, per class */
	uint64_t nest_ns[PT_PROBE_NR];
	/* its mean above that (taken off means and own times, not calls) */
	uint64_t nest_tail_ns[PT_PROBE_NR];
	uint64_t lost[PT_LOST_NR];
	uint64_t inflight_exits; /* exit sites of calls entered before attach */
	const struct pt_thread_info *threads; /* sorted by tid */
	size_t nthreads;
	const struct pt_pair *pairs;
	size_t npairs;
	/* --alloc: stages->n + 1 rows (the last is outside every stage), or
	 * NULL */
	const struct pt_mem_row *mem;
	unsigned int alloc_sample;
	uint64_t alloc_min;
	struct pt_rss rss;
	/* stacks, final snapshot only; NULL when not collected */
	const struct pt_folded *oncpu; /* samples */
	const struct pt_folded *offcpu; /* microseconds */
	struct pt_stackfold_stats stack_stats; /* what folding left out */
	/* --syscalls light: on-CPU time is all in part_ns[PT_PART_USER]
	 * (user and sys unknown), io_cpu_ns and fsyncs unknown (unless
	 * libc_io), io_syscalls counts read and write calls (and fsyncs with
	 * libc_io) */
	bool sys_light;
	/* --syscalls light with libc I/O probes (bpf/libcio.bpf.c): io_cpu_ns
	 * (within part_ns[PT_PART_USER] then), fsyncs, and io_syscalls'
	 * fsync calls known after all, for calls through libc */
	bool libc_io;
	/* Several processes (report/procs.h); nprocs 0 with one. */
	const struct pt_proc_info *procs; /* sorted by pid */
	size_t nprocs;
	const struct pt_proc_stage_row *proc_stages; /* by stage, then pid */
	size_t nproc_stages;
	uint64_t procs_missed; /* not traced: too many processes */
	/* returns of calls their process entered before it was traced (not
	 * calls, not losses), summed over the processes */
	uint64_t unpaired_returns;
	/* the processes and pipes around the target (report/pipeline.h),
	 * final snapshot only; NULL when not collected */
	const struct pt_pipeline *pipeline;
};

#endif /* PT_SNAPSHOT_H */
