// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * pipetrace.bpf.c - per-stage latency and where each stage's time goes,
 * aggregated in the kernel: what the objects below share.
 *
 * Stage calls (stage.bpf.c): one entry program (uprobe) and one exit
 * program (uretprobe) serve every stage; each attachment carries the stage
 * id as its BPF cookie. Per thread we keep the stack of active stage calls;
 * at exit the call's latency goes into the stage's per-CPU counters and
 * log-linear histogram.
 *
 * Time split (stage, syscall.bpf.c, sched.bpf.c): every event that changes
 * what a target thread is doing (stage entry or exit, syscall entry or exit,
 * switch out or in, wakeup) first charges the time since the thread's
 * previous event to its innermost active stage (or to the thread's idle
 * time), in the part the thread was in: user or sys on CPU, or
 * io/lock/sleep/other when blocked, or runq.
 *
 * Stacks (sample.bpf.c, sched.bpf.c) and memory (alloc.bpf.c, syscall.bpf.c)
 * when asked for. Nothing is streamed unless asked (--events): userspace
 * reads the maps when it reports.
 *
 * This object holds the license and the maps and variables that more than
 * one of the others use (see pipetrace.bpf.h); the Makefile links them all
 * into one object, .output/pipetrace.bpf.o, and its skeleton.
 */
#include "pipetrace.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set before load. */
const volatile __u8 syscall_class[PT_MAX_SYSCALL] = {};
const volatile __u8 alloc_on = 0;
const volatile __u8 sys_light = 0;
const volatile __u8 procs_on = 0;
const volatile __u8 go_on = 0;

/* Set by userspace after load. */
volatile __u32 target_tgid;
volatile __u32 phase;
volatile __u32 calib_tid;
/* Set with `procs` (by procs.bpf.c and userspace): see PT_TRACED_BITS. */
__u64 traced_bits[PT_TRACED_BITS / 64];

const struct pt_thread zero_thread = {};
/* pipetrace's own thread while it calibrates (calib_tid): its state, kept
 * out of `threads`, whose slots are the target's (--max-threads);
 * userspace zeroes it after each burst. */
struct pt_thread calib_thread;

stage_time_map_t stage_time SEC(".maps");
probe_sys_map_t probe_sys SEC(".maps");
threads_map_t threads SEC(".maps");
goroutines_map_t goroutines SEC(".maps");
refused_map_t refused SEC(".maps");
thread_stage_map_t thread_stage SEC(".maps");
stats_map_t stats SEC(".maps");
proc_stats_map_t proc_stats SEC(".maps");
lost_map_t lost SEC(".maps");
mem_map_t mem SEC(".maps");
alloc_calls_map_t alloc_calls SEC(".maps");
stacks_map_t stacks SEC(".maps");
samples_map_t samples SEC(".maps");
procs_map_t procs SEC(".maps");
