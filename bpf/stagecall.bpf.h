/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * stagecall.bpf.h - a completed stage call recorded: its stage's counts,
 * items and histogram, the (thread, stage) wall time and --events. Shared
 * by stage.bpf.c, which defines the maps and variables used here, and
 * stage_go.bpf.c, which declares them extern.
 */
#ifndef PIPETRACE_STAGECALL_BPF_H
#define PIPETRACE_STAGECALL_BPF_H

#include "pipetrace.bpf.h"

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
		if (ret != PT_ITEMS_UNSET) /* a tail call's: no value */
			s->items += ret;
		break;
	default:
		break;
	}
}

/* The current process's counters of stage, created on its first call;
 * NULL (counted as lost pairs) once the map is full. */
static __always_inline struct pt_proc_stats *proc_stats_of(__u32 stage)
{
	struct pt_proc_stage_key key = {
		.tgid = (__u32)(bpf_get_current_pid_tgid() >> 32),
		.stage = stage,
	};
	struct pt_proc_stats *p = bpf_map_lookup_elem(&proc_stats, &key);

	if (p)
		return p;
	if (bpf_map_update_elem(&proc_stats, &key, &zero_proc_stats,
				BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&proc_stats, &key)) {
		count_lost(PT_LOST_PAIRS_FULL, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&proc_stats, &key);
}

/* Adds one call to its process's counters of stage (procs_on only). */
static __always_inline void record_proc_call(__u32 stage, __u64 lat,
					     bool outermost, bool setup,
					     const struct pt_stage_stats *s,
					     __u64 items0, __u64 errors0)
{
	struct pt_proc_stats *p;

	if (!procs_on)
		return;
	p = proc_stats_of(stage);
	if (!p)
		return;
	p->calls++;
	p->items += s->items - items0;
	p->errors += s->errors - errors0;
	if (outermost)
		p->wall_ns += lat;
	if (setup) {
		p->setup_calls++;
		return;
	}
	p->lat_sum_ns += lat;
	if (p->calls - p->setup_calls == 1 || lat < p->min_ns)
		p->min_ns = lat;
	if (lat > p->max_ns)
		p->max_ns = lat;
}

/* A call that carried the kernel's uprobe setup (pt_frame.setup) counts,
 * but its latency is kept apart from the function's. */
static __always_inline void record_call(__u32 stage, __u64 lat, __u64 bias,
					__u64 tail, bool outermost, bool setup,
					__u64 ret)
{
	struct pt_stage_stats *s = bpf_map_lookup_elem(&stats, &stage);
	__u64 timed, items0, errors0;
	__u32 b;

	if (!s)
		return;
	items0 = s->items;
	errors0 = s->errors;
	s->calls++;
	if (outermost)
		s->wall_ns += lat;
	count_items(s, stage, ret);
	record_proc_call(stage, lat, outermost, setup, s, items0, errors0);
	if (setup) {
		s->setup_calls++;
		s->setup_ns += lat;
		return;
	}
	timed = s->calls - s->setup_calls;
	s->lat_sum_ns += lat;
	s->bias_ns += bias;
	s->nest_tail_ns += tail;
	if (timed == 1 || lat < s->min_ns)
		s->min_ns = lat;
	if (lat > s->max_ns)
		s->max_ns = lat;
	b = pt_hist_bucket(lat);
	if (b >= PT_HIST_BUCKETS)
		b = PT_HIST_BUCKETS - 1;
	s->hist[b]++;
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

/* Records the call of frame f (already popped), ended at end; returns the
 * probe bias it took off the call (nest_into() needs the same figure). */
static __always_inline __u64 close_call(const struct pt_frame *f, __u32 stage,
					__u32 tid, __u64 end, __u64 ret)
{
	__u64 lat = end > f->start_ns ? end - f->start_ns : 0, bias, tail;
	bool outermost = f->outermost;

	bias = f->setup ? 0 : stage_bias_ns[stage & (PT_MAX_STAGES - 1)];
	if (bias > lat)
		bias = lat;
	lat -= bias;
	lat -= f->nest_ns < lat ? f->nest_ns : lat; /* see nest_into() */
	tail = f->nest_tail_ns < lat ? f->nest_tail_ns : lat;
	record_call(stage, lat, bias, tail, outermost, f->setup, ret);
	if (outermost)
		add_pair(tid, stage, lat);
	if (stream_on)
		stream_call(f->start_ns, lat, ret, tid, stage);
	return bias;
}

#endif /* PIPETRACE_STAGECALL_BPF_H */
