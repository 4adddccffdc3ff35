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
#include <bpf/bpf_core_read.h>
#include "pipetrace_abi.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define TASK_UNINTERRUPTIBLE 0x2
#define EFAULT 14
#define EEXIST 17
/* A trampoline entry older than this is not the return being handled. */
#define RET_FRESH_NS 50000

/* ------------------------------------------------------------ configuration */

/* Set before load. */
const volatile __u8 stage_items_mode[PT_MAX_STAGES] = {};
const volatile __u8 syscall_class[PT_MAX_SYSCALL] = {};

/* --alloc: record one allocation in alloc_sample (1: all of them), and none
 * smaller than alloc_min_bytes. */
const volatile __u32 alloc_sample = 1;
const volatile __u64 alloc_min_bytes = 0;
const volatile __u64 page_size = 4096;
const volatile __u8 alloc_on = 0;
/* --folded-offcpu: a stack at every switch-out of a target thread. */
const volatile __u8 offcpu_stacks = 0;
/* --events: every call into the ring buffer; the consumer is woken only
 * once wake_bytes are waiting (it also drains on a timer). */
const volatile __u8 stream_on = 0;
const volatile __u64 wake_bytes = 1 << 20;

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

/* A per-CPU array, not the threads hash: the probes' own syscalls pass
 * through sys_enter on every probed call, so this is on the hot path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_probe_sys);
} probe_sys SEC(".maps");

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

/* Heap use per stage; index PT_MEM_OUTSIDE is outside every stage. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_STAGES + 1);
	__type(key, __u32);
	__type(value, struct pt_stage_mem);
} mem SEC(".maps");

/* Live blocks by address (--alloc). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_ALLOCS); /* --alloc-max */
	__type(key, __u64);
	__type(value, struct pt_alloc);
} allocs SEC(".maps");

/* Allocator calls in flight, by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_alloc_call);
} alloc_calls SEC(".maps");

/* User stacks of allocations (and, later, samples). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PT_DEFAULT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PT_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Folded stacks: on-CPU sample counts and off-CPU ns (--folded*). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_SAMPLES);
	__type(key, struct pt_sample_key);
	__type(value, __u64);
} samples SEC(".maps");

/* Threads switched out, by tid (--folded-offcpu). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_offcpu);
} offcpu SEC(".maps");

/* Calls streamed one by one (--events). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* resized with --events */
} events SEC(".maps");

/* The target's memory when its last thread exited. */
struct pt_exit_mem exit_mem;
/* Off-CPU waits that began before this (pipetrace calibrating itself, a
 * launched target held before its exec) are not the program's: nothing
 * counts until userspace sets it. */
volatile __u64 offcpu_since_ns = ~0ULL;
/* Set once a launched target has run its _init (see warmup). */
volatile __u32 warmed_up;
/* The target_tgid known to have its uprobe area (see has_uprobe_area()). */
__u32 area_tgid;
/* The target's program break as brk(2) last returned it (--alloc). */
__u64 last_brk;
/* Allocations seen, for --alloc-sample. */
__u64 alloc_seq;
/* Exit sites reached by calls entered before their entry site was
 * attached (not losses: those calls were never traced). */
__u64 inflight_exits;

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
		if (ret == PT_ITEMS_UNSET)
			break;
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

/* A call that carried the kernel's uprobe setup (pt_frame.setup) counts,
 * but its latency is kept apart from the function's. */
static __always_inline void record_call(__u32 stage, __u64 lat, __u64 bias,
					bool outermost, bool setup, __u64 ret)
{
	struct pt_stage_stats *s = bpf_map_lookup_elem(&stats, &stage);
	__u64 timed;
	__u32 b;

	if (!s)
		return;
	s->calls++;
	if (outermost)
		s->wall_ns += lat;
	count_items(s, stage, ret);
	if (setup) {
		s->setup_calls++;
		s->setup_ns += lat;
		return;
	}
	timed = s->calls - s->setup_calls;
	s->lat_sum_ns += lat;
	s->bias_ns += bias;
	if (timed == 1 || lat < s->min_ns)
		s->min_ns = lat;
	if (lat > s->max_ns)
		s->max_ns = lat;
	b = pt_hist_bucket(lat);
	if (b >= PT_HIST_BUCKETS)
		b = PT_HIST_BUCKETS - 1;
	s->hist[b]++;
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

/* Streams one completed call; a full ring buffer is counted as lost. */
static __always_inline void stream_call(__u64 start, __u64 lat, __u64 ret,
					__u32 tid, __u32 stage)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 flags;

	if (!e) {
		count_lost(PT_LOST_EVENTS, 1);
		return;
	}
	e->start_ns = start;
	e->lat_ns = lat;
	e->ret = ret;
	e->tid = tid;
	e->stage = stage;
	/* Waking the consumer costs more than the probe: batch it. */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* ------------------------------------------------------------ stage calls */

/*
 * Whether the current process, the target (current_thread() said so), has
 * its uprobe area, where the kernel puts the return trampoline. The first
 * uretprobe'd call in a process creates it after the entry program has
 * run: that call's latency then holds the setup (0.1-1.3 ms here). Read
 * once per target.
 */
static __always_inline bool has_uprobe_area(void)
{
	struct task_struct *task;

	if (area_tgid == target_tgid)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	if (!BPF_CORE_READ(task, mm, uprobes_state.xol_area))
		return false;
	area_tgid = target_tgid;
	return true;
}

SEC("uprobe")
int BPF_KPROBE(stage_enter)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u32 stage = cookie & ~PT_COOKIE_SITE;
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
	/* An entry site has no return probe: it creates no area. */
	f->setup = !(cookie & PT_COOKIE_SITE) && !has_uprobe_area();
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
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u32 stage = cookie & ~PT_COOKIE_SITE;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_probe_sys *ps;
	struct pt_thread *t;
	struct pt_frame *f;
	__u64 lat, bias;
	__u32 d, top, k, idx, found = PT_MAX_DEPTH, zero = 0;
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
	ps = bpf_map_lookup_elem(&probe_sys, &zero);
	if (ps && ps->tid == tid) {
		if (ps->ns && ps->ns <= now && now - ps->ns < RET_FRESH_NS &&
		    t->last_ns <= ps->ns)
			end = ps->ns;
		ps->ns = 0;
	}
	d = t->depth;
	if (d == 0) {
		/* An exit site also sees calls entered before tracing began;
		 * a return probe does not: its entry was lost. */
		if (cookie & PT_COOKIE_SITE)
			__sync_fetch_and_add(&inflight_exits, 1);
		else if (phase == PT_PHASE_ARMED)
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
	bias = f->setup ? 0 : stage_bias_ns[stage & (PT_MAX_STAGES - 1)];
	if (bias > lat)
		bias = lat;
	lat -= bias;
	outermost = f->outermost;
	record_call(stage, lat, bias, outermost, f->setup, ret);
	if (outermost)
		add_pair(tid, stage, lat);
	if (stream_on)
		stream_call(f->start_ns, lat, ret, tid, stage);
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

/* --------------------------------------------------------------- syscalls */

/* tp_btf programs need no tracefs mounted, unlike tp/. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 cls = sys_class((__s32)id), zero = 0;
	struct pt_probe_sys *ps;
	struct pt_thread *t;

	if (cls == PT_SYS_PROBE) {
		/* A probed function has just returned into the trampoline
		 * (or reached a nop5 site): the call ends here, before the
		 * kernel's probe handling (and any preemption in it). */
		ps = bpf_map_lookup_elem(&probe_sys, &zero);
		if (ps) {
			ps->tid = (__u32)bpf_get_current_pid_tgid();
			ps->ns = now;
		}
		return 0;
	}
	t = current_thread(true, now);
	if (!t)
		return 0;
	account(t, now);
	t->sys_nr = (__s32)id;
	if (alloc_on && (cls == PT_SYS_MMAP || cls == PT_SYS_MUNMAP))
		t->sys_arg = PT_REGS_PARM2_CORE_SYSCALL(regs); /* the length */
	return 0;
}

/* --alloc: the address-space calls that back a heap, per stage. */
static __always_inline void count_vm_call(struct pt_thread *t, __u32 cls,
					  long ret)
{
	__u32 stage = innermost(t);
	struct pt_stage_mem *m;

	if (stage >= PT_MAX_STAGES)
		stage = PT_MEM_OUTSIDE;
	m = bpf_map_lookup_elem(&mem, &stage);
	if (!m)
		return;
	switch (cls) {
	case PT_SYS_MMAP:
		if (ret < 0 && ret >= -4095)
			return; /* failed */
		__sync_fetch_and_add(&m->mmap_calls, 1);
		__sync_fetch_and_add(&m->mmap_bytes, t->sys_arg);
		return;
	case PT_SYS_MUNMAP:
		if (ret)
			return;
		__sync_fetch_and_add(&m->munmap_calls, 1);
		__sync_fetch_and_add(&m->munmap_bytes, t->sys_arg);
		return;
	case PT_SYS_BRK:
		/* brk returns the new break; the first one seen sets the
		 * baseline. Racy across threads, as brk itself is. */
		if (last_brk && (__u64)ret > last_brk)
			__sync_fetch_and_add(&m->brk_grow_bytes,
					     (__u64)ret - last_brk);
		if (ret > 0)
			last_brk = (__u64)ret;
		return;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct pt_stage_time *st;
	struct pt_thread *t;
	__u64 now;
	__u32 cls;

	/* The probes' own syscalls (a nop5 site's, a return trampoline's):
	 * nothing to account, and the cheapest way out. */
	if (sys_class((__s32)regs->orig_ax) == PT_SYS_PROBE)
		return 0;
	now = bpf_ktime_get_ns();
	t = current_thread(false, now);
	if (!t)
		return 0;
	if (t->sys_nr < 0)
		return 0;
	account(t, now);
	cls = sys_class(t->sys_nr);
	if (alloc_on)
		count_vm_call(t, cls, ret);
	t->sys_nr = -1;
	if (!pt_sys_is_io(cls))
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

/* ----------------------------------------------------------------- stacks */

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

/* Target thread tid switches out (t already updated): remember its stacks,
 * stage and reason until it runs again. */
static __always_inline void offcpu_out(void *ctx, __u32 tid,
				       const struct pt_thread *t, __u64 now)
{
	struct pt_offcpu o = { .out_ns = now };
	__u32 stage = innermost(t);

	o.stage = stage < PT_MAX_STAGES ? stage : PT_MAX_STAGES;
	o.part = t->state == PT_T_RUNNABLE ? PT_PART_RUNQ : t->off_part;
	get_stacks(ctx, &o.ustack, &o.kstack, true);
	if (bpf_map_update_elem(&offcpu, &tid, &o, BPF_ANY))
		count_lost(PT_LOST_THREADS_FULL, 1);
}

/* Target thread tid runs again: its off-CPU time goes to the stack it
 * left with, split into the wait itself and the run-queue wait after its
 * wakeup. */
static __always_inline void offcpu_in(__u32 tid, __u64 now)
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
	key.ustack = o->ustack;
	key.kstack = o->kstack;
	wake = o->wake_ns && o->wake_ns >= o->out_ns && o->wake_ns <= now ?
		       o->wake_ns :
		       now;
	key.part = o->part;
	if (wake > o->out_ns)
		add_sample(&key, wake - o->out_ns);
	if (now > wake) {
		key.part = PT_PART_RUNQ;
		add_sample(&key, now - wake);
	}
	bpf_map_delete_elem(&offcpu, &tid);
}

/* On-CPU sampling (cpu-clock perf event on every CPU): the target's
 * threads only, tagged with their innermost stage. */
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
			if (offcpu_stacks)
				offcpu_out(ctx, prev->pid, t, now);
		}
	}
	if (next->tgid == tgid) {
		t = get_thread(next->pid, GET_CREATE, PT_T_RUNNABLE, now);
		if (t) {
			if (offcpu_stacks)
				offcpu_in(next->pid, now);
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

SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task, bool group_dead)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)pid_tgid;
	struct pt_thread *t;

	if (!target_tgid || (__u32)(pid_tgid >> 32) != target_tgid)
		return 0;
	t = get_thread(tid, GET_ONLY, PT_T_ONCPU, now);
	if (group_dead)
		read_exit_mem(task);
	bpf_map_delete_elem(&alloc_calls, &tid);
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

/* ----------------------------------------------------------------- memory */

/* The mem[] slot of the current thread's innermost stage (or outside). */
static __always_inline struct pt_stage_mem *mem_here(__u64 now, __u32 *stage)
{
	struct pt_thread *t = current_thread(false, now);
	__u32 id = PT_MEM_OUTSIDE;

	if (t) {
		id = innermost(t);
		if (id >= PT_MAX_STAGES)
			id = PT_MEM_OUTSIDE;
	}
	if (stage)
		*stage = id;
	return bpf_map_lookup_elem(&mem, &id);
}

static __always_inline struct pt_stage_mem *mem_of(__u32 stage)
{
	return bpf_map_lookup_elem(&mem, &stage);
}

/* Records block ptr of size bytes, allocated in `stage` (sampled). */
static __always_inline void record_alloc(void *ctx, __u64 ptr, __u64 size,
					 __u32 stage, struct pt_stage_mem *m)
{
	struct pt_alloc a = { .size = size, .stage = stage };
	__s64 live;
	__u64 seq;

	if (!ptr || size < alloc_min_bytes)
		return;
	if (alloc_sample > 1) {
		seq = __sync_fetch_and_add(&alloc_seq, 1);
		if (seq % alloc_sample)
			return;
	}
	a.stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	/* Once more unless the stack's bucket holds another stack (EEXIST):
	 * a full make test lost 6 of 120 allocations' stacks once in about
	 * 15 runs, with identical stacks stored fine before and after. */
	if (a.stack_id < 0 && a.stack_id != -EEXIST)
		a.stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (a.stack_id < 0)
		count_lost(PT_LOST_STACKS, 1);
	if (bpf_map_update_elem(&allocs, &ptr, &a, BPF_ANY)) {
		count_lost(PT_LOST_ALLOCS_FULL, 1);
		return;
	}
	__sync_fetch_and_add(&m->alloc_calls, 1);
	__sync_fetch_and_add(&m->alloc_bytes, size);
	live = __sync_add_and_fetch(&m->live_bytes, (__s64)size);
	/* Racy maximum: two CPUs may both raise it; the larger usually wins,
	 * and the error is one block. */
	if (live > m->peak_live_bytes)
		m->peak_live_bytes = live;
}

/* Releases block ptr in `stage` (m): a free() call when is_free. */
static __always_inline void release(__u64 ptr, bool is_free, __u32 stage,
				    struct pt_stage_mem *m)
{
	struct pt_alloc *a;
	struct pt_stage_mem *owner;
	__u64 size;
	__u32 from;

	if (!ptr)
		return;
	a = bpf_map_lookup_elem(&allocs, &ptr);
	if (!a) {
		if (is_free)
			__sync_fetch_and_add(&m->frees_untracked, 1);
		return;
	}
	size = a->size;
	from = a->stage;
	bpf_map_delete_elem(&allocs, &ptr);
	if (is_free)
		__sync_fetch_and_add(&m->frees, 1);
	__sync_fetch_and_add(&m->freed_bytes, size);
	owner = mem_of(from);
	if (!owner)
		return;
	__sync_fetch_and_sub(&owner->live_bytes, (__s64)size);
	if (from != stage)
		__sync_fetch_and_add(&owner->handed_bytes, size);
}

static const struct pt_alloc_call zero_call;

SEC("uprobe")
int BPF_KPROBE(alloc_enter, __u64 a0, __u64 a1, __u64 a2)
{
	__u32 kind = (__u32)bpf_get_attach_cookie(ctx);
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), stage;
	struct pt_alloc_call *c = bpf_map_lookup_elem(&alloc_calls, &tid);
	struct pt_stage_mem *m;

	if (phase == PT_PHASE_DETACHING)
		return 0;
	if (kind == PT_ALLOC_FREE) {
		/* Inside another allocator call (realloc freeing its old
		 * block): that call accounts for it. */
		if (c && c->depth)
			return 0;
		m = mem_here(bpf_ktime_get_ns(), &stage);
		if (m)
			release(a0, true, stage, m);
		return 0;
	}
	if (!c) {
		if (bpf_map_update_elem(&alloc_calls, &tid, &zero_call,
					BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&alloc_calls, &tid)) {
			count_lost(PT_LOST_THREADS_FULL, 1);
			return 0;
		}
		c = bpf_map_lookup_elem(&alloc_calls, &tid);
		if (!c)
			return 0;
	}
	if (c->depth++)
		return 0; /* the allocator calling itself: the outer call counts */
	c->kind = kind;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->arg[2] = a2;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), stage;
	struct pt_alloc_call *c = bpf_map_lookup_elem(&alloc_calls, &tid);
	__u64 ret = PT_REGS_RC(ctx), ptr = 0, size = 0;
	struct pt_stage_mem *m;
	void *out;

	if (!c || !c->depth)
		return 0; /* entered before the probes were attached */
	if (--c->depth)
		return 0;
	m = mem_here(bpf_ktime_get_ns(), &stage);
	if (!m)
		return 0;
	switch (c->kind) {
	case PT_ALLOC_MALLOC:
	case PT_ALLOC_VALLOC:
		ptr = ret;
		size = c->arg[0];
		break;
	case PT_ALLOC_PVALLOC:
		ptr = ret;
		size = (c->arg[0] + page_size - 1) & ~(page_size - 1);
		if (!size)
			size = page_size;
		break;
	case PT_ALLOC_CALLOC:
		ptr = ret; /* no overflow if it returned memory */
		size = c->arg[0] * c->arg[1];
		break;
	case PT_ALLOC_MEMALIGN:
		ptr = ret;
		size = c->arg[1];
		break;
	case PT_ALLOC_POSIX_MEMALIGN:
		if ((int)ret != 0)
			return 0;
		out = (void *)c->arg[0];
		if (bpf_probe_read_user(&ptr, sizeof(ptr), out))
			return 0;
		size = c->arg[2];
		break;
	case PT_ALLOC_REALLOC:
		if (ret) {
			/* Moved or not, the old block is released and the
			 * new one allocated. */
			release(c->arg[0], false, stage, m);
			ptr = ret;
			size = c->arg[1];
		} else if (c->arg[0] && !c->arg[1]) {
			/* realloc(p, 0) freed p and returned NULL. */
			release(c->arg[0], true, stage, m);
		}
		break;
	default:
		return 0;
	}
	record_alloc(ctx, ptr, size, stage, m);
	return 0;
}

/* A user page fault of a target thread, charged to its innermost stage. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct pt_stage_mem *m;

	if (!target_tgid ||
	    (__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	m = mem_here(bpf_ktime_get_ns(), NULL);
	if (m)
		__sync_fetch_and_add(&m->page_faults, 1);
	return 0;
}
