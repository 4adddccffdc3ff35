// SPDX-License-Identifier: MIT
/*
 * folded_sink.c - the "folded" (--folded) and "folded-offcpu"
 * (--folded-offcpu) sinks: the snapshot's on-CPU or off-CPU stacks per
 * stage in the FlameGraph folded format (output/folded.h); a path ending in
 * ".gz" is gzip-compressed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output/folded.h"
#include "output/sink.h"

/* Writes stacks (NULL: none were collected, an empty file). */
static int write_stacks(struct pt_sink *s, const struct pt_folded *stacks)
{
	if (!stacks)
		return 0;
	return pt_folded__write_to(stacks, s->f,
				   s->af && pt_folded__gz_path(s->path));
}

/* What folding left out, for the line under the note (UNIT per figure). */
static void detail_left_out(struct pt_sink *s, const char *what,
			    const struct pt_stackfold_count *c, double unit)
{
	double total = c->total ? (double)c->total : 1;
	int prec = unit > 1 ? 3 : 0;

	snprintf(
		s->detail, sizeof(s->detail),
		"tracer's own probe work, not in the stacks: %.*f %s (%.1f%%); user stacks cut at a broken frame-pointer walk: %.*f (%.1f%%)",
		prec, c->own / unit, what, 100 * c->own / total, prec,
		c->truncated / unit, 100 * c->truncated / total);
	if (c->prexec)
		snprintf(
			s->detail + strlen(s->detail),
			sizeof(s->detail) - strlen(s->detail),
			"; the launched command's before its exec (pipetrace's launcher), not in the stacks: %llu",
			(unsigned long long)c->prexec);
}

static int oncpu_finish(struct pt_sink *s, const struct pt_report *r)
{
	const struct pt_folded *on = r->snap ? r->snap->oncpu : NULL;

	if (on)
		snprintf(s->note, sizeof(s->note),
			 "wrote %llu on-CPU samples in %zu stacks",
			 (unsigned long long)pt_folded__total(on),
			 pt_folded__nr_stacks(on));
	if (on)
		detail_left_out(s, "on-CPU samples",
				&r->snap->stack_stats.oncpu, 1);
	return write_stacks(s, on);
}

static int offcpu_finish(struct pt_sink *s, const struct pt_report *r)
{
	const struct pt_folded *off = r->snap ? r->snap->offcpu : NULL;

	if (off)
		snprintf(s->note, sizeof(s->note),
			 "wrote %.3f s off CPU in %zu stacks",
			 pt_folded__total(off) / 1e6,
			 pt_folded__nr_stacks(off));
	if (off)
		detail_left_out(s, "s off CPU", &r->snap->stack_stats.offcpu,
				1e6);
	return write_stacks(s, off);
}

const struct pt_sink_format pt_sink_folded = {
	.name = "folded",
	.what = "on-CPU stacks, folded",
	.needs = PT_SINK_ONCPU,
	.finish = oncpu_finish,
};

const struct pt_sink_format pt_sink_folded_offcpu = {
	.name = "folded-offcpu",
	.what = "off-CPU stacks, folded",
	.needs = PT_SINK_OFFCPU,
	.finish = offcpu_finish,
};
