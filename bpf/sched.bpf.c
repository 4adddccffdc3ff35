// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * sched.bpf.c - the scheduler's view of the target's threads: switch out
 * and in (off-CPU time and why, run-queue time, context switches), wakeups,
 * thread exit (with the process's memory at its exit), and with
 * --folded-offcpu the off-CPU stacks.
 */
#include "pipetrace.bpf.h"
#include "stacks.bpf.h"
#include "pipes.bpf.h"

/* --folded-offcpu: a stack at every switch-out of a target thread. */
const volatile __u8 offcpu_stacks = 0;

/* Off-CPU waits that began before this (pipetrace calibrating itself, a
 * launched target held before its exec) are not the program's: nothing
 * counts until userspace sets it. */
volatile __u64 offcpu_since_ns = ~0ULL;
/* signal_struct.flags: the whole process is exiting (linux/sched/signal.h). */
#define SIGNAL_GROUP_EXIT 0x00000004

/* The target's memory when its last thread exited. */
struct pt_exit_mem exit_mem;
/* Stage ids in use (set before load): the pairs an exit folds. */
const volatile __u32 nstages = 0;
/* Exited threads beyond those thread_done keeps, summed. */
struct pt_thread_sum exited_rest;

static const struct pt_thread_sum zero_sum;

/* Exited threads' figures, by tid (pt_thread_sum). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS); /* --max-threads */
	/* Written once per thread exit: not worth clearing 1.2 MB at start. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct pt_thread_sum);
} thread_done SEC(".maps");

/* --call-graph dwarf (set by userspace, before or after load): bytes of
 * user stack copied at each switch-out (0: frame pointers only). */
volatile __u32 offcpu_ustack_copy;
/* Set before load: the ring buffer fill that wakes the consumer. */
const volatile __u64 offcpu_usample_wake = 0;

/* A switch-out's sample being built, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_usample);
} offcpu_usample_buf SEC(".maps");

/* --call-graph dwarf switch-outs and their weights; resized at load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} offcpu_usamples SEC(".maps");

/* Threads switched out, by tid (--folded-offcpu). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_offcpu);
} offcpu SEC(".maps");

/*
 * --syscalls light: the syscall task is blocked in, from its own saved user
 * registers (orig_ax: the syscall number on syscall entry; -1 or an
 * exception's error code otherwise, never seen blocking interruptibly).
 */
static __always_inline __s32 blocked_nr(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__s32 nr;

	if (!regs)
		return -1;
	nr = (__s32)BPF_CORE_READ(regs, orig_ax);
	if (sys_class(nr) == PT_SYS_RESTART)
		nr = restarted(task, nr);
	return nr;
}

/* Why thread task that blocks is off CPU, from its syscall and state. */
static __always_inline __u32 off_part(struct task_struct *task,
				      const struct pt_thread *t,
				      unsigned int prev_state)
{
	__s32 nr = sys_light ? blocked_nr(task) : t->sys_nr;

	switch (sys_class(nr)) {
	case PT_SYS_LOCK:
		return PT_PART_LOCK;
	case PT_SYS_SLEEP:
		return PT_PART_SLEEP;
	case PT_SYS_READ:
	case PT_SYS_WRITE:
	case PT_SYS_IO:
	case PT_SYS_FSYNC:
		return PT_PART_IO;
	default:
		/* Uninterruptible outside those: disk, page-in, ... */
		return prev_state & TASK_UNINTERRUPTIBLE ? PT_PART_IO :
							   PT_PART_OTHER;
	}
}

/* ------------------------------------------------------- off-CPU stacks */

static __always_inline __u64 offcpu_wake_flags(void)
{
	return bpf_ringbuf_query(&offcpu_usamples, BPF_RB_AVAIL_DATA) >=
			       offcpu_usample_wake ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/* --call-graph dwarf: the switch-out of o as a sample; whether it went. */
static __always_inline bool offcpu_send(const struct pt_offcpu *o)
{
	struct pt_sample_key key = { .stage = o->stage,
				     .ustack = o->ustack,
				     .kstack = o->kstack };
	struct pt_usample *s;
	struct pt_regs r;
	__u32 zero = 0, n;

	s = bpf_map_lookup_elem(&offcpu_usample_buf, &zero);
	if (!s || task_user_regs(&r)) {
		count_lost(PT_LOST_USAMPLES, 1);
		return false;
	}
	s->h.part = o->part;
	s->h.out_ns = o->out_ns;
	n = fill_usample(s, &key, &r, offcpu_ustack_copy);
	if (bpf_ringbuf_output(&offcpu_usamples, s, sizeof(s->h) + n,
			       offcpu_wake_flags())) {
		count_lost(PT_LOST_USAMPLES, 1);
		return false;
	}
	return true;
}

/* Target thread tid switches out (t already updated): remember its stacks,
 * stage and reason until it runs again. */
static __always_inline void offcpu_out(void *ctx, struct task_struct *task,
				       const struct pt_thread *t, __u64 now)
{
	__u32 tid = task->pid;
	struct pt_offcpu o = { .out_ns = now };
	__u32 stage = innermost(t);

	o.stage = stage < PT_MAX_STAGES ? stage : PT_MAX_STAGES;
	o.part = t->state == PT_T_RUNNABLE ? PT_PART_RUNQ : t->off_part;
	get_stacks(ctx, &o.ustack, &o.kstack, true);
	if (offcpu_ustack_copy && task->tgid == target_tgid && offcpu_send(&o))
		o.part |= PT_OFFCPU_DWARF;
	if (bpf_map_update_elem(&offcpu, &tid, &o, BPF_ANY))
		refuse_thread(task);
}

/* The time of a switch-out sent as a dwarf sample. */
static __always_inline void offcpu_weigh(__u32 tid, const struct pt_offcpu *o,
					 __u64 wait, __u64 runq)
{
	struct pt_uweight w = { .kind = PT_UREC_WEIGHT,
				.tid = tid,
				.out_ns = o->out_ns,
				.wait_ns = wait,
				.runq_ns = runq };

	if (bpf_ringbuf_output(&offcpu_usamples, &w, sizeof(w),
			       offcpu_wake_flags()))
		count_lost(PT_LOST_USAMPLES, 1);
}

/* Target thread tid runs again: its off-CPU time goes to the stack it
 * left with, split into the wait itself and the run-queue wait after its
 * wakeup. */
static __always_inline void offcpu_in(__u32 tid, __u32 tgid, __u64 now)
{
	struct pt_offcpu *o = bpf_map_lookup_elem(&offcpu, &tid);
	struct pt_sample_key key = {};
	__u64 wake;

	if (!o)
		return;
	if (now <= o->out_ns || o->out_ns < offcpu_since_ns ||
	    offcpu_since_ns == ~0ULL) {
		bpf_map_delete_elem(&offcpu, &tid);
		return;
	}
	key.stage = o->stage;
	key.tgid = tgid;
	key.ustack = o->ustack;
	key.kstack = o->kstack;
	wake = o->wake_ns && o->wake_ns >= o->out_ns && o->wake_ns <= now ?
		       o->wake_ns :
		       now;
	key.part = o->part & ~PT_OFFCPU_DWARF;
	if (o->part & PT_OFFCPU_DWARF) {
		offcpu_weigh(tid, o, wake - o->out_ns, now - wake);
		bpf_map_delete_elem(&offcpu, &tid);
		return;
	}
	if (wake > o->out_ns)
		add_sample(&key, wake - o->out_ns);
	if (now > wake) {
		key.part = PT_PART_RUNQ;
		add_sample(&key, now - wake);
	}
	bpf_map_delete_elem(&offcpu, &tid);
}

/* ------------------------------------------------------------ switches */

/* How far past a probed address the thread resumes after its probe: the
 * length of the probed instruction, emulated or stepped. */
#define PROBE_RESUME_MAX 16
/* The size of the uprobe area (return trampoline, step slots). */
#define XOL_AREA_SIZE 4096
/* The most time from an entry probe's program to a switch-out on that
 * probe's way back to user mode (the rest of the trap, then schedule():
 * a few us). Later, the thread has run its own code since. */
#define PROBE_BACK_NS 20000

/* How far below a return instance's slot (the stack pointer at its call's
 * entry) the return trampoline's pushes take the stack pointer before its
 * uretprobe syscall (three registers, less the popped return address). */
#define TRAMP_PUSH_MAX 16

/*
 * Whether thread task, in the uprobe area with stack pointer sp, waits
 * there inside its innermost call f's own probe. Stepping a probed
 * instruction out of line (the kernel marks that in utask->state): f's own
 * entry if at f's entry stack pointer; a call f makes (free's entry, say,
 * under --alloc) is below it, and an exit site of f's was passed after f's
 * frame was popped. Else in the return trampoline: f's own exit if the
 * return the trampoline takes next (the newest pending return instance) is
 * f's and the thread has not made its uretprobe syscall yet (its stack
 * pointer is still at that return's slot, less the trampoline's pushes).
 * Not a return from a call f made (malloc's, under --alloc), nor the
 * trampoline's way out after the syscall handled a return (it then runs
 * on the frame returned from, the instance already gone).
 */
static __always_inline bool in_own_xol(struct task_struct *task,
				       const struct pt_frame *f, __u64 sp)
{
	struct uprobe_task *ut = BPF_CORE_READ(task, utask);
	struct return_instance *ri;
	__u64 slot;

	if (!ut)
		return false;
	if (BPF_CORE_READ(ut, state) != UTASK_RUNNING)
		return sp >= f->sp;
	ri = BPF_CORE_READ(ut, return_instances);
	if (!ri)
		return false;
	slot = BPF_CORE_READ(ri, stack);
	return slot >= f->sp && sp + TRAMP_PUSH_MAX >= slot;
}

/*
 * Whether target thread task, inside a stage (t), is being switched out at
 * now inside its innermost call's own probes: on its way back from the
 * entry probe (just past the probed address, before it ran any code of its
 * own: no switch-in since the entry and within PROBE_BACK_NS of it; a loop
 * at the function's top is the call's own code) or in the uprobe area (see
 * in_own_xol()). Preempted there, it waits for the probe, outside the
 * function's own clock.
 */
static __always_inline bool in_probe(struct task_struct *task,
				     const struct pt_thread *t, __u64 now)
{
	const struct pt_frame *f;
	struct pt_regs *regs;
	__u64 ip, sp, xol;

	if (!t->depth || t->depth > PT_MAX_DEPTH)
		return false;
	f = &t->frames[(t->depth - 1) & (PT_MAX_DEPTH - 1)];
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return false;
	ip = BPF_CORE_READ(regs, ip);
	sp = BPF_CORE_READ(regs, sp);
	xol = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	if (xol && ip - xol < XOL_AREA_SIZE)
		return in_own_xol(task, f, sp);
	return t->entry_ip && ip - t->entry_ip < PROBE_RESUME_MAX && t->in_ns &&
	       t->in_ns <= f->start_ns && now >= f->start_ns &&
	       now - f->start_ns < PROBE_BACK_NS;
}

/*
 * Target thread t, preempted inside its innermost call's probe at
 * t->probe_out_ns, runs again: that wait is the probe's, taken out of the
 * call (pt_frame.wait_ns) and charged where the thread was before the
 * call, the enclosing stage or none (whose own clocks did run).
 */
static __always_inline void end_probe_wait(struct pt_thread *t, __u64 now)
{
	__u32 d = t->depth;
	struct pt_stage_time *st = NULL;
	__u64 delta;

	t->probe_out_ns = 0;
	if (now <= t->last_ns)
		return;
	delta = now - t->last_ns;
	t->last_ns = now;
	if (d >= 1 && d <= PT_MAX_DEPTH)
		t->frames[(d - 1) & (PT_MAX_DEPTH - 1)].wait_ns += delta;
	t->in_part = PT_PART_RUNQ; /* for cpu_time_fix() */
	t->in_delta_ns = delta;
	t->in_stage = PT_MAX_STAGES;
	if (d >= 2 && d <= PT_MAX_DEPTH) {
		t->in_stage = t->frames[(d - 2) & (PT_MAX_DEPTH - 1)].stage;
		st = time_of(t->in_stage);
	}
	t->in_busy = st != NULL;
	if (!st) {
		t->idle_ns[PT_PART_RUNQ] += delta;
		return;
	}
	t->busy_ns[PT_PART_RUNQ] += delta;
	st->part_ns[PT_PART_RUNQ] += delta;
}

/*
 * Moves up to ns of thread t's time, charged on this CPU to part from of
 * stage (inside a stage if busy), to part to: the parts still add up.
 * Returns how much of the thread's time moved. A subprogram (how: busy <<
 * 16 | from << 8 | to, five arguments at most): inlined at its calls it
 * was a third of sched_switch's verification.
 */
static __noinline __u64 move_time_sub(struct pt_thread *t, __u32 stage,
				      __u32 how, __u64 ns)
{
	__u32 from = (how >> 8) & 0xff, to = how & 0xff;
	bool busy = how >> 16;
	struct pt_stage_time *st;
	__u64 *parts = busy ? t->busy_ns : t->idle_ns;

	if (from >= PT_PART_NR || to >= PT_PART_NR || from == to || !ns)
		return 0;
	if (parts[from] < ns)
		ns = parts[from];
	parts[from] -= ns;
	parts[to] += ns;
	st = busy ? time_of(stage) : NULL;
	if (!st)
		return ns;
	/* Per CPU: the charge being undone was this CPU's. */
	if (st->part_ns[from] < ns) {
		st->part_ns[to] += st->part_ns[from];
		st->part_ns[from] = 0;
		return ns;
	}
	st->part_ns[from] -= ns;
	st->part_ns[to] += ns;
	return ns;
}

static __always_inline __u64 move_time(struct pt_thread *t, __u32 stage,
				       bool busy, __u32 from, __u32 to,
				       __u64 ns)
{
	if (from >= PT_PART_NR || to >= PT_PART_NR || from == to || !ns)
		return 0;
	return move_time_sub(t, stage, (busy ? 1u << 16 : 0) | from << 8 | to,
			     ns);
}

/*
 * Target thread t, on CPU since its switch-in, leaves it at now (its time
 * charged up to now; out_ns of it since its last event, on CPU). The
 * kernel counts a thread's CPU time (se.sum_exec_runtime, the CPU clock
 * a program reads) from the clock it took at the start of the schedule()
 * that picked it, not from the switch tracepoint, and up to the clock at
 * the start of the schedule() that takes it off: per switch some us of
 * difference, which do not cancel (new-idle balancing between the two
 * when a CPU pulls a thread: ~8% more than the tracepoints' difference
 * for a thread that naps every few hundred us, on a loaded 2-CPU VM).
 * And the scheduler's clock can lag the monotonic one by up to a tick
 * and catch up later (an unstable sched_clock, kept within a tick of
 * the time of day), so one interval can read ms less CPU time than its
 * tracepoints and a later one ms more.
 * Makes the interval's on-CPU time the kernel's: more is taken from what
 * was charged just before the switch-in (its run-queue wait, most
 * often), less goes to what follows the switch-out (part to). What that
 * wait or the interval's last on-CPU charge cannot give is carried to
 * the thread's next switch-outs, so that its on-CPU time stays the
 * kernel's over its life.
 */
static __noinline int cpu_time_fix_sub(struct pt_thread *t,
				       struct task_struct *prev, __u64 now,
				       __u64 out_ns, __u32 parts)
{
	__u32 on_part = parts >> 8, to = parts & 0xff;
	__u64 sum = prev->se.sum_exec_runtime, n;
	__s64 diff;

	if (!t->in_ns || now <= t->in_ns || sum < t->in_cpu_ns)
		return 0;
	diff = (__s64)(sum - t->in_cpu_ns) - (__s64)(now - t->in_ns) +
	       t->cpu_carry_ns;
	if (diff > 0) {
		n = (__u64)diff < t->in_delta_ns ? (__u64)diff : t->in_delta_ns;
		diff -= (__s64)move_time(t, t->in_stage, t->in_busy, t->in_part,
					 on_part, n);
	} else if (diff < 0) {
		n = (__u64)-diff < out_ns ? (__u64)-diff : out_ns;
		diff += (__s64)move_time(t, innermost(t), t->depth > 0, on_part,
					 to, n);
	}
	t->cpu_carry_ns = diff;
	return 0;
}

/* A subprogram (five arguments at most: on_part << 8 | to). */
static __always_inline void cpu_time_fix(struct pt_thread *t,
					 struct task_struct *prev, __u64 now,
					 __u64 out_ns, __u32 on_part, __u32 to)
{
	cpu_time_fix_sub(t, prev, now, out_ns,
			 (on_part & 0xff) << 8 | (to & 0xff));
}

/*
 * Target thread t, woken, runs again (next, switched in at now; its wait
 * since the wakeup charged to the run queue, t->in_delta_ns, and before
 * it t->wake_delta_ns to t->off_part). The kernel's run-queue wait
 * (sched_info, kept when delay accounting or schedstats is on) runs in
 * the scheduler's clock from its enqueue to the clock of the schedule()
 * that picks it: where that clock lags the monotonic one (up to a tick,
 * see cpu_time_fix()) the two differ by ms. Makes the run-queue part the
 * kernel's, moving time between it and the blocked part, within the
 * whole wait; the kernel's CPU time then starts where that wait ends, so
 * cpu_time_fix() takes more of it from the blocked part, not from the run
 * queue. Only where the kernel marked the thread's last interval on CPU
 * (PT_RQ_KERNEL): with its accounting off, last_queued is stale.
 */
static __always_inline void runq_time_fix(struct pt_thread *t,
					  struct task_struct *next)
{
	/* The clock of this CPU's run queue, which it runs on. */
	__u64 clock = BPF_CORE_READ(next, se.cfs_rq, rq, clock);
	__u64 queued = next->sched_info.last_queued;
	__u64 rd = next->sched_info.run_delay, krq, n;
	__u32 blocked = t->off_part;

	if (!(t->rq_flags & PT_RQ_KERNEL) || t->in_part != PT_PART_RUNQ ||
	    blocked >= PT_PART_NR || blocked == PT_PART_RUNQ || !queued ||
	    clock <= queued || rd < t->wake_rd_ns)
		return;
	/* Migrated while queued: the kernel adds the wait in pieces. */
	krq = clock - queued + (rd - t->wake_rd_ns);
	if (krq > t->in_delta_ns) {
		n = krq - t->in_delta_ns;
		n = move_time(t, t->in_stage, t->in_busy, blocked, PT_PART_RUNQ,
			      n < t->wake_delta_ns ? n : t->wake_delta_ns);
		t->wake_delta_ns -= n;
	} else {
		n = move_time(t, t->in_stage, t->in_busy, PT_PART_RUNQ, blocked,
			      t->in_delta_ns - krq);
		t->wake_delta_ns += n;
	}
	t->in_part = blocked;
	t->in_delta_ns = t->wake_delta_ns;
}

/*
 * Target thread t, blocked for all pipetrace saw, leaves the CPU: its
 * wakeup and its switch-in both went unseen (UNSEEN_WAKEUP). What the
 * kernel's run-queue wait (sched_info.run_delay) grew by since its block
 * is moved from the blocked part to the run queue. Not only from the
 * span just charged: its syscalls and probes since its switch-in charged
 * the wait before them blocked already.
 */
static __always_inline void unseen_switch_in(struct pt_thread *t,
					     struct task_struct *prev)
{
	__u64 rd = prev->sched_info.run_delay;

	if (rd <= t->wake_rd_ns || t->off_part >= PT_PART_NR ||
	    t->off_part == PT_PART_RUNQ)
		return;
	move_time(t, innermost(t), t->depth > 0, t->off_part, PT_PART_RUNQ,
		  rd - t->wake_rd_ns);
}

/* Target thread prev leaves the CPU: runnable if preempted, else blocked
 * (and on what). */
static __noinline void switch_out(void *ctx, struct task_struct *prev,
				  bool preempt, unsigned int prev_state,
				  __u64 now)
{
	struct pt_thread *t = get_thread(prev, GET_CREATE, PT_T_ONCPU, now);
	struct pt_stage_time *st;
	__u64 out_ns;
	__u32 on_part;

	if (!t)
		return;
	out_ns = t->state == PT_T_ONCPU && now > t->last_ns ? now - t->last_ns :
							      0;
	on_part = part_now(t);
	account(t, now);
	if (t->state == PT_T_BLOCKED)
		unseen_switch_in(t, prev);
	st = time_of(innermost(t));
	if (preempt || prev_state == 0) {
		if (in_probe(prev, t, now))
			t->probe_out_ns = now;
		else
			t->entry_ip = 0; /* it has left the entry probe */
		t->state = PT_T_RUNNABLE;
		if (st)
			st->invol_switches++;
	} else {
		t->state = PT_T_BLOCKED;
		t->off_part = off_part(prev, t, prev_state);
		/* Its wakeup reads it again; used if that goes unseen. */
		t->wake_rd_ns = prev->sched_info.run_delay;
		if (st)
			st->vol_switches++;
		if (t->off_part == PT_PART_IO)
			pipes_out(prev, innermost(t), now);
	}
	if (on_part == PT_PART_USER || on_part == PT_PART_SYS)
		cpu_time_fix(t, prev, now, out_ns, on_part, part_now(t));
	/* The kernel's run-queue accounting is on if it marked this
	 * interval's start. */
	if (t->in_ns && prev->sched_info.last_arrival != t->in_arrival_ns)
		t->rq_flags = PT_RQ_KERNEL;
	else
		t->rq_flags = 0;
	t->in_ns = 0;
	/* Every traced process's (each named by its own maps). */
	if (offcpu_stacks && traced_tgid(prev->tgid))
		offcpu_out(ctx, prev, t, now);
}

/*
 * Target thread t, blocked for all pipetrace saw, runs again at now: its
 * wakeup went unseen (UNSEEN_WAKEUP). Its wait up to now is charged
 * blocked, and it is taken as woken now, so that runq_time_fix() moves
 * the kernel's run-queue part of that wait (from its enqueue,
 * sched_info.last_queued) out of the blocked part, as after a wakeup
 * seen late.
 */
static __always_inline void unseen_wakeup(struct pt_thread *t, __u64 now)
{
	__u64 blocked = now > t->last_ns ? now - t->last_ns : 0;

	account(t, now);
	t->state = PT_T_RUNNABLE;
	t->rq_flags |= PT_RQ_WOKEN;
	t->wake_delta_ns = blocked;
	/* wake_rd_ns: the run_delay its switch-out read. */
}

/* Target thread next runs. */
static __noinline void switch_in(struct task_struct *next, __u64 now)
{
	struct pt_thread *t = get_thread(next, GET_CREATE, PT_T_RUNNABLE, now);

	if (!t)
		return;
	if (t->state == PT_T_BLOCKED)
		unseen_wakeup(t, now);
	if (offcpu_stacks)
		offcpu_in(next->pid, next->tgid, now);
	pipes_in(next->pid, now, offcpu_since_ns);
	/* What the wait before it was charged, for cpu_time_fix(). */
	t->in_part = part_now(t);
	t->in_stage = innermost(t);
	t->in_busy = t->depth > 0;
	t->in_delta_ns = now > t->last_ns ? now - t->last_ns : 0;
	if (t->probe_out_ns) {
		end_probe_wait(t, now); /* sets them for its own charge */
	} else {
		account(t, now);
		if (t->rq_flags & PT_RQ_WOKEN)
			runq_time_fix(t, next);
	}
	t->rq_flags &= ~PT_RQ_WOKEN;
	t->in_arrival_ns = next->sched_info.last_arrival;
	t->in_ns = now;
	t->in_cpu_ns = next->se.sum_exec_runtime;
	t->state = PT_T_ONCPU;
	t->unseen = 0;
	bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), next->comm);
}

/* What a switch with a traced side does (a subprogram of its own: the
 * untraced switch runs none of its code, its stack frame included). */
#define SW_PREEMPT 1
#define SW_OUT 2
#define SW_IN 4
static __noinline int switch_traced(void *ctx, struct task_struct *prev,
				    struct task_struct *next,
				    unsigned int prev_state, __u32 how)
{
	__u64 now = bpf_ktime_get_ns();

	if (how & SW_OUT)
		switch_out(ctx, prev, how & SW_PREEMPT, prev_state, now);
	if (how & SW_IN)
		switch_in(next, now);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u32 how = (traced_tgid(prev->tgid) ? SW_OUT : 0) |
		    (traced_tgid(next->tgid) ? SW_IN : 0);

	if (!how)
		return 0;
	return switch_traced(ctx, prev, next, prev_state,
			     how | (preempt ? SW_PREEMPT : 0));
}

/* ------------------------------------------------------------- wakeups */

/*
 * A traced thread's wakeup (a subprogram: see switch_traced()).
 *
 * UNSEEN_WAKEUP: a target thread's wakeup is not always seen. Under load
 * (tests/gen seed 10554 beside `make test`, CPU hogs and a fork loop) a
 * gen thread blocked in clock_nanosleep was switched in with no
 * sched_wakeup seen, by this program or by bpftrace's
 * sched:sched_wakeup, while the kernel had queued it (last_queued set)
 * and added ms to its run_delay; once its switch-in went unseen too. The
 * kernel skips a tp_btf program already running on the CPU (bpftool
 * showed recursion_misses on pipetrace's sched_wakeup), likely the cause.
 * Such a thread passed for blocked until its next switch, its run-queue
 * wait charged to sleep; switch_in() and switch_out() now take that wait
 * from the kernel's books (unseen_wakeup(), unseen_switch_in()).
 */
static __noinline int wakeup_traced(struct task_struct *p, int mode)
{
	struct pt_thread *t;
	__u64 now, blocked;

	now = bpf_ktime_get_ns();
	t = get_thread(p, mode, PT_T_RUNNABLE, now);
	if (t && t->state == PT_T_BLOCKED) {
		blocked = now > t->last_ns ? now - t->last_ns : 0;
		account(t, now);
		/* Its switch-in on another CPU may have run since the test
		 * above (the waker enqueues it before this program runs):
		 * then it stays on CPU, not runnable while it runs. */
		if (__sync_val_compare_and_swap(&t->state, PT_T_BLOCKED,
						PT_T_RUNNABLE) ==
		    PT_T_BLOCKED) {
			t->rq_flags |= PT_RQ_WOKEN;
			t->wake_delta_ns = blocked;
			t->wake_rd_ns = p->sched_info.run_delay;
		}
		pipes_wake(p->pid, now);
		if (offcpu_stacks) {
			__u32 tid = p->pid;
			struct pt_offcpu *o =
				bpf_map_lookup_elem(&offcpu, &tid);

			if (o && !o->wake_ns)
				o->wake_ns = now;
		}
	}
	return 0;
}

static __always_inline int wakeup(struct task_struct *p, int mode)
{
	if (!traced_tgid(p->tgid))
		return 0;
	return wakeup_traced(p, mode);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	/* Never creates: a wakeup can race with a thread that has not gone to
	 * sleep yet, which would then pass for runnable while it runs. Its
	 * switch-in or first syscall will find it. */
	return wakeup(p, GET_ONLY);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	return wakeup(p, GET_CREATE);
}

/* ---------------------------------------------------------------- exits */

/* Reads the exiting process's RSS, as /proc/PID/status would show it. */
static __always_inline void read_exit_mem(struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__s64 pages = 0, c;
	int i;

	if (!mm)
		return;
	for (i = 0; i < 4; i++) {
		c = BPF_CORE_READ(mm, rss_stat[i].count);
		/* MM_SWAPENTS (2) is not resident. */
		if (i != 2 && c > 0)
			pages += c;
	}
	exit_mem.rss_pages = pages;
	exit_mem.hiwater_pages = BPF_CORE_READ(mm, hiwater_rss);
	if ((__u64)pages > exit_mem.hiwater_pages)
		exit_mem.hiwater_pages = pages;
	exit_mem.seen = 1;
}

/* Adds thread t's figures to s (atomically: exited_rest is shared). */
static __always_inline void add_sum(struct pt_thread_sum *s,
				    const struct pt_thread *t)
{
	int i;

	__sync_fetch_and_add(&s->threads, 1);
	for (i = 0; i < PT_PART_NR; i++) {
		__sync_fetch_and_add(&s->busy_ns[i], t->busy_ns[i]);
		__sync_fetch_and_add(&s->idle_ns[i], t->idle_ns[i]);
	}
}

/* Moves pair (tid, stage i) into (0, i): bpf_loop's callback. */
static long fold_pair(__u64 i, void *ctx)
{
	struct pt_thread_stage key = { .tid = *(__u32 *)ctx, .stage = i };
	struct pt_thread_stage rest = { .tid = 0, .stage = i };
	__u64 *v = bpf_map_lookup_elem(&thread_stage, &key), wall, zero = 0;

	if (!v)
		return 0;
	wall = *v;
	/* Deleted first: the slot it frees takes tid 0's pair if new. */
	bpf_map_delete_elem(&thread_stage, &key);
	bpf_map_update_elem(&thread_stage, &rest, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&thread_stage, &rest);
	if (v)
		__sync_fetch_and_add(v, wall);
	else
		count_lost(PT_LOST_PAIRS_FULL, 1);
	return 0;
}

/* Keeps exited thread tid's figures: its own row while thread_done has
 * room (a reused tid adds to its row), else summed into exited_rest with
 * its pairs folded into tid 0's. */
static __always_inline void keep_exited(__u32 tid, const struct pt_thread *t)
{
	struct pt_thread_sum *s = bpf_map_lookup_elem(&thread_done, &tid);

	if (!s) {
		bpf_map_update_elem(&thread_done, &tid, &zero_sum, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&thread_done, &tid);
	}
	if (s) {
		__builtin_memcpy(s->comm, t->comm, sizeof(s->comm));
		s->tgid = t->tgid;
		add_sum(s, t);
		return;
	}
	add_sum(&exited_rest, t);
	bpf_loop(nstages, fold_pair, &tid, 0);
}

/* Why calls still open when task exits are lost: unwound past if the
 * thread ends alone (cancelled, pthread_exit), unmatched if the process
 * exits (its last thread, or exit_group with others). */
static __always_inline __u32 open_at_exit(struct task_struct *task,
					  bool group_dead)
{
	if (group_dead ||
	    (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT))
		return PT_LOST_UNMATCHED;
	return PT_LOST_UNWOUND;
}

/* The calls an exiting thread leaves open, closed at `now`. */
struct open_calls {
	const struct pt_thread *t;
	__u64 now;
	__u32 tid, tgid;
};

/* Frame i of an exiting thread (bpf_loop's callback): a call that never
 * returns. Its time so far joins its stage's, its thread's and its
 * process's wall time, as a report charges a call still open (pending.c):
 * the time split has it already, and wall and self stay sums of the same
 * spans. It is no call: calls and latencies are those that returned. */
static long close_open(__u64 i, void *ctx)
{
	const struct open_calls *c = ctx;
	struct pt_proc_stage_key pkey = { .tgid = c->tgid };
	const struct pt_frame *f;
	struct pt_stage_stats *s;
	struct pt_proc_stats *p;
	__u32 stage;
	__u64 lat;

	if (i >= PT_MAX_DEPTH)
		return 1;
	f = &c->t->frames[i];
	stage = f->stage;
	if (!f->outermost || stage >= PT_MAX_STAGES || c->now <= f->start_ns)
		return 0;
	lat = c->now - f->start_ns;
	s = bpf_map_lookup_elem(&stats, &stage);
	if (s)
		s->wall_ns += lat;
	add_pair(c->tid, stage, lat);
	pkey.stage = stage;
	p = procs_on ? bpf_map_lookup_elem(&proc_stats, &pkey) : NULL;
	if (p)
		p->wall_ns += lat;
	return 0;
}

/*
 * One goroutine's calls still open when the target exits (for each entry
 * of goroutines): unmatched, as a thread's are at its process's exit,
 * their time joining their stages' wall time (their time is not split by
 * cause, so there is no own time to match); its entry freed.
 */
static long close_goroutine(struct bpf_map *map, __u64 *g, struct go_state *s,
			    __u64 *now)
{
	__u32 d = s->depth < PT_MAX_DEPTH ? s->depth : PT_MAX_DEPTH, k, stage;
	const struct go_frame *f;
	struct pt_stage_stats *st;

	for (k = 0; k < PT_MAX_DEPTH; k++) {
		if (k >= d)
			break;
		f = &s->frames[k];
		stage = f->stage;
		if (!f->outermost || stage >= PT_MAX_STAGES ||
		    *now <= f->start_ns)
			continue;
		st = bpf_map_lookup_elem(&stats, &stage);
		if (st)
			st->wall_ns += *now - f->start_ns;
	}
	count_lost(PT_LOST_UNMATCHED, d);
	bpf_map_delete_elem(map, g);
	return 0;
}

/*
 * Target thread t exits, on CPU: cpu_time_fix() runs at switch-outs and
 * the thread's slot is gone by its final one, so what it carries there
 * (the kernel's CPU time beyond the tracepoints' that the wait before an
 * interval could not give) stayed charged to that wait. A positive carry
 * is settled here from the wait before this last interval, as a
 * switch-out would. Not this interval's own difference: the CPU time read
 * at exit lacks the running slice (the kernel adds it at the final
 * switch), so it reads short of the tracepoints by up to a tick.
 */
static __always_inline void exit_cpu_fix(struct pt_thread *t)
{
	__u32 on_part = part_now(t);
	__s64 c = t->cpu_carry_ns;
	__u64 n;

	if (c <= 0 || t->state != PT_T_ONCPU || !t->in_ns ||
	    (on_part != PT_PART_USER && on_part != PT_PART_SYS))
		return;
	n = (__u64)c < t->in_delta_ns ? (__u64)c : t->in_delta_ns;
	t->cpu_carry_ns -= (__s64)move_time(t, t->in_stage, t->in_busy,
					    t->in_part, on_part, n);
}

/* A target thread exits: close its time, count calls that never returned,
 * keep its figures for the report and free its slot for another thread
 * (get_thread() creates none for it after this). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task, bool group_dead)
{
	__u32 tid = task->pid;
	struct pt_thread *t;
	__u64 now;

	if (!traced_tgid(task->tgid))
		return 0;
	now = bpf_ktime_get_ns();
	t = get_thread(task, GET_ONLY, PT_T_ONCPU, now);
	if (group_dead)
		read_exit_mem(task);
	/* Go stages are the target's alone (stage_go.bpf.c). */
	if (go_on && group_dead && task->tgid == target_tgid &&
	    phase == PT_PHASE_ARMED)
		bpf_for_each_map_elem(&goroutines, close_goroutine, &now, 0);
	bpf_map_delete_elem(&alloc_calls, &tid);
	bpf_map_delete_elem(&offcpu, &tid);
	if (!t)
		return 0;
	account(t, now);
	exit_cpu_fix(t);
	if (t->depth && phase == PT_PHASE_ARMED) {
		struct open_calls c = {
			.t = t, .now = now, .tid = tid, .tgid = task->tgid
		};
		__u32 n = t->depth < PT_MAX_DEPTH ? t->depth : PT_MAX_DEPTH;

		count_lost(open_at_exit(task, group_dead), n);
		bpf_loop(n, close_open, &c, 0);
	}
	keep_exited(tid, t);
	bpf_map_delete_elem(&threads, &tid);
	return 0;
}
