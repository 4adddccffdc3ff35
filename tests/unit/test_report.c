// SPDX-License-Identifier: MIT
/* test_report.c - the report's numbers, its JSON shape and atomic saving. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json.h>
#include <math.h>

#include "collect/tracer.h"
#include "output/sink.h"
#include "report/pipeline.h"
#include "report/report.h"

/* Two stages: one with items, one without; totals built by hand. */
struct fixture {
	struct pt_stage st[2];
	struct pt_stage_set set;
	struct pt_totals tot[2];
	struct pt_snapshot snap;
	struct pt_report rep;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint64_t v;
	int i;

	if (!f)
		return -1;
	f->st[0] = (struct pt_stage){ .name = "stage_parse",
				      .object = "/opt/refpipe",
				      .items = PT_ITEMS_S64,
				      .annotated = true };
	f->st[1] = (struct pt_stage){ .name = "write",
				      .object = "/usr/lib/libc.so.6",
				      .items = PT_ITEMS_NONE };
	f->set = (struct pt_stage_set){ .v = f->st, .n = 2 };
	/* stage 0: 100 calls of 1000..100000 ns step 1000 */
	for (i = 1; i <= 100; i++) {
		v = (uint64_t)i * 1000;
		f->tot[0].hist[pt_hist_bucket(v)]++;
		f->tot[0].lat_sum_ns += v;
	}
	/* and one more that carried the kernel's uprobe setup: counted, but
	 * not in the latency figures */
	f->tot[0].calls = 101;
	f->tot[0].bias_ns = 100 * 1500; /* the push class's, per call */
	f->tot[0].setup_calls = 1;
	f->tot[0].setup_ns = 900000;
	f->tot[0].items = 12345;
	f->tot[0].wall_ns = f->tot[0].lat_sum_ns;
	f->tot[0].min_ns = 1000;
	f->tot[0].max_ns = 100000;
	f->tot[1].calls = 0;
	f->snap.pid = 42;
	f->snap.command = "refpipe --records \"10\"";
	f->snap.stages = &f->set;
	f->snap.totals = f->tot;
	f->snap.duration_ns = 2000000000ull;
	f->snap.lost[PT_LOST_UNMATCHED] = 3;
	f->snap.calibrated = true;
	f->snap.bias_ns[PT_PROBE_PUSH] = 1500;
	f->snap.bias_ns[PT_PROBE_STEP] = 4000;
	f->snap.tail_ns[PT_PROBE_PUSH] = 500;
	f->st[1].probe_class = PT_PROBE_STEP;
	if (pt_report__build(&f->rep, &f->snap))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pt_report__free(&f->rep);
	free(f);
	return 0;
}

static void test_numbers(void **state)
{
	struct fixture *f = *state;
	const struct pt_stage_report *r = &f->rep.rows[0];

	assert_int_equal(f->rep.lost_total, 3);
	/* 50500 over the 100 timed calls, less the probe's tail (500) off
	 * each; the 1000 ns call (min) would read 500: kept at min, +5. */
	assert_true(labs((long)r->mean_ns - 50005) <= 1);
	/* Nearest rank: p50 is the 50th value (50000), p95 the 95th. */
	assert_true(labs((long)r->p50_ns - 50000) <= 50000 / 128);
	assert_true(labs((long)r->p95_ns - 95000) <= 95000 / 128);
	assert_true(labs((long)r->p99_ns - 99000) <= 99000 / 128);
	/* 101 calls in 2 s; 5.05 ms of wall in 2 s. */
	assert_true(r->calls_per_s == 50.5);
	assert_true(r->items_per_s == 12345 / 2.0);
	assert_true(fabs(r->concurrency - 5050000 / 2e9) < 1e-12);
	/* An idle stage has zeros, not garbage. */
	assert_int_equal(f->rep.rows[1].mean_ns, 0);
	assert_int_equal(f->rep.rows[1].p99_ns, 0);
}

/* A stage's pipe waits are part of its io: the report model keeps them
 * within it, in proportion, and passes the waits outside stages through. */
static void test_pipe_waits_within_io(void **state)
{
	struct fixture *f = *state;
	uint64_t(*w)[2] = calloc(PT_MAX_STAGES + 1, sizeof(*w));
	struct pt_pipeline pl = { 0 };
	struct pt_report rep;
	const struct pt_stage_report *row;

	assert_non_null(w);
	assert_false(f->rep.pipe_waits); /* none collected */
	f->tot[0].time.part_ns[PT_PART_IO] = 600;
	/* on CPU enough to hold the probes' cost taken off (bias_ns) */
	f->tot[0].time.part_ns[PT_PART_USER] = 1000000;
	f->tot[1].time.part_ns[PT_PART_IO] = 900;
	w[0][0] = 600; /* 900 of waits in 600 of io */
	w[0][1] = 300;
	w[1][0] = 100; /* within its io: kept as it is */
	w[1][1] = 200;
	w[PT_MAX_STAGES][0] = 7000;
	w[PT_MAX_STAGES][1] = 11;
	pl.stage_wait_ns = (const uint64_t(*)[2])w;
	pl.nstage_wait = PT_MAX_STAGES + 1;
	f->snap.pipeline = &pl;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_true(rep.pipe_waits);
	row = &rep.rows[0];
	assert_int_equal(row->part_ns[PT_PART_IO], 600);
	assert_int_equal(row->pipe_wait_ns[0], 400);
	assert_int_equal(row->pipe_wait_ns[1], 200);
	assert_int_equal(rep.rows[1].pipe_wait_ns[0], 100);
	assert_int_equal(rep.rows[1].pipe_wait_ns[1], 200);
	assert_int_equal(rep.outside_pipe_wait_ns[0], 7000);
	assert_int_equal(rep.outside_pipe_wait_ns[1], 11);
	pt_report__free(&rep);
	f->snap.pipeline = NULL;
	free(w);
}

static char *capture(int (*write)(FILE *, const struct pt_report *),
		     const struct pt_report *r);

/* A stage whose probes' calibrated cost, taken off each call (its nested
 * stages', its own least), left a call at 0 ns: its min and percentiles are
 * not known ("-", null), its mean is. */
static void test_nested_over_taken(void **state)
{
	struct fixture *f = *state;
	struct pt_report rep;
	char *text;

	f->tot[0].time.nest_ns = 5000;
	f->tot[0].min_ns = 0;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_false(rep.rows[0].pct_known);
	assert_true(rep.rows[1].pct_known); /* no nested stages */
	text = capture(pt_report__write_table, &rep);
	assert_non_null(strstr(
		text,
		"stage_parse: min and percentiles not shown: the probes' calibrated cost taken off (its own, its nested stages') was more than some calls paid\n"));
	free(text);
	pt_report__free(&rep);
	f->tot[0].min_ns = 1; /* one call above 0: known */
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_true(rep.rows[0].pct_known);
	pt_report__free(&rep);
	/* Its own probes' least alone (no nested stage) can do it too. */
	f->tot[0].time.nest_ns = 0;
	f->tot[0].min_ns = 0;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_false(rep.rows[0].pct_known);
	pt_report__free(&rep);
}

static json_object *get(json_object *o, const char *key, json_type type);

/* The stage's latency in JSON, and its stage object, from the report. */
static json_object *stage_json(const struct pt_report *r, size_t i,
			       json_object **root)
{
	char *text = capture(pt_report__write_json, r);
	json_object *st;

	*root = json_tokener_parse(text);
	free(text);
	assert_non_null(*root);
	st = json_object_array_get_idx(get(*root, "stages", json_type_array),
				       i);
	assert_non_null(st);
	return st;
}

/* Probes costing more than a stage's calls and own time: its mean and self
 * are not known, "-" and null, never 0, and a note says which and why. */
static void test_mean_and_self_over_taken(void **state)
{
	struct fixture *f = *state;
	struct pt_totals *t = &f->tot[0];
	struct pt_totals keep = *t;
	struct pt_report rep;
	json_object *root, *st, *lat;
	char *text;

	memset(t->hist, 0, sizeof(t->hist));
	t->hist[0] = 100; /* 100 calls left at 0 ns by the least taken */
	t->lat_sum_ns = t->min_ns = t->max_ns = 0;
	t->time.part_ns[PT_PART_USER] = 40000; /* less than bias_ns's 150000 */
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_false(rep.rows[0].mean_known);
	assert_false(rep.rows[0].self_known);
	assert_true(rep.rows[1].self_known); /* no time at all: known 0 */
	text = capture(pt_report__write_table, &rep);
	assert_non_null(strstr(
		text,
		"stage_parse: min and percentiles, mean and own time not shown: the probes' calibrated cost taken off (its own, its nested stages') was more than the stage paid\n"));
	free(text);
	st = stage_json(&rep, 0, &root);
	lat = get(st, "latency_ns", json_type_object);
	assert_true(json_object_object_get_ex(lat, "mean", NULL));
	assert_null(json_object_object_get(lat, "mean"));
	assert_true(json_object_object_get_ex(st, "self_ns", NULL));
	assert_null(json_object_object_get(st, "self_ns"));
	json_object_put(root);
	pt_report__free(&rep);
	*t = keep;
}

/* Nested stages' probes costing an outer stage more than its own time left:
 * the cost is in the JSON and a note says to trace it alone. */
static void test_nest_probes_dominate(void **state)
{
	struct fixture *f = *state;
	struct pt_totals *t = &f->tot[0];
	struct pt_report rep;
	json_object *root, *st;
	char *text;

	t->time.part_ns[PT_PART_USER] = 150000 + 300000 + 200000;
	t->time.nest_ns = 300000;
	t->time.nest_tail_ns = 100000;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_int_equal(rep.rows[0].nested_probes_ns, 400000);
	assert_int_equal(rep.rows[0].self_ns, 100000);
	text = capture(pt_report__write_table, &rep);
	assert_non_null(strstr(
		text,
		"stage_parse: its nested stages' probes cost it about 400.0us, more than its own time (100.0us): trace it without its nested stages for its own\n"));
	free(text);
	st = stage_json(&rep, 0, &root);
	assert_int_equal(json_object_get_int64(
				 get(st, "nested_probes_ns", json_type_int)),
			 400000);
	json_object_put(root);
	pt_report__free(&rep);
	t->time.part_ns[PT_PART_USER] = 150000 + 400000 + 500000; /* more */
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	text = capture(pt_report__write_table, &rep);
	assert_null(strstr(text, "its nested stages' probes cost it"));
	free(text);
	pt_report__free(&rep);
	memset(&t->time, 0, sizeof(t->time));
}

/* A live read (-d, -i) reads the wall and the split one after another
 * while calls end: a call ended in between has its time in the split and
 * not in the wall (xz's lzma_code read own 924.55 ms, wall 923.55 ms with
 * -d 1). Own time is wall less nested stages: never above it, and the
 * parts still add up to it; below it they are left alone. */
static void test_self_within_wall(void **state)
{
	struct fixture *f = *state;
	struct pt_totals *t = &f->tot[0];
	const struct pt_stage_report *row;
	struct pt_report rep;
	uint64_t wall = t->wall_ns, user = wall / 2, runq = wall / 4;

	/* the bias (taken from user) and 10% of the wall more */
	t->time.part_ns[PT_PART_USER] = user + t->bias_ns + wall / 10;
	t->time.part_ns[PT_PART_RUNQ] = runq + wall / 4;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	row = &rep.rows[0];
	assert_int_equal(row->self_ns, wall);
	assert_int_equal(pt_sum_parts(row->part_ns), row->self_ns);
	assert_int_equal(row->read_skew_ns, wall / 10);
	/* taken in proportion: the run queue keeps its share of 6/11 */
	assert_true(row->part_ns[PT_PART_USER] < user + wall / 10);
	assert_true(row->part_ns[PT_PART_RUNQ] < runq + wall / 4);
	pt_report__free(&rep);
	t->time.part_ns[PT_PART_USER] = user + t->bias_ns;
	t->time.part_ns[PT_PART_RUNQ] = runq;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	assert_int_equal(rep.rows[0].self_ns, user + runq);
	assert_int_equal(rep.rows[0].read_skew_ns, 0);
	pt_report__free(&rep);
	memset(&t->time, 0, sizeof(t->time));
}

/* The probes' cost taken off call by call, none below min: 90 calls of
 * 100 ns and 10 of 10 us with 1 us more to take off read 90 x 100 (kept at
 * min) + 10 x 9 us over 100 = 990 ns; off the sum, clamped once, it was
 * min (100 ns) for a stage whose slow calls are 99% of its time. */
static void test_mean_call_by_call(void **state)
{
	struct fixture *f = *state;
	struct pt_totals *t = &f->tot[0];
	struct pt_totals keep = *t;
	struct pt_report rep;

	memset(t->hist, 0, sizeof(t->hist));
	t->hist[pt_hist_bucket(100)] = 90;
	t->hist[pt_hist_bucket(10000)] = 10;
	t->lat_sum_ns = 90 * 100 + 10 * 10000;
	t->min_ns = 100;
	t->max_ns = 10000;
	t->bias_ns = 0; /* nothing off yet: bias 1500 + tail 500 to take */
	f->snap.bias_ns[PT_PROBE_PUSH] = 500;
	assert_int_equal(pt_report__build(&rep, &f->snap), 0);
	/* within the 1/128 of the buckets read */
	assert_true(labs((long)rep.rows[0].mean_ns - 990) <= 10000 / 128 / 10);
	assert_true(rep.rows[0].mean_known);
	pt_report__free(&rep);
	f->snap.bias_ns[PT_PROBE_PUSH] = 1500;
	*t = keep;
}

/* Captures an exporter's output in memory. */
static char *capture(int (*write)(FILE *, const struct pt_report *),
		     const struct pt_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(write(f, r), 0);
	fclose(f);
	return buf;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON key '%s' missing", key);
	if (!json_object_is_type(v, type))
		fail_msg("JSON key '%s' has type %s", key,
			 json_type_to_name(json_object_get_type(v)));
	return v;
}

static void test_json_shape(void **state)
{
	struct fixture *f = *state;
	char *text = capture(pt_report__write_json, &f->rep);
	json_object *root = json_tokener_parse(text), *stages, *s, *lat;

	assert_non_null(root);
	assert_string_equal(
		json_object_get_string(get(root, "schema", json_type_string)),
		"pipetrace/1");
	assert_int_equal(json_object_get_int(get(root, "pid", json_type_int)),
			 42);
	/* Escaped and read back unchanged. */
	assert_string_equal(
		json_object_get_string(get(root, "command", json_type_string)),
		"refpipe --records \"10\"");
	assert_int_equal(
		json_object_get_uint64(get(root, "duration_ns", json_type_int)),
		2000000000ull);
	assert_int_equal(
		json_object_get_uint64(get(root, "lost_events", json_type_int)),
		3);
	assert_int_equal(
		json_object_get_uint64(get(get(root, "lost", json_type_object),
					   "unmatched", json_type_int)),
		3);
	assert_int_equal(json_object_get_uint64(get(get(root, "calibration_ns",
							json_type_object),
						    "step", json_type_int)),
			 4000);
	stages = get(root, "stages", json_type_array);
	assert_int_equal(json_object_array_length(stages), 2);

	s = json_object_array_get_idx(stages, 0);
	assert_string_equal(
		json_object_get_string(get(s, "name", json_type_string)),
		"stage_parse");
	assert_string_equal(
		json_object_get_string(get(s, "object", json_type_string)),
		"/opt/refpipe");
	assert_int_equal(json_object_get_uint64(get(s, "calls", json_type_int)),
			 101);
	assert_int_equal(json_object_get_uint64(get(s, "items", json_type_int)),
			 12345);
	assert_int_equal(
		json_object_get_uint64(get(s, "wall_ns", json_type_int)),
		5050000);
	lat = get(s, "latency_ns", json_type_object);
	assert_int_equal(json_object_get_uint64(get(lat, "min", json_type_int)),
			 1000);
	assert_int_equal(
		json_object_get_uint64(get(lat, "mean", json_type_int)),
		f->rep.rows[0].mean_ns);
	assert_int_equal(
		json_object_get_uint64(get(lat, "count", json_type_int)), 100);
	assert_int_equal(
		json_object_get_uint64(get(lat, "setup_calls", json_type_int)),
		1);
	assert_int_equal(
		json_object_get_uint64(get(lat, "setup_ns", json_type_int)),
		900000);
	get(lat, "p50", json_type_int);
	get(lat, "p95", json_type_int);
	get(lat, "p99", json_type_int);
	assert_int_equal(json_object_get_uint64(get(lat, "max", json_type_int)),
			 100000);
	assert_true(json_object_get_double(get(s, "throughput_per_s",
					       json_type_double)) == 50.5);
	assert_int_equal(
		json_object_get_uint64(get(s, "probe_tail_ns", json_type_int)),
		500);
	assert_int_equal(
		json_object_get_uint64(get(s, "probe_bias_ns", json_type_int)),
		1500);
	assert_string_equal(
		json_object_get_string(get(s, "probe_class", json_type_string)),
		"push");

	/* A stage whose return value is not a count has null items. */
	s = json_object_array_get_idx(stages, 1);
	get(s, "items", json_type_null);
	assert_int_equal(
		json_object_get_uint64(get(s, "probe_bias_ns", json_type_int)),
		4000);
	json_object_put(root);
	free(text);
}

static void test_table(void **state)
{
	struct fixture *f = *state;
	char *text = capture(pt_report__write_table, &f->rep);

	assert_non_null(strstr(text, "PID 42"));
	assert_non_null(strstr(text, "stage_parse"));
	/* A stage from another object is labelled with it. */
	assert_non_null(strstr(text, "libc.so.6:write"));
	assert_non_null(strstr(text, "3 unmatched"));
	assert_non_null(strstr(
		text,
		"subtracted per call: push 1.5us (means: 500ns more), step 4.0us (means: 0ns more)"));
	assert_non_null(strstr(
		text,
		"stage_parse: 1 call (900.0us, the kernel's one-time uprobe setup in the process included) is left out of its latency figures"));
	/* A stage with no timed call has no latency figures, not 0ns. */
	{
		const char *w = strstr(text, "libc.so.6:write");
		char row[512];
		int dashes = 0, zeros = 0;

		assert_non_null(w);
		snprintf(row, sizeof(row), "%.*s", (int)strcspn(w, "\n"), w);
		for (char *p = strtok(row, " "); p; p = strtok(NULL, " ")) {
			dashes += !strcmp(p, "-");
			zeros += !strcmp(p, "0ns");
		}
		/* ITEMS, MIN, MEAN, P50, P95, P99, MAX, ITEMS/s; WALL and SELF
		 * are times, 0ns */
		assert_int_equal(dashes, 8);
		assert_int_equal(zeros, 2);
	}
	free(text);
}

/* No stage probed (-s named none in any program traced): the header
 * names no probe cost, rather than ending in a colon with nothing after
 * it. */
static void test_table_no_stage(void **state)
{
	struct pt_stage_set none = { .v = NULL, .n = 0 };
	struct pt_snapshot snap = { .pid = 7, .command = "sh g.sh" };
	struct pt_report rep;
	char *text;

	snap.stages = &none;
	snap.duration_ns = 1000000000ull;
	snap.calibrated = true;
	assert_int_equal(pt_report__build(&rep, &snap), 0);
	text = capture(pt_report__write_table, &rep);
	assert_non_null(strstr(
		text,
		"PID 7 (sh g.sh): traced 1.00s, 0 stages, 0 lost events\n"));
	free(text);
	pt_report__free(&rep);
}

/* The report through a json sink to path: open, finish, commit. */
static int save_json(const char *path, struct fixture *f)
{
	struct pt_sinks ss = { 0 };
	char err[512];
	int ret;

	assert_int_equal(pt_sinks__add(&ss, "json", path, "-o json", err,
				       sizeof(err)),
			 0);
	ret = pt_sinks__open(&ss, &f->set, err, sizeof(err));
	if (!ret)
		ret = pt_sinks__finish(&ss, &f->rep);
	pt_sinks__free(&ss);
	return ret;
}

static void test_save_atomic(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/pt-report-XXXXXX", path[128], *text;
	json_object *root;
	struct stat st;
	FILE *in;
	long n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(save_json(path, f), 0);
	in = fopen(path, "r");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	text = calloc(1, n + 1);
	assert_int_equal(fread(text, 1, n, in), n);
	fclose(in);
	root = json_tokener_parse(text);
	assert_non_null(root);
	json_object_put(root);
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	unlink(path);
	/* Nothing but the report was left behind. */
	assert_int_equal(rmdir(dir), 0);

	/* A missing directory: an error, and no file. */
	assert_int_equal(save_json("/nonexistent-dir/r.json", f), -ENOENT);
	assert_null(pt_sink_format__find("xml"));
}

/* Per-CPU values fold into one total: sums add, a CPU with no calls does
 * not drag the minimum to 0, histograms add bucket by bucket. */
static void test_totals_fold(void **state)
{
	struct pt_stage_stats *cpu = calloc(3, sizeof(*cpu));
	struct pt_stage_time time[3] = { 0 };
	struct pt_totals *t = calloc(1, sizeof(*t));
	int i;

	assert_non_null(cpu);
	assert_non_null(t);
	cpu[0] = (struct pt_stage_stats){ .calls = 2,
					  .items = 10,
					  .wall_ns = 500,
					  .lat_sum_ns = 500,
					  .min_ns = 200,
					  .max_ns = 300,
					  .bias_ns = 40 };
	cpu[0].hist[pt_hist_bucket(200)]++;
	cpu[0].hist[pt_hist_bucket(300)]++;
	/* cpu[1]: idle, all zero. */
	cpu[2] = (struct pt_stage_stats){ .calls = 1,
					  .items = 5,
					  .errors = 1,
					  .wall_ns = 900,
					  .lat_sum_ns = 900,
					  .min_ns = 900,
					  .max_ns = 900,
					  .bias_ns = 20 };
	cpu[2].hist[pt_hist_bucket(900)]++;
	time[0].part_ns[PT_PART_USER] = 400;
	time[2].part_ns[PT_PART_IO] = 700;
	time[2].fsyncs = 3;
	for (i = 0; i < 3; i++)
		pt_totals__add_cpu(t, &cpu[i], &time[i]);
	assert_int_equal(t->calls, 3);
	assert_int_equal(t->items, 15);
	assert_int_equal(t->errors, 1);
	assert_int_equal(t->wall_ns, 1400);
	assert_int_equal(t->bias_ns, 60);
	assert_int_equal(t->min_ns, 200);
	assert_int_equal(t->max_ns, 900);
	assert_int_equal(t->hist[pt_hist_bucket(300)], 1);
	assert_int_equal(t->hist[pt_hist_bucket(900)], 1);
	assert_int_equal(t->time.part_ns[PT_PART_USER], 400);
	assert_int_equal(t->time.part_ns[PT_PART_IO], 700);
	assert_int_equal(t->time.fsyncs, 3);
	/* An idle CPU first still leaves the minimum to the busy ones. */
	memset(t, 0, sizeof(*t));
	pt_totals__add_cpu(t, &cpu[1], &time[1]);
	pt_totals__add_cpu(t, &cpu[2], &time[2]);
	assert_int_equal(t->min_ns, 900);
	free(cpu);
	free(t);
}

static void test_fmt_ns(void **state)
{
	char b[32];

	assert_string_equal(pt_fmt_ns(b, sizeof(b), 812), "812ns");
	assert_string_equal(pt_fmt_ns(b, sizeof(b), 1234), "1.2us");
	assert_string_equal(pt_fmt_ns(b, sizeof(b), 3450000), "3.45ms");
	assert_string_equal(pt_fmt_ns(b, sizeof(b), 2010000000), "2.01s");
}

/* Every lost-event reason of the ABI has a JSON key and words, once:
 * adding a reason without naming it fails here. */
static void test_lost_reasons_named(void **state)
{
	size_t i, j;

	for (i = 0; i < PT_LOST_NR; i++) {
		assert_non_null(pt_lost_reasons[i].key);
		assert_non_null(pt_lost_reasons[i].phrase);
		for (j = 0; j < i; j++)
			assert_string_not_equal(pt_lost_reasons[i].key,
						pt_lost_reasons[j].key);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_shape, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test(test_table_no_stage),
		cmocka_unit_test_setup_teardown(test_save_atomic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_waits_within_io,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_over_taken, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mean_and_self_over_taken,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_within_wall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nest_probes_dominate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mean_call_by_call, setup,
						teardown),
		cmocka_unit_test(test_totals_fold),
		cmocka_unit_test(test_fmt_ns),
		cmocka_unit_test(test_lost_reasons_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
