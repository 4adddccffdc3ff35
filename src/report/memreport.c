// SPDX-License-Identifier: MIT
/* memreport.c - see memreport.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/memreport.h"

/* ------------------------------------------------------------ counters */

void pt_mem_row__from_bpf(struct pt_mem_row *row, const struct pt_stage_mem *m,
			  unsigned int sample)
{
	uint64_t k = sample ? sample : 1;

	row->alloc_calls = m->alloc_calls * k;
	row->alloc_bytes = m->alloc_bytes * k;
	row->frees = m->frees * k;
	row->freed_bytes = m->freed_bytes * k;
	/* Not scaled: every free() is looked up, sampled or not. */
	row->frees_untracked = m->frees_untracked;
	/* Updated from several CPUs without a lock: never below zero. */
	row->live_bytes = m->live_bytes > 0 ? (uint64_t)m->live_bytes * k : 0;
	row->peak_live_bytes =
		m->peak_live_bytes > 0 ? (uint64_t)m->peak_live_bytes * k : 0;
	row->handed_bytes = m->handed_bytes * k;
	row->page_faults = m->page_faults;
	/* System calls are counted whole, never sampled. */
	row->mmap_calls = m->mmap_calls;
	row->mmap_bytes = m->mmap_bytes;
	row->munmap_calls = m->munmap_calls;
	row->munmap_bytes = m->munmap_bytes;
	row->brk_grow_bytes = m->brk_grow_bytes;
}

void pt_mem__free(struct pt_mem_row *rows, size_t n)
{
	size_t s, i, f;

	if (!rows)
		return;
	for (s = 0; s < n; s++) {
		for (i = 0; i < rows[s].ntop; i++) {
			for (f = 0; f < rows[s].top[i].nframes; f++)
				free(rows[s].top[i].frames[f]);
			free(rows[s].top[i].frames);
			rows[s].top[i].frames = NULL;
			rows[s].top[i].nframes = 0;
		}
		rows[s].ntop = 0;
	}
}
