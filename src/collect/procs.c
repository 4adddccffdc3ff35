// SPDX-License-Identifier: MIT
/*
 * procs.c - the `procs` map's entries and the per (process, stage)
 * counters folded into the report's model (see tracer.h). Apart from
 * tracer.c, which includes the BPF skeleton, so that unit tests link
 * without it.
 */
#include <string.h>

#include "collect/tracer.h"

/* A wait status as the shell gives it: the code, or 128+N after signal N. */
static int shell_status(int32_t code)
{
	if (code & 0x7f)
		return 128 + (code & 0x7f);
	return (code >> 8) & 0xff;
}

void pt_proc_info__from(struct pt_proc_info *r, uint32_t tgid,
			const struct pt_proc *p)
{
	memset(r, 0, sizeof(*r));
	r->pid = tgid;
	r->ppid = p->ppid;
	memcpy(r->comm, p->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->exited = p->flags & PT_PROC_EXITED;
	r->followed = p->flags & PT_PROC_FOLLOWED;
	r->unpaired = p->unpaired;
	r->exit_status = r->exited ? shell_status(p->exit_code) : 0;
	r->start_ns = p->start_ns;
	r->end_ns = r->exited ? p->end_ns : 0;
	r->alloc_calls = p->alloc_calls;
	r->alloc_bytes = p->alloc_bytes;
	r->frees = p->frees;
	r->freed_bytes = p->freed_bytes;
}

void pt_proc_stage_row__add(struct pt_proc_stage_row *r,
			    const struct pt_proc_stats *cpu)
{
	if (cpu->calls > cpu->setup_calls) {
		if (r->calls == r->setup_calls || cpu->min_ns < r->min_ns)
			r->min_ns = cpu->min_ns;
		if (cpu->max_ns > r->max_ns)
			r->max_ns = cpu->max_ns;
	}
	r->calls += cpu->calls;
	r->items += cpu->items;
	r->errors += cpu->errors;
	r->wall_ns += cpu->wall_ns;
	r->lat_sum_ns += cpu->lat_sum_ns;
	r->setup_calls += cpu->setup_calls;
}
