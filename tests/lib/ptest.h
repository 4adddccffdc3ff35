/* SPDX-License-Identifier: MIT */
/*
 * ptest.h - helpers for integration tests that run pipetrace for real:
 * whether this machine can load BPF probes, running a command with a
 * deadline and captured output, reading JSON reports.
 */
#ifndef PTEST_H
#define PTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json.h>

#include "lib/paths.h"

#define PTEST_PIPETRACE PT_BUILD_DIR "/pipetrace"
#define PTEST_REFPIPE PT_BUILD_DIR "/refpipe"

/* Why BPF probes cannot be loaded here (not root, no BTF, no uprobes), or
 * NULL when they can. */
const char *ptest_cannot_trace(void);

/* Runs only the tests whose names match $PTEST_FILTER (cmocka's * and ?
 * wildcards), when it is set: `PTEST_FILTER=test_attach_by_pid`. */
void ptest_filter_from_env(void);

/* Skips the current cmocka test, printing why, when probes can't load. */
#define PTEST_REQUIRE_TRACING()                                   \
	do {                                                      \
		const char *why_ = ptest_cannot_trace();          \
		if (why_) {                                       \
			print_message("[  SKIP    ] %s\n", why_); \
			skip();                                   \
		}                                                 \
	} while (0)

struct ptest_proc {
	pid_t pid;
	int out_fd, err_fd; /* read ends, or -1 */
	int in_fd; /* write end of stdin when asked for, or -1 */
};

/* Starts argv with stdout/stderr piped (and stdin piped if want_stdin).
 * Returns 0 or -errno. */
int ptest_spawn(struct ptest_proc *p, char *const argv[], bool want_stdin);
/* Reads stderr until a line containing `needle` arrives (appending what it
 * read to *log) or timeout_s passes. Returns true if it arrived. */
bool ptest_wait_stderr(struct ptest_proc *p, const char *needle,
		       double timeout_s, char **log);
/* Waits for the process to exit within timeout_s (then SIGKILLs it and
 * returns -1), collecting the rest of its output. *err must be NULL or what
 * ptest_wait_stderr() logged (it is extended). Returns the exit code as a
 * shell would report it. */
int ptest_finish(struct ptest_proc *p, double timeout_s, char **out,
		 char **err);

/* Runs argv to completion (at most timeout_s); out/err may be NULL. */
int ptest_run(char *const argv[], double timeout_s, char **out, char **err);
/* ptest_run() that fails the test, with its stderr, unless argv exits 0. */
void ptest_run_ok(char *const argv[], double timeout_s, char **out, char **err);

/*
 * Runs pipetrace --json J [pt_args] -- refpipe [ref_args] --self-report S,
 * feeding refpipe's stdin with feed() when given; fails the test unless it
 * exits 0; loads both reports into *rep and *self (json_object_put them).
 */
void ptest_trace_refpipe(char **pt_args, char **ref_args, void (*feed)(int fd),
			 json_object **rep, json_object **self);

/* Starts `pipetrace -p target [extra...]` and waits until it has attached
 * (its "tracing N stage" line); fails the test otherwise. *log gets its
 * stderr so far (hand it to ptest_finish()). */
void ptest_attach(struct ptest_proc *tracer, pid_t target, char **extra,
		  char **log);

/* Parses a JSON file; NULL (and a printed reason) if it can't. */
json_object *ptest_load_json(const char *path);
/* ptest_load_json() that fails the test when path does not parse, and
 * removes the file. */
json_object *ptest_take_json(const char *path);
/* The element of array `stages` in report whose "name" is name, or NULL. */
json_object *ptest_stage(json_object *report, const char *name);
/* The whole of the file at path, NUL-terminated (free it); fails the
 * test when it cannot be read. */
char *ptest_slurp(const char *path);
/* The element of array `threads` in report whose "tid" is tid, or NULL. */
json_object *ptest_thread(json_object *report, uint64_t tid);
/* The value of `key VALUE` in a test program's books (a text file of
 * such lines); fails the test when the file or the key is missing. */
uint64_t ptest_book(const char *path, const char *key);
/* Integer member lookups that fail the test when the key is missing. */
uint64_t ptest_u64(json_object *o, const char *key);
/* A fresh temporary file path under /tmp (the file is not created). */
void ptest_tmp_path(char *buf, size_t len, const char *suffix);
/* Sets the environment for an offline `go build` of one file (no modules)
 * with its cache and GOPATH under dir. */
void ptest_go_env(const char *dir);
/* Entries of dir, "." and ".." aside (fails the test if it cannot be read). */
int ptest_count_entries(const char *dir);
/* Number of lines in s (a final line without '\n' counts). */
int ptest_count_lines(const char *s);

#endif /* PTEST_H */
