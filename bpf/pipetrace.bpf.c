// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * pipetrace.bpf.c - per-stage latency, aggregated in the kernel.
 *
 * One entry program (uprobe) and one exit program (uretprobe) serve every
 * stage: each attachment carries the stage id as its BPF cookie. Per thread
 * we keep the stack of active stage calls; at exit the call's latency goes
 * into the stage's per-CPU counters and log-linear histogram. Nothing is
 * streamed: userspace reads the `stats` array when it reports.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pipetrace_abi.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* ------------------------------------------------------------ configuration */

/* Set before load. */
const volatile __u8 stage_items_mode[PT_MAX_STAGES] = {};

/* Set by userspace after load (the calibration run traces pipetrace itself
 * before the target is traced). */
volatile __u32 target_tgid;
/* enum pt_phase: mismatches count as losses only while armed. */
volatile __u32 phase;
/* Latency the probes themselves add to a call, per stage (calibrated). */
volatile __u64 stage_bias_ns[PT_MAX_STAGES];

/* ----------------------------------------------------------------------- maps */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of stages */
	__type(key, __u32);
	__type(value, struct pt_stage_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_LOST_NR);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* The value a new thread starts from (all zero). */
static const struct pt_thread zero_thread;

/* ------------------------------------------------------------------ helpers */

/* Hides a value's provenance from the optimizer (not from the verifier). */
#define opaque(var) __asm__ volatile("" : "+r"(var))

static __always_inline void count_lost(__u32 reason, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &reason);

	if (v)
		*v += n;
}

/* The calling thread's state if it belongs to the target, else NULL. */
static __always_inline struct pt_thread *current_thread(bool create)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct pt_thread *t;

	if ((__u32)(pid_tgid >> 32) != target_tgid)
		return NULL;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t || !create)
		return t;
	if (bpf_map_update_elem(&threads, &tid, &zero_thread, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&threads, &tid)) {
		count_lost(PT_LOST_THREADS_FULL, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

/* Adds a return value to the stage's items or errors, by the stage's mode. */
static __always_inline void count_items(struct pt_stage_stats *s, __u32 stage,
					 __u64 ret)
{
	switch (stage_items_mode[stage & (PT_MAX_STAGES - 1)]) {
	case PT_ITEMS_S32:
		if ((__s32)ret < 0)
			s->errors++;
		else
			s->items += (__u32)ret;
		break;
	case PT_ITEMS_U32:
		s->items += (__u32)ret;
		break;
	case PT_ITEMS_S64:
		if ((__s64)ret < 0)
			s->errors++;
		else
			s->items += ret;
		break;
	case PT_ITEMS_U64:
		s->items += ret;
		break;
	default:
		break;
	}
}

static __always_inline void record_call(__u32 stage, __u64 lat, bool outermost,
					__u64 ret)
{
	struct pt_stage_stats *s = bpf_map_lookup_elem(&stats, &stage);
	__u32 b;

	if (!s)
		return;
	s->calls++;
	s->lat_sum_ns += lat;
	if (outermost)
		s->wall_ns += lat;
	if (s->calls == 1 || lat < s->min_ns)
		s->min_ns = lat;
	if (lat > s->max_ns)
		s->max_ns = lat;
	b = pt_hist_bucket(lat);
	if (b >= PT_HIST_BUCKETS)
		b = PT_HIST_BUCKETS - 1;
	s->hist[b]++;
	count_items(s, stage, ret);
}

/* ----------------------------------------------------------------- programs */

SEC("uprobe")
int BPF_KPROBE(stage_enter)
{
	__u32 stage = (__u32)bpf_get_attach_cookie(ctx);
	struct pt_thread *t;
	struct pt_frame *f;
	__u8 *active;
	__u32 d;

	if (stage >= PT_MAX_STAGES || phase == PT_PHASE_DETACHING)
		return 0;
	t = current_thread(true);
	if (!t)
		return 0;
	d = t->depth;
	if (d >= PT_MAX_DEPTH) {
		/* Not stored; the matching exit only pops the count. */
		t->depth = d + 1;
		count_lost(PT_LOST_DEPTH, 1);
		return 0;
	}
	f = &t->frames[d & (PT_MAX_DEPTH - 1)];
	active = &t->active[stage & (PT_MAX_STAGES - 1)];
	f->stage = stage;
	f->outermost = *active == 0;
	*active += 1;
	t->depth = d + 1;
	/* Last, so that our own bookkeeping is not part of the latency. */
	f->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(stage_exit)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 ret = PT_REGS_RC(ctx);
	__u32 stage = (__u32)bpf_get_attach_cookie(ctx);
	struct pt_thread *t;
	struct pt_frame *f;
	__u64 lat, bias;
	__u32 d, top, k, idx, found = PT_MAX_DEPTH;

	if (stage >= PT_MAX_STAGES)
		return 0;
	t = current_thread(false);
	if (!t)
		return 0;
	d = t->depth;
	if (d == 0) {
		/* Entered while attaching, or its entry was dropped. */
		if (phase == PT_PHASE_ARMED)
			count_lost(PT_LOST_UNMATCHED, 1);
		return 0;
	}
	if (d > PT_MAX_DEPTH) {
		t->depth = d - 1;
		return 0;
	}
	top = d - 1;
	/* Normally the top frame; deeper only if exits went missing. */
	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (k > top)
			break;
		idx = (top - k) & (PT_MAX_DEPTH - 1);
		opaque(idx);
		if (t->frames[idx].stage == stage) {
			found = idx;
			break;
		}
	}
	if (found >= PT_MAX_DEPTH) {
		if (phase == PT_PHASE_ARMED)
			count_lost(PT_LOST_UNMATCHED, 1);
		return 0;
	}
	/* Frames above the match never saw their exit: drop them. */
	for (k = found + 1; k < PT_MAX_DEPTH; k++) {
		if (k > top)
			break;
		idx = k & (PT_MAX_DEPTH - 1);
		/* Keep clang from turning the index into a pointer walk the
		 * verifier cannot bound. */
		opaque(idx);
		idx = t->frames[idx].stage & (PT_MAX_STAGES - 1);
		t->active[idx] -= 1;
		count_lost(PT_LOST_UNMATCHED, 1);
	}
	f = &t->frames[found & (PT_MAX_DEPTH - 1)];
	t->active[stage & (PT_MAX_STAGES - 1)] -= 1;
	t->depth = found;

	lat = now > f->start_ns ? now - f->start_ns : 0;
	bias = stage_bias_ns[stage & (PT_MAX_STAGES - 1)];
	lat = lat > bias ? lat - bias : 0;
	record_call(stage, lat, f->outermost, ret);
	return 0;
}

/* A target thread exits: forget it, counting calls that never returned. */
/* tp_btf needs no tracefs mounted, unlike tp/. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct pt_thread *t;

	if ((__u32)(pid_tgid >> 32) != target_tgid)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return 0;
	if (t->depth)
		count_lost(PT_LOST_UNMATCHED,
			   t->depth < PT_MAX_DEPTH ? t->depth : PT_MAX_DEPTH);
	bpf_map_delete_elem(&threads, &tid);
	return 0;
}
