// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * libcio.bpf.c - --syscalls light's I/O calls, from uprobes on the traced
 * processes' own libc wrappers (write, pread64, fsync, ...: the cookie is
 * an enum pt_libcio_kind), attached for each traced process only, so that
 * no other process pays. Per call: its on-CPU time from entry to return
 * (the time account() charged as on CPU in between: the syscall's kernel
 * CPU, the wrapper's few instructions and the return probe's own path),
 * io_cpu of the innermost stage; fsync-kind calls are counted (fsyncs and
 * io_syscalls). Bytes and read/write calls stay the task's ioac's
 * (charge_ioac()), which see every path, libc or not; but a read or write
 * wrapper's return on a pipe or socket (its fd, the first argument, kept at
 * entry) adds its bytes to that pipe's (pipes.bpf.h), as sys_exit does with
 * --syscalls exact.
 */
#include "pipetrace.bpf.h"
#include "pipetrace_libcio.h"
#include "pipes.bpf.h"

/* A thread's wrapper call in flight (open: entered, not yet returned). */
struct libcio_call {
	__u64 oncpu_ns; /* the thread's on-CPU time at entry */
	__u64 fd; /* the first argument: a read's or write's fd */
	__u32 kind;
	__u32 open;
};

/* By task: freed with it, never full (a failed get is counted lost). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct libcio_call);
} libcio_calls SEC(".maps");

/* t's on-CPU time so far, inside stages or not (with --syscalls light all
 * of it is in the user part; sys is summed for the exact mode's sake). */
static __always_inline __u64 oncpu_of(const struct pt_thread *t)
{
	return t->busy_ns[PT_PART_USER] + t->busy_ns[PT_PART_SYS] +
	       t->idle_ns[PT_PART_USER] + t->idle_ns[PT_PART_SYS];
}

SEC("uprobe")
int BPF_KPROBE(libcio_enter)
{
	__u64 now = bpf_ktime_get_ns();
	struct pt_thread *t = current_thread(false, now);
	struct libcio_call *c;

	if (!t || phase == PT_PHASE_DETACHING)
		return 0;
	c = bpf_task_storage_get(&libcio_calls, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		count_lost(PT_LOST_IO_CALLS, 1);
		return 0;
	}
	account(t, now);
	c->oncpu_ns = oncpu_of(t);
	c->kind = (__u32)bpf_get_attach_cookie(ctx);
	c->fd = PT_REGS_PARM1(ctx);
	c->open = 1;
	return 0;
}

/* A read or write wrapper c returned ret > 0: the bytes through its pipe. */
static __always_inline void pipe_bytes(const struct libcio_call *c, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_pipe_key k = { .tgid = task->tgid };
	struct pt_pipe_wait *w;
	__u32 kind = 0;

	if (ret <= 0 ||
	    (c->kind != PT_LIBCIO_READ && c->kind != PT_LIBCIO_WRITE))
		return;
	if (pipes_fd_inode(task, c->fd, &k.ino, &kind))
		return;
	k.dir = c->kind == PT_LIBCIO_READ ? PT_PIPE_DIR_READ :
					    PT_PIPE_DIR_WRITE;
	w = pipes_entry(&k, kind);
	if (!w)
		return;
	__sync_fetch_and_add(&w->bytes, ret);
	__sync_fetch_and_add(&w->calls, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(libcio_exit)
{
	struct libcio_call *c = bpf_task_storage_get(
		&libcio_calls, bpf_get_current_task_btf(), 0, 0);
	struct pt_stage_time *st;
	struct pt_thread *t;
	__u64 now, on;

	/* Entered before the probes were, or by a thread not yet known. */
	if (!c || !c->open)
		return 0;
	c->open = 0;
	pipe_bytes(c, (long)PT_REGS_RC(ctx));
	now = bpf_ktime_get_ns();
	t = current_thread(false, now);
	if (!t)
		return 0;
	account(t, now);
	st = time_of(innermost(t));
	if (!st)
		return 0;
	on = oncpu_of(t);
	if (on > c->oncpu_ns)
		st->io_cpu_ns += on - c->oncpu_ns;
	if (c->kind == PT_LIBCIO_FSYNC) {
		st->fsyncs++;
		st->io_syscalls++;
	}
	return 0;
}
