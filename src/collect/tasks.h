/* SPDX-License-Identifier: MIT */
/*
 * tasks.h - the target's threads as /proc lists them (/proc/PID/task), so
 * that a thread the trace never sees run (asleep from attach to the end) is
 * still reported, with its time and what it waited in.
 */
#ifndef PT_TASKS_H
#define PT_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "report/snapshot.h"

struct pt_task {
	uint32_t tid;
	char comm[16];
	char state; /* /proc's: R, S, D, ... */
	long sys_nr; /* the syscall it is in, or -1 (running, or none) */
	char wchan[32]; /* the kernel function it waits in, or "" */
};

struct pt_task_set {
	struct pt_task *v;
	size_t n;
};

/*
 * Whether t is blocked (asleep, S, or uninterruptible, D); if so, the part
 * its time goes to (enum pt_part) in *part, from its syscall and state.
 */
bool pt_tasks__blocked(const struct pt_task *t, uint32_t *part);

/* The threads of pid now. 0 or -errno with a message in err. */
int pt_tasks__read(pid_t pid, struct pt_task_set *out, char *err,
		   size_t errlen);
void pt_tasks__free(struct pt_task_set *s);

/*
 * Adds to *threads (n of them, sorted by tid; realloc'd and re-sorted) a
 * row for each thread of `start` that the BPF side never saw and that is
 * still in `end` (or end is NULL: the target is gone, its threads with it,
 * at the trace's end): idle for duration_ns, in the part its syscall at the
 * end (or at attach) says, seen = false, blocked_on naming what it waited
 * in. None when end is NULL and a tid-0 row (exited threads summed) is
 * there: any thread of start may be in it. 0 or -ENOMEM.
 */
int pt_tasks__add_unseen(const struct pt_task_set *start,
			 const struct pt_task_set *end, uint64_t duration_ns,
			 struct pt_thread_info **threads, size_t *n);

#endif /* PT_TASKS_H */
