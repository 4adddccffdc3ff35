// SPDX-License-Identifier: MIT
/*
 * ustacks.c - see ustacks.h. Stacks and buckets live in arrays, each with
 * an open-addressing index (slot = entry + 1, 0 free) kept under half full.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/ustacks.h"

/* Distinct stacks and buckets kept; beyond, samples are dropped (counted). */
#define MAX_ENTRIES (1u << 20)

struct ustack {
	uint64_t hash;
	uint32_t n;
	uint64_t *ips;
};

struct bucket {
	uint64_t hash;
	struct pt_sample_key key;
	uint64_t count;
};

/* A thread's switch-out sent as a sample, until its weight comes. */
struct pending {
	uint32_t tid;
	bool used; /* the slot holds tid */
	uint64_t out_ns; /* 0: none pending */
	struct pt_sample_key key;
};

/* An allocation's unwound stack, by its record's sequence number. */
struct aseq {
	uint64_t seq; /* 0: free slot */
	int32_t id;
};

struct index {
	uint32_t *slot;
	size_t cap; /* a power of two, or 0 */
};

struct pt_ustacks {
	struct pt_tracer *t;
	struct pt_unwinder *w;
	struct ustack *stacks;
	size_t nstacks, cap_stacks;
	struct index sidx;
	struct bucket *buckets;
	size_t nbuckets, cap_buckets;
	struct index bidx;
	struct pending *pend; /* open addressing by tid, under half full */
	size_t npend, cap_pend;
	struct aseq *aseq; /* open addressing by seq, under half full */
	size_t naseq, cap_aseq;
	struct pt_ustacks_stats st;
};

static uint64_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	while (len--)
		h = (h ^ *b++) * 1099511628211ull;
	return h ? h : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Doubles ix and re-inserts the n entries whose hashes hash_of gives. */
static int index_grow(struct index *ix, size_t n,
		      uint64_t (*hash_of)(const struct pt_ustacks *, size_t),
		      const struct pt_ustacks *s)
{
	size_t cap = ix->cap ? ix->cap * 2 : 1024, i, j;
	uint32_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (j = hash_of(s, i) & (cap - 1); slot[j];
		     j = (j + 1) & (cap - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(ix->slot);
	ix->slot = slot;
	ix->cap = cap;
	return 0;
}

static uint64_t stack_hash(const struct pt_ustacks *s, size_t i)
{
	return s->stacks[i].hash;
}

static uint64_t bucket_hash(const struct pt_ustacks *s, size_t i)
{
	return s->buckets[i].hash;
}

/* Grows array *v (of *cap elements of size sz) to hold one more. */
static int reserve(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= MAX_ENTRIES)
		return -E2BIG;
	nv = realloc(*v, ncap * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* The id of stack IPS[0..n), added if new; < 0 on failure. */
static int32_t stack_id(struct pt_ustacks *s, const uint64_t *ips, int n)
{
	uint64_t h = hash_bytes(ips, (size_t)n * sizeof(*ips));
	struct ustack *u;
	size_t j;
	int ret;

	for (j = s->sidx.cap ? h & (s->sidx.cap - 1) : 0;
	     s->sidx.cap && s->sidx.slot[j]; j = (j + 1) & (s->sidx.cap - 1)) {
		u = &s->stacks[s->sidx.slot[j] - 1];
		if (u->hash == h && u->n == (uint32_t)n &&
		    !memcmp(u->ips, ips, (size_t)n * sizeof(*ips)))
			return (int32_t)(s->sidx.slot[j] - 1) | PT_USTACKS_ID;
	}
	ret = reserve((void **)&s->stacks, &s->cap_stacks, s->nstacks,
		      sizeof(*s->stacks));
	if (!ret && (s->nstacks + 1) * 2 > s->sidx.cap)
		ret = index_grow(&s->sidx, s->nstacks, stack_hash, s);
	if (ret)
		return ret;
	u = &s->stacks[s->nstacks];
	u->ips = malloc((size_t)n * sizeof(*ips) + 1);
	if (!u->ips)
		return -ENOMEM;
	memcpy(u->ips, ips, (size_t)n * sizeof(*ips));
	u->n = (uint32_t)n;
	u->hash = h;
	for (j = h & (s->sidx.cap - 1); s->sidx.slot[j];
	     j = (j + 1) & (s->sidx.cap - 1))
		;
	s->sidx.slot[j] = (uint32_t)++s->nstacks;
	return (int32_t)(s->nstacks - 1) | PT_USTACKS_ID;
}

/* Adds v to the bucket of key. */
static int count(struct pt_ustacks *s, const struct pt_sample_key *key,
		 uint64_t v)
{
	uint64_t h = hash_bytes(key, sizeof(*key));
	struct bucket *b;
	size_t j;
	int ret;

	for (j = s->bidx.cap ? h & (s->bidx.cap - 1) : 0;
	     s->bidx.cap && s->bidx.slot[j]; j = (j + 1) & (s->bidx.cap - 1)) {
		b = &s->buckets[s->bidx.slot[j] - 1];
		if (b->hash == h && !memcmp(&b->key, key, sizeof(*key))) {
			b->count += v;
			return 0;
		}
	}
	ret = reserve((void **)&s->buckets, &s->cap_buckets, s->nbuckets,
		      sizeof(*s->buckets));
	if (!ret && (s->nbuckets + 1) * 2 > s->bidx.cap)
		ret = index_grow(&s->bidx, s->nbuckets, bucket_hash, s);
	if (ret)
		return ret;
	s->buckets[s->nbuckets] =
		(struct bucket){ .hash = h, .key = *key, .count = v };
	for (j = h & (s->bidx.cap - 1); s->bidx.slot[j];
	     j = (j + 1) & (s->bidx.cap - 1))
		;
	s->bidx.slot[j] = (uint32_t)++s->nbuckets;
	return 0;
}

int pt_ustacks__new(struct pt_tracer *t, struct pt_ustacks **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->t = t;
	return 0;
}

void pt_ustacks__set_unwinder(struct pt_ustacks *s, struct pt_unwinder *w)
{
	s->w = w;
}

/* The user stack of sample H: unwound by CFI, else its frame-pointer
 * stack; its id, or < 0 when it has none. */
static int32_t sample_stack(struct pt_ustacks *s,
			    const struct pt_usample_hdr *h,
			    const uint8_t *stack)
{
	uint64_t ips[PT_STACK_DEPTH], t0 = now_ns();
	int n = 0;

	if (s->w)
		n = pt_unwinder__unwind(s->w, h, stack, ips, PT_STACK_DEPTH);
	s->st.unwind_ns += now_ns() - t0;
	if (n > 1) {
		s->st.unwound++;
		s->st.cut += pt_unwinder__cut(s->w);
		return stack_id(s, ips, n);
	}
	s->st.fallback++;
	n = s->t ? pt_tracer__read_stack(s->t, h->ustack, ips) : -ENOENT;
	if (n <= 0 && h->regs[PT_UREG_IP]) {
		ips[0] = h->regs[PT_UREG_IP];
		n = 1;
	}
	return n > 0 ? stack_id(s, ips, n) : -1;
}

/* The pending slot of tid (added if new), or NULL without memory. */
static struct pending *pending_slot(struct pt_ustacks *s, uint32_t tid)
{
	struct pending *old = s->pend, *p;
	size_t cap = s->cap_pend, i, j;

	if ((s->npend + 1) * 2 > s->cap_pend) {
		s->cap_pend = cap ? cap * 2 : 256;
		s->pend = calloc(s->cap_pend, sizeof(*s->pend));
		if (!s->pend || s->cap_pend > MAX_ENTRIES) {
			free(s->pend);
			s->pend = old;
			s->cap_pend = cap;
			return NULL;
		}
		s->npend = 0;
		for (i = 0; i < cap; i++)
			if (old[i].used)
				*pending_slot(s, old[i].tid) = old[i];
		free(old);
	}
	for (j = tid & (s->cap_pend - 1); s->pend[j].used;
	     j = (j + 1) & (s->cap_pend - 1))
		if (s->pend[j].tid == tid)
			return &s->pend[j];
	p = &s->pend[j];
	*p = (struct pending){ .tid = tid, .used = true };
	s->npend++;
	return p;
}

static void aseq_put(struct aseq *tab, size_t cap, uint64_t seq, int32_t id)
{
	size_t j;

	for (j = seq & (cap - 1); tab[j].seq; j = (j + 1) & (cap - 1))
		;
	tab[j] = (struct aseq){ .seq = seq, .id = id };
}

/* Remembers that allocation SEQ's stack is ID. */
static int aseq_add(struct pt_ustacks *s, uint64_t seq, int32_t id)
{
	size_t i;

	if (!seq)
		return -EINVAL;
	if ((s->naseq + 1) * 2 > s->cap_aseq) {
		size_t cap = s->cap_aseq ? s->cap_aseq * 2 : 1024;
		struct aseq *tab;

		if (cap > 2 * (size_t)MAX_ENTRIES)
			return -E2BIG;
		tab = calloc(cap, sizeof(*tab));
		if (!tab)
			return -ENOMEM;
		for (i = 0; i < s->cap_aseq; i++)
			if (s->aseq[i].seq)
				aseq_put(tab, cap, s->aseq[i].seq,
					 s->aseq[i].id);
		free(s->aseq);
		s->aseq = tab;
		s->cap_aseq = cap;
	}
	aseq_put(s->aseq, s->cap_aseq, seq, id);
	s->naseq++;
	return 0;
}

int32_t pt_ustacks__alloc_stack(const struct pt_ustacks *s, uint64_t seq)
{
	size_t j;

	if (!s || !seq || !s->cap_aseq)
		return -ENOENT;
	for (j = seq & (s->cap_aseq - 1); s->aseq[j].seq;
	     j = (j + 1) & (s->cap_aseq - 1))
		if (s->aseq[j].seq == seq)
			return s->aseq[j].id;
	return -ENOENT;
}

/* A sample record: on CPU counted now, a switch-out when its weight
 * comes, an allocation's stack kept for its block. */
static int take_sample(struct pt_ustacks *s, const uint8_t *data, size_t size)
{
	struct pt_sample_key key = { .part = PT_SAMPLE_ONCPU };
	struct pt_usample_hdr h;
	struct pending *p;
	int32_t id;

	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	if (h.size > PT_USTACK_MAX || h.size > size - sizeof(h) ||
	    (h.part != PT_SAMPLE_ONCPU && h.part != PT_SAMPLE_ALLOC &&
	     h.part >= PT_PART_NR))
		return -EINVAL;
	s->st.stack_bytes += h.size;
	id = sample_stack(s, &h, data + sizeof(h));
	if (id < -1)
		return id;
	if (h.part == PT_SAMPLE_ALLOC)
		return id < 0 ? 0 : aseq_add(s, h.out_ns, id);
	key.stage = h.stage <= PT_MAX_STAGES ? h.stage : PT_MAX_STAGES;
	key.ustack = id;
	key.kstack = h.kstack;
	if (h.part == PT_SAMPLE_ONCPU)
		return count(s, &key, 1);
	key.part = h.part;
	p = pending_slot(s, h.tid);
	if (!p)
		return -ENOMEM;
	p->out_ns = h.out_ns;
	p->key = key;
	return 0;
}

/* A weight record: the time of its thread's pending switch-out. */
static int take_weight(struct pt_ustacks *s, const uint8_t *data, size_t size)
{
	struct pt_sample_key key;
	struct pt_uweight w;
	struct pending *p;
	int ret = 0;

	if (size < sizeof(w))
		return -EINVAL;
	memcpy(&w, data, sizeof(w));
	p = pending_slot(s, w.tid);
	if (!p || !p->out_ns || p->out_ns != w.out_ns) {
		s->st.unmatched++;
		return 0;
	}
	key = p->key;
	p->out_ns = 0;
	if (w.wait_ns)
		ret = count(s, &key, w.wait_ns);
	key.part = PT_PART_RUNQ;
	if (!ret && w.runq_ns)
		ret = count(s, &key, w.runq_ns);
	return ret;
}

int pt_ustacks__consume(void *ctx, void *data, size_t size)
{
	struct pt_ustacks *s = ctx;
	uint32_t kind = 0;
	int ret = -EINVAL;

	if (size >= sizeof(kind))
		memcpy(&kind, data, sizeof(kind));
	if (kind == PT_UREC_SAMPLE) {
		s->st.samples++;
		ret = take_sample(s, data, size);
	} else if (kind == PT_UREC_WEIGHT) {
		ret = take_weight(s, data, size);
	}
	if (ret == -EINVAL)
		s->st.malformed++;
	else if (ret)
		s->st.dropped++;
	return 0;
}

int pt_ustacks__for_each(const struct pt_ustacks *s, pt_sample_cb cb, void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; s && i < s->nbuckets; i++) {
		ret = cb(&s->buckets[i].key, s->buckets[i].count, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int pt_ustacks__read(const struct pt_ustacks *s, int32_t id,
		     uint64_t ips[PT_STACK_DEPTH])
{
	size_t i = (size_t)(id & ~PT_USTACKS_ID);

	if (!s || id < 0 || !(id & PT_USTACKS_ID) || i >= s->nstacks)
		return -ENOENT;
	memcpy(ips, s->stacks[i].ips, s->stacks[i].n * sizeof(*ips));
	return (int)s->stacks[i].n;
}

void pt_ustacks__stats(const struct pt_ustacks *s, struct pt_ustacks_stats *out)
{
	if (s)
		*out = s->st;
	else
		memset(out, 0, sizeof(*out));
}

void pt_ustacks__free(struct pt_ustacks *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nstacks; i++)
		free(s->stacks[i].ips);
	free(s->stacks);
	free(s->sidx.slot);
	free(s->buckets);
	free(s->bidx.slot);
	free(s->pend);
	free(s->aseq);
	free(s);
}
