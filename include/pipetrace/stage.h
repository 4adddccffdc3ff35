/* SPDX-License-Identifier: MIT */
/*
 * pipetrace/stage.h - mark functions as pipeline stages, at zero run-time cost.
 *
 *   #include <pipetrace/stage.h>
 *
 *   long stage_parse(struct batch *b);
 *   PIPETRACE_STAGE(stage_parse);          // returns an item count
 *   PIPETRACE_STAGE_NOITEMS(stage_flush);  // return value is not a count
 *
 * Each use adds one ELF note (owner "pipetrace", type 1) to the section
 * ".note.pipetrace" of the object that defines the function. The note holds
 * a flags byte and the function's symbol name; no code is emitted and nothing
 * runs. `pipetrace -p PID` (or `pipetrace -- CMD`) with no -s traces every
 * function so annotated; `pipetrace list` shows them first.
 *
 * Write the macro at file scope, in the translation unit that defines the
 * function, after its declaration. The function must keep a symbol: mark it
 * noinline (PIPETRACE_NOINLINE) so the compiler cannot fold it into callers.
 *
 * Note descriptor layout (4-byte aligned, as every ELF note):
 *   u8 version (1) | u8 flags | u16 reserved (0) | char name[] NUL-terminated
 * flags bit 0: the return value is the number of items the call produced.
 */
#ifndef PIPETRACE_STAGE_H
#define PIPETRACE_STAGE_H

#define PIPETRACE_NOTE_OWNER "pipetrace"
#define PIPETRACE_NOTE_TYPE_STAGE 1
#define PIPETRACE_NOTE_VERSION 1
#define PIPETRACE_STAGE_F_ITEMS 0x1

#if defined(__clang__)
#define PIPETRACE_NOINLINE __attribute__((noinline, used))
#else
#define PIPETRACE_NOINLINE __attribute__((noinline, noclone, used))
#endif

#define PIPETRACE__STR(x) #x
#define PIPETRACE__NOTE(fn, flags)                                        \
	__asm__(".pushsection .note.pipetrace,\"a\",@note\n\t"            \
		".balign 4\n\t"                                           \
		".long 10\n\t" /* namesz: "pipetrace" + NUL */            \
		".long 1702f - 1701f\n\t" /* descsz */                    \
		".long " PIPETRACE__STR(1) "\n\t" /* type: stage */       \
					   ".asciz \"pipetrace\"\n\t"     \
					   ".balign 4\n"                  \
					   "1701:\n\t"                    \
					   ".byte 1, " PIPETRACE__STR(    \
						   flags) ", 0, 0\n\t"    \
							  ".asciz \"" #fn \
							  "\"\n"          \
							  "1702:\n\t"     \
							  ".balign 4\n\t" \
							  ".popsection\n")

/* Mark fn as a stage whose return value is the number of items it output. */
#define PIPETRACE_STAGE(fn) PIPETRACE__NOTE(fn, 1)
/* Mark fn as a stage whose return value is not an item count. */
#define PIPETRACE_STAGE_NOITEMS(fn) PIPETRACE__NOTE(fn, 0)

#endif /* PIPETRACE_STAGE_H */
