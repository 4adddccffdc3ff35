/* SPDX-License-Identifier: MIT */
/*
 * pipetrace_abi.h - the one header shared by the BPF programs and userspace.
 *
 * Everything that crosses the kernel/user boundary is defined here with
 * fixed-width types, and its layout is pinned with _Static_assert so that a
 * change on one side cannot silently disagree with the other.
 *
 * Included from BPF code (after vmlinux.h, which provides __u64 and friends)
 * and from userspace (where <linux/types.h> provides them).
 */
#ifndef PIPETRACE_ABI_H
#define PIPETRACE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---------------------------------------------------------------- limits */

#define PT_MAX_STAGES 256 /* stage ids are 0..PT_MAX_STAGES-1 */
#define PT_MAX_DEPTH 32 /* nested stage frames kept per thread */
#define PT_DEFAULT_MAX_THREADS 8192 /* thread-state map entries */

/* ------------------------------------------------------------- histogram */

/*
 * Log-linear latency histogram (the HDR-histogram layout).
 *
 * Values below 2^PT_HIST_SUB_BITS ns each have a bucket of their own. Above
 * that, every power of two [2^e, 2^(e+1)) is split into PT_HIST_SUB equal
 * buckets, so a bucket is at most 1/64 of its lower bound wide: reporting the
 * bucket midpoint is within 1/128 (0.79%) of any value in it. Values of
 * 2^PT_HIST_MAX_EXP ns (about 18 minutes) and above share the last bucket;
 * the exact maximum is kept separately.
 */
#define PT_HIST_SUB_BITS 6
#define PT_HIST_SUB (1u << PT_HIST_SUB_BITS)
#define PT_HIST_MAX_EXP 40
/* Exact small values, the log-linear groups, then one overflow bucket. */
#define PT_HIST_BUCKETS \
	(PT_HIST_SUB + (PT_HIST_MAX_EXP - PT_HIST_SUB_BITS) * PT_HIST_SUB + 1)

/* floor(log2(v)) for v > 0, branch-light and loop-free (BPF has no clz). */
static inline __u32 pt_log2_u64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xFFFFFFFFull) << 5;
	v >>= s;
	r |= s;
	s = (v > 0xFFFF) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xFF) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xF) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	r |= (__u32)(v >> 1);
	return r;
}

/* Bucket index of a value in ns; always < PT_HIST_BUCKETS. */
static inline __u32 pt_hist_bucket(__u64 v)
{
	__u32 e, sub;

	if (v < PT_HIST_SUB)
		return (__u32)v;
	e = pt_log2_u64(v);
	if (e >= PT_HIST_MAX_EXP)
		return PT_HIST_BUCKETS - 1;
	sub = (__u32)(v >> (e - PT_HIST_SUB_BITS)) & (PT_HIST_SUB - 1);
	return PT_HIST_SUB + (e - PT_HIST_SUB_BITS) * PT_HIST_SUB + sub;
}

/* ---------------------------------------------------------------- stages */

/* How a stage's return value is read as an item count (stage_items_mode[]). */
enum pt_items_mode {
	PT_ITEMS_NONE = 0, /* not a count: items are not reported */
	PT_ITEMS_S32 = 1, /* int: negative values are errors */
	PT_ITEMS_U32 = 2, /* unsigned int */
	PT_ITEMS_S64 = 3, /* long / ssize_t: negative values are errors */
	PT_ITEMS_U64 = 4, /* unsigned long / size_t */
};

/* Per stage, per CPU: summed by userspace over CPUs (min/max: folded). */
struct pt_stage_stats {
	__u64 calls; /* completed calls (entry and exit both seen) */
	__u64 items; /* sum of non-negative return values (items mode) */
	__u64 errors; /* calls that returned a negative value */
	__u64 wall_ns; /* time with the stage active on a thread; recursion
			* counted once (outermost call only) */
	__u64 lat_sum_ns; /* sum of every call's latency (nested included) */
	__u64 min_ns; /* 0 when calls == 0 */
	__u64 max_ns;
	__u64 bias_ns; /* probe latency subtracted, summed over calls */
	__u64 hist[PT_HIST_BUCKETS]; /* call latency, see pt_hist_bucket() */
};

/* ------------------------------------------------------------ time split */

/*
 * Where a thread's time goes. on-CPU time is `user` or `sys` (inside a
 * syscall); off-CPU time is what the thread was blocked on, or `runq` when
 * it was runnable but not running.
 */
enum pt_part {
	PT_PART_USER = 0,
	PT_PART_SYS = 1,
	PT_PART_IO = 2, /* blocked in an I/O syscall, or uninterruptibly */
	PT_PART_LOCK = 3, /* blocked in futex */
	PT_PART_SLEEP = 4, /* nanosleep, clock_nanosleep */
	PT_PART_RUNQ = 5, /* preempted, or woken and waiting for a CPU */
	PT_PART_OTHER = 6, /* blocked for any other reason */
	PT_PART_NR = 7,
};

/* What a syscall number means to the time split (syscall_class[]). */
enum pt_sys_class {
	PT_SYS_NONE = 0,
	PT_SYS_READ = 1, /* I/O; a positive return is bytes read */
	PT_SYS_WRITE = 2, /* I/O; a positive return is bytes written */
	PT_SYS_IO = 3, /* I/O wait without a byte count: poll, select ... */
	PT_SYS_FSYNC = 4, /* fsync, fdatasync, sync_file_range: I/O */
	PT_SYS_LOCK = 5, /* futex */
	PT_SYS_SLEEP = 6, /* nanosleep, clock_nanosleep */
	PT_SYS_PROBE = 7, /* the kernel's own uprobe/uretprobe trampolines:
			   * part of the probe's cost, not the program's */
};
#define PT_MAX_SYSCALL 512 /* syscall numbers classified */

/* Per stage, per CPU: the stage's own (innermost) time, split. */
struct pt_stage_time {
	__u64 part_ns[PT_PART_NR];
	__u64 io_syscalls;
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 fsyncs;
	__u64 vol_switches; /* switched out blocked */
	__u64 invol_switches; /* switched out runnable (preempted) */
};

/* A thread's scheduling state, as the time split follows it. */
enum pt_tstate {
	PT_T_ONCPU = 0,
	PT_T_BLOCKED = 1, /* off CPU, waiting: see pt_thread.off_part */
	PT_T_RUNNABLE = 2, /* off CPU, runnable */
};

/* (thread, stage) -> inclusive wall time, for the pipeline model. */
struct pt_thread_stage {
	__u32 tid;
	__u32 stage;
};

/* One active stage call on a thread. */
struct pt_frame {
	__u32 stage;
	__u32 outermost; /* 1 if no other call of this stage was active */
	__u64 start_ns;
};

/* Per-thread state, keyed by tid in the `threads` hash map. Kept after the
 * thread exits (exited = 1) so that its time can be reported. */
struct pt_thread {
	__u32 depth; /* active calls; may exceed PT_MAX_DEPTH (not stored) */
	__u32 exited;
	struct pt_frame frames[PT_MAX_DEPTH];
	__u8 active[PT_MAX_STAGES]; /* calls of each stage active */
	__u64 last_ns; /* time accounted up to */
	__u32 state; /* enum pt_tstate */
	__u32 off_part; /* enum pt_part while blocked */
	__s32 sys_nr; /* syscall in progress, or -1 */
	__u32 pad;
	__u64 ret_ns; /* when the return trampoline entered the kernel, or 0 */
	char comm[16];
	__u64 busy_ns[PT_PART_NR]; /* inside any stage */
	__u64 idle_ns[PT_PART_NR]; /* outside every stage */
};

/*
 * Classes of probed first instruction, by what the kernel does with it: the
 * probe's own cost, and so the latency it adds, differs between them.
 */
enum pt_probe_class {
	PT_PROBE_PUSH = 0, /* push %rbp: emulated */
	PT_PROBE_ENDBR = 1, /* endbr64 (CET builds) */
	PT_PROBE_STEP = 2, /* anything else: single-stepped out of line */
	PT_PROBE_NR = 3,
};

/*
 * The tracer's phase (the `phase` variable), so that attaching and detaching
 * probes one by one does not count as lost the calls they cut in half.
 */
enum pt_phase {
	PT_PHASE_ATTACHING = 0, /* exits attached first; entries being added */
	PT_PHASE_ARMED = 1, /* every probe attached: mismatches are losses */
	PT_PHASE_DETACHING = 2, /* no new frames; exits still close calls */
};

/* ----------------------------------------------------------- lost events */

/* Why an event was dropped; counted per CPU in the `lost` array. */
enum pt_lost_reason {
	PT_LOST_DEPTH = 0, /* nesting deeper than PT_MAX_DEPTH */
	PT_LOST_UNMATCHED = 1, /* an exit without its entry, or entries whose
				* exits never came (longjmp, attach race) */
	PT_LOST_THREADS_FULL = 2, /* thread map full: a thread not tracked */
	PT_LOST_PAIRS_FULL = 3, /* thread_stage map full: a call's wall time
				 * missing from the pipeline model */
	PT_LOST_NR = 4,
};

/* --------------------------------------------------------- layout checks */

_Static_assert(PT_HIST_BUCKETS == 2241, "histogram layout changed");
_Static_assert(sizeof(struct pt_stage_stats) == 8 * 8 + PT_HIST_BUCKETS * 8,
	       "pt_stage_stats must have no padding");
/* Per-CPU map values are limited to 32 KiB by the kernel allocator. */
_Static_assert(sizeof(struct pt_stage_stats) <= 32768,
	       "pt_stage_stats too large for a per-CPU map value");
_Static_assert(sizeof(struct pt_frame) == 16, "pt_frame layout changed");
_Static_assert(sizeof(struct pt_thread) == 8 + PT_MAX_DEPTH * 16 +
						   PT_MAX_STAGES + 8 + 16 + 8 +
						   16 + 2 * PT_PART_NR * 8,
	       "pt_thread must have no padding");
_Static_assert(sizeof(struct pt_stage_time) == (PT_PART_NR + 6) * 8,
	       "pt_stage_time must have no padding");
_Static_assert(sizeof(struct pt_thread_stage) == 8,
	       "pt_thread_stage must have no padding");
_Static_assert((PT_MAX_DEPTH & (PT_MAX_DEPTH - 1)) == 0,
	       "PT_MAX_DEPTH must be a power of two (used as a mask)");
_Static_assert((PT_MAX_STAGES & (PT_MAX_STAGES - 1)) == 0,
	       "PT_MAX_STAGES must be a power of two (used as a mask)");

#endif /* PIPETRACE_ABI_H */
