/* SPDX-License-Identifier: MIT */
/*
 * launch.h - start a command held before its first instruction.
 *
 * The child is forked and waits on a pipe before execvp(), so probes can be
 * attached to its PID first (perf events bound to a task survive exec). If
 * pipetrace goes away before releasing it, the pipe closes and the child
 * exits 127 without running the command.
 */
#ifndef PT_LAUNCH_H
#define PT_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

struct pt_child {
	pid_t pid;
	int go_fd; /* write end: one byte releases the child */
	int err_fd; /* read end: execvp's errno, or EOF when exec worked */
};

/*
 * Forks a child that restores sigmask, waits to be released, then runs
 * argv. Returns 0 or -errno.
 */
int pt_child__spawn_held(struct pt_child *c, char *const argv[],
			 const sigset_t *sigmask);
struct pt_creds;
/*
 * The same, the child taking on creds (creds.h) once released, right
 * before execvpe() with creds->envp; NULL: pipetrace's own. A failure to
 * take them on is reported by pt_child__release() like a failed exec.
 */
int pt_child__spawn_held_as(struct pt_child *c, char *const argv[],
			    const sigset_t *sigmask,
			    const struct pt_creds *creds);
/* Lets the child run argv. Returns 0, or -errno of a failed execvp (the
 * child is then reaped). */
int pt_child__release(struct pt_child *c);
/* Makes a held child exit without running anything, and reaps it. */
void pt_child__abort(struct pt_child *c);

#endif /* PT_LAUNCH_H */
