// SPDX-License-Identifier: MIT
/* tasks.c - see tasks.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/sysclass.h"
#include "collect/tasks.h"
#include "util/log.h"

/* The first line of /proc/PID/task/TID/NAME into buf ("" if unreadable). */
static void read_task_file(pid_t pid, uint32_t tid, const char *name, char *buf,
			   size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%u/%s", (int)pid, tid,
		 name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* One thread's comm, state, syscall and wait channel. */
static void read_task(pid_t pid, struct pt_task *t)
{
	char buf[256], *p;

	read_task_file(pid, t->tid, "comm", t->comm, sizeof(t->comm));
	read_task_file(pid, t->tid, "stat", buf, sizeof(buf));
	p = strrchr(buf, ')');
	t->state = p && p[1] == ' ' ? p[2] : '?';
	read_task_file(pid, t->tid, "syscall", buf, sizeof(buf));
	/* "running", "-1 ...", or the number and arguments */
	t->sys_nr = buf[0] >= '0' && buf[0] <= '9' ? strtol(buf, NULL, 10) : -1;
	read_task_file(pid, t->tid, "wchan", t->wchan, sizeof(t->wchan));
	if (!strcmp(t->wchan, "0"))
		t->wchan[0] = '\0';
}

static int cmp_task(const void *a, const void *b)
{
	const struct pt_task *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int pt_tasks__read(pid_t pid, struct pt_task_set *out, char *err, size_t errlen)
{
	struct pt_task *v;
	struct dirent *de;
	char path[64];
	DIR *d;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d) {
		int e = errno;

		return pt_errf(
			err, errlen, -e,
			"%s: %s; the threads reported are those the trace sees run",
			path, strerror(e));
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			closedir(d);
			pt_tasks__free(out);
			return pt_errf(err, errlen, -ENOMEM, "out of memory");
		}
		out->v = v;
		memset(&v[out->n], 0, sizeof(v[out->n]));
		v[out->n].tid = (uint32_t)strtoul(de->d_name, NULL, 10);
		read_task(pid, &v[out->n]);
		out->n++;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_task);
	return 0;
}

void pt_tasks__free(struct pt_task_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static const struct pt_task *find_task(const struct pt_task_set *s,
				       uint32_t tid)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (s->v[i].tid == tid)
			return &s->v[i];
	return NULL;
}

static bool has_thread(const struct pt_thread_info *v, size_t n, uint32_t tid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].tid == tid)
			return true;
	return false;
}

/* The part a thread blocked in t spends its time in. */
static enum pt_part blocked_part(const struct pt_task *t,
				 const uint8_t cls[PT_MAX_SYSCALL])
{
	uint8_t c = t->sys_nr >= 0 && t->sys_nr < PT_MAX_SYSCALL ?
			    cls[t->sys_nr] :
			    PT_SYS_NONE;

	if (c == PT_SYS_LOCK)
		return PT_PART_LOCK;
	if (c == PT_SYS_SLEEP)
		return PT_PART_SLEEP;
	if (pt_sys_is_io(c) || t->state == 'D')
		return PT_PART_IO;
	return PT_PART_OTHER;
}

/* The row of a thread never seen run: a, at attach; e, at the end. */
static void unseen_row(struct pt_thread_info *th, const struct pt_task *a,
		       const struct pt_task *e, uint64_t duration_ns,
		       const uint8_t cls[PT_MAX_SYSCALL])
{
	const struct pt_task *t = e ? e : a;

	memset(th, 0, sizeof(*th));
	th->tid = a->tid;
	th->nthreads = 1;
	memcpy(th->comm, t->comm, sizeof(th->comm));
	th->comm[sizeof(th->comm) - 1] = '\0';
	th->idle_ns[blocked_part(t, cls)] = duration_ns;
	if (t->wchan[0])
		snprintf(th->blocked_on, sizeof(th->blocked_on), "%s",
			 t->wchan);
	else if (t->sys_nr >= 0)
		snprintf(th->blocked_on, sizeof(th->blocked_on), "syscall %ld",
			 t->sys_nr);
	else
		snprintf(th->blocked_on, sizeof(th->blocked_on), "state %c",
			 t->state);
}

bool pt_tasks__blocked(const struct pt_task *t, uint32_t *part)
{
	uint8_t cls[PT_MAX_SYSCALL];

	if (t->state != 'S' && t->state != 'D')
		return false;
	pt_sysclass__fill(cls);
	*part = blocked_part(t, cls);
	return true;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct pt_thread_info *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int pt_tasks__add_unseen(const struct pt_task_set *start,
			 const struct pt_task_set *end, uint64_t duration_ns,
			 struct pt_thread_info **threads, size_t *n)
{
	uint8_t cls[PT_MAX_SYSCALL];
	struct pt_thread_info *v;
	const struct pt_task *e;
	size_t i, have = *n;

	/* Exited threads past the rows kept are summed as tid 0: with the
	 * target gone, one of them may be any thread of start. */
	if (!end && has_thread(*threads, have, 0))
		return 0;
	pt_sysclass__fill(cls);
	for (i = 0; i < start->n; i++) {
		const struct pt_task *a = &start->v[i];

		if (has_thread(*threads, have, a->tid))
			continue;
		e = find_task(end, a->tid);
		if (end && !e)
			continue; /* exited unseen: when is not known */
		v = realloc(*threads, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*threads = v;
		unseen_row(&v[*n], a, e, duration_ns, cls);
		(*n)++;
	}
	if (*n > have)
		qsort(*threads, *n, sizeof(**threads), cmp_thread);
	return 0;
}
