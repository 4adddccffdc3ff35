// SPDX-License-Identifier: MIT
/* atomicfile.c - see atomicfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/log.h"

struct pt_afile {
	char *path, *dir;
	const char *base; /* in path */
	char *tmp; /* the hidden name (mkstemp way), or NULL: unnamed */
	FILE *f;
};

/* Refuses what a file must not replace. Returns 0 or -errno. */
static int check_target(const char *path, const char *base, char *err,
			size_t errlen)
{
	struct stat st;

	if (!*base)
		return pt_errf(err, errlen, -EISDIR,
			       "%s names a directory; give a file name", path);
	if (stat(path, &st))
		return 0; /* missing: the directory's open says more */
	if (S_ISDIR(st.st_mode))
		return pt_errf(err, errlen, -EISDIR,
			       "%s is a directory; give a file name", path);
	if (!S_ISREG(st.st_mode))
		return pt_errf(
			err, errlen, -EINVAL,
			"%s is not a regular file (a FIFO, device or socket is never replaced); give a file path, or '-' for standard output",
			path);
	return 0;
}

/* The mkstemp way: a hidden name beside PATH. Returns an fd or -errno. */
static int open_hidden(struct pt_afile *a)
{
	int fd, ret;

	if (asprintf(&a->tmp, "%s/.%s.XXXXXX", a->dir, a->base) < 0) {
		a->tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(a->tmp);
		a->tmp = NULL;
		return ret;
	}
	/* mkstemp makes 0600; an output is as readable as any file. */
	fchmod(fd, 0644);
	return fd;
}

/* An unnamed file in the directory, else a hidden one. fd or -errno. */
static int open_fd(struct pt_afile *a, unsigned int flags)
{
	int fd;

	if (flags & PT_AFILE_NO_TMPFILE)
		return open_hidden(a);
	fd = open(a->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		return fd;
	/* Only a file system without O_TMPFILE falls back. */
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
		return open_hidden(a);
	return -errno;
}

static int afile_new(const char *path, struct pt_afile **out)
{
	struct pt_afile *a = calloc(1, sizeof(*a));
	char *copy = strdup(path);

	if (!a || !copy)
		goto nomem;
	a->path = strdup(path);
	a->dir = strdup(dirname(copy));
	if (!a->path || !a->dir)
		goto nomem;
	a->base = strrchr(a->path, '/') ? strrchr(a->path, '/') + 1 : a->path;
	free(copy);
	*out = a;
	return 0;
nomem:
	free(copy);
	pt_afile__abort(a);
	return -ENOMEM;
}

int pt_afile__open(const char *path, unsigned int flags, struct pt_afile **out,
		   char *err, size_t errlen)
{
	struct pt_afile *a;
	int fd, ret;

	*out = NULL;
	if (afile_new(path, &a))
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	ret = check_target(path, a->base, err, errlen);
	if (ret)
		goto fail;
	fd = open_fd(a, flags);
	if (fd < 0) {
		ret = pt_errf(
			err, errlen, fd,
			"cannot create %s: %s in %s; check the directory exists and is writable",
			path, strerror(-fd), a->dir);
		goto fail;
	}
	a->f = fdopen(fd, "w");
	if (!a->f) {
		ret = pt_errf(err, errlen, -errno, "cannot write %s: %s", path,
			      strerror(errno));
		close(fd);
		goto fail;
	}
	*out = a;
	return 0;
fail:
	pt_afile__abort(a);
	return ret;
}

FILE *pt_afile__file(struct pt_afile *a)
{
	return a->f;
}

bool pt_afile__unnamed(const struct pt_afile *a)
{
	return !a->tmp;
}

/* Names the unnamed file PATH: directly when PATH is free, else under a
 * hidden name renamed over PATH. Returns 0 or -errno. */
static int link_unnamed(struct pt_afile *a)
{
	char proc[64], tmp[PATH_MAX];
	struct timespec ts;
	int i, ret;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(a->f));
	if (!linkat(AT_FDCWD, proc, AT_FDCWD, a->path, AT_SYMLINK_FOLLOW))
		return 0;
	if (errno != EEXIST)
		return -errno;
	for (i = 0; i < 16; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(tmp, sizeof(tmp), "%s/.%s.%d.%ld", a->dir, a->base,
			 getpid(), ts.tv_nsec + i);
		if (!linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
			break;
		if (errno != EEXIST)
			return -errno;
	}
	if (i == 16)
		return -EEXIST;
	ret = rename(tmp, a->path) ? -errno : 0;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Makes the new name durable; the data already is. */
static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* Flushes and fsyncs; 0 or -errno (-EIO for an earlier write error). */
static int flush_sync(struct pt_afile *a)
{
	if (fflush(a->f))
		return errno ? -errno : -EIO;
	if (ferror(a->f))
		return -EIO;
	return fsync(fileno(a->f)) ? -errno : 0;
}

int pt_afile__commit(struct pt_afile *a, char *err, size_t errlen)
{
	int ret = flush_sync(a);

	if (ret) {
		pt_errf(err, errlen, ret, "cannot write %s: %s; %s", a->path,
			strerror(-ret),
			ret == -ENOSPC ?
				"free some space (no partial file left)" :
				"check the file system (no partial file left)");
		goto out;
	}
	ret = a->tmp ? (rename(a->tmp, a->path) ? -errno : 0) : link_unnamed(a);
	if (ret) {
		pt_errf(err, errlen, ret,
			"cannot put the file in place as %s: %s; check the path",
			a->path, strerror(-ret));
		goto out;
	}
	free(a->tmp);
	a->tmp = NULL; /* named now: abort must not unlink it */
	sync_dir(a->dir);
out:
	pt_afile__abort(a);
	return ret;
}

void pt_afile__abort(struct pt_afile *a)
{
	if (!a)
		return;
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	free(a->dir);
	free(a);
}
