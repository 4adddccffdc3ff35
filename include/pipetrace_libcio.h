/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * pipetrace_libcio.h - --syscalls light's I/O calls, seen through uprobes
 * on the traced processes' own libc wrappers (bpf/libcio.bpf.c,
 * src/collect/libcio.c): the kind of wrapper each probe's cookie names.
 */
#ifndef PIPETRACE_LIBCIO_H
#define PIPETRACE_LIBCIO_H

enum pt_libcio_kind {
	PT_LIBCIO_READ = 1, /* read, pread64, readv, preadv, recv, ... */
	PT_LIBCIO_WRITE = 2, /* write, pwrite64, writev, pwritev, send, ... */
	PT_LIBCIO_FSYNC = 3, /* fsync, fdatasync, sync_file_range */
};

#endif /* PIPETRACE_LIBCIO_H */
