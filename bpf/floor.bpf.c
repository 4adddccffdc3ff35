// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * floor.bpf.c - the kernel floor of a probed call, for `make bench`: an
 * entry and a return program that do nothing. What a call costs with these
 * attached is what any uprobe-based tracer pays before doing any work.
 * Also empty scheduler programs (floor -S): what any tracer of context
 * switches pays on every switch and wakeup of the machine; with
 * filter_tgid set (floor -F) they compare the tasks' tgids with it and
 * return, as a tracer of one process must (reading the woken and the next
 * task's task_struct, mostly cold in the cache).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("uprobe")
int floor_entry(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_exit(struct pt_regs *ctx)
{
	return 0;
}

/* Set before load (floor -F): a tgid to compare with, none matching. */
const volatile __u32 filter_tgid = 0;
/* Matches (so that the compares are not optimized away). */
__u64 filter_hits;

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	if (filter_tgid &&
	    (prev->tgid == filter_tgid || next->tgid == filter_tgid))
		filter_hits++;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_wakeup, struct task_struct *p)
{
	if (filter_tgid && p->tgid == filter_tgid)
		filter_hits++;
	return 0;
}
