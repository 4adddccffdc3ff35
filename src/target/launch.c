// SPDX-License-Identifier: MIT
/* launch.c - see launch.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target/creds.h"
#include "target/launch.h"

/*
 * Takes on c: supplementary groups, then gid, then uid (after which no
 * privilege is left to change the others). Returns 0 or -errno of the
 * first call that failed.
 */
static int take_on(const struct pt_creds *c)
{
	if (setgroups(c->ngroups, c->groups))
		return -errno;
	if (setgid(c->gid))
		return -errno;
	if (setuid(c->uid))
		return -errno;
	return 0;
}

/* The forked child: waits to be released, takes on creds, runs argv. */
static void __attribute__((noreturn))
run_child(const int go[2], const int errp[2], char *const argv[],
	  const sigset_t *sigmask, const struct pt_creds *creds)
{
	int e;
	char b;

	/* Only async-signal-safe calls from here on. */
	close(go[1]);
	close(errp[0]);
	sigprocmask(SIG_SETMASK, sigmask, NULL);
	/* pipetrace ignores SIGPIPE; the command must not inherit it. */
	signal(SIGPIPE, SIG_DFL);
	if (read(go[0], &b, 1) != 1)
		_exit(127);
	close(go[0]);
	e = creds ? -take_on(creds) : 0;
	if (!e) {
		if (creds)
			execvpe(argv[0], argv, creds->envp);
		else
			execvp(argv[0], argv);
		e = errno;
	}
	if (write(errp[1], &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int pt_child__spawn_held(struct pt_child *c, char *const argv[],
			 const sigset_t *sigmask)
{
	return pt_child__spawn_held_as(c, argv, sigmask, NULL);
}

int pt_child__spawn_held_as(struct pt_child *c, char *const argv[],
			    const sigset_t *sigmask,
			    const struct pt_creds *creds)
{
	int go[2], errp[2], e;

	c->pid = -1;
	c->go_fd = c->err_fd = -1;
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		e = -errno;
		close(go[0]);
		close(go[1]);
		return e;
	}
	c->pid = fork();
	if (c->pid < 0) {
		e = -errno;
		close(go[0]);
		close(go[1]);
		close(errp[0]);
		close(errp[1]);
		return e;
	}
	if (c->pid == 0)
		run_child(go, errp, argv, sigmask, creds);
	close(go[0]);
	close(errp[1]);
	c->go_fd = go[1];
	c->err_fd = errp[0];
	return 0;
}

int pt_child__release(struct pt_child *c)
{
	int e = 0, status;
	ssize_t n;

	if (write(c->go_fd, "g", 1) != 1) {
		e = -errno;
		pt_child__abort(c);
		return e;
	}
	close(c->go_fd);
	c->go_fd = -1;
	do
		n = read(c->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		waitpid(c->pid, &status, 0);
		c->pid = -1;
		return -(e ? e : ENOEXEC);
	}
	return 0;
}

void pt_child__abort(struct pt_child *c)
{
	int status;

	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->go_fd = c->err_fd = -1;
	if (c->pid > 0)
		waitpid(c->pid, &status, 0);
	c->pid = -1;
}
