/* SPDX-License-Identifier: MIT */
/*
 * ustacks.h - samples of --call-graph dwarf: each one's registers and
 * stack copy (on CPU: sample.bpf.c; at a switch-out: sched.bpf.c) unwound
 * as it arrives from the ring buffers (symbols/unwind.h) and counted per
 * (stage, part, user stack, kernel stack), as the `samples` map counts
 * the frame-pointer ones: on-CPU samples one each, a switch-out by the
 * off-CPU time its weight record brings when the thread runs again. An
 * allocation's record (--alloc, alloc.bpf.c) is not counted: its stack is
 * kept by the record's sequence number, for the leak suspects.
 *
 * A sample that CFI does not unwind past its first frame (no unwinder
 * yet, no CFI at its IP) keeps its frame-pointer stack, read from the
 * tracer's stack map. Its stacks get ids of their own, PT_USTACKS_ID set,
 * which pt_ustacks__read() reads. Not thread-safe; never prints.
 */
#ifndef PT_USTACKS_H
#define PT_USTACKS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/tracer.h"
#include "symbols/unwind.h"

#define PT_USTACKS_ID 0x40000000 /* set in the ids of unwound stacks */

struct pt_ustacks;

/* What the samples cost and gave. */
struct pt_ustacks_stats {
	uint64_t samples; /* sample records received */
	uint64_t unmatched; /* weights without their switch-out's sample */
	uint64_t unwound; /* unwound past their first frame by CFI */
	uint64_t fallback; /* kept their frame-pointer stack instead */
	uint64_t cut; /* unwound, but cut short where the copy ended */
	uint64_t malformed; /* records of a wrong size: dropped */
	uint64_t dropped; /* over the stacks or buckets limit: dropped */
	uint64_t stack_bytes; /* bytes of stack copied, summed */
	uint64_t unwind_ns; /* time spent unwinding */
};

/* Samples whose fallback stacks T holds (T outlives them; NULL: no
 * fallback but the sampled IP). Returns 0 or -ENOMEM. */
int pt_ustacks__new(struct pt_tracer *t, struct pt_ustacks **out);

/* Unwinds the samples from now on with W (NULL: frame pointers only). */
void pt_ustacks__set_unwinder(struct pt_ustacks *s, struct pt_unwinder *w);

/* The ring buffers' callback: CTX is a struct pt_ustacks, DATA one record
 * (a struct pt_usample_hdr and its stack bytes, or a struct pt_uweight).
 * Always 0: what a record lacks is counted in the stats. */
int pt_ustacks__consume(void *ctx, void *data, size_t size);

/* Calls CB for every (stage, stacks) bucket with its sample count; the
 * key's ustack is one of this store's ids, or < 0. */
int pt_ustacks__for_each(const struct pt_ustacks *s, pt_sample_cb cb,
			 void *ctx);

/* The stack of ID, innermost first; returns its frames or -ENOENT. */
int pt_ustacks__read(const struct pt_ustacks *s, int32_t id,
		     uint64_t ips[PT_STACK_DEPTH]);

/* The unwound stack of the allocation whose pt_alloc.useq is SEQ (a
 * PT_SAMPLE_ALLOC record): its id for pt_ustacks__read(), or -ENOENT. */
int32_t pt_ustacks__alloc_stack(const struct pt_ustacks *s, uint64_t seq);

void pt_ustacks__stats(const struct pt_ustacks *s,
		       struct pt_ustacks_stats *out);

void pt_ustacks__free(struct pt_ustacks *s);

#endif /* PT_USTACKS_H */
