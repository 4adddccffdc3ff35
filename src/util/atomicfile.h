/* SPDX-License-Identifier: MIT */
/*
 * atomicfile.h - the one way pipetrace writes an output file: a file that
 * appears under its name complete, or not at all.
 *
 *   pt_afile__open()    make an unnamed file in PATH's directory
 *                       (O_TMPFILE), or a hidden ".NAME.XXXXXX" there
 *                       (mkstemp) where the file system lacks O_TMPFILE
 *   pt_afile__file()    the FILE * to write to
 *   pt_afile__commit()  flush, fsync, give it PATH, fsync the directory
 *   pt_afile__abort()   throw it away
 *
 * Opening checks the destination at once: a missing or non-writable
 * directory, or a PATH that exists and is not a regular file (a directory,
 * FIFO, device or socket is never replaced by a file) is an error then,
 * before anything is written. An unnamed file vanishes with the process
 * however it ends; a hidden one is unlinked on abort.
 */
#ifndef PT_ATOMICFILE_H
#define PT_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pt_afile;

/* pt_afile__open() flags. */
enum {
	PT_AFILE_NO_TMPFILE = 1, /* use the mkstemp way (for tests) */
};

/*
 * Opens a file to become PATH. Returns 0, or -errno with a one-line message
 * naming PATH in err: -ENOENT (no such directory), -EACCES, -EISDIR (PATH
 * is a directory or ends in '/'), -EINVAL (PATH is not a regular file), ...
 */
int pt_afile__open(const char *path, unsigned int flags, struct pt_afile **out,
		   char *err, size_t errlen);

FILE *pt_afile__file(struct pt_afile *a);
/* Whether the file is unnamed (O_TMPFILE) rather than a hidden name. */
bool pt_afile__unnamed(const struct pt_afile *a);

/*
 * Flushes and fsyncs the file, puts it in place under PATH (replacing a
 * regular file there) and fsyncs the directory; frees a. On error the file
 * is thrown away, PATH is untouched and err says why. Returns 0 or -errno.
 */
int pt_afile__commit(struct pt_afile *a, char *err, size_t errlen);

/* Throws the file away and frees a; NULL is fine. */
void pt_afile__abort(struct pt_afile *a);

#endif /* PT_ATOMICFILE_H */
