/* SPDX-License-Identifier: MIT */
/*
 * trace_opts.h - what one trace is asked to do: the options of
 * `pipetrace [trace]`, as cli/opts.c parses them, passed down to the
 * session (and by it to the layers below) as one struct.
 */
#ifndef PT_TRACE_OPTS_H
#define PT_TRACE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipetrace_abi.h"
#include "target/spec.h"

/* -o FORMAT=PATH */
struct pt_output {
	char *format; /* a sink format's name (output/sink.h) */
	const char *path; /* "-": standard output */
	char *option; /* "-o FORMAT", for messages */
};

/* --call-graph: how on-CPU user stacks are walked. */
enum pt_call_graph {
	PT_CG_AUTO = 0, /* dwarf when the target's code lacks frame pointers
			 * (symbols/fpcheck.h), else fp */
	PT_CG_FP = 1, /* the kernel's frame-pointer walk */
	PT_CG_DWARF = 2, /* registers and stack copied, unwound by CFI */
};

struct pt_opts {
	bool help;
	bool version;
	bool verbose;
	bool calibrate; /* measure and subtract the probe's own latency */
	bool sites; /* probe PIPETRACE_ENTER() sites where there are some */
	pid_t pid; /* -p: the first PID; 0 when launching */
	pid_t *pids; /* -p PID[,PID...], repeatable: npids of them */
	size_t npids;
	bool children; /* --children: -p's descendants too */
	bool no_follow; /* --no-follow: a launched command's process only */
	const char *comm; /* --comm NAME: every process of that name */
	const char *exe; /* --exe PATH: every process running that file */
	char **argv; /* -- CMD ARGS, NULL-terminated; NULL with -p */
	const char *user; /* -u: run CMD as this user; NULL: as pipetrace */
	struct pt_spec *specs;
	size_t nspecs;
	double duration_s; /* 0: until the target exits or a signal */
	double interval_s; /* 0: no interval tables */
	const char *json_path;
	const char *events_path; /* --events: every call, one line each */
	unsigned int max_threads;
	/* memory */
	bool alloc; /* --alloc (implied by the other --alloc-* options) */
	unsigned int alloc_sample; /* record 1 allocation in N */
	uint64_t alloc_min; /* ignore smaller allocations */
	unsigned int alloc_max; /* live blocks tracked */
	/* stacks */
	unsigned int freq_hz; /* -F: on-CPU sampling rate */
	const char *folded_path; /* --folded: on-CPU stacks */
	const char *folded_offcpu_path; /* --folded-offcpu: off-CPU stacks */
	enum pt_call_graph call_graph; /* --call-graph */
	unsigned int ustack_size; /* --call-graph dwarf,SIZE: bytes copied */
	/* outputs */
	struct pt_output *outputs; /* -o, in the order given */
	size_t noutputs;
	bool addresses; /* --addresses: unnamed code by exact offset */
	/* --syscalls light (the default): no syscall tracepoint (see
	 * README); false: exact */
	bool sys_light;
	/* --syscalls libc: light, plus uprobes on the traced processes' libc
	 * I/O wrappers (io_cpu, fsyncs; each I/O call pays them) */
	bool libcio;
};

#endif /* PT_TRACE_OPTS_H */
