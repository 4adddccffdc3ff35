/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the subcommands: one table, one file each (cmd_<name>.c).
 *
 *   pipetrace [trace] [OPTIONS] (-p PID | -- CMD [ARGS...])
 *   pipetrace list [-p PID | FILE] [SPEC] [--sites]
 *   pipetrace flamegraph [OPTIONS] IN [IN2]
 *
 * Each command parses its own options from (argc, argv), argv[0] being its
 * name, and returns the process exit code: 0, 1 on failure, 2 on bad
 * options. A new subcommand is one file and one row in commands.c.
 */
#ifndef PT_CMD_H
#define PT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "target/spec.h"

struct pt_command {
	const char *name;
	const char *summary; /* one line for `pipetrace help` */
	int (*run)(int argc, char **argv);
};

/* Runs the command argv[1] names; "trace" when argv[1] names none. */
int pt_commands__run(int argc, char **argv);
/* The list of subcommands, one line each, for the help texts. */
void pt_commands__usage(FILE *f);

int pt_cmd_trace(int argc, char **argv);
int pt_cmd_list(int argc, char **argv);
int pt_cmd_flamegraph(int argc, char **argv);
int pt_cmd_help(int argc, char **argv);

/* `pipetrace list` options, parsed by cmd_list.c. */
struct pt_list_opts {
	bool help;
	bool verbose;
	bool sites; /* --sites: the nop5 probe sites */
	pid_t pid; /* -p; 0 with FILE */
	const char *file; /* FILE */
	struct pt_spec spec; /* [SPEC]; spec.pattern NULL when none */
};

/* argv[0] is "list". Returns 0 or -EINVAL with a message in err. */
int pt_list_opts__parse(int argc, char **argv, struct pt_list_opts *o,
			char *err, size_t errlen);
void pt_list_opts__free(struct pt_list_opts *o);
/* Write `pipetrace list --help`'s and `flamegraph --help`'s texts. */
void pt_cmd_list_usage(FILE *f);
void pt_cmd_flamegraph_usage(FILE *f);

#endif /* PT_CMD_H */
