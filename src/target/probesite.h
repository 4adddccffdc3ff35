/* SPDX-License-Identifier: MIT */
/*
 * probesite.h - where a stage is probed: the instruction at (or just past)
 * a function's entry (emulated push, single-stepped endbr64 or other), and
 * the PIPETRACE_ENTER() nop5 sites inside it that --sites probes instead.
 */
#ifndef PT_PROBESITE_H
#define PT_PROBESITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h" /* enum pt_probe_class */
#include "symbols/elfsyms.h" /* struct pt_site_note */

struct pt_stage;
struct pt_stage_set;

/* Bytes of a function read to choose its probe site. */
#define PT_PROBE_SCAN_MAX 4096

/*
 * Where to probe a function whose code starts with code[0..len) (its whole
 * body, if it fits): the class of the probed instruction, and in *skip how
 * many bytes past the start the probe goes. An endbr64 followed by a push
 * is probed on the push (emulated, not single-stepped) unless a direct
 * branch in the function may land there.
 */
enum pt_probe_class pt_probe_entry__choose(const uint8_t *code, size_t len,
					   uint32_t *skip);
/* The same, reading the function of size bytes at file offset off of path
 * (PT_PROBE_STEP and no skip when it cannot be read). */
enum pt_probe_class pt_probe_entry__at(const char *path, uint64_t off,
				       uint64_t size, uint32_t *skip);

/*
 * free(ptr)'s site, as pt_probe_entry__choose() chooses an entry's, and
 * past a leading NULL test (`test %rdi,%rdi; je`: glibc's free(NULL)
 * returns there) when a push follows it that nothing else branches to:
 * emulated there, not single-stepped, with rdi still the pointer. Only
 * free(NULL) calls pass by it, which count for nothing (no return probe).
 */
enum pt_probe_class pt_probe_free__choose(const uint8_t *code, size_t len,
					  uint32_t *skip);
/* The same, reading free's size bytes at file offset off of path. */
enum pt_probe_class pt_probe_free__at(const char *path, uint64_t off,
				      uint64_t size, uint32_t *skip);

/* The probe class of an instruction starting with code[0..len). */
enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len);
/* Name of a probe class for reports: "push", "endbr", "step". */
const char *pt_probe_class__name(enum pt_probe_class c);

/*
 * Gives s the probe sites of sites[0..nsites) inside its function [s->addr,
 * s->addr + size): entry sites first. Both kinds present make it a
 * PT_PROBE_SITE stage. Returns 0 or -ENOMEM.
 */
int pt_stage__add_sites(struct pt_stage *s, const struct pt_site_note *sites,
			size_t nsites, uint64_t size);

/* Drops every stage's probe sites: function entry and return probes only
 * (without --sites). */
void pt_stages__drop_sites(struct pt_stage_set *s);

/*
 * Return-site probes (PT_PROBE_RETSITE), for code a return probe would
 * harm: the kernel's return probe replaces the return address on the
 * stack, which C++ exception and Rust panic unwinding cannot pass. Instead
 * a plain uprobe goes on each return instruction of the function, and the
 * call is paired with its entry by the stack pointer.
 */

/* Functions larger than this are not decoded (refused). */
#define PT_RETSITE_MAX_FN (1u << 20)

/* A function's exits: offsets from its start, with their cookie flags
 * (PT_COOKIE_RET, with PT_COOKIE_TAIL and PT_COOKIE_IND | register). */
struct pt_ret_at {
	uint64_t off;
	uint32_t flags;
};
struct pt_rets {
	struct pt_ret_at *v;
	size_t n, cap;
};

/*
 * Decodes the whole function code[0..len) (capstone) and lists its exits
 * in *out (free out->v): every ret, every direct jmp out of [0, len), every
 * jmp through a register (whether it leaves is checked when it runs) and
 * through memory with a base register; a jmp through memory with an index
 * only is a jump table's, as is a notrack jmp. Returns 0, -EILSEQ
 * (undecodable bytes: no instruction boundary after them is known),
 * -EOPNOTSUPP (an exit with a prefix the kernel does not probe: a segment
 * override or lock) or -ENOMEM.
 */
int pt_probe_rets__find(const uint8_t *code, size_t len, struct pt_rets *out);

/*
 * Makes s, a function of size bytes in path, a return-site stage (any nop5
 * sites dropped): sites[0] its entry, sites[1..] its exits with
 * exit_flags[]. Returns 0, -ENODATA (sizeless or short), -EFBIG (larger
 * than PT_RETSITE_MAX_FN), -EILSEQ, -EOPNOTSUPP, -EIO or -ENOMEM.
 */
int pt_stage__use_retsites(struct pt_stage *s, const char *path, uint64_t size);
/*
 * Go (PT_LANG_GO): as pt_probe_rets__find(), Go's exits (a ret, a direct
 * jmp out) and, flagged PT_COOKIE_GROW, the prologue's call to
 * runtime.morestack (a direct call out whose next branch jumps back to the
 * function's start).
 */
int pt_probe_gorets__find(const uint8_t *code, size_t len, struct pt_rets *out);
/*
 * Makes s, a Go function of size bytes in path, a return-site stage whose
 * frames are paired by goroutine (s->go): sites[0] its entry, sites[1..]
 * its exits and morestack calls; g is the runtime's g layout (stack_hi
 * -1: frames paired by depth only). Returns as pt_stage__use_retsites().
 */
int pt_stage__use_gosites(struct pt_stage *s, const char *path, uint64_t size,
			  const struct pt_go_layout *g);
/* Adds to s, a Go stage, an exit site at file_off, runtime.goexit1's
 * (PT_COOKIE_GOEXIT): where a goroutine ends. Returns 0 or -ENOMEM. */
int pt_stage__add_goexit(struct pt_stage *s, uint64_t file_off);
/* Why a pt_stage__use_retsites() error refuses the function: a phrase. */
const char *pt_probe_rets__why(int err);

/*
 * The probe latency to subtract from each call of stage s, from the
 * calibrated latency per class bias[PT_PROBE_NR]: a return-site stage's
 * is its class's plus what its entry's class costs more than a push.
 */
uint64_t pt_stage__bias(const struct pt_stage *s, const uint64_t *bias);
/* Whether class c must be calibrated for stage s (pt_stage__bias()). */
bool pt_stage__calibrates(const struct pt_stage *s, enum pt_probe_class c);

/* What an object's code needs of its probes, by evidence in the file. */
enum pt_lang {
	PT_LANG_PLAIN = 0, /* return probes are safe */
	PT_LANG_UNWIND = 1, /* exceptions/panics unwind through it: C++
			     * (.gcc_except_table, libstdc++) or Rust
			     * (libgcc_s): return-site probes */
	PT_LANG_GO = 2, /* Go (.gopclntab, .go.buildinfo): return-site
			 * probes, frames paired by goroutine */
};

/* The enum pt_lang of the ELF file at path, or -errno. */
int pt_probe_lang__of(const char *path);
/* A phrase naming a language for messages. */
const char *pt_probe_lang__why(int lang);

#endif /* PT_PROBESITE_H */
