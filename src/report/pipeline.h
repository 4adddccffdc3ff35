/* SPDX-License-Identifier: MIT */
/*
 * pipeline.h - the pipeline of processes: which process holds the others
 * back, and the pipes between them.
 *
 * Each process (node) is seen over a span: its on-CPU and run-queue time
 * (schedstat), and for a traced process its waits on each pipe, per
 * direction (BPF). Processes joined by pipes run concurrently, so the run
 * lasts about as long as its busiest process is busy. Busy: on CPU, or
 * blocked on anything but a pipe: a traced process's span (its life
 * within the trace) less its pipe waits, its run-queue time and its time
 * blocked in wait4, pause and the like (part `other`); for one whose waits
 * are not traced, its on-CPU time (a lower bound). A traced process of
 * several threads is as busy as its busiest thread (each thread's life
 * less its own run-queue, other, lock and pipe waits: a thread blocked on
 * a lock waits for another one): the sum over its threads
 * would count one span several times. Its on-CPU time is its threads'
 * sum (CPU time: above its span when threads run in parallel, printed in
 * CPUs, not in % of the span). Time waiting for a CPU is not busy: on a
 * loaded machine every process waits for one, and a faster process would
 * not wait less. Making process k twice as fast saves
 * max_p B_p - max(B_k / 2, max_{p != k} B_p), the Amdahl reasoning of
 * report.c with processes for threads; the bottleneck is the process whose
 * speed-up saves most. Only processes with a pipe take part (unless none
 * has one). Data is keyed by pid, any number of nodes and edges; a cycle
 * in the graph changes nothing (no walk follows edges).
 */
#ifndef PT_PIPELINE_H
#define PT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct pt_report;

struct pt_pl_node {
	pid_t pid; /* as pipetrace's PID namespace names it (/proc) */
	uint32_t kpid; /* as the kernel does (the report's processes), or 0 */
	const char *name; /* command line, or NULL */
	bool traced; /* its pipe waits are measured */
	bool cpu_known; /* oncpu/runq read over span_ns */
	uint64_t span_ns;
	uint64_t oncpu_ns, runq_ns;
	/* traced, from its threads: blocked on none of the above (wait4,
	 * pause: a shell waiting for its children is not busy) */
	bool other_known;
	uint64_t other_ns;
	/* traced, from its threads: how many, and (more than one) the
	 * busiest one's busy time */
	uint32_t nthreads;
	uint64_t thread_busy_ns;
	uint64_t wait_ns[2]; /* pipe read (starved), write (pushed back) */
	uint64_t wait_runq_ns[2]; /* waiting for a CPU right after them */
};

struct pt_pl_edge {
	uint64_t ino; /* the writer's inode */
	uint64_t rino; /* the reader's (a unix socket's peer; a pipe: ino) */
	const char *kind; /* "pipe", "fifo", "socket" */
	pid_t writer, reader;
	bool writer_known, reader_known; /* its waits were traced */
	uint64_t writer_wait_ns; /* writer blocked on it full */
	uint64_t reader_wait_ns; /* reader blocked on it empty */
	bool bytes_known;
	/* known, but only from when its counting process was probed (libc
	 * wrappers of a process probed after its exec): at least bytes */
	bool bytes_partial;
	uint64_t bytes;
};

struct pt_pipeline {
	struct pt_pl_node *nodes;
	size_t nnodes;
	struct pt_pl_edge *edges;
	size_t nedges;
	uint64_t lost; /* (process, pipe, direction) keys not kept */
	/* per stage id, then [PT_MAX_STAGES]: outside; NULL if none */
	const uint64_t (*stage_wait_ns)[2];
	size_t nstage_wait;
	/* where the bytes per pipe come from: "exact" (the syscalls'
	 * returns), "libc" (the libc wrappers'), NULL (not counted) */
	const char *bytes_from;
};

struct pt_pl_verdict {
	long node; /* the bottleneck's index, or -1 */
	long tie; /* a node as busy (within 2% of the span), or -1 */
	double busy_pct; /* its busy time, % of its span */
	double saves_pct; /* % of the run a 2x faster node would save */
};

/* Busy time of node n (see above). */
uint64_t pt_pl_busy(const struct pt_pl_node *n);
/* Fills v; 0, or -ENOENT when no node qualifies. */
int pt_pipeline__analyze(const struct pt_pipeline *pl, struct pt_pl_verdict *v);
/* The one-line verdict with its evidence (stage: the bottleneck stage
 * within the bottleneck process if it is traced, or NULL). */
void pt_pipeline__line(const struct pt_pipeline *pl,
		       const struct pt_pl_verdict *v, const char *stage,
		       char *buf, size_t len);
/* One line per edge. */
void pt_pipeline__edge_line(const struct pt_pipeline *pl,
			    const struct pt_pl_edge *e, char *buf, size_t len);

void pt_pipeline__free(struct pt_pipeline *pl);

#endif /* PT_PIPELINE_H */
