// SPDX-License-Identifier: MIT
/*
 * events_tsv.c - the "events" sink (--events FILE): every completed stage
 * call, one tab-separated line each.
 *
 *   # pipetrace events: start_ns tid stage latency_ns ret
 *   1234567890123	4242	stage_parse	43120	500
 *
 * start_ns is CLOCK_MONOTONIC at the call's entry, latency_ns has the
 * probe's calibrated cost removed, ret is the return value as the stage's
 * items mode reads it (signed for s32/s64; "-" when an exit site had no
 * PIPETRACE_ITEMS()). Tab-separated, so that awk, sort and spreadsheets read
 * it as is.
 */
#include <errno.h>
#include <stdio.h>

#include "output/sink.h"
#include "pipetrace_abi.h"

static int events_open(struct pt_sink *s)
{
	/* Events arrive in batches: a large buffer, few write(2)s. */
	if (s->af)
		setvbuf(s->f, NULL, _IOFBF, 1 << 20);
	fputs("# pipetrace events: start_ns tid stage latency_ns ret\n", s->f);
	return ferror(s->f) ? -EIO : 0;
}

/* The return value as the stage's items mode reads it. */
static int put_ret(FILE *f, const struct pt_stage *st, const struct pt_event *e)
{
	/* An exit site without PIPETRACE_ITEMS(), or a tail call's jmp
	 * (return sites): no value. */
	if (e->ret == PT_ITEMS_UNSET && (st->probe_class == PT_PROBE_SITE ||
					 st->probe_class == PT_PROBE_RETSITE))
		return fputs("-\n", f);
	switch (st->items) {
	case PT_ITEMS_S32:
		return fprintf(f, "%d\n", (int32_t)e->ret);
	case PT_ITEMS_U32:
		return fprintf(f, "%u\n", (uint32_t)e->ret);
	case PT_ITEMS_U64:
		return fprintf(f, "%llu\n", (unsigned long long)e->ret);
	default:
		return fprintf(f, "%lld\n", (long long)e->ret);
	}
}

static int events_event(struct pt_sink *s, const void *data, size_t size)
{
	const struct pt_event *e = data;
	const struct pt_stage *st;

	if (size < sizeof(*e) || e->stage >= s->stages->n)
		return 0; /* not ours (the calibration's) */
	st = &s->stages->v[e->stage];
	if (fprintf(s->f, "%llu\t%u\t%s\t%llu\t",
		    (unsigned long long)e->start_ns, e->tid, st->name,
		    (unsigned long long)e->lat_ns) < 0 ||
	    put_ret(s->f, st, e) < 0)
		return errno ? -errno : -EIO;
	s->count++;
	return 0;
}

static int events_finish(struct pt_sink *s, const struct pt_report *r)
{
	snprintf(s->note, sizeof(s->note), "%llu events written",
		 (unsigned long long)s->count);
	return ferror(s->f) ? -EIO : 0;
}

const struct pt_sink_format pt_sink_events = {
	.name = "events",
	.what = "every call, tab-separated",
	.needs = PT_SINK_EVENTS,
	.open = events_open,
	.event = events_event,
	.finish = events_finish,
};
