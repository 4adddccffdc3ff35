/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - user stacks unwound from a copy of the registers and the top
 * of the stack (--call-graph dwarf), with the CFI (.eh_frame, .debug_frame)
 * of the process's objects, through libdw's unwinder on the symbolizer's
 * Dwfl. Code without CFI is walked by its frame pointers (libdw's x86-64
 * fallback), within the copy too.
 *
 * The copy is the traced process's memory: every read is bounds-checked
 * against it, and any other address is unavailable to the unwinder (CFI
 * is read from the objects' files by libdw). Functions return 0 or a
 * negative errno and never print.
 */
#ifndef PIPETRACE_UNWIND_H
#define PIPETRACE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"
#include "symbols/symbolize.h"

struct pt_unwinder;

/*
 * An unwinder over U's modules (U must outlive it; one unwinder per U: a
 * Dwfl takes one). Returns 0 and *out, or -EINVAL/-ENOMEM/-ENOEXEC (no
 * module to tell the architecture by) with a message in err.
 */
int pt_unwinder__new(struct pt_usyms *u, struct pt_unwinder **out, char *err,
		     size_t errlen);

/*
 * Unwinds the sample of H, whose H->size bytes of stack (from
 * H->regs[PT_UREG_SP] up) are STACK: writes at most MAX program counters
 * into IPS, innermost first (the first is the sampled IP, the rest return
 * addresses), and returns how many (0 when even the first is unknown), or
 * -EINVAL for a size over PT_USTACK_MAX.
 */
int pt_unwinder__unwind(struct pt_unwinder *w, const struct pt_usample_hdr *h,
			const uint8_t *stack, uint64_t *ips, int max);

/*
 * Whether the last pt_unwinder__unwind() was cut short by the copy: its
 * walk ended on a read just past the copied bytes (within PT_USTACK_MAX of
 * their end), where the stack went on, not at the outermost frame or
 * at MAX frames.
 */
bool pt_unwinder__cut(const struct pt_unwinder *w);

void pt_unwinder__free(struct pt_unwinder *w);

#endif /* PIPETRACE_UNWIND_H */
