/* SPDX-License-Identifier: MIT */
/* cmd.h - the subcommands; each returns the process exit code. */
#ifndef PT_CMD_H
#define PT_CMD_H

#include "cli/opts.h"

int pt_cmd_trace(const struct pt_opts *o);
int pt_cmd_list(const struct pt_opts *o);
/* `pipetrace flamegraph ...`: parses its own options; argv[0] is
 * "flamegraph". */
int pt_cmd_flamegraph(int argc, char **argv);
/* Writes `pipetrace flamegraph --help`'s text. */
void pt_cmd_flamegraph_usage(FILE *f);

#endif /* PT_CMD_H */
