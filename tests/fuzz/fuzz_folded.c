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
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>

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
	return 0;
}
