/* SPDX-License-Identifier: MIT */
/*
 * stackfold.h - the tracer's stack samples as folded stacks per stage.
 *
 * Every line starts with the stage the thread was innermost in ("[no
 * stage]" outside them), then the user frames from the root (inlined
 * functions expanded from DWARF), then the kernel frames with the "_[k]"
 * suffix. On-CPU lines count samples; off-CPU lines count microseconds and
 * end with the reason: "[io]", "[lock]", "[sleep]", "[runqueue]",
 * "[other]" (waits under 0.5 us round to nothing and are dropped).
 */
#ifndef PT_STACKFOLD_H
#define PT_STACKFOLD_H

#include "output/folded.h"
#include "symbols/kallsyms.h"
#include "target/stages.h"
#include "symbols/symbolize.h"
#include "collect/tracer.h"

#define PT_NO_STAGE "[no stage]"

/* The off-CPU reason frame of a pt_part ("[io]", ...). */
const char *pt_stackfold__reason(unsigned int part);

/*
 * Adds every sample bucket of t to oncpu or offcpu (either may be NULL to
 * skip that kind), naming user frames with u and kernel frames with k
 * (either may be NULL: addresses in hex). Returns 0 or -errno.
 */
int pt_stackfold__collect(struct pt_tracer *t, const struct pt_stage_set *st,
			  struct pt_usyms *u, const struct pt_ksyms *k,
			  struct pt_folded *oncpu, struct pt_folded *offcpu);

#endif /* PT_STACKFOLD_H */
