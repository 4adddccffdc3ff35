/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * stacks.bpf.h - folded stacks, shared by the on-CPU sampler (sample.bpf.c)
 * and the off-CPU stacks of sched_switch (sched.bpf.c), and the records of
 * --call-graph dwarf: registers and the top of the user stack.
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

/* ------------------------------------------- --call-graph dwarf samples */

/* The current task's user registers, saved at its kernel entry. Returns
 * 0 or a negative error. */
static __always_inline int task_user_regs(struct pt_regs *r)
{
	return bpf_probe_read_kernel(
		r, sizeof(*r),
		(const void *)bpf_task_pt_regs(bpf_get_current_task_btf()));
}

/* struct pt_regs in the DWARF numbering of x86-64. */
static __always_inline void dwarf_regs(const struct pt_regs *r, __u64 *d)
{
	d[0] = r->ax;
	d[1] = r->dx;
	d[2] = r->cx;
	d[3] = r->bx;
	d[4] = r->si;
	d[5] = r->di;
	d[6] = r->bp;
	d[7] = r->sp;
	d[8] = r->r8;
	d[9] = r->r9;
	d[10] = r->r10;
	d[11] = r->r11;
	d[12] = r->r12;
	d[13] = r->r13;
	d[14] = r->r14;
	d[15] = r->r15;
	d[16] = r->ip;
}

/* Copies up to want bytes of user stack from sp into dst, a page at
 * a time, up to the first page that cannot be read (the stack's top).
 * Returns the bytes copied. */
static __always_inline __u32 copy_ustack(__u8 *dst, __u64 sp, __u32 want)
{
	__u32 off = 0, len = PT_USTACK_PAGE - (sp & (PT_USTACK_PAGE - 1));
	__u32 i;

	if (want > PT_USTACK_MAX)
		want = PT_USTACK_MAX;
	for (i = 0; i <= PT_USTACK_MAX / PT_USTACK_PAGE; i++) {
		if (off >= want)
			break;
		if (len > want - off)
			len = want - off;
		if (len > PT_USTACK_PAGE)
			len = PT_USTACK_PAGE;
		opaque(off);
		if (bpf_probe_read_user(dst + (off & (PT_USTACK_MAX - 1)), len,
					(const void *)(sp + off)))
			break;
		off += len;
		len = PT_USTACK_PAGE;
	}
	return off;
}

/* The return addresses the uretprobes of the current thread replaced with
 * the trampoline (stage exits probe the stages' returns): without them
 * the unwinder stops at the trampoline. */
static __always_inline void uret_slots(struct pt_usample_hdr *h)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct return_instance *ri;
	__u32 i;

	h->nuret = 0;
	ri = BPF_CORE_READ(task, utask, return_instances);
	for (i = 0; i < PT_URET_MAX && ri; i++) {
		h->uret[i].slot = BPF_CORE_READ(ri, stack);
		h->uret[i].orig = BPF_CORE_READ(ri, orig_ret_vaddr);
		h->nuret = i + 1;
		ri = BPF_CORE_READ(ri, next);
	}
}

/* Fills s (but its part and out_ns) for the current thread: key's stage
 * and stacks, registers r, the uretprobe slots and up to want bytes of
 * stack. Returns the bytes of stack copied. */
static __always_inline __u32 fill_usample(struct pt_usample *s,
					  const struct pt_sample_key *key,
					  const struct pt_regs *r, __u32 want)
{
	__u32 n;

	s->h.kind = PT_UREC_SAMPLE;
	s->h.stage = key->stage;
	s->h.kstack = key->kstack;
	s->h.ustack = key->ustack;
	s->h.tid = (__u32)bpf_get_current_pid_tgid();
	dwarf_regs(r, s->h.regs);
	uret_slots(&s->h);
	n = copy_ustack(s->stack, r->sp, want);
	opaque(n);
	if (n > PT_USTACK_MAX)
		n = PT_USTACK_MAX;
	s->h.size = n;
	return n;
}

#endif /* PIPETRACE_STACKS_BPF_H */
