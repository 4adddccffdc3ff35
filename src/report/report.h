/* SPDX-License-Identifier: MIT */
/*
 * report.h - the per-stage report: the figures derived from a snapshot
 * (report/snapshot.h). The output sinks (output/sink.h) write it.
 */
#ifndef PT_REPORT_H
#define PT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "report/memreport.h"
#include "report/snapshot.h"
#include "target/stages.h"

#define PT_REPORT_SCHEMA "pipetrace/1"

struct pt_stage_report {
	const struct pt_stage *stage;
	const struct pt_totals *tot;
	uint64_t mean_ns, p50_ns, p95_ns, p99_ns;
	/* false: min and the percentiles are not known: taking the probes'
	 * calibrated cost (its own least, its nested stages') off each call
	 * left some at 0, more than those calls paid; the mean has their
	 * mean cost off */
	bool pct_known;
	uint64_t bias_ns; /* probe latency subtracted from each call */
	uint64_t tail_ns; /* and, from the mean, its mean above its median */
	double calls_per_s, items_per_s;
	double concurrency; /* wall / elapsed: Little's law */
	uint64_t part_ns[PT_PART_NR]; /* own time split, probe cost removed */
	uint64_t self_ns; /* sum of part_ns */
	/* Whether mean_ns and self_ns are known: not when the probes'
	 * calibrated cost took all of a stage's time (0 is no figure) */
	bool mean_known, self_known;
	/* What its nested stages' probes cost it (calibrated; taken out of
	 * its latency and own time): time.nest_ns + time.nest_tail_ns */
	uint64_t nested_probes_ns;
	/* What a live read's parts held beyond the stage's wall time (the
	 * maps are read one after another while calls end: a call ended
	 * between the reads of its wall and of its time split has its time
	 * and not its wall), taken off the parts in proportion */
	uint64_t read_skew_ns;
	const char *verdict;
	double saves_pct; /* end-to-end time a 2x faster stage would save */
	/* Of part_ns[PT_PART_SYS]: on CPU inside I/O syscalls (0, unknown,
	 * with the snapshot's sys_light) */
	uint64_t io_cpu_ns;
	/* Of part_ns[PT_PART_IO]: blocked reading an empty pipe ([0]) and
	 * writing a full one ([1]) (report/pipeline.h); never above the io */
	uint64_t pipe_wait_ns[2];
	/* self_ns less its run-queue, lock and pipe waits: what a 2x faster
	 * stage halves (pt_amdahl()) */
	uint64_t work_ns;
};

struct pt_report {
	const struct pt_snapshot *snap; /* what it was built from: the
					 * figures shown as they are */
	uint64_t lost_total;
	struct pt_stage_report *rows;
	size_t n;
	struct pt_pair *pairs; /* the snapshot's, with self_ns derived */
	size_t npairs;
	/* The pipe waits outside every stage; pipe_waits: whether pipe
	 * waits were collected at all (snap->pipeline's) */
	uint64_t outside_pipe_wait_ns[2];
	bool pipe_waits;
	/* Derived: */
	long bottleneck; /* row index, or -1 */
	char bottleneck_reason[256];
};

/* Each lost-event reason (enum pt_lost_reason, in the ABI): its JSON key
 * and the words the table uses. The one list of them. */
struct pt_lost_name {
	const char *key; /* "threads_full" */
	const char *phrase; /* "untracked threads" */
};
extern const struct pt_lost_name pt_lost_reasons[PT_LOST_NR];

/* A split's verdict: the part holding >= 60% of it ("cpu" for user + sys,
 * "io", "lock", "sleep", "runqueue"), else "mixed"; "idle" if empty. */
const char *pt_verdict(const uint64_t part_ns[PT_PART_NR]);
/* The same, with io_cpu_ns (a share of part_ns[PT_PART_SYS]: on CPU inside
 * I/O syscalls) counted as "io" rather than "cpu": a stage's verdict. */
const char *pt_verdict_io(const uint64_t part_ns[PT_PART_NR],
			  uint64_t io_cpu_ns);
/* The same with --syscalls light, where the on-CPU time is all in
 * part_ns[PT_PART_USER] and io_cpu_ns (from libc I/O probes) a share of it. */
const char *pt_verdict_light_io(const uint64_t part_ns[PT_PART_NR],
				uint64_t io_cpu_ns);

/*
 * Amdahl over the pipeline's threads: with x[t][s] the own work of stage s
 * on thread t (pairs' work_ns: its own time, nested stages excluded so that
 * no time is counted twice, less its waits for a CPU, a lock or a pipe,
 * which a faster stage does not shorten: they are other threads' and
 * processes' doing) and B_t = sum_s x[t][s], the run is as long as its
 * busiest thread allows; making stage k twice as fast saves
 *   max_t B_t - max_t (B_t - x[t][k] / 2)
 * of the elapsed time. (One thread: x[k]/2; a threaded pipeline: only the
 * stages on the busiest thread matter.) Fills saves_pct[nstages] and returns
 * the stage that saves most, or -1 when no stage ran. -ENOMEM on failure.
 */
long pt_amdahl(const struct pt_pair *pairs, size_t npairs, size_t nstages,
	       uint64_t elapsed_ns, double *saves_pct);

/* The sum of a time split. */
uint64_t pt_sum_parts(const uint64_t part_ns[PT_PART_NR]);

/*
 * Each pair's own time (self_ns): the stage's own time (the BPF side charges
 * every moment to the innermost active stage of its thread, summed over
 * threads) shared among the threads it ran on in proportion to its wall time
 * on each. Exact when a stage runs on one thread, or nests alike on each;
 * the BPF side keeps no own time per thread and stage. stage_self_ns[n];
 * the pairs' work_ns the same from stage_work_ns[n] (NULL: 0), in the same
 * pass.
 */
void pt_pairs__derive(struct pt_pair *pairs, size_t npairs,
		      const uint64_t *stage_self_ns,
		      const uint64_t *stage_work_ns, size_t n);

/*
 * Builds *r (zeroed first) from snapshot s, which must outlive it. Returns
 * 0 or -ENOMEM.
 */
int pt_report__build(struct pt_report *r, const struct pt_snapshot *s);
void pt_report__free(struct pt_report *r);

/* "812ns", "1.2us", "3.45ms", "2.01s" into buf. */
const char *pt_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif /* PT_REPORT_H */
