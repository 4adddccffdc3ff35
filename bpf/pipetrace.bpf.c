// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * pipetrace.bpf.c - per-stage latency and where each stage's time goes,
 * aggregated in the kernel.
 *
 * Stage calls: one entry program (uprobe) and one exit program (uretprobe)
 * serve every stage; each attachment carries the stage id as its BPF cookie.
 * Per thread we keep the stack of active stage calls; at exit the call's
 * latency goes into the stage's per-CPU counters and log-linear histogram.
 *
 * Time split: every event that changes what a target thread is doing (stage
 * entry or exit, syscall entry or exit, switch out or in, wakeup) first
 * charges the time since the thread's previous event to its innermost
 * active stage (or to the thread's idle time), in the part the thread was
 * in: user or sys on CPU, or io/lock/sleep/other when blocked, or runq.
 * Nothing is streamed: userspace reads the maps when it reports.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pipetrace_abi.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define TASK_UNINTERRUPTIBLE 0x2
/* A trampoline entry older than this is not the return being handled. */
#define RET_FRESH_NS 50000

/* ------------------------------------------------------------ configuration */

/* Set before load. */
const volatile __u8 stage_items_mode[PT_MAX_STAGES] = {};
const volatile __u8 syscall_class[PT_MAX_SYSCALL] = {};

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
	__uint(max_entries, 1); /* resized to the number of stages + 1 */
	__type(key, __u32);
	__type(value, struct pt_stage_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of stages + 1 */
	__type(key, __u32);
	__type(value, struct pt_stage_time);
} stage_time SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * PT_DEFAULT_MAX_THREADS);
	__type(key, struct pt_thread_stage);
	__type(value, __u64);
} thread_stage SEC(".maps");

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

/* How get_thread() treats a thread it does not know. */
enum get_mode {
	GET_ONLY = 0, /* return NULL */
	GET_CREATE = 1, /* create it; an exited one stays exited (its last
			 * switch-out comes after its exit) */
	GET_REUSE = 2, /* create it, or start afresh over an exited one: the
			* thread is alive, so its id was reused */
};

/*
 * The state of target thread tid, created in `state` at `now` as mode says.
 * NULL if unknown, exited, or the map is full (counted).
 */
static __always_inline struct pt_thread *get_thread(__u32 tid, int mode,
						    __u32 state, __u64 now)
{
	struct pt_thread *t = bpf_map_lookup_elem(&threads, &tid);

	if (t && !t->exited)
		return t;
	if (mode == GET_ONLY || (t && mode != GET_REUSE))
		return NULL;
	/* New, or a thread id reused after an exit: start afresh. */
	if (bpf_map_update_elem(&threads, &tid, &zero_thread, BPF_ANY)) {
		count_lost(PT_LOST_THREADS_FULL, 1);
		return NULL;
	}
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return NULL;
	t->sys_nr = -1;
	t->state = state;
	t->last_ns = now;
	return t;
}

/* The current thread's state if it belongs to the target, else NULL. */
static __always_inline struct pt_thread *current_thread(bool create, __u64 now)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pt_thread *t;

	if (!target_tgid || (__u32)(pid_tgid >> 32) != target_tgid)
		return NULL;
	t = get_thread((__u32)pid_tgid, create ? GET_REUSE : GET_ONLY,
		       PT_T_ONCPU, now);
	if (t && create && !t->comm[0])
		bpf_get_current_comm(t->comm, sizeof(t->comm));
	return t;
}

static __always_inline __u32 sys_class(__s32 nr)
{
	if (nr < 0 || nr >= PT_MAX_SYSCALL)
		return PT_SYS_NONE;
	return syscall_class[nr & (PT_MAX_SYSCALL - 1)];
}

/* The innermost stage active on t, or PT_MAX_STAGES when none is. */
static __always_inline __u32 innermost(const struct pt_thread *t)
{
	__u32 d = t->depth;

	if (d == 0)
		return PT_MAX_STAGES;
	if (d > PT_MAX_DEPTH)
		d = PT_MAX_DEPTH;
	return t->frames[(d - 1) & (PT_MAX_DEPTH - 1)].stage;
}

static __always_inline struct pt_stage_time *time_of(__u32 stage)
{
	if (stage >= PT_MAX_STAGES)
		return NULL;
	return bpf_map_lookup_elem(&stage_time, &stage);
}

/* Charges the time since t's last event to where t has been since. */
static __always_inline void account(struct pt_thread *t, __u64 now)
{
	struct pt_stage_time *st;
	__u64 delta;
	__u32 part;

	if (now <= t->last_ns)
		return;
	delta = now - t->last_ns;
	t->last_ns = now;
	if (t->state == PT_T_ONCPU)
		part = t->sys_nr >= 0 ? PT_PART_SYS : PT_PART_USER;
	else if (t->state == PT_T_RUNNABLE)
		part = PT_PART_RUNQ;
	else
		part = t->off_part;
	if (part >= PT_PART_NR)
		part = PT_PART_OTHER;
	if (t->depth == 0) {
		t->idle_ns[part] += delta;
		return;
	}
	t->busy_ns[part] += delta;
	st = time_of(innermost(t));
	if (st)
		st->part_ns[part] += delta;
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

static __always_inline void record_call(__u32 stage, __u64 lat, __u64 bias,
					bool outermost, __u64 ret)
{
	struct pt_stage_stats *s = bpf_map_lookup_elem(&stats, &stage);
	__u32 b;

	if (!s)
		return;
	s->calls++;
	s->lat_sum_ns += lat;
	s->bias_ns += bias;
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

/* Adds an outermost call's wall time to its (thread, stage) pair. */
static __always_inline void add_pair(__u32 tid, __u32 stage, __u64 lat)
{
	struct pt_thread_stage key = { .tid = tid, .stage = stage };
	__u64 *v = bpf_map_lookup_elem(&thread_stage, &key);

	if (v) {
		*v += lat;
		return;
	}
	if (bpf_map_update_elem(&thread_stage, &key, &lat, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&thread_stage, &key))
		count_lost(PT_LOST_PAIRS_FULL, 1);
}

/* ------------------------------------------------------------ stage calls */

SEC("uprobe")
int BPF_KPROBE(stage_enter)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 stage = (__u32)bpf_get_attach_cookie(ctx);
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
	/* From where the time charged to it starts (see stage_exit). */
	f->start_ns = t->last_ns > now ? t->last_ns : now;
	t->depth = d + 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(stage_exit)
{
	__u64 now = bpf_ktime_get_ns(), end;
	__u64 ret = PT_REGS_RC(ctx);
	__u32 stage = (__u32)bpf_get_attach_cookie(ctx);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_thread *t;
	struct pt_frame *f;
	__u64 lat, bias;
	__u32 d, top, k, idx, found = PT_MAX_DEPTH;
	bool outermost;

	if (stage >= PT_MAX_STAGES)
		return 0;
	t = current_thread(false, now);
	if (!t)
		return 0;
	/*
	 * End the call where the return trampoline entered the kernel, if it
	 * did so just now for this return (kernels without the uretprobe
	 * syscall trap instead) and nothing was charged since; the kernel's
	 * return handling after it is the probe's time, not the program's.
	 */
	end = now;
	if (t->ret_ns && t->ret_ns <= now && now - t->ret_ns < RET_FRESH_NS &&
	    t->last_ns <= t->ret_ns)
		end = t->ret_ns;
	t->ret_ns = 0;
	d = t->depth;
	if (d == 0) {
		/* Entered while attaching, or its entry was dropped. */
		if (phase == PT_PHASE_ARMED)
			count_lost(PT_LOST_UNMATCHED, 1);
		return 0;
	}
	account(t, end);
	/*
	 * Whatever was charged to the stage counts in its latency, so that
	 * the parts always add up to it: time charged past end (clocks of
	 * two CPUs a little apart after a migration) moves end forward.
	 */
	if (t->last_ns > end)
		end = t->last_ns;
	if (t->last_ns < now)
		t->last_ns = now; /* the probe's return: nobody's time */
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

	lat = end > f->start_ns ? end - f->start_ns : 0;
	bias = stage_bias_ns[stage & (PT_MAX_STAGES - 1)];
	if (bias > lat)
		bias = lat;
	lat -= bias;
	outermost = f->outermost;
	record_call(stage, lat, bias, outermost, ret);
	if (outermost)
		add_pair(tid, stage, lat);
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
	return 0;
}

/* --------------------------------------------------------------- syscalls */

/* tp_btf programs need no tracefs mounted, unlike tp/. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 now = bpf_ktime_get_ns();
	struct pt_thread *t;

	if (sys_class((__s32)id) == PT_SYS_PROBE) {
		/* A probed function has just returned into the trampoline:
		 * the call ends here, before the kernel's return handling
		 * (and any preemption in it). */
		t = current_thread(false, now);
		if (t)
			t->ret_ns = now;
		return 0;
	}
	t = current_thread(true, now);
	if (!t)
		return 0;
	account(t, now);
	t->sys_nr = (__s32)id;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 now = bpf_ktime_get_ns();
	struct pt_thread *t = current_thread(false, now);
	struct pt_stage_time *st;
	__u32 cls;

	if (!t)
		return 0;
	/* A return trampoline's syscall ends here, whoever's probe it was. */
	t->ret_ns = 0;
	if (t->sys_nr < 0)
		return 0;
	account(t, now);
	cls = sys_class(t->sys_nr);
	t->sys_nr = -1;
	if (cls == PT_SYS_NONE || cls == PT_SYS_LOCK || cls == PT_SYS_SLEEP)
		return 0;
	st = time_of(innermost(t));
	if (!st)
		return 0;
	st->io_syscalls++;
	if (cls == PT_SYS_READ && ret > 0)
		st->read_bytes += ret;
	else if (cls == PT_SYS_WRITE && ret > 0)
		st->write_bytes += ret;
	else if (cls == PT_SYS_FSYNC)
		st->fsyncs++;
	return 0;
}

/* -------------------------------------------------------------- scheduler */

/* Why a thread that blocks is off CPU, from its syscall and state. */
static __always_inline __u32 off_part(const struct pt_thread *t,
				      unsigned int prev_state)
{
	switch (sys_class(t->sys_nr)) {
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

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u32 tgid = target_tgid;
	struct pt_stage_time *st;
	struct pt_thread *t;
	__u64 now;

	/* No target yet (0 is also the idle task's tgid). */
	if (!tgid || (prev->tgid != tgid && next->tgid != tgid))
		return 0;
	now = bpf_ktime_get_ns();
	if (prev->tgid == tgid) {
		t = get_thread(prev->pid, GET_CREATE, PT_T_ONCPU, now);
		if (t) {
			account(t, now);
			st = time_of(innermost(t));
			if (preempt || prev_state == 0) {
				t->state = PT_T_RUNNABLE;
				if (st)
					st->invol_switches++;
			} else {
				t->state = PT_T_BLOCKED;
				t->off_part = off_part(t, prev_state);
				if (st)
					st->vol_switches++;
			}
		}
	}
	if (next->tgid == tgid) {
		t = get_thread(next->pid, GET_CREATE, PT_T_RUNNABLE, now);
		if (t) {
			account(t, now);
			t->state = PT_T_ONCPU;
			bpf_probe_read_kernel_str(t->comm, sizeof(t->comm),
						  next->comm);
		}
	}
	return 0;
}

static __always_inline int wakeup(struct task_struct *p, int mode)
{
	struct pt_thread *t;
	__u64 now;

	if (!target_tgid || p->tgid != target_tgid)
		return 0;
	now = bpf_ktime_get_ns();
	t = get_thread(p->pid, mode, PT_T_RUNNABLE, now);
	if (t && t->state == PT_T_BLOCKED) {
		account(t, now);
		t->state = PT_T_RUNNABLE;
	}
	return 0;
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
	return wakeup(p, GET_REUSE);
}

/* A target thread exits: close its time, count calls that never returned,
 * keep its figures for the report. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();
	struct pt_thread *t;

	if ((__u32)(pid_tgid >> 32) != target_tgid)
		return 0;
	t = get_thread((__u32)pid_tgid, GET_ONLY, PT_T_ONCPU, now);
	if (!t)
		return 0;
	account(t, now);
	if (t->depth && phase == PT_PHASE_ARMED)
		count_lost(PT_LOST_UNMATCHED,
			   t->depth < PT_MAX_DEPTH ? t->depth : PT_MAX_DEPTH);
	t->depth = 0;
	t->exited = 1;
	return 0;
}
