/* SPDX-License-Identifier: MIT */
/*
 * folded.h - stacks in the FlameGraph "folded" format.
 *
 * One line per unique stack, root first, frames separated by ';', then one
 * space and the stack's count:
 *
 *   stage_features;features_window;compute_var 812
 *
 * A struct pt_folded merges equal stacks (their counts add). Frame names are
 * sanitized on the way in: ';' becomes ':', control characters become '?',
 * an empty name becomes "[unknown]"; spaces and non-ASCII bytes are kept
 * (the count is whatever follows the last space of a line). Folded files
 * come from other tools and users, so the parser is bounds-checked and
 * never trusts a NUL terminator. Functions return 0 or a negative errno and
 * never print.
 */
#ifndef PT_FOLDED_H
#define PT_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits on hostile input: a longer line or a deeper stack is -E2BIG. */
#define PT_FOLDED_MAX_LINE (1u << 20)
#define PT_FOLDED_MAX_FRAMES 8192u

struct pt_folded;

/* An empty set of stacks. Returns 0 or -ENOMEM. */
int pt_folded__new(struct pt_folded **out);
/* Free everything f owns; NULL is fine. */
void pt_folded__free(struct pt_folded *f);

/*
 * Add COUNT samples to the stack FRAMES[0..N) (root first), merging with an
 * equal stack. Returns 0; -EINVAL for n == 0, a NULL frame or count == 0;
 * -E2BIG for more than PT_FOLDED_MAX_FRAMES frames; -EOVERFLOW when a count
 * or the total would pass UINT64_MAX; -ENOMEM. On error f is unchanged.
 */
int pt_folded__add(struct pt_folded *f, const char *const *frames, size_t n,
		   uint64_t count);

/*
 * Parse one folded line of LEN bytes (need not be NUL-terminated; a trailing
 * "\n" or "\r\n" is allowed) and add it. Returns 0; -EINVAL for a line
 * without a count after its last space, an empty stack, or a count that is
 * zero, not decimal or above UINT64_MAX; -E2BIG for a line longer than
 * PT_FOLDED_MAX_LINE; else as pt_folded__add. On error f is unchanged.
 */
int pt_folded__add_line(struct pt_folded *f, const char *line, size_t len);

/*
 * Read a folded file, plain or gzip-compressed, into f (merging). Empty
 * lines are skipped; any other bad line fails the read with a message
 * "PATH:LINE: <what>; <fix>" in err. Returns 0, -errno from opening or
 * reading, -EINVAL / -E2BIG / -EOVERFLOW for a bad line, -ENOMEM. On error
 * the stacks of the lines before the bad one have been added.
 */
int pt_folded__read(struct pt_folded *f, const char *path, char *err,
		    size_t errlen);

/*
 * Write every stack as a folded line, sorted by the stack string (byte
 * order), so that equal sets give equal output. Returns 0, -ENOMEM, or -EIO
 * when writing to OUT failed (OUT is not flushed).
 */
int pt_folded__write(const struct pt_folded *f, FILE *out);

/*
 * Write f to OUT, gzip-compressed when gz (then through OUT's file
 * descriptor, OUT flushed first). Returns 0, -ENOMEM or -errno / -EIO.
 */
int pt_folded__write_to(const struct pt_folded *f, FILE *out, bool gz);
/* Whether PATH names a gzip file (ends in ".gz"). */
bool pt_folded__gz_path(const char *path);

/*
 * Write f to PATH atomically, through the atomic writer
 * (util/atomicfile.h). PATH ending in ".gz" is gzip-compressed. On error
 * no file is left behind (an existing PATH is untouched) and err says why. Returns 0,
 * -EINVAL if PATH is a device, FIFO or socket (never replaced by a file),
 * -EISDIR for a directory, or a negative errno.
 */
int pt_folded__save(const struct pt_folded *f, const char *path, char *err,
		    size_t errlen);

/* ------------------------------------------------------------- walking */

/* Number of unique stacks. */
size_t pt_folded__nr_stacks(const struct pt_folded *f);
/* Sum of all counts. */
uint64_t pt_folded__total(const struct pt_folded *f);

/*
 * Stack I (0 <= i < nr_stacks, in the order the stacks were first added):
 * its sanitized frames, root first, in *frames[0..*n), and its count. The
 * strings live as long as f and do not move when stacks are added.
 * Returns 0 or -ERANGE.
 */
int pt_folded__stack(const struct pt_folded *f, size_t i,
		     const char *const **frames, size_t *n, uint64_t *count);

#endif /* PT_FOLDED_H */
