/* SPDX-License-Identifier: MIT */
/*
 * allocsites.h - where the target's heap allocator lives, for --alloc.
 *
 * The allocator is the one the dynamic loader would bind malloc to: the
 * main executable's own (static binaries, custom allocators), else a
 * preloaded library's (LD_PRELOAD jemalloc, tcmalloc), else libc's. Every
 * allocator function that object defines becomes one probe site; aliases
 * (glibc's aligned_alloc is memalign) are probed once.
 */
#ifndef PT_ALLOCSITES_H
#define PT_ALLOCSITES_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"
#include "target/stages.h"

struct pt_alloc_site {
	enum pt_alloc_kind kind;
	const char *name; /* "malloc", ... (static storage) */
	uint64_t file_off; /* uprobe offset in attach_path */
	enum pt_probe_class probe_class;
};

struct pt_alloc_sites {
	char *object; /* the allocator's object, as the target sees it */
	char *attach_path; /* the path probes attach through */
	struct pt_alloc_site v[PT_ALLOC_NR + 2];
	size_t n;
};

/*
 * Finds the target's allocator and its functions. malloc and free must
 * exist; the others are probed where defined. Returns 0 or -errno with a
 * one-line message in err (-ENOENT: no allocator found).
 */
int pt_alloc_sites__resolve(const struct pt_target *t,
			    struct pt_alloc_sites *out, char *err,
			    size_t errlen);
void pt_alloc_sites__free(struct pt_alloc_sites *s);

/* The site's function name for kind (the first one, for aliases). */
const char *pt_alloc_kind__name(enum pt_alloc_kind k);

#endif /* PT_ALLOCSITES_H */
