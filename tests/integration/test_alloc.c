// SPDX-License-Identifier: MIT
/*
 * test_alloc.c - --alloc on real uprobes: per-stage heap figures against
 * refpipe's own counts (its --self-report) and a sample program whose heap
 * calls are known exactly (prog_alloc.c); leak suspects' stacks through
 * code without frame pointers (langs/leak_nofp.c) with --call-graph dwarf;
 * two processes' own allocations (prog_alloc N M).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "lib/ptest.h"

#define TIMEOUT 120.0
#define PROG_ALLOC PT_BUILD_DIR "/tests/integration/prog_alloc"
#define LEAK_NOFP_SRC PT_SOURCE_DIR "/tests/integration/langs/leak_nofp.c"
#define CC "/usr/bin/cc"

static const char *const stage_names[] = {
	"stage_ingest",	   "stage_parse",    "stage_filter",
	"stage_normalize", "stage_features", "stage_sink",
};
#define NSTAGES (sizeof(stage_names) / sizeof(stage_names[0]))

static json_object *alloc_of(json_object *stage)
{
	json_object *a;

	if (!json_object_object_get_ex(stage, "alloc", &a))
		fail_msg("stage has no \"alloc\" object");
	return a;
}

/* Prints pipetrace's and refpipe's figures for one stage, for the log. */
static void show(const char *name, json_object *a, json_object *t)
{
	print_message(
		"  %-16s allocs %6llu/%-6llu bytes %9llu/%-9llu frees %6llu/%-6llu freed %9llu/%-9llu live %llu\n",
		name, (unsigned long long)ptest_u64(a, "calls"),
		(unsigned long long)ptest_u64(t, "alloc_calls"),
		(unsigned long long)ptest_u64(a, "bytes"),
		(unsigned long long)ptest_u64(t, "alloc_bytes"),
		(unsigned long long)ptest_u64(a, "frees"),
		(unsigned long long)ptest_u64(t, "free_calls"),
		(unsigned long long)ptest_u64(a, "freed_bytes"),
		(unsigned long long)ptest_u64(t, "freed_bytes"),
		(unsigned long long)ptest_u64(a, "live_bytes"));
}

/* Every stage's counts equal refpipe's own, exactly. */
static void check_exact(json_object *rep, json_object *self)
{
	size_t i;

	if (ptest_u64(rep, "lost_events"))
		fail_msg("lost events: %s",
			 json_object_to_json_string(
				 json_object_object_get(rep, "lost")));
	for (i = 0; i < NSTAGES; i++) {
		json_object *s = ptest_stage(rep, stage_names[i]);
		json_object *t = ptest_stage(self, stage_names[i]);
		json_object *a;

		assert_non_null(s);
		assert_non_null(t);
		a = alloc_of(s);
		show(stage_names[i], a, t);
		assert_int_equal(ptest_u64(a, "calls"),
				 ptest_u64(t, "alloc_calls"));
		assert_int_equal(ptest_u64(a, "bytes"),
				 ptest_u64(t, "alloc_bytes"));
		assert_int_equal(ptest_u64(a, "frees"),
				 ptest_u64(t, "free_calls"));
		assert_int_equal(ptest_u64(a, "freed_bytes"),
				 ptest_u64(t, "freed_bytes"));
		assert_int_equal(ptest_u64(a, "frees_untracked"), 0);
	}
}

/* Sum over stages of a member of "alloc". */
static uint64_t sum_alloc(json_object *rep, const char *key)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < NSTAGES; i++)
		sum += ptest_u64(alloc_of(ptest_stage(rep, stage_names[i])),
				 key);
	return sum;
}

/* ------------------------------------------------------------------- tests */

static void test_exact_single_thread(void **state)
{
	char *pt[] = { "--alloc", NULL };
	char *args[] = { "--records", "20000", "--batch", "500", NULL };
	json_object *rep, *self;

	PTEST_REQUIRE_TRACING();
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	check_exact(rep, self);
	/* Batches are allocated by ingest and freed downstream: handed on,
	 * not leaked. */
	assert_true(ptest_u64(alloc_of(ptest_stage(rep, "stage_ingest")),
			      "handed_downstream_bytes") > 0);
	assert_int_equal(sum_alloc(rep, "live_bytes"), 0);
	json_object_put(rep);
	json_object_put(self);
}

/* Threads: blocks cross threads (allocated by the ingest thread, freed by
 * the sink thread) and still pair up. */
static void test_exact_threaded(void **state)
{
	char *pt[] = { "--alloc", NULL };
	char *args[] = { "--records", "20000",	   "--batch",
			 "500",	      "--threads", NULL };
	json_object *rep, *self;

	PTEST_REQUIRE_TRACING();
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	check_exact(rep, self);
	assert_int_equal(sum_alloc(rep, "live_bytes"), 0);
	json_object_put(rep);
	json_object_put(self);
}

/* --leak filter=1000: filter's live bytes are exactly calls x 1000, and
 * its top live site is the leaking function. */
static void test_leak(void **state)
{
	char *pt[] = { "--alloc", NULL };
	char *args[] = { "--records", "20000",	     "--batch", "500",
			 "--leak",    "filter=1000", NULL };
	json_object *rep, *self, *a, *top, *site, *stack;
	uint64_t calls;
	size_t i;
	bool named = false;

	PTEST_REQUIRE_TRACING();
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	check_exact(rep, self);
	calls = ptest_u64(ptest_stage(self, "stage_filter"), "calls");
	a = alloc_of(ptest_stage(rep, "stage_filter"));
	assert_int_equal(calls, 40);
	assert_int_equal(ptest_u64(a, "live_bytes"), calls * 1000);
	assert_true(json_object_object_get_ex(a, "top_live", &top));
	assert_true(json_object_array_length(top) >= 1);
	site = json_object_array_get_idx(top, 0);
	assert_int_equal(ptest_u64(site, "bytes"), calls * 1000);
	assert_int_equal(ptest_u64(site, "count"), calls);
	assert_true(json_object_object_get_ex(site, "stack", &stack));
	for (i = 0; i < json_object_array_length(stack); i++) {
		const char *f = json_object_get_string(
			json_object_array_get_idx(stack, i));

		print_message("  leak frame %zu: %s\n", i, f);
		named |= !strcmp(f, "rp_leak");
	}
	assert_true(named);
	/* Nothing else is left behind by any stage. */
	assert_int_equal(sum_alloc(rep, "live_bytes"), calls * 1000);
	json_object_put(rep);
	json_object_put(self);
}

/* Blocks above glibc's mmap threshold (128 KiB): each leaked 200 KB block
 * is one mmap(2) in stage_filter, of the block plus malloc's header rounded
 * up to pages; no other stage maps memory. */
static void test_mmap(void **state)
{
	/* mmap and brk are seen by the syscall tracepoints only. */
	char *pt[] = { "--alloc", "--syscalls", "exact", NULL };
	char *args[] = { "--records", "5000",	       "--batch", "500",
			 "--leak",    "filter=200000", NULL };
	json_object *rep, *self, *vm;
	uint64_t calls;
	size_t i;

	PTEST_REQUIRE_TRACING();
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	calls = ptest_u64(ptest_stage(self, "stage_filter"), "calls");
	for (i = 0; i < NSTAGES; i++) {
		vm = json_object_object_get(
			alloc_of(ptest_stage(rep, stage_names[i])), "syscalls");
		assert_non_null(vm);
		print_message("  %-16s mmap %llu calls %llu B\n",
			      stage_names[i],
			      (unsigned long long)ptest_u64(vm, "mmap_calls"),
			      (unsigned long long)ptest_u64(vm, "mmap_bytes"));
		if (strcmp(stage_names[i], "stage_filter")) {
			assert_int_equal(ptest_u64(vm, "mmap_calls"), 0);
			continue;
		}
		assert_int_equal(ptest_u64(vm, "mmap_calls"), calls);
		assert_true(ptest_u64(vm, "mmap_bytes") >= calls * 200000);
		assert_true(ptest_u64(vm, "mmap_bytes") <=
			    calls * (200000 + 4096 + 64));
		assert_int_equal(ptest_u64(vm, "munmap_calls"), 0);
	}
	json_object_put(rep);
	json_object_put(self);
}

/* --alloc-sample 10: every count within 10% of the exact one. */
static void test_sampled(void **state)
{
	char *pt[] = { "--alloc-sample", "10", NULL };
	char *args[] = { "--records", "200000", "--batch", "100", NULL };
	static const char *const keys[][2] = {
		{ "calls", "alloc_calls" },
		{ "bytes", "alloc_bytes" },
		{ "frees", "free_calls" },
		{ "freed_bytes", "freed_bytes" },
	};
	json_object *rep, *self;
	size_t i, k;

	PTEST_REQUIRE_TRACING();
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	assert_int_equal(
		ptest_u64(json_object_object_get(rep, "alloc"), "sample"), 10);
	for (i = 0; i < NSTAGES; i++) {
		json_object *a = alloc_of(ptest_stage(rep, stage_names[i]));
		json_object *t = ptest_stage(self, stage_names[i]);

		show(stage_names[i], a, t);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			double got = (double)ptest_u64(a, keys[k][0]);
			double want = (double)ptest_u64(t, keys[k][1]);

			/* Scaled from 1 in 10 recorded. */
			if (k < 3)
				assert_int_equal((uint64_t)got % 10, 0);
			if (got < 0.9 * want || got > 1.1 * want)
				fail_msg("%s %s: %.0f sampled, %.0f exact",
					 stage_names[i], keys[k][0], got, want);
		}
	}
	json_object_put(rep);
	json_object_put(self);
}

/* realloc growth, posix_memalign and calloc, counted right (prog_alloc.c:
 * per call 19 allocations of 153936 B, 7 frees, 153936 B released). */
static void test_realloc_memalign(void **state)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *argv[] = { PTEST_PIPETRACE, "--alloc", "--json", jpath, "--",
			 PROG_ALLOC,	  "50",	     NULL };
	json_object *rep, *s, *a;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	s = ptest_stage(rep, "stage_alloc");
	assert_non_null(s);
	a = alloc_of(s);
	assert_int_equal(ptest_u64(s, "calls"), 50);
	assert_int_equal(ptest_u64(a, "calls"), 50 * 19);
	assert_int_equal(ptest_u64(a, "bytes"), 50 * 153936ull);
	assert_int_equal(ptest_u64(a, "frees"), 50 * 7);
	assert_int_equal(ptest_u64(a, "freed_bytes"), 50 * 153936ull);
	assert_int_equal(ptest_u64(a, "live_bytes"), 0);
	/* The 64 KiB buffer plus 5 x 4 KiB aligned blocks at once. */
	assert_true(ptest_u64(a, "peak_live_bytes") >= 65536 + 5 * 4096);
	assert_true(ptest_u64(a, "peak_live_bytes") <=
		    65536 + 32768 + 5 * 4096 + 2400);
	assert_non_null(json_object_object_get(rep, "rss_bytes"));
	assert_true(ptest_u64(json_object_object_get(rep, "rss_bytes"), "end") >
		    0);
	json_object_put(rep);
	unlink(jpath);
	free(out);
	free(err);
}

/* The process pid in the report's "processes", or NULL. */
static json_object *proc_of(json_object *rep, uint64_t pid)
{
	json_object *procs, *p;
	size_t i;

	if (!json_object_object_get_ex(rep, "processes", &procs))
		return NULL;
	for (i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		if (ptest_u64(p, "pid") == pid)
			return p;
	}
	return NULL;
}

/*
 * Two processes (prog_alloc 3 5: the parent calls stage_alloc 3 times,
 * its forked child 5): the allocator is probed in the first process only
 * (in every process mapping libc, all programs on the machine would pay),
 * so the stage counts the parent's 3 calls' heap use exactly, the parent's
 * row its 3 calls' plus whatever libc's startup allocated outside every
 * stage, and the child's allocation figures are unknown (null), never 0.
 */
static void test_two_processes(void **state)
{
	char jpath[64], *out = NULL, *err = NULL;
	char *argv[] = { PTEST_PIPETRACE, "--alloc", "--json", jpath, "--",
			 PROG_ALLOC,	  "3",	     "5",      NULL };
	json_object *rep, *a, *procs, *parent = NULL, *child = NULL, *p, *pa,
				      *ca = NULL, *outside;
	size_t i;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	rep = ptest_load_json(jpath);
	assert_non_null(rep);
	a = alloc_of(ptest_stage(rep, "stage_alloc"));
	assert_int_equal(ptest_u64(a, "calls"), 3 * 19);
	assert_int_equal(ptest_u64(a, "bytes"), 3 * 153936ull);
	assert_int_equal(ptest_u64(a, "frees"), 3 * 7);
	assert_int_equal(ptest_u64(a, "freed_bytes"), 3 * 153936ull);
	assert_int_equal(ptest_u64(a, "live_bytes"), 0);
	assert_true(json_object_object_get_ex(rep, "processes", &procs));
	assert_int_equal(json_object_array_length(procs), 2);
	for (i = 0; i < 2; i++) {
		p = json_object_array_get_idx(procs, i);
		if (json_object_get_boolean(
			    json_object_object_get(p, "followed")))
			child = p;
		else
			parent = p;
	}
	assert_non_null(parent);
	assert_non_null(child);
	assert_ptr_equal(proc_of(rep, ptest_u64(child, "ppid")), parent);
	pa = json_object_object_get(parent, "alloc");
	assert_non_null(pa);
	assert_true(json_object_object_get_ex(child, "alloc", &ca));
	assert_null(ca);
	outside = json_object_object_get(json_object_object_get(rep, "alloc"),
					 "outside_stages");
	assert_non_null(outside);
	print_message("  parent %llu allocs %llu frees, outside stages %llu allocs; child: null\n",
		      (unsigned long long)ptest_u64(pa, "calls"),
		      (unsigned long long)ptest_u64(pa, "frees"),
		      (unsigned long long)ptest_u64(outside, "calls"));
	assert_int_equal(ptest_u64(pa, "calls"),
			 3 * 19 + ptest_u64(outside, "calls"));
	assert_int_equal(ptest_u64(pa, "bytes"),
			 3 * 153936ull + ptest_u64(outside, "bytes"));
	assert_int_equal(ptest_u64(pa, "frees"),
			 3 * 7 + ptest_u64(outside, "frees"));
	json_object_put(rep);
	unlink(jpath);
	free(out);
	free(err);
}

/* The leak site of leak_nofp's stage traced with --call-graph CG: its
 * frames (innermost first) into FR (strdup'd, *n of them). */
static void leak_site(const char *prog, const char *cg, char **fr, size_t *n,
		      size_t max)
{
	char json[64], *out = NULL, *err = NULL;
	char *argv[] = { PTEST_PIPETRACE,
			 "--alloc",
			 "--call-graph",
			 (char *)cg,
			 "-j",
			 json,
			 "-s",
			 "leak_stage",
			 "--",
			 (char *)prog,
			 NULL };
	json_object *rep, *top, *site, *stack;
	size_t i;

	ptest_tmp_path(json, sizeof(json), ".json");
	ptest_run_ok(argv, TIMEOUT, &out, &err);
	assert_string_equal(out, "200\n"); /* the program's own output */
	rep = ptest_take_json(json);
	assert_true(json_object_object_get_ex(
		alloc_of(ptest_stage(rep, "leak_stage")), "top_live", &top));
	assert_true(json_object_array_length(top) >= 1);
	site = json_object_array_get_idx(top, 0);
	assert_int_equal(ptest_u64(site, "bytes"), 200 * 1000);
	assert_int_equal(ptest_u64(site, "count"), 200);
	assert_true(json_object_object_get_ex(site, "stack", &stack));
	*n = 0;
	for (i = 0; i < json_object_array_length(stack) && *n < max; i++) {
		fr[*n] = strdup(json_object_get_string(
			json_object_array_get_idx(stack, i)));
		print_message("  --call-graph %s: leak frame %zu: %s\n", cg, i,
			      fr[*n]);
		(*n)++;
	}
	json_object_put(rep);
	free(out);
	free(err);
}

/* Whether frame F is function NAME (or a clone of it: NAME.constprop.0). */
static bool is_func(const char *f, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(f, name, n) && (f[n] == '\0' || f[n] == '.');
}

/*
 * Leak suspects through code built without frame pointers: with
 * --call-graph dwarf the allocation's stack is unwound by CFI like the
 * samples', and reaches main through the path the program's source
 * gives, frame by frame (leak_leaf, leak_mid, leak_stage, main). The
 * frame-pointer walk of the same allocations cannot (that it does not is
 * what shows the program really lacks them).
 */
static void test_leak_stack_dwarf(void **state)
{
	static const char *const path[] = { "leak_leaf", "leak_mid",
					    "leak_stage", "main" };
	char dir[] = "/tmp/ptest-leak-XXXXXX", prog[64], *fr[64];
	char *build[] = { CC,	"-O2", "-fomit-frame-pointer", "-g",
			  "-o", prog,  LEAK_NOFP_SRC,	       NULL };
	char *rm[] = { "/bin/rm", "-rf", dir, NULL };
	size_t n, i;
	bool mid = false;

	PTEST_REQUIRE_TRACING();
	if (access(CC, X_OK)) {
		print_message("[  SKIP    ] no %s (Debian: gcc)\n", CC);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/leak_nofp", dir);
	ptest_run_ok(build, TIMEOUT, NULL, NULL);

	leak_site(prog, "dwarf", fr, &n, 64);
	assert_true(n >= 4);
	for (i = 0; i < 4; i++)
		assert_true(is_func(fr[i], path[i]));
	for (i = 0; i < n; i++)
		free(fr[i]);

	leak_site(prog, "fp", fr, &n, 64);
	assert_true(n >= 1);
	assert_true(is_func(fr[0], "leak_leaf"));
	for (i = 0; i < n; i++) {
		mid |= is_func(fr[i], "leak_mid");
		free(fr[i]);
	}
	assert_false(mid);
	ptest_run(rm, 60, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_single_thread),
		cmocka_unit_test(test_exact_threaded),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_mmap),
		cmocka_unit_test(test_sampled),
		cmocka_unit_test(test_realloc_memalign),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_leak_stack_dwarf),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
