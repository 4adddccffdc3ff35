// SPDX-License-Identifier: MIT
/*
 * main.c - pipetrace's entry: the subcommand named by argv[1] (trace when
 * none is named) parses its own options and runs; see cmd.h.
 */
#include "cli/cmd.h"

int main(int argc, char **argv)
{
	return pt_commands__run(argc, argv);
}
