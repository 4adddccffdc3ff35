// SPDX-License-Identifier: MIT
/*
 * libcio.c - a session's libc I/O probes with --syscalls light (see
 * session.h): the target's libc found before load, its wrappers probed
 * for each traced process as it is seen (the target at attach, children
 * and other processes at the next 20 ms tick), so that only they pay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Probes process pid's wrappers; a failure costs only its figures. */
static void attach_one(struct pt_session *s, pid_t pid)
{
	char err[512];

	if (pt_tracer__attach_libcio(s->tracer, pid, &s->lsites, err,
				     sizeof(err)))
		pt_debug("libc I/O: %s; its io_cpu and fsyncs are missed", err);
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

void pt_session__libcio_tick(struct pt_session *s, uint64_t now)
{
	if (!s->next_libcio_ns || now < s->next_libcio_ns)
		return;
	attach_all(s);
	s->next_libcio_ns = now + LIBCIO_TICK_NS;
}
