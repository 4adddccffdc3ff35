/* SPDX-License-Identifier: MIT */
/*
 * procs.h - several processes traced at once (a launched command and its
 * descendants, -p PID,PID, --children, --comm): each process, and each
 * stage's calls in each process. Keyed by the kernel's tgid, as the
 * threads are; with one process traced these stay empty and the report is
 * exactly the single-process one.
 */
#ifndef PT_REPORT_PROCS_H
#define PT_REPORT_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A traced process. */
#define PT_UNPROBED_WHY 160

struct pt_proc_info {
	uint32_t pid, ppid; /* ppid 0: not known */
	char comm[16]; /* its name after its last exec while traced */
	bool exited;
	bool followed; /* traced from its fork (a traced one's child) */
	/* it exec'd a program whose stages were probed only this long after
	 * its exec: calls it made before then were not seen */
	bool late;
	uint64_t late_ns;
	/* --syscalls libc: it started while traced, and its libc I/O
	 * wrappers were probed only this long after (never: its life, or 0
	 * while it runs):
	 * the bytes it read (io_late_read) or wrote (io_late_write) before
	 * then were not counted; io_late: either */
	bool io_late, io_late_read, io_late_write;
	uint64_t io_late_ns;
	/* its program's stages were not probed: why (else "") */
	char unprobed[PT_UNPROBED_WHY];
	uint64_t unpaired; /* returns of calls entered before it was traced */
	int exit_status; /* exited: the code, or 128+N if killed by N */
	uint64_t start_ns,
		end_ns; /* since attach (0: before); end: exited only */
	/* --alloc: its allocations, bytes, frees and freed bytes, as a
	 * stage's pt_mem_row counts them (scaled by --alloc-sample). */
	uint64_t alloc_calls, alloc_bytes, frees, freed_bytes;
	bool alloc_known; /* the allocator is probed in it (the first one) */
};

/* One stage's calls in one process (no histogram: the stage has it). */
struct pt_proc_stage_row {
	uint32_t pid, stage;
	uint64_t calls, items, errors, wall_ns, lat_sum_ns, min_ns, max_ns;
	uint64_t setup_calls; /* calls not in lat_sum_ns, min_ns, max_ns */
};

/* Orders by pid. */
int pt_proc_info__cmp(const void *a, const void *b);
/* Orders by stage, then pid. */
int pt_proc_stage_row__cmp(const void *a, const void *b);
/* The process pid in v[0..n), or NULL. */
const struct pt_proc_info *pt_procs__find(const struct pt_proc_info *v,
					  size_t n, uint32_t pid);

#endif /* PT_REPORT_PROCS_H */
