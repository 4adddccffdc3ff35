// SPDX-License-Identifier: MIT
/*
 * test_stacks.c - --folded and --folded-offcpu on real probes: on-CPU
 * samples land under the stage refpipe says burns the CPU (and under a Go
 * stage, whose frames are kept by goroutine), off-CPU stacks
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
#define PERF_DEPTH 256 /* frames kept per perf sample */
#define GO "/usr/bin/go" /* Debian's, not whatever is first in PATH */

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

/* Builds tests/integration/langs/burn.go at PATH with -ldflags LDFLAGS,
 * offline; false (the test skips) without Debian's go. */
static bool build_burn(const char *path, const char *ldflags)
{
	char dir[128], flags[64];
	char *argv[] = {
		GO,    "build",
		"-o",  (char *)path,
		flags, PT_SOURCE_DIR "/tests/integration/langs/burn.go",
		NULL
	};
	char *err = NULL;

	if (access(GO, X_OK))
		return false;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(flags, sizeof(flags), "-ldflags=%s", ldflags);
	ptest_go_env(dir);
	if (ptest_run(argv, 300, NULL, &err))
		fail_msg("go build: %s", err ? err : "");
	free(err);
	return true;
}

/* The Go program at PATH traced with -s main.burn: its output unharmed,
 * and most on-CPU samples under main.burn (its frames are kept by
 * goroutine, not by thread), mix among them. */
static void check_go_burn(const char *path)
{
	char fpath[64], *out = NULL, *ref = NULL;
	char *argv[] = { PTEST_PIPETRACE, "-F",	      "499", "-s",
			 "main.burn",	  "--folded", fpath, "--",
			 (char *)path,	  NULL };
	char *plain[] = { (char *)path, NULL };
	struct pt_folded *f;
	uint64_t under;

	ptest_tmp_path(fpath, sizeof(fpath), ".folded");
	assert_int_equal(ptest_run(plain, TIMEOUT, &ref, NULL), 0);
	assert_int_equal(ptest_run(argv, TIMEOUT, &out, NULL), 0);
	assert_string_equal(out, ref);
	assert_string_equal(ref, "burn 200\n");
	f = load(fpath);
	show_top(f, 4);
	under = count_under(f, "main.burn", NULL);
	print_message("  %s: main.burn %llu of %llu samples\n", path,
		      (unsigned long long)under,
		      (unsigned long long)pt_folded__total(f));
	assert_true(pt_folded__total(f) >= 50);
	assert_true(under >= pt_folded__total(f) * 8 / 10);
	/* mix, called once per iteration, has some of the stage's samples
	 * under it: the stacks go below the stage function. (How many
	 * depends on the compiler's code for the loop: 33-60% were seen.) */
	assert_true(count_under(f, "main.burn", "main.mix") >= under / 10);
	pt_folded__free(f);
	unlink(fpath);
	free(out);
	free(ref);
}

/* A Go stage that burns the CPU gets its samples, built with and without
 * symbols and DWARF (-s -w). */
static void test_oncpu_go(void **state)
{
	static const char *const ldflags[] = { "", "-s -w" };
	char dir[64], path[96];
	char *rm[] = { "/bin/rm", "-rf", dir, NULL };
	size_t i;

	PTEST_REQUIRE_TRACING();
	snprintf(dir, sizeof(dir), "/tmp/ptest-gostacks-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/burn%zu", dir, i);
		if (!build_burn(path, ldflags[i])) {
			ptest_run(rm, 60, NULL, NULL);
			print_message("[  SKIP    ] " GO
				      " missing (Debian golang-go)\n");
			skip();
		}
		check_go_burn(path);
	}
	ptest_run(rm, 60, NULL, NULL);
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

/* Kernel names are read after the run, not before attach, and only those
 * of the frames named: -v says so, after "run: ended"; the file still has
 * named kernel frames. */
static void test_kallsyms_after_run(void **state)
{
	char path[64], *o = NULL, *e = NULL, line[160];
	char *argv[] = { PTEST_PIPETRACE,
			 "-v",
			 "--folded-offcpu",
			 path,
			 "--",
			 PT_BUILD_DIR "/refpipe",
			 "--records",
			 "20000",
			 "--threads",
			 NULL };
	const char *ks, *ended, *att;
	struct pt_folded *f;
	const char *const *fr;
	unsigned long nread = 0;
	uint64_t c, kframes = 0;
	size_t i, k, nf;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(path, sizeof(path), ".folded");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	att = strstr(e, "start: attached at");
	ended = strstr(e, "run: ended at");
	ks = strstr(e, "kernel symbols: ");
	assert_non_null(att);
	assert_non_null(ended);
	assert_non_null(ks);
	assert_true(att < ended && ended < ks);
	assert_int_equal(sscanf(ks, "kernel symbols: %lu read", &nread), 1);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(ks, "\n"), ks);
	print_message("  %s\n", line);
	assert_non_null(strstr(line, "those of the frames named"));
	f = load(path);
	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		for (k = 1; k < nf; k++)
			if (strlen(fr[k]) > 4 &&
			    !strcmp(fr[k] + strlen(fr[k]) - 4, "_[k]"))
				kframes++;
	}
	print_message("  %llu kernel frames named in the file\n",
		      (unsigned long long)kframes);
	/* a threaded refpipe blocks in the kernel: named frames */
	assert_true(kframes > 0);
	assert_true(nread > 0);
	pt_folded__free(f);
	unlink(path);
	free(o);
	free(e);
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

/* Whether fr is a BPF program's frame: "bpf_prog_" TAG "_" NAME, TAG 16
 * hex digits (not a kernel function of the bpf subsystem, such as
 * __bpf_prog_put_noref in an RCU callback run on the target's stack). */
static bool bpf_program_frame(const char *fr)
{
	size_t n;

	if (strncmp(fr, "bpf_prog_", 9))
		return false;
	n = strspn(fr + 9, "0123456789abcdef");
	return n == 16 && fr[9 + n] == '_';
}

/* Whether a frame is the tracer's own machinery, or a name it must not
 * leave in a stack: the uprobe area and trap, the uprobe handlers, the
 * tracepoints' BPF glue and programs. */
static bool tracer_machinery(const char *fr)
{
	static const char *const bad[] = { "[uprobes",
					   "asm_exc_int3",
					   "asm_exc_debug",
					   "uprobe_",
					   "uretprobe",
					   "handle_swbp",
					   "__traceiter_",
					   "__bpf_trace_",
					   "bpf_trace_run",
					   "_einittext",
					   NULL };
	size_t i;

	for (i = 0; bad[i]; i++)
		if (strstr(fr, bad[i]))
			return true;
	return bpf_program_frame(fr);
}

/* Whether a user frame is main or a thread's start. */
static bool is_root_frame(const char *fr)
{
	return !strcmp(fr, "main") || !strcmp(fr, "start_thread") ||
	       !strcmp(fr, "clone3") || !strcmp(fr, "__libc_start_call_main");
}

/*
 * Checks every frame of F: no tracer machinery, and (unless ADDRESSES) no
 * "+0x" offsets and no [heap]/[anon]/[stack] frames. Prints the
 * share of the total whose stack reaches main or a thread's start, into
 * *ROOTED if set. Returns the count of stacks with an offset frame.
 */
static uint64_t check_frames_rooted(const struct pt_folded *f, const char *what,
				    bool addresses, uint64_t *rooted_out)
{
	const char *const *fr;
	uint64_t c, rooted = 0, offsets = 0;
	size_t i, k, nf;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		bool root = false, offset = false;

		pt_folded__stack(f, i, &fr, &nf, &c);
		for (k = 1; k < nf; k++) {
			if (tracer_machinery(fr[k]))
				fail_msg("%s: tracer frame '%s'", what, fr[k]);
			if (!addresses && strstr(fr[k], "+0x"))
				fail_msg("%s: offset in '%s'", what, fr[k]);
			if (!strncmp(fr[k], "[heap]", 6) ||
			    !strncmp(fr[k], "[anon]", 6) ||
			    !strncmp(fr[k], "[stack]", 7))
				fail_msg("%s: frame '%s'", what, fr[k]);
			root |= is_root_frame(fr[k]);
			offset |= strstr(fr[k], "+0x") != NULL;
		}
		if (root)
			rooted += c;
		if (offset)
			offsets += c;
	}
	print_message("  %s: %llu of %llu reach main or a thread start\n", what,
		      (unsigned long long)rooted,
		      (unsigned long long)pt_folded__total(f));
	if (rooted_out)
		*rooted_out = rooted;
	return offsets;
}

static uint64_t check_frames(const struct pt_folded *f, const char *what,
			     bool addresses)
{
	return check_frames_rooted(f, what, addresses, NULL);
}

/* Writes LEN bytes of compressible text (words from a small vocabulary in
 * an LCG's order) to a new temporary file PATH. */
static void make_text(char *path, size_t pathlen, size_t len)
{
	static const char *const words[] = { "stage ", "pipeline ", "record ",
					     "batch ", "window ",   "feature ",
					     "sink\n", "0.125 ",    "42 " };
	uint32_t x = 12345;
	size_t n = 0;
	FILE *f;

	ptest_tmp_path(path, pathlen, ".txt");
	f = fopen(path, "w");
	assert_non_null(f);
	while (n < len) {
		x = x * 1103515245u + 12345u;
		n += (size_t)fprintf(f, "%s", words[(x >> 16) % 9]);
	}
	assert_int_equal(fclose(f), 0);
}

/* The stderr line of pipetrace about its own samples, printed. */
static void show_own(const char *err)
{
	const char *l = err;

	while ((l = strstr(l, "tracer's own"))) {
		const char *end = strchr(l, '\n');

		print_message("  %.*s\n", (int)(end ? end - l : 80), l);
		l += 12;
	}
}

/* What a trace of a Debian program gave. */
struct debian_run {
	uint64_t under; /* on-CPU samples under the stage */
	uint64_t rooted; /* on-CPU samples reaching main or a thread start */
	uint64_t total; /* on-CPU samples */
	uint64_t off_rooted, off_total; /* off-CPU us, likewise */
	bool chose_dwarf; /* pipetrace said it chose --call-graph dwarf */
};

/*
 * A program of Debian's, not built for pipetrace (no frame pointers in
 * its libraries): BIN ARGS on a 4 MiB text file, stage SPEC, stacks on and
 * off CPU, with --call-graph CG (NULL: pipetrace's choice).
 */
static struct debian_run trace_debian_cg(const char *bin, const char *spec,
					 const char *stage, const char *arg,
					 bool addresses, const char *cg)
{
	char text[64], on[64], off[64], *o = NULL, *e = NULL;
	char *argv[] = { PTEST_PIPETRACE,
			 "-F",
			 "499",
			 "-s",
			 (char *)spec,
			 "--folded",
			 on,
			 "--folded-offcpu",
			 off,
			 addresses ? "--addresses" : "-v",
			 "--",
			 (char *)bin,
			 (char *)arg,
			 "-c",
			 text,
			 NULL,
			 NULL,
			 NULL };
	struct debian_run r = { 0 };
	struct pt_folded *f, *g;

	if (cg) {
		memmove(&argv[12], &argv[10], 6 * sizeof(argv[0]));
		argv[10] = "--call-graph";
		argv[11] = (char *)cg;
	}
	make_text(text, sizeof(text), 4u << 20);
	ptest_tmp_path(on, sizeof(on), ".folded");
	ptest_tmp_path(off, sizeof(off), ".off.folded");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	f = load(on);
	g = load(off);
	show_top(f, 3);
	show_own(e);
	/* --addresses: unnamed code by offset again */
	assert_true((check_frames_rooted(f, "on-CPU", addresses, &r.rooted) >
		     0) == addresses);
	check_frames_rooted(g, "off-CPU (us)", addresses, &r.off_rooted);
	r.off_total = pt_folded__total(g);
	r.under = count_under(f, stage, NULL);
	r.total = pt_folded__total(f);
	r.chose_dwarf = strstr(e, "call graph: dwarf") != NULL;
	pt_folded__free(f);
	pt_folded__free(g);
	unlink(text);
	unlink(on);
	unlink(off);
	free(o);
	free(e);
	return r;
}

static uint64_t trace_debian(const char *bin, const char *spec,
			     const char *stage, const char *arg, bool addresses)
{
	return trace_debian_cg(bin, spec, stage, arg, addresses, NULL).under;
}

#define REQUIRE_BINARY(path)                                       \
	do {                                                       \
		if (access(path, X_OK)) {                          \
			print_message("[  SKIP    ] no %s; run "   \
				      "scripts/install-deps.sh\n", \
				      path);                       \
			skip();                                    \
		}                                                  \
	} while (0)

/* Whether at least 90% of a run's on-CPU samples reach main or a thread's
 * start (printed). */
static bool mostly_rooted(const struct debian_run *r, const char *what)
{
	print_message(
		"  %s: %.1f%% of %llu on-CPU samples reach main or a thread start\n",
		what,
		r->total ? 100.0 * (double)r->rooted / (double)r->total : 0,
		(unsigned long long)r->total);
	return r->total >= 100 && r->rooted * 10 >= r->total * 9;
}

/* The same for the off-CPU time (a stack at every switch-out), of which
 * there must be 100 ms at least (pigz's threads wait for each other). */
static bool mostly_rooted_off(const struct debian_run *r)
{
	return r->off_total >= 100000 && r->off_rooted * 10 >= r->off_total * 9;
}

/* xz -9 (liblzma without frame pointers): stacks free of the tracer's
 * frames, of offsets and of [heap]/[anon]/[stack] walk artefacts; by
 * default unwound by CFI (pipetrace sees liblzma without frame pointers)
 * to main's caller in 90% of the samples or more. The frame-pointer walk
 * is cut in liblzma: fewer reach main. */
static void test_debian_xz(void **state)
{
	struct debian_run dw, fp;

	PTEST_REQUIRE_TRACING();
	REQUIRE_BINARY("/usr/bin/xz");
	dw = trace_debian_cg("/usr/bin/xz", "liblzma.so.5:lzma_code",
			     "lzma_code", "-9", false, NULL);
	assert_true(dw.under > 0);
	assert_true(dw.chose_dwarf);
	assert_true(mostly_rooted(&dw, "xz, default (dwarf)"));
	fp = trace_debian_cg("/usr/bin/xz", "liblzma.so.5:lzma_code",
			     "lzma_code", "-9", false, "fp");
	mostly_rooted(&fp, "xz, --call-graph fp");
	assert_true(fp.under > 0);
	assert_true(fp.rooted * dw.total < dw.rooted * fp.total);
}

/* pigz -9 (threads, zlib): the same, each thread's stacks from
 * start_thread, on CPU and off (90% of the time its threads wait); then
 * with --addresses, unnamed code is by offset again. */
static void test_debian_pigz(void **state)
{
	struct debian_run dw;

	PTEST_REQUIRE_TRACING();
	REQUIRE_BINARY("/usr/bin/pigz");
	dw = trace_debian_cg("/usr/bin/pigz", "libz.so.1:deflate", "deflate",
			     "-9", false, "dwarf");
	assert_true(dw.under > 0);
	assert_true(mostly_rooted(&dw, "pigz, --call-graph dwarf"));
	assert_true(mostly_rooted_off(&dw));
	assert_true(trace_debian("/usr/bin/pigz", "libz.so.1:deflate",
				 "deflate", "-9", true) > 0);
}

/* The frames from main to libc's formatter under stage_sink, run_single
 * and sink_format inlined (perf --no-inline shows them that way), or
 * expanded (pipetrace names inlined functions from DWARF). */
static const char *const sink_inlined[] = { "main", "stage_sink", "__snprintf",
					    "__vfprintf_internal", NULL };
static const char *const sink_expanded[] = {
	"main",	      "run_single",	     "stage_sink", "sink_format",
	"__snprintf", "__vfprintf_internal", NULL
};

/* Samples of F whose first frame is FIRST that are under stage_sink (the
 * stage, or a frame) and hold __vfprintf_internal (into *all), and of
 * them those whose frames hold CHAIN in its order. */
static uint64_t sink_chains(const struct pt_folded *f, const char *first,
			    const char *const *chain, uint64_t *all)
{
	const char *const *fr;
	uint64_t c, whole = 0;
	size_t i, k, nf, at;

	*all = 0;
	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		bool has = false, sink;

		pt_folded__stack(f, i, &fr, &nf, &c);
		if (strcmp(fr[0], first))
			continue;
		/* pipetrace's lines start with the stage */
		sink = !strcmp(first, "stage_sink");
		for (k = 1, at = 0; k < nf; k++) {
			has |= !strcmp(fr[k], "__vfprintf_internal");
			sink |= !strcmp(fr[k], "stage_sink");
			if (chain[at] && !strcmp(fr[k], chain[at]))
				at++;
		}
		*all += has && sink ? c : 0;
		whole += has && sink && !chain[at] ? c : 0;
	}
	return whole;
}

/* refpipe's sink formats with snprintf, in Debian's libc (no frame
 * pointers): by CFI its samples in __vfprintf_internal lead back through
 * sink_format and stage_sink to run_single and main; the frame-pointer
 * walk skips from the stage to libc's leaf. */
static void test_refpipe_sink_through_libc(void **state)
{
	char path[64], *o = NULL, *e = NULL;
	char *argv[] = {
		PTEST_PIPETRACE, "-F", "997", "--folded",    path,
		"--call-graph",	 NULL, "--",  PTEST_REFPIPE, "--records",
		"400000",	 NULL
	};
	static const char *const cgs[] = { "dwarf", "fp" };
	uint64_t whole[2], all[2];
	struct pt_folded *f;
	size_t i;

	PTEST_REQUIRE_TRACING();
	for (i = 0; i < 2; i++) {
		argv[6] = (char *)cgs[i];
		ptest_tmp_path(path, sizeof(path), ".folded");
		ptest_run_ok(argv, TIMEOUT, &o, &e);
		f = load(path);
		whole[i] = sink_chains(f, "stage_sink", sink_expanded, &all[i]);
		print_message(
			"  --call-graph %s: %llu of %llu stage_sink samples in __vfprintf_internal show main;run_single;stage_sink;sink_format;__snprintf\n",
			cgs[i], (unsigned long long)whole[i],
			(unsigned long long)all[i]);
		pt_folded__free(f);
		unlink(path);
		free(o);
		free(e);
		o = e = NULL;
	}
	assert_true(all[0] >= 20);
	assert_true(whole[0] * 10 >= all[0] * 9);
	assert_true(all[1] > 0);
	assert_true(whole[1] * 10 < all[1] * 9);
}

/* Appends perf script's frame line L ("\t ADDR SYM") to the stack
 * being built, kernel addresses left out. */
static void perf_frame(char *l, const char **fr, size_t *n, size_t max)
{
	unsigned long long addr;
	char *sym;

	addr = strtoull(l, &sym, 16);
	while (*sym == ' ')
		sym++;
	if (!*sym || addr >= 0xffff800000000000ull || *n >= max)
		return;
	fr[(*n)++] = sym;
}

/* perf script's samples (-F ip,sym --no-inline: frames leaf first, one
 * a line, a blank line after each sample) as folded stacks under the
 * frame "perf", root first. */
static struct pt_folded *perf_folded(char *out)
{
	const char *fr[PERF_DEPTH + 1], *rev[PERF_DEPTH + 1];
	struct pt_folded *f;
	char *l, *next;
	size_t n = 0, k;

	assert_int_equal(pt_folded__new(&f), 0);
	for (l = out; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (*l) {
			perf_frame(l, fr, &n, PERF_DEPTH);
			continue;
		}
		rev[0] = "perf";
		for (k = 0; k < n; k++)
			rev[k + 1] = fr[n - 1 - k];
		if (n)
			assert_int_equal(pt_folded__add(f, rev, n + 1, 1), 0);
		n = 0;
	}
	return f;
}

/* Cross-check with perf record --call-graph dwarf on the same workload:
 * its stage_sink samples in __vfprintf_internal show the same chain from
 * main in 90% of them or more, as pipetrace's do. */
static void test_refpipe_sink_perf_agrees(void **state)
{
	char data[64], *o = NULL, *e = NULL;
	char *rec[] = { "/usr/bin/perf",
			"record",
			"--call-graph",
			"dwarf",
			"-e",
			"cpu-clock",
			"-F",
			"997",
			"-o",
			data,
			"--",
			PTEST_REFPIPE,
			"--records",
			"400000",
			NULL };
	char *script[] = { "/usr/bin/perf", "script",	   "-i", data, "-F",
			   "ip,sym",	    "--no-inline", NULL };
	struct pt_folded *f;
	uint64_t whole, all;

	REQUIRE_BINARY("/usr/bin/perf");
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(data, sizeof(data), ".perf.data");
	ptest_run_ok(rec, TIMEOUT, NULL, NULL);
	ptest_run_ok(script, TIMEOUT, &o, &e);
	f = perf_folded(o);
	whole = sink_chains(f, "perf", sink_inlined, &all);
	print_message(
		"  perf --call-graph dwarf: %llu of %llu stage_sink samples in __vfprintf_internal show main;stage_sink;__snprintf (inlined frames not shown)\n",
		(unsigned long long)whole, (unsigned long long)all);
	assert_true(all >= 20);
	assert_true(whole * 10 >= all * 9);
	pt_folded__free(f);
	unlink(data);
	free(o);
	free(e);
}

/* ------------------------------------------ top stacks against perf's */

#define TOP_STACKS 10
#define TOP_MIN_PERMILLE 10 /* a top stack below 1% of samples is noise */

/* A fixed 3 MB input for xz: text from a fixed pseudo-random sequence
 * (slow to compress, the same every run). */
static void write_xz_input(const char *path)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789 \n";
	FILE *f = fopen(path, "w");
	uint64_t x = 88172645463325252ull;
	size_t i;

	assert_non_null(f);
	for (i = 0; i < 3u << 20; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fputc(digits[x % (sizeof(digits) - 1)], f);
	}
	assert_int_equal(fclose(f), 0);
}

/* perf script's frame line L ("\t ADDR SYM (DSO)") as pipetrace names
 * frames: a symbol without its version ("__libc_start_main@@GLIBC_2.34"),
 * code without one by its object's file name (*unnamed). NULL for a
 * kernel frame. */
static const char *perf_name(char *l, bool *unnamed)
{
	unsigned long long addr;
	char *sym, *dso, *at;

	addr = strtoull(l, &sym, 16);
	while (*sym == ' ')
		sym++;
	if (!*sym || addr >= 0xffff800000000000ull)
		return NULL;
	dso = strrchr(sym, '(');
	if (!dso || dso == sym)
		return NULL;
	dso[-1] = '\0';
	*strchrnul(dso, ')') = '\0';
	*unnamed = !strcmp(sym, "[unknown]");
	if (*unnamed)
		return strrchr(dso, '/') ? strrchr(dso, '/') + 1 : dso + 1;
	at = strchr(sym, '@');
	if (at)
		*at = '\0';
	return sym;
}

/* perf script -F ip,sym,dso --no-inline (frames leaf first, a blank line
 * after each sample) as user stacks, root first, runs of unnamed frames
 * of one object merged (as pipetrace merges them). */
static struct pt_folded *perf_user_stacks(char *out)
{
	const char *fr[PERF_DEPTH], *rev[PERF_DEPTH];
	bool unnamed[PERF_DEPTH];
	struct pt_folded *f;
	char *l, *next;
	size_t n = 0, k, m;

	assert_int_equal(pt_folded__new(&f), 0);
	for (l = out; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (*l) {
			const char *name = perf_name(l, &unnamed[n]);

			if (name && n < PERF_DEPTH)
				fr[n++] = name;
			continue;
		}
		for (k = 0, m = 0; k < n; k++) {
			size_t i = n - 1 - k;

			if (m && unnamed[i] && !strcmp(rev[m - 1], fr[i]))
				continue;
			rev[m++] = fr[i];
		}
		if (m)
			assert_int_equal(pt_folded__add(f, rev, m, 1), 0);
		n = 0;
	}
	return f;
}

/* pipetrace's on-CPU stacks without their stage frame and kernel frames:
 * the user stacks perf's are compared with. */
static struct pt_folded *pt_user_stacks(const struct pt_folded *f)
{
	const char *const *fr;
	const char *user[PERF_DEPTH];
	struct pt_folded *u;
	size_t i, k, nf, m;
	uint64_t c;

	assert_int_equal(pt_folded__new(&u), 0);
	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		for (k = 1, m = 0; k < nf && m < PERF_DEPTH; k++) {
			size_t len = strlen(fr[k]);

			if (len < 4 || strcmp(fr[k] + len - 4, "_[k]"))
				user[m++] = fr[k];
		}
		if (m)
			assert_int_equal(pt_folded__add(u, user, m, c), 0);
	}
	return u;
}

/* The count of the stack equal to FR[0..N) in F (0 if none). */
static uint64_t count_of(const struct pt_folded *f, const char *const *fr,
			 size_t n)
{
	const char *const *g;
	size_t i, k, ng;
	uint64_t c;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &g, &ng, &c);
		for (k = 0; k < n && ng == n && !strcmp(g[k], fr[k]); k++)
			;
		if (ng == n && k == n)
			return c;
	}
	return 0;
}

/* The I-th heaviest stack of F (ties: first added first). */
static size_t nth_heaviest(const struct pt_folded *f, size_t nth)
{
	size_t i, j, best = SIZE_MAX, rank;
	uint64_t c, d;
	const char *const *fr;
	size_t nf;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		pt_folded__stack(f, i, &fr, &nf, &c);
		for (j = 0, rank = 0; j < pt_folded__nr_stacks(f); j++) {
			pt_folded__stack(f, j, &fr, &nf, &d);
			rank += d > c || (d == c && j < i);
		}
		if (rank == nth)
			best = i;
	}
	return best;
}

/* Each of A's ten heaviest stacks with 1% of its samples or more is, frame
 * by frame, a stack of B. Prints them with both shares; returns how many
 * were checked. */
static size_t top_in_other(const struct pt_folded *a, const char *an,
			   const struct pt_folded *b, const char *bn)
{
	const char *const *fr;
	size_t i, nf, checked = 0;
	uint64_t c, in_b;

	for (i = 0; i < TOP_STACKS; i++) {
		size_t at = nth_heaviest(a, i);

		if (at == SIZE_MAX)
			break;
		pt_folded__stack(a, at, &fr, &nf, &c);
		if (c * 1000 < pt_folded__total(a) * TOP_MIN_PERMILLE)
			break;
		in_b = count_of(b, fr, nf);
		print_message(
			"  %s top %zu: %.1f%% (%s: %.1f%%), %zu frames, leaf %s\n",
			an, i + 1, 100.0 * c / pt_folded__total(a), bn,
			100.0 * in_b / pt_folded__total(b), nf, fr[nf - 1]);
		assert_true(in_b > 0);
		checked++;
	}
	return checked;
}

/*
 * xz -9 on a fixed file, sampled by perf record --call-graph dwarf and by
 * pipetrace --call-graph dwarf at the same rate: the ten heaviest user
 * stacks of each (those holding 1% of its samples or more) are stacks of
 * the other, frame for frame. Exact: every frame's name, the order, the
 * depth. Tolerance, and why: kernel frames are left out (pipetrace drops
 * its own probe machinery there, and perf's are sampled on other paths);
 * pipetrace's first frame, the stage, is dropped; perf's unnamed frames
 * are named by object and merged in runs, symbol versions cut, as
 * pipetrace names them (not a guess: the same rule); frames inlined are
 * not shown by either (liblzma and libc have no DWARF here, perf runs with
 * --no-inline). Stacks under 1% of the samples may be missing from the
 * other run: two runs sample different instants.
 */
static void test_xz_top_stacks_agree_with_perf(void **state)
{
	char in[64], data[64], folded[64], *o = NULL, *e = NULL;
	char *rec[] = {
		"/usr/bin/perf", "record", "-q",  "--call-graph", "dwarf", "-e",
		"cpu-clock",	 "-F",	   "997", "-o",		  data,	   "--",
		"/usr/bin/xz",	 "-9",	   "-T1", "-c",		  in,	   NULL
	};
	char *script[] = { "/usr/bin/perf", "script",	   "-i", data, "-F",
			   "ip,sym,dso",    "--no-inline", NULL };
	char *pt[] = { PTEST_PIPETRACE,
		       "--call-graph",
		       "dwarf",
		       "-F",
		       "997",
		       "--folded",
		       folded,
		       "-s",
		       "liblzma.so.5:lzma_code",
		       "--",
		       "/usr/bin/xz",
		       "-9",
		       "-T1",
		       "-c",
		       in,
		       NULL };
	struct pt_folded *pf, *raw, *uf;

	REQUIRE_BINARY("/usr/bin/perf");
	REQUIRE_BINARY("/usr/bin/xz");
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(in, sizeof(in), ".xzin");
	ptest_tmp_path(data, sizeof(data), ".perf.data");
	ptest_tmp_path(folded, sizeof(folded), ".folded");
	write_xz_input(in);
	ptest_run_ok(rec, TIMEOUT, &o, &e);
	free(o);
	free(e);
	o = e = NULL;
	ptest_run_ok(script, TIMEOUT, &o, &e);
	pf = perf_user_stacks(o);
	free(o);
	free(e);
	o = e = NULL;
	ptest_run_ok(pt, TIMEOUT, &o, &e);
	raw = load(folded);
	uf = pt_user_stacks(raw);
	print_message("  samples: perf %llu, pipetrace %llu\n",
		      (unsigned long long)pt_folded__total(pf),
		      (unsigned long long)pt_folded__total(uf));
	assert_true(pt_folded__total(pf) >= 500);
	assert_true(pt_folded__total(uf) >= 500);
	assert_true(top_in_other(uf, "pipetrace", pf, "perf") >= 1);
	assert_true(top_in_other(pf, "perf", uf, "pipetrace") >= 1);
	pt_folded__free(pf);
	pt_folded__free(raw);
	pt_folded__free(uf);
	unlink(in);
	unlink(data);
	unlink(folded);
	free(o);
	free(e);
}

/* refpipe with a probe hit per record: the probes' own work is counted
 * apart (and said so), none of its frames is in the stacks. */
static void test_tracer_own(void **state)
{
	char on[64], off[64], *o = NULL, *e = NULL;
	char *argv[] = {
		PTEST_PIPETRACE,   "-F",      "499", "--folded",    on,
		"--folded-offcpu", off,	      "--",  PTEST_REFPIPE, "--records",
		"60000",	   "--batch", "1",   NULL
	};
	unsigned long long own = 0;
	struct pt_folded *f, *g;
	const char *l;

	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(on, sizeof(on), ".folded");
	ptest_tmp_path(off, sizeof(off), ".off.folded");
	ptest_run_ok(argv, TIMEOUT, &o, &e);
	show_own(e);
	l = strstr(e, "tracer's own probe work, not in the stacks: ");
	assert_non_null(l);
	assert_int_equal(sscanf(l,
				"tracer's own probe work, not in the "
				"stacks: %llu on-CPU",
				&own),
			 1);
	assert_true(own > 0);
	f = load(on);
	g = load(off);
	check_frames(f, "on-CPU", false);
	check_frames(g, "off-CPU (us)", false);
	pt_folded__free(f);
	pt_folded__free(g);
	unlink(on);
	unlink(off);
	free(o);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oncpu_features),
		cmocka_unit_test(test_oncpu_go),
		cmocka_unit_test(test_offcpu_fsync),
		cmocka_unit_test(test_kallsyms_after_run),
		cmocka_unit_test(test_stripped_debuglink),
		cmocka_unit_test(test_debian_xz),
		cmocka_unit_test(test_debian_pigz),
		cmocka_unit_test(test_tracer_own),
		cmocka_unit_test(test_refpipe_sink_through_libc),
		cmocka_unit_test(test_refpipe_sink_perf_agrees),
		cmocka_unit_test(test_xz_top_stacks_agree_with_perf),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
