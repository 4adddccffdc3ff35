// SPDX-License-Identifier: MIT
/*
 * spec.c - the stage spec parser: -s [OBJECT:]PATTERN[,items=MODE] into a
 * struct pt_spec (see spec.h).
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

/* Frees what s holds and leaves it holding nothing: a caller frees a spec
 * after a failed parse too. */
static void spec_clear(struct pt_spec *s)
{
	free(s->object);
	free(s->pattern);
	s->object = s->pattern = NULL;
}

int pt_spec__parse(const char *text, struct pt_spec *s, char *err,
		   size_t errlen)
{
	char *copy, *opt, *colon;

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
	opt = strchr(copy, ',');
	if (opt) {
		*opt++ = '\0';
		if (strncmp(opt, "items=", 6) ||
		    (s->items = parse_items_mode(opt + 6)) == -2) {
			pt_errf(err, errlen, -EINVAL,
				"bad stage spec option '%s' in '%s'; use ,items=auto|none|s32|u32|s64|u64",
				opt, text);
			free(copy);
			return -EINVAL;
		}
	}
	colon = strrchr(copy, ':');
	if (colon) {
		*colon = '\0';
		if (!*copy) {
			free(copy);
			return pt_errf(
				err, errlen, -EINVAL,
				"empty object name in stage spec '%s'; use OBJECT:PATTERN, e.g. libc.so.6:write",
				text);
		}
		s->object = strdup(copy);
		s->pattern = strdup(colon + 1);
	} else {
		s->pattern = strdup(copy);
	}
	free(copy);
	if (!s->pattern || (colon && !s->object)) {
		spec_clear(s);
		return -ENOMEM;
	}
	if (!*s->pattern) {
		spec_clear(s);
		return pt_errf(
			err, errlen, -EINVAL,
			"empty function pattern in stage spec '%s'; use OBJECT:PATTERN, e.g. libc.so.6:write",
			text);
	}
	return 0;
}
