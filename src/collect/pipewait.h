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

struct pt_pipewait {
	struct pt_pipe_graph g;
	pid_t *traced; /* the traced processes alive now */
	size_t ntraced;
	uint64_t next_sample_ns;
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
	bool bytes; /* the syscalls' returns were traced (not light) */
	/* each traced process's life since attach (several processes), or
	 * NULL: a traced process then lived the whole span */
	const struct pt_proc_info *procs;
	size_t nprocs;
	/* the traced threads' time split: a traced process's on-CPU, run
	 * queue and other time, where its threads are there */
	const struct pt_thread_info *threads;
	size_t nthreads;
};

/* Starts: the graph around traced[0..n). 0 or -errno. */
int pt_pipewait__begin(struct pt_pipewait *pw, const pid_t *traced, size_t n);
/* The traced processes alive now, pids[0..n) (processes come and go): the
 * next tick looks for their pipes. 0 or -ENOMEM. */
int pt_pipewait__track(struct pt_pipewait *pw, const pid_t *pids, size_t n);
/* A CPU reading of the graph's processes, and a look for new pipes, if
 * one is due at now (every 100 ms); returns when the next one is due. */
uint64_t pt_pipewait__tick(struct pt_pipewait *pw, uint64_t now);
/* Ends: reads the maps and builds pw->pl. 0 or -errno. */
int pt_pipewait__end(struct pt_pipewait *pw, const struct pt_pipewait_end *e);
void pt_pipewait__free(struct pt_pipewait *pw);

/* splice(2)'s number, for the BPF side. */
long pt_pipewait__splice_nr(void);

#endif /* PT_PIPEWAIT_H */
