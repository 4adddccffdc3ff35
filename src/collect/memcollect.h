/* SPDX-License-Identifier: MIT */
/*
 * memcollect.h - the tracer's memory maps read into the report's memory
 * rows (report/memreport.h): per-stage heap figures and the top sites of
 * the blocks still live.
 */
#ifndef PT_MEMCOLLECT_H
#define PT_MEMCOLLECT_H

#include <stddef.h>

#include "collect/tracer.h"
#include "collect/ustacks.h"
#include "report/memreport.h"
#include "symbols/symbolize.h"

/*
 * Fills rows[0..nstages) for the stages and rows[nstages] for memory use
 * outside every stage, scaling counts by sample (>= 1), and their top live
 * sites, naming frames with u (NULL: hex addresses). A block whose
 * allocation's --call-graph dwarf record DW unwound gets that stack, the
 * others their frame-pointer walk (DW NULL: all of them). Returns 0 or
 * -errno.
 */
int pt_mem__collect(struct pt_tracer *t, size_t nstages, unsigned int sample,
		    struct pt_usyms *u, const struct pt_ustacks *dw,
		    struct pt_mem_row *rows);

#endif /* PT_MEMCOLLECT_H */
