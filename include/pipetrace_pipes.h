/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * pipetrace_pipes.h - the pipe waits' ABI, shared by bpf/pipes.bpf.c and
 * src/collect/pipewait.c: how long each traced process waited on each pipe
 * (or unix socket), per direction, and the bytes that went through it.
 */
#ifndef PIPETRACE_PIPES_H
#define PIPETRACE_PIPES_H

#ifdef __BPF__
/* vmlinux.h gives the __u types */
#else
#include <linux/types.h>
#endif

/* Pipe inodes x processes x directions kept (`pipe_waits`). */
#define PT_MAX_PIPE_KEYS 4096

enum pt_pipe_dir {
	PT_PIPE_DIR_READ = 0, /* a reader: waits on an empty pipe (starved) */
	PT_PIPE_DIR_WRITE =
		1, /* a writer: waits on a full pipe (pushed back) */
	PT_PIPE_DIR_NR = 2,
};

/* What the inode is. */
enum pt_pipe_kind {
	PT_PIPE_KIND_FIFO = 1, /* S_ISFIFO: an anonymous pipe or a FIFO */
	PT_PIPE_KIND_SOCK = 2, /* S_ISSOCK (a unix socket is one) */
};

struct pt_pipe_key {
	__u64 ino; /* the inode's i_ino: pipe:[INO], socket:[INO] */
	__u32 tgid; /* the kernel's id of the process */
	__u32 dir; /* enum pt_pipe_dir */
};

struct pt_pipe_wait {
	__u64 wait_ns; /* blocked in the syscall on it, until woken */
	__u64 runq_ns; /* then runnable, until it ran again */
	__u64 waits; /* times it blocked */
	__u64 bytes; /* the syscalls' return values (with syscall tracing) */
	__u64 calls; /* syscalls that returned on it */
	__u32 kind; /* enum pt_pipe_kind */
	__u32 pad;
};

/* A thread blocked on a pipe, by tid (`pipe_blocked`). */
struct pt_pipe_block {
	struct pt_pipe_key key;
	__u64 out_ns; /* switched out */
	__u64 wake_ns; /* woken, or 0 */
	__u32 stage; /* innermost stage, PT_MAX_STAGES: none */
	__u32 kind;
};

/* Per stage (index PT_MAX_STAGES: outside every stage), per CPU: the part
 * of its `io` time that was a pipe wait, by direction. */
struct pt_pipe_stage {
	__u64 wait_ns[PT_PIPE_DIR_NR];
};

#endif /* PIPETRACE_PIPES_H */
