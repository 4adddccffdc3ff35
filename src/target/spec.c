// SPDX-License-Identifier: MIT
/*
 * spec.c - the stage spec parser: -s [OBJECT:]PATTERN[,items=MODE] into a
 * struct pt_spec (see spec.h).
 *
 * OBJECT ends at the first lone ':' outside [...]: "libfoo.so:ns::f*" is
 * OBJECT libfoo.so, pattern ns::f*; "ns::C::f" and "f[abi:cxx11]" have no
 * OBJECT. The options start at the first ',' followed by WORD=.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipetrace_abi.h"
#include "target/spec.h"
#include "util/log.h"

static int parse_items_mode(const char *s)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "auto", -1 },		 { "none", PT_ITEMS_NONE },
		{ "s32", PT_ITEMS_S32 }, { "u32", PT_ITEMS_U32 },
		{ "s64", PT_ITEMS_S64 }, { "u64", PT_ITEMS_U64 },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name))
			return modes[i].mode;
	return -2;
}

/*
 * Where OBJECT ends: the first ':' that stands alone (not part of a "::",
 * so C++ and Rust names never split) and is outside [...] (a glob's
 * bracket expression, C++'s "[abi:cxx11]"); NULL when there is none.
 */
static char *object_colon(char *s)
{
	int depth = 0;
	char *p;

	for (p = s; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (*p == ':' && p[1] == ':')
			while (p[1] == ':')
				p++;
		else if (*p == ':' && !depth)
			return p;
	}
	return NULL;
}

/*
 * Where the options start: the first ',' followed by WORD= (a C++ name's
 * commas, as in "f(int, long)" or "map<int,int>", are not). NULL: none.
 */
static char *option_comma(char *s)
{
	char *p = s;

	while ((p = strchr(p, ',')) != NULL) {
		size_t word = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");

		if (word && p[1 + word] == '=')
			return p;
		p++;
	}
	return NULL;
}

static int parse_option(const char *opt, const char *text, struct pt_spec *s,
			char *err, size_t errlen)
{
	if (!strncmp(opt, "items=", 6) &&
	    (s->items = parse_items_mode(opt + 6)) != -2)
		return 0;
	return pt_errf(
		err, errlen, -EINVAL,
		"bad stage spec option '%s' in '%s'; use ,items=auto|none|s32|u32|s64|u64",
		opt, text);
}

static int split(char *copy, const char *text, struct pt_spec *s, char *err,
		 size_t errlen)
{
	char *colon = object_colon(copy);

	if (colon) {
		*colon = '\0';
		if (!*copy)
			return pt_errf(
				err, errlen, -EINVAL,
				"empty object name in stage spec '%s'; use OBJECT:PATTERN, e.g. libc.so.6:write",
				text);
		s->object = strdup(copy);
		if (!s->object)
			return -ENOMEM;
	}
	s->pattern = strdup(colon ? colon + 1 : copy);
	if (!s->pattern)
		return -ENOMEM;
	if (!*s->pattern)
		return pt_errf(
			err, errlen, -EINVAL,
			"empty function pattern in stage spec '%s'; use OBJECT:PATTERN, e.g. libc.so.6:write",
			text);
	return 0;
}

int pt_spec__parse(const char *text, struct pt_spec *s, char *err,
		   size_t errlen)
{
	char *copy, *opt;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->items = -1;
	s->text = text;
	if (!*text)
		return pt_errf(
			err, errlen, -EINVAL,
			"empty stage spec; give -s PATTERN or -s OBJECT:PATTERN");
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	opt = option_comma(copy);
	if (opt) {
		*opt++ = '\0';
		ret = parse_option(opt, text, s, err, errlen);
	}
	if (!ret)
		ret = split(copy, text, s, err, errlen);
	free(copy);
	if (ret) {
		free(s->object);
		free(s->pattern);
		s->object = s->pattern = NULL;
	}
	return ret;
}
