// SPDX-License-Identifier: MIT
/*
 * procs.c - a session's several processes (see session.h): which ones
 * (-p PID,PID, --children, --comm, a launched command's descendants), the
 * BPF side told about them, the trace's end when the last -p one exits,
 * and what the snapshot gets.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "session/session.h"
#include "target/procset.h"
#include "util/log.h"

bool pt_session__several(const struct pt_opts *o)
{
	if (o->argv)
		return !o->no_follow;
	return o->npids > 1 || o->children || o->comm;
}

int pt_session__prepare_procs(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	struct pt_pidset found = { 0 };
	int ret;

	s->target.search_unmapped = s->several;
	if (o->pid)
		return pt_procset__check(o->pids, o->npids, err, errlen);
	if (!o->comm)
		return 0;
	ret = pt_procset__by_comm(o->comm, &found);
	if (ret) {
		pt_pidset__free(&found);
		return pt_errf(err, errlen, ret, "cannot read /proc: %s",
			       strerror(-ret));
	}
	/* The first one running names the objects; else the executable
	 * of that name in PATH. */
	ret = found.n ?
		      pt_target__from_pid(&s->target, found.v[0], err, errlen) :
		      pt_target__from_command(&s->target, o->comm, err, errlen);
	pt_pidset__free(&found);
	s->target.search_unmapped = true;
	if (ret)
		return ret;
	if (!s->target.pid && o->alloc)
		return pt_errf(
			err, errlen, -EINVAL,
			"no process named '%s' runs yet, and --alloc probes one process's allocator; start it first or drop --alloc",
			o->comm);
	return 0;
}

/* Tells the tracer about pid (its parent and name from /proc). */
static int add_one(struct pt_session *s, pid_t pid, char *err, size_t errlen)
{
	char comm[16] = "";
	pid_t ppid = 0;

	if (pt_procset__stat(pid, &ppid, comm))
		return 0; /* gone meanwhile: nothing to trace */
	return pt_tracer__add_proc(s->tracer, pid, ppid, comm, err, errlen);
}

int pt_session__seed_procs(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	size_t i;
	int ret = 0;

	if (!s->several)
		return 0;
	if (s->pid)
		ret = add_one(s, s->pid, err, errlen);
	for (i = 0; !ret && i < o->npids; i++)
		ret = add_one(s, o->pids[i], err, errlen);
	return ret;
}

int pt_session__scan_procs(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	struct pt_pidset set = { 0 };
	size_t i;
	int ret = 0;

	if (o->children) {
		for (i = 0; !ret && i < o->npids; i++)
			ret = pt_pidset__add(&set, o->pids[i]);
		if (!ret)
			ret = pt_procset__descendants(&set);
	} else if (o->comm) {
		ret = pt_procset__by_comm(o->comm, &set);
	}
	for (i = 0; !ret && i < set.n; i++)
		ret = add_one(s, set.v[i], err, errlen);
	if (!ret && set.n)
		pt_debug("processes: %zu traced from /proc at attach", set.n);
	pt_pidset__free(&set);
	return ret;
}

/* A pidfd of process pid, or -1 if it is gone. */
static int open_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool pt_session__next_pidfd(struct pt_session *s)
{
	const struct pt_opts *o = s->o;
	int fd;

	if (o->argv)
		return false;
	while (s->next_pid < o->npids) {
		fd = open_pidfd(o->pids[s->next_pid++]);
		if (fd < 0)
			continue;
		close(s->pidfd);
		s->pidfd = fd;
		return true;
	}
	return false;
}

/* Start and end as times since attach (0: before it). */
static void relative_times(const struct pt_session *s, struct pt_proc_info *v,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].start_ns = v[i].start_ns > s->start_ns ?
					v[i].start_ns - s->start_ns :
					0;
		if (v[i].exited)
			v[i].end_ns = v[i].end_ns > s->start_ns ?
					      v[i].end_ns - s->start_ns :
					      0;
	}
}

/* The first of v[0..n) not named exe (one exists). */
static const struct pt_proc_info *first_other(const struct pt_proc_info *v,
					      size_t n, const char *exe)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (strcmp(v[i].comm, exe))
			break;
	return &v[i];
}

/* Whether a stage is in the first process's executable. */
static bool exe_stages(const struct pt_session *s)
{
	size_t i;

	for (i = 0; i < s->stages.n; i++)
		if (s->target.exe &&
		    !strcmp(s->stages.v[i].object, s->target.exe))
			return true;
	return false;
}

/*
 * The stages of the first process's executable are probed in that file
 * only: says which traced processes ran another program (by name, as the
 * kernel keeps at most 15 characters of it), whose own functions were
 * then not probed. Never silent.
 */
static void warn_other_programs(const struct pt_session *s,
				const struct pt_proc_info *v, size_t n)
{
	const char *base = s->target.exe ? strrchr(s->target.exe, '/') : NULL;
	char exe[16];
	size_t i, others = 0;

	if (!exe_stages(s))
		return;
	snprintf(exe, sizeof(exe), "%s", base ? base + 1 : s->target.exe);
	for (i = 0; i < n; i++)
		others += strcmp(v[i].comm, exe) != 0;
	if (others)
		pt_warn("%zu of the %zu processes traced ran another program than %s (e.g. PID %u, %s): its own functions were not probed, only the stages in %s and the libraries named by -s OBJECT:PATTERN",
			others, n, exe, first_other(v, n, exe)->pid,
			first_other(v, n, exe)->comm, exe);
}

/* --alloc-sample N: the processes' recorded allocations stand for N each,
 * as the stages' do (memcollect.c). */
static void scale_allocs(const struct pt_session *s, struct pt_proc_info *v,
			 size_t n)
{
	uint64_t k = s->o->alloc_sample ? s->o->alloc_sample : 1;

	for (size_t i = 0; i < n; i++) {
		v[i].alloc_known = v[i].pid == (uint32_t)s->pid;
		v[i].alloc_calls *= k;
		v[i].alloc_bytes *= k;
		v[i].frees *= k;
		v[i].freed_bytes *= k;
	}
}

int pt_session__snap_procs(struct pt_session *s, struct pt_snapshot *snap)
{
	struct pt_snap_data *d = &s->data;
	size_t np = 0, ns = 0;
	int ret;

	if (!s->several)
		return 0;
	ret = pt_tracer__read_procs(s->tracer, &d->procs, &np);
	if (!ret)
		ret = pt_tracer__read_proc_stages(s->tracer, s->stages.n,
						  &d->proc_stages, &ns);
	if (ret)
		return ret;
	snap->procs_missed = pt_tracer__procs_full(s->tracer);
	relative_times(s, d->procs, np);
	scale_allocs(s, d->procs, np);
	if (snap->final)
		warn_other_programs(s, d->procs, np);
	/* One process: the single-process report, unchanged. */
	if (np < 2)
		return 0;
	snap->procs = d->procs;
	snap->nprocs = np;
	snap->proc_stages = d->proc_stages;
	snap->nproc_stages = ns;
	return 0;
}
