/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * pipetrace.bpf.h - what the BPF objects of pipetrace share: the maps and
 * variables more than one of them uses, and the thread-state helpers.
 *
 * The programs are split by concern, one object each (stage.bpf.c,
 * syscall.bpf.c, sched.bpf.c, sample.bpf.c, alloc.bpf.c), and linked into
 * one object with `bpftool gen object`, from which the one skeleton is made.
 * A map or variable is defined in exactly one object: a concern's own ones
 * in its file, the shared ones in pipetrace.bpf.c. Other objects see a
 * shared one through its `extern` declaration here, which libbpf's static
 * linker resolves to that definition; a map's extern is of the very type
 * it is defined with (the typedefs below), so the two always match.
 */
#ifndef PIPETRACE_BPF_H
#define PIPETRACE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pipetrace_abi.h"
#include "pipetrace_procs.h"

#define TASK_UNINTERRUPTIBLE 0x2
#define PF_EXITING 0x4
#define EFAULT 14
#define EEXIST 17

/* Hides a value's provenance from the optimizer (not from the verifier). */
#define opaque(var) __asm__ volatile("" : "+r"(var))

/* ----------------------------------------------- shared variables (common) */

/* Set before load: what each syscall number means (sysclass.c). */
extern const volatile __u8 syscall_class[PT_MAX_SYSCALL];
/* --alloc is on. */
extern const volatile __u8 alloc_on;
/* --syscalls light: no syscall tracepoint attached; the blocking reason
 * comes from the task's registers at its switch-out, I/O from its ioac. */
extern const volatile __u8 sys_light;
/* Set by userspace before attach (sysclass.c, defined in syscall.bpf.c):
 * the kernel's restart functions (a task's restart_block.fn; 0: unused
 * slot) and the syscall each one continues. Not read-only: they are read
 * from /proc/kallsyms while the programs load. */
extern volatile __u64 restart_fn[PT_RESTART_FNS];
extern volatile __s32 restart_nr[PT_RESTART_FNS];

/* Set by userspace after load (the calibration run traces pipetrace itself
 * before the target is traced). */
extern volatile __u32 target_tgid;
/* enum pt_phase: mismatches count as losses only while armed. */
extern volatile __u32 phase;
/* Set before load: several processes, the tgids in `procs` (procs.bpf.c). */
extern const volatile __u8 procs_on;
/* pipetrace's own thread while it calls its calibration functions during
 * the trace (a short burst: it makes no other call then), or 0. */
extern volatile __u32 calib_tid;
extern struct pt_thread calib_thread;
/* A filter in front of `procs`: bit PT_TRACED_WORD/BIT(tgid) is set for
 * every tgid in it (never cleared; a set bit may be another tgid's). */
extern __u64 traced_bits[PT_TRACED_BITS / 64];

/* ------------------------------------------------------ shared maps (common) */

/* Per stage, per CPU: its own time, split. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of stages + 1 */
	__type(key, __u32);
	__type(value, struct pt_stage_time);
} stage_time_map_t;
extern stage_time_map_t stage_time SEC(".maps");

/* A per-CPU array, not the threads hash: the probes' own syscalls pass
 * through sys_enter on every probed call, so this is on the hot path. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_probe_sys);
} probe_sys_map_t;
extern probe_sys_map_t probe_sys SEC(".maps");

/* Not preallocated: --max-threads entries of pt_thread took most of the
 * load (a quarter of a second); an entry is allocated once per thread. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_thread);
} threads_map_t;
extern threads_map_t threads SEC(".maps");

/* Threads refused a slot in `threads`, marked at their first refusal so
 * that lost.threads_full counts threads; freed with the task. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} refused_map_t;
extern refused_map_t refused SEC(".maps");

/* (thread, stage) -> outermost wall time (stage.bpf.c adds, sched.bpf.c
 * folds an exited thread's into tid 0 when its row is not kept). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* as threads */
	__uint(max_entries, 4 * PT_DEFAULT_MAX_THREADS);
	__type(key, struct pt_thread_stage);
	__type(value, __u64);
} thread_stage_map_t;
extern thread_stage_map_t thread_stage SEC(".maps");

/* Each stage's counters (stage.bpf.c and stage_go.bpf.c add completed
 * calls, sched.bpf.c the calls a thread leaves open at its exit). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of stages + 1 */
	__type(key, __u32);
	__type(value, struct pt_stage_stats);
} stats_map_t;
extern stats_map_t stats SEC(".maps");

/* Several processes (procs_on): each stage's calls per process too. A
 * per-CPU hash: one more lookup per call, no atomics, no histogram. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PT_MAX_PROC_STAGES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* written at a first call */
	__type(key, struct pt_proc_stage_key);
	__type(value, struct pt_proc_stats);
} proc_stats_map_t;
extern proc_stats_map_t proc_stats SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_LOST_NR);
	__type(key, __u32);
	__type(value, __u64);
} lost_map_t;
extern lost_map_t lost SEC(".maps");

/* Heap use per stage; index PT_MEM_OUTSIDE is outside every stage. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_STAGES + 1);
	__type(key, __u32);
	__type(value, struct pt_stage_mem);
} mem_map_t;
extern mem_map_t mem SEC(".maps");

/* Allocator calls in flight, by tid. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_alloc_call);
} alloc_calls_map_t;
extern alloc_calls_map_t alloc_calls SEC(".maps");

/* User stacks of allocations and samples (kernel stacks of samples). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PT_DEFAULT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PT_STACK_DEPTH * sizeof(__u64));
} stacks_map_t;
extern stacks_map_t stacks SEC(".maps");

/* Folded stacks: on-CPU sample counts and off-CPU ns (--folded*). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_SAMPLES);
	__type(key, struct pt_sample_key);
	__type(value, __u64);
} samples_map_t;
extern samples_map_t samples SEC(".maps");

/* The traced processes beside target_tgid, when procs_on (procs.bpf.c). */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_PROCS);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* written at fork and exec */
	__type(key, __u32);
	__type(value, struct pt_proc);
} procs_map_t;
extern procs_map_t procs SEC(".maps");

/* The value a new thread starts from (all zero). */
extern const struct pt_thread zero_thread;

/* Go stages (stage_go.bpf.c): a goroutine's open calls, kept by its g. */
struct go_frame {
	__u64 start_ns;
	__u64 off; /* g.stack.hi - sp at entry; 0: unknown */
	__u16 stage;
	__u8 outermost;
	__u8 pad[5];
};

struct go_state {
	__u64 goid; /* the goroutine the g ran when last seen */
	__u64 regrow_off; /* a morestack call's off ... */
	__u32 regrow_stage; /* ... and its stage + 1 (0: none) */
	__u32 depth; /* may exceed PT_MAX_DEPTH (not stored) */
	struct go_frame frames[PT_MAX_DEPTH];
	__u8 active[PT_MAX_STAGES]; /* open calls per stage */
};

/* By g: the goroutines inside a stage call (freed when none is open).
 * Full: the goroutine is not tracked, counted as threads_full. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u64);
	__type(value, struct go_state);
} goroutines_map_t;
extern goroutines_map_t goroutines SEC(".maps");

/* Set before load: there are Go stages (goroutines is in use). */
extern const volatile __u8 go_on;

/* ------------------------------------------------------------------ helpers */

static __always_inline void count_lost(__u32 reason, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &reason);

	if (v)
		*v += n;
}

/* Adds an outermost call's wall time to its (thread, stage) pair: a call
 * that returned (stagecall.bpf.h), or one open at its thread's exit
 * (sched.bpf.c). A full map is counted as lost. */
static __always_inline void add_pair(__u32 tid, __u32 stage, __u64 lat)
{
	struct pt_thread_stage key = { .tid = tid, .stage = stage };
	__u64 *v = bpf_map_lookup_elem(&thread_stage, &key);

	if (v) {
		*v += lat;
		return;
	}
	if (bpf_map_update_elem(&thread_stage, &key, &lat, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&thread_stage, &key))
		count_lost(PT_LOST_PAIRS_FULL, 1);
}

/* How get_thread() treats a thread it does not know. */
enum get_mode {
	GET_ONLY = 0, /* return NULL */
	GET_CREATE = 1, /* create it, unless it is exiting (its slot was
			 * freed at its exit; its last switch-out follows) */
};

/* Counts task, refused a slot, once (the first refusal marks it). */
static __always_inline void refuse_thread(struct task_struct *task)
{
	__u32 *r = bpf_task_storage_get(&refused, task, 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	/* No storage (out of memory, recursion): counted again later rather
	 * than not at all. */
	if (!r || !__sync_fetch_and_or(r, 1))
		count_lost(PT_LOST_THREADS_FULL, 1);
}

/* pipetrace's calibrating thread's state (calib_thread), made as
 * get_thread() makes a target thread's. */
static __always_inline struct pt_thread *
get_calib_thread(struct task_struct *task, int mode, __u32 state, __u64 now)
{
	struct pt_thread *t = &calib_thread;

	if (t->tgid || mode == GET_ONLY)
		return t->tgid ? t : NULL;
	t->sys_nr = -1;
	t->tgid = task->tgid;
	t->state = state;
	t->last_ns = now;
	return t;
}

/*
 * The state of target thread task, created in `state` at `now` as mode
 * says. NULL if unknown, exiting, or the map is full (counted).
 */
static __always_inline struct pt_thread *
get_thread(struct task_struct *task, int mode, __u32 state, __u64 now)
{
	__u32 tid = task->pid;
	struct pt_thread *t;

	if (calib_tid && tid == calib_tid)
		return get_calib_thread(task, mode, state, now);
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t || mode == GET_ONLY || (task->flags & PF_EXITING))
		return t;
	if (bpf_map_update_elem(&threads, &tid, &zero_thread, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&threads, &tid)) {
		refuse_thread(task);
		return NULL;
	}
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return NULL;
	t->sys_nr = -1;
	t->tgid = task->tgid;
	t->state = state;
	t->last_ns = now;
	return t;
}

/*
 * Whether process tgid is traced: the target, or with several processes
 * one in `procs` that has not exited. Every context switch and wakeup of
 * the machine asks, mostly for untraced tasks: those return after a
 * compare or two and one load from traced_bits; the hash lookup is made
 * only for a tgid whose bit is set.
 */
static __always_inline bool traced_tgid(__u32 tgid)
{
	struct pt_proc *p;

	if (!tgid)
		return false; /* also the idle task's */
	if (tgid == target_tgid)
		return true;
	if (!procs_on ||
	    !(traced_bits[PT_TRACED_WORD(tgid)] & PT_TRACED_BIT(tgid)))
		return false;
	p = bpf_map_lookup_elem(&procs, &tgid);
	return p && !(p->flags & PT_PROC_EXITED);
}

/* The current thread's state if it belongs to the target, else NULL. */
static __always_inline struct pt_thread *current_thread(bool create, __u64 now)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_thread *t;

	/* pipetrace's own thread only in a calibration burst (calib_tid). */
	if (!traced_tgid((__u32)(pid_tgid >> 32)) &&
	    (!calib_tid || (__u32)pid_tgid != calib_tid))
		return NULL;
	t = get_thread(bpf_get_current_task_btf(),
		       create ? GET_CREATE : GET_ONLY, PT_T_ONCPU, now);
	if (t && create && !t->comm[0])
		bpf_get_current_comm(t->comm, sizeof(t->comm));
	return t;
}

/* What syscall nr means to pipetrace: an enum pt_sys_class. */
static __always_inline __u32 sys_class(__s32 nr)
{
	if (nr < 0 || nr >= PT_MAX_SYSCALL)
		return PT_SYS_NONE;
	return syscall_class[nr & (PT_MAX_SYSCALL - 1)];
}

/* restart_syscall continues the syscall a signal interrupted: that one's
 * number, from task's restart_block.fn, or nr when unknown. */
static __always_inline __s32 restarted(struct task_struct *task, __s32 nr)
{
	__u64 fn = (__u64)BPF_CORE_READ(task, restart_block.fn);
	int i;

	for (i = 0; i < PT_RESTART_FNS; i++)
		if (restart_fn[i] && restart_fn[i] == fn)
			return restart_nr[i];
	return nr;
}

/* The innermost stage active on t, or PT_MAX_STAGES when none is. */
static __always_inline __u32 innermost(const struct pt_thread *t)
{
	__u32 d = t->depth;

	if (d == 0)
		return PT_MAX_STAGES;
	if (d > PT_MAX_DEPTH)
		d = PT_MAX_DEPTH;
	return t->frames[(d - 1) & (PT_MAX_DEPTH - 1)].stage;
}

static __always_inline struct pt_stage_time *time_of(__u32 stage)
{
	if (stage >= PT_MAX_STAGES)
		return NULL;
	return bpf_map_lookup_elem(&stage_time, &stage);
}

/* Where t's time goes in its present state: an enum pt_part. */
static __always_inline __u32 part_now(const struct pt_thread *t)
{
	__u32 part;

	if (t->state == PT_T_ONCPU)
		part = t->sys_nr >= 0 ? PT_PART_SYS : PT_PART_USER;
	else if (t->state == PT_T_RUNNABLE)
		part = PT_PART_RUNQ;
	else
		part = t->off_part;
	return part < PT_PART_NR ? part : PT_PART_OTHER;
}

/* Charges the time since t's last event to where t has been since. */
static __always_inline void account(struct pt_thread *t, __u64 now)
{
	struct pt_stage_time *st;
	__u64 delta;
	__u32 part;

	if (now <= t->last_ns)
		return;
	delta = now - t->last_ns;
	t->last_ns = now;
	part = part_now(t);
	if (t->depth == 0) {
		t->idle_ns[part] += delta;
		return;
	}
	t->busy_ns[part] += delta;
	st = time_of(innermost(t));
	if (!st)
		return;
	st->part_ns[part] += delta;
	if (part == PT_PART_SYS && pt_sys_is_io(sys_class(t->sys_nr)))
		st->io_cpu_ns += delta; /* io_cpu: within sys */
}

/* --syscalls light: charges the current task's I/O counters since t's last
 * stage entry or exit to its innermost stage (none: outside every stage),
 * as account() charges time. Called at each stage entry and exit. */
static __always_inline void charge_ioac(struct pt_thread *t)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 rchar = task->ioac.rchar, wchar = task->ioac.wchar;
	__u64 syscr = task->ioac.syscr, syscw = task->ioac.syscw;
	struct pt_stage_time *st = time_of(innermost(t));

	/* A thread's first event finds its counters at 0: nothing charged
	 * then, as it has no stage open. */
	if (st && t->ioac_rchar <= rchar && t->ioac_wchar <= wchar) {
		st->read_bytes += rchar - t->ioac_rchar;
		st->write_bytes += wchar - t->ioac_wchar;
		st->io_syscalls +=
			(syscr - t->ioac_syscr) + (syscw - t->ioac_syscw);
	}
	t->ioac_rchar = rchar;
	t->ioac_wchar = wchar;
	t->ioac_syscr = syscr;
	t->ioac_syscw = syscw;
}

/* The stage of s's innermost open call (the innermost stored when deeper
 * than PT_MAX_DEPTH), or PT_MAX_STAGES when none is open. */
static __always_inline __u32 go_innermost(const struct go_state *s)
{
	__u32 d = s->depth;

	if (d == 0)
		return PT_MAX_STAGES;
	if (d > PT_MAX_DEPTH)
		d = PT_MAX_DEPTH;
	return s->frames[(d - 1) & (PT_MAX_DEPTH - 1)].stage;
}

#endif /* PIPETRACE_BPF_H */
