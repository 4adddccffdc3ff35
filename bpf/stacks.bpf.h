/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * stacks.bpf.h - folded stacks, shared by the on-CPU sampler (sample.bpf.c)
 * and the off-CPU stacks of sched_switch (sched.bpf.c).
 */
#ifndef PIPETRACE_STACKS_BPF_H
#define PIPETRACE_STACKS_BPF_H

#include "pipetrace.bpf.h"

/* Adds v to the folded-stack bucket key. */
static __always_inline void add_sample(const struct pt_sample_key *key, __u64 v)
{
	__u64 *cur = bpf_map_lookup_elem(&samples, key);

	if (cur) {
		__sync_fetch_and_add(cur, v);
		return;
	}
	if (bpf_map_update_elem(&samples, key, &v, BPF_NOEXIST)) {
		cur = bpf_map_lookup_elem(&samples, key);
		if (cur)
			__sync_fetch_and_add(cur, v);
		else
			count_lost(PT_LOST_SAMPLES_FULL, 1);
	}
}

/* The current thread's stacks into id (< 0 and counted when lost; a
 * missing kernel stack is not a loss when want_kernel is false). */
static __always_inline void get_stacks(void *ctx, __s32 *ustack, __s32 *kstack,
				       bool want_kernel)
{
	*ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (*ustack < 0 && *ustack != -EFAULT)
		count_lost(PT_LOST_STACKS, 1);
	*kstack = want_kernel ? bpf_get_stackid(ctx, &stacks, 0) : -1;
	if (want_kernel && *kstack < 0 && *kstack != -EFAULT)
		count_lost(PT_LOST_STACKS, 1);
}

#endif /* PIPETRACE_STACKS_BPF_H */
