// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * sample.bpf.c - on-CPU sampling (--folded): a cpu-clock perf event on every
 * CPU, counted per (stage, user stack, kernel stack) for the target only.
 *
 * With --call-graph dwarf (ustack_copy > 0) a sample is not counted here:
 * its user registers and the top ustack_copy bytes of its user stack go to
 * userspace through the `usamples` ring buffer, to be unwound there with
 * the objects' CFI (code built without frame pointers).
 */
#include "pipetrace.bpf.h"
#include "stacks.bpf.h"

/* Set by userspace, before or after load: bytes of user stack copied per
 * sample (0: frame pointers only). */
volatile __u32 ustack_copy;
/* Set before load: the ring buffer fill that wakes the consumer. */
const volatile __u64 usample_wake = 0;

/* One sample being built, per CPU (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_usample);
} usample_buf SEC(".maps");

/* --call-graph dwarf samples; resized at load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} usamples SEC(".maps");

/* The user context's registers: the sample's own in user mode, else those
 * saved at the kernel entry. Returns 0 or a negative error. */
static __always_inline int user_regs(struct bpf_perf_event_data *ctx,
				     bool kernel, struct pt_regs *r)
{
	if (!kernel) {
		*r = ctx->regs;
		return 0;
	}
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

/* Copies up to ustack_copy bytes of user stack from sp into dst, a page at
 * a time, up to the first page that cannot be read (the stack's top).
 * Returns the bytes copied. */
static __always_inline __u32 copy_ustack(__u8 *dst, __u64 sp)
{
	__u32 off = 0, len = PT_USTACK_PAGE - (sp & (PT_USTACK_PAGE - 1));
	__u32 want = ustack_copy, i;

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

/* Sends the sample of key with the user context to userspace (counted
 * lost when it cannot be). */
static __always_inline void send_usample(struct bpf_perf_event_data *ctx,
					 const struct pt_sample_key *key,
					 bool kernel)
{
	struct pt_usample *s;
	struct pt_regs r;
	__u32 zero = 0, n;
	__u64 flags;

	s = bpf_map_lookup_elem(&usample_buf, &zero);
	if (!s || user_regs(ctx, kernel, &r)) {
		count_lost(PT_LOST_USAMPLES, 1);
		return;
	}
	s->h.stage = key->stage;
	s->h.kstack = key->kstack;
	s->h.ustack = key->ustack;
	s->h.tid = (__u32)bpf_get_current_pid_tgid();
	dwarf_regs(&r, s->h.regs);
	uret_slots(&s->h);
	n = copy_ustack(s->stack, r.sp);
	opaque(n);
	if (n > PT_USTACK_MAX)
		n = PT_USTACK_MAX;
	s->h.size = n;
	flags = bpf_ringbuf_query(&usamples, BPF_RB_AVAIL_DATA) >=
				usample_wake ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&usamples, s, sizeof(s->h) + n, flags))
		count_lost(PT_LOST_USAMPLES, 1);
}

/* The target's threads only, tagged with their innermost stage. */
SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_sample_key key = { .part = PT_SAMPLE_ONCPU };
	struct pt_thread *t;
	__u32 tid = (__u32)pid_tgid, stage = PT_MAX_STAGES;
	bool kernel = (__s64)PT_REGS_IP(&ctx->regs) < 0;

	if (!target_tgid || (__u32)(pid_tgid >> 32) != target_tgid ||
	    phase == PT_PHASE_DETACHING)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t && !t->exited)
		stage = innermost(t);
	key.stage = stage < PT_MAX_STAGES ? stage : PT_MAX_STAGES;
	/* A sample in user mode has no kernel stack. */
	get_stacks(ctx, &key.ustack, &key.kstack, kernel);
	if (ustack_copy)
		send_usample(ctx, &key, kernel);
	else
		add_sample(&key, 1);
	return 0;
}
