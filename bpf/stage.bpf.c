// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * stage.bpf.c - stage calls: entry and exit (uprobe and uretprobe, or the
 * nop5 sites of PIPETRACE_ENTER()), their latency, items and histogram, the
 * (thread, stage) wall time, --events streaming, and the warmup probe.
 */
#include "pipetrace.bpf.h"

/* A trampoline entry older than this is not the return being handled. */
#define RET_FRESH_NS 50000

/* Set before a stage's probes are attached (stages of a program a traced
 * process execs are added during the trace). */
volatile __u8 stage_items_mode[PT_MAX_STAGES];
/* The size of each return-site stage's function (see PT_COOKIE_IND). */
volatile __u32 stage_fn_size[PT_MAX_STAGES];
/* Set before load. */
/* --events: every call into the ring buffer; the consumer is woken only
 * once wake_bytes are waiting (it also drains on a timer). */
const volatile __u8 stream_on = 0;
const volatile __u64 wake_bytes = 1 << 20;

/* Latency the probes themselves add to a call, per stage (calibrated). */
volatile __u64 stage_bias_ns[PT_MAX_STAGES];
/* What a call's probes cost the call enclosing it, per stage (calibrated:
 * entry and return in full, see nest_into()). */
volatile __u64 stage_nest_ns[PT_MAX_STAGES];
/* How much more than that such a call costs its caller on average (its
 * tail: stage_nest_ns is the least calibrated, which should not
 * over-correct a call; where it does, the report shows no percentiles),
 * and of it what lies outside the call's own interval: summed, not
 * taken off any call (see nest_into()). */
volatile __u64 stage_nest_tail_ns[PT_MAX_STAGES];
volatile __u64 stage_nest_own_tail_ns[PT_MAX_STAGES];
/* Set once a launched target has run its _init (see warmup). */
volatile __u32 warmed_up;
/* PIPETRACE_SELFTIME=1 (a measurement aid): the programs time themselves
 * into selftime[who][what], who 0 the calibration stage, 1 the others;
 * what: calls, entry program after its stamp, exit trap (the trampoline's
 * stamp to the exit program's), exit program. */
const volatile __u8 selftime_on = 0;
extern const volatile __u32 nstages;
__u64 selftime[2][4];

static __always_inline void selftime_add(__u32 stage, int what, __u64 ns)
{
	int who = stage != nstages - 1;

	__sync_fetch_and_add(&selftime[who][what & 3], ns);
}
/* The last process known to have its uprobe area (see has_uprobe_area()). */
__u32 area_tgid;
/* Exit sites reached by calls entered before their entry site was
 * attached (not losses: those calls were never traced). */
__u64 inflight_exits;

static const struct pt_proc_stats zero_proc_stats;

/* Calls streamed one by one (--events). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* resized with --events */
} events SEC(".maps");

/* ------------------------------------------------------------ accounting */

#include "stagecall.bpf.h"

/* ------------------------------------------------------------------ entry */

/*
 * Whether the current process, the target (current_thread() said so), has
 * its uprobe area, where the kernel puts the return trampoline. The first
 * uretprobe'd call in a process creates it after the entry program has
 * run: that call's latency then holds the setup (0.1-1.3 ms here). Read
 * once per target.
 */
static __always_inline bool has_uprobe_area(void)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	struct task_struct *task;

	if (area_tgid == tgid)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	if (!BPF_CORE_READ(task, mm, uprobes_state.xol_area))
		return false;
	area_tgid = tgid;
	return true;
}

/*
 * Whether the return address at sp is the kernel's return trampoline: a
 * tail call out of a function with a return probe, whose frame at the same
 * sp is then still live.
 */
static __always_inline bool chained(__u64 sp)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 tramp, ra = 0;

	tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	if (!tramp || bpf_probe_read_user(&ra, sizeof(ra), (void *)sp))
		return false;
	return ra == tramp;
}

/* Whether frame f, at or below the event's stack pointer sp, is dead. At
 * an entry (at_entry) a frame at sp itself is one whose slot a new call
 * reuses, unless it is a tail call's (see chained()); at an exit the frame
 * at sp is the one returning. */
static __always_inline bool frame_dead(const struct pt_frame *f, __u64 sp,
				       bool at_entry)
{
	if (f->sp > sp)
		return false;
	if (f->sp < sp)
		return true;
	return at_entry && (f->plain || !chained(sp));
}

/*
 * The frame loops below are global functions, not inlined: the verifier
 * checks each once on its own instead of unrolling all three on every path
 * of stage_exit (380,000 instructions processed, a quarter of a second of
 * load time). To the verifier their pointer arguments may be NULL.
 */

/*
 * A frame the stack was unwound past, seen at now: no call (calls and
 * latencies are those that returned), but its time so far joins its
 * stage's, thread's and process's wall time, as a call open at its
 * thread's exit does (sched.bpf.c): the time split has it already, and
 * wall and self stay sums of the same spans (less the nested calls'
 * probes and the waits inside its own, as a return takes them off).
 */
static __always_inline void close_unwound(const struct pt_frame *f, __u64 now)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), stage = f->stage;
	__u64 start = f->start_ns + f->wait_ns, lat;
	struct pt_stage_stats *s;
	struct pt_proc_stats *p;

	if (!f->outermost || stage >= PT_MAX_STAGES || now <= start)
		return;
	lat = now - start;
	lat -= f->nest_ns < lat ? f->nest_ns : lat;
	s = bpf_map_lookup_elem(&stats, &stage);
	if (s)
		s->wall_ns += lat;
	add_pair(tid, stage, lat);
	p = procs_on ? proc_stats_of(stage) : NULL;
	if (p)
		p->wall_ns += lat;
}

/*
 * Drops t's frames that the stack has been unwound past, as an event at
 * stack pointer sp at time now shows (an exception or a longjmp out of
 * them, or a return the kernel dropped), counted as unwound, their time
 * closed (close_unwound). Frames deeper than PT_MAX_DEPTH were not
 * stored: they go once a stored frame is passed.
 */
__noinline int pt_expire_frames(struct pt_thread *t, __u64 sp, int at_entry,
				__u64 now)
{
	__u32 d, k, idx;
	struct pt_frame *f;

	if (!t)
		return 0;
	d = t->depth;
	/* Unstored frames lie below the stored ones: all are gone once
	 * the stack is back at the innermost stored frame. */
	if (d > PT_MAX_DEPTH) {
		if (t->frames[PT_MAX_DEPTH - 1].sp > sp)
			return 0;
		d = PT_MAX_DEPTH;
	}
	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (d == 0)
			break;
		idx = (d - 1) & (PT_MAX_DEPTH - 1);
		opaque(idx);
		f = &t->frames[idx];
		if (!frame_dead(f, sp, at_entry))
			break;
		t->active[f->stage & (PT_MAX_STAGES - 1)] -= 1;
		count_lost(PT_LOST_UNWOUND, 1);
		close_unwound(f, now);
		d--;
	}
	t->depth = d;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(stage_enter)
{
	__u64 now = bpf_ktime_get_ns(), sp = PT_REGS_SP(ctx);
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u32 stage = cookie & PT_COOKIE_STAGE;
	struct pt_thread *t;
	struct pt_frame *f;
	__u8 *active;
	__u32 d;

	if (stage >= PT_MAX_STAGES || phase == PT_PHASE_DETACHING)
		return 0;
	t = current_thread(true, now);
	if (!t)
		return 0;
	account(t, now);
	if (sys_light)
		charge_ioac(t);
	if (t->depth) /* none open (the usual entry): none to expire */
		pt_expire_frames(t, sp, true, now);
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
	f->plain = !!(cookie & (PT_COOKIE_SITE | PT_COOKIE_RET));
	f->sp = sp;
	f->nest_ns = 0;
	f->nest_tail_ns = 0;
	/* Waits inside its probes are not the call's (sched.bpf.c). */
	f->wait_ns = 0;
	t->entry_ip = PT_REGS_IP(ctx);
	/* A nop5 entry site is emulated: it creates no area. */
	f->setup = !(cookie & PT_COOKIE_SITE) && !has_uprobe_area();
	*active += 1;
	/* From where the time charged to it starts (see stage_exit). */
	f->start_ns = t->last_ns > now ? t->last_ns : now;
	t->depth = d + 1;
	if (selftime_on) {
		selftime_add(stage, 0, 1);
		selftime_add(stage, 1, bpf_ktime_get_ns() - now);
	}
	return 0;
}

/* ------------------------------------------------------------------- exit */

/*
 * Where the call being returned from ended: where the return trampoline
 * entered the kernel, if it did so just now for this return (kernels
 * without the uretprobe syscall trap instead) and nothing was charged
 * since; the kernel's return handling after it is the probe's time, not
 * the program's. Else now. With --syscalls light no sys_enter program
 * stamps that entry: now, without the lookup.
 */
static __always_inline __u64 call_end(const struct pt_thread *t, __u32 tid,
				      __u64 now)
{
	struct pt_probe_sys *ps;
	__u64 end = now;
	__u32 zero = 0;

	if (sys_light)
		return now;
	ps = bpf_map_lookup_elem(&probe_sys, &zero);
	if (ps && ps->tid == tid) {
		if (ps->ns && ps->ns <= now && now - ps->ns < RET_FRESH_NS &&
		    t->last_ns <= ps->ns)
			end = ps->ns;
		ps->ns = 0;
	}
	return end;
}

/*
 * A return in a process traced since after the call began: forked inside
 * it (the child inherits the return address the kernel hijacked), or
 * found after the probes attached (entered while not yet traced). Counted
 * in its process's entry: whether it was.
 */
static __always_inline bool unpaired_return(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pt_proc *p;

	if (!procs_on)
		return false;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p ||
	    !(p->flags & (PT_PROC_FOLLOWED | PT_PROC_MATCHED | PT_PROC_LATE)))
		return false;
	__sync_fetch_and_add(&p->unpaired, 1);
	return true;
}

/* An exit on a thread with no call open. */
static __always_inline void exit_unopened(__u32 cookie)
{
	/* An exit site also sees calls entered before tracing began; a
	 * return probe does not: its entry was lost. A jmp out with no call
	 * open may be no exit at all (a landing pad's jump to the cold
	 * part): not counted. */
	if (cookie & PT_COOKIE_TAIL)
		return;
	if (cookie & (PT_COOKIE_SITE | PT_COOKIE_RET))
		__sync_fetch_and_add(&inflight_exits, 1);
	else if (phase == PT_PHASE_ARMED && !unpaired_return())
		count_lost(PT_LOST_UNMATCHED, 1);
}

/* The frame, at or below top, of t's innermost open call of stage:
 * normally the top one, deeper only if exits went missing. PT_MAX_DEPTH
 * when there is none. */
__noinline __u32 pt_find_frame(const struct pt_thread *t, __u32 stage,
			       __u32 top)
{
	__u32 k, idx, found = PT_MAX_DEPTH;

	if (!t)
		return found;
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
	return found;
}

/* Frames above found, up to top, never saw their exit: drop them. */
__noinline int pt_drop_frames(struct pt_thread *t, __u32 found, __u32 top)
{
	__u32 i, k, idx;

	if (!t)
		return 0;
	for (i = 0; i < PT_MAX_DEPTH; i++) {
		k = found + 1 + i;
		if (k >= PT_MAX_DEPTH || k > top)
			break;
		/* Keep clang from dropping the mask (k < PT_MAX_DEPTH) the
		 * verifier needs to bound the index. */
		idx = k;
		opaque(idx);
		idx = t->frames[idx & (PT_MAX_DEPTH - 1)].stage &
		      (PT_MAX_STAGES - 1);
		t->active[idx] -= 1;
		count_lost(PT_LOST_UNMATCHED, 1);
	}
	return 0;
}

/* Register number reg (x86 encoding) of the probed context; read through
 * a helper: the verifier allows no variable offset into the context. */
static __always_inline __u64 reg_value(const struct pt_regs *r, __u32 reg)
{
	const __u16 off[16] = {
		offsetof(struct pt_regs, ax),  offsetof(struct pt_regs, cx),
		offsetof(struct pt_regs, dx),  offsetof(struct pt_regs, bx),
		offsetof(struct pt_regs, sp),  offsetof(struct pt_regs, bp),
		offsetof(struct pt_regs, si),  offsetof(struct pt_regs, di),
		offsetof(struct pt_regs, r8),  offsetof(struct pt_regs, r9),
		offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
		offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
		offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
	};
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const char *)r + off[reg & 15]);
	return v;
}

/* Whether an indirect jmp exit site (PT_COOKIE_IND) stays inside its
 * function (a jump table): then it is no exit. */
static __always_inline bool jumps_within(const struct pt_regs *r, __u64 cookie)
{
	__u32 reg = ((__u32)cookie & PT_COOKIE_REG_MASK) >> PT_COOKIE_REG_SHIFT;
	__u32 stage = (__u32)cookie & PT_COOKIE_STAGE;
	__u64 start = PT_REGS_IP(r) - (cookie >> 32), to = reg_value(r, reg);

	return to >= start &&
	       to - start < stage_fn_size[stage & (PT_MAX_STAGES - 1)];
}

/* The stack pointer of the call an exit probe ends, as its entry saw it,
 * or 0 where unknown (a nop5 exit site: inside the function). */
static __always_inline __u64 exit_sp(const struct pt_regs *r, __u32 cookie)
{
	if (cookie & PT_COOKIE_RET)
		return PT_REGS_SP(r); /* at the ret: on the return address */
	if (cookie & PT_COOKIE_SITE)
		return 0;
	return PT_REGS_SP(r) - 8; /* the return address was popped */
}

/* Whether t's innermost stored frame is still live at an exit at stack
 * pointer sp, so that pt_expire_frames() would drop nothing (its first
 * test, without the call; with frames beyond PT_MAX_DEPTH, no). */
static __always_inline bool innermost_live(const struct pt_thread *t, __u64 sp)
{
	__u32 d = t->depth;

	if (d == 0)
		return true;
	if (d > PT_MAX_DEPTH)
		return false;
	return t->frames[(d - 1) & (PT_MAX_DEPTH - 1)].sp >= sp;
}

/* Pops t's innermost open call of stage (frames above it never saw their
 * exits) into *out. Returns false if there is none (counted as unmatched
 * while armed). t has 1 to PT_MAX_DEPTH frames (exit_unstored()). */
static __always_inline bool pop_frame(struct pt_thread *t, __u32 stage,
				      struct pt_frame *out)
{
	__u32 d = t->depth, found = d - 1;

	/* The usual exit: the innermost frame's, with none above it to
	 * drop; only a missed exit needs the search. */
	if (found >= PT_MAX_DEPTH ||
	    t->frames[found & (PT_MAX_DEPTH - 1)].stage != stage) {
		found = pt_find_frame(t, stage, d - 1);
		if (found >= PT_MAX_DEPTH) {
			if (phase == PT_PHASE_ARMED)
				count_lost(PT_LOST_UNMATCHED, 1);
			return false;
		}
		pt_drop_frames(t, found, d - 1);
	}
	t->active[stage & (PT_MAX_STAGES - 1)] -= 1;
	t->depth = found;
	*out = t->frames[found & (PT_MAX_DEPTH - 1)];
	return true;
}

/* Whether an exit at stack pointer sp belongs to a call t has no stored
 * frame of: one deeper than PT_MAX_DEPTH (then popped from the count), or
 * one entered before tracing. */
static __always_inline bool exit_unstored(struct pt_thread *t, __u64 sp,
					  __u32 cookie)
{
	__u32 d = t->depth;

	if (d > PT_MAX_DEPTH) {
		/* With a known sp, not below PT_MAX_DEPTH + 1: returns the
		 * kernel dropped leave the count high, and the stored
		 * frames' sp resets it (expire_frames()). */
		if (!sp || d > PT_MAX_DEPTH + 1)
			t->depth = d - 1;
		return true;
	}
	if (d == 0) {
		exit_unopened(cookie);
		return true;
	}
	if (!sp || t->frames[(d - 1) & (PT_MAX_DEPTH - 1)].sp <= sp)
		return false;
	/* Below the innermost open call: none of t's calls ends here (a jmp
	 * out with the stack still in use is no tail call). */
	exit_unopened(cookie);
	return true;
}

/*
 * Nested stages' probes. The probes of a call nested in another cost the
 * enclosing call their whole path (the entry trap, the return trampoline,
 * both programs), more than the nested call's own bias: passes that cost,
 * and that of the calls nested in f, to the call enclosing f (t's innermost
 * now that f is popped), which takes it off its latency (close_call()).
 * What of it lay outside f's interval was charged to the enclosing stage's
 * own time: counted there (nest_ns) to be taken off it, as its bias is
 * (bias: what close_call() took off f's own latency and time). The pair's
 * mean cost above that figure (its tail) is passed up and counted the same
 * way, but only summed: the report takes it off means and own times.
 */
static __always_inline void nest_into(struct pt_thread *t,
				      const struct pt_frame *f, __u32 stage,
				      __u64 bias)
{
	__u64 cost = stage_nest_ns[stage & (PT_MAX_STAGES - 1)];
	__u64 tail = stage_nest_tail_ns[stage & (PT_MAX_STAGES - 1)];
	struct pt_stage_time *st;
	struct pt_frame *p;
	__u32 d = t->depth;

	if (d == 0 || d > PT_MAX_DEPTH)
		return;
	p = &t->frames[(d - 1) & (PT_MAX_DEPTH - 1)];
	p->nest_ns += cost + f->nest_ns;
	p->nest_tail_ns += tail + f->nest_tail_ns;
	st = time_of(p->stage);
	if (!st)
		return;
	if (cost > bias)
		st->nest_ns += cost - bias;
	st->nest_tail_ns += stage_nest_own_tail_ns[stage & (PT_MAX_STAGES - 1)];
}

/* A return probe, or a plain one at an exit site or return instruction. */
SEC("uretprobe")
int BPF_KRETPROBE(stage_exit)
{
	__u64 now = bpf_ktime_get_ns(), end,
	      cookie = bpf_get_attach_cookie(ctx);
	__u32 stage = (__u32)cookie & PT_COOKIE_STAGE;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ret = PT_REGS_RC(ctx), sp, bias, call_end0;
	struct pt_thread *t;
	struct pt_frame f;

	if (stage >= PT_MAX_STAGES)
		return 0;
	if ((cookie & PT_COOKIE_IND) && jumps_within(ctx, cookie))
		return 0;
	t = current_thread(false, now);
	if (!t)
		return 0;
	end = call_end(t, tid, now);
	call_end0 = end;
	if (t->depth == 0) {
		exit_unopened(cookie);
		return 0;
	}
	account(t, end);
	if (sys_light)
		charge_ioac(t);
	/*
	 * Whatever was charged to the stage counts in its latency, so that
	 * the parts always add up to it: time charged past end (clocks of
	 * two CPUs a little apart after a migration) moves end forward.
	 */
	if (t->last_ns > end)
		end = t->last_ns;
	if (t->last_ns < now)
		t->last_ns = now; /* the probe's return: nobody's time */
	sp = exit_sp(ctx, (__u32)cookie);
	if (sp && !innermost_live(t, sp))
		pt_expire_frames(t, sp, false, end);
	if (exit_unstored(t, sp, (__u32)cookie) || !pop_frame(t, stage, &f))
		return 0;
	if (cookie & PT_COOKIE_TAIL)
		ret = PT_ITEMS_UNSET;
	/* Preempted inside its own probes: the probe's time. */
	f.start_ns += f.wait_ns;
	bias = close_call(&f, stage, tid, end, ret);
	nest_into(t, &f, stage, bias);
	if (selftime_on) {
		selftime_add(stage, 2, now - call_end0);
		selftime_add(stage, 3, bpf_ktime_get_ns() - now);
	}
	return 0;
}

/*
 * Attached to a function the process runs once before main (the
 * executable's _init), so that the kernel's one-time uprobe setup in a new
 * process (the return trampoline's area, per-task state) happens there and
 * not inside the first stage call. It does nothing itself.
 */
SEC("uretprobe")
int BPF_KRETPROBE(warmup)
{
	/* The loader has mapped every library by now: userspace may read
	 * the target's maps for its symbols. */
	warmed_up = 1;
	return 0;
}
