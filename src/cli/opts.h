/* SPDX-License-Identifier: MIT */
/*
 * opts.h - the trace command's option parser (into struct pt_opts, which
 * the session it drives defines), and the parsers other commands share
 * (PID; -s SPEC is target/spec.h's).
 *
 *   pipetrace [OPTIONS] -p PID
 *   pipetrace [OPTIONS] -- CMD [ARGS...]
 */
#ifndef PT_OPTS_H
#define PT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "session/trace_opts.h"

/*
 * Parses argv into *o (zeroed first). Returns 0, or -EINVAL with a one-line
 * message ("what is wrong; how to fix it") in err. Never prints or exits.
 */
int pt_opts__parse(int argc, char **argv, struct pt_opts *o, char *err,
		   size_t errlen);
void pt_opts__free(struct pt_opts *o);

/* Writes the trace command's usage text. */
void pt_opts__usage(FILE *f);

/* Parses a positive decimal process id; returns 0 or -EINVAL. */
int pt_opts__parse_pid(const char *s, pid_t *out);

#endif /* PT_OPTS_H */
