/* SPDX-License-Identifier: MIT */
/*
 * fpcheck.h - whether an object's code was built with frame pointers, told
 * by its functions' first instructions: with them, a function sets up
 * its frame with `mov %rsp,%rbp` early; without, only the few that need
 * a frame pointer (alloca, stack realignment) do. The functions are those .eh_frame_hdr's
 * search table lists (every object with CFI has one, stripped or not).
 * The file is hostile input: every offset is checked against it.
 */
#ifndef PIPETRACE_FPCHECK_H
#define PIPETRACE_FPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <libelf.h>

#include "symbols/symbolize.h"

struct pt_fpcheck {
	unsigned int funcs; /* function entries read */
	unsigned int fp; /* of them, setting up a frame pointer */
};

/* Reads up to 4096 of ELF's function entries into *out. Returns 0, or
 * -ENOENT (no usable .eh_frame_hdr: nothing told). */
int pt_fpcheck__elf(Elf *elf, struct pt_fpcheck *out);

/* Enough entries read, and fewer than half set up a frame pointer. */
bool pt_fpcheck__lacks_fp(const struct pt_fpcheck *c);

/* Whether any object of U (the vDSO aside) lacks frame pointers; the
 * first such one's name into NAME (LEN bytes). Returns 0 or -EINVAL. */
int pt_fpcheck__usyms(struct pt_usyms *u, bool *lacks, char *name, size_t len);

#endif /* PIPETRACE_FPCHECK_H */
