/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * pipes.bpf.h - pipe waits, for sched.bpf.c and syscall.bpf.c (the maps are
 * defined in pipes.bpf.c). A target thread that blocks in read/write (or
 * readv/writev, recv/send, splice) is looked at as it switches out: the
 * syscall's number and first argument come from its saved user registers
 * (bpf_task_pt_regs: orig_ax, di), which hold them whether or not the
 * syscall tracepoints run; the fd is followed to its inode through
 * task->files. On a pipe or socket, its time until the wakeup is charged
 * to (process, inode, direction): a reader on an empty pipe is starved, a
 * writer on a full one is held back by its reader. The bytes come from the
 * syscall's return value at sys_exit, when that tracepoint runs.
 */
#ifndef PIPES_BPF_H
#define PIPES_BPF_H

#include "pipetrace.bpf.h"
#include "pipetrace_pipes.h"

#define PT_S_IFMT 0170000
#define PT_S_IFIFO 0010000
#define PT_S_IFSOCK 0140000

/* Set before load: splice(2)'s number (-1: none). */
extern const volatile __s32 pipes_splice_nr;
/* [0]: (process, pipe, direction) keys refused, pipe_waits was full. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pipe_lost_map_t;
extern pipe_lost_map_t pipe_lost SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_PIPE_KEYS);
	__type(key, struct pt_pipe_key);
	__type(value, struct pt_pipe_wait);
} pipe_waits_map_t;
extern pipe_waits_map_t pipe_waits SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_DEFAULT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_pipe_block);
} pipe_blocked_map_t;
extern pipe_blocked_map_t pipe_blocked SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_MAX_STAGES + 1);
	__type(key, __u32);
	__type(value, struct pt_pipe_stage);
} pipe_stage_map_t;
extern pipe_stage_map_t pipe_stage SEC(".maps");

/* The inode behind task's fd, if it is a pipe or socket: 0, else -1. */
static __always_inline int pipes_fd_inode(struct task_struct *task, __u64 fd,
					  __u64 *ino, __u32 *kind)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;
	struct inode *in;
	__u32 mode;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return -1;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return -1;
	in = BPF_CORE_READ(f, f_inode);
	if (!in)
		return -1;
	mode = BPF_CORE_READ(in, i_mode) & PT_S_IFMT;
	if (mode == PT_S_IFIFO)
		*kind = PT_PIPE_KIND_FIFO;
	else if (mode == PT_S_IFSOCK)
		*kind = PT_PIPE_KIND_SOCK;
	else
		return -1;
	*ino = BPF_CORE_READ(in, i_ino);
	return 0;
}

/* Which pipe, and which way, syscall nr with arguments di, dx of task is
 * on: 0, else -1. splice(fd_in, off_in, fd_out, ...) reads a pipe fd_in,
 * else writes a pipe fd_out. */
static __always_inline int pipes_of_call(struct task_struct *task, __s64 nr,
					 __u64 di, __u64 dx,
					 struct pt_pipe_key *k, __u32 *kind)
{
	__u32 cls = sys_class((__s32)nr);

	k->tgid = task->tgid;
	if (cls == PT_SYS_READ || cls == PT_SYS_WRITE) {
		k->dir = cls == PT_SYS_READ ? PT_PIPE_DIR_READ :
					      PT_PIPE_DIR_WRITE;
		return pipes_fd_inode(task, di, &k->ino, kind);
	}
	if (nr != pipes_splice_nr || nr < 0)
		return -1;
	k->dir = PT_PIPE_DIR_READ;
	if (!pipes_fd_inode(task, di, &k->ino, kind) &&
	    *kind == PT_PIPE_KIND_FIFO)
		return 0;
	k->dir = PT_PIPE_DIR_WRITE;
	return pipes_fd_inode(task, dx, &k->ino, kind);
}

static __always_inline struct pt_pipe_wait *
pipes_entry(const struct pt_pipe_key *k, __u32 kind)
{
	struct pt_pipe_wait *w = bpf_map_lookup_elem(&pipe_waits, k);
	struct pt_pipe_wait zero = { .kind = kind };

	if (w)
		return w;
	if (bpf_map_update_elem(&pipe_waits, k, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&pipe_waits, k)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&pipe_lost, &zero);

		if (n)
			__sync_fetch_and_add(n, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&pipe_waits, k);
}

/* Target thread task switches out blocked, innermost stage `stage`: if in
 * a syscall on a pipe, remember which until it runs again. */
static __always_inline void pipes_out(struct task_struct *task, __u32 stage,
				      __u64 now)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct pt_pipe_block b = { .out_ns = now, .stage = stage };
	__u32 tid = task->pid;

	if (!regs)
		return;
	if (pipes_of_call(task, BPF_CORE_READ(regs, orig_ax),
			  BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, dx),
			  &b.key, &b.kind))
		return;
	bpf_map_update_elem(&pipe_blocked, &tid, &b, BPF_ANY);
}

/* Blocked target thread tid is woken. */
static __always_inline void pipes_wake(__u32 tid, __u64 now)
{
	struct pt_pipe_block *b = bpf_map_lookup_elem(&pipe_blocked, &tid);

	if (b && !b->wake_ns)
		b->wake_ns = now;
}

/* Target thread tid runs again: its wait on the pipe, up to its wakeup
 * (the run-queue wait after it is not the pipe's), is charged, unless it
 * began before since (~0: nothing counts yet), as off-CPU stacks do: a
 * launched target's wait to be released is pipetrace's, not its own. */
static __always_inline void pipes_in(__u32 tid, __u64 now, __u64 since)
{
	struct pt_pipe_block *b = bpf_map_lookup_elem(&pipe_blocked, &tid);
	struct pt_pipe_stage *ps;
	struct pt_pipe_wait *w;
	__u32 stage;
	__u64 end, wait;

	if (!b)
		return;
	if (since == ~0ULL || b->out_ns < since) {
		bpf_map_delete_elem(&pipe_blocked, &tid);
		return;
	}
	end = b->wake_ns && b->wake_ns <= now ? b->wake_ns : now;
	wait = end > b->out_ns ? end - b->out_ns : 0;
	w = pipes_entry(&b->key, b->kind);
	if (w) {
		__sync_fetch_and_add(&w->wait_ns, wait);
		__sync_fetch_and_add(&w->runq_ns, now - end);
		__sync_fetch_and_add(&w->waits, 1);
	}
	stage = b->stage < PT_MAX_STAGES ? b->stage : PT_MAX_STAGES;
	ps = bpf_map_lookup_elem(&pipe_stage, &stage);
	if (ps && b->key.dir < PT_PIPE_DIR_NR)
		ps->wait_ns[b->key.dir & 1] += wait;
	bpf_map_delete_elem(&pipe_blocked, &tid);
}

/* A target thread's syscall returns ret: the bytes through a pipe. */
static __always_inline void pipes_sys_exit(struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_pipe_key k = {};
	struct pt_pipe_wait *w;
	__u32 kind = 0;

	if (ret < 0 ||
	    pipes_of_call(task, regs->orig_ax, regs->di, regs->dx, &k, &kind))
		return;
	w = pipes_entry(&k, kind);
	if (!w)
		return;
	__sync_fetch_and_add(&w->bytes, ret);
	__sync_fetch_and_add(&w->calls, 1);
}

#endif /* PIPES_BPF_H */
