/* SPDX-License-Identifier: MIT */
/*
 * probesite.h - where a stage is probed: the instruction at (or just past)
 * a function's entry (emulated push, single-stepped endbr64 or other), and
 * the PIPETRACE_ENTER() nop5 sites inside it that --sites probes instead.
 */
#ifndef PT_PROBESITE_H
#define PT_PROBESITE_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h" /* enum pt_probe_class */
#include "symbols/elfsyms.h" /* struct pt_site_note */

struct pt_stage;
struct pt_stage_set;

/* Bytes of a function read to choose its probe site. */
#define PT_PROBE_SCAN_MAX 4096

/*
 * Where to probe a function whose code starts with code[0..len) (its whole
 * body, if it fits): the class of the probed instruction, and in *skip how
 * many bytes past the start the probe goes. An endbr64 followed by a push
 * is probed on the push (emulated, not single-stepped) unless a direct
 * branch in the function may land there.
 */
enum pt_probe_class pt_probe_entry__choose(const uint8_t *code, size_t len,
					   uint32_t *skip);
/* The same, reading the function of size bytes at file offset off of path
 * (PT_PROBE_STEP and no skip when it cannot be read). */
enum pt_probe_class pt_probe_entry__at(const char *path, uint64_t off,
				       uint64_t size, uint32_t *skip);

/* The probe class of an instruction starting with code[0..len). */
enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len);
/* Name of a probe class for reports: "push", "endbr", "step". */
const char *pt_probe_class__name(enum pt_probe_class c);

/*
 * Gives s the probe sites of sites[0..nsites) inside its function [s->addr,
 * s->addr + size): entry sites first. Both kinds present make it a
 * PT_PROBE_SITE stage. Returns 0 or -ENOMEM.
 */
int pt_stage__add_sites(struct pt_stage *s, const struct pt_site_note *sites,
			size_t nsites, uint64_t size);

/* Drops every stage's probe sites: function entry and return probes only
 * (without --sites). */
void pt_stages__drop_sites(struct pt_stage_set *s);

#endif /* PT_PROBESITE_H */
