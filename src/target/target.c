// SPDX-License-Identifier: MIT
/*
 * target.c - the traced program: a running process, a command to launch or
 * an ELF file, and where its executable and libraries are (see target.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/target.h"
#include "util/log.h"

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

int pt_target__from_pid(struct pt_target *t, pid_t pid, char *err,
			size_t errlen)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(buf, sizeof(buf), "/proc/%d", pid);
		if (ret == -ENOENT && access(buf, F_OK) == 0)
			return pt_errf(
				err, errlen, -ENOEXEC,
				"PID %d has no executable (a kernel thread?); trace a user process",
				pid);
		if (ret == -ENOENT || ret == -ESRCH)
			return pt_errf(
				err, errlen, -ESRCH,
				"no such PID %d; check the process id (ps -e)",
				pid);
		if (ret == -EACCES || ret == -EPERM)
			return pt_errf(
				err, errlen, ret,
				"PID %d: not permitted to inspect it; run pipetrace as root",
				pid);
		return pt_errf(err, errlen, ret, "PID %d: %s: %s", pid, link,
			       strerror(-ret));
	}
	buf[n] = '\0';
	/* A kernel thread has no executable. */
	t->exe = strdup(buf);
	t->exe_open = strdup(link);
	if (!t->exe || !t->exe_open) {
		pt_target__free(t);
		return -ENOMEM;
	}
	ret = pt_maps__read_pid(pid, &t->maps);
	if (ret) {
		pt_target__free(t);
		if (ret == -ESRCH || ret == -ENOENT)
			return pt_errf(
				err, errlen, -ESRCH,
				"no such PID %d (it exited); check the process id",
				pid);
		return pt_errf(err, errlen, ret,
			       "PID %d: cannot read its maps: %s", pid,
			       strerror(-ret));
	}
	return 0;
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

int pt_target__from_command(struct pt_target *t, const char *argv0, char *err,
			    size_t errlen)
{
	char *path, real[PATH_MAX];
	struct stat st;

	memset(t, 0, sizeof(*t));
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
	t->exe = realpath(path, real) ? strdup(real) : strdup(path);
	t->exe_open = path;
	if (!t->exe) {
		pt_target__free(t);
		return -ENOMEM;
	}
	return 0;
}

int pt_target__from_file(struct pt_target *t, const char *path, char *err,
			 size_t errlen)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st))
		return pt_errf(err, errlen, -errno, "%s: %s; check the path",
			       path, strerror(errno));
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
	free(t->exe);
	free(t->exe_open);
	pt_maps__free(&t->maps);
	memset(t, 0, sizeof(*t));
}

/* Searches a library by name the way the loader would, for a command not
 * yet started: LD_LIBRARY_PATH, then the system directories. */
static char *search_library(const char *name)
{
	static const char *const sysdirs[] = {
		"/lib/x86_64-linux-gnu",
		"/usr/lib/x86_64-linux-gnu",
		"/lib64",
		"/usr/lib64",
		"/lib",
		"/usr/lib",
		"/usr/local/lib",
	};
	const char *ld = getenv("LD_LIBRARY_PATH");
	char *cand, real[PATH_MAX];
	const char *p, *colon;
	size_t i;

	for (p = ld; p && *p; p = *colon ? colon + 1 : colon) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		if (colon == p)
			continue;
		cand = xasprintf("%.*s/%s", (int)(colon - p), p, name);
		if (cand && realpath(cand, real)) {
			free(cand);
			return strdup(real);
		}
		free(cand);
	}
	for (i = 0; i < sizeof(sysdirs) / sizeof(sysdirs[0]); i++) {
		cand = xasprintf("%s/%s", sysdirs[i], name);
		if (cand && realpath(cand, real)) {
			free(cand);
			return strdup(real);
		}
		free(cand);
	}
	return NULL;
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
	found = search_library(name);
	if (!found)
		return pt_errf(
			err, errlen, -ENOENT,
			"library '%s' not found in LD_LIBRARY_PATH or the system library directories; give its path",
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
