// SPDX-License-Identifier: MIT
/*
 * test_flamegraph.c - the SVG flame graph, read back with a real XML parser
 * (expat): well-formed, the frames' titles, widths in proportion to the
 * counts, escaping, colours by kind and by change; `pipetrace flamegraph`'s
 * exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include <expat.h>

#include "cli/cmd.h"
#include "output/flamegraph.h"
#include "output/folded.h"

/* ------------------------------------------------------------ SVG reading */

/* One frame: a <g class="f"> with its title, rect and label. */
struct frame {
	char *title, *label;
	double x, y, w;
	int r, g, b;
};

struct doc {
	struct frame v[256];
	size_t n;
	char *title; /* the text of <text id="title"> */
	char *script;
	bool script_cdata;
	int width, height;
	/* parsing state */
	int frame_depth; /* element depth of the open frame <g>, or 0 */
	int depth;
	char **capture; /* where character data goes, or NULL */
	bool in_script;
};

static const char *attr(const XML_Char **a, const char *name)
{
	for (; *a; a += 2)
		if (!strcmp(a[0], name))
			return a[1];
	return NULL;
}

static void append(char **s, const char *text, int len)
{
	size_t old = *s ? strlen(*s) : 0;

	*s = realloc(*s, old + (size_t)len + 1);
	assert_non_null(*s);
	memcpy(*s + old, text, (size_t)len);
	(*s)[old + (size_t)len] = '\0';
}

static void on_start(void *data, const XML_Char *name, const XML_Char **a)
{
	struct doc *d = data;
	const char *cls = attr(a, "class"), *id = attr(a, "id");
	struct frame *f = d->n ? &d->v[d->n - 1] : NULL;

	d->depth++;
	if (!strcmp(name, "svg")) {
		d->width = atoi(attr(a, "width"));
		d->height = atoi(attr(a, "height"));
	} else if (!strcmp(name, "g") && cls && !strcmp(cls, "f")) {
		assert_true(d->n < sizeof(d->v) / sizeof(d->v[0]));
		d->frame_depth = d->depth;
		f = &d->v[d->n++];
		memset(f, 0, sizeof(*f));
		f->title = strdup("");
		f->label = strdup("");
	} else if (d->frame_depth && !strcmp(name, "title")) {
		d->capture = &f->title;
	} else if (d->frame_depth && !strcmp(name, "text")) {
		d->capture = &f->label;
	} else if (d->frame_depth && !strcmp(name, "rect")) {
		f->x = atof(attr(a, "x"));
		f->y = atof(attr(a, "y"));
		f->w = atof(attr(a, "width"));
		assert_int_equal(sscanf(attr(a, "fill"), "rgb(%d,%d,%d)", &f->r,
					&f->g, &f->b),
				 3);
	} else if (!strcmp(name, "text") && id && !strcmp(id, "title")) {
		d->capture = &d->title;
	} else if (!strcmp(name, "script")) {
		d->in_script = true;
		d->capture = &d->script;
	}
}

static void on_end(void *data, const XML_Char *name)
{
	struct doc *d = data;

	if (d->depth == d->frame_depth)
		d->frame_depth = 0;
	d->depth--;
	d->capture = NULL;
	d->in_script = false;
}

static void on_text(void *data, const XML_Char *s, int len)
{
	struct doc *d = data;

	if (d->capture)
		append(d->capture, s, len);
}

static void on_cdata(void *data)
{
	struct doc *d = data;

	if (d->in_script)
		d->script_cdata = true;
}

static void parse_svg(const char *svg, size_t len, struct doc *d)
{
	XML_Parser p = XML_ParserCreate("UTF-8");

	memset(d, 0, sizeof(*d));
	assert_non_null(p);
	XML_SetUserData(p, d);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetStartCdataSectionHandler(p, on_cdata);
	if (XML_Parse(p, svg, (int)len, 1) != XML_STATUS_OK)
		fail_msg("SVG not well-formed: %s at line %lu column %lu",
			 XML_ErrorString(XML_GetErrorCode(p)),
			 (unsigned long)XML_GetCurrentLineNumber(p),
			 (unsigned long)XML_GetCurrentColumnNumber(p));
	XML_ParserFree(p);
}

static void free_doc(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].title);
		free(d->v[i].label);
	}
	free(d->title);
	free(d->script);
}

/* The frame whose title starts with "NAME (", or NULL. If several do,
 * the Nth (from 0). */
static const struct frame *find_nth(const struct doc *d, const char *name,
				    int nth)
{
	size_t i, len = strlen(name);

	for (i = 0; i < d->n; i++)
		if (!strncmp(d->v[i].title, name, len) &&
		    !strncmp(d->v[i].title + len, " (", 2) && !nth--)
			return &d->v[i];
	return NULL;
}

static const struct frame *find(const struct doc *d, const char *name)
{
	const struct frame *f = find_nth(d, name, 0);

	if (!f)
		fail_msg("no frame '%s' in the SVG", name);
	return f;
}

/* ------------------------------------------------------------ rendering */

static struct pt_folded *folded_of(const char *const *lines, size_t n)
{
	struct pt_folded *f = NULL;
	size_t i;

	assert_int_equal(pt_folded__new(&f), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(
			pt_folded__add_line(f, lines[i], strlen(lines[i])), 0);
	return f;
}

/* Render (a diff if BEFORE) and parse; returns the SVG text too. */
static char *render(const struct pt_folded *before,
		    const struct pt_folded *after,
		    const struct pt_flamegraph_opts *o, struct doc *d)
{
	char *svg = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&svg, &len);

	assert_non_null(out);
	if (before)
		assert_int_equal(
			pt_flamegraph__write_diff(out, before, after, o), 0);
	else
		assert_int_equal(pt_flamegraph__write_svg(out, after, o), 0);
	assert_int_equal(fclose(out), 0);
	parse_svg(svg, len, d);
	return svg;
}

static const char *const basic[] = {
	"stage_b;x 60",
	"stage_a;f;h 10",
	"stage_a;f;g 30",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------- tests */

/* Well-formed; every frame with its title; the script in CDATA. */
static void test_titles(void **state)
{
	struct pt_folded *f = folded_of(basic, N_OF(basic));
	struct doc d;
	char *svg = render(NULL, f, NULL, &d);

	assert_int_equal(d.n, 7);
	assert_string_equal(d.v[0].title, "all (100 samples, 100.00%)");
	assert_string_equal(find(&d, "stage_a")->title,
			    "stage_a (40 samples, 40.00%)");
	assert_string_equal(find(&d, "f")->title, "f (40 samples, 40.00%)");
	assert_string_equal(find(&d, "g")->title, "g (30 samples, 30.00%)");
	assert_string_equal(find(&d, "h")->title, "h (10 samples, 10.00%)");
	assert_string_equal(find(&d, "stage_b")->title,
			    "stage_b (60 samples, 60.00%)");
	assert_string_equal(find(&d, "x")->title, "x (60 samples, 60.00%)");
	assert_string_equal(find(&d, "g")->label, "g");
	assert_string_equal(find(&d, "stage_b")->label, "stage_b");
	assert_string_equal(d.title, PT_FLAMEGRAPH_TITLE);
	assert_int_equal(d.width, 1200);
	assert_true(d.script_cdata);
	assert_non_null(strstr(d.script, "function zoom("));
	assert_non_null(strstr(d.script, "function search("));
	assert_non_null(strstr(d.script, "function unzoom("));
	/* Self-contained: nothing loaded from elsewhere. */
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "http://www.w3.org/1999/xlink"));
	free(svg);
	free_doc(&d);
	pt_folded__free(f);
}

/* Widths in proportion to the counts; siblings in alphabetical order,
 * side by side; children above their parent. */
static void test_widths_and_order(void **state)
{
	struct pt_folded *f = folded_of(basic, N_OF(basic));
	const struct frame *all, *a, *b, *fr, *g, *h;
	struct doc d;
	char *svg = render(NULL, f, NULL, &d);

	all = find(&d, "all");
	a = find(&d, "stage_a");
	b = find(&d, "stage_b");
	fr = find(&d, "f");
	g = find(&d, "g");
	h = find(&d, "h");
	assert_true(fabs(g->w / h->w - 3.0) < 1e-3);
	assert_true(fabs(b->w / a->w - 1.5) < 1e-3);
	assert_true(fabs(all->w - (a->w + b->w)) < 0.02);
	assert_true(fabs(all->w - 1180) < 0.02);
	/* g before h, a before b, each starting where the previous ends. */
	assert_true(fabs(g->x - fr->x) < 0.01);
	assert_true(fabs(h->x - (g->x + g->w)) < 0.02);
	assert_true(fabs(b->x - (a->x + a->w)) < 0.02);
	/* Same level, same y; deeper frames higher up. */
	assert_true(g->y == h->y && a->y == b->y);
	assert_true(g->y < fr->y && fr->y < a->y && a->y < all->y);
	/* Drawn in pre-order: all, stage_a, f, g, h, stage_b, x. */
	assert_ptr_equal(&d.v[1], a);
	assert_ptr_equal(&d.v[3], g);
	assert_ptr_equal(&d.v[4], h);
	assert_ptr_equal(&d.v[5], b);
	free(svg);
	free_doc(&d);
	pt_folded__free(f);
}

/* Frames under 0.1% of the width are left out; the unit is configurable. */
static void test_narrow_dropped_and_unit(void **state)
{
	static const char *const lines[] = {
		"s;wide 99849",
		"s;tiny 1",
		"s;tiny;deeper 1",
		"s;edge 149",
	};
	struct pt_folded *f = folded_of(lines, N_OF(lines));
	struct pt_flamegraph_opts o = { .unit = "us", .width = 2000 };
	struct doc d;
	char *svg = render(NULL, f, &o, &d);

	assert_null(find_nth(&d, "tiny", 0));
	assert_null(find_nth(&d, "deeper", 0));
	assert_string_equal(find(&d, "edge")->title, "edge (149 us, 0.15%)");
	assert_string_equal(find(&d, "wide")->title, "wide (99849 us, 99.85%)");
	assert_int_equal(d.width, 2000);
	assert_true(fabs(find(&d, "all")->w - 1980) < 0.02);
	free(svg);
	free_doc(&d);
	o.width = 50;
	assert_int_equal(pt_flamegraph__write_svg(stdout, f, &o), -EINVAL);
	pt_folded__free(f);
}

/* Markup characters and invalid UTF-8, in names and the title. */
static void test_escaping(void **state)
{
	const char *weird[] = { "stage", "a<&>\"'b" };
	const char *broken[] = { "stage", "bad\xff\xfe\xc3(x\xed\xa0\x80" };
	struct pt_flamegraph_opts o = {
		.title = "T <&> \"q\" 'a' \x01 \xe2\x82",
	};
	struct pt_folded *f = NULL;
	struct doc d;
	char *svg;

	assert_int_equal(pt_folded__new(&f), 0);
	assert_int_equal(pt_folded__add(f, weird, 2, 10), 0);
	assert_int_equal(pt_folded__add(f, broken, 2, 10), 0);
	svg = render(NULL, f, &o, &d);
	assert_string_equal(find(&d, "a<&>\"'b")->title,
			    "a<&>\"'b (10 samples, 50.00%)");
	assert_string_equal(find(&d, "a<&>\"'b")->label, "a<&>\"'b");
	/* Each byte that is not UTF-8 becomes U+FFFD. */
	assert_string_equal(
		find(&d, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(x"
			 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")
			->title,
		"bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(x\xef\xbf\xbd\xef\xbf\xbd"
		"\xef\xbf\xbd (10 samples, 50.00%)");
	assert_string_equal(d.title, "T <&> \"q\" 'a' \xef\xbf\xbd "
				     "\xef\xbf\xbd\xef\xbf\xbd");
	assert_null(strstr(svg, "a<&>"));
	assert_non_null(strstr(svg, "a&lt;&amp;&gt;&quot;&apos;b"));
	free(svg);
	free_doc(&d);
	pt_folded__free(f);
}

/* Labels are cut to fit, on character boundaries. */
static void test_labels_cut(void **state)
{
	static const char *const lines[] = {
		"s;\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 3",
		"s;other 97",
	};
	struct pt_folded *f = folded_of(lines, N_OF(lines));
	const struct frame *e;
	struct doc d;
	char *svg = render(NULL, f, NULL, &d);

	/* 3% of 1180 px: 35.4 px, room for 4 characters: "éé..". */
	e = find(&d, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(e->label, "\xc3\xa9\xc3\xa9..");
	free(svg);
	free_doc(&d);
	pt_folded__free(f);
}

/* Colours by kind, the same for the same name. */
static void test_colours(void **state)
{
	static const char *const lines[] = {
		"stage_k;read_[k] 10",	 "stage_k;[io] 10",
		"stage_k;[runqueue] 10", "stage_k;user_fn 10",
		"stage_k;[lock] 10",
	};
	struct pt_folded *f = folded_of(lines, N_OF(lines));
	const struct frame *st, *k, *io, *rq, *lk, *u;
	struct doc d, d2;
	char *svg = render(NULL, f, NULL, &d), *svg2;

	st = find(&d, "stage_k");
	k = find(&d, "read_[k]");
	io = find(&d, "[io]");
	rq = find(&d, "[runqueue]");
	lk = find(&d, "[lock]");
	u = find(&d, "user_fn");
	/* stage: purple */
	assert_true(st->b > st->r && st->r > st->g && st->b >= 200);
	/* kernel: teal */
	assert_true(k->g > k->r + 50 && k->b > k->r + 50);
	/* off-CPU reasons: blue */
	assert_true(io->b >= 225 && io->b > io->g && io->g > io->r);
	assert_true(rq->b >= 225 && rq->b > rq->g && rq->g > rq->r);
	assert_true(lk->b >= 225 && lk->b > lk->g && lk->g > lk->r);
	/* user code: warm */
	assert_true(u->r >= 205 && u->b <= 55 && u->g <= 230);
	/* Deterministic. */
	svg2 = render(NULL, f, NULL, &d2);
	assert_string_equal(svg, svg2);
	free(svg);
	free(svg2);
	free_doc(&d);
	free_doc(&d2);
	pt_folded__free(f);
}

/* Diff: widths from AFTER; red where a share grew, blue where it shrank. */
static void test_diff(void **state)
{
	static const char *const before_lines[] = {
		"s;grow 10",
		"s;shrink 85",
		"s;gone 5",
	};
	static const char *const after_lines[] = {
		"s;grow 60",
		"s;shrink 35",
		"s;new 5",
	};
	struct pt_folded *before = folded_of(before_lines, N_OF(before_lines));
	struct pt_folded *after = folded_of(after_lines, N_OF(after_lines));
	const struct frame *grow, *shrink, *fresh, *s;
	struct doc d;
	char *svg = render(before, after, NULL, &d);

	grow = find(&d, "grow");
	shrink = find(&d, "shrink");
	fresh = find(&d, "new");
	s = find(&d, "s");
	assert_null(find_nth(&d, "gone", 0));
	assert_true(fabs(grow->w / shrink->w - 60.0 / 35.0) < 1e-3);
	assert_string_equal(
		grow->title,
		"grow (60 samples, 60.00%; before 10 samples, 10.00%; delta +50.00%, +50 samples)");
	assert_string_equal(
		shrink->title,
		"shrink (35 samples, 35.00%; before 85 samples, 85.00%; delta -50.00%, -50 samples)");
	/* red, the deepest: the largest change */
	assert_int_equal(grow->r, 255);
	assert_true(grow->g == grow->b && grow->g < 100);
	/* blue */
	assert_int_equal(shrink->b, 255);
	assert_true(shrink->r == shrink->g && shrink->r < 100);
	/* a small growth: light red */
	assert_int_equal(fresh->r, 255);
	assert_true(fresh->g == fresh->b && fresh->g > 150 && fresh->g < 255);
	/* no change: grey */
	assert_true(s->r == s->g && s->g == s->b);
	free(svg);
	free_doc(&d);
	pt_folded__free(before);
	pt_folded__free(after);
}

/* No stacks: still a well-formed document. */
static void test_empty(void **state)
{
	struct pt_folded *f = NULL;
	struct doc d;
	char *svg;

	assert_int_equal(pt_folded__new(&f), 0);
	svg = render(NULL, f, NULL, &d);
	assert_int_equal(d.n, 0);
	assert_non_null(strstr(svg, "no samples"));
	free(svg);
	free_doc(&d);
	svg = render(f, f, NULL, &d);
	assert_int_equal(d.n, 0);
	free(svg);
	free_doc(&d);
	pt_folded__free(f);
}

/* Run pt_cmd_flamegraph with stdout to a file; returns its exit code. */
static int run_cmd(char **argv, const char *out_path)
{
	int argc = 0, saved, fd, code;

	while (argv[argc])
		argc++;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	code = pt_cmd_flamegraph(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return code;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *in = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, in), n);
	buf[n] = '\0';
	fclose(in);
	*len = (size_t)n;
	return buf;
}

/* The subcommand: exit 2 for usage errors, 1 for a missing or bad file,
 * 0 and an SVG on stdout otherwise. */
static void test_cmd(void **state)
{
	char dir[] = "/tmp/pt-flame-XXXXXX", in[128], bad[128], out[128];
	char *usage[][6] = {
		{ "flamegraph", NULL },
		{ "flamegraph", "--bogus", in, NULL },
		{ "flamegraph", "-x", in, NULL },
		{ "flamegraph", "--unit", "ms", in, NULL },
		{ "flamegraph", in, "--title", NULL },
		{ "flamegraph", "--diff", in, NULL },
		{ "flamegraph", in, in, NULL },
	};
	char *missing[] = { "flamegraph", "/nonexistent/x.folded", NULL };
	char *bad_line[] = { "flamegraph", bad, NULL };
	char *ok[] = { "flamegraph", in,   "--title", "My <graph>",
		       "--unit",     "us", NULL };
	char *diff[] = { "flamegraph", "--diff", in, in, NULL };
	struct doc d;
	size_t i, len;
	char *svg;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in.folded", dir);
	snprintf(bad, sizeof(bad), "%s/bad.folded", dir);
	snprintf(out, sizeof(out), "%s/out.svg", dir);
	f = fopen(in, "w");
	assert_non_null(f);
	fputs("stage;a 3\nstage;b 1\n", f);
	fclose(f);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("stage;a 3\nstage;b x\n", f);
	fclose(f);

	for (i = 0; i < N_OF(usage); i++)
		assert_int_equal(run_cmd(usage[i], out), 2);
	assert_int_equal(run_cmd(missing, out), 1);
	assert_int_equal(run_cmd(bad_line, out), 1);

	assert_int_equal(run_cmd(ok, out), 0);
	svg = slurp(out, &len);
	parse_svg(svg, len, &d);
	assert_string_equal(d.title, "My <graph>");
	assert_string_equal(find(&d, "a")->title, "a (3 us, 75.00%)");
	free(svg);
	free_doc(&d);

	assert_int_equal(run_cmd(diff, out), 0);
	svg = slurp(out, &len);
	parse_svg(svg, len, &d);
	assert_string_equal(
		find(&d, "a")->title,
		"a (3 samples, 75.00%; before 3 samples, 75.00%; delta +0.00%, +0 samples)");
	free(svg);
	free_doc(&d);

	unlink(in);
	unlink(bad);
	unlink(out);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_widths_and_order),
		cmocka_unit_test(test_narrow_dropped_and_unit),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_labels_cut),
		cmocka_unit_test(test_colours),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
