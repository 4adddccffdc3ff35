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
 * Stage note descriptor layout (4-byte aligned, as every ELF note):
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

/* ------------------------------------------------------------ probe sites */

/*
 * Optional, for the cheapest probes: write PIPETRACE_ENTER(); as the first
 * statement of a stage function's body.
 *
 *   long stage_parse(struct batch *b)
 *   {
 *           PIPETRACE_ENTER();
 *           ...
 *           return PIPETRACE_ITEMS(n);   // n: the item count, if any
 *   }
 *   PIPETRACE_STAGE(stage_parse);
 *
 * It places a 5-byte nop (0f 1f 44 00 00) where the body starts and another
 * on every way out of the function (a cleanup handler the compiler runs on
 * each return), and records each one's address in a note (type 2). Without
 * a tracer they cost one nop each. pipetrace attaches plain uprobes at them
 * instead of a uprobe at the function's first instruction and a uretprobe:
 * the kernel (x86-64, Linux 6.18 and later) turns a uprobe on a 5-byte nop
 * into a call, about 2.5x cheaper than the int3 and the return trampoline.
 * That call pushes onto the user stack, below %rsp: into the 128-byte red
 * zone where a leaf function may keep its locals (gcc -O0 does). So each
 * nop is bracketed by "lea -128(%rsp),%rsp" and "lea 128(%rsp),%rsp" (lea
 * leaves the flags alone): untraced, two more cheap instructions; traced,
 * nothing of the function's is overwritten.
 *
 * The exit site hands the tracer the item count given to PIPETRACE_ITEMS()
 * on the way out (in %rax); a return without it reports no items for that
 * call. PIPETRACE_ITEMS(x) evaluates x once and yields it unchanged.
 *
 * Site note descriptor (4-byte aligned):
 *   u8 version (1) | u8 kind (0 entry, 1 exit) | u16 reserved (0)
 *   | s32 site address minus the address of this field
 * The note section is allocated, so the difference is fixed at link time
 * (no relocation is left for the loader, in executables, PIE and shared
 * libraries alike).
 */
#define PIPETRACE_NOTE_TYPE_SITE 2
#define PIPETRACE_SITE_ENTRY 0
#define PIPETRACE_SITE_EXIT 1
/* The %rax value of an exit site when no item count was given. */
#define PIPETRACE_ITEMS_UNSET (-0x7fffffffffffffffL - 1)

#if defined(__x86_64__) && defined(__GNUC__)

#define PIPETRACE__SITE(kind)                                             \
	"lea -128(%%rsp), %%rsp\n\t"                                      \
	"990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"                     \
	"lea 128(%%rsp), %%rsp\n\t"                                       \
	".pushsection .note.pipetrace,\"a\",@note\n\t"                    \
	".balign 4\n\t"                                                   \
	".long 10\n\t"                                                    \
	".long 8\n\t"                                                     \
	".long " PIPETRACE__STR(2) "\n\t"                                 \
	".asciz \"pipetrace\"\n\t"                                        \
	".balign 4\n\t"                                                   \
	".byte 1, " PIPETRACE__STR(kind) ", 0, 0\n\t"                     \
	".long 990b - .\n\t"                                              \
	".popsection\n\t"

struct pipetrace__frame {
	long items;
};

static inline __attribute__((always_inline, unused)) void
pipetrace__exit(struct pipetrace__frame *f)
{
	__asm__ volatile(PIPETRACE__SITE(1) : : "a"(f->items) : "memory");
}

#define PIPETRACE_ENTER()                                                  \
	struct pipetrace__frame __pipetrace_frame                          \
		__attribute__((cleanup(pipetrace__exit), unused)) = {      \
			PIPETRACE_ITEMS_UNSET                              \
		};                                                         \
	__asm__ volatile(PIPETRACE__SITE(0) : : : "memory")

#define PIPETRACE_ITEMS(x)                                                 \
	({                                                                 \
		__typeof__(x) __pipetrace_n = (x);                         \
		__pipetrace_frame.items = (long)__pipetrace_n;             \
		__pipetrace_n;                                             \
	})

#else /* no probe sites on this compiler or architecture: plain stages */

#define PIPETRACE_ENTER() ((void)0)
#define PIPETRACE_ITEMS(x) (x)

#endif

#endif /* PIPETRACE_STAGE_H */
