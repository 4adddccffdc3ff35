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

/* A launched command's process from its release to its exec (set by
 * userspace before the release, cleared at the exec): it runs pipetrace's
 * launcher there, code the command's maps do not hold ("[unknown]"), and
 * its execve. Its samples are counted here, not kept. */
volatile __u32 prexec_tgid;
__u64 prexec_samples;

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
	int ret = 0;

	if (kernel)
		ret = task_user_regs(&r);
	else
		r = ctx->regs;
	s = bpf_map_lookup_elem(&usample_buf, &zero);
	if (!s || ret) {
		count_lost(PT_LOST_USAMPLES, 1);
		return;
	}
	s->h.part = PT_SAMPLE_ONCPU;
	s->h.out_ns = 0;
	n = fill_usample(s, key, &r, ustack_copy);
	flags = bpf_ringbuf_query(&usamples, BPF_RB_AVAIL_DATA) >=
				usample_wake ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&usamples, s, sizeof(s->h) + n, flags))
		count_lost(PT_LOST_USAMPLES, 1);
}

/*
 * The stage of the goroutine a Go thread runs, R14 its user %r14 in a
 * sample in user mode: its g is in %r14 (Go code,
 * ABIInternal; C code called through cgo keeps it, callee-saved), and a Go
 * stage's frames are kept by g. PT_MAX_STAGES when g has no call open, or
 * r14 is no g with one (another binary's code, the runtime's g0).
 */
static __always_inline __u32 go_stage(__u64 g, bool kernel)
{
	const struct go_state *s;
	struct pt_regs r;

	if (kernel) {
		if (task_user_regs(&r))
			return PT_MAX_STAGES;
		g = r.r14;
	}
	s = g ? bpf_map_lookup_elem(&goroutines, &g) : NULL;
	return s ? go_innermost(s) : PT_MAX_STAGES;
}

/* The traced processes' threads only (several: every one, each sample
 * keyed by its tgid), tagged with their innermost stage (a C stage's by
 * thread, else a Go stage's by goroutine). --call-graph dwarf copies the
 * first process's stacks only (its unwinder has its maps); the others'
 * are walked by frame pointers. */
SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_sample_key key = { .part = PT_SAMPLE_ONCPU };
	struct pt_thread *t;
	__u32 tid = (__u32)pid_tgid, tgid = (__u32)(pid_tgid >> 32);
	__u32 stage = PT_MAX_STAGES;
	bool kernel = (__s64)PT_REGS_IP(&ctx->regs) < 0;
	__u64 r14 = ctx->regs.r14; /* read here: no modified ctx pointer */

	if (!traced_tgid(tgid) || phase == PT_PHASE_DETACHING)
		return 0;
	if (tgid == prexec_tgid) {
		__sync_fetch_and_add(&prexec_samples, 1);
		return 0;
	}
	key.tgid = tgid;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t && !t->exited)
		stage = innermost(t);
	if (stage >= PT_MAX_STAGES && go_on)
		stage = go_stage(r14, kernel);
	key.stage = stage < PT_MAX_STAGES ? stage : PT_MAX_STAGES;
	/* A sample in user mode has no kernel stack. */
	get_stacks(ctx, &key.ustack, &key.kstack, kernel);
	if (ustack_copy && tgid == target_tgid)
		send_usample(ctx, &key, kernel);
	else
		add_sample(&key, 1);
	return 0;
}

/* The launched command's exec: its samples are its own from here. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(launch_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	if (prexec_tgid && p->tgid == prexec_tgid)
		prexec_tgid = 0;
	return 0;
}
