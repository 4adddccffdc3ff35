/* SPDX-License-Identifier: MIT */
/*
 * target.h - the traced program and where its objects are.
 *
 * A target is a running process (pid > 0, its objects found in its maps and
 * opened through /proc/PID/root) or a command about to be launched (objects
 * found on disk the way the dynamic loader would), or an ELF file on disk
 * (`pipetrace list FILE`).
 */
#ifndef PT_TARGET_H
#define PT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "symbols/procmaps.h"

struct pt_target {
	pid_t pid; /* > 0: a running process; 0: a command to launch */
	char *exe; /* the main executable's path, as the target sees it */
	char *exe_open; /* the path pipetrace opens it by */
	struct pt_maps maps; /* the running target's mappings (pid > 0) */
	int pidfd; /* pid > 0: a pidfd of the process, else -1 */
	unsigned long long start_time; /* its start, in ticks after boot */
	/* Several processes: a library not mapped in pid (loaded later, or
	 * by another process) is searched on disk as for a launch. */
	bool search_unmapped;
};

/*
 * Describes the running process pid: its executable and maps, read between
 * opening a pidfd (kept in t->pidfd) and checking that the process is
 * still the one it was (pt_target__check_same()), so that a PID reused
 * meanwhile is never described. Returns 0, -ESRCH (no such process, or it
 * exited while being read), -EINVAL (a thread id), -EACCES/-EPERM, or
 * -errno; err says which.
 */
int pt_target__from_pid(struct pt_target *t, pid_t pid, char *err,
			size_t errlen);
/*
 * 0 while the target process is the one described (its pidfd shows it
 * alive with the same start time; always 0 without a pid), else -ESRCH
 * with a message in err.
 */
int pt_target__check_same(const struct pt_target *t, char *err, size_t errlen);
/*
 * The start time (field 22) of a /proc/PID/stat line buf[0..len), which
 * need not be NUL-terminated; COMM may hold spaces and parentheses.
 * Returns 0, or -EINVAL for a malformed or truncated line.
 */
int pt_proc_stat__starttime(const char *buf, size_t len,
			    unsigned long long *start);

/*
 * The interpreter a script's first line buf[0..len) names ("#!INTERP [ARG]",
 * as the kernel reads at most PT_SHEBANG_MAX bytes of it), copied into
 * interp[0..size). Returns 0, -ENOEXEC when buf is no "#!" line (or names
 * no interpreter), -ENAMETOOLONG when the name does not fit.
 */
#define PT_SHEBANG_MAX 256
int pt_shebang__parse(const char *buf, size_t len, char *interp, size_t size);

/*
 * Describes the command to launch: argv0 resolved through PATH as execvp(3)
 * would. A script ("#!") is described by its interpreter, as the kernel
 * runs it (up to PT_SHEBANG_DEPTH nested ones): the programs it starts are
 * followed as the interpreter's children. Returns 0 or
 * -ENOENT/-EACCES/-ELOOP with a message in err.
 */
#define PT_SHEBANG_DEPTH 4
int pt_target__from_command(struct pt_target *t, const char *argv0, char *err,
			    size_t errlen);
/*
 * Describes a file on disk (for `pipetrace list FILE`): an ELF file as it
 * is; a script ("#!") by its interpreter and a bare name that is no file
 * here through PATH, as pt_target__from_command() (what runs when it is run).
 */
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

#endif /* PT_TARGET_H */
