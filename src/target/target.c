// SPDX-License-Identifier: MIT
/*
 * target.c - the traced program: a running process, a command to launch or
 * an ELF file, and where its executable and libraries are (see target.h).
 */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "symbols/elfsyms.h"
#include "target/target.h"
#include "util/log.h"
#include "util/readfile.h"

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int pt_proc_stat__starttime(const char *buf, size_t len,
			    unsigned long long *start)
{
	const char *p = memrchr(buf, ')', len), *end = buf + len;
	unsigned long long v = 0;
	int field;

	/* "PID (COMM) STATE ...": COMM may hold spaces and ')'. */
	if (!p || !memchr(buf, '(', (size_t)(p - buf)))
		return -EINVAL;
	p++;
	for (field = 3; field < 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (p >= end || *p == ' ' || *p == '\n')
			return -EINVAL;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
	}
	if (p >= end || *p++ != ' ' || p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -EINVAL;
	*start = v;
	return 0;
}

/* The start time of process pid (clock ticks after boot); 0 or -errno. */
static int read_starttime(pid_t pid, unsigned long long *start)
{
	char path[64], *buf;
	size_t len;
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pt_read_fd(fd, 1024, 65536, &buf, &len);
	close(fd);
	if (ret)
		return ret;
	ret = pt_proc_stat__starttime(buf, len, start);
	free(buf);
	return ret;
}

/* Turns a failed pidfd_open(pid) into a message. */
static int pidfd_error(pid_t pid, int e, char *err, size_t errlen)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	/* Not a thread group leader: EINVAL, or ENOENT on newer kernels. */
	if ((e == EINVAL || e == ENOENT) && access(dir, F_OK) == 0)
		return pt_errf(
			err, errlen, -EINVAL,
			"PID %d is a thread, not a process; give its process id (Tgid in /proc/%d/status)",
			pid, pid);
	if (e == ESRCH || e == ENOENT || e == EINVAL)
		return pt_errf(err, errlen, -ESRCH,
			       "no such PID %d; check the process id (ps -e)",
			       pid);
	return pt_errf(err, errlen, -e, "PID %d: pidfd_open: %s", pid,
		       strerror(e));
}

/* Opens t->pidfd and reads the start time of t->pid. */

/* A failed read of /proc/PID/...: gone (-ESRCH), or why not. */
static int proc_error(pid_t pid, int ret, const char *what, char *err,
		      size_t errlen)
{
	if (ret == -ENOENT || ret == -ESRCH)
		return pt_errf(
			err, errlen, -ESRCH,
			"no such PID %d (it exited); check the process id",
			pid);
	return pt_errf(err, errlen, ret, "PID %d: cannot read %s: %s", pid,
		       what, strerror(-ret));
}

static int open_process(struct pt_target *t, char *err, size_t errlen)
{
	int ret;

	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0)
		return pidfd_error(t->pid, errno, err, errlen);
	ret = read_starttime(t->pid, &t->start_time);
	return ret ? proc_error(t->pid, ret, "its /proc stat", err, errlen) : 0;
}

/* Turns a failed readlink of /proc/PID/exe into a message. */
static int exe_error(pid_t pid, int ret, char *err, size_t errlen)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	/* A kernel thread has no executable. */
	if (ret == -ENOENT && access(dir, F_OK) == 0)
		return pt_errf(
			err, errlen, -ENOEXEC,
			"PID %d has no executable (a kernel thread?); trace a user process",
			pid);
	if (ret == -ENOENT || ret == -ESRCH)
		return pt_errf(err, errlen, -ESRCH,
			       "no such PID %d; check the process id (ps -e)",
			       pid);
	if (ret == -EACCES || ret == -EPERM)
		return pt_errf(
			err, errlen, ret,
			"PID %d: not permitted to inspect it; run pipetrace as root",
			pid);
	return pt_errf(err, errlen, ret, "PID %d: %s/exe: %s", pid, dir,
		       strerror(-ret));
}

/* Reads the executable's path and the maps of t->pid. */
static int read_process(struct pt_target *t, char *err, size_t errlen)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int ret;

	snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return exe_error(t->pid, -errno, err, errlen);
	buf[n] = '\0';
	t->exe = strdup(buf);
	t->exe_open = strdup(link);
	if (!t->exe || !t->exe_open)
		return -ENOMEM;
	ret = pt_maps__read_pid(t->pid, &t->maps);
	return ret ? proc_error(t->pid, ret, "its maps", err, errlen) : 0;
}

int pt_target__check_same(const struct pt_target *t, char *err, size_t errlen)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	unsigned long long now = 0;
	int ret;

	if (t->pid <= 0 || t->pidfd < 0)
		return 0;
	/* A pidfd turns readable once its process has exited. */
	ret = poll(&p, 1, 0);
	if (ret == 0 && !read_starttime(t->pid, &now) && now == t->start_time)
		return 0;
	return pt_errf(
		err, errlen, -ESRCH,
		"process %d exited while being read; check that it still runs and trace it again",
		t->pid);
}

int pt_target__from_pid(struct pt_target *t, pid_t pid, char *err,
			size_t errlen)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = -1;
	/* The pidfd first: whatever is read next is of this process if the
	 * pidfd still shows it alive, with the same start time, afterwards. */
	ret = open_process(t, err, errlen);
	if (!ret)
		ret = read_process(t, err, errlen);
	if (!ret)
		ret = pt_target__check_same(t, err, errlen);
	if (ret == -ENOMEM)
		pt_errf(err, errlen, ret, "out of memory");
	if (ret)
		pt_target__free(t);
	return ret;
}

/* Resolves argv0 through PATH like execvp(3); returns malloc'ed path. */
static char *search_path(const char *argv0)
{
	const char *path = getenv("PATH");
	const char *p, *colon;
	char *cand;

	if (strchr(argv0, '/'))
		return strdup(argv0);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(colon - p),
				 colon == p ? "." : p, argv0);
		if (cand && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*colon)
			return NULL;
	}
}

int pt_shebang__parse(const char *buf, size_t len, char *interp, size_t size)
{
	size_t i = 2, n;

	if (len > PT_SHEBANG_MAX)
		len = PT_SHEBANG_MAX;
	if (len < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	for (n = 0; i + n < len && buf[i + n] != ' ' && buf[i + n] != '\t' &&
		    buf[i + n] != '\n' && buf[i + n] != '\0';
	     n++)
		;
	if (!n)
		return -ENOEXEC;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(interp, buf + i, n);
	interp[n] = '\0';
	return 0;
}

/* The interpreter named by the script at path, into interp; -ENOEXEC when
 * it is no script. */
static int script_interp(const char *path, char *interp, size_t size)
{
	char buf[PT_SHEBANG_MAX];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -EIO;
	return pt_shebang__parse(buf, (size_t)n, interp, size);
}

/* Replaces *path, while it is a script, by its interpreter, as execve(2)
 * does. 0 or -errno with a message about argv0. */
static int follow_shebangs(char **path, const char *argv0, char *err,
			   size_t errlen)
{
	char interp[PATH_MAX];
	int depth, ret;

	for (depth = 0;; depth++) {
		ret = script_interp(*path, interp, sizeof(interp));
		if (ret == -ENOEXEC)
			return 0;
		if (ret == -ENAMETOOLONG || (!ret && depth == PT_SHEBANG_DEPTH))
			return pt_errf(
				err, errlen, -ELOOP,
				"command '%s': %s; run its program directly",
				argv0,
				ret ? "a #! line names an interpreter too long to run" :
				      "scripts nested too deep to run");
		if (ret)
			return pt_errf(err, errlen, ret,
				       "command '%s': cannot read %s: %s",
				       argv0, *path, strerror(-ret));
		if (access(interp, X_OK))
			return pt_errf(
				err, errlen, -ENOENT,
				"command '%s': its #! interpreter %s is not an executable file; check the script's first line",
				argv0, interp);
		free(*path);
		*path = strdup(interp);
		if (!*path)
			return -ENOMEM;
	}
}

int pt_target__from_command(struct pt_target *t, const char *argv0, char *err,
			    size_t errlen)
{
	char *path, real[PATH_MAX];
	struct stat st;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	path = search_path(argv0);
	if (!path || stat(path, &st)) {
		free(path);
		return pt_errf(
			err, errlen, -ENOENT,
			"command '%s' not found; check the name or give its path",
			argv0);
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK)) {
		free(path);
		return pt_errf(
			err, errlen, -EACCES,
			"command '%s' is not an executable file; check its path and mode",
			argv0);
	}
	ret = follow_shebangs(&path, argv0, err, errlen);
	if (ret) {
		free(path);
		return ret;
	}
	t->exe = realpath(path, real) ? strdup(real) : strdup(path);
	t->exe_open = path;
	if (!t->exe) {
		pt_target__free(t);
		return -ENOMEM;
	}
	return 0;
}

/* Whether the file at path starts with a "#!" line naming an interpreter. */
static bool is_script(const char *path)
{
	char interp[PATH_MAX];
	int ret = script_interp(path, interp, sizeof(interp));

	return !ret || ret == -ENAMETOOLONG;
}

/* A script or a bare name that is no file here: what runs when it is run
 * as a command (through PATH, a script by its interpreter). */
static int from_runnable(struct pt_target *t, const char *path, bool found,
			 char *err, size_t errlen)
{
	char here[PATH_MAX];

	if (!found || strchr(path, '/'))
		return pt_target__from_command(t, path, err, errlen);
	snprintf(here, sizeof(here), "./%s", path);
	return pt_target__from_command(t, here, err, errlen);
}

int pt_target__from_file(struct pt_target *t, const char *path, char *err,
			 size_t errlen)
{
	struct stat st;
	int e;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	if (stat(path, &st)) {
		e = errno;
		if (e == ENOENT && !strchr(path, '/'))
			return from_runnable(t, path, false, err, errlen);
		return pt_errf(err, errlen, -e, "%s: %s; check the path", path,
			       strerror(e));
	}
	if (S_ISREG(st.st_mode) && is_script(path))
		return from_runnable(t, path, true, err, errlen);
	t->exe = strdup(path);
	t->exe_open = strdup(path);
	if (!t->exe || !t->exe_open) {
		pt_target__free(t);
		return -ENOMEM;
	}
	return 0;
}

void pt_target__free(struct pt_target *t)
{
	if (t->pid > 0 && t->pidfd >= 0)
		close(t->pidfd);
	free(t->exe);
	free(t->exe_open);
	pt_maps__free(&t->maps);
	memset(t, 0, sizeof(*t));
}

/* The first directory of list (':'-separated, as LD_LIBRARY_PATH and
 * DT_RUNPATH are) holding name, its path resolved; $ORIGIN (or ${ORIGIN})
 * is origin; a directory naming another $ token is skipped. NULL: none. */
static char *search_dirs(const char *list, const char *origin, const char *name)
{
	char *cand, *dir, real[PATH_MAX];
	const char *p, *colon, *tail;
	size_t len;

	for (p = list; p && *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		len = (size_t)(colon - p);
		if (!len)
			continue;
		dir = strndup(p, len);
		if (!dir)
			return NULL;
		tail = !strncmp(dir, "$ORIGIN", 7)   ? dir + 7 :
		       !strncmp(dir, "${ORIGIN}", 9) ? dir + 9 :
						       NULL;
		cand = strchr(tail ? tail : dir, '$') ? NULL :
		       tail ? xasprintf("%s%s/%s", origin, tail, name) :
			      xasprintf("%s/%s", dir, name);
		free(dir);
		if (cand && realpath(cand, real)) {
			free(cand);
			return strdup(real);
		}
		free(cand);
	}
	return NULL;
}

/* The executable's DT_RPATH and DT_RUNPATH (empty when it has none) and
 * its directory, for $ORIGIN. */
struct loader_paths {
	char rpath[PATH_MAX], runpath[PATH_MAX], origin[PATH_MAX];
};

static void loader_paths(const struct pt_target *t, struct loader_paths *lp)
{
	struct pt_elf *e;
	char *slash;

	memset(lp, 0, sizeof(*lp));
	if (!t->exe || !t->exe_open || pt_elf__open(t->exe_open, &e))
		return;
	if (pt_elf__dyn_string(e, DT_RUNPATH, lp->runpath, sizeof(lp->runpath)))
		lp->runpath[0] = '\0';
	/* The loader reads DT_RPATH only without DT_RUNPATH. */
	if (lp->runpath[0] ||
	    pt_elf__dyn_string(e, DT_RPATH, lp->rpath, sizeof(lp->rpath)))
		lp->rpath[0] = '\0';
	pt_elf__close(e);
	snprintf(lp->origin, sizeof(lp->origin), "%s", t->exe);
	slash = strrchr(lp->origin, '/');
	if (slash)
		*slash = '\0';
}

/* Searches a library by name the way the loader would, for a command not
 * yet started (or a library not mapped yet): the executable's DT_RPATH,
 * LD_LIBRARY_PATH, its DT_RUNPATH, then the system directories. */
static char *search_library(const struct pt_target *t, const char *name)
{
	static const char sysdirs[] =
		"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:"
		"/usr/lib64:/lib:/usr/lib:/usr/local/lib";
	struct loader_paths *lp = malloc(sizeof(*lp));
	char *found = NULL;

	if (!lp)
		return NULL;
	loader_paths(t, lp);
	found = search_dirs(lp->rpath, lp->origin, name);
	if (!found)
		found = search_dirs(getenv("LD_LIBRARY_PATH"), lp->origin,
				    name);
	if (!found)
		found = search_dirs(lp->runpath, lp->origin, name);
	if (!found)
		found = search_dirs(sysdirs, lp->origin, name);
	free(lp);
	return found;
}

int pt_target__find_object(const struct pt_target *t, const char *name,
			   char **shown, char **open_path, char *err,
			   size_t errlen)
{
	const struct pt_mapping *m;
	char *found;

	*shown = *open_path = NULL;
	if (!name) {
		*shown = strdup(t->exe);
		*open_path = strdup(t->exe_open);
		goto out;
	}
	if (t->pid > 0) {
		m = pt_maps__find_object(&t->maps, name);
		if (m) {
			/* The exact file mapped, whatever its path says now:
			 * replaced, deleted, or in another mount namespace. */
			*shown = strdup(m->path);
			*open_path = xasprintf("/proc/%d/map_files/%llx-%llx",
					       t->pid,
					       (unsigned long long)m->start,
					       (unsigned long long)m->end);
			goto out;
		}
		if (!strchr(name, '/') && t->search_unmapped)
			goto search;
		if (!strchr(name, '/'))
			return pt_errf(
				err, errlen, -ENOENT,
				"no object '%s' is mapped in PID %d; see /proc/%d/maps or give the library's path",
				name, t->pid, t->pid);
		/* A path not mapped (yet): probes arm when it is. */
		*shown = strdup(name);
		*open_path = xasprintf("/proc/%d/root%s%s", t->pid,
				       name[0] == '/' ? "" : "/", name);
		goto out;
	}
	if (strchr(name, '/')) {
		*shown = strdup(name);
		*open_path = strdup(name);
		goto out;
	}
search:
	found = search_library(t, name);
	if (!found)
		return pt_errf(
			err, errlen, -ENOENT,
			"library '%s' not found where its program's loader looks (its run path, LD_LIBRARY_PATH, the system library directories); give its path",
			name);
	*shown = found;
	*open_path = strdup(found);
out:
	if (!*shown || !*open_path) {
		free(*shown);
		free(*open_path);
		*shown = *open_path = NULL;
		return -ENOMEM;
	}
	return 0;
}
