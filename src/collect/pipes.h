/* SPDX-License-Identifier: MIT */
/*
 * pipes.h - which process writes into which pipe read by which: the pipe
 * graph of a set of processes, from their file descriptors.
 *
 * /proc/PID/fd/N links name an anonymous pipe "pipe:[INO]" and a socket
 * "socket:[INO]"; a named FIFO links to its path and is known by stat(2)
 * (S_ISFIFO, its inode). /proc/PID/fdinfo/N's "flags:" line (octal) gives
 * the open mode: O_RDONLY reads, O_WRONLY writes, O_RDWR (and a socket)
 * both. The traced processes are scanned whole; every other process is
 * scanned for the inodes they hold, which finds the other end of each
 * pipe. A unix socket's two ends are two inodes: the kernel pairs them
 * (unixdiag.h), and each connected pair is two edges, one each way. Data
 * is keyed by pid: any number of traced processes.
 *
 * /proc is written by others: the parsers below are pure functions over a
 * buffer (fuzzed in tests/fuzz/fuzz_pipes.c), the readers bounded.
 */
#ifndef PT_PIPES_H
#define PT_PIPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipetrace_pipes.h"

struct pt_unix_peers;

#define PT_PIPE_R 1u /* the fd reads */
#define PT_PIPE_W 2u /* the fd writes */
/* Named FIFOs, to tell them from pipe:[INO] in pt_pipe_end.kind. */
#define PT_PIPE_KIND_NAMED 3

/* One process's fds on one inode (modes of all its fds or-ed). */
struct pt_pipe_end {
	pid_t pid;
	uint64_t ino;
	uint32_t kind; /* PT_PIPE_KIND_FIFO, _SOCK or _NAMED */
	uint32_t mode; /* PT_PIPE_R | PT_PIPE_W */
	uint64_t peer; /* a unix socket's other end (its inode), or 0 */
};

/* A process of the graph and its CPU time (schedstat, summed over its
 * threads) at the first and last reading. */
struct pt_pipe_proc {
	pid_t pid;
	bool traced;
	bool gone; /* vanished before the last reading */
	char *name; /* its command line, or NULL */
	uint64_t t0_ns, t1_ns; /* CLOCK_MONOTONIC of the readings */
	uint64_t cpu0_ns, cpu1_ns; /* on-CPU time */
	uint64_t runq0_ns, runq1_ns; /* run-queue time */
};

/* A pipe from one writing process to one reading process: the writer's
 * inode, and the reader's (the same for a pipe or FIFO; for a unix socket
 * the writer's socket's peer). */
struct pt_pipe_edge {
	uint64_t ino;
	uint32_t kind;
	pid_t writer, reader;
	uint64_t rino;
};

struct pt_pipe_graph {
	struct pt_pipe_end *ends;
	size_t nends, ends_cap;
	struct pt_pipe_proc *procs;
	size_t nprocs, procs_cap;
	struct pt_pipe_edge *edges;
	size_t nedges;
};

/* "pipe:[INO]" or "socket:[INO]" in buf[0..len): 0 with *kind and *ino,
 * else -EINVAL. */
int pt_pipes__parse_link(const char *buf, size_t len, uint32_t *kind,
			 uint64_t *ino);
/* The "flags:" line of fdinfo text buf[0..len): 0, else -EINVAL. */
int pt_pipes__parse_fdinfo(const char *buf, size_t len, unsigned int *flags);
/* schedstat text "RUN_NS WAIT_NS SLICES": 0, else -EINVAL. */
int pt_pipes__parse_schedstat(const char *buf, size_t len, uint64_t *cpu_ns,
			      uint64_t *runq_ns);

/* Adds pid's fds on pipes and sockets to g (with only: only those inodes,
 * nonly of them, sorted). 0 or -errno. */
int pt_pipes__scan_pid(struct pt_pipe_graph *g, pid_t pid, const uint64_t *only,
		       size_t nonly);
/* The graph around the traced processes: their pipes, the other processes
 * holding them, the edges, and a first CPU reading of each. 0 or -errno
 * (-ENOMEM; a process that vanishes is skipped). */
int pt_pipes__discover(struct pt_pipe_graph *g, const pid_t *traced,
		       size_t ntraced);
/* Discovers again if a traced process holds a pipe g lacks (it made a
 * pipe or received one since). 0 or -errno. */
int pt_pipes__refresh(struct pt_pipe_graph *g, const pid_t *traced,
		      size_t ntraced);
/* Sets the peer of g's socket ends from the kernel's pairs (unixdiag.h;
 * an end the kernel does not list keeps the peer it had). */
void pt_pipes__set_peers(struct pt_pipe_graph *g,
			 const struct pt_unix_peers *peers);
/* Builds g->edges from g->ends: every writer to every other reader of a
 * pipe's inode, and every socket end to its peer's holders (both ways),
 * where one of the two processes is traced (g->procs). 0 or -ENOMEM. */
int pt_pipes__link(struct pt_pipe_graph *g);
/* Adds traced process pid's end on pipe ino, in mode (PT_PIPE_R or _W),
 * as the BPF side saw it used: a process gone before /proc showed its fds
 * (comm: its name if /proc has none). Links nothing. 0 or -ENOMEM. */
int pt_pipes__add_used(struct pt_pipe_graph *g, pid_t pid, uint64_t ino,
		       uint32_t kind, uint32_t mode, const char *comm);
/* Takes a CPU reading of every process still there. */
void pt_pipes__sample(struct pt_pipe_graph *g);
const struct pt_pipe_proc *pt_pipes__proc(const struct pt_pipe_graph *g,
					  pid_t pid);
void pt_pipes__free(struct pt_pipe_graph *g);

#endif /* PT_PIPES_H */
