// SPDX-License-Identifier: MIT
/*
 * fuzz_folded.c - libFuzzer harness for pt_folded__add_line() and, on what
 * it accepts, the writers.
 *
 * The input is split into lines, each parsed on its own (and the whole
 * input once as one line). Besides memory safety (ASan/UBSan), it checks:
 * a failed line leaves the set as it was; every stored frame is sanitized
 * (non-empty, no ';', no control character); the counts add up to the
 * total; writing and parsing the output again gives the same output; and
 * the SVG flame graph of the set is well-formed XML (expat).
 *
 * The file reader, pt_folded__read(), gets the input as a file as it is
 * (gzip when it starts with gzip's magic: damaged, truncated or hostile
 * streams) and gzip-compressed: it must fail cleanly or read what the
 * line parser reads, and a plain input must read alike both ways.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <expat.h>
#include <zlib.h>

#include "output/flamegraph.h"
#include "output/folded.h"
#include "fuzz.h"

/* Parse one line; a failure must change nothing. */
static void add_line(struct pt_folded *f, const char *line, size_t len)
{
	size_t n = pt_folded__nr_stacks(f);
	uint64_t total = pt_folded__total(f);
	int err = pt_folded__add_line(f, line, len);

	CHECK(err == 0 || err == -EINVAL || err == -E2BIG ||
	      err == -EOVERFLOW || err == -ENOMEM);
	if (err) {
		CHECK(pt_folded__nr_stacks(f) == n);
		CHECK(pt_folded__total(f) == total);
	} else {
		CHECK(pt_folded__total(f) > total);
	}
}

static void check_sanitized(const struct pt_folded *f)
{
	size_t i, j, k, n;
	const char *const *frames;
	uint64_t count, sum = 0;

	for (i = 0; i < pt_folded__nr_stacks(f); i++) {
		CHECK(pt_folded__stack(f, i, &frames, &n, &count) == 0);
		CHECK(n >= 1 && n <= PT_FOLDED_MAX_FRAMES && count > 0);
		for (j = 0; j < n; j++) {
			CHECK(frames[j][0] != '\0');
			for (k = 0; frames[j][k]; k++) {
				unsigned char c = (unsigned char)frames[j][k];

				CHECK(c != ';' && c >= 0x20 && c != 0x7f);
			}
		}
		CHECK(sum + count >= sum);
		sum += count;
	}
	CHECK(sum == pt_folded__total(f));
	CHECK(pt_folded__stack(f, i, &frames, &n, &count) == -ERANGE);
}

static char *write_text(const struct pt_folded *f, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	CHECK(out);
	CHECK(pt_folded__write(f, out) == 0);
	CHECK(fclose(out) == 0);
	return text;
}

/* Writing, parsing that and writing again gives the same text. */
static void check_round_trip(const struct pt_folded *f)
{
	size_t len, len2, start = 0, i;
	struct pt_folded *again;
	char *text, *text2;

	text = write_text(f, &len);
	CHECK(pt_folded__new(&again) == 0);
	for (i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		CHECK(pt_folded__add_line(again, text + start, i + 1 - start) ==
		      0);
		start = i + 1;
	}
	CHECK(start == len);
	CHECK(pt_folded__nr_stacks(again) == pt_folded__nr_stacks(f));
	CHECK(pt_folded__total(again) == pt_folded__total(f));
	text2 = write_text(again, &len2);
	CHECK(len == len2 && !memcmp(text, text2, len));
	free(text);
	free(text2);
	pt_folded__free(again);
}

static void check_svg(const struct pt_folded *f)
{
	struct pt_flamegraph_opts o = { .title = "fuzz <&>" };
	XML_Parser p;
	char *svg = NULL;
	size_t len = 0;
	FILE *out;

	out = open_memstream(&svg, &len);
	CHECK(out);
	CHECK(pt_flamegraph__write_svg(out, f, &o) == 0);
	CHECK(fclose(out) == 0);
	p = XML_ParserCreate("UTF-8");
	CHECK(p);
	if (XML_Parse(p, svg, (int)len, 1) != XML_STATUS_OK) {
		fprintf(stderr, "SVG not well-formed: %s at line %lu\n",
			XML_ErrorString(XML_GetErrorCode(p)),
			(unsigned long)XML_GetCurrentLineNumber(p));
		abort();
	}
	XML_ParserFree(p);
	free(svg);
}

/* The scratch file's path (one per process, removed at exit). */
static const char *scratch(void)
{
	static char path[64];

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_folded.%d",
			 (int)getpid());
	return path;
}

/* Writes data to the scratch file, gzip-compressed if gz. */
static void write_scratch(const uint8_t *data, size_t size, bool gz)
{
	FILE *f;
	gzFile z;

	if (gz) {
		z = gzopen(scratch(), "wb");
		CHECK(z);
		CHECK(!size ||
		      gzwrite(z, data, (unsigned int)size) == (int)size);
		CHECK(gzclose(z) == Z_OK);
		return;
	}
	f = fopen(scratch(), "wb");
	CHECK(f);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);
}

/* Reads the scratch file into a new set; *out NULL when it failed (then
 * with a message). Returns the error. */
static int read_scratch(struct pt_folded **out)
{
	char err[512] = "";
	int ret;

	CHECK(pt_folded__new(out) == 0);
	ret = pt_folded__read(*out, scratch(), err, sizeof(err));
	if (ret) {
		CHECK(ret < 0 && err[0]);
		pt_folded__free(*out);
		*out = NULL;
	} else {
		check_sanitized(*out);
	}
	return ret;
}

static void check_read(const uint8_t *data, size_t size)
{
	struct pt_folded *raw, *gz;
	int r1, r2;
	bool magic = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	write_scratch(data, size, false);
	r1 = read_scratch(&raw);
	write_scratch(data, size, true);
	r2 = read_scratch(&gz);
	if (!magic) {
		CHECK(!r1 == !r2);
		CHECK(!raw ||
		      (pt_folded__total(raw) == pt_folded__total(gz) &&
		       pt_folded__nr_stacks(raw) == pt_folded__nr_stacks(gz)));
	}
	pt_folded__free(raw);
	pt_folded__free(gz);
}

static void remove_scratch(void)
{
	unlink(scratch());
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	atexit(remove_scratch);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t i, start = 0;
	struct pt_folded *f;

	CHECK(pt_folded__new(&f) == 0);
	for (i = 0; i < size; i++) {
		if (text[i] != '\n')
			continue;
		add_line(f, text + start, i + 1 - start);
		start = i + 1;
	}
	if (start < size)
		add_line(f, text + start, size - start);
	add_line(f, text, size);
	check_sanitized(f);
	check_round_trip(f);
	check_svg(f);
	pt_folded__free(f);
	check_read(data, size);
	return 0;
}
