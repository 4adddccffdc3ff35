/* SPDX-License-Identifier: MIT */
/*
 * memreport.h - per-stage heap figures from the tracer's memory maps, and
 * the blocks still live at the end grouped into leak suspects.
 *
 * Counts are scaled by the sampling rate (--alloc-sample N: x N). A block
 * allocated in one stage and freed in another counts as freed in the
 * freeing stage and as handed downstream by the allocating one; only blocks
 * nobody freed stay live.
 */
#ifndef PT_MEMREPORT_H
#define PT_MEMREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"

/* Leak suspects kept per stage. */
#define PT_TOP_LIVE 5

/* Allocation sites with live blocks: one user stack. */
struct pt_live_site {
	char **frames; /* symbolized, innermost (the allocator's caller)
			* first */
	size_t nframes;
	uint64_t bytes, count;
};

struct pt_mem_row {
	uint64_t alloc_calls, alloc_bytes, frees, freed_bytes;
	uint64_t frees_untracked, live_bytes, peak_live_bytes, handed_bytes;
	uint64_t page_faults;
	uint64_t mmap_calls, mmap_bytes, munmap_calls, munmap_bytes;
	uint64_t brk_grow_bytes;
	struct pt_live_site top[PT_TOP_LIVE]; /* by bytes, largest first */
	size_t ntop;
};

/* Frees what pt_mem__collect allocated in rows[0..n). */
void pt_mem__free(struct pt_mem_row *rows, size_t n);

/* Converts one BPF counter set (pure; exposed for tests). */
void pt_mem_row__from_bpf(struct pt_mem_row *row, const struct pt_stage_mem *m,
			  unsigned int sample);

#endif /* PT_MEMREPORT_H */
