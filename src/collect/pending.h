/* SPDX-License-Identifier: MIT */
/*
 * pending.h - the time a live thread has spent since its last event, and
 * the calls it has open, charged at a read (the BPF side charges them only
 * at the thread's next event or at the call's return).
 *
 * Nothing is written back: each read adds what is open at that moment, and
 * the BPF side charges the same time to the same part when the interval
 * closes, so a later read (and an interval's delta, report/interval.c)
 * counts it once. Read the counters before the thread states: an event in
 * between then leaves time out of that read, never counts it twice.
 */
#ifndef PT_PENDING_H
#define PT_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"
#include "report/snapshot.h"

/* The part th is in now (running, blocked by reason, runnable). */
uint32_t pt_pending__part(const struct pt_thread *th);

/* Adds th's open interval, up to now, to its innermost stage's part and
 * its open outermost calls to their stages' wall time (totals: nstages). */
void pt_pending__stages(const struct pt_thread *th, uint64_t now,
			struct pt_totals *totals, size_t nstages);

/* Adds th's open outermost calls to the wall time of their (tid, stage)
 * pairs in *v (*n of them), appending a pair not there yet. 0 or -ENOMEM. */
int pt_pending__pairs(const struct pt_thread *th, uint32_t tid, uint64_t now,
		      size_t nstages, struct pt_pair **v, size_t *n);

#endif /* PT_PENDING_H */
