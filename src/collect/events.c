// SPDX-License-Identifier: MIT
/* events.c - see events.h. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/events.h"
#include "util/log.h"

struct pt_events {
	const struct pt_stage_set *stages;
	char *path, *tmp;
	FILE *f;
	uint64_t count;
	int err; /* first write error, -errno */
};

int pt_events__open(const char *path, const struct pt_stage_set *stages,
		    struct pt_events **out, char *err, size_t errlen)
{
	struct pt_events *ev;
	struct stat st;
	char *dir_copy;
	int fd, ret;

	*out = NULL;
	/* A rename would replace a device or FIFO by a regular file. */
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return pt_errf(
			err, errlen, -EINVAL,
			"--events %s: not a regular file; give a file path",
			path);
	ev = calloc(1, sizeof(*ev));
	dir_copy = strdup(path);
	if (!ev || !dir_copy)
		goto nomem;
	ev->stages = stages;
	ev->path = strdup(path);
	if (!ev->path || asprintf(&ev->tmp, "%s/.pipetrace-events-XXXXXX",
				  dirname(dir_copy)) < 0) {
		ev->tmp = NULL;
		goto nomem;
	}
	fd = mkstemp(ev->tmp);
	if (fd < 0) {
		ret = -errno;
		pt_errf(err, errlen, ret,
			"cannot create a file beside %s: %s; check the directory exists and is writable",
			path, strerror(-ret));
		free(ev->tmp);
		ev->tmp = NULL;
		goto fail;
	}
	fchmod(fd, 0644);
	ev->f = fdopen(fd, "w");
	if (!ev->f) {
		ret = -errno;
		close(fd);
		pt_errf(err, errlen, ret, "cannot write %s: %s", ev->tmp,
			strerror(-ret));
		goto fail;
	}
	/* Events arrive in batches: a large buffer, few write(2)s. */
	setvbuf(ev->f, NULL, _IOFBF, 1 << 20);
	fputs("# pipetrace events: start_ns tid stage latency_ns ret\n", ev->f);
	free(dir_copy);
	*out = ev;
	return 0;
nomem:
	ret = pt_errf(err, errlen, -ENOMEM, "out of memory");
fail:
	free(dir_copy);
	pt_events__close(ev, false, NULL, 0);
	return ret;
}

int pt_events__handle(void *ctx, void *data, size_t size)
{
	struct pt_events *ev = ctx;
	const struct pt_event *e = data;
	const struct pt_stage *s;
	int n;

	if (ev->err)
		return ev->err;
	if (size < sizeof(*e) || e->stage >= ev->stages->n)
		return 0; /* not ours (the calibration's) */
	s = &ev->stages->v[e->stage];
	if (e->ret == PT_ITEMS_UNSET && s->probe_class == PT_PROBE_SITE)
		n = fprintf(ev->f, "%llu\t%u\t%s\t%llu\t-\n",
			    (unsigned long long)e->start_ns, e->tid, s->name,
			    (unsigned long long)e->lat_ns);
	else if (s->items == PT_ITEMS_S32)
		n = fprintf(ev->f, "%llu\t%u\t%s\t%llu\t%d\n",
			    (unsigned long long)e->start_ns, e->tid, s->name,
			    (unsigned long long)e->lat_ns, (int32_t)e->ret);
	else if (s->items == PT_ITEMS_U32)
		n = fprintf(ev->f, "%llu\t%u\t%s\t%llu\t%u\n",
			    (unsigned long long)e->start_ns, e->tid, s->name,
			    (unsigned long long)e->lat_ns, (uint32_t)e->ret);
	else if (s->items == PT_ITEMS_U64)
		n = fprintf(ev->f, "%llu\t%u\t%s\t%llu\t%llu\n",
			    (unsigned long long)e->start_ns, e->tid, s->name,
			    (unsigned long long)e->lat_ns,
			    (unsigned long long)e->ret);
	else
		n = fprintf(ev->f, "%llu\t%u\t%s\t%llu\t%lld\n",
			    (unsigned long long)e->start_ns, e->tid, s->name,
			    (unsigned long long)e->lat_ns, (long long)e->ret);
	if (n < 0) {
		ev->err = errno ? -errno : -EIO;
		return ev->err;
	}
	ev->count++;
	return 0;
}

uint64_t pt_events__count(const struct pt_events *ev)
{
	return ev ? ev->count : 0;
}

int pt_events__close(struct pt_events *ev, bool commit, char *err,
		     size_t errlen)
{
	int ret = 0;

	if (!ev)
		return 0;
	if (ev->f) {
		if ((fflush(ev->f) || fsync(fileno(ev->f))) && !ev->err)
			ev->err = -errno;
		if (fclose(ev->f) && !ev->err)
			ev->err = -errno;
	}
	if (commit && ev->err) {
		ret = ev->err;
		pt_errf(err, errlen, ret,
			"cannot write %s: %s; check the disk space (no partial file left)",
			ev->path, strerror(-ret));
	} else if (commit && ev->tmp && rename(ev->tmp, ev->path)) {
		ret = -errno;
		pt_errf(err, errlen, ret, "cannot rename %s to %s: %s", ev->tmp,
			ev->path, strerror(-ret));
	}
	if (ev->tmp && (ret || !commit))
		unlink(ev->tmp);
	free(ev->tmp);
	free(ev->path);
	free(ev);
	return ret;
}
