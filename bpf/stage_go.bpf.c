// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * stage_go.bpf.c - Go stage calls: plain uprobes at a Go function's entry,
 * at its return instructions and at its prologue's call to
 * runtime.morestack (PT_COOKIE_GO), frames paired by goroutine.
 *
 * A return probe would kill a Go program (the runtime finds the kernel's
 * trampoline where a Go return address must be when it copies a growing
 * stack), and a goroutine changes threads and its stack moves, so frames
 * are kept per goroutine: the g in %r14 (ABIInternal, Go >= 1.17), each
 * frame at its distance below g.stack.hi, which a stack copy keeps. A
 * function whose stack must grow calls runtime.morestack before its frame
 * exists and is entered again from the top: that second entry is no call.
 * Frames a panic unwound past expire, counted unwound, as do those of a
 * goroutine that ends (runtime.goexit1: runtime.Goexit) with calls open.
 */
#include "pipetrace.bpf.h"

/* Defined in stage.bpf.c (linked before this object). */
extern volatile __u8 stage_items_mode[PT_MAX_STAGES];
extern const volatile __u8 stream_on;
extern const volatile __u64 wake_bytes;
extern volatile __u64 stage_bias_ns[PT_MAX_STAGES];
extern __u64 inflight_exits;
extern struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_stage_stats);
} stats SEC(".maps");
extern struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
extern struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PT_MAX_PROC_STAGES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* written at a first call */
	__type(key, struct pt_proc_stage_key);
	__type(value, struct pt_proc_stats);
} proc_stats SEC(".maps");
static const struct pt_proc_stats zero_proc_stats;

#include "stagecall.bpf.h"

/* Set before load: where the runtime's g keeps stack.hi and goid (byte
 * offsets, from the binary's DWARF; -1: unknown, and then frames are
 * paired by depth only, and a reused g is not noticed). */
const volatile __s32 go_stack_hi = -1;
const volatile __s32 go_goid = -1;

static const struct go_state go_zero = {};

/* The user word at g + off, or 0. */
static __always_inline __u64 g_word(__u64 g, __s32 off)
{
	__u64 v = 0;

	if (off < 0 || bpf_probe_read_user(&v, sizeof(v), (void *)(g + off)))
		return 0;
	return v;
}

/* How far below its goroutine stack's top sp is; 0 where unknown (on
 * another stack: the system stack's g is g0). */
static __always_inline __u64 stack_off(__u64 g, __u64 sp)
{
	__u64 hi = g_word(g, go_stack_hi);

	return hi > sp ? hi - sp : 0;
}

/* Drops every frame of s, unwound past (the g now runs another
 * goroutine, or its goroutine's stack is above them all). */
static __always_inline void drop_all(struct go_state *s)
{
	__u32 d = s->depth, k, idx;

	if (d > PT_MAX_DEPTH)
		d = PT_MAX_DEPTH;
	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (k >= d)
			break;
		idx = k;
		opaque(idx);
		idx = s->frames[idx & (PT_MAX_DEPTH - 1)].stage;
		s->active[idx & (PT_MAX_STAGES - 1)] -= 1;
	}
	count_lost(PT_LOST_UNWOUND, d);
	s->depth = 0;
}

/* g's state, created if create; a reused g's old frames dropped. */
static __always_inline struct go_state *go_state_of(__u64 g, bool create)
{
	struct go_state *s = bpf_map_lookup_elem(&goroutines, &g);
	__u64 goid = g_word(g, go_goid);

	if (!s && create) {
		bpf_map_update_elem(&goroutines, &g, &go_zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&goroutines, &g);
		if (!s)
			count_lost(PT_LOST_THREADS_FULL, 1);
	}
	if (!s)
		return NULL;
	if (goid && s->goid != goid) {
		if (s->depth)
			drop_all(s);
		s->goid = goid;
		s->regrow_stage = 0;
	}
	return s;
}

/*
 * Drops s's frames the goroutine's stack has been unwound past, as an
 * event at off shows (a panic, recovered above them, or runtime.Goexit):
 * at an entry, every frame at or below off; at an exit, below it. Frames
 * deeper than PT_MAX_DEPTH were not stored: they go once the stack is
 * back at the innermost stored frame (already counted as depth).
 */
static __always_inline void expire(struct go_state *s, __u64 off, bool at_entry)
{
	__u32 d = s->depth, k, idx;
	struct go_frame *f;

	if (!off)
		return;
	if (d > PT_MAX_DEPTH) {
		__u64 deepest = s->frames[PT_MAX_DEPTH - 1].off;

		if (!deepest || deepest < off)
			return;
		d = PT_MAX_DEPTH;
	}
	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (d == 0)
			break;
		idx = (d - 1) & (PT_MAX_DEPTH - 1);
		opaque(idx);
		f = &s->frames[idx];
		if (!f->off || f->off < off || (f->off == off && !at_entry))
			break;
		s->active[f->stage & (PT_MAX_STAGES - 1)] -= 1;
		count_lost(PT_LOST_UNWOUND, 1);
		d--;
	}
	s->depth = d;
}

/* The event's g (%r14) if it belongs to the target, else 0. */
static __always_inline __u64 target_g(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!target_tgid || (__u32)(pid_tgid >> 32) != target_tgid ||
	    phase == PT_PHASE_DETACHING)
		return 0;
	return ctx->r14;
}

SEC("uprobe")
int BPF_KPROBE(go_enter)
{
	__u64 now = bpf_ktime_get_ns(), g = target_g(ctx), off;
	__u32 stage = (__u32)bpf_get_attach_cookie(ctx) & PT_COOKIE_STAGE;
	struct go_state *s;
	struct go_frame *f;
	__u8 *active;
	__u32 d;

	if (!g || stage >= PT_MAX_STAGES)
		return 0;
	s = go_state_of(g, true);
	if (!s)
		return 0;
	off = stack_off(g, PT_REGS_SP(ctx));
	/* Entered again after runtime.morestack: the same call. */
	if (s->regrow_stage == stage + 1 && s->regrow_off == off) {
		s->regrow_stage = 0;
		return 0;
	}
	s->regrow_stage = 0;
	expire(s, off, true);
	d = s->depth;
	if (d >= PT_MAX_DEPTH) {
		s->depth = d + 1;
		count_lost(PT_LOST_DEPTH, 1);
		return 0;
	}
	f = &s->frames[d & (PT_MAX_DEPTH - 1)];
	active = &s->active[stage & (PT_MAX_STAGES - 1)];
	f->stage = stage;
	f->off = off;
	f->outermost = *active == 0;
	f->start_ns = now;
	*active += 1;
	s->depth = d + 1;
	return 0;
}

/* The frame, at or below the top, of s's innermost open call of stage at
 * off (unknown offs match any): PT_MAX_DEPTH when there is none. */
static __always_inline __u32 go_find(const struct go_state *s, __u32 stage,
				     __u64 off)
{
	__u32 k, idx, top = s->depth - 1;
	const struct go_frame *f;

	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (k > top)
			break;
		idx = (top - k) & (PT_MAX_DEPTH - 1);
		opaque(idx);
		f = &s->frames[idx];
		if (f->stage == stage && (!off || !f->off || f->off == off))
			return idx;
		/* With offs known, only the top frame can be at off. */
		if (off && f->off)
			break;
	}
	return PT_MAX_DEPTH;
}

/* Pops s's frames above found (unwound past: a panic in depth-only
 * pairing) and found itself into *out. */
static __always_inline void go_pop(struct go_state *s, __u32 found,
				   struct go_frame *out)
{
	__u32 k, idx;

	for (k = found + 1; k < PT_MAX_DEPTH; k++) {
		if (k >= s->depth)
			break;
		idx = k & (PT_MAX_DEPTH - 1);
		opaque(idx);
		idx = s->frames[idx].stage & (PT_MAX_STAGES - 1);
		s->active[idx] -= 1;
		count_lost(PT_LOST_UNWOUND, 1);
	}
	*out = s->frames[found & (PT_MAX_DEPTH - 1)];
	s->active[out->stage & (PT_MAX_STAGES - 1)] -= 1;
	s->depth = found;
}

/* An exit of a call with no stored frame: deeper than PT_MAX_DEPTH
 * (popped from the count), or entered before the probes were attached. */
static __always_inline void go_unstored(struct go_state *s, __u64 cookie)
{
	if (s->depth > PT_MAX_DEPTH) {
		s->depth -= 1;
		return;
	}
	if (!(cookie & PT_COOKIE_TAIL))
		__sync_fetch_and_add(&inflight_exits, 1);
}

SEC("uprobe")
int BPF_KPROBE(go_exit)
{
	__u64 now = bpf_ktime_get_ns(), g = target_g(ctx), off, ret,
	      cookie = bpf_get_attach_cookie(ctx);
	__u32 stage = (__u32)cookie & PT_COOKIE_STAGE, found;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct go_state *s;
	struct go_frame f;
	struct pt_frame pf = {};

	if (!g || stage >= PT_MAX_STAGES)
		return 0;
	s = go_state_of(g, false);
	if (!s) {
		/* No call open on g: one entered before attach returns. */
		if (!(cookie &
		      (PT_COOKIE_GROW | PT_COOKIE_GOEXIT | PT_COOKIE_TAIL)))
			__sync_fetch_and_add(&inflight_exits, 1);
		return 0;
	}
	/* At a ret, a jmp out or the morestack call, sp is where the
	 * entry saw it: on the return address. */
	off = stack_off(g, PT_REGS_SP(ctx));
	if (cookie & PT_COOKIE_GOEXIT) {
		/* The goroutine ends: what it has open never returns. */
		if (s->depth)
			drop_all(s);
		bpf_map_delete_elem(&goroutines, &g);
		return 0;
	}
	if (cookie & PT_COOKIE_GROW) {
		s->regrow_off = off;
		s->regrow_stage = stage + 1;
		return 0;
	}
	expire(s, off, false);
	found = s->depth && s->depth <= PT_MAX_DEPTH ? go_find(s, stage, off) :
						       PT_MAX_DEPTH;
	if (found >= PT_MAX_DEPTH) {
		go_unstored(s, cookie);
		return 0;
	}
	go_pop(s, found, &f);
	if (!s->depth)
		bpf_map_delete_elem(&goroutines, &g);
	ret = cookie & PT_COOKIE_TAIL ? PT_ITEMS_UNSET : PT_REGS_RC(ctx);
	pf.stage = stage;
	pf.outermost = f.outermost;
	pf.start_ns = f.start_ns;
	close_call(&pf, stage, tid, now, ret);
	return 0;
}
