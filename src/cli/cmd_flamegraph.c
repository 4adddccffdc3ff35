// SPDX-License-Identifier: MIT
/*
 * cmd_flamegraph.c - `pipetrace flamegraph`: the folded stacks of a file as
 * an interactive SVG flame graph on standard output, or the differential
 * graph of two files (--diff BEFORE AFTER).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "output/flamegraph.h"
#include "output/folded.h"
#include "util/log.h"

#define SEE_HELP "see pipetrace flamegraph --help"

void pt_cmd_flamegraph_usage(FILE *f)
{
	fputs("usage: pipetrace flamegraph [--title T] [--unit samples|us] IN\n"
	      "       pipetrace flamegraph --diff [--title T] [--unit samples|us] BEFORE AFTER\n"
	      "\n"
	      "Write an interactive SVG flame graph of the folded stacks in IN (lines\n"
	      "'frame;frame;...;frame COUNT', plain or gzip-compressed) to standard\n"
	      "output. Click a frame to zoom in; Search (or Ctrl-F) highlights the\n"
	      "frames matching a regular expression and shows their share.\n"
	      "\n"
	      "      --title T     the graph's title (default \"" PT_FLAMEGRAPH_TITLE
	      "\")\n"
	      "      --unit U      what a count is: samples (on CPU, the default) or\n"
	      "                    us (off-CPU microseconds)\n"
	      "      --diff        widths from AFTER; a frame is red where its share of\n"
	      "                    the total grew since BEFORE, blue where it shrank\n"
	      "  -h, --help        this text\n",
	      f);
}

enum { OPT_TITLE = 256, OPT_UNIT, OPT_DIFF };

static const struct option long_opts[] = {
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parse the options into *o, *diff and *first (the first operand).
 * Returns -1 to go on, else the exit code (0 after --help, 2). */
static int parse(int argc, char **argv, struct pt_flamegraph_opts *o,
		 bool *diff, int *first)
{
	int c, want;

	optind = 0; /* glibc: start afresh, whatever parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			pt_cmd_flamegraph_usage(stdout);
			return 0;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_UNIT:
			if (strcmp(optarg, "samples") && strcmp(optarg, "us")) {
				pt_err("bad --unit '%s'; use samples (on CPU) or us (off-CPU microseconds)",
				       optarg);
				return 2;
			}
			o->unit = optarg;
			break;
		case OPT_DIFF:
			*diff = true;
			break;
		case ':':
			pt_err("option '%s' needs a value; " SEE_HELP,
			       argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				pt_err("unknown option '-%c'; " SEE_HELP,
				       optopt);
			else
				pt_err("unknown option '%s'; " SEE_HELP,
				       argv[optind - 1]);
			return 2;
		}
	}
	want = *diff ? 2 : 1;
	if (argc - optind < want) {
		pt_err("%s; usage: pipetrace flamegraph %s",
		       *diff ? "--diff takes two folded files" :
			       "no folded file given",
		       *diff ? "--diff BEFORE AFTER" : "IN");
		return 2;
	}
	if (argc - optind > want) {
		pt_err("unexpected argument '%s'; %s", argv[optind + want],
		       *diff ? "--diff takes two folded files, BEFORE AFTER" :
			       "give one folded file (or --diff BEFORE AFTER)");
		return 2;
	}
	*first = optind;
	return -1;
}

int pt_cmd_flamegraph(int argc, char **argv)
{
	struct pt_flamegraph_opts o = { 0 };
	struct pt_folded *f[2] = { NULL, NULL };
	int code, first, i, n, ret;
	bool diff = false;
	char err[512];

	code = parse(argc, argv, &o, &diff, &first);
	if (code >= 0)
		return code;
	code = 1;
	n = diff ? 2 : 1;
	for (i = 0; i < n; i++) {
		ret = pt_folded__new(&f[i]);
		if (ret) {
			pt_err("out of memory; free some memory");
			goto out;
		}
		ret = pt_folded__read(f[i], argv[first + i], err, sizeof(err));
		if (ret) {
			pt_err("%s", err);
			goto out;
		}
		if (!pt_folded__nr_stacks(f[i]))
			pt_warn("%s holds no stacks; its graph is empty",
				argv[first + i]);
	}
	errno = 0; /* a failed write leaves its errno */
	if (diff)
		ret = pt_flamegraph__write_diff(stdout, f[0], f[1], &o);
	else
		ret = pt_flamegraph__write_svg(stdout, f[0], &o);
	if (ret == -ENOMEM) {
		pt_err("out of memory drawing the graph; free some memory");
		goto out;
	}
	if (ret || fflush(stdout) || ferror(stdout)) {
		pt_err("cannot write the SVG to standard output: %s; check the disk space or the redirection",
		       strerror(errno ? errno : EIO));
		goto out;
	}
	code = 0;
out:
	pt_folded__free(f[0]);
	pt_folded__free(f[1]);
	return code;
}
