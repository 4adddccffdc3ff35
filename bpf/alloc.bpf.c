// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * alloc.bpf.c - heap use per stage (--alloc): the allocator's entry and
 * return probes (malloc, calloc, realloc, free, ...), the live blocks with
 * their allocation stacks, and user page faults.
 */
#include "pipetrace.bpf.h"

/* --alloc: record one allocation in alloc_sample (1: all of them), and none
 * smaller than alloc_min_bytes. */
const volatile __u32 alloc_sample = 1;
const volatile __u64 alloc_min_bytes = 0;
const volatile __u64 page_size = 4096;

/* Allocations seen, for --alloc-sample. */
__u64 alloc_seq;

/* Live blocks by address (--alloc). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_ALLOCS); /* --alloc-max */
	__type(key, __u64);
	__type(value, struct pt_alloc);
} allocs SEC(".maps");

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
	c = alloc_call(tid, c);
	if (!c)
		return 0;
	if (c->depth++)
		return 0; /* the allocator calling itself: the outer call counts */
	c->kind = kind;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->arg[2] = a2;
	return 0;
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
		if (ret) {
			/* Moved or not, the old block is released and the
			 * new one allocated. */
			release(c->arg[0], false, stage, m);
			*ptr = ret;
			*size = c->arg[1];
		} else if (c->arg[0] && !c->arg[1]) {
			/* realloc(p, 0) freed p and returned NULL. */
			release(c->arg[0], true, stage, m);
		}
		return true;
	default:
		return false;
	}
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), stage;
	struct pt_alloc_call *c = bpf_map_lookup_elem(&alloc_calls, &tid);
	__u64 ret = PT_REGS_RC(ctx), ptr = 0, size = 0;
	struct pt_stage_mem *m;

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

	if (!target_tgid ||
	    (__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	m = mem_here(bpf_ktime_get_ns(), NULL);
	if (m)
		__sync_fetch_and_add(&m->page_faults, 1);
	return 0;
}
