// SPDX-License-Identifier: MIT
/*
 * test_sinks.c - golden outputs: a fixed snapshot (golden_fixture.h, no
 * BPF) through each report sink must give exactly the text stored in
 * tests/unit/golden/. A difference prints the first differing line of
 * each. To accept a deliberate change, regenerate the files with
 * PT_GOLDEN_WRITE=1 and review the diff.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "golden_fixture.h"
#include "lib/paths.h"
#include "output/sink.h"
#include "report/report.h"

#define GOLDEN_DIR PT_SOURCE_DIR "/tests/unit/golden/"

/* The whole file at path, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "r"), *out;
	int c;

	if (!in)
		return NULL;
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fclose(out);
	return buf;
}

/* Fails with the first line where got and want differ. */
static void assert_same_text(const char *got, const char *want,
			     const char *name)
{
	const char *g = got, *w = want, *ge, *we;
	int line = 1;

	while (*g || *w) {
		ge = strchrnul(g, '\n');
		we = strchrnul(w, '\n');
		if (ge - g != we - w || memcmp(g, w, (size_t)(ge - g)))
			fail_msg(
				"%s differs at line %d:\n  got:  %.*s\n  want: %.*s",
				name, line, (int)(ge - g), g, (int)(we - w), w);
		g = *ge ? ge + 1 : ge;
		w = *we ? we + 1 : we;
		line++;
	}
}

/* Runs format's sink over the golden snapshot (taken with --syscalls light
 * if light, with libc I/O probes if libc_io) into memory. */
static char *through_sink_libc(const char *format, bool light, bool libc_io)
{
	static struct golden g;
	struct pt_snapshot snap;
	struct pt_report rep;
	struct pt_sink s = { 0 };
	char *buf = NULL;
	size_t len = 0;

	golden_snapshot(&g, &snap);
	snap.sys_light = light;
	snap.libc_io = libc_io;
	assert_int_equal(pt_report__build(&rep, &snap), 0);
	s.fmt = pt_sink_format__find(format);
	assert_non_null(s.fmt);
	s.f = open_memstream(&buf, &len);
	assert_non_null(s.f);
	s.stages = snap.stages;
	assert_int_equal(s.fmt->open ? s.fmt->open(&s) : 0, 0);
	assert_int_equal(s.fmt->finish(&s, &rep), 0);
	if (s.fmt->close)
		s.fmt->close(&s);
	fclose(s.f);
	pt_report__free(&rep);
	return buf;
}

static char *through_sink_mode(const char *format, bool light)
{
	return through_sink_libc(format, light, false);
}

static char *through_sink(const char *format)
{
	return through_sink_mode(format, false);
}

static void check_golden(const char *format, const char *file)
{
	char path[512], *got = through_sink(format), *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", GOLDEN_DIR, file);
	if (getenv("PT_GOLDEN_WRITE")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	if (!want)
		fail_msg("cannot read %s", path);
	assert_same_text(got, want, path);
	free(got);
	free(want);
}

static void test_table_golden(void **state)
{
	check_golden("table", "table.txt");
}

static void test_json_golden(void **state)
{
	check_golden("json", "report.json");
}

/*
 * Under the header line that starts with `head` in the table text, the
 * `right` right-aligned headings after the first `left` words each end in
 * the column where each row's field of that place ends: the header and rows
 * line up, in the `rows` lines under it.
 */
static void check_aligned(const char *text, const char *head, int left,
			  int right, size_t rows)
{
	const char *h = strstr(text, head), *row, *e;
	size_t col, n = 0;
	int word;

	assert_non_null(h);
	row = strchr(h, '\n') + 1;
	for (; *row && n < rows; row = *e ? e + 1 : e, n++) {
		e = strchrnul(row, '\n');
		word = 0;
		for (col = 0; h[col] && h[col] != '\n'; col++) {
			bool end = h[col] != ' ' &&
				   (h[col + 1] == ' ' || h[col + 1] == '\n');

			if (!end || word++ < left || word > left + right ||
			    (long)col >= e - row)
				continue;
			if (row[col] == ' ' ||
			    (row + col + 1 < e && row[col + 1] != ' '))
				fail_msg(
					"%.*s\nunder %.*s: column %zu does not end a field",
					(int)(e - row), row,
					(int)(strchrnul(h, '\n') - h), h, col);
		}
	}
	assert_int_equal(n, rows);
}

/* Issue 12: headings over their columns, in the stage, split and thread
 * tables of the golden report. */
static void test_table_aligned(void **state)
{
	char *got = through_sink("table");

	check_aligned(got, "STAGE                        CALLS", 1, 13, 3);
	/* SELF to OTH%; SPLIT and VERDICT are left-aligned. */
	check_aligned(got, "STAGE                         SELF", 1, 8, 3);
	/* TID and THREAD are left-aligned, NOTE the free text after OTH%. */
	check_aligned(got, "TID      THREAD", 2, 9, 3);
	free(got);
}

/* Issue 15: what --syscalls light cannot see is unknown, not 0: user, sys,
 * io_cpu and fsyncs null in JSON (on_cpu still there), '-' in the table. */
static void test_light_unknown(void **state)
{
	char *json = through_sink_mode("json", true);
	char *table = through_sink_mode("table", true);
	const char *row;

	assert_non_null(strstr(json, "\"user\":null"));
	assert_non_null(strstr(json, "\"sys\":null"));
	assert_non_null(strstr(json, "\"io_cpu\":null"));
	assert_non_null(strstr(json, "\"fsyncs\":null"));
	assert_null(strstr(json, "\"io_cpu\":600000"));
	/* user + sys of stage_parse, the bias taken out */
	assert_non_null(strstr(json, "\"on_cpu\":"));
	/* stage_parse: CPU% known, SYS% and IOC% not. */
	row = strstr(table, "\nstage_parse  ");
	assert_non_null(row);
	assert_non_null(strstr(row, " 79.2     -     -  20.8 "));
	free(json);
	free(table);
}

/* --syscalls light with libc I/O probes: io_cpu (a share of the on-CPU
 * time) and fsyncs known, user and sys still not; io_cpu makes the
 * verdict's io. */
static void test_light_libc_io(void **state)
{
	char *json = through_sink_libc("json", true, true);
	char *table = through_sink_libc("table", true, true);
	const char *row;

	assert_non_null(strstr(json, "\"user\":null"));
	assert_non_null(strstr(json, "\"sys\":null"));
	assert_non_null(strstr(json, "\"io_cpu\":600000"));
	assert_null(strstr(json, "\"io_cpu\":null"));
	assert_null(strstr(json, "\"fsyncs\":null"));
	/* stage_parse: SYS% unknown, IOC% 600000 of 5.05 ms. */
	row = strstr(table, "\nstage_parse  ");
	assert_non_null(row);
	assert_non_null(strstr(row, " 79.2     -  11.9  20.8 "));
	assert_non_null(strstr(table, "the part of it in libc I/O calls"));
	free(json);
	free(table);
}

/* The comparison itself can fail: one changed figure is caught. */
static void test_golden_detects_change(void **state)
{
	static struct golden g;
	struct pt_snapshot snap;
	struct pt_report rep;
	char *buf = NULL, *want;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	golden_snapshot(&g, &snap);
	g.tot[1].calls++;
	assert_int_equal(pt_report__build(&rep, &snap), 0);
	assert_int_equal(pt_report__write_table(f, &rep), 0);
	fclose(f);
	want = slurp(GOLDEN_DIR "table.txt");
	assert_non_null(want);
	assert_string_not_equal(buf, want);
	pt_report__free(&rep);
	free(buf);
	free(want);
}

/* Every format in the table has a name and a finish, and is found. */
static void test_formats(void **state)
{
	const char *names[] = { "table", "json", "events", "folded",
				"folded-offcpu" };
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct pt_sink_format *f = pt_sink_format__find(names[i]);

		assert_non_null(f);
		assert_non_null(f->finish);
		assert_non_null(strstr(pt_sink_format__names(buf, sizeof(buf)),
				       names[i]));
	}
	assert_null(pt_sink_format__find("xml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_golden),
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_golden_detects_change),
		cmocka_unit_test(test_table_aligned),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_light_unknown),
		cmocka_unit_test(test_light_libc_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
