/* SPDX-License-Identifier: MIT */
/*
 * procmaps.h - parse /proc/PID/maps.
 *
 * The text comes from the kernel but describes a process someone else
 * controls (its paths are arbitrary file names), so the parser is strict,
 * bounds-checked and never trusts a NUL terminator. Functions return 0 or a
 * negative errno and never print.
 */
#ifndef PIPETRACE_PROCMAPS_H
#define PIPETRACE_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_MAP_R 1
#define PT_MAP_W 2
#define PT_MAP_X 4
#define PT_MAP_P 8 /* private (copy-on-write); shared when clear */

struct pt_mapping {
	uint64_t start, end, offset; /* [start, end) */
	unsigned int perms; /* PT_MAP_* */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char *path; /* heap copy; NULL when anonymous; "[vdso]", "[heap]"
		     * kept as is; a " (deleted)" suffix is stripped and
		     * sets `deleted` */
	bool deleted;
};

struct pt_maps {
	struct pt_mapping *v;
	size_t n;
};

/*
 * Parse LEN bytes of maps text (need not be NUL-terminated). Every line must
 * be well formed; empty input gives 0 mappings, the last line may lack its
 * newline. Returns 0, -EINVAL on any malformed line, -ENOMEM; on error *out
 * is left empty ({NULL, 0}).
 */
int pt_maps__parse(const char *buf, size_t len, struct pt_maps *out);

/*
 * Read and parse /proc/PID/maps. Returns 0, -EINVAL for pid <= 0, -ESRCH if
 * there is no such process, -EACCES/-EPERM as open() or read() says, -EFBIG
 * if the file exceeds PT_MAPS_MAX_BYTES, or a parse error.
 */
int pt_maps__read_pid(int pid, struct pt_maps *out);

#define PT_MAPS_MAX_BYTES (1ULL << 30)

/* Free everything *m owns and reset it to {NULL, 0}; NULL is fine. */
void pt_maps__free(struct pt_maps *m);

/* The first mapping with start <= addr < end, or NULL. */
const struct pt_mapping *pt_maps__find_addr(const struct pt_maps *m,
					    uint64_t addr);

/*
 * The first file-backed mapping (path starting with '/') whose object
 * matches NAME: if NAME contains '/', its path equals NAME; else its
 * basename equals NAME or starts with NAME followed by '.' ("libz.so.1"
 * matches ".../libz.so.1.2.13", "libc" does not match "libcrypto.so.3").
 * Returns the mapping or NULL (also for an empty NAME).
 */
const struct pt_mapping *pt_maps__find_object(const struct pt_maps *m,
					      const char *name);

#endif /* PIPETRACE_PROCMAPS_H */
