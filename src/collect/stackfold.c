// SPDX-License-Identifier: MIT
/* stackfold.c - see stackfold.h. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/stackfold.h"

/* Frames of one line: stage + user + kernel + reason. */
#define MAX_LINE_FRAMES (2 + 4 * PT_STACK_DEPTH + PT_STACK_DEPTH)

const char *pt_stackfold__reason(unsigned int part)
{
	switch (part) {
	case PT_PART_IO:
		return "[io]";
	case PT_PART_LOCK:
		return "[lock]";
	case PT_PART_SLEEP:
		return "[sleep]";
	case PT_PART_RUNQ:
		return "[runqueue]";
	default:
		return "[other]";
	}
}

struct line {
	char *frames[MAX_LINE_FRAMES];
	size_t n;
};

/* Appends a copy of name; returns 0 or -ENOMEM/-E2BIG. */
static int push(struct line *l, const char *name)
{
	if (l->n >= MAX_LINE_FRAMES)
		return -E2BIG;
	l->frames[l->n] = strdup(name);
	if (!l->frames[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void line_free(struct line *l)
{
	while (l->n)
		free(l->frames[--l->n]);
}

/* pt_uframe_fn: the frames of one address, outermost first. A run of
 * unnamed frames (a frame-pointer chain through code built without them)
 * folds into one. */
static int push_uframe(const struct pt_uframe *f, void *ctx)
{
	struct line *l = ctx;
	const char *at = strchr(f->name, '@');
	char buf[512];

	if (l->n && !strcmp(f->name, "[unknown]") &&
	    !strcmp(l->frames[l->n - 1], "[unknown]"))
		return 0;
	/* clock_gettime@@GLIBC_2.17: the version is noise in a flame graph. */
	if (at && at > f->name && (size_t)(at - f->name) < sizeof(buf)) {
		memcpy(buf, f->name, (size_t)(at - f->name));
		buf[at - f->name] = '\0';
		return push(l, buf);
	}
	return push(l, f->name);
}

/* The user frames of stack id, root first. */
static int push_user(struct pt_tracer *t, struct pt_usyms *u, int32_t id,
		     bool leaf_is_ip, struct line *l)
{
	uint64_t ips[PT_STACK_DEPTH];
	char buf[64];
	int n, i, ret;

	n = pt_tracer__read_stack(t, id, ips);
	if (n <= 0)
		return 0;
	for (i = n - 1; i >= 0; i--) {
		/* Return addresses: name the call instruction before. */
		uint64_t a = ips[i] - (i == 0 && leaf_is_ip ? 0 : 1);

		if (u) {
			ret = pt_usyms__frames(u, a, push_uframe, l);
			if (ret)
				return ret;
			continue;
		}
		snprintf(buf, sizeof(buf), "0x%" PRIx64, ips[i]);
		ret = push(l, buf);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether a kernel frame is the tracer's own (the BPF program, its
 * trampoline, the tracepoint's BPF glue), not the traced thread's. */
static bool tracer_frame(const char *name)
{
	return !name || !strncmp(name, "bpf_", 4) ||
	       !strncmp(name, "__bpf_", 6) || !strcmp(name, "_einittext") ||
	       !strncmp(name, "perf_", 5) || !strncmp(name, "__perf_", 7);
}

/* The kernel frames of stack id, root first, each with "_[k]"; the leaf
 * frames of the tracer itself are left out. */
static int push_kernel(struct pt_tracer *t, const struct pt_ksyms *k,
		       int32_t id, struct line *l)
{
	uint64_t ips[PT_STACK_DEPTH];
	char buf[PT_KSYM_NAME_MAX + 8];
	const char *name;
	int n, i, first = 0, ret;

	n = pt_tracer__read_stack(t, id, ips);
	if (n <= 0)
		return 0;
	while (k && first < n && tracer_frame(pt_ksyms__name(k, ips[first])))
		first++;
	for (i = n - 1; i >= first; i--) {
		name = k ? pt_ksyms__name(k, ips[i]) : NULL;
		if (name)
			snprintf(buf, sizeof(buf), "%s_[k]", name);
		else
			snprintf(buf, sizeof(buf), "0x%" PRIx64 "_[k]", ips[i]);
		ret = push(l, buf);
		if (ret)
			return ret;
	}
	return 0;
}

struct collect {
	struct pt_tracer *t;
	const struct pt_stage_set *st;
	struct pt_usyms *u;
	const struct pt_ksyms *k;
	struct pt_folded *oncpu, *offcpu;
	struct line *line;
};

static int add_bucket(const struct pt_sample_key *key, uint64_t value,
		      void *arg)
{
	struct collect *c = arg;
	bool on = key->part == PT_SAMPLE_ONCPU;
	struct pt_folded *dst = on ? c->oncpu : c->offcpu;
	struct line *l = c->line;
	uint64_t count = on ? value : (value + 500) / 1000;
	int ret;

	if (!dst || !count)
		return 0;
	ret = push(l, key->stage < c->st->n ? c->st->v[key->stage].name :
					      PT_NO_STAGE);
	if (!ret)
		ret = push_user(c->t, c->u, key->ustack, on, l);
	if (!ret)
		ret = push_kernel(c->t, c->k, key->kstack, l);
	if (!ret && !on)
		ret = push(l, pt_stackfold__reason(key->part));
	if (!ret)
		ret = pt_folded__add(dst, (const char *const *)l->frames, l->n,
				     count);
	line_free(l);
	return ret;
}

int pt_stackfold__collect(struct pt_tracer *t, const struct pt_stage_set *st,
			  struct pt_usyms *u, const struct pt_ksyms *k,
			  struct pt_folded *oncpu, struct pt_folded *offcpu)
{
	struct collect c = { .t = t,
			     .st = st,
			     .u = u,
			     .k = k,
			     .oncpu = oncpu,
			     .offcpu = offcpu };
	int ret;

	c.line = calloc(1, sizeof(*c.line));
	if (!c.line)
		return -ENOMEM;
	ret = pt_tracer__for_each_sample(t, add_bucket, &c);
	free(c.line);
	return ret;
}
