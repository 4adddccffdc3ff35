/* SPDX-License-Identifier: MIT */
/*
 * stackfold.h - the tracer's stack samples as folded stacks per stage.
 *
 * Every line starts with the stage the thread was innermost in ("[no
 * stage]" outside them; with several processes and o->label, after the
 * frame naming the process), then the user frames from the root (inlined
 * functions expanded from DWARF), then the kernel frames with the "_[k]"
 * suffix. On-CPU lines count samples; off-CPU lines count microseconds and
 * end with the reason: "[io]", "[lock]", "[sleep]", "[runqueue]",
 * "[other]" (waits under 0.5 us round to nothing and are dropped).
 */
#ifndef PT_STACKFOLD_H
#define PT_STACKFOLD_H

#include "output/folded.h"
#include "report/snapshot.h"
#include "symbols/kallsyms.h"
#include "target/stages.h"
#include "symbols/symbolize.h"
#include "collect/tracer.h"
#include "collect/ustacks.h"

#define PT_NO_STAGE "[no stage]"

/* The off-CPU reason frame of a pt_part ("[io]", ...). */
const char *pt_stackfold__reason(unsigned int part);

/* Options of pt_stackfold__collect(); all-zero means the defaults. */
struct pt_stackfold_opts {
	bool addresses; /* unnamed code as "OBJECT+0xOFF", one frame per
			 * address, instead of OBJECT per run of frames */
	/* --call-graph dwarf's samples, folded beside the tracer's: their
	 * user stacks are read from here (NULL: none) */
	const struct pt_ustacks *ustacks;
	/* Several processes: the symbols of the process of kernel tgid (a
	 * sample without one, tgid 0, is the first process's: u). NULL
	 * returned: that process's frames as addresses. */
	struct pt_usyms *(*syms_of)(void *ctx, uint32_t tgid);
	/* Several processes: when set, each line starts with the frame
	 * label(ctx, tgid) gives (the process's "COMM-PID"). */
	const char *(*label)(void *ctx, uint32_t tgid);
	void *procs_ctx;
};

/* struct pt_stackfold_stats: in report/snapshot.h, which carries it. */

/*
 * Adds every sample bucket of t to oncpu or offcpu (either may be NULL to
 * skip that kind), naming user frames with u and kernel frames with k
 * (either may be NULL: addresses in hex); o and stats may be NULL.
 *
 * The tracer's own frames are removed: kernel frames from the first one of
 * the uprobe machinery (int3 trap, handlers, uretprobe syscall) or of a
 * tracepoint's or perf event's BPF glue down to the leaf. A sample is the
 * tracer's own work, counted in stats and not added, when its user leaf is
 * in the uprobe area ([uprobes]) or its kernel stack went through the
 * uprobe machinery, or (on CPU) through BPF glue; off CPU the BPF glue is
 * only where the stack was taken (__traceiter_sched_switch).
 *
 * Code without a symbol is named by its object, consecutive frames of one
 * object folded into one ("[jit]" for anonymous executable memory,
 * "[anon-exec]" for executable [heap]/[stack]; "[unknown]" outside every
 * known mapping), unless o->addresses. A user stack is cut at its first
 * frame in memory that is not executable (a broken frame-pointer walk) and
 * counted as truncated. Returns 0 or -errno.
 */
int pt_stackfold__collect(struct pt_tracer *t, const struct pt_stage_set *st,
			  struct pt_usyms *u, const struct pt_ksyms *k,
			  const struct pt_stackfold_opts *o,
			  struct pt_folded *oncpu, struct pt_folded *offcpu,
			  struct pt_stackfold_stats *stats);

/*
 * The addresses of the kernel frames pt_stackfold__collect() would name
 * (those of every sample's kernel stack, o->ustacks' too), into *ips
 * (malloc'ed, unsorted, with repeats; NULL when *n is 0): what
 * pt_ksyms__load_for() needs. Returns 0 or -errno.
 */
int pt_stackfold__kernel_ips(struct pt_tracer *t,
			     const struct pt_stackfold_opts *o, uint64_t **ips,
			     size_t *n);

#endif /* PT_STACKFOLD_H */
