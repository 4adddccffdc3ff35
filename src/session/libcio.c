// SPDX-License-Identifier: MIT
/*
 * libcio.c - a session's libc I/O probes with --syscalls light (see
 * session.h): the target's libc found before load, its wrappers probed
 * for each traced process as it is seen (the target at attach, a child at
 * its exec, as soon as the BPF side tells it, and others at the next
 * 20 ms tick), so that only they pay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/procinfo.h"
#include "session/session.h"
#include "util/log.h"

#define LIBCIO_TICK_NS 20000000ull

void pt_session__libcio_prepare(struct pt_session *s)
{
	char err[512];

	/* --syscalls libc only: each probed I/O call costs the traced program
	 * a uprobe pair (a pipe ping-pong ran 1.7x slower). */
	if (!s->o->sys_light || !s->o->libcio)
		return;
	if (!s->target.exe) {
		pt_debug(
			"libc I/O: no program known yet; io_cpu and fsyncs unknown (-)");
		return;
	}
	if (pt_libcio__resolve(&s->target, &s->lsites, err, sizeof(err))) {
		pt_debug(
			"light mode without libc I/O probes: %s; io_cpu and fsyncs unknown (-)",
			err);
		return;
	}
	s->libcio_on = true;
	pt_debug("libc I/O: %zu wrappers in %s", s->lsites.n, s->lsites.object);
}

const struct pt_libcio_at *pt_session__libcio_at(const struct pt_session *s,
						 uint32_t pid)
{
	for (size_t i = 0; i < s->nlibcio_at; i++)
		if (s->libcio_at[i].pid == pid)
			return &s->libcio_at[i];
	return NULL;
}

/* Keeps when process pid's wrappers were probed, and whether it had read
 * or written by then (the kernel's rchar and wchar, read after the
 * attach): a process that started earlier and had, did I/O unseen
 * (pt_session__snap_procs()); one forked that had not (a refpipe --procs
 * child), none. */
static void note_attach(struct pt_session *s, pid_t pid)
{
	struct pt_libcio_at *v;
	struct timespec ts;
	uint64_t r = 1, w = 1;

	if (pt_session__libcio_at(s, (uint32_t)pid))
		return;
	v = realloc(s->libcio_at, (s->nlibcio_at + 1) * sizeof(*v));
	if (!v) {
		pt_debug("libc I/O: out of memory for PID %d's attach time",
			 pid);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (pt_proc_io__read(pid, &r, &w))
		r = w = 1;
	s->libcio_at = v;
	s->libcio_at[s->nlibcio_at++] =
		(struct pt_libcio_at){ (uint32_t)pid,
				       (uint64_t)ts.tv_sec * 1000000000ull +
					       (uint64_t)ts.tv_nsec,
				       r > 0, w > 0 };
}

/* Probes process pid's wrappers; a failure costs only its figures. */
static void attach_one(struct pt_session *s, pid_t pid)
{
	char err[512];

	if (pt_tracer__attach_libcio(s->tracer, pid, &s->lsites, err,
				     sizeof(err)))
		pt_debug("libc I/O: %s; its io_cpu and fsyncs are missed", err);
	else
		note_attach(s, pid);
}

/* Every traced process alive now: the target, and with several the
 * processes the BPF side follows. */
static void attach_all(struct pt_session *s)
{
	struct pt_proc_info *p = NULL;
	size_t np = 0, i;

	if (s->pid > 0)
		attach_one(s, s->pid);
	if (!s->several || pt_tracer__read_procs(s->tracer, &p, &np))
		return;
	for (i = 0; i < np; i++)
		if (!p[i].exited)
			attach_one(s, (pid_t)p[i].pid);
	free(p);
}

void pt_session__libcio_begin(struct pt_session *s, uint64_t now)
{
	if (!s->libcio_on)
		return;
	attach_all(s);
	s->next_libcio_ns = s->several ? now + LIBCIO_TICK_NS : 0;
}

void pt_session__libcio_follow(struct pt_session *s, pid_t pid)
{
	if (s->libcio_on && s->several)
		attach_one(s, pid);
}

void pt_session__libcio_tick(struct pt_session *s, uint64_t now)
{
	if (!s->next_libcio_ns || now < s->next_libcio_ns)
		return;
	attach_all(s);
	s->next_libcio_ns = now + LIBCIO_TICK_NS;
}
