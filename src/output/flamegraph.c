// SPDX-License-Identifier: MIT
/*
 * flamegraph.c - see flamegraph.h.
 *
 * The stacks (of one set, or of both sets of a diff) are sorted frame by
 * frame, so that stacks with a common prefix are neighbours: the tree is
 * then built in one pass, siblings are created in alphabetical order, and
 * the node array is in pre-order (every parent before its children), which
 * is also the drawing order. A node's horizontal offset is fixed when it is
 * created: its previous siblings are complete by then. A node is complete
 * when the next stack leaves it; if it is too narrow to draw, it is dropped
 * then with its subtree (the nodes after it in the array), so that memory
 * follows the drawn nodes, not the unique stacks.
 *
 * Every string that reaches the SVG goes through xml_text(), which escapes
 * the markup characters and replaces what is not UTF-8 (or not an XML
 * character) with U+FFFD, so any frame name gives well-formed XML. The
 * script is static: no name or title is ever written into it.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/flamegraph.h"

#define NONE SIZE_MAX
#define DEFAULT_WIDTH 1200u
#define PAD 10.0 /* left and right margin, px */
#define FRAME_H 16.0 /* one level: a 15 px frame and a 1 px gap */
#define TOP 66.0 /* title, subtitle and buttons */
#define BOTTOM 30.0 /* the details line */
#define FONT 12.0 /* label font size, px */
#define CHAR_W 0.59 /* a label character's mean width, in font sizes */
/*
 * Frames narrower than this share of the drawing width are left out, with
 * all they contain, to keep the file small: they would be under ~1 px at
 * the default width and could not be read or clicked anyway.
 */
#define MIN_SHARE 0.001

/* ----------------------------------------------------------------- tree */

/* One stack of one side (0: before, 1: after or the only one). */
struct entry {
	const char *const *frames;
	size_t n;
	uint64_t count;
	int side;
};

struct node {
	const char *name;
	uint64_t v[2]; /* counts through this frame, per side */
	uint64_t off; /* from the left, in counts of side 1 */
	uint64_t cursor; /* where the next child starts, same unit */
	size_t parent;
	unsigned int depth; /* 0: the root "all"; 1: the stage */
	bool drawn;
};

struct tree {
	struct node *v;
	size_t n, cap;
	uint64_t total[2];
	double scale, min_w; /* px per count of side 1; narrowest drawn, px */
	unsigned int max_depth; /* of the drawn nodes */
};

/* Frames narrower than min_w px are not drawn. */
static bool wide_enough(const struct tree *t, const struct node *nd)
{
	return (double)nd->v[1] * t->scale >= t->min_w;
}

/* Frame by frame; a stack sorts before the stacks it is a prefix of. */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t i;
	int c;

	for (i = 0; i < x->n && i < y->n; i++) {
		c = strcmp(x->frames[i], y->frames[i]);
		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n;
}

/* A new last child of PARENT (NONE for the root); its index, or NONE when
 * out of memory. */
static size_t new_node(struct tree *t, const char *name, size_t parent)
{
	struct node *p, *nd;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct node *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NONE;
		t->v = v;
		t->cap = cap;
	}
	nd = &t->v[t->n];
	*nd = (struct node){ .name = name, .parent = parent };
	if (parent != NONE) {
		p = &t->v[parent];
		nd->depth = p->depth + 1;
		nd->off = nd->cursor = p->cursor;
	}
	return t->n++;
}

/* Node I is complete: the next sibling starts after it; drop it and its
 * subtree if it is too narrow to draw. */
static void close_node(struct tree *t, size_t i)
{
	struct node *nd = &t->v[i];

	t->v[nd->parent].cursor = nd->off + nd->v[1];
	if (!wide_enough(t, nd))
		t->n = i;
}

/* Merge the sorted entries E[0..ne) into t. Returns 0 or -ENOMEM. */
static int build_tree(struct tree *t, const struct entry *e, size_t ne)
{
	size_t *path, i, d, common, max_n = 0;
	const struct entry *prev = NULL;

	for (i = 0; i < ne; i++)
		if (e[i].n > max_n)
			max_n = e[i].n;
	path = malloc((max_n + 1) * sizeof(*path));
	if (!path)
		return -ENOMEM;
	path[0] = new_node(t, "all", NONE);
	if (path[0] == NONE)
		goto nomem;
	for (i = 0; i < ne; prev = &e[i++]) {
		common = 0;
		while (prev && common < prev->n && common < e[i].n &&
		       !strcmp(prev->frames[common], e[i].frames[common]))
			common++;
		for (d = prev ? prev->n : 0; d > common; d--)
			close_node(t, path[d]);
		for (d = common; d < e[i].n; d++) {
			path[d + 1] = new_node(t, e[i].frames[d], path[d]);
			if (path[d + 1] == NONE)
				goto nomem;
		}
		for (d = 0; d <= e[i].n; d++)
			t->v[path[d]].v[e[i].side] += e[i].count;
	}
	for (d = prev ? prev->n : 0; d > 0; d--)
		close_node(t, path[d]);
	free(path);
	return 0;
nomem:
	free(path);
	return -ENOMEM;
}

/* Append the stacks of F as entries of SIDE to *v[*n]. */
static int add_entries(struct entry *v, size_t *n, const struct pt_folded *f,
		       int side)
{
	size_t i, k = pt_folded__nr_stacks(f);
	int ret;

	for (i = 0; i < k; i++) {
		struct entry *e = &v[(*n)++];

		ret = pt_folded__stack(f, i, &e->frames, &e->n, &e->count);
		if (ret)
			return ret;
		e->side = side;
	}
	return 0;
}

/* The tree of AFTER (and BEFORE, if not NULL). */
static int make_tree(struct tree *t, const struct pt_folded *before,
		     const struct pt_folded *after)
{
	size_t n = 0, cap = pt_folded__nr_stacks(after);
	struct entry *e;
	int ret;

	if (before)
		cap += pt_folded__nr_stacks(before);
	e = malloc((cap ? cap : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	ret = add_entries(e, &n, after, 1);
	if (!ret && before)
		ret = add_entries(e, &n, before, 0);
	if (!ret) {
		qsort(e, n, sizeof(*e), cmp_entry);
		ret = build_tree(t, e, n);
	}
	free(e);
	return ret;
}

/* ---------------------------------------------------------------- text */

/*
 * Decode one character of S[0..len) (len > 0) into *cp; returns the bytes
 * it takes. A byte that does not start a valid UTF-8 sequence (overlong,
 * surrogate, above U+10FFFF, cut short) takes one byte and gives U+FFFD, as
 * does a character that XML 1.0 does not allow.
 */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		n = 1;
		min = 0;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (n > len)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xfffe ||
	    c == 0xffff)
		c = 0xfffd;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/* Characters (as utf8_next counts them) in S[0..len). */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t i = 0, n = 0;
	uint32_t cp;

	while (i < len) {
		i += utf8_next((const unsigned char *)s + i, len - i, &cp);
		n++;
	}
	return n;
}

/*
 * The one way text gets into the SVG: S[0..len) as XML character data, fit
 * for element content and attribute values alike. The five markup
 * characters are escaped; what is not valid UTF-8 or not an XML character
 * becomes U+FFFD. With more than MAX characters, only the first MAX - 2 are
 * written, then "..".
 */
static void xml_text(FILE *out, const char *s, size_t len, size_t max)
{
	bool cut = utf8_chars(s, len) > max;
	size_t i = 0, n = 0, k;
	uint32_t cp;

	while (i < len && (!cut || n + 2 < max)) {
		k = utf8_next((const unsigned char *)s + i, len - i, &cp);
		switch (cp) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		case 0xfffd:
			fputs("\xef\xbf\xbd", out);
			break;
		default:
			fwrite(s + i, 1, k, out);
		}
		i += k;
		n++;
	}
	if (cut && max >= 2)
		fputs("..", out);
}

static void xml_str(FILE *out, const char *s)
{
	xml_text(out, s, strlen(s), SIZE_MAX);
}

/* ------------------------------------------------------------- colours */

enum kind { KIND_ROOT, KIND_STAGE, KIND_KERNEL, KIND_OFFCPU, KIND_USER };

/* What a frame is, from its depth and name. */
static enum kind kind_of(const struct node *nd)
{
	static const char *const reasons[] = { "[io]", "[lock]", "[sleep]",
					       "[runqueue]", "[other]" };
	size_t i, len = strlen(nd->name);

	if (nd->depth == 0)
		return KIND_ROOT;
	if (nd->depth == 1)
		return KIND_STAGE;
	if (len >= 4 && !strcmp(nd->name + len - 4, "_[k]"))
		return KIND_KERNEL;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (!strcmp(nd->name, reasons[i]))
			return KIND_OFFCPU;
	return KIND_USER;
}

/* FNV-1a of NAME: the same name always gets the same shade. */
static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ull;
	}
	return h;
}

struct rgb {
	int r, g, b;
};

/* The colour of a frame outside a diff: its kind's hue, its name's shade. */
static struct rgb kind_colour(const struct node *nd)
{
	uint64_t h = name_hash(nd->name);
	double v1 = (double)(h & 0xffff) / 0xffff;
	double v2 = (double)((h >> 16) & 0xffff) / 0xffff;
	double v3 = (double)((h >> 32) & 0xffff) / 0xffff;

	switch (kind_of(nd)) {
	case KIND_ROOT:
		return (struct rgb){ 200, 200, 200 };
	case KIND_STAGE: /* purple */
		return (struct rgb){ 150 + (int)(40 * v1), 105 + (int)(30 * v1),
				     205 + (int)(45 * v2) };
	case KIND_KERNEL: /* teal */
		return (struct rgb){ 40 + (int)(50 * v2), 165 + (int)(55 * v1),
				     160 + (int)(50 * v1) };
	case KIND_OFFCPU: /* blue */
		return (struct rgb){ 70 + (int)(50 * v1), 130 + (int)(50 * v1),
				     225 + (int)(30 * v2) };
	case KIND_USER: /* warm: red to yellow */
	default:
		return (struct rgb){ 205 + (int)(50 * v3), (int)(230 * v1),
				     (int)(55 * v2) };
	}
}

/* A node's share of its side's total, 0 when that total is 0. */
static double share(const struct tree *t, const struct node *nd, int side)
{
	return t->total[side] ? (double)nd->v[side] / (double)t->total[side] :
				0;
}

/* Red for a grown share, blue for a shrunk one, grey for no change;
 * deeper as |delta| nears MAX_DELTA. */
static struct rgb diff_colour(double delta, double max_delta)
{
	double i = max_delta > 0 ? fabs(delta) / max_delta : 0;
	int c = (int)lround(235 - 195 * (i > 1 ? 1 : i));

	if (delta > 1e-12)
		return (struct rgb){ 255, c, c };
	if (delta < -1e-12)
		return (struct rgb){ c, c, 255 };
	return (struct rgb){ 235, 235, 235 };
}

/* -------------------------------------------------------------- layout */

/* Mark the nodes wide enough to draw; their parents are too (pre-order). */
static void mark_drawn(struct tree *t)
{
	size_t i;

	t->max_depth = 0;
	for (i = 0; i < t->n; i++) {
		struct node *nd = &t->v[i];

		nd->drawn = wide_enough(t, nd) &&
			    (nd->parent == NONE || t->v[nd->parent].drawn);
		if (nd->drawn && nd->depth > t->max_depth)
			t->max_depth = nd->depth;
	}
}

/* ---------------------------------------------------------------- SVG */

static const char script[] =
	"\"use strict\";\n"
	"var svg, frames, details, matched, unzoomBtn, searchBtn;\n"
	"var W = 0, PAD = 10, FONT = 12, all = [], searchRe = null;\n"
	"\n"
	"function pt_init() {\n"
	"	svg = document.documentElement;\n"
	"	W = parseFloat(svg.getAttribute(\"width\"));\n"
	"	frames = document.getElementById(\"frames\");\n"
	"	details = document.getElementById(\"details\");\n"
	"	matched = document.getElementById(\"matched\");\n"
	"	unzoomBtn = document.getElementById(\"unzoom\");\n"
	"	searchBtn = document.getElementById(\"search\");\n"
	"	var gs = frames.getElementsByTagName(\"g\");\n"
	"	for (var i = 0; i < gs.length; i++) {\n"
	"		var g = gs[i], r = g.getElementsByTagName(\"rect\")[0];\n"
	"		var title = g.getElementsByTagName(\"title\")[0].textContent;\n"
	"		var k = title.lastIndexOf(\" (\");\n"
	"		g.ptTitle = title;\n"
	"		g.ptName = k < 0 ? title : title.substring(0, k);\n"
	"		g.ptRect = r;\n"
	"		g.ptText = g.getElementsByTagName(\"text\")[0];\n"
	"		g.ptX = parseFloat(r.getAttribute(\"x\"));\n"
	"		g.ptW = parseFloat(r.getAttribute(\"width\"));\n"
	"		g.ptY = parseFloat(r.getAttribute(\"y\"));\n"
	"		g.ptFill = r.getAttribute(\"fill\");\n"
	"		all.push(g);\n"
	"		/* The server guessed the label widths; fix any that overflow. */\n"
	"		if (g.ptText.getComputedTextLength() > g.ptW - 6)\n"
	"			fit(g, g.ptW);\n"
	"	}\n"
	"	frames.addEventListener(\"click\", function (e) {\n"
	"		var g = frameOf(e.target);\n"
	"		if (g)\n"
	"			zoom(g);\n"
	"	});\n"
	"	frames.addEventListener(\"mouseover\", function (e) {\n"
	"		var g = frameOf(e.target);\n"
	"		if (g)\n"
	"			details.textContent = g.ptTitle;\n"
	"	});\n"
	"	frames.addEventListener(\"mouseout\", function () {\n"
	"		details.textContent = \" \";\n"
	"	});\n"
	"	unzoomBtn.addEventListener(\"click\", unzoom);\n"
	"	searchBtn.addEventListener(\"click\", function () {\n"
	"		if (searchRe)\n"
	"			resetSearch();\n"
	"		else\n"
	"			searchPrompt();\n"
	"	});\n"
	"	window.addEventListener(\"keydown\", function (e) {\n"
	"		if ((e.ctrlKey || e.metaKey) && e.key === \"f\") {\n"
	"			e.preventDefault();\n"
	"			searchPrompt();\n"
	"		} else if (e.key === \"Escape\") {\n"
	"			unzoom();\n"
	"			resetSearch();\n"
	"		}\n"
	"	});\n"
	"	/* #search=REGEX in the address searches at once. */\n"
	"	var m = /^#search=(.*)$/.exec(window.location.hash);\n"
	"	if (m) {\n"
	"		try {\n"
	"			search(new RegExp(decodeURIComponent(m[1])));\n"
	"		} catch (err) {\n"
	"			console.log(\"bad #search: \" + err.message);\n"
	"		}\n"
	"	}\n"
	"}\n"
	"\n"
	"/* The frame <g> an event target belongs to, or null. */\n"
	"function frameOf(el) {\n"
	"	for (; el && el !== frames; el = el.parentNode)\n"
	"		if (el.ptRect)\n"
	"			return el;\n"
	"	return null;\n"
	"}\n"
	"\n"
	"/* Label g for a frame w px wide: its name, or as much as fits and \"..\". */\n"
	"function fit(g, w) {\n"
	"	var t = g.ptText, avail = w - 6;\n"
	"	if (avail < 3 * 0.59 * FONT) {\n"
	"		t.textContent = \"\";\n"
	"		return;\n"
	"	}\n"
	"	t.textContent = g.ptName;\n"
	"	if (t.getComputedTextLength() <= avail)\n"
	"		return;\n"
	"	var chars = Array.from(g.ptName), lo = 0, hi = chars.length - 1;\n"
	"	while (lo < hi) {\n"
	"		var mid = (lo + hi + 1) >> 1;\n"
	"		t.textContent = chars.slice(0, mid).join(\"\") + \"..\";\n"
	"		if (t.getComputedTextLength() <= avail)\n"
	"			lo = mid;\n"
	"		else\n"
	"			hi = mid - 1;\n"
	"	}\n"
	"	t.textContent = lo ? chars.slice(0, lo).join(\"\") + \"..\" : \"\";\n"
	"}\n"
	"\n"
	"function place(g, x, w) {\n"
	"	g.ptRect.setAttribute(\"x\", x.toFixed(2));\n"
	"	g.ptRect.setAttribute(\"width\", w.toFixed(2));\n"
	"	g.ptText.setAttribute(\"x\", (x + 3).toFixed(2));\n"
	"	g.classList.remove(\"hide\");\n"
	"	fit(g, w);\n"
	"}\n"
	"\n"
	"/* Widen frame z to the full width: what it contains scales with it,\n"
	"   the frames below it (its callers) are stretched and faded. */\n"
	"function zoom(z) {\n"
	"	var ratio = (W - 2 * PAD) / z.ptW, eps = 1e-6;\n"
	"	unzoomBtn.classList.remove(\"hide\");\n"
	"	for (var i = 0; i < all.length; i++) {\n"
	"		var g = all[i], l = g.ptX, r = g.ptX + g.ptW;\n"
	"		g.classList.remove(\"parent\");\n"
	"		if (g.ptY > z.ptY) {\n"
	"			if (l <= z.ptX + eps && r >= z.ptX + z.ptW - eps) {\n"
	"				g.classList.add(\"parent\");\n"
	"				place(g, PAD, W - 2 * PAD);\n"
	"			} else {\n"
	"				g.classList.add(\"hide\");\n"
	"			}\n"
	"		} else if (l >= z.ptX - eps && r <= z.ptX + z.ptW + eps) {\n"
	"			place(g, PAD + (l - z.ptX) * ratio, g.ptW * ratio);\n"
	"		} else {\n"
	"			g.classList.add(\"hide\");\n"
	"		}\n"
	"	}\n"
	"}\n"
	"\n"
	"function unzoom() {\n"
	"	unzoomBtn.classList.add(\"hide\");\n"
	"	for (var i = 0; i < all.length; i++) {\n"
	"		all[i].classList.remove(\"parent\");\n"
	"		place(all[i], all[i].ptX, all[i].ptW);\n"
	"	}\n"
	"}\n"
	"\n"
	"function searchPrompt() {\n"
	"	var term = window.prompt(\"Search frames (regular expression):\",\n"
	"				 searchRe ? searchRe.source : \"\");\n"
	"	if (term === null)\n"
	"		return;\n"
	"	if (term === \"\") {\n"
	"		resetSearch();\n"
	"		return;\n"
	"	}\n"
	"	try {\n"
	"		search(new RegExp(term));\n"
	"	} catch (err) {\n"
	"		window.alert(\"Not a regular expression: \" + err.message);\n"
	"	}\n"
	"}\n"
	"\n"
	"/* Highlight the frames whose name matches re; show the share of the\n"
	"   whole graph they cover (nested matches counted once). */\n"
	"function search(re) {\n"
	"	resetSearch();\n"
	"	searchRe = re;\n"
	"	var spans = [], sum = 0, end = -Infinity;\n"
	"	for (var i = 0; i < all.length; i++) {\n"
	"		var g = all[i];\n"
	"		if (g.id === \"root\" || !re.test(g.ptName))\n"
	"			continue;\n"
	"		g.ptRect.setAttribute(\"fill\", \"rgb(230,0,230)\");\n"
	"		spans.push([g.ptX, g.ptX + g.ptW]);\n"
	"	}\n"
	"	spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });\n"
	"	for (var j = 0; j < spans.length; j++) {\n"
	"		if (spans[j][1] <= end)\n"
	"			continue;\n"
	"		sum += spans[j][1] - Math.max(spans[j][0], end);\n"
	"		end = spans[j][1];\n"
	"	}\n"
	"	matched.textContent = \"Matched: \" +\n"
	"		(100 * sum / (W - 2 * PAD)).toFixed(2) + \"%\";\n"
	"	matched.classList.remove(\"hide\");\n"
	"	searchBtn.textContent = \"Reset Search\";\n"
	"}\n"
	"\n"
	"function resetSearch() {\n"
	"	if (!searchRe)\n"
	"		return;\n"
	"	searchRe = null;\n"
	"	for (var i = 0; i < all.length; i++)\n"
	"		all[i].ptRect.setAttribute(\"fill\", all[i].ptFill);\n"
	"	matched.classList.add(\"hide\");\n"
	"	searchBtn.textContent = \"Search\";\n"
	"}\n"
	"\n"
	"window.addEventListener(\"load\", pt_init);\n";

static const char style[] =
	"text { font-family: Verdana, \"DejaVu Sans\", sans-serif; "
	"font-size: 12px; fill: #000; }\n"
	"#title { text-anchor: middle; font-size: 17px; }\n"
	"#subtitle { text-anchor: middle; fill: #555; }\n"
	"#search, #matched { text-anchor: end; }\n"
	"#unzoom, #search { cursor: pointer; fill: #225; }\n"
	"#unzoom:hover, #search:hover { text-decoration: underline; }\n"
	".f { cursor: pointer; }\n"
	".f rect { stroke: #fff; stroke-width: 0.5; }\n"
	".f:hover rect { stroke: #000; stroke-width: 1; }\n"
	".f text { pointer-events: none; }\n"
	".parent { opacity: 0.5; }\n"
	".hide { display: none; }\n";

/* Everything but the frames: the document head, title and controls. */
static void write_head(FILE *out, const struct tree *t, double w, double h,
		       const char *title, const char *unit, bool diff)
{
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
		w, h, w, h);
	fputs("<!-- written by pipetrace; click a frame to zoom, Search or "
	      "Ctrl-F to highlight frames. Frames narrower than 0.1% of the "
	      "width are left out. -->\n",
	      out);
	fprintf(out,
		"<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" "
		"y2=\"1\"><stop stop-color=\"#f2f2f2\" offset=\"5%%\"/>"
		"<stop stop-color=\"#eeeeb0\" offset=\"95%%\"/>"
		"</linearGradient></defs>\n"
		"<style type=\"text/css\"><![CDATA[\n%s]]></style>\n"
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
		"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" "
		"fill=\"url(#bg)\"/>\n",
		style, script);
	fprintf(out, "<text id=\"title\" x=\"%.1f\" y=\"24\">", w / 2);
	xml_str(out, title);
	fprintf(out, "</text>\n<text id=\"subtitle\" x=\"%.1f\" y=\"44\">",
		w / 2);
	if (diff) {
		fprintf(out, "%llu ", (unsigned long long)t->total[1]);
		xml_str(out, unit);
		fprintf(out, " after, %llu ", (unsigned long long)t->total[0]);
		xml_str(out, unit);
		fputs(" before; widths: after; red: share grew, blue: share "
		      "shrank",
		      out);
	} else {
		fprintf(out, "%llu ", (unsigned long long)t->total[1]);
		xml_str(out, unit);
		fputs(" in all; click to zoom", out);
	}
	fprintf(out,
		"</text>\n"
		"<text id=\"unzoom\" class=\"hide\" x=\"%.1f\" y=\"24\">"
		"Reset Zoom</text>\n"
		"<text id=\"search\" x=\"%.1f\" y=\"24\">Search</text>\n"
		"<text id=\"matched\" class=\"hide\" x=\"%.1f\" y=\"%.1f\">"
		" </text>\n"
		"<text id=\"details\" x=\"%.1f\" y=\"%.1f\"> </text>\n",
		PAD, w - PAD, w - PAD, h - 10, PAD, h - 10);
	if (!t->total[1])
		fprintf(out,
			"<text x=\"%.1f\" y=\"%.1f\" "
			"style=\"text-anchor: middle\">no samples</text>\n",
			w / 2, TOP + FRAME_H);
}

/* The tooltip after the name: " (N unit, P%)", or both sides in a diff. */
static void write_counts(FILE *out, const struct tree *t, const struct node *nd,
			 const char *unit, bool diff)
{
	double delta;

	fprintf(out, " (%llu ", (unsigned long long)nd->v[1]);
	xml_str(out, unit);
	fprintf(out, ", %.2f%%", 100 * share(t, nd, 1));
	if (diff) {
		delta = 100 * (share(t, nd, 1) - share(t, nd, 0));
		fprintf(out, "; before %llu ", (unsigned long long)nd->v[0]);
		xml_str(out, unit);
		fprintf(out, ", %.2f%%; delta %+.2f%%, %+lld ",
			100 * share(t, nd, 0), delta,
			(long long)(nd->v[1] - nd->v[0]));
		xml_str(out, unit);
	}
	fputc(')', out);
}

/* One frame: <g> with the tooltip <title>, the rect and the cut label. */
static void write_frame(FILE *out, const struct tree *t, const struct node *nd,
			double h, const char *unit, bool diff, double max_delta)
{
	double x = PAD + (double)nd->off * t->scale;
	double w = (double)nd->v[1] * t->scale;
	double y = h - BOTTOM - (nd->depth + 1) * FRAME_H;
	double avail = (w - 6) / (FONT * CHAR_W);
	size_t fit = avail > 0 ? (size_t)avail : 0;
	struct rgb c;

	if (diff && nd->depth)
		c = diff_colour(share(t, nd, 1) - share(t, nd, 0), max_delta);
	else
		c = kind_colour(nd);
	fputs(nd->depth ? "<g class=\"f\">" : "<g class=\"f\" id=\"root\">",
	      out);
	fputs("<title>", out);
	xml_str(out, nd->name);
	write_counts(out, t, nd, unit, diff);
	fprintf(out,
		"</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
		"height=\"%.1f\" rx=\"2\" ry=\"2\" fill=\"rgb(%d,%d,%d)\"/>"
		"<text x=\"%.2f\" y=\"%.1f\">",
		x, y, w, FRAME_H - 1, c.r, c.g, c.b, x + 3, y + 11.5);
	if (fit >= 3)
		xml_text(out, nd->name, strlen(nd->name), fit);
	fputs("</text></g>\n", out);
}

/* The graph of AFTER, a diff against BEFORE unless it is NULL. */
static int write_graph(FILE *out, const struct pt_folded *before,
		       const struct pt_folded *after,
		       const struct pt_flamegraph_opts *o)
{
	const char *title = o && o->title ? o->title : PT_FLAMEGRAPH_TITLE;
	const char *unit = o && o->unit ? o->unit : "samples";
	double w = o && o->width ? o->width : DEFAULT_WIDTH;
	double h, max_delta = 0, d;
	struct tree t = { 0 };
	bool diff = before != NULL;
	size_t i;
	int ret;

	if (w < 100 || w > 100000)
		return -EINVAL;
	t.total[0] = before ? pt_folded__total(before) : 0;
	t.total[1] = pt_folded__total(after);
	t.scale = t.total[1] ? (w - 2 * PAD) / (double)t.total[1] : 0;
	t.min_w = MIN_SHARE * (w - 2 * PAD);
	ret = make_tree(&t, before, after);
	if (ret) {
		free(t.v);
		return ret;
	}
	mark_drawn(&t);
	for (i = 1; diff && i < t.n; i++) {
		d = fabs(share(&t, &t.v[i], 1) - share(&t, &t.v[i], 0));
		if (t.v[i].drawn && d > max_delta)
			max_delta = d;
	}
	h = TOP + (t.max_depth + 1) * FRAME_H + BOTTOM;
	write_head(out, &t, w, h, title, unit, diff);
	fputs("<g id=\"frames\">\n", out);
	for (i = 0; t.total[1] && i < t.n; i++)
		if (t.v[i].drawn)
			write_frame(out, &t, &t.v[i], h, unit, diff, max_delta);
	fputs("</g>\n</svg>\n", out);
	free(t.v);
	return ferror(out) ? -EIO : 0;
}

int pt_flamegraph__write_svg(FILE *out, const struct pt_folded *f,
			     const struct pt_flamegraph_opts *o)
{
	return write_graph(out, NULL, f, o);
}

int pt_flamegraph__write_diff(FILE *out, const struct pt_folded *before,
			      const struct pt_folded *after,
			      const struct pt_flamegraph_opts *o)
{
	return write_graph(out, before, after, o);
}
