// SPDX-License-Identifier: MIT
/* procset.c - see procset.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "target/procset.h"
#include "util/log.h"

int pt_procset__parse_stat(const char *buf, size_t len, pid_t *ppid,
			   char comm[16])
{
	const char *open = memchr(buf, '(', len);
	const char *close = memrchr(buf, ')', len), *p, *end = buf + len;
	long long v = 0;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > 15)
		n = 15;
	memcpy(comm, open + 1, n);
	comm[n] = '\0';
	/* ") S PPID " */
	p = close + 1;
	if (end - p < 5 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	p += 3;
	if (p >= end || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -EINVAL;
	*ppid = (pid_t)v;
	return 0;
}

/* Reads /proc/PID/stat into buf (NUL-terminated). Returns its length, or
 * -ESRCH. */
static ssize_t read_stat(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	return n;
}

int pt_procset__stat(pid_t pid, pid_t *ppid, char comm[16])
{
	char buf[1024];
	ssize_t n = read_stat(pid, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pt_procset__parse_stat(buf, (size_t)n, ppid, comm);
}

int pt_pidset__add(struct pt_pidset *s, pid_t pid)
{
	size_t cap = s->cap ? 2 * s->cap : 16;
	pid_t *v;

	if (pt_pidset__has(s, pid))
		return 0;
	if (s->n == s->cap) {
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = pid;
	return 0;
}

bool pt_pidset__has(const struct pt_pidset *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return true;
	return false;
}

void pt_pidset__free(struct pt_pidset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The PID a /proc entry names, or 0 for another entry. */
static pid_t entry_pid(const char *name)
{
	long long v = 0;
	const char *p;

	for (p = name; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (pid_t)v;
}

/* Calls fn(pid, ppid, comm, arg) for every process in /proc, until it
 * returns non-zero. Returns that, or 0, or -errno. */
static int for_each_proc(int (*fn)(pid_t, pid_t, const char *, void *),
			 void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char comm[16];
	pid_t pid, ppid;
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (e = readdir(d))) {
		pid = entry_pid(e->d_name);
		if (pid > 0 && !pt_procset__stat(pid, &ppid, comm))
			ret = fn(pid, ppid, comm, arg);
	}
	closedir(d);
	return ret;
}

struct by_comm {
	const char *name;
	struct pt_pidset *out;
};

static int match_comm(pid_t pid, pid_t ppid, const char *comm, void *arg)
{
	struct by_comm *b = arg;

	(void)ppid;
	if (strcmp(comm, b->name) || pid == getpid())
		return 0;
	return pt_pidset__add(b->out, pid);
}

int pt_procset__by_comm(const char *name, struct pt_pidset *out)
{
	struct by_comm b = { .name = name, .out = out };

	return for_each_proc(match_comm, &b);
}

struct by_exe {
	dev_t dev;
	ino_t ino;
	struct pt_pidset *out;
};

static int match_exe(pid_t pid, pid_t ppid, const char *comm, void *arg)
{
	struct by_exe *b = arg;
	char path[64];
	struct stat st;

	(void)ppid;
	(void)comm;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (pid == getpid() || stat(path, &st) || st.st_dev != b->dev ||
	    st.st_ino != b->ino)
		return 0; /* gone, a kernel thread, or another file */
	return pt_pidset__add(b->out, pid);
}

int pt_procset__by_exe(dev_t dev, ino_t ino, struct pt_pidset *out)
{
	struct by_exe b = { .dev = dev, .ino = ino, .out = out };

	return for_each_proc(match_exe, &b);
}

struct desc {
	struct pt_pidset *s;
	size_t added;
};

static int match_child(pid_t pid, pid_t ppid, const char *comm, void *arg)
{
	struct desc *d = arg;

	(void)comm;
	if (!pt_pidset__has(d->s, ppid) || pt_pidset__has(d->s, pid))
		return 0;
	d->added++;
	return pt_pidset__add(d->s, pid);
}

int pt_procset__descendants(struct pt_pidset *s)
{
	struct desc d = { .s = s };
	int ret, rounds;

	/* A child listed before its parent is found on the next pass. */
	for (rounds = 0; rounds < 64; rounds++) {
		d.added = 0;
		ret = for_each_proc(match_child, &d);
		if (ret || !d.added)
			return ret;
	}
	return 0;
}

/* The state letter of a /proc/PID/stat line, or 0. */
static char stat_state(const char *buf, size_t len)
{
	const char *close = memrchr(buf, ')', len);

	if (!close || buf + len - close < 3)
		return 0;
	return close[2];
}

int pt_procset__check(const pid_t *pids, size_t n, char *err, size_t errlen)
{
	char buf[1024];
	ssize_t len;
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		len = read_stat(pids[i], buf, sizeof(buf));
		if (len < 0 || stat_state(buf, (size_t)len) == 'Z')
			return pt_errf(
				err, errlen, -ESRCH,
				"no such PID %d (or it exited); check the process ids given to -p",
				pids[i]);
		/* Only a thread group's leader has a pidfd. */
		fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
		if (fd < 0)
			return pt_errf(
				err, errlen, -EINVAL,
				"PID %d is a thread, not a process; give its process id (Tgid in /proc/%d/status)",
				pids[i], pids[i]);
		close(fd);
	}
	return 0;
}
