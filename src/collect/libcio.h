/* SPDX-License-Identifier: MIT */
/*
 * libcio.h - the libc I/O wrappers probed with --syscalls light (see
 * bpf/libcio.bpf.c): where the target's libc is and where its write,
 * pread64, fsync, ... start. A target without libc (static, Go) has none:
 * its io_cpu and fsyncs stay unknown in light mode.
 */
#ifndef PT_LIBCIO_H
#define PT_LIBCIO_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_libcio.h"
#include "target/target.h"

#define PT_LIBCIO_MAX 24

struct pt_libcio_site {
	const char *name; /* "write", ... (static storage) */
	enum pt_libcio_kind kind;
	uint64_t file_off; /* uprobe offset in attach_path */
};

struct pt_libcio_sites {
	char *object; /* libc, as the target sees it */
	char *attach_path; /* the path probes attach through */
	struct pt_libcio_site v[PT_LIBCIO_MAX];
	size_t n;
};

/*
 * Finds the libc the target uses (a running one's mapped libc.so*, a
 * command's DT_NEEDED libc.so.6) and its I/O wrappers. Returns 0, or
 * -ENOENT (no libc: static, Go) or -errno with a one-line "what; why"
 * message in err.
 */
int pt_libcio__resolve(const struct pt_target *t, struct pt_libcio_sites *out,
		       char *err, size_t errlen);
void pt_libcio__free(struct pt_libcio_sites *s);

/*
 * Where to probe a wrapper whose code is code[0..len): bytes past its
 * start. glibc's begin with a single-thread test (cmpb on a rip-relative
 * byte; a mov to r10) that the kernel would single-step, then a jcc it
 * emulates: probed there, the stack and the arguments as at entry. 0 when
 * the code is not of that shape, or a branch may land past its start.
 */
size_t pt_libcio__site(const uint8_t *code, size_t len);

/* The wrappers looked for, in order (for tests): n of them. */
const char *pt_libcio__func(size_t i, enum pt_libcio_kind *kind);

#endif /* PT_LIBCIO_H */
