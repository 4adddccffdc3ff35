/* SPDX-License-Identifier: MIT */
/*
 * pipewait.h - the pipes around the traced processes over a trace: the
 * graph at attach (pipes.h), looked at again every 100 ms for the traced
 * processes of the moment (a launched pipeline's children, --comm
 * matches, as they come and go), CPU readings of every process of it while
 * the trace runs, and at the end the BPF side's pipe waits (pipes.bpf.h), put
 * together as the report's pipeline (report/pipeline.h).
 */
#ifndef PT_PIPEWAIT_H
#define PT_PIPEWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/pipes.h"
#include "report/pipeline.h"

struct pt_proc_info;
struct pt_thread_info;

/* Ids: the graph reads /proc, which names processes as pipetrace's PID
 * namespace does; the BPF side, the processes' table and the threads name
 * them as the kernel does (the initial namespace). */
struct pt_pipewait_ids {
	/* *out: the kernel's id of process id of pipetrace's namespace;
	 * 0 or -errno. NULL: pipetrace runs in the initial namespace, the
	 * ids are the same. */
	int (*kernel_of)(void *ctx, pid_t id, uint32_t *out);
	void *ctx;
};

struct pt_pid_pair {
	pid_t id; /* pipetrace's namespace's */
	uint32_t kid; /* the kernel's */
};

struct pt_pipewait {
	struct pt_pipewait_ids ids;
	struct pt_pid_pair *pairs; /* ids translated so far */
	size_t npairs, pairs_cap;
	struct pt_pipe_graph g;
	pid_t *traced; /* the traced processes alive now */
	size_t ntraced;
	uint64_t next_sample_ns;
	uint64_t *ino0; /* the pipes open at the start, sorted */
	size_t nino0;
	struct pt_pipeline pl; /* built by pt_pipewait__end() */
};

/* The fds of the BPF maps pipe_waits, pipe_stage and pipe_lost. */
struct pt_pipewait_fds {
	int waits, stage, lost;
};

/* What the end reads besides the maps. */
struct pt_pipewait_end {
	struct pt_pipewait_fds fds;
	size_t nstages;
	uint64_t span_ns; /* the trace's */
	bool bytes; /* the syscalls' or libc wrappers' returns were traced */
	const char *bytes_from; /* "exact", "libc", or NULL (light) */
	/* each traced process's life since attach (several processes), or
	 * NULL: a traced process then lived the whole span */
	const struct pt_proc_info *procs;
	size_t nprocs;
	/* the traced threads' time split: a traced process's on-CPU, run
	 * queue and other time, where its threads are there */
	const struct pt_thread_info *threads;
	size_t nthreads;
};

/* Before anything else: how to translate ids (copied; NULL: none). */
void pt_pipewait__init(struct pt_pipewait *pw,
		       const struct pt_pipewait_ids *ids);
/* *out: process kid of the kernel as pipetrace's namespace names it
 * (looked for in /proc once, then remembered). 0 or -ESRCH (not in the
 * namespace, or gone), -ENOMEM. */
int pt_pipewait__id_of(struct pt_pipewait *pw, uint32_t kid, pid_t *out);
/* Starts: the graph around traced[0..n) (ids of pipetrace's namespace,
 * as in all that follows). 0 or -errno. */
int pt_pipewait__begin(struct pt_pipewait *pw, const pid_t *traced, size_t n);
/* The traced processes alive now, pids[0..n) (processes come and go): the
 * next tick looks for their pipes. 0 or -ENOMEM. */
int pt_pipewait__track(struct pt_pipewait *pw, const pid_t *pids, size_t n);
/* A CPU reading of the graph's processes, and a look for new pipes, if
 * one is due at now (every 100 ms); returns when the next one is due. */
uint64_t pt_pipewait__tick(struct pt_pipewait *pw, uint64_t now);
/* Ends: reads the maps and builds pw->pl (the graph given the pipe ends
 * the BPF side saw traced processes use, where /proc never showed them).
 * 0 or -errno. */
int pt_pipewait__end(struct pt_pipewait *pw, const struct pt_pipewait_end *e);
void pt_pipewait__free(struct pt_pipewait *pw);

/* splice(2)'s number, for the BPF side. */
long pt_pipewait__splice_nr(void);

#endif /* PT_PIPEWAIT_H */
