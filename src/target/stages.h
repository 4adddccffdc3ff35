/* SPDX-License-Identifier: MIT */
/*
 * stages.h - from -s specs (or stage annotations) to the functions to probe.
 *
 * Each resolved stage names one function address in one ELF object of a
 * target (target.h), with the file offset to probe (probesite.h).
 */
#ifndef PT_STAGES_H
#define PT_STAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pipetrace_abi.h"
#include "target/probesite.h"
#include "target/spec.h"
#include "target/target.h"

struct pt_stage {
	char *name; /* the name shown: the symbol demangled (C++ with its
		     * parameters, Rust without its hash), else the symbol */
	char *symbol; /* the symbol name that matched, as in the ELF */
	char *object; /* the ELF's path as the target sees it */
	char *attach_path; /* the path uprobes are attached through */
	uint64_t addr; /* symbol value */
	uint64_t file_off; /* uprobe offset in attach_path */
	/* How the return value is read: fn_items at a return probe; items
	 * is fn_items, or s64 where PIPETRACE_ENTER()'s exit sites are
	 * probed (--sites) and the mode was not given with ",items=". */
	enum pt_items_mode items, fn_items;
	bool items_explicit; /* ",items=MODE" given */
	enum pt_probe_class probe_class; /* how it is probed (see below) */
	enum pt_probe_class fn_class; /* of the probe at file_off */
	uint32_t entry_skip; /* bytes of endbr64 before file_off (0 or 4) */
	bool annotated; /* marked with <pipetrace/stage.h> */
	/* Probe sites (PIPETRACE_ENTER()) inside the function: file offsets,
	 * nentry entry sites then nexit exit sites. When it has both kinds,
	 * probe_class is PT_PROBE_SITE and they are probed instead of
	 * file_off. */
	uint64_t *sites;
	size_t nentry, nexit;
	/* PT_PROBE_RETSITE: sites[0] is the entry and sites[1..] the return
	 * instructions, exit_flags[i] the cookie bits of sites[1 + i] beyond
	 * the stage id; fn_size the function's size. */
	uint64_t *exit_flags;
	uint32_t fn_size;
	/* It has PIPETRACE_ENTER() sites (entry and exit), probed or not:
	 * without --sites they are dropped, this stays. */
	bool has_sites;
	/* A Go function (PT_PROBE_RETSITE, PT_COOKIE_GO): frames paired by
	 * goroutine; go_layout where the runtime's g holds its stack and id,
	 * from the binary's DWARF. */
	bool go;
	struct pt_go_layout go_layout;
};

struct pt_stage_set {
	struct pt_stage *v;
	size_t n;
	/* Bit i: -s spec i named a function in some object resolved into
	 * the set (specs past the 64th count as named). */
	uint64_t spec_named;
};

/* Whether spec i (of the -s specs resolved into set) named a function. */
bool pt_stages__spec_named(const struct pt_stage_set *set, size_t i);

/*
 * Resolves specs (or, when nspecs is 0, the annotated stages of the main
 * executable) into *out. Each spec must match at least one function. Returns
 * 0 or a -errno with a one-line message in err.
 */
int pt_stages__resolve(const struct pt_target *t, const struct pt_spec *specs,
		       size_t nspecs, struct pt_stage_set *out, char *err,
		       size_t errlen);
/*
 * Several processes: the same, but a spec without OBJECT (or the
 * annotations) may match nothing in the first executable if it starts
 * other programs (imports exec*, posix_spawn*, system or popen): a program
 * a traced process execs later may have the functions.
 */
int pt_stages__resolve_several(const struct pt_target *t,
			       const struct pt_spec *specs, size_t nspecs,
			       struct pt_stage_set *out, char *err,
			       size_t errlen);
/*
 * A program a traced process exec'd: appends to out the stages that the
 * specs without OBJECT (or, when nspecs is 0, the annotations) name in t's
 * executable, and those that specs naming a library by name (no '/') name
 * in the copy this program's loader will map, when it is another file than
 * the one out has (pyenv's python3.11 run by its shim has its own
 * libpython); each of them free to match nothing. On error out is as it
 * was. Returns 0 or -errno with a message in err.
 */
int pt_stages__resolve_exe(const struct pt_target *t,
			   const struct pt_spec *specs, size_t nspecs,
			   struct pt_stage_set *out, char *err, size_t errlen);
/* Frees the stages from index n on. */
void pt_stages__truncate(struct pt_stage_set *s, size_t n);
void pt_stages__free(struct pt_stage_set *s);

/* Name of an items mode for reports: "none", "s32", ... */
const char *pt_items_mode__name(enum pt_items_mode m);

#endif /* PT_STAGES_H */
