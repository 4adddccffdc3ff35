/* SPDX-License-Identifier: MIT */
/*
 * pipewait.h - the pipes around the traced processes over a trace: the
 * graph at attach (pipes.h), CPU readings of every process of it while the
 * trace runs, and at the end the BPF side's pipe waits (pipes.bpf.h), put
 * together as the report's pipeline (report/pipeline.h).
 */
#ifndef PT_PIPEWAIT_H
#define PT_PIPEWAIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/pipes.h"
#include "report/pipeline.h"

#define PT_PIPEWAIT_MAX_TRACED 64

struct pt_pipewait {
	struct pt_pipe_graph g;
	pid_t traced[PT_PIPEWAIT_MAX_TRACED];
	size_t ntraced;
	uint64_t next_sample_ns;
	struct pt_pipeline pl; /* built by pt_pipewait__end() */
};

/* The fds of the BPF maps pipe_waits, pipe_stage and pipe_lost. */
struct pt_pipewait_fds {
	int waits, stage, lost;
};

/* Starts: the graph around traced[0..n). 0 or -errno. */
int pt_pipewait__begin(struct pt_pipewait *pw, const pid_t *traced, size_t n);
/* A CPU reading of the graph's processes, and a look for new pipes, if
 * one is due at now (every 100 ms); returns when the next one is due. */
uint64_t pt_pipewait__tick(struct pt_pipewait *pw, uint64_t now);
/* Ends: reads the maps and builds pw->pl. 0 or -errno. */
int pt_pipewait__end(struct pt_pipewait *pw, const struct pt_pipewait_fds *fds,
		     size_t nstages, uint64_t span_ns);
void pt_pipewait__free(struct pt_pipewait *pw);

/* splice(2)'s number, for the BPF side. */
long pt_pipewait__splice_nr(void);

#endif /* PT_PIPEWAIT_H */
