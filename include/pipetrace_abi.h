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

/* Stage ids are 0..PT_MAX_STAGES-1, the last kept for the probe's
 * calibration: a trace holds at most PT_MAX_TRACED_STAGES stages. */
#define PT_MAX_STAGES 256
#define PT_MAX_TRACED_STAGES (PT_MAX_STAGES - 1)
#define PT_MAX_DEPTH 32 /* nested stage frames kept per thread */
#define PT_DEFAULT_MAX_THREADS 8192 /* thread-state map entries */
#define PT_DEFAULT_MAX_ALLOCS 262144 /* live blocks tracked (--alloc-max) */
#define PT_DEFAULT_MAX_STACKS 16384 /* distinct stacks stored */

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
/* An exit site's value when the call gave no count (PIPETRACE_ITEMS_UNSET
 * in include/pipetrace/stage.h): neither items nor an error. */
#define PT_ITEMS_UNSET 0x8000000000000000ULL

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
	/* Calls that carried the kernel's one-time uprobe setup in the
	 * process (see pt_frame.setup): in calls, items, errors and wall_ns,
	 * but not in lat_sum_ns, min_ns, max_ns, bias_ns or hist. */
	__u64 setup_calls;
	__u64 setup_ns; /* their summed latency, bias not subtracted */
	/* The calibrated nest tail (stage_nest_tail_ns: a nested pair's mean
	 * cost above the figure taken off per call) of the stage calls
	 * nested in the calls, summed: not taken off any call's latency, so
	 * that no percentile reads under the truth; the report takes it off
	 * the mean. */
	__u64 nest_tail_ns;
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

/* What a syscall number means to pipetrace (syscall_class[]): userspace
 * (src/collect/sysclass.c) fills the table from <sys/syscall.h>, the one
 * place syscall numbers come from; the BPF side only reads classes. */
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
	/* Not I/O: the address-space calls that back a heap (--alloc). */
	PT_SYS_MMAP = 8, /* mmap; its second argument is the length */
	PT_SYS_MUNMAP = 9, /* munmap; likewise */
	PT_SYS_BRK = 10, /* brk; returns the new program break */
	/* restart_syscall: continues a syscall a signal interrupted (after
	 * SIGSTOP/SIGCONT, ptrace, the freezer); classed as the syscall it
	 * continues, known by the task's restart_block.fn (restart_fn[]). */
	PT_SYS_RESTART = 11,
};
/* Restart functions known (restart_fn[] and restart_nr[]). */
#define PT_RESTART_FNS 8
/* A restart function's name, its NUL included (ksyms.bpf.c looks them up). */
#define PT_RESTART_NAME_LEN 32
#define PT_MAX_SYSCALL 512 /* syscall numbers classified */

/* The I/O classes (PT_SYS_READ to PT_SYS_FSYNC): counted in io_syscalls. */
static inline int pt_sys_is_io(__u32 cls)
{
	return cls >= PT_SYS_READ && cls <= PT_SYS_FSYNC;
}

/* Per stage, per CPU: the stage's own (innermost) time, split. */
struct pt_stage_time {
	__u64 part_ns[PT_PART_NR];
	__u64 io_syscalls;
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 fsyncs;
	__u64 vol_switches; /* switched out blocked */
	__u64 invol_switches; /* switched out runnable (preempted) */
	/* Of part_ns[PT_PART_SYS]: on CPU inside an I/O syscall (the I/O
	 * classes); with --syscalls light, of the on-CPU time (all in
	 * part_ns[PT_PART_USER]): inside a libc I/O wrapper (libcio.bpf.c),
	 * 0 without those probes. */
	__u64 io_cpu_ns;
	/* The calibrated cost of nested stage calls' probes that fell in
	 * this stage's own time (outside the nested calls' intervals): taken
	 * out of it, like the stage's own bias. */
	__u64 nest_ns;
	/* Their calibrated tail beyond it (stage_nest_own_tail_ns): the
	 * report takes it off the stage's own time too. */
	__u64 nest_tail_ns;
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
	__u16 outermost; /* 1 if no other call of this stage was active */
	/* 1 if the process had no uprobe area yet at entry: the kernel
	 * creates it (for the return trampoline) right after the entry
	 * program, inside this call; 0.1-1.3 ms here, not the function's. */
	__u8 setup;
	__u8 plain; /* entered by a plain probe whose exit is a plain probe
		     * too (PT_COOKIE_SITE or PT_COOKIE_RET): no return
		     * probe of the kernel's holds it */
	__u64 start_ns;
	/* The stack pointer at entry: where the return address is (at a
	 * nop5 site: inside the function). A later event on the thread
	 * that sees the stack above it proves the call was unwound past
	 * (an exception, a longjmp). */
	__u64 sp;
	/* The calibrated cost of the probes of the stage calls nested in
	 * this one, as its interval saw them (entry and return in full):
	 * taken out of its latency (stage_nest_ns). */
	__u64 nest_ns;
	/* Their nest tail (stage_nest_tail_ns), not taken off: summed into
	 * pt_stage_stats.nest_tail_ns at the call's end. */
	__u64 nest_tail_ns;
	/* Run-queue time inside this call's own probes (preempted on the
	 * way back from its entry probe, or in its return trampoline): the
	 * probe's, not the call's (sched.bpf.c). */
	__u64 wait_ns;
};

/* pt_thread.rq_flags */
#define PT_RQ_WOKEN 1
#define PT_RQ_KERNEL 2

/* Per-thread state, keyed by tid in the `threads` hash map, while the
 * thread lives: at its exit its figures move to a pt_thread_sum and the
 * entry is freed for another thread (exited is always 0). */
struct pt_thread {
	__u32 depth; /* active calls; may exceed PT_MAX_DEPTH (not stored) */
	__u32 exited;
	struct pt_frame frames[PT_MAX_DEPTH];
	__u8 active[PT_MAX_STAGES]; /* calls of each stage active */
	__u64 last_ns; /* time accounted up to */
	__u32 state; /* enum pt_tstate */
	__u32 off_part; /* enum pt_part while blocked */
	__s32 sys_nr; /* syscall in progress, or -1 */
	__u32 tgid; /* its process */
	__u64 sys_arg; /* the length of an mmap/munmap in progress (--alloc) */
	char comm[16];
	__u64 busy_ns[PT_PART_NR]; /* inside any stage */
	__u64 idle_ns[PT_PART_NR]; /* outside every stage */
	/* --syscalls light: the task's I/O counters (task->ioac) as of its
	 * last stage entry or exit, charged from to its innermost stage. */
	__u64 ioac_rchar, ioac_wchar, ioac_syscr, ioac_syscw;
	/* The address its last entry probe was at: preempted just past it
	 * before it ran code of its own, or in its innermost call's own
	 * step slot or return (sched.bpf.c, in_probe()), the thread waits
	 * inside that call's probe (see pt_frame.wait_ns). */
	__u64 entry_ip;
	__u64 probe_out_ns; /* preempted inside a probe then, or 0 */
	/*
	 * Its last switch-in (sched.bpf.c): when, its CPU time then (the
	 * kernel's se.sum_exec_runtime), and the time charged there, up to
	 * that switch-in, to part in_part of stage in_stage (inside a stage
	 * if in_busy). At its switch-out the kernel's CPU time for the
	 * interval replaces the switch tracepoints' difference.
	 */
	__u64 in_ns, in_cpu_ns, in_delta_ns;
	__u32 in_stage;
	__u8 in_part, in_busy;
	/* Blocked when -p attached (seeded by userspace from /proc, its
	 * blocked time charged from then), not switched in since. */
	__u8 unseen;
	/* PT_RQ_*: woken since its switch-out (not preempted); the kernel's
	 * run-queue accounting (sched_info) ran in its last interval on
	 * CPU, whose start it marked (last_arrival) as in_arrival_ns. */
	__u8 rq_flags;
	__u64 in_arrival_ns;
	/* At its wakeup: its wait until then, charged to off_part, and the
	 * kernel's run-queue total (sched_info.run_delay), for the
	 * run-queue fix at its switch-in (sched.bpf.c). */
	__u64 wake_delta_ns, wake_rd_ns;
	/* The part of the switch-out's replacement not made yet (more CPU
	 * time than the wait before the interval held, if > 0; less than
	 * the interval's last on-CPU charge, if < 0): made at the next
	 * switch-outs. */
	__s64 cpu_carry_ns;
};

/*
 * An exited thread's figures (`thread_done` hash, keyed by tid, at most
 * --max-threads of them): threads summed (more than 1 when its tid was
 * reused). Once that map is full, further exits are summed into the one
 * `exited_rest` (comm empty) and their (thread, stage) wall times into the
 * pairs of tid 0, so nothing is dropped.
 */
struct pt_thread_sum {
	char comm[16];
	__u64 threads;
	__u64 busy_ns[PT_PART_NR];
	__u64 idle_ns[PT_PART_NR];
	__u32 tgid; /* its process (the last one, for a reused tid) */
	__u32 pad;
};

/*
 * Classes of probed first instruction, by what the kernel does with it: the
 * probe's own cost, and so the latency it adds, differs between them.
 */
enum pt_probe_class {
	PT_PROBE_PUSH = 0, /* push of a register: emulated */
	PT_PROBE_ENDBR = 1, /* endbr64 (CET builds): single-stepped */
	PT_PROBE_STEP = 2, /* anything else: single-stepped out of line */
	PT_PROBE_SITE = 3, /* 5-byte nops placed by PIPETRACE_ENTER(): plain
			    * uprobes at entry and exits, which the kernel
			    * turns into calls */
	PT_PROBE_RETSITE = 4, /* an entry probe and plain uprobes on the
			       * function's return instructions (ret, tail
			       * jmp), paired by stack pointer: no return
			       * address is replaced, so exception unwinding
			       * and stack walks see the program's own */
	PT_PROBE_NOP5 = 5, /* a 5-byte nop first (0f 1f 44 00 00, e.g. a
			    * PIPETRACE_ENTER() site or a patchable entry),
			    * with a return probe: not single-stepped, the
			    * kernel emulates it, and from 6.18 on makes the
			    * probe a call */
	PT_PROBE_NR = 6,
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

/* ---------------------------------------------------------------- memory */

/* The allocator functions probed with --alloc, by argument layout. Each
 * probe's BPF cookie is its kind. */
enum pt_alloc_kind {
	PT_ALLOC_MALLOC = 0, /* (size) */
	PT_ALLOC_CALLOC = 1, /* (nmemb, size) */
	PT_ALLOC_REALLOC = 2, /* (ptr, size): frees ptr, allocates size */
	PT_ALLOC_MEMALIGN = 3, /* (align, size): memalign, aligned_alloc */
	PT_ALLOC_POSIX_MEMALIGN = 4, /* (void **out, align, size) -> 0 */
	PT_ALLOC_VALLOC = 5, /* (size), page-aligned */
	PT_ALLOC_PVALLOC = 6, /* (size) rounded up to whole pages */
	PT_ALLOC_FREE = 7, /* (ptr) */
	PT_ALLOC_NR = 8,
};

/* mem[] index for memory use outside every stage. */
#define PT_MEM_OUTSIDE PT_MAX_STAGES
/* Frames kept per stack (the kernel's stack-trace map limit is 127). */
#define PT_STACK_DEPTH 127

/*
 * Per stage (and PT_MEM_OUTSIDE): heap use, updated with atomic adds from
 * every CPU (one array, not per CPU: live bytes go down in the freeing
 * thread's context). Counts are raw: with --alloc-sample N userspace scales
 * them by N.
 */
struct pt_stage_mem {
	__u64 alloc_calls; /* allocations that returned memory */
	__u64 alloc_bytes; /* bytes they requested */
	__u64 frees; /* free() calls of blocks this stage allocated or not */
	__u64 freed_bytes; /* bytes released here: free() and realloc()'s old
			    * block, whoever allocated them */
	__u64 frees_untracked; /* free() of a block not seen allocated (from
				* before the trace, or not sampled) */
	__s64 live_bytes; /* allocated here and not yet released anywhere */
	__s64 peak_live_bytes; /* the largest live_bytes seen */
	__u64 handed_bytes; /* allocated here, released by another stage */
	__u64 page_faults; /* user page faults while innermost here */
	__u64 mmap_calls, mmap_bytes; /* successful mmap(2): lengths asked */
	__u64 munmap_calls, munmap_bytes;
	__u64 brk_grow_bytes; /* the heap's break moved up by this much */
};

/* A live block, in the `allocs` hash keyed by its address. */
/* A live block's key in `allocs`: its address in its process (a forked
 * child has the same addresses as its parent). */
struct pt_alloc_key {
	__u64 ptr;
	__u32 tgid;
	__u32 pad;
};

struct pt_alloc {
	__u64 size;
	__u32 stage; /* allocating stage, or PT_MEM_OUTSIDE */
	__s32 stack_id; /* user stack of the allocation, or < 0 if lost */
	__u64 useq; /* --call-graph dwarf: its PT_SAMPLE_ALLOC record's
		     * out_ns (0: none sent) */
};

/* An allocator call in flight on a thread (its arguments, until it
 * returns); depth counts the allocator's calls into itself. A realloc()
 * takes its old block out of `allocs` at entry (another thread may be given
 * that address before realloc returns) and keeps it here: old, when
 * has_old. */
struct pt_alloc_call {
	__u64 arg[3];
	__u32 kind; /* enum pt_alloc_kind */
	__u32 depth;
	struct pt_alloc old;
	__u32 has_old;
	__u32 pad;
};

/* The process's memory at its exit, read from its mm (in pages). */
struct pt_exit_mem {
	__u64 rss_pages; /* file + anon + shmem, as /proc/PID/status shows */
	__u64 hiwater_pages; /* the mm's RSS high-water mark */
	__u64 seen; /* 1 once read */
};

/* ---------------------------------------------------------------- stacks */

/* One folded-stack bucket in the `samples` hash: on-CPU samples (part ==
 * PT_SAMPLE_ONCPU, value = count) or off-CPU time (part = the pt_part the
 * thread waited in, value = ns). */
#define PT_SAMPLE_ONCPU 255
/* A --call-graph dwarf record of an allocation's stack (--alloc): its
 * out_ns is the sequence number its pt_alloc's useq holds. */
#define PT_SAMPLE_ALLOC 254
#define PT_DEFAULT_MAX_SAMPLES 65536 /* distinct (stage, part, stacks) */
struct pt_sample_key {
	__u32 stage; /* innermost stage, or PT_MAX_STAGES outside */
	__u32 part; /* PT_SAMPLE_ONCPU or enum pt_part */
	__s32 ustack; /* stack ids in `stacks`; < 0: none */
	__s32 kstack;
	/* The sampled process's kernel tgid (several processes: each is
	 * named by its own maps); 0 where not recorded (the first's). */
	__u32 tgid;
	__u32 pad;
};

/* A target thread switched out, while --folded-offcpu is on. */
struct pt_offcpu {
	__u64 out_ns; /* when it switched out */
	__u64 wake_ns; /* when it became runnable again, or 0 */
	__s32 ustack, kstack;
	__u32 stage; /* innermost stage when it switched out */
	__u32 part; /* why: its pt_part while blocked, or PT_PART_RUNQ */
};

/* --call-graph dwarf: each on-CPU sample's (and with --folded-offcpu each
 * switch-out's) user registers and the top of its user stack, streamed
 * through a ring buffer and unwound in userspace with the CFI of the
 * target's objects (src/symbols/unwind.c).
 */
/* x86-64 DWARF registers: rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6,
 * rsp 7, r8-r15 8-15, rip (the return address column) 16. */
#define PT_UREGS_NR 17
#define PT_UREG_SP 7
#define PT_UREG_IP 16
#define PT_USTACK_MAX 16384 /* the largest --call-graph dwarf,SIZE */
#define PT_USTACK_DEFAULT 8192 /* perf's default too */
#define PT_USTACK_PAGE 4096 /* copied a page at a time */
#define PT_DEFAULT_USAMPLES_BYTES (8u << 20) /* ring buffer size */
#define PT_URET_MAX 8 /* return addresses of uretprobes restored */
/* A return address the kernel replaced with its uretprobe trampoline: the
 * stack slot, and what was there (the innermost first). */
struct pt_uret {
	__u64 slot;
	__u64 orig;
};
/* What a record of the usamples ring buffers is (its first word). */
enum pt_urec_kind {
	PT_UREC_SAMPLE = 1, /* struct pt_usample_hdr and the stack bytes */
	PT_UREC_WEIGHT = 2, /* struct pt_uweight */
};
struct pt_usample_hdr {
	__u32 kind; /* PT_UREC_SAMPLE */
	__u32 part; /* PT_SAMPLE_ONCPU, or a switch-out's enum pt_part */
	__u32 stage; /* innermost stage, or PT_MAX_STAGES outside */
	__s32 kstack; /* kernel stack id in `stacks`; < 0: none */
	__s32 ustack; /* the frame-pointer walk's id: the fallback */
	__u32 tid;
	__u32 size; /* stack bytes that follow, copied from regs[7] up */
	__u32 nuret; /* uret[] entries set */
	__u64 out_ns; /* a switch-out's time: its pt_uweight names it */
	__u64 regs[PT_UREGS_NR]; /* the user context's, DWARF numbering */
	struct pt_uret uret[PT_URET_MAX];
};
/* A switched-out thread ran again (--folded-offcpu with dwarf): the
 * weight of the sample its switch-out at out_ns sent. */
struct pt_uweight {
	__u32 kind; /* PT_UREC_WEIGHT */
	__u32 tid;
	__u64 out_ns;
	__u64 wait_ns; /* off CPU for the sample's part */
	__u64 runq_ns; /* then runnable, waiting for a CPU */
};
/* The per-CPU scratch record: a page of slack past PT_USTACK_MAX lets the
 * verifier see every page-sized copy in bounds. */
struct pt_usample {
	struct pt_usample_hdr h;
	__u8 stack[PT_USTACK_MAX + PT_USTACK_PAGE];
};

/* Set in pt_offcpu.part when the switch-out's stack went out as a
 * --call-graph dwarf sample: its time follows as a pt_uweight. */
#define PT_OFFCPU_DWARF 0x100u

/* ------------------------------------------------------------- streaming */

/* When a probe's own syscall (a return trampoline's, a nop5 site's) entered
 * the kernel, per CPU: stage_exit ends the call there when it is the same
 * thread's, just now. */
struct pt_probe_sys {
	__u32 tid;
	__u32 pad;
	__u64 ns; /* 0 once used */
};

/* One completed stage call, streamed through the `events` ring buffer
 * (--events). */
struct pt_event {
	__u64 start_ns; /* CLOCK_MONOTONIC at entry */
	__u64 lat_ns; /* latency, probe cost removed */
	__u64 ret; /* the return value (an exit site: PIPETRACE_ITEMS()) */
	__u32 tid;
	__u32 stage;
};
#define PT_DEFAULT_EVENTS_BYTES (8u << 20) /* ring buffer size */

/* A stage probe's BPF cookie: the stage id, and this bit on a nop5 site.
 * An exit site is a plain uprobe, which also fires for calls entered before
 * it was attached; an entry site has no return probe. */
#define PT_COOKIE_SITE 0x80000000u
/* A return-site stage's probe (PT_PROBE_RETSITE): plain uprobes at entry
 * and at each return instruction; at both the stack pointer points at the
 * call's return address. */
#define PT_COOKIE_RET 0x40000000u
/* With PT_COOKIE_RET on an exit: a jmp out of the function (a tail call),
 * where %rax holds no return value. */
#define PT_COOKIE_TAIL 0x20000000u
/* With PT_COOKIE_TAIL: an indirect jmp through the register numbered
 * (cookie & PT_COOKIE_REG_MASK) >> PT_COOKIE_REG_SHIFT (x86 encoding, rax
 * = 0 ... r15 = 15), an exit only if it leaves the function: the cookie's
 * upper 32 bits are the jmp's offset from the function's start, and
 * stage_fn_size[] its size. */
#define PT_COOKIE_IND 0x10000000u
#define PT_COOKIE_REG_SHIFT 24
#define PT_COOKIE_REG_MASK 0x0f000000u
/* The stage id in a cookie. */
#define PT_COOKIE_STAGE 0x0000ffffu
/* With PT_COOKIE_RET: a Go function's probe (the go_enter and go_exit
 * programs), its frames paired by goroutine (the g in %r14). */
#define PT_COOKIE_GO 0x00800000u
/* With PT_COOKIE_GO on an exit program: the call to runtime.morestack in
 * the function's prologue, after which it is entered again from the top
 * (on a moved stack, or after a preemption): no exit. */
#define PT_COOKIE_GROW 0x00400000u
/* With PT_COOKIE_GO on an exit program: runtime.goexit1, where a goroutine
 * ends (returned, or runtime.Goexit): its open calls are unwound past. */
#define PT_COOKIE_GOEXIT 0x00200000u

/* ----------------------------------------------------------- lost events */

/* Why an event was dropped; counted per CPU in the `lost` array. */
enum pt_lost_reason {
	PT_LOST_DEPTH = 0, /* nesting deeper than PT_MAX_DEPTH */
	PT_LOST_UNMATCHED = 1, /* an exit without its entry, or entries whose
				* exits never came (longjmp, attach race) */
	PT_LOST_THREADS_FULL = 2, /* thread map full: threads not tracked
				   * (each counted once, at its first
				   * refusal) */
	PT_LOST_PAIRS_FULL = 3, /* thread_stage map full: a call's wall time
				 * missing from the pipeline model */
	PT_LOST_ALLOCS_FULL = 4, /* allocs map full: a block not tracked */
	PT_LOST_STACKS = 5, /* a stack not stored (stack map full) */
	PT_LOST_SAMPLES_FULL = 6, /* samples map full: a sample dropped */
	PT_LOST_EVENTS = 7, /* --events: the ring buffer was full */
	PT_LOST_USAMPLES = 8, /* --call-graph dwarf: a sample not sent (its
			       * ring buffer full, or its registers
			       * unreadable) */
	PT_LOST_UNWOUND = 9, /* calls the stack was unwound past (exception,
			      * longjmp, a return the kernel's return-probe
			      * depth limit dropped): expired when a later
			      * event of the thread saw the stack above them */
	PT_LOST_IO_CALLS = 10, /* --syscalls light: a libc I/O call not
				* followed (no per-task storage for it) */
	PT_LOST_CUT_STACKS = 11, /* --call-graph dwarf: stacks cut short
				  * where the stack copy ended (counted in
				  * userspace; kept, so not in lost_events) */
	PT_LOST_NR = 12,
};

/* --------------------------------------------------------- layout checks */

_Static_assert(PT_HIST_BUCKETS == 2241, "histogram layout changed");
_Static_assert(sizeof(struct pt_stage_stats) == 11 * 8 + PT_HIST_BUCKETS * 8,
	       "pt_stage_stats must have no padding");
/* Per-CPU map values are limited to 32 KiB by the kernel allocator. */
_Static_assert(sizeof(struct pt_stage_stats) <= 32768,
	       "pt_stage_stats too large for a per-CPU map value");
_Static_assert(sizeof(struct pt_frame) == 48, "pt_frame layout changed");
_Static_assert(sizeof(struct pt_thread) ==
		       8 + PT_MAX_DEPTH * 48 + PT_MAX_STAGES + 8 + 16 + 8 + 16 +
			       2 * PT_PART_NR * 8 + 4 * 8 + 16 + 3 * 8 + 8 +
			       4 * 8,
	       "pt_thread must have no padding");
_Static_assert(sizeof(struct pt_thread_sum) == 32 + 2 * PT_PART_NR * 8,
	       "pt_thread_sum must have no padding");
_Static_assert(sizeof(struct pt_stage_time) == (PT_PART_NR + 9) * 8,
	       "pt_stage_time must have no padding");
_Static_assert(sizeof(struct pt_thread_stage) == 8,
	       "pt_thread_stage must have no padding");
_Static_assert(sizeof(struct pt_stage_mem) == 14 * 8,
	       "pt_stage_mem must have no padding");
_Static_assert(sizeof(struct pt_alloc) == 24, "pt_alloc layout changed");
_Static_assert(sizeof(struct pt_alloc_key) == 16,
	       "pt_alloc_key must have no padding");
_Static_assert(sizeof(struct pt_alloc_call) == 64,
	       "pt_alloc_call must have no padding");
_Static_assert(sizeof(struct pt_exit_mem) == 24,
	       "pt_exit_mem must have no padding");
_Static_assert(sizeof(struct pt_sample_key) == 24,
	       "pt_sample_key must have no padding");
_Static_assert(sizeof(struct pt_offcpu) == 32,
	       "pt_offcpu must have no padding");
_Static_assert(PT_SAMPLE_ONCPU >= PT_PART_NR, "sample kinds overlap");
_Static_assert(PT_SYS_WRITE == PT_SYS_READ + 1 &&
		       PT_SYS_IO == PT_SYS_READ + 2 &&
		       PT_SYS_FSYNC == PT_SYS_READ + 3,
	       "the I/O syscall classes must stay together (pt_sys_is_io)");
_Static_assert(sizeof(struct pt_uweight) == 32,
	       "pt_uweight must have no padding");
_Static_assert(sizeof(struct pt_usample_hdr) ==
		       40 + PT_UREGS_NR * 8 + PT_URET_MAX * 16,
	       "pt_usample_hdr must have no padding");
_Static_assert(sizeof(struct pt_usample) <= 32768,
	       "pt_usample too large for a per-CPU map value");
_Static_assert((PT_USTACK_MAX & (PT_USTACK_MAX - 1)) == 0,
	       "PT_USTACK_MAX must be a power of two (used as a mask)");
_Static_assert(sizeof(struct pt_event) == 32, "pt_event must have no padding");
_Static_assert(sizeof(struct pt_probe_sys) == 16,
	       "pt_probe_sys must have no padding");
_Static_assert(PT_MAX_STAGES - 1 <= PT_COOKIE_STAGE,
	       "stage ids overlap the cookie's flags");
_Static_assert(((PT_COOKIE_SITE | PT_COOKIE_RET | PT_COOKIE_TAIL |
		 PT_COOKIE_IND | PT_COOKIE_REG_MASK | PT_COOKIE_GO |
		 PT_COOKIE_GROW | PT_COOKIE_GOEXIT) &
		PT_COOKIE_STAGE) == 0,
	       "cookie flags overlap the stage id");
_Static_assert((PT_MAX_DEPTH & (PT_MAX_DEPTH - 1)) == 0,
	       "PT_MAX_DEPTH must be a power of two (used as a mask)");
_Static_assert((PT_MAX_STAGES & (PT_MAX_STAGES - 1)) == 0,
	       "PT_MAX_STAGES must be a power of two (used as a mask)");

#endif /* PIPETRACE_ABI_H */
