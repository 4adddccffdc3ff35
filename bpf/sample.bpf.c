// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * sample.bpf.c - on-CPU sampling (--folded): a cpu-clock perf event on every
 * CPU, counted per (stage, user stack, kernel stack) for the target only.
 */
#include "pipetrace.bpf.h"
#include "stacks.bpf.h"

/* The target's threads only, tagged with their innermost stage. */
SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_sample_key key = { .part = PT_SAMPLE_ONCPU };
	struct pt_thread *t;
	__u32 tid = (__u32)pid_tgid, stage = PT_MAX_STAGES;

	if (!target_tgid || (__u32)(pid_tgid >> 32) != target_tgid ||
	    phase == PT_PHASE_DETACHING)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t && !t->exited)
		stage = innermost(t);
	key.stage = stage < PT_MAX_STAGES ? stage : PT_MAX_STAGES;
	/* A sample in user mode has no kernel stack. */
	get_stacks(ctx, &key.ustack, &key.kstack,
		   (__s64)PT_REGS_IP(&ctx->regs) < 0);
	add_sample(&key, 1);
	return 0;
}
