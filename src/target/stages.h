/* SPDX-License-Identifier: MIT */
/*
 * stages.h - from -s specs (or stage annotations) to the functions to probe.
 *
 * A target is a running process (pid > 0, its objects found in its maps and
 * opened through /proc/PID/root) or a command about to be launched (objects
 * found on disk the way the dynamic loader would). Each resolved stage names
 * one function address in one ELF object, with the file offset to probe.
 */
#ifndef PT_STAGES_H
#define PT_STAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli/opts.h"
#include "symbols/procmaps.h"

struct pt_target {
	pid_t pid; /* > 0: a running process; 0: a command to launch */
	char *exe; /* the main executable's path, as the target sees it */
	char *exe_open; /* the path pipetrace opens it by */
	struct pt_maps maps; /* the running target's mappings (pid > 0) */
};

struct pt_stage {
	char *name; /* the symbol name that matched */
	char *object; /* the ELF's path as the target sees it */
	char *attach_path; /* the path uprobes are attached through */
	uint64_t addr; /* symbol value */
	uint64_t file_off; /* uprobe offset in attach_path */
	enum pt_items_mode items;
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
};

struct pt_stage_set {
	struct pt_stage *v;
	size_t n;
};

/* The largest number of stages one trace can hold (one id is kept for the
 * probe's calibration). */
#define PT_STAGES_MAX (PT_MAX_STAGES - 1)

/*
 * Describes the running process pid: its executable and maps. Returns 0,
 * -ESRCH (no such process), -EACCES/-EPERM, or -errno; err says which.
 */
int pt_target__from_pid(struct pt_target *t, pid_t pid, char *err,
			size_t errlen);
/*
 * Describes the command to launch: argv0 resolved through PATH as execvp(3)
 * would. Returns 0 or -ENOENT/-EACCES with a message in err.
 */
int pt_target__from_command(struct pt_target *t, const char *argv0, char *err,
			    size_t errlen);
/* Describes an ELF file on disk (for `pipetrace list FILE`). */
int pt_target__from_file(struct pt_target *t, const char *path, char *err,
			 size_t errlen);
void pt_target__free(struct pt_target *t);

/*
 * Finds object NAME of the target: the main executable when NAME is NULL, a
 * mapped object (pid > 0), a path, or a library name searched in
 * LD_LIBRARY_PATH and the system library directories. Sets *shown (the path
 * as the target sees it) and *open_path (the path to open and attach by);
 * both malloc'ed. Returns 0 or -ENOENT with a message in err.
 */
int pt_target__find_object(const struct pt_target *t, const char *name,
			   char **shown, char **open_path, char *err,
			   size_t errlen);

/*
 * Resolves specs (or, when nspecs is 0, the annotated stages of the main
 * executable) into *out. Each spec must match at least one function. Returns
 * 0 or a -errno with a one-line message in err.
 */
int pt_stages__resolve(const struct pt_target *t, const struct pt_spec *specs,
		       size_t nspecs, struct pt_stage_set *out, char *err,
		       size_t errlen);
void pt_stages__free(struct pt_stage_set *s);

/* Name of an items mode for reports: "none", "s32", ... */
const char *pt_items_mode__name(enum pt_items_mode m);

/* Drops every stage's probe sites: function entry and return probes only
 * (without --sites). */
void pt_stages__drop_sites(struct pt_stage_set *s);

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

/* The probe class of an instruction starting with code[0..len). */
enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len);
/* Name of a probe class for reports: "push", "endbr", "step". */
const char *pt_probe_class__name(enum pt_probe_class c);

#endif /* PT_STAGES_H */
