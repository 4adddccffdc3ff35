// SPDX-License-Identifier: MIT
/*
 * fuzz_opts.c - libFuzzer harness for the command-line parsers: the trace
 * options (pt_opts__parse()), `list`'s (pt_list_opts__parse()) and the -s
 * stage spec (pt_spec__parse()).
 *
 * The input is split at '\n' into arguments (argv[0] is the command's
 * name), and the whole input is also one spec. Besides memory safety and
 * leaks (ASan/UBSan): errors are -EINVAL or -ENOMEM with a message; an
 * accepted trace command line has a target (a PID or a command, not
 * both), a thread limit within its documented range and well-formed specs;
 * an accepted spec has a non-empty pattern and an items mode in range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "target/spec.h"
#include "fuzz.h"

#define MAX_ARGS 64

static void check_spec(const struct pt_spec *s)
{
	CHECK(s->pattern && s->pattern[0]);
	CHECK(!s->object || s->object[0]);
	CHECK(s->items >= -1 && s->items <= PT_ITEMS_U64);
}

static void check_error(int err, const char *msg)
{
	CHECK(err == -EINVAL || err == -ENOMEM);
	CHECK(err == -ENOMEM || msg[0]);
}

static void fuzz_spec(const char *text)
{
	struct pt_spec s;
	char err[256] = "";
	int ret = pt_spec__parse(text, &s, err, sizeof(err));

	if (ret) {
		check_error(ret, err);
		return;
	}
	check_spec(&s);
	free(s.object);
	free(s.pattern);
}

static void fuzz_trace(int argc, char **argv)
{
	struct pt_opts o;
	char err[256] = "";
	int ret = pt_opts__parse(argc, argv, &o, err, sizeof(err));
	size_t i;

	if (ret) {
		check_error(ret, err);
	} else if (!o.help && !o.version) {
		CHECK(!o.pid != !o.argv);
		CHECK(o.pid >= 0);
		CHECK(o.max_threads >= 1 && o.max_threads <= 4194304);
		for (i = 0; i < o.nspecs; i++)
			check_spec(&o.specs[i]);
	}
	pt_opts__free(&o);
}

static void fuzz_list(int argc, char **argv)
{
	struct pt_list_opts o;
	char err[256] = "";
	int ret = pt_list_opts__parse(argc, argv, &o, err, sizeof(err));

	if (ret)
		check_error(ret, err);
	else if (!o.help)
		CHECK(!o.pid != !o.file);
	if (!ret && o.spec.pattern)
		check_spec(&o.spec);
	pt_list_opts__free(&o);
}

/* Splits text (NUL-terminated, modified) at '\n' after argv[0]. */
static int split(char *text, const char *argv0, char **argv)
{
	int argc = 0;
	char *p = text;

	argv[argc++] = (char *)argv0;
	while (argc < MAX_ARGS) {
		char *nl = strchr(p, '\n');

		argv[argc++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	argv[argc] = NULL;
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *copy;
	char *argv[MAX_ARGS + 1];
	int argc;

	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_spec(text);
	copy = strdup(text);
	CHECK(copy);
	argc = split(text, "pipetrace", argv);
	fuzz_trace(argc, argv);
	argc = split(copy, "list", argv);
	fuzz_list(argc, argv);
	free(text);
	free(copy);
	return 0;
}
