/* SPDX-License-Identifier: MIT */
/*
 * kpid.h - the kernel's ids of a task pipetrace knows by its id in its own
 * PID namespace. The BPF programs match tasks by the kernel's (initial
 * namespace's) tids and tgids; inside another PID namespace (unshare --pid,
 * a container) getpid() and the pids pipetrace is given are that
 * namespace's, and must be translated first.
 */
#ifndef PT_KPID_H
#define PT_KPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;

/* Whether pipetrace runs in the initial PID namespace, where its ids are
 * the kernel's (no translation needed); false when it cannot tell. */
bool pt_kpid__initial_ns(void);

/*
 * *out: the kernel's tid of task `id` of pipetrace's namespace (for a
 * process's main thread, whose tid is its pid, also its kernel tgid),
 * through iter, the loaded task_ids iterator program; iter NULL means the
 * initial namespace: *out is id. Returns 0 or -errno (-ESRCH: no such task)
 * with a message in err.
 */
int pt_kpid__of(struct bpf_program *iter, pid_t id, uint32_t *out, char *err,
		size_t errlen);

#endif /* PT_KPID_H */
