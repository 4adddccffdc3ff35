/* SPDX-License-Identifier: MIT */
/*
 * sink.h - where a trace's results go: a table of formats, each one file
 * in src/output/, and the sinks a run writes (-o FORMAT=PATH, --json, ...).
 *
 * A sink's destination is opened first, before anything is attached, so
 * that a bad path fails at once: "-" is standard output (and /dev/stdout,
 * /dev/stderr the streams they name); any other path goes through the one
 * atomic writer (util/atomicfile.h) and appears only when complete. A
 * format writes only to the sink's FILE *:
 *
 *   open    after the destination is open (a header)       optional
 *   event   one streamed call (--events), from the drain   optional
 *   tick    an interval's report (-i)                      optional
 *   finish  the final report (and its snapshot)            required
 *   close   free what open made                            optional
 *
 * Then the sink commits (a file is put in place; a stream is flushed) or,
 * after any failure, aborts (no file is left). Adding a format: a file, a
 * row in formats[] (sink.c) and a golden test.
 */
#ifndef PT_SINK_H
#define PT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report.h"
#include "util/atomicfile.h"

/* What a format needs the trace to collect. */
enum {
	PT_SINK_EVENTS = 1 << 0, /* every call, streamed */
	PT_SINK_ONCPU = 1 << 1, /* on-CPU stack samples */
	PT_SINK_OFFCPU = 1 << 2, /* off-CPU stacks */
};

struct pt_sink;

struct pt_sink_format {
	const char *name; /* -o NAME=PATH */
	const char *what; /* for messages and --help */
	unsigned int needs; /* PT_SINK_* */
	/* Each returns 0 or -errno (-EIO when writing failed); a failure
	 * may leave a one-line message in s->err. */
	int (*open)(struct pt_sink *s);
	int (*event)(struct pt_sink *s, const void *data, size_t size);
	int (*tick)(struct pt_sink *s, const struct pt_report *r);
	int (*finish)(struct pt_sink *s, const struct pt_report *r);
	void (*close)(struct pt_sink *s);
};

struct pt_sink {
	const struct pt_sink_format *fmt;
	const char *path; /* as given; "-": standard output */
	const char *option; /* how it was asked for ("--json", "-o json") */
	FILE *f;
	struct pt_afile *af; /* NULL when f is a standard stream */
	const struct pt_stage_set *stages; /* for event */
	void *priv; /* the format's */
	uint64_t count; /* what it wrote, for note */
	char note[160]; /* after finish: what was written */
	char detail[512]; /* after finish: a line under the note, or "" */
	char err[512]; /* after a failure: why */
	int ret; /* the first failure, -errno */
};

struct pt_sinks {
	struct pt_sink *v;
	size_t n;
};

/* The format named name, or NULL. */
const struct pt_sink_format *pt_sink_format__find(const char *name);
/* The formats' names, comma-separated, into buf. */
const char *pt_sink_format__names(char *buf, size_t len);

/*
 * Adds a sink of format name writing to path ("-": standard output; NULL:
 * standard error). option names it in messages. Returns 0, -EINVAL (no
 * such format) or -ENOMEM, with a message in err.
 */
int pt_sinks__add(struct pt_sinks *ss, const char *name, const char *path,
		  const char *option, char *err, size_t errlen);

/*
 * Opens every sink's destination and runs its format's open. stages must
 * outlive the sinks. Returns 0 or -errno with "OPTION PATH: what; fix" in
 * err (and then every sink is closed, no file left).
 */
int pt_sinks__open(struct pt_sinks *ss, const struct pt_stage_set *stages,
		   char *err, size_t errlen);

/* PT_SINK_* of every sink. */
unsigned int pt_sinks__needs(const struct pt_sinks *ss);

/* A ring-buffer callback (ctx: the struct pt_sinks): hands one event to
 * every sink that takes them. A sink that fails stops taking them and
 * keeps its error for the end. Returns 0. */
int pt_sinks__event(void *ctx, void *data, size_t size);

/* Marks every sink whose format needs any of needs (PT_SINK_*) as failed
 * with ret (a drain of the stream failed): it is aborted at the end. */
void pt_sinks__fail(struct pt_sinks *ss, unsigned int needs, int ret);

/* An interval's report to every sink with a tick. */
void pt_sinks__tick(struct pt_sinks *ss, const struct pt_report *r);

/*
 * Finishes every sink with r and commits it, or aborts it when anything
 * failed. Returns 0, or the first -errno; each failed sink has its message
 * in err, each written one a note.
 */
int pt_sinks__finish(struct pt_sinks *ss, const struct pt_report *r);

/* Aborts every sink still open (no file is left) and frees them. */
void pt_sinks__free(struct pt_sinks *ss);

/* The formats' writers, exposed for tests. 0 or -EIO. */
int pt_report__write_table(FILE *f, const struct pt_report *r);
int pt_report__write_json(FILE *f, const struct pt_report *r);

extern const struct pt_sink_format pt_sink_table, pt_sink_json, pt_sink_events,
	pt_sink_folded, pt_sink_folded_offcpu;

#endif /* PT_SINK_H */
