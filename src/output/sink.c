// SPDX-License-Identifier: MIT
/* sink.c - see sink.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/sink.h"
#include "util/log.h"

/* One row per format; -o NAME=PATH finds them here. */
static const struct pt_sink_format *const formats[] = {
	&pt_sink_table,	 &pt_sink_json,		 &pt_sink_events,
	&pt_sink_folded, &pt_sink_folded_offcpu,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct pt_sink_format *pt_sink_format__find(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *pt_sink_format__names(char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < NFORMATS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", formats[i]->name);
	return buf;
}

int pt_sinks__add(struct pt_sinks *ss, const char *name, const char *path,
		  const char *option, char *err, size_t errlen)
{
	const struct pt_sink_format *fmt = pt_sink_format__find(name);
	struct pt_sink *v;
	char names[256];

	if (!fmt)
		return pt_errf(err, errlen, -EINVAL,
			       "%s: no output format '%s'; use one of %s",
			       option, name,
			       pt_sink_format__names(names, sizeof(names)));
	v = realloc(ss->v, (ss->n + 1) * sizeof(*v));
	if (!v)
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	ss->v = v;
	v[ss->n++] =
		(struct pt_sink){ .fmt = fmt, .path = path, .option = option };
	return 0;
}

/* The standard stream a path names, or NULL for a file. */
static FILE *std_stream(const char *path)
{
	if (!path)
		return stderr;
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return stdout;
	if (!strcmp(path, "/dev/stderr"))
		return stderr;
	return NULL;
}

/* Opens s's destination and runs its open. 0 or -errno, message in err. */
static int sink_open(struct pt_sink *s, char *msg, size_t msglen)
{
	int ret;

	s->f = std_stream(s->path);
	if (!s->f) {
		ret = pt_afile__open(s->path, 0, &s->af, msg, msglen);
		if (ret)
			return ret;
		s->f = pt_afile__file(s->af);
	}
	ret = s->fmt->open ? s->fmt->open(s) : 0;
	if (ret)
		pt_errf(msg, msglen, ret, "%s: %s", s->fmt->what,
			strerror(-ret));
	return ret;
}

int pt_sinks__open(struct pt_sinks *ss, const struct pt_stage_set *stages,
		   char *err, size_t errlen)
{
	char msg[512];
	size_t i;
	int ret;

	for (i = 0; i < ss->n; i++) {
		ss->v[i].stages = stages;
		ret = sink_open(&ss->v[i], msg, sizeof(msg));
		if (ret) {
			pt_errf(err, errlen, ret, "%s: %s", ss->v[i].option,
				msg);
			pt_sinks__free(ss);
			return ret;
		}
	}
	return 0;
}

unsigned int pt_sinks__needs(const struct pt_sinks *ss)
{
	unsigned int needs = 0;
	size_t i;

	for (i = 0; i < ss->n; i++)
		needs |= ss->v[i].fmt->needs;
	return needs;
}

/* Keeps s's first failure, with a message naming it. */
static void sink_fail(struct pt_sink *s, int ret)
{
	if (s->ret)
		return;
	s->ret = ret;
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "cannot write %s %s: %s",
			 s->option, s->path ? s->path : "(standard error)",
			 strerror(-ret));
}

int pt_sinks__event(void *ctx, void *data, size_t size)
{
	struct pt_sinks *ss = ctx;
	struct pt_sink *s;
	size_t i;
	int ret;

	for (i = 0; i < ss->n; i++) {
		s = &ss->v[i];
		if (!s->fmt->event || s->ret || !s->f)
			continue;
		ret = s->fmt->event(s, data, size);
		if (ret)
			sink_fail(s, ret);
	}
	return 0;
}

void pt_sinks__fail(struct pt_sinks *ss, unsigned int needs, int ret)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->v[i].fmt->needs & needs)
			sink_fail(&ss->v[i], ret);
}

void pt_sinks__tick(struct pt_sinks *ss, const struct pt_report *r)
{
	struct pt_sink *s;
	size_t i;
	int ret;

	for (i = 0; i < ss->n; i++) {
		s = &ss->v[i];
		if (!s->fmt->tick || s->ret || !s->f)
			continue;
		ret = s->fmt->tick(s, r);
		if (!ret && !s->af && fflush(s->f))
			ret = errno ? -errno : -EIO;
		if (ret)
			sink_fail(s, ret);
	}
}

/* Commits s (or aborts it after a failure) and closes it. */
static void sink_close(struct pt_sink *s, bool commit)
{
	char msg[512];
	int ret;

	if (s->fmt->close)
		s->fmt->close(s);
	if (s->af && commit && !s->ret) {
		ret = pt_afile__commit(s->af, msg, sizeof(msg));
		if (ret) {
			pt_errf(s->err, sizeof(s->err), ret, "%s: %.400s",
				s->option, msg);
			s->ret = ret;
		}
	} else if (s->af) {
		pt_afile__abort(s->af);
	} else if (s->f && commit && !s->ret && fflush(s->f)) {
		sink_fail(s, errno ? -errno : -EIO);
	}
	s->af = NULL;
	s->f = NULL;
}

int pt_sinks__finish(struct pt_sinks *ss, const struct pt_report *r)
{
	struct pt_sink *s;
	int ret, first = 0;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		s = &ss->v[i];
		if (!s->f)
			continue;
		ret = s->ret ? s->ret : s->fmt->finish(s, r);
		if (ret)
			sink_fail(s, ret);
		sink_close(s, true);
		if (s->ret && !first)
			first = s->ret;
	}
	return first;
}

void pt_sinks__free(struct pt_sinks *ss)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->v[i].f)
			sink_close(&ss->v[i], false);
	free(ss->v);
	ss->v = NULL;
	ss->n = 0;
}
