// SPDX-License-Identifier: MIT
/*
 * procs.c - a session's several processes (see session.h): which ones
 * (-p PID,PID, --children, --comm, --exe, a launched command's
 * descendants), the BPF side told about them, the stages of the programs
 * they exec probed as they appear, the trace's end when the last -p one
 * exits, and what the snapshot gets.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "session/session.h"
#include "collect/kpid.h"
#include "target/procset.h"
#include "util/log.h"

bool pt_session__several(const struct pt_opts *o)
{
	if (o->argv)
		return !o->no_follow;
	return o->npids > 1 || o->children || o->comm || o->exe;
}

/* A device number as the kernel's inodes keep it (MKDEV). */
static uint32_t kernel_dev(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

/* --exe PATH: its file, which must be a regular executable one. */
static int exe_file(struct pt_session *s, char *err, size_t errlen)
{
	const char *path = s->o->exe;
	struct stat st;

	if (stat(path, &st))
		return pt_errf(err, errlen, -errno,
			       "--exe %s: %s; give the path of an executable",
			       path, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return pt_errf(
			err, errlen, -EINVAL,
			"--exe %s: not an executable file; give the path of a program",
			path);
	s->execs.exe.dev = kernel_dev(st.st_dev);
	s->execs.exe.ino = st.st_ino;
	return 0;
}

/* The running processes --comm or --exe names, into found. */
static int find_named(struct pt_session *s, struct pt_pidset *found)
{
	struct stat st;

	if (s->o->comm)
		return pt_procset__by_comm(s->o->comm, found);
	if (stat(s->o->exe, &st))
		return -errno;
	return pt_procset__by_exe(st.st_dev, st.st_ino, found);
}

int pt_session__prepare_procs(struct pt_session *s, char *err, size_t errlen)
{
	const struct pt_opts *o = s->o;
	struct pt_pidset found = { 0 };
	int ret;

	s->target.search_unmapped = s->several;
	if (o->pid)
		return pt_procset__check(o->pids, o->npids, err, errlen);
	if (!o->comm && !o->exe)
		return 0;
	ret = o->exe ? exe_file(s, err, errlen) : 0;
	if (ret)
		return ret;
	ret = find_named(s, &found);
	if (ret) {
		pt_pidset__free(&found);
		return pt_errf(err, errlen, ret, "cannot read /proc: %s",
			       strerror(-ret));
	}
	/* The first one running names the objects; else the executable
	 * of that name in PATH, or --exe's file. */
	ret = found.n ?
		      pt_target__from_pid(&s->target, found.v[0], err, errlen) :
		      pt_target__from_command(&s->target,
					      o->comm ? o->comm : o->exe, err,
					      errlen);
	pt_pidset__free(&found);
	s->target.search_unmapped = true;
	if (ret)
		return ret;
	if (!s->target.pid && o->alloc)
		return pt_errf(
			err, errlen, -EINVAL,
			"no process of '%s' runs yet, and --alloc probes one process's allocator; start it first or drop --alloc",
			o->comm ? o->comm : o->exe);
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
	} else if (o->comm || o->exe) {
		ret = find_named(s, &set);
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

/* Process p (times still monotonic) started while traced and had its libc
 * I/O wrappers probed only after it had read or written, or never: its
 * pipe bytes may be short. */
static void mark_io_late(const struct pt_session *s, struct pt_proc_info *p)
{
	const struct pt_libcio_at *a = pt_session__libcio_at(s, p->pid);

	if (!s->libcio_on || p->start_ns <= s->start_ns)
		return;
	if (!a) { /* never: its life, or 0 while it runs */
		p->io_late = p->io_late_read = p->io_late_write = true;
		p->io_late_ns = p->exited && p->end_ns > p->start_ns ?
					p->end_ns - p->start_ns :
					0;
	} else if (a->at_ns > p->start_ns) {
		p->io_late_read = a->read_before;
		p->io_late_write = a->wrote_before;
		p->io_late = p->io_late_read || p->io_late_write;
		p->io_late_ns = p->io_late ? a->at_ns - p->start_ns : 0;
	}
}

/* Start and end as times since attach (0: before it). */
static void relative_times(const struct pt_session *s, struct pt_proc_info *v,
			   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mark_io_late(s, &v[i]);
		v[i].start_ns = v[i].start_ns > s->start_ns ?
					v[i].start_ns - s->start_ns :
					0;
		if (v[i].exited)
			v[i].end_ns = v[i].end_ns > s->start_ns ?
					      v[i].end_ns - s->start_ns :
					      0;
	}
}

/* ------------------------------------------------- programs exec'd */

/* The index of file f among those seen, or -1. */
static long seen_at(const struct pt_exec_files *x, struct pt_file_id f)
{
	size_t i;

	for (i = 0; i < x->nseen; i++)
		if (x->seen[i].dev == f.dev && x->seen[i].ino == f.ino)
			return (long)i;
	return -1;
}

static bool file_seen(const struct pt_exec_files *x, struct pt_file_id f)
{
	return seen_at(x, f) >= 0;
}

/* f seen, its stages (if any) attached at `at` (0: before the trace). */
static int add_seen(struct pt_exec_files *x, struct pt_file_id f, uint64_t at)
{
	struct pt_file_id *v;
	uint64_t *w;

	if (file_seen(x, f))
		return 0;
	v = realloc(x->seen, (x->nseen + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	x->seen = v;
	w = realloc(x->seen_at, (x->nseen + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	x->seen_at = w;
	x->seen_at[x->nseen] = at;
	x->seen[x->nseen++] = f;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Process pid exec'd at exec_ns a program whose stages were attached at
 * at: if after, the calls it made in between were not seen; kept for the
 * report (pt_session__snap_procs()). */
static void note_late(struct pt_exec_files *x, uint32_t pid, uint64_t exec_ns,
		      uint64_t at)
{
	struct pt_exec_late *v;

	if (!at || !exec_ns || at <= exec_ns)
		return;
	v = realloc(x->late, (x->nlate + 1) * sizeof(*v));
	if (!v) {
		pt_debug("exec: out of memory for PID %u's late probes", pid);
		return;
	}
	x->late = v;
	x->late[x->nlate++] = (struct pt_exec_late){ pid, at - exec_ns };
	pt_info("exec: PID %u ran %.2f ms before its program's stages were probed",
		pid, (double)(at - exec_ns) / 1e6);
}

/* The file at path as the kernel names it; 0 or -errno. */
static int file_id(const char *path, struct pt_file_id *f)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	f->dev = kernel_dev(st.st_dev);
	f->ino = st.st_ino;
	return 0;
}

/* The BPF side's exec events, kept for pt_session__probe_execs(). */
static int on_exec(void *ctx, void *data, size_t size)
{
	struct pt_exec_files *x = ctx;
	struct pt_exec_event *v;
	size_t cap;

	if (size < sizeof(*v))
		return 0;
	if (x->ntodo == x->cap) {
		cap = x->cap ? 2 * x->cap : 16;
		v = realloc(x->todo, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->todo = v;
		x->cap = cap;
	}
	memcpy(&x->todo[x->ntodo++], data, sizeof(*v));
	return 0;
}

int pt_session__watch_execs(struct pt_session *s, char *err, size_t errlen)
{
	struct pt_file_id f;
	int ret = pt_tracer__watch_execs(s->tracer, on_exec, &s->execs);

	if (ret)
		return pt_errf(err, errlen, ret,
			       "cannot read the BPF side's execs: %s",
			       strerror(-ret));
	/* The first program's stages are resolved already. */
	if (s->target.exe_open && !file_id(s->target.exe_open, &f))
		return add_seen(&s->execs, f, 0);
	return 0;
}

/* A program not probed: counted, and one of its processes kept. */
static void missed(struct pt_exec_files *x, pid_t pid, const char *why,
		   const char *what)
{
	struct pt_exec_miss *v;

	x->missed++;
	if (!x->missed_pid)
		x->missed_pid = pid;
	v = realloc(x->miss, (x->nmiss + 1) * sizeof(*v));
	if (v) {
		x->miss = v;
		v = &x->miss[x->nmiss++];
		v->pid = (uint32_t)pid;
		snprintf(v->why, sizeof(v->why), "%s%s", why, what);
	}
	pt_debug("exec: PID %d's program not probed: %s%s", pid, why, what);
}

/* Drops the stages of t that cannot be added (Go's need their layout at
 * load; beyond the ids kept); says why in *why. */
static bool addable(const struct pt_session *s, size_t first, const char **why)
{
	size_t i;

	*why = NULL;
	for (i = first; i < s->stages.n; i++)
		if (s->stages.v[i].go)
			*why = "a Go program exec'd by a traced process (Go stages are probed only in the program pipetrace starts or attaches to); trace it with -p or launch it directly";
	if (s->stages.n - first > pt_tracer__stage_room(s->tracer))
		*why = "no stage ids left (at most 255 stages)";
	return !*why;
}

/* The stages of the program process pid runs (exec'd at exec_ns; the
 * file the BPF side saw, ev), probed unless its file was (or was found to
 * have none). */
static void probe_program(struct pt_session *s, pid_t pid, uint64_t exec_ns,
			  struct pt_file_id ev)
{
	struct pt_exec_files *x = &s->execs;
	struct pt_target t;
	struct pt_file_id f;
	size_t first = s->stages.n;
	uint64_t at = 0;
	const char *why;
	char err[512] = "";
	long k;
	int ret;

	/* A file seen already (the launched command's own, whose stages were
	 * resolved before it ran) needs no read of the process, which may
	 * be gone by now: it is not a program missed. */
	if (ev.ino && (k = seen_at(x, ev)) >= 0) {
		note_late(x, (uint32_t)pid, exec_ns, x->seen_at[k]);
		return;
	}

	pt_debug("exec: PID %d read %.2f ms after its exec", pid,
		 (double)(mono_ns() - exec_ns) / 1e6);
	ret = pt_target__from_pid(&t, pid, err, sizeof(err));
	if (!ret)
		ret = file_id(t.exe_open, &f);
	if (!ret && (k = seen_at(x, f)) >= 0)
		note_late(x, (uint32_t)pid, exec_ns, x->seen_at[k]);
	if (ret || file_seen(x, f)) {
		/* Gone already: a later exec of its program retries. */
		if (ret) {
			x->gone++;
			pt_debug("exec: PID %d gone before it was read: %s",
				 pid, err[0] ? err : strerror(-ret));
		}
		pt_target__free(&t);
		return;
	}
	t.search_unmapped = true;
	ret = pt_stages__resolve_exe(&t, s->o->specs, s->o->nspecs, &s->stages,
				     err, sizeof(err));
	pt_debug("exec: PID %d's stages resolved %.2f ms after its exec", pid,
		 (double)(mono_ns() - exec_ns) / 1e6);
	if (!ret && !addable(s, first, &why)) {
		pt_stages__truncate(&s->stages, first);
		missed(x, pid, why, "");
	} else if (!ret && s->stages.n > first) {
		ret = pt_tracer__add_stages(s->tracer, first, err, sizeof(err));
		if (ret) { /* its probes attached so far stay: ids kept */
			missed(x, pid, "", err);
		} else {
			x->probed++;
			at = mono_ns();
			note_late(x, (uint32_t)pid, exec_ns, at);
			pt_info("exec: %zu stage%s of %s probed (PID %d)",
				s->stages.n - first,
				s->stages.n - first == 1 ? "" : "s", t.exe,
				pid);
		}
		pt_session__track_syms(s, pid);
	} else if (ret) {
		missed(x, pid, "", err);
	}
	if (add_seen(x, f, at))
		pt_debug("exec: out of memory for the programs seen");
	pt_target__free(&t);
}

void pt_session__follow_execs(void *ctx)
{
	struct pt_session *s = ctx;
	struct pt_exec_files *x = &s->execs;
	int ret = pt_tracer__drain_execs(s->tracer);

	if (ret < 0)
		pt_debug("exec: cannot read the BPF side's execs: %s",
			 strerror(-ret));
	if (!pt_kpid__initial_ns())
		return;
	/* before its stages: resolving them takes tens of ms */
	for (size_t i = 0; i < x->ntodo; i++)
		pt_session__libcio_follow(s, (pid_t)x->todo[i].tgid);
}

void pt_session__probe_execs(struct pt_session *s)
{
	struct pt_exec_files *x = &s->execs;
	size_t i;

	pt_session__follow_execs(s);
	/* Their kernel tgids are this namespace's pids only in the initial
	 * PID namespace. */
	for (i = 0; i < x->ntodo; i++) {
		if (pt_kpid__initial_ns()) {
			probe_program(
				s, (pid_t)x->todo[i].tgid, x->todo[i].ns,
				(struct pt_file_id){ .dev = x->todo[i].dev,
						     .ino = x->todo[i].ino });
			pt_session__track_syms(s, (pid_t)x->todo[i].tgid);
		} else
			missed(x, (pid_t)x->todo[i].tgid,
			       "pipetrace runs in a PID namespace", "");
	}
	x->ntodo = 0;
}

void pt_session__track_syms(struct pt_session *s, pid_t pid)
{
	struct pt_proc_syms *v;
	char err[512];
	size_t i;

	if (!s->several || !s->want_syms || pid <= 0 || pid == s->pid ||
	    !pt_kpid__initial_ns())
		return;
	for (i = 0; i < s->npsyms; i++)
		if (s->psyms[i].tgid == (uint32_t)pid)
			return;
	v = realloc(s->psyms, (s->npsyms + 1) * sizeof(*v));
	if (!v)
		return;
	s->psyms = v;
	v = &s->psyms[s->npsyms++];
	v->tgid = (uint32_t)pid;
	v->u = NULL;
	if (pt_usyms__open(pid, &v->u, err, sizeof(err)))
		pt_debug("symbols of PID %d: %s; its stacks are addresses", pid,
			 err);
}

void pt_session__refresh_procs_syms(struct pt_session *s)
{
	struct pt_proc_info *p = NULL;
	size_t np = 0, i;

	if (!s->several || !s->want_syms)
		return;
	if (!pt_tracer__read_procs(s->tracer, &p, &np))
		for (i = 0; i < np; i++)
			if (!p[i].exited)
				pt_session__track_syms(s, (pid_t)p[i].pid);
	free(p);
	/* The ones gone keep the maps they last had. */
	for (i = 0; i < s->npsyms; i++)
		if (s->psyms[i].u && pt_usyms__alive(s->psyms[i].u))
			pt_usyms__refresh(s->psyms[i].u);
}

static struct pt_usyms *syms_of(void *ctx, uint32_t tgid)
{
	struct pt_session *s = ctx;
	size_t i;

	if (tgid == (uint32_t)s->pid)
		return s->usyms;
	for (i = 0; i < s->npsyms; i++)
		if (s->psyms[i].tgid == tgid)
			return s->psyms[i].u;
	return NULL;
}

/* "COMM-PID" of process tgid (0: the first), its name as it ended. */
static const char *label_of(void *ctx, uint32_t tgid)
{
	struct pt_session *s = ctx;
	const char *comm = "?";
	size_t i;

	if (!tgid)
		tgid = (uint32_t)s->pid;
	for (i = 0; s->data.procs && i < s->data.nprocs; i++)
		if (s->data.procs[i].pid == tgid)
			comm = s->data.procs[i].comm;
	snprintf(s->label, sizeof(s->label), "%s-%u", comm, tgid);
	return s->label;
}

void pt_session__stackfold_procs(struct pt_session *s,
				 const struct pt_snapshot *snap,
				 struct pt_stackfold_opts *o)
{
	if (!s->several)
		return;
	o->syms_of = syms_of;
	o->procs_ctx = s;
	if (snap->nprocs > 1)
		o->label = label_of;
}

void pt_session__free_procs(struct pt_session *s)
{
	size_t i;

	for (i = 0; i < s->npsyms; i++)
		pt_usyms__close(s->psyms[i].u);
	free(s->psyms);
	s->psyms = NULL;
	s->npsyms = 0;
	free(s->execs.seen);
	free(s->execs.seen_at);
	free(s->execs.late);
	free(s->execs.miss);
	free(s->execs.todo);
	memset(&s->execs, 0, sizeof(s->execs));
}

/* The processes that ran a program before its stages were probed: how
 * many, and the longest such time. */
static void warn_late(const struct pt_exec_files *x)
{
	uint64_t most = 0;
	uint32_t pid = 0;

	for (size_t i = 0; i < x->nlate; i++)
		if (x->late[i].ns > most) {
			most = x->late[i].ns;
			pid = x->late[i].pid;
		}
	if (x->nlate)
		pt_warn("%zu process%s ran a program for up to %.2f ms (PID %u) before its stages were probed: calls made then were not seen (the processes' late_ns)",
			x->nlate, x->nlate == 1 ? "" : "es", (double)most / 1e6,
			pid);
}

/* Marks each process of v that ran its program before the program's
 * stages were probed (its longest such time), or whose program's stages
 * were not probed (why). */
static void mark_late(const struct pt_exec_files *x, struct pt_proc_info *v,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < x->nmiss; k++)
			if (x->miss[k].pid == v[i].pid)
				snprintf(v[i].unprobed, sizeof(v[i].unprobed),
					 "%s", x->miss[k].why);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < x->nlate; k++)
			if (x->late[k].pid == v[i].pid &&
			    (!v[i].late || x->late[k].ns > v[i].late_ns)) {
				v[i].late = true;
				v[i].late_ns = x->late[k].ns;
			}
}

/*
 * Says, once at the end, what was not probed: programs exec'd by traced
 * processes whose stages could not be (gone before they were read, or no
 * room), execs the BPF side could not tell, and specs that named no
 * function in any program traced. Never silent.
 */
static void warn_unprobed(const struct pt_session *s)
{
	const struct pt_exec_files *x = &s->execs;
	uint64_t lost = pt_tracer__execs_lost(s->tracer);

	if (x->missed)
		pt_warn("%u program%s run by traced processes had %s stages not probed (e.g. PID %d: %s; the processes' unprobed)",
			x->missed, x->missed == 1 ? "" : "s",
			x->missed == 1 ? "its" : "their", x->missed_pid,
			x->nmiss ? x->miss[0].why : "run with -v for why");
	if (x->gone)
		pt_warn("%u exec%s of traced processes ended before pipetrace could read the program: its stages, if it had any, were not probed (run with -v for which)",
			x->gone, x->gone == 1 ? "" : "s");
	if (lost)
		pt_warn("%llu exec%s of traced processes not seen (the BPF side's ring buffer was full): their programs may not be probed",
			(unsigned long long)lost, lost == 1 ? "" : "s");
	warn_late(x);
	if (!s->stages.n) {
		if (!x->missed)
			pt_warn("no program traced had functions that the -s specs name: no stage was probed");
		return;
	}
	for (size_t i = 0; i < s->o->nspecs; i++)
		if (!pt_stages__spec_named(&s->stages, i))
			pt_warn("-s %s named no function in any program traced; see: pipetrace list",
				s->o->specs[i].text);
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
	d->nprocs = np;
	if (!ret)
		ret = pt_tracer__read_proc_stages(s->tracer, s->stages.n,
						  &d->proc_stages, &ns);
	if (ret)
		return ret;
	snap->procs_missed = pt_tracer__procs_full(s->tracer);
	for (size_t i = 0; i < np; i++)
		snap->unpaired_returns += d->procs[i].unpaired;
	relative_times(s, d->procs, np);
	scale_allocs(s, d->procs, np);
	mark_late(&s->execs, d->procs, np);
	if (snap->final)
		warn_unprobed(s);
	/* One process: the single-process report, unchanged. */
	if (np < 2)
		return 0;
	snap->procs = d->procs;
	snap->nprocs = np;
	snap->proc_stages = d->proc_stages;
	snap->nproc_stages = ns;
	return 0;
}
