/* SPDX-License-Identifier: MIT */
/*
 * events.h - --events FILE: every completed stage call, one line each.
 *
 *   # pipetrace events: start_ns tid stage latency_ns ret
 *   1234567890123	4242	stage_parse	43120	500
 *
 * start_ns is CLOCK_MONOTONIC at the call's entry, latency_ns has the
 * probe's calibrated cost removed, ret is the return value as the stage's
 * items mode reads it (signed for s32/s64; "-" when an exit site had no
 * PIPETRACE_ITEMS()). Tab-separated, so that awk, sort and spreadsheets read
 * it as is.
 *
 * The file is written under a temporary name in the same directory and
 * renamed into place by pt_events__close(commit = true): a reader never sees
 * a partial file under FILE.
 */
#ifndef PT_EVENTS_H
#define PT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/stages.h"

struct pt_events;

/* Creates the temporary file for path. Returns 0 or -errno with a one-line
 * message in err. stages must outlive the writer. */
int pt_events__open(const char *path, const struct pt_stage_set *stages,
		    struct pt_events **out, char *err, size_t errlen);

/* A libbpf ring_buffer callback: writes one struct pt_event. Returns 0, or
 * -errno once writing has failed (the error is kept for close). */
int pt_events__handle(void *ctx, void *data, size_t size);

/* Events written so far. */
uint64_t pt_events__count(const struct pt_events *ev);

/*
 * Flushes, and with commit renames the file into place; without commit (or
 * after a write error) removes it. Returns 0 or -errno with a message in err.
 * NULL is fine.
 */
int pt_events__close(struct pt_events *ev, bool commit, char *err,
		     size_t errlen);

#endif /* PT_EVENTS_H */
