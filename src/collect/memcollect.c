// SPDX-License-Identifier: MIT
/* memcollect.c - see memcollect.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/memcollect.h"

/* ------------------------------------------------------------ live sites */

struct live {
	uint32_t stage;
	int32_t stack_id;
	uint64_t size;
};

struct live_vec {
	struct live *v;
	size_t n, cap;
};

struct live_ctx {
	struct live_vec *lv;
	const struct pt_ustacks *dw; /* NULL: frame-pointer stacks only */
};

/* A block's stack: its CFI-unwound one when its record came, else its
 * frame-pointer walk. */
static int32_t block_stack(const struct live_ctx *c, const struct pt_alloc *a)
{
	int32_t id = c->dw && a->useq ?
			     pt_ustacks__alloc_stack(c->dw, a->useq) :
			     -ENOENT;

	return id >= 0 ? id : a->stack_id;
}

static int add_live(uint64_t addr, const struct pt_alloc *a, void *ctx)
{
	const struct live_ctx *c = ctx;
	struct live_vec *lv = c->lv;
	struct live *nv;

	(void)addr;
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 1024;

		nv = realloc(lv->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		lv->v = nv;
		lv->cap = cap;
	}
	lv->v[lv->n++] = (struct live){ .stage = a->stage,
					.stack_id = block_stack(c, a),
					.size = a->size };
	return 0;
}

static int cmp_live(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

/* Inserts a site into row's top list if it is large enough. */
static void offer_site(struct pt_mem_row *row, int32_t *ids, int32_t id,
		       uint64_t bytes, uint64_t count)
{
	size_t i, at;

	for (at = 0; at < row->ntop; at++)
		if (bytes > row->top[at].bytes)
			break;
	if (at >= PT_TOP_LIVE)
		return;
	if (row->ntop < PT_TOP_LIVE)
		row->ntop++;
	for (i = row->ntop - 1; i > at; i--) {
		row->top[i] = row->top[i - 1];
		ids[i] = ids[i - 1];
	}
	row->top[at] = (struct pt_live_site){ .bytes = bytes, .count = count };
	ids[at] = id;
}

/* Reads and names the stack of site (id) into site->frames. */
static int name_stack(struct pt_tracer *t, const struct pt_ustacks *dw,
		      int32_t id, struct pt_usyms *u, struct pt_live_site *site)
{
	uint64_t ips[PT_STACK_DEPTH];
	char buf[512];
	int n, i;

	if (id >= 0 && (id & PT_USTACKS_ID))
		n = pt_ustacks__read(dw, id, ips);
	else
		n = pt_tracer__read_stack(t, id, ips);
	if (n <= 0) {
		/* A lost stack: say so rather than drop the bytes. */
		site->frames = calloc(1, sizeof(*site->frames));
		if (!site->frames)
			return -ENOMEM;
		site->frames[0] = strdup("[stack lost]");
		site->nframes = site->frames[0] ? 1 : 0;
		return site->frames[0] ? 0 : -ENOMEM;
	}
	site->frames = calloc((size_t)n, sizeof(*site->frames));
	if (!site->frames)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* Return addresses all: name the call before each. */
		if (!u || pt_usyms__name(u, ips[i] - 1, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "0x%" PRIx64, ips[i]);
		site->frames[i] = strdup(buf);
		if (!site->frames[i])
			return -ENOMEM;
		site->nframes++;
	}
	return 0;
}

int pt_mem__collect(struct pt_tracer *t, size_t nstages, unsigned int sample,
		    struct pt_usyms *u, const struct pt_ustacks *dw,
		    struct pt_mem_row *rows)
{
	struct pt_stage_mem *mem;
	struct live_vec lv = { 0 };
	struct live_ctx lc = { .lv = &lv, .dw = dw };
	int32_t(*ids)[PT_TOP_LIVE] = NULL;
	uint64_t k = sample ? sample : 1;
	size_t i, j, s;
	int ret;

	memset(rows, 0, (nstages + 1) * sizeof(*rows));
	mem = calloc(PT_MAX_STAGES + 1, sizeof(*mem));
	ids = calloc(nstages + 1, sizeof(*ids));
	if (!mem || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = pt_tracer__read_mem(t, mem);
	if (ret)
		goto out;
	for (s = 0; s < nstages; s++)
		pt_mem_row__from_bpf(&rows[s], &mem[s], sample);
	pt_mem_row__from_bpf(&rows[nstages], &mem[PT_MEM_OUTSIDE], sample);

	ret = pt_tracer__for_each_live(t, add_live, &lc);
	if (ret)
		goto out;
	if (lv.n)
		qsort(lv.v, lv.n, sizeof(*lv.v), cmp_live);
	for (i = 0; i < lv.n; i = j) {
		uint64_t bytes = 0, count = 0;

		for (j = i; j < lv.n && !cmp_live(&lv.v[i], &lv.v[j]); j++) {
			bytes += lv.v[j].size;
			count++;
		}
		s = lv.v[i].stage == PT_MEM_OUTSIDE ? nstages : lv.v[i].stage;
		if (s > nstages)
			continue; /* not a stage of this trace */
		offer_site(&rows[s], ids[s], lv.v[i].stack_id, bytes * k,
			   count * k);
	}
	for (s = 0; s <= nstages; s++) {
		for (i = 0; i < rows[s].ntop; i++) {
			ret = name_stack(t, dw, ids[s][i], u, &rows[s].top[i]);
			if (ret)
				goto out;
		}
	}
out:
	if (ret)
		pt_mem__free(rows, nstages + 1);
	free(lv.v);
	free(ids);
	free(mem);
	return ret;
}
