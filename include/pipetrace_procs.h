/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * pipetrace_procs.h - several processes traced at once: the ABI of the
 * `procs` map (the traced tgids, maintained by the BPF side for followed
 * processes and by userspace for -p, --comm matches) and of the per
 * (process, stage) counters. Shared by BPF and userspace.
 */
#ifndef PIPETRACE_PROCS_H
#define PIPETRACE_PROCS_H

#include "pipetrace_abi.h"

/* Processes traced at once (entries are kept after exit for the report). */
#define PT_MAX_PROCS 4096
/* The bits of `traced_bits` (a power of 2): bit tgid % PT_TRACED_BITS is
 * set for every tgid put in `procs`, and never cleared, so that a switch
 * or wakeup of an untraced task mostly returns after one load from it
 * instead of a hash lookup (a set bit may be another tgid's: the lookup
 * decides then). */
#define PT_TRACED_BITS 65536
/* The 64-bit word and the bit of tgid in `traced_bits`. */
#define PT_TRACED_WORD(tgid) (((tgid) / 64) & (PT_TRACED_BITS / 64 - 1))
#define PT_TRACED_BIT(tgid) (1ULL << ((tgid) % 64))

/* (process, stage) pairs with counters. */
#define PT_MAX_PROC_STAGES 4096

enum pt_proc_flag {
	PT_PROC_EXITED = 1, /* its last thread exited */
	PT_PROC_FOLLOWED = 2, /* added at its fork: a traced one's child */
	PT_PROC_MATCHED = 4, /* added by --comm or --exe at its exec or fork */
	PT_PROC_EXECED = 8, /* it ran exec while traced */
	PT_PROC_LATE = 16, /* added by userspace after the probes attached */
};

/* A traced process, keyed by its kernel tgid. */
struct pt_proc {
	__u32 ppid; /* the tgid it was forked from (0: not seen) */
	__s32 exit_code; /* wait status, when PT_PROC_EXITED */
	__u64 start_ns; /* when it was added (its fork, or attach) */
	__u64 end_ns; /* its last thread's exit, or 0 */
	char comm[16];
	__u32 flags; /* enum pt_proc_flag */
	/* Returns of calls it entered before it was traced (forked inside
	 * a stage call, or picked up late: PT_PROC_FOLLOWED, _MATCHED,
	 * _LATE): no call to pair them with, not counted as calls. */
	__u32 unpaired;
	/* --alloc: its recorded allocations and bytes, and the free() calls
	 * and bytes (free and a realloc's old block) that released tracked
	 * blocks, as a stage's pt_stage_mem counts them. */
	__u64 alloc_calls;
	__u64 alloc_bytes;
	__u64 frees;
	__u64 freed_bytes;
};

/* A traced process ran exec (the `execs` ring buffer): userspace probes
 * the stages of a program it has not probed yet. dev is the kernel's
 * encoding (major << 20 | minor). */
struct pt_exec_event {
	__u32 tgid;
	__u32 dev;
	__u64 ino;
	__u64 ns; /* when it exec'd (bpf_ktime_get_ns: CLOCK_MONOTONIC) */
};

struct pt_proc_stage_key {
	__u32 tgid;
	__u32 stage;
};

/* One stage's calls in one process (per CPU): the counting half of
 * pt_stage_stats, without its histogram (kept per stage only). */
struct pt_proc_stats {
	__u64 calls;
	__u64 items;
	__u64 errors;
	__u64 wall_ns;
	__u64 lat_sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 setup_calls;
};

_Static_assert(sizeof(struct pt_proc) == 80, "pt_proc must have no padding");
_Static_assert(sizeof(struct pt_exec_event) == 24,
	       "pt_exec_event must have no padding");
_Static_assert(sizeof(struct pt_proc_stats) == 64,
	       "pt_proc_stats must have no padding");

#endif /* PIPETRACE_PROCS_H */
