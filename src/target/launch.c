// SPDX-License-Identifier: MIT
/* launch.c - see launch.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target/launch.h"

int pt_child__spawn_held(struct pt_child *c, char *const argv[],
			 const sigset_t *sigmask)
{
	int go[2], errp[2], e;
	char b;

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
	if (c->pid == 0) {
		/* Child: only async-signal-safe calls from here on. */
		close(go[1]);
		close(errp[0]);
		sigprocmask(SIG_SETMASK, sigmask, NULL);
		/* pipetrace ignores SIGPIPE; the command must not inherit it. */
		signal(SIGPIPE, SIG_DFL);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		close(go[0]);
		execvp(argv[0], argv);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
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
