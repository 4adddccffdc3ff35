// SPDX-License-Identifier: MIT
/*
 * pending.c - a live thread's open interval and open calls, charged at a
 * read (see pending.h). As bpf/pipetrace.bpf.h's account() charges them.
 */
#include <errno.h>
#include <stdlib.h>

#include "collect/pending.h"

uint32_t pt_pending__part(const struct pt_thread *th)
{
	if (th->state == PT_T_ONCPU)
		return th->sys_nr >= 0 ? PT_PART_SYS : PT_PART_USER;
	if (th->state == PT_T_RUNNABLE)
		return PT_PART_RUNQ;
	return th->off_part < PT_PART_NR ? th->off_part : PT_PART_OTHER;
}

/* The frames of th that are stored (deeper calls are not timed). */
static uint32_t stored_frames(const struct pt_thread *th)
{
	return th->depth < PT_MAX_DEPTH ? th->depth : PT_MAX_DEPTH;
}

/* How long frame f's call has been open at now, if it is an outermost
 * call of a stage below nstages; else 0. */
static uint64_t open_wall(const struct pt_frame *f, uint64_t now,
			  size_t nstages)
{
	if (!f->outermost || f->stage >= nstages || now <= f->start_ns)
		return 0;
	return now - f->start_ns;
}

void pt_pending__stages(const struct pt_thread *th, uint64_t now,
			struct pt_totals *totals, size_t nstages)
{
	uint32_t d = stored_frames(th), i, inner;

	if (th->exited || !d)
		return;
	inner = th->frames[d - 1].stage;
	if (inner < nstages && now > th->last_ns)
		totals[inner].time.part_ns[pt_pending__part(th)] +=
			now - th->last_ns;
	for (i = 0; i < d; i++) {
		const struct pt_frame *f = &th->frames[i];

		if (f->stage < nstages)
			totals[f->stage].wall_ns += open_wall(f, now, nstages);
	}
}

/* The pair (tid, stage) in *v, appended with no time if missing. */
static struct pt_pair *pair_of(uint32_t tid, uint32_t stage, struct pt_pair **v,
			       size_t *n)
{
	struct pt_pair *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].tid == tid && (*v)[i].stage == stage)
			return &(*v)[i];
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return NULL;
	*v = nv;
	nv[*n] = (struct pt_pair){ .tid = tid, .stage = stage };
	return &nv[(*n)++];
}

int pt_pending__pairs(const struct pt_thread *th, uint32_t tid, uint64_t now,
		      size_t nstages, struct pt_pair **v, size_t *n)
{
	uint32_t d = stored_frames(th), i;
	struct pt_pair *p;
	uint64_t wall;

	if (th->exited)
		return 0;
	for (i = 0; i < d; i++) {
		wall = open_wall(&th->frames[i], now, nstages);
		if (!wall)
			continue;
		p = pair_of(tid, th->frames[i].stage, v, n);
		if (!p)
			return -ENOMEM;
		p->wall_ns += wall;
	}
	return 0;
}
