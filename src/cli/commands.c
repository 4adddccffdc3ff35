// SPDX-License-Identifier: MIT
/*
 * commands.c - the one subcommand table and its dispatch (see cmd.h).
 */
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"

static const struct pt_command commands[] = {
	{ "trace", "trace a running process or a launched command (default)",
	  pt_cmd_trace },
	{ "list", "list the functions a -s SPEC can name", pt_cmd_list },
	{ "flamegraph", "draw folded stacks as an interactive SVG",
	  pt_cmd_flamegraph },
	{ "help", "this list, or a command's options: help COMMAND",
	  pt_cmd_help },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct pt_command *find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int pt_commands__run(int argc, char **argv)
{
	const struct pt_command *c = argc > 1 ? find(argv[1]) : NULL;

	if (c)
		return c->run(argc - 1, argv + 1);
	/* pipetrace [OPTIONS] ...: trace, argv[0] as given. */
	return pt_cmd_trace(argc, argv);
}

void pt_commands__usage(FILE *f)
{
	size_t i;

	fputs("Commands (pipetrace COMMAND --help for its options):\n", f);
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
}

int pt_cmd_help(int argc, char **argv)
{
	const struct pt_command *c = argc > 1 ? find(argv[1]) : NULL;
	char *sub[] = { NULL, "--help", NULL };

	if (argc > 1 && !c) {
		pt_err("no command '%s'; see pipetrace help", argv[1]);
		return 2;
	}
	if (c && c->run != pt_cmd_help) {
		sub[0] = argv[1];
		return c->run(2, sub);
	}
	fputs("usage: pipetrace [COMMAND] [OPTIONS]\n\n", stdout);
	pt_commands__usage(stdout);
	return 0;
}
