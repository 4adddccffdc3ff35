// SPDX-License-Identifier: MIT
/*
 * test_ustacks.c - the --call-graph dwarf sample store (collect/ustacks.c)
 * fed records as the ring buffer hands them: one taken by this process of
 * itself (registers and stack copied inside a qsort() comparator, through
 * Debian's libc) is unwound and counted; the same stack twice is one
 * bucket; a switch-out's sample is weighed by its weight record; records
 * of a wrong size or kind are dropped and counted, never read past. No
 * BPF: no tracer (the fallback is the sampled IP alone).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/ustacks.h"
#include "lib/selfsample.h"

#define NOFP __attribute__((noinline, optimize("omit-frame-pointer")))

/* A record as sample.bpf.c sends it: header, then the stack bytes. */
static struct {
	struct pt_usample_hdr h;
	uint8_t stack[PT_USTACK_DEFAULT];
} rec;
static int taken;

static NOFP int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!taken) {
		ptest_capture_self(&rec.h, rec.stack, sizeof(rec.stack));
		taken = 1;
	}
	return (x > y) - (x < y);
}

static NOFP void take_sample(void)
{
	int v[] = { 4, 2, 8, 6 };

	taken = 0;
	qsort(v, 4, sizeof(v[0]), cmp);
	/* The rest of the record, as sample.bpf.c fills it. */
	rec.h.kind = PT_UREC_SAMPLE;
	rec.h.part = PT_SAMPLE_ONCPU;
	rec.h.stage = 3;
	rec.h.kstack = -1;
	rec.h.ustack = -1;
}

struct seen {
	size_t buckets;
	uint64_t samples;
	struct pt_sample_key key;
};

static int on_bucket(const struct pt_sample_key *key, uint64_t value, void *ctx)
{
	struct seen *s = ctx;

	s->buckets++;
	s->samples += value;
	s->key = *key;
	return 0;
}

static void test_unwound_and_counted(void **state)
{
	static uint64_t ips[PT_STACK_DEPTH];
	struct pt_ustacks_stats st;
	struct pt_unwinder *w;
	struct pt_ustacks *s;
	struct pt_usyms *u;
	struct seen seen = { 0 };
	char err[256], name[128];
	int n;

	take_sample();
	assert_int_equal(pt_usyms__open(getpid(), &u, err, sizeof(err)), 0);
	assert_int_equal(pt_unwinder__new(u, &w, err, sizeof(err)), 0);
	assert_int_equal(pt_ustacks__new(NULL, &s), 0);
	pt_ustacks__set_unwinder(s, w);
	assert_int_equal(
		pt_ustacks__consume(s, &rec, sizeof(rec.h) + rec.h.size), 0);
	assert_int_equal(
		pt_ustacks__consume(s, &rec, sizeof(rec.h) + rec.h.size), 0);
	pt_ustacks__for_each(s, on_bucket, &seen);
	assert_int_equal(seen.buckets, 1);
	assert_int_equal(seen.samples, 2);
	assert_int_equal(seen.key.stage, 3);
	assert_int_equal(seen.key.part, PT_SAMPLE_ONCPU);
	assert_int_equal(seen.key.kstack, -1);
	assert_true(seen.key.ustack & PT_USTACKS_ID);
	n = pt_ustacks__read(s, seen.key.ustack, ips);
	assert_true(n > 4);
	assert_int_equal(pt_usyms__name(u, ips[0], name, sizeof(name)), 0);
	assert_string_equal(name, "ptest_capture_self");
	assert_int_equal(pt_usyms__name(u, ips[1] - 1, name, sizeof(name)), 0);
	assert_string_equal(name, "cmp");
	assert_int_equal(pt_ustacks__read(s, seen.key.ustack + 1, ips),
			 -ENOENT);
	assert_int_equal(pt_ustacks__read(s, 0, ips), -ENOENT);
	pt_ustacks__stats(s, &st);
	assert_int_equal(st.samples, 2);
	assert_int_equal(st.unwound, 2);
	assert_int_equal(st.stack_bytes, 2ull * rec.h.size);
	pt_ustacks__free(s);
	pt_unwinder__free(w);
	pt_usyms__close(u);
}

/* Short records, a size field past the record or over PT_USTACK_MAX:
 * dropped and counted. Without an unwinder, the IP alone. */
static void test_malformed_and_fallback(void **state)
{
	struct pt_ustacks_stats st;
	struct pt_ustacks *s;
	struct seen seen = { 0 };
	uint64_t ips[PT_STACK_DEPTH];

	take_sample();
	assert_int_equal(pt_ustacks__new(NULL, &s), 0);
	pt_ustacks__consume(s, &rec, sizeof(rec.h) - 1);
	pt_ustacks__consume(s, &rec, 0);
	pt_ustacks__consume(s, &rec, sizeof(rec.h) + rec.h.size - 1);
	rec.h.size = PT_USTACK_MAX + 8;
	pt_ustacks__consume(s, &rec, sizeof(rec));
	rec.h.size = 0;
	rec.h.part = PT_PART_NR; /* no such part */
	pt_ustacks__consume(s, &rec, sizeof(rec.h));
	rec.h.part = PT_SAMPLE_ONCPU;
	rec.h.kind = 77; /* no such record */
	pt_ustacks__consume(s, &rec, sizeof(rec.h));
	rec.h.kind = PT_UREC_SAMPLE;
	pt_ustacks__stats(s, &st);
	assert_int_equal(st.samples, 4); /* the size-0 one has no kind */
	assert_int_equal(st.malformed, 6);
	pt_ustacks__for_each(s, on_bucket, &seen);
	assert_int_equal(seen.buckets, 0);

	rec.h.size = 0;
	rec.h.stage = 7777; /* not a stage: outside every stage */
	pt_ustacks__consume(s, &rec, sizeof(rec.h));
	pt_ustacks__for_each(s, on_bucket, &seen);
	assert_int_equal(seen.buckets, 1);
	assert_int_equal(seen.key.stage, PT_MAX_STAGES);
	assert_int_equal(pt_ustacks__read(s, seen.key.ustack, ips), 1);
	assert_int_equal(ips[0], rec.h.regs[PT_UREG_IP]);
	pt_ustacks__stats(s, &st);
	assert_int_equal(st.fallback, 1);
	pt_ustacks__free(s);
}

struct weighed {
	uint64_t ns[PT_PART_NR];
	uint64_t other;
};

static int on_off_bucket(const struct pt_sample_key *key, uint64_t value,
			 void *ctx)
{
	struct weighed *w = ctx;

	if (key->part < PT_PART_NR)
		w->ns[key->part] += value;
	else
		w->other += value;
	return 0;
}

/* A switch-out's sample counts the time its weight brings, wait and run
 * queue apart, once; a weight for another switch-out is unmatched. */
static void test_offcpu_weights(void **state)
{
	struct pt_uweight w = { .kind = PT_UREC_WEIGHT };
	struct pt_ustacks_stats st;
	struct weighed got = { 0 };
	struct pt_ustacks *s;

	take_sample();
	assert_int_equal(pt_ustacks__new(NULL, &s), 0);
	rec.h.part = PT_PART_IO;
	rec.h.out_ns = 1000;
	rec.h.size = 0;
	pt_ustacks__consume(s, &rec, sizeof(rec.h));
	pt_ustacks__for_each(s, on_off_bucket, &got);
	assert_int_equal(got.ns[PT_PART_IO] + got.other, 0); /* not yet */
	w.tid = rec.h.tid;
	w.out_ns = 999; /* another switch-out */
	w.wait_ns = 1;
	pt_ustacks__consume(s, &w, sizeof(w));
	w.out_ns = 1000;
	w.wait_ns = 5000;
	w.runq_ns = 300;
	pt_ustacks__consume(s, &w, sizeof(w));
	pt_ustacks__consume(s, &w, sizeof(w)); /* twice */
	pt_ustacks__consume(s, &w, sizeof(w) - 1); /* short */
	pt_ustacks__for_each(s, on_off_bucket, &got);
	assert_int_equal(got.ns[PT_PART_IO], 5000);
	assert_int_equal(got.ns[PT_PART_RUNQ], 300);
	assert_int_equal(got.other, 0);
	pt_ustacks__stats(s, &st);
	assert_int_equal(st.unmatched, 2);
	assert_int_equal(st.malformed, 1);
	rec.h.part = PT_SAMPLE_ONCPU;
	rec.h.out_ns = 0;
	pt_ustacks__free(s);
}

/* A record with room for the largest copy. */
static struct {
	struct pt_usample_hdr h;
	uint8_t stack[PT_USTACK_MAX];
} big;
static uintptr_t deepest; /* a local's address at the recursion's bottom */

/* Recurses n deep (each frame holding 64 bytes), then samples itself into
 * rec: a copy of PT_USTACK_DEFAULT bytes. */
static NOFP long dive(int n)
{
	volatile char pad[64];

	pad[0] = (char)n;
	if (n == 0) {
		deepest = (uintptr_t)pad;
		ptest_capture_self(&rec.h, rec.stack, sizeof(rec.stack));
		return pad[0];
	}
	return dive(n - 1) + pad[0];
}

/* Feeds S the sample in h (stage 3, on CPU). */
static void feed(struct pt_ustacks *s, struct pt_usample_hdr *h)
{
	h->kind = PT_UREC_SAMPLE;
	h->part = PT_SAMPLE_ONCPU;
	h->stage = 3;
	h->kstack = h->ustack = -1;
	assert_int_equal(pt_ustacks__consume(s, h, sizeof(*h) + h->size), 0);
}

/*
 * Stacks cut short where the copy ended are counted, the others not. The
 * truth is this program's own: a sample 300 frames of 64+ bytes deep
 * spans more than the 8 KiB copied (the span measured between the
 * recursion's outermost and innermost locals); a shallow one copied into
 * 16 KiB reached the thread's stack top (its copy is shorter than the
 * room), so nothing of it is missing.
 */
static void test_cut_stacks_counted(void **state)
{
	struct pt_ustacks_stats st;
	struct pt_unwinder *w;
	struct pt_ustacks *s;
	struct pt_usyms *u;
	volatile char outer = 0;
	uint64_t deep = 0, whole = 0;
	char err[256];
	int i;

	assert_int_equal(pt_usyms__open(getpid(), &u, err, sizeof(err)), 0);
	assert_int_equal(pt_unwinder__new(u, &w, err, sizeof(err)), 0);
	assert_int_equal(pt_ustacks__new(NULL, &s), 0);
	pt_ustacks__set_unwinder(s, w);
	for (i = 0; i < 3; i++) {
		dive(300);
		assert_true((uintptr_t)&outer - deepest > sizeof(rec.stack));
		assert_int_equal(rec.h.size, sizeof(rec.stack));
		feed(s, &rec.h);
		deep++;
	}
	for (i = 0; i < 2; i++) {
		ptest_capture_self(&big.h, big.stack, sizeof(big.stack));
		assert_true(big.h.size < sizeof(big.stack));
		feed(s, &big.h);
		whole++;
	}
	pt_ustacks__stats(s, &st);
	assert_int_equal(st.samples, deep + whole);
	assert_int_equal(st.unwound, deep + whole);
	assert_int_equal(st.cut, deep);
	pt_ustacks__free(s);
	pt_unwinder__free(w);
	pt_usyms__close(u);
	(void)outer;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwound_and_counted),
		cmocka_unit_test(test_malformed_and_fallback),
		cmocka_unit_test(test_offcpu_weights),
		cmocka_unit_test(test_cut_stacks_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
