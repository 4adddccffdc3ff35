// SPDX-License-Identifier: MIT
/*
 * test_stacks.c - --folded and --folded-offcpu on real probes: on-CPU
 * samples land under the stage refpipe says burns the CPU, off-CPU stacks
 * of an fsync-ing sink reach the kernel's fsync path, and a stripped binary
 * is named through its .gnu_debuglink file.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "lib/ptest.h"
#include "output/folded.h"

#define TIMEOUT 120.0
#define STRIPPED PT_BUILD_DIR "/fixtures/refpipe-stripped"

/* Reads a folded file (plain or .gz) with pipetrace's own reader. */
static struct pt_folded *load(const char *path)
{
	struct pt_folded *f;
	char err[256];

	assert_int_equal(pt_folded__new(&f), 0);
	if (pt_folded__read(f, path, err, sizeof(err)))
		fail_msg("%s", err);
	return f;
}

/* Prints the n heaviest lines, for the log. */
static void show_top(const struct pt_folded *f, size_t n)
{
	size_t i, k, best, shown;
	uint64_t prev = UINT64_MAX, c, bc;
	const char *const *fr;
	size_t nf;

	for (shown = 0; shown < n; shown++) {
		best = SIZE_MAX;
		bc = 0;
		for (i = 0; i < pt_folded__nr_stacks(f); i++) {
			pt_folded__stack(f, i, &fr, &nf, &c);
			if (c < prev && c > bc) {
				bc = c;
				best = i;
			}
		}
		if (best == SIZE_MAX)
			break;
		pt_folded__stack(f, best, &fr, &nf, &c);
		print_message("  ");
		for (k = 0; k < nf; k++)
			print_message("%s%s", k ? ";" : "", fr[k]);
		print_message(" %llu\n", (unsigned long long)c);
		prev = c;
	}
}

/* Sum of the counts of stacks whose first frame is stage (and, if frame is
 * set, that hold frame anywhere). */
static uint64_t count_under(const struct pt_folded *f, const char *stage,
			    const char *frame)
{
	const char *const *fr;
	uint64_t c, sum = 0;
	size_t i, k, nf;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		bool has = !frame;

		pt_folded__stack(f, i, &fr, &nf, &c);
		if (strcmp(fr[0], stage))
			continue;
		for (k = 1; k < nf && !has; k++)
			has = !strcmp(fr[k], frame);
		if (has)
			sum += c;
	}
	return sum;
}

/* ------------------------------------------------------------------- tests */

/* Naive rolling windows: stage_features burns most of the CPU (refpipe's
 * own cpu_ns says how much); the samples say the same, and name the
 * window function. */
static void test_oncpu_features(void **state)
{
	char path[64];
	char *pt[] = { "-F", "499", "--folded", path, NULL };
	char *args[] = { "--records", "600000",	    "--batch",
			 "1000",      "--features", "naive",
			 "--window",  "4096",	    NULL };
	json_object *rep, *self, *s;
	struct pt_folded *f;
	double truth = 0, total = 0, got;
	size_t i;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(path, sizeof(path), ".folded");
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	s = json_object_object_get(self, "stages");
	for (i = 0; i < json_object_array_length(s); i++) {
		json_object *st = json_object_array_get_idx(s, i);
		double cpu = (double)ptest_u64(st, "cpu_ns");

		total += cpu;
		if (!strcmp(json_object_get_string(
				    json_object_object_get(st, "name")),
			    "stage_features"))
			truth = cpu;
	}
	f = load(path);
	show_top(f, 5);
	assert_true(pt_folded__total(f) >= 100);
	got = (double)count_under(f, "stage_features", NULL) /
	      (double)pt_folded__total(f);
	print_message(
		"  stage_features: %.1f%% of %llu samples; refpipe's own cpu share %.1f%%\n",
		100 * got, (unsigned long long)pt_folded__total(f),
		100 * truth / total);
	assert_true(got >= 0.5);
	/* Samples include refpipe's main thread outside stages, so they
	 * may only be a little below its in-stage share. */
	assert_true(got >= truth / total - 0.15);
	assert_true(count_under(f, "stage_features", "window_stats") >
		    count_under(f, "stage_features", NULL) / 2);
	pt_folded__free(f);
	unlink(path);
	json_object_put(rep);
	json_object_put(self);
}

/* fsync on a real file: an [io] stack under stage_sink that goes through
 * the kernel's fsync path. Written gzip-compressed. */
static void test_offcpu_fsync(void **state)
{
	char path[64], out[256];
	char *pt[] = { "--folded-offcpu", path, NULL };
	char *args[] = { "--records", "20000",	  "--batch", "1000",
			 "--fsync",   "--output", out,	     NULL };
	const char *const *fr;
	json_object *rep, *self;
	struct pt_folded *f;
	uint64_t c, io_fsync = 0;
	size_t i, k, nf;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(path, sizeof(path), ".folded.gz");
	snprintf(out, sizeof(out), "%s/stacks-fsync-%d.csv", PT_BUILD_DIR,
		 getpid());
	ptest_trace_refpipe(pt, args, NULL, &rep, &self);
	f = load(path);
	show_top(f, 5);
	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		bool fsync_k = false;

		pt_folded__stack(f, i, &fr, &nf, &c);
		if (strcmp(fr[0], "stage_sink") || strcmp(fr[nf - 1], "[io]"))
			continue;
		for (k = 1; k < nf; k++)
			fsync_k |= strstr(fr[k], "fsync") &&
				   strstr(fr[k], "_[k]");
		if (fsync_k)
			io_fsync += c;
	}
	print_message("  stage_sink [io] through the kernel's fsync: %llu us\n",
		      (unsigned long long)io_fsync);
	assert_true(io_fsync > 0);
	pt_folded__free(f);
	unlink(path);
	unlink(out);
	json_object_put(rep);
	json_object_put(self);
}

/* A stripped refpipe: its static functions (worker_main) are only in the
 * debug file its .gnu_debuglink names, and still show up by name. */
static void test_stripped_debuglink(void **state)
{
	char path[64], *o = NULL, *e = NULL;
	char *argv[] = { PTEST_PIPETRACE, "--folded-offcpu", path,    "--",
			 STRIPPED,	  "--records",	     "20000", "--batch",
			 "500",		  "--threads",	     NULL };
	struct pt_folded *f;
	const char *const *fr;
	uint64_t c, named = 0;
	size_t i, k, nf;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(path, sizeof(path), ".folded");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	f = load(path);
	show_top(f, 3);
	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		for (k = 1; k < nf; k++)
			if (!strcmp(fr[k], "worker_main"))
				named += c;
	}
	assert_true(named > 0);
	pt_folded__free(f);
	unlink(path);
	free(o);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oncpu_features),
		cmocka_unit_test(test_offcpu_fsync),
		cmocka_unit_test(test_stripped_debuglink),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
