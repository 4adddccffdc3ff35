// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * target.bpf.c - the kernel's own ids of a task that pipetrace knows by its
 * id in pipetrace's PID namespace. Every program matches tasks by the
 * kernel's ids (bpf_get_current_pid_tgid(), task->pid, task->tgid: the
 * initial namespace's); when pipetrace runs in another namespace, userspace
 * translates the target's id through this iterator before it sets
 * target_tgid (kpid.c). Loaded only then.
 */
#include "pipetrace.bpf.h"

/* The iterator's link names one task (its tid, looked up in the namespace
 * of the process that creates the link): writes its kernel tid and tgid. */
SEC("iter/task")
int task_ids(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 tid;

	if (!task)
		return 0;
	tid = task->pid;
	bpf_seq_write(ctx->meta->seq, &tid, sizeof(tid));
	return 0;
}
