// SPDX-License-Identifier: MIT
/*
 * test_manpage.c - the man page (src/cli/pipetrace.1) and --help must not
 * drift apart. An option "defined" is one the help text lists at the start
 * of an indented line, or one a man page .TP tag names; the man page's
 * OPTIONS section must define exactly what `pipetrace --help` does, its
 * "pipetrace flamegraph" subsection exactly what `pipetrace flamegraph
 * --help` does. An option merely mentioned in either (text, synopsis, an
 * example running pipetrace, up to a standalone --) must be defined in the
 * other.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "lib/paths.h"

#define MANPAGE PT_SOURCE_DIR "/src/cli/pipetrace.1"
#define MAX_OPTS 64
#define OPT_LEN 32

struct optset {
	char v[MAX_OPTS][OPT_LEN];
	int n;
};

static void set_add(struct optset *s, const char *opt, size_t len)
{
	int i;

	assert_true(len < OPT_LEN);
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !strncmp(s->v[i], opt, len))
			return;
	assert_true(s->n < MAX_OPTS);
	memcpy(s->v[s->n], opt, len);
	s->v[s->n++][len] = '\0';
}

static bool set_has(const struct optset *s, const char *opt)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], opt))
			return true;
	return false;
}

/* Length of the option at p ("-x" or "--name"), 0 if there is none. */
static size_t opt_len(const char *p)
{
	size_t n = 2;

	if (p[0] != '-')
		return 0;
	if (p[1] != '-')
		return isalpha((unsigned char)p[1]) &&
				       !isalnum((unsigned char)p[2]) ?
			       2 :
			       0;
	if (!isalpha((unsigned char)p[2]))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '-')
		n++;
	return n;
}

/* Characters that may come right before an option in running text. */
static bool opt_starts(const char *line, const char *p)
{
	return p == line || strchr(" \t\"',[(|{", p[-1]);
}

/* Adds every option mentioned in one line, up to a standalone "--". */
static void mentions(const char *line, struct optset *s)
{
	const char *p;
	size_t n;

	for (p = line; *p; p++) {
		if (!opt_starts(line, p))
			continue;
		if (p[0] == '-' && p[1] == '-' &&
		    (!p[2] || isspace((unsigned char)p[2])))
			return;
		n = opt_len(p);
		if (n)
			set_add(s, p, n);
	}
}

/* -------------------------------------------------------------- help text */

static char *capture(void (*write)(FILE *f))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	write(f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/* Options at the start of an indented line: "  -p, --pid PID   ...". */
static void help_defined_line(const char *line, struct optset *s)
{
	const char *p = line;
	size_t n;

	while (*p == ' ')
		p++;
	if (p - line < 2)
		return;
	while ((n = opt_len(p))) {
		set_add(s, p, n);
		p += n;
		if (strncmp(p, ", ", 2))
			break;
		p += 2;
	}
}

static void for_each_line(char *text, void (*fn)(const char *, void *),
			  void *arg)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fn(line, arg);
}

struct help_sets {
	struct optset *defined, *mentioned;
};

static void help_line(const char *line, void *arg)
{
	struct help_sets *h = arg;

	help_defined_line(line, h->defined);
	mentions(line, h->mentioned);
}

static void read_help(void (*write)(FILE *f), struct optset *defined,
		      struct optset *mentioned)
{
	struct help_sets h = { defined, mentioned };
	char *text = capture(write);

	for_each_line(text, help_line, &h);
	free(text);
}

/* --------------------------------------------------------------- man page */

static char *read_manpage(void)
{
	FILE *f = fopen(MANPAGE, "r");
	char *buf;
	long len;

	if (!f)
		fail_msg("cannot open %s", MANPAGE);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Skips the roff escape at p (a backslash); returns what stands for it. */
static const char *unescape_one(const char *p, char *out)
{
	*out = '\0';
	switch (p[1]) {
	case '-':
		*out = '-';
		return p + 2;
	case 'f':
		if (p[2] == '(')
			return p[3] && p[4] ? p + 5 : p + 3;
		if (p[2] == '[')
			return strchr(p, ']') ? strchr(p, ']') + 1 : p + 3;
		return p[2] ? p + 3 : p + 2;
	case '(':
		*out = ' ';
		return p[2] && p[3] ? p + 4 : p + 2;
	case '\0':
		return p + 1;
	default:
		return p + 2;
	}
}

/* The text of a roff line, escapes gone: "\-p" is "-p". */
static void unroff(const char *line, char *out, size_t len)
{
	size_t n = 0;
	char c;

	while (*line && n + 1 < len) {
		if (*line != '\\') {
			out[n++] = *line++;
			continue;
		}
		line = unescape_one(line, &c);
		if (c)
			out[n++] = c;
	}
	out[n] = '\0';
}

struct man_sets {
	struct optset *options; /* .TP tags under .SH OPTIONS */
	struct optset *flamegraph; /* under .SS "pipetrace flamegraph" */
	struct optset *mentioned;
};

struct man_state {
	char section[64], subsection[128];
	bool tag, example;
};

/* Whose .TP tags the current section defines, or NULL. */
static struct optset *tag_scope(const struct man_state *st,
				const struct man_sets *m)
{
	if (!strcmp(st->section, "OPTIONS"))
		return m->options;
	if (!strcmp(st->section, "SUBCOMMANDS") &&
	    !strncmp(st->subsection, "pipetrace flamegraph", 20))
		return m->flamegraph;
	return NULL;
}

/* The argument of a .SH or .SS line, quotes off. */
static void heading(const char *text, char *out, size_t len)
{
	snprintf(out, len, "%s", text + 3 + strspn(text + 3, " \""));
	out[strcspn(out, "\"")] = '\0';
}

static void man_request(const char *text, struct man_state *st)
{
	if (!strncmp(text, ".SH", 3)) {
		heading(text, st->section, sizeof(st->section));
		st->subsection[0] = '\0';
	} else if (!strncmp(text, ".SS", 3)) {
		heading(text, st->subsection, sizeof(st->subsection));
	}
	if (!strcmp(text, ".TP"))
		st->tag = true;
	else if (!strcmp(text, ".EX"))
		st->example = true;
	else if (!strcmp(text, ".EE"))
		st->example = false;
}

static void man_line(const char *line, struct man_state *st,
		     const struct man_sets *m)
{
	struct optset *scope = tag_scope(st, m);
	char text[1024];
	bool tag = st->tag;

	if (!strncmp(line, ".\\\"", 3) || !strncmp(line, "'\\\"", 3))
		return;
	unroff(line, text, sizeof(text));
	st->tag = false;
	man_request(text, st);
	if (tag && scope)
		mentions(text, scope);
	/* Examples: only the commands that run pipetrace. */
	if (!st->example || !strncmp(text, "pipetrace", 9))
		mentions(text, m->mentioned);
}

static void read_manpage_sets(const struct man_sets *m)
{
	struct man_state st = { 0 };
	char *text = read_manpage(), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		man_line(line, &st, m);
	free(text);
}

/* ------------------------------------------------------------------ tests */

/* Fails, naming them, if options of `a` are missing from `b`. */
static void assert_subset(const struct optset *a, const char *a_name,
			  const struct optset *b, const char *b_name)
{
	int i, missing = 0;

	for (i = 0; i < a->n; i++) {
		if (set_has(b, a->v[i]))
			continue;
		print_error("%s in %s but not in %s\n", a->v[i], a_name,
			    b_name);
		missing++;
	}
	assert_int_equal(missing, 0);
}

static void union_into(struct optset *to, const struct optset *from)
{
	int i;

	for (i = 0; i < from->n; i++)
		set_add(to, from->v[i], strlen(from->v[i]));
}

struct sets {
	struct optset help_trace, help_fg, help_mentioned;
	struct optset man_options, man_fg, man_mentioned;
};

static struct sets *read_all(void)
{
	struct sets *s = calloc(1, sizeof(*s));
	struct man_sets m;

	assert_non_null(s);
	read_help(pt_opts__usage, &s->help_trace, &s->help_mentioned);
	read_help(pt_cmd_list_usage, &s->help_trace, &s->help_mentioned);
	read_help(pt_cmd_flamegraph_usage, &s->help_fg, &s->help_mentioned);
	m = (struct man_sets){ &s->man_options, &s->man_fg, &s->man_mentioned };
	read_manpage_sets(&m);
	return s;
}

/* The parser itself: the checks below are only as good as what it finds. */
static void test_sets_found(void **state)
{
	struct sets *s = read_all();

	assert_true(set_has(&s->help_trace, "-p"));
	assert_true(set_has(&s->help_trace, "--pid"));
	assert_true(set_has(&s->help_trace, "--folded-offcpu"));
	assert_true(set_has(&s->help_fg, "--diff"));
	assert_false(set_has(&s->help_fg, "--pid"));
	assert_true(set_has(&s->man_options, "-V"));
	assert_true(set_has(&s->man_options, "--alloc-max"));
	assert_true(set_has(&s->man_fg, "--unit"));
	assert_false(set_has(&s->man_fg, "--pid"));
	/* Example commands' own options, after --, are not pipetrace's. */
	assert_false(set_has(&s->man_mentioned, "--records"));
	free(s);
}

static void test_trace_options_match(void **state)
{
	struct sets *s = read_all();

	assert_subset(&s->help_trace, "pipetrace --help", &s->man_options,
		      "the man page's OPTIONS");
	assert_subset(&s->man_options, "the man page's OPTIONS", &s->help_trace,
		      "pipetrace --help");
	free(s);
}

static void test_flamegraph_options_match(void **state)
{
	struct sets *s = read_all();

	assert_subset(&s->help_fg, "pipetrace flamegraph --help", &s->man_fg,
		      "the man page's flamegraph subsection");
	assert_subset(&s->man_fg, "the man page's flamegraph subsection",
		      &s->help_fg, "pipetrace flamegraph --help");
	free(s);
}

static void test_mentions_are_defined(void **state)
{
	struct sets *s = read_all();
	struct optset help_all = { 0 }, man_all = { 0 };

	union_into(&help_all, &s->help_trace);
	union_into(&help_all, &s->help_fg);
	union_into(&man_all, &s->man_options);
	union_into(&man_all, &s->man_fg);
	assert_subset(&s->man_mentioned, "the man page's text", &help_all,
		      "any --help");
	assert_subset(&s->help_mentioned, "the help text", &man_all,
		      "the man page's definitions");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sets_found),
		cmocka_unit_test(test_trace_options_match),
		cmocka_unit_test(test_flamegraph_options_match),
		cmocka_unit_test(test_mentions_are_defined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
