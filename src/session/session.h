/* SPDX-License-Identifier: MIT */
/*
 * session.h - one trace, in phases, each a function of its own:
 *
 *   pt_session__open_outputs()  every sink's destination, checked and
 *                               opened (nothing is loaded or launched yet)
 *   pt_session__prepare()       target, stages, allocator, kernel symbols
 *   pt_session__load()          BPF loaded, the probe's cost calibrated
 *   pt_session__attach()        launch held (or -p), attach, release
 *   pt_session__run()           wait for the end: target exit, -d, a
 *                               signal; -i interval reports on the way
 *   pt_session__snapshot()      everything the BPF side counted, at once
 *   pt_session__detach()        every probe removed
 *   pt_session__end()           the exit code (a launched command's)
 *
 * The final snapshot goes to pt_report__build() and pt_sinks__finish().
 * Phases return 0 or -errno with a one-line message in err; warnings and
 * progress go through util/log.
 */
#ifndef PT_SESSION_H
#define PT_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "session/trace_opts.h"
#include "collect/allocsites.h"
#include "collect/pipewait.h"
#include "collect/tasks.h"
#include "collect/tracer.h"
#include "collect/stackfold.h"
#include "collect/ustacks.h"
#include "output/sink.h"
#include "report/interval.h"
#include "report/snapshot.h"
#include "symbols/kallsyms.h"
#include "symbols/symbolize.h"
#include "target/creds.h"
#include "target/launch.h"
#include "target/stages.h"

enum pt_stop { PT_STOP_EXITED, PT_STOP_DURATION, PT_STOP_SIGNAL };

/* Stage ids kept for the programs that traced processes exec. */
#define PT_SPARE_STAGES 64

/* A program file, as the kernel names it (device major << 20 | minor). */
struct pt_file_id {
	uint32_t dev;
	uint64_t ino;
};

/* A traced process's symbols (several processes, folded stacks). */
struct pt_proc_syms {
	uint32_t tgid; /* the kernel's */
	struct pt_usyms *u; /* NULL: its maps could not be read */
};

/* Several processes: the programs whose stages are probed, and the execs
 * waiting to be looked at (session/procs.c). */
/* A process that ran its program before the program's stages were probed:
 * calls it made before then were not seen. */
struct pt_exec_late {
	uint32_t pid; /* the kernel's */
	uint64_t ns; /* from its exec to the probes attached */
};

/* A process whose program's stages were not probed at all, and why. */
struct pt_exec_miss {
	uint32_t pid;
	char why[PT_UNPROBED_WHY];
};

struct pt_exec_files {
	struct pt_file_id *seen; /* resolved (with stages or none) */
	/* per seen: when its stages were attached (CLOCK_MONOTONIC), 0 if
	 * before the trace began or it has none */
	uint64_t *seen_at;
	size_t nseen;
	struct pt_exec_late *late;
	size_t nlate;
	struct pt_exec_miss *miss;
	size_t nmiss;
	struct pt_exec_event *todo; /* told by the BPF side, not yet seen */
	size_t ntodo, cap;
	struct pt_file_id exe; /* --exe's file */
	unsigned int probed; /* programs exec'd whose stages were probed */
	unsigned int missed; /* programs not probed (no room, Go, failed) */
	unsigned int gone; /* execs whose process was gone before it was
			    * read: their program's stages unknown */
	pid_t missed_pid; /* one process of theirs, for the warning */
};

/* What a snapshot holds, owned by the session until the next one. */
struct pt_snap_data {
	struct pt_totals *totals;
	struct pt_thread_info *threads;
	struct pt_pair *pairs;
	struct pt_mem_row *mem;
	struct pt_folded *oncpu, *offcpu;
	struct pt_proc_info *procs;
	size_t nprocs;
	struct pt_proc_stage_row *proc_stages;
};

struct pt_session {
	const struct pt_opts *o;
	struct pt_sinks sinks;
	unsigned int needs; /* PT_SINK_* of the sinks */
	bool want_syms; /* stacks to name: --alloc or folded stacks */
	struct pt_target target;
	struct pt_creds creds; /* -u USER */
	struct pt_stage_set stages;
	struct pt_alloc_sites asites; /* --alloc */
	struct pt_ksyms *ksyms; /* kernel names, for folded stacks */
	bool ksyms_tried; /* read when the stacks are first folded */
	char *command;
	struct pt_tracer *tracer;
	bool calibrated;
	uint64_t bias_ns[PT_PROBE_NR];
	uint64_t tail_ns[PT_PROBE_NR];
	struct pt_child child;
	sigset_t orig_mask;
	pid_t pid;
	int sigfd, pidfd, signo;
	int fail_code; /* exit code after a failed phase */
	uint64_t t0, start_ns, end_ns;
	uint64_t rss_start;
	bool exited; /* the target's end was seen */
	struct pt_usyms *usyms; /* names for stacks, while they are needed */
	uint64_t next_syms_ns; /* when to re-read the target's maps */
	uint64_t next_dither_ns; /* when to change the sampling period */
	unsigned int dither_seed;
	unsigned int syms_refreshes;
	int events_err; /* a drain failed: -errno */
	struct pt_ustacks *ustacks; /* --call-graph dwarf samples, unwound */
	struct pt_unwinder *unwinder; /* over usyms, once it is open */
	struct pt_snap_data data;
	struct pt_interval interval; /* -i: the previous tick's counters */
	struct pt_task_set tasks; /* the target's threads at attach */
	bool several; /* several processes (session/procs.c) */
	size_t next_pid; /* -p PID,PID: the next one to wait for */
	struct pt_pipewait pipes; /* the pipes around the target */
	bool pipes_on; /* pipes.g was read */
	uint64_t next_calib_ns; /* the next calibration burst, or 0 */
	uint64_t calib_gap_ns; /* from the last to the next */
	struct pt_libcio_sites lsites; /* --syscalls light: libc's I/O */
	bool libcio_on; /* lsites found: libc I/O probes attached */
	uint64_t next_libcio_ns; /* the next look for new processes, or 0 */
	/* when each process's libc I/O probes were attached (monotonic),
	 * and whether it had read or written anything by then (/proc/PID/io
	 * read after the attach; unreadable: assumed so; reads include the
	 * loader's of its libraries) */
	struct pt_libcio_at {
		uint32_t pid;
		uint64_t at_ns;
		bool read_before, wrote_before;
	} * libcio_at;
	size_t nlibcio_at;
	struct pt_exec_files execs; /* several: the programs probed */
	/* Several processes with stacks to name: each one's symbols (the
	 * first's are usyms), and a scratch for a folded line's label. */
	struct pt_proc_syms *psyms;
	size_t npsyms;
	char label[48];
};

void pt_session__init(struct pt_session *s, const struct pt_opts *o);
int pt_session__open_outputs(struct pt_session *s, char *err, size_t errlen);
int pt_session__prepare(struct pt_session *s, char *err, size_t errlen);
int pt_session__load(struct pt_session *s, char *err, size_t errlen);
int pt_session__attach(struct pt_session *s, char *err, size_t errlen);
enum pt_stop pt_session__run(struct pt_session *s);
/* Freezes the counters first when final. snap points into the session. */
int pt_session__snapshot(struct pt_session *s, bool final,
			 struct pt_snapshot *snap, char *err, size_t errlen);
void pt_session__detach(struct pt_session *s);
/* The exit code: a launched command's status once it ends (unless failed),
 * 128+N after signal N, else 0 (1 if failed). */
int pt_session__end(struct pt_session *s, enum pt_stop why, bool failed);
void pt_session__free(struct pt_session *s);

/* Several processes (session/procs.c), for session.c. */
bool pt_session__several(const struct pt_opts *o);
/* -p's PIDs checked; --comm: the target is the first process of that name,
 * else the executable of that name. 0 or -errno with a message. */
int pt_session__prepare_procs(struct pt_session *s, char *err, size_t errlen);
/* Before attach: the target and -p's PIDs to the BPF side. */
int pt_session__seed_procs(struct pt_session *s, char *err, size_t errlen);
/* After attach: --children's descendants and --comm's processes now. */
int pt_session__scan_procs(struct pt_session *s, char *err, size_t errlen);
/* -p PID,PID: the pidfd moved to the next live PID given; false when none
 * is left (the trace ends). */
bool pt_session__next_pidfd(struct pt_session *s);
/* --syscalls light's libc I/O probes (session/libcio.c): the target's
 * libc found (before load), every traced process probed (at attach, then
 * new ones every 20 ms with several). A failure costs only the figures
 * (io_cpu, fsyncs), said with -v. */
void pt_session__libcio_prepare(struct pt_session *s);
void pt_session__libcio_begin(struct pt_session *s, uint64_t now);
void pt_session__libcio_tick(struct pt_session *s, uint64_t now);
/* Probes process pid's libc I/O now (one a traced process forked, seen at
 * its exec), not at the next tick. */
void pt_session__libcio_follow(struct pt_session *s, pid_t pid);
/* When process pid's libc I/O probes were attached, or NULL: not. */
const struct pt_libcio_at *pt_session__libcio_at(const struct pt_session *s,
						 uint32_t pid);
/* The processes and their stage counters into snap (with several). */
int pt_session__snap_procs(struct pt_session *s, struct pt_snapshot *snap);
/* After load: the BPF side's execs watched, the first program seen. */
int pt_session__watch_execs(struct pt_session *s, char *err, size_t errlen);
/* The programs traced processes exec'd since: their stages probed. */
void pt_session__probe_execs(struct pt_session *s);
/* The BPF side's execs read (kept for pt_session__probe_execs()), and
 * each one's process's libc I/O probed now; ctx: the session. */
void pt_session__follow_execs(void *ctx);
void pt_session__free_procs(struct pt_session *s);
/* Several processes with stacks to name: symbols opened for pid (a kernel
 * tgid) unless they are already. */
void pt_session__track_syms(struct pt_session *s, pid_t pid);
/* The same for every traced process alive, and their maps re-read. */
void pt_session__refresh_procs_syms(struct pt_session *s);
/* The folded stacks' options for several processes (o's syms_of, label,
 * procs_ctx); label only when more than one process was traced. */
void pt_session__stackfold_procs(struct pt_session *s,
				 const struct pt_snapshot *snap,
				 struct pt_stackfold_opts *o);

#endif /* PT_SESSION_H */
