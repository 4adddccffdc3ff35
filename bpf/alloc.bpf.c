// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * alloc.bpf.c - heap use per stage (--alloc): the allocator's entry and
 * return probes (malloc, calloc, realloc, free, ...), the live blocks with
 * their allocation stacks, and user page faults.
 */
#include "pipetrace.bpf.h"
#include "stacks.bpf.h"

/* --alloc: record one allocation in alloc_sample (1: all of them), and none
 * smaller than alloc_min_bytes. */
const volatile __u32 alloc_sample = 1;
const volatile __u64 alloc_min_bytes = 0;
const volatile __u64 page_size = 4096;

/* --call-graph dwarf (set by userspace): bytes of user stack copied with
 * each recorded allocation, sent through alloc_usamples (0: frame
 * pointers only). */
volatile __u32 alloc_ustack_copy;

/* One allocation's dwarf record being built, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_usample);
} alloc_usample_buf SEC(".maps");

/* Allocations' dwarf records; resized at load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} alloc_usamples SEC(".maps");

/* Live blocks by process and address (--alloc). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_ALLOCS); /* --alloc-max */
	__type(key, struct pt_alloc_key);
	__type(value, struct pt_alloc);
} allocs SEC(".maps");

/* Allocations seen per stage (and outside), for --alloc-sample: a counter
 * per stage, so that each one records exactly 1 in N of its own. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_STAGES + 1);
	__type(key, __u32);
	__type(value, __u64);
} alloc_seq SEC(".maps");

static const struct pt_alloc_call zero_call;

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

/* --alloc-sample N: whether stage's next allocation goes unrecorded. */
static __always_inline bool sampled_out(__u32 stage)
{
	__u64 *n;

	if (alloc_sample <= 1)
		return false;
	n = bpf_map_lookup_elem(&alloc_seq, &stage);
	return !n || __sync_fetch_and_add(n, 1) % alloc_sample;
}

/* Adds size live bytes to m (and its peak). */
static __always_inline void add_live(struct pt_stage_mem *m, __u64 size)
{
	__s64 live = __sync_add_and_fetch(&m->live_bytes, (__s64)size);

	/* Racy maximum: two CPUs may both raise it; the larger usually wins,
	 * and the error is one block. */
	if (live > m->peak_live_bytes)
		m->peak_live_bytes = live;
}

/* Block a, no longer tracked, stops counting as live in its stage. */
static __always_inline void retire(const struct pt_alloc *a)
{
	struct pt_stage_mem *owner = mem_of(a->stage);

	if (owner)
		__sync_fetch_and_sub(&owner->live_bytes, (__s64)a->size);
}

/* Block ptr's key in `allocs`: the current process's. */
static __always_inline struct pt_alloc_key alloc_key(__u64 ptr)
{
	struct pt_alloc_key k = {
		.ptr = ptr,
		.tgid = (__u32)(bpf_get_current_pid_tgid() >> 32),
	};

	return k;
}

/*
 * Tracks block ptr as a. An entry still at that address is a block whose
 * release was not seen: its live bytes are retired first. Returns 0 or
 * -errno (-E2BIG: the map is full).
 */
static __always_inline int track(__u64 ptr, const struct pt_alloc *a)
{
	struct pt_alloc_key k = alloc_key(ptr);
	struct pt_alloc *cur, old;
	int ret = bpf_map_update_elem(&allocs, &k, a, BPF_NOEXIST);

	if (ret != -EEXIST)
		return ret;
	cur = bpf_map_lookup_elem(&allocs, &k);
	if (cur) {
		old = *cur;
		if (!bpf_map_delete_elem(&allocs, &k))
			retire(&old);
	}
	return bpf_map_update_elem(&allocs, &k, a, BPF_NOEXIST);
}

/* The user stack of the allocation being recorded, or < 0 (counted). */
static __always_inline __s32 alloc_stack(void *ctx)
{
	__s32 id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);

	/* Once more unless the stack's bucket holds another stack (EEXIST):
	 * a full make test lost 6 of 120 allocations' stacks once in about
	 * 15 runs, with identical stacks stored fine before and after. */
	if (id < 0 && id != -EEXIST)
		id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0)
		count_lost(PT_LOST_STACKS, 1);
	return id;
}

/* --call-graph dwarf: the registers and top of the stack at the
 * allocator's return (ctx) go to userspace as a PT_SAMPLE_ALLOC record;
 * its sequence number, or 0 when none went (counted lost). */
static __always_inline __u64 alloc_send(struct pt_regs *ctx, __u32 stage,
					__s32 fp_id)
{
	struct pt_sample_key key = { .stage = stage,
				     .ustack = fp_id,
				     .kstack = -1 };
	static __u64 seq_base;
	struct pt_usample *s;
	__u32 zero = 0, n;
	__u64 seq;

	if (!alloc_ustack_copy)
		return 0;
	s = bpf_map_lookup_elem(&alloc_usample_buf, &zero);
	if (!s) {
		count_lost(PT_LOST_USAMPLES, 1);
		return 0;
	}
	seq = __sync_fetch_and_add(&seq_base, 1) + 1;
	s->h.part = PT_SAMPLE_ALLOC;
	s->h.out_ns = seq;
	n = fill_usample(s, &key, ctx, alloc_ustack_copy);
	if (bpf_ringbuf_output(&alloc_usamples, s, sizeof(s->h) + n, 0)) {
		count_lost(PT_LOST_USAMPLES, 1);
		return 0;
	}
	return seq;
}

/* Several processes: the current process's entry in `procs` (its own
 * allocation counts), else NULL. */
static __always_inline struct pt_proc *this_proc(void)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);

	return procs_on ? bpf_map_lookup_elem(&procs, &tgid) : NULL;
}

/* Records block ptr of size bytes, allocated in `stage` (sampled). The
 * stage's totals count it even when the allocs map is full: only the
 * block's own tracking (live bytes, its release) is lost then. */
static __always_inline void record_alloc(void *ctx, __u64 ptr, __u64 size,
					 __u32 stage, struct pt_stage_mem *m)
{
	struct pt_alloc a = { .size = size, .stage = stage };
	struct pt_proc *p;

	if (!ptr || size < alloc_min_bytes || sampled_out(stage))
		return;
	__sync_fetch_and_add(&m->alloc_calls, 1);
	__sync_fetch_and_add(&m->alloc_bytes, size);
	p = this_proc();
	if (p) {
		__sync_fetch_and_add(&p->alloc_calls, 1);
		__sync_fetch_and_add(&p->alloc_bytes, size);
	}
	a.stack_id = alloc_stack(ctx);
	a.useq = alloc_send(ctx, stage, a.stack_id);
	if (track(ptr, &a)) {
		count_lost(PT_LOST_ALLOCS_FULL, 1);
		return;
	}
	add_live(m, size);
}

/* Block a was released in `stage` (m): by a free() call when is_free. */
static __always_inline void released(const struct pt_alloc *a, bool is_free,
				     __u32 stage, struct pt_stage_mem *m)
{
	struct pt_stage_mem *owner = mem_of(a->stage);
	struct pt_proc *p = this_proc();

	if (is_free)
		__sync_fetch_and_add(&m->frees, 1);
	__sync_fetch_and_add(&m->freed_bytes, a->size);
	if (p) {
		if (is_free)
			__sync_fetch_and_add(&p->frees, 1);
		__sync_fetch_and_add(&p->freed_bytes, a->size);
	}
	if (!owner)
		return;
	__sync_fetch_and_sub(&owner->live_bytes, (__s64)a->size);
	if (a->stage != stage)
		__sync_fetch_and_add(&owner->handed_bytes, a->size);
}

/* Takes block ptr out of `allocs` into *out. False if it was not there. */
static __always_inline bool untrack(__u64 ptr, struct pt_alloc *out)
{
	struct pt_alloc_key k = alloc_key(ptr);
	struct pt_alloc *a;

	if (!ptr)
		return false;
	a = bpf_map_lookup_elem(&allocs, &k);
	if (!a)
		return false;
	*out = *a;
	/* Fails when another CPU took it first (a double free). */
	return bpf_map_delete_elem(&allocs, &k) == 0;
}

/* free(ptr) in `stage` (m). */
static __always_inline void free_call(__u64 ptr, __u32 stage,
				      struct pt_stage_mem *m)
{
	struct pt_alloc a;

	if (!ptr)
		return;
	if (untrack(ptr, &a))
		released(&a, true, stage, m);
	else
		__sync_fetch_and_add(&m->frees_untracked, 1);
}

/* Thread tid's allocator call slot c, or a new one when c is NULL; NULL
 * when the map is full (counted). */
static __always_inline struct pt_alloc_call *alloc_call(__u32 tid,
							struct pt_alloc_call *c)
{
	if (c)
		return c;
	if (bpf_map_update_elem(&alloc_calls, &tid, &zero_call, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&alloc_calls, &tid)) {
		refuse_thread(bpf_get_current_task_btf());
		return NULL;
	}
	return bpf_map_lookup_elem(&alloc_calls, &tid);
}

/*
 * Whether the current process's allocator calls count. One process: its
 * probes are its own (attached to its PID). Several: they are attached
 * once for every process that maps the allocator (so that a child counts
 * from its fork), and the others return here, first thing.
 */
static __always_inline bool alloc_traced(void)
{
	return !procs_on ||
	       traced_tgid((__u32)(bpf_get_current_pid_tgid() >> 32));
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter, __u64 a0, __u64 a1, __u64 a2)
{
	__u32 kind, tid, stage;
	struct pt_alloc_call *c;
	struct pt_stage_mem *m;

	if (!alloc_traced() || phase == PT_PHASE_DETACHING)
		return 0;
	kind = (__u32)bpf_get_attach_cookie(ctx);
	tid = (__u32)bpf_get_current_pid_tgid();
	c = bpf_map_lookup_elem(&alloc_calls, &tid);
	if (kind == PT_ALLOC_FREE) {
		/* Inside another allocator call (realloc freeing its old
		 * block): that call accounts for it. */
		if (c && c->depth)
			return 0;
		m = mem_here(bpf_ktime_get_ns(), &stage);
		if (m)
			free_call(a0, stage, m);
		return 0;
	}
	c = alloc_call(tid, c);
	if (!c)
		return 0;
	if (c->depth++)
		return 0; /* the allocator calling itself: the outer call counts */
	c->kind = kind;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->arg[2] = a2;
	/* realloc's old block is dead from here, moved or not: another thread
	 * may be given its address before realloc returns. */
	c->has_old = kind == PT_ALLOC_REALLOC && untrack(a0, &c->old);
	return 0;
}

/* realloc() returned ret: what became of its old block (c->old if it was
 * tracked). */
static __always_inline void realloc_old(const struct pt_alloc_call *c,
					__u64 ret, __u32 stage,
					struct pt_stage_mem *m)
{
	/* realloc(p, 0) freed p and returned NULL. */
	bool freed = !ret && c->arg[0] && !c->arg[1];
	struct pt_alloc old = c->old;

	if (!ret && !freed) {
		/* It failed: the old block is still live, and tracked again
		 * (its live bytes never left). */
		if (c->has_old && track(c->arg[0], &old)) {
			count_lost(PT_LOST_ALLOCS_FULL, 1);
			retire(&old);
		}
		return;
	}
	if (c->has_old)
		released(&old, freed, stage, m);
	else if (freed)
		__sync_fetch_and_add(&m->frees_untracked, 1);
}

/*
 * The block an allocator call c that returned ret allocated (*ptr, *size;
 * *ptr 0 when none), after releasing the block it freed, if any. False
 * when there is nothing to record.
 */
static __always_inline bool alloc_result(const struct pt_alloc_call *c,
					 __u64 ret, __u32 stage,
					 struct pt_stage_mem *m, __u64 *ptr,
					 __u64 *size)
{
	switch (c->kind) {
	case PT_ALLOC_MALLOC:
	case PT_ALLOC_VALLOC:
		*ptr = ret;
		*size = c->arg[0];
		return true;
	case PT_ALLOC_PVALLOC:
		*ptr = ret;
		*size = (c->arg[0] + page_size - 1) & ~(page_size - 1);
		if (!*size)
			*size = page_size;
		return true;
	case PT_ALLOC_CALLOC:
		*ptr = ret; /* no overflow if it returned memory */
		*size = c->arg[0] * c->arg[1];
		return true;
	case PT_ALLOC_MEMALIGN:
		*ptr = ret;
		*size = c->arg[1];
		return true;
	case PT_ALLOC_POSIX_MEMALIGN:
		if ((int)ret != 0)
			return false;
		if (bpf_probe_read_user(ptr, sizeof(*ptr), (void *)c->arg[0]))
			return false;
		*size = c->arg[2];
		return true;
	case PT_ALLOC_REALLOC:
		realloc_old(c, ret, stage, m);
		*ptr = ret;
		*size = c->arg[1];
		return true;
	default:
		return false;
	}
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), stage;
	__u64 ret = PT_REGS_RC(ctx), ptr = 0, size = 0;
	struct pt_alloc_call *c;
	struct pt_stage_mem *m;

	if (!alloc_traced())
		return 0;
	c = bpf_map_lookup_elem(&alloc_calls, &tid);
	if (!c || !c->depth)
		return 0; /* entered before the probes were attached */
	if (--c->depth)
		return 0;
	m = mem_here(bpf_ktime_get_ns(), &stage);
	if (!m)
		return 0;
	if (alloc_result(c, ret, stage, m, &ptr, &size))
		record_alloc(ctx, ptr, size, stage, m);
	return 0;
}

/* A user page fault of a target thread, charged to its innermost stage. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct pt_stage_mem *m;

	if (!traced_tgid((__u32)(bpf_get_current_pid_tgid() >> 32)))
		return 0;
	m = mem_here(bpf_ktime_get_ns(), NULL);
	if (m)
		__sync_fetch_and_add(&m->page_faults, 1);
	return 0;
}
