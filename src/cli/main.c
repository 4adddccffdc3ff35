// SPDX-License-Identifier: MIT
/*
 * main.c - pipetrace's entry: parse the options, then run the subcommand.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/opts.h"

#define PIPETRACE_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*run)(const struct pt_opts *o);
} commands[] = {
	[PT_CMD_TRACE] = { "trace", pt_cmd_trace },
	[PT_CMD_LIST] = { "list", pt_cmd_list },
};

int main(int argc, char **argv)
{
	struct pt_opts o;
	char err[512];
	int code;

	/* A subcommand with options of its own, parsed there. */
	if (argc > 1 && !strcmp(argv[1], "flamegraph"))
		return pt_cmd_flamegraph(argc - 1, argv + 1);
	if (pt_opts__parse(argc, argv, &o, err, sizeof(err))) {
		pt_err("%s", err);
		pt_opts__free(&o);
		return 2;
	}
	if (o.help) {
		pt_opts__usage(stdout, o.cmd);
		if (o.cmd == PT_CMD_TRACE)
			fputs("\nFlame graphs of folded stacks: pipetrace flamegraph --help\n",
			      stdout);
		pt_opts__free(&o);
		return 0;
	}
	if (o.version) {
		printf("pipetrace %s\n", PIPETRACE_VERSION);
		pt_opts__free(&o);
		return 0;
	}
	/* A closed stdout (pipetrace | head) is a write error, not death
	 * before --json is written. A launched command gets SIG_DFL back. */
	signal(SIGPIPE, SIG_IGN);
	pt_log_set_level(o.verbose ? PT_LOG_DEBUG : PT_LOG_INFO);
	pt_log_install_libbpf();
	code = commands[o.cmd].run(&o);
	pt_opts__free(&o);
	return code;
}
