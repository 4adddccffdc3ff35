// SPDX-License-Identifier: MIT
/*
 * probesite.c - the probe-site choice: which instruction of a function's
 * entry is probed, and which PIPETRACE_ENTER() sites a stage gets (see
 * probesite.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <pipetrace/stage.h>

#include "target/probesite.h"
#include "target/stages.h"
#include "target/x86insn.h"

enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len)
{
	if (pt_x86__push_len(code, len))
		return PT_PROBE_PUSH;
	if (pt_x86__is_endbr64(code, len))
		return PT_PROBE_ENDBR;
	return PT_PROBE_STEP;
}

enum pt_probe_class pt_probe_entry__choose(const uint8_t *code, size_t len,
					   uint32_t *skip)
{
	enum pt_probe_class c = pt_probe_class__of(code, len);
	const size_t e = PT_X86_ENDBR64_LEN;

	*skip = 0;
	/*
	 * endbr64 is single-stepped; a push right after it is emulated. Past
	 * the endbr64 the stack is untouched, so the return address is where
	 * a uretprobe expects it, and every call still passes there unless
	 * something jumps to it: only then is the cheaper site taken.
	 */
	if (c == PT_PROBE_ENDBR && pt_x86__push_len(code + e, len - e) &&
	    !pt_x86__may_branch_to(code, len, e)) {
		*skip = e;
		return PT_PROBE_PUSH;
	}
	return c;
}

enum pt_probe_class pt_probe_entry__at(const char *path, uint64_t off,
				       uint64_t size, uint32_t *skip)
{
	uint8_t code[PT_PROBE_SCAN_MAX];
	bool whole = size <= sizeof(code);
	ssize_t n = -1;
	int fd;

	if (size < 16)
		size = 16; /* sizeless symbols (assembly) */
	if (size > sizeof(code))
		size = sizeof(code);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = pread(fd, code, (size_t)size, (off_t)off);
		close(fd);
	}
	/* A function larger than the scan is taken as it starts only. */
	if (!whole) {
		*skip = 0;
		return pt_probe_class__of(code, (size_t)n);
	}
	return pt_probe_entry__choose(code, n > 0 ? (size_t)n : 0, skip);
}

const char *pt_probe_class__name(enum pt_probe_class c)
{
	switch (c) {
	case PT_PROBE_PUSH:
		return "push";
	case PT_PROBE_ENDBR:
		return "endbr";
	case PT_PROBE_SITE:
		return "nop5";
	default:
		return "step";
	}
}

static bool site_in(const struct pt_site_note *x, const struct pt_stage *s,
		    uint64_t size)
{
	return x->addr >= s->addr && x->addr - s->addr < size;
}

int pt_stage__add_sites(struct pt_stage *s, const struct pt_site_note *sites,
			size_t nsites, uint64_t size)
{
	size_t i, n = 0, kind;

	for (i = 0; i < nsites; i++)
		n += site_in(&sites[i], s, size);
	if (!n)
		return 0;
	s->sites = calloc(n, sizeof(*s->sites));
	if (!s->sites)
		return -ENOMEM;
	for (kind = PIPETRACE_SITE_ENTRY; kind <= PIPETRACE_SITE_EXIT; kind++)
		for (i = 0; i < nsites; i++) {
			const struct pt_site_note *x = &sites[i];

			if (x->kind != kind || !site_in(x, s, size))
				continue;
			s->sites[s->nentry + s->nexit] = x->file_off;
			if (kind == PIPETRACE_SITE_ENTRY)
				s->nentry++;
			else
				s->nexit++;
		}
	if (s->nentry && s->nexit) {
		s->probe_class = PT_PROBE_SITE;
		/* The exit site hands over PIPETRACE_ITEMS() as a long. */
		if (s->items != PT_ITEMS_NONE && !s->items_explicit)
			s->items = PT_ITEMS_S64;
	}
	return 0;
}

void pt_stages__drop_sites(struct pt_stage_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct pt_stage *s = &set->v[i];

		free(s->sites);
		s->sites = NULL;
		s->nentry = s->nexit = 0;
		s->probe_class = s->fn_class;
		s->items = s->fn_items;
	}
}
