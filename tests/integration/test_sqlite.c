// SPDX-License-Identifier: MIT
/*
 * test_sqlite.c - issue 12 on a program nobody here wrote: Debian's sqlite3
 * doing autocommit inserts with PRAGMA synchronous=FULL into a file on disk
 * (not tmpfs, where fsync is free). Every commit fsyncs; the kernel CPU
 * spent inside fsync and write is I/O (io_cpu), so sqlite3_step's verdict
 * is io. sqlite3's output and exit status stay those of an untraced run.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define SQLITE "/usr/bin/sqlite3"
#define TIMEOUT 300.0
#define INSERTS 150
#define TMPFS_MAGIC 0x01021994

/* The SQL fed on standard input: the inserts, a query of what they left,
 * and a failing statement (sqlite3 then exits 1). */
static void feed_sql(int fd)
{
	char line[128];
	int i, n;

	n = snprintf(line, sizeof(line),
		     "PRAGMA synchronous=FULL;\n"
		     "CREATE TABLE t(a INTEGER, b TEXT);\n");
	if (write(fd, line, (size_t)n) != n)
		return;
	for (i = 1; i <= INSERTS; i++) {
		n = snprintf(line, sizeof(line),
			     "INSERT INTO t VALUES(%d, 'row %d');\n", i, i);
		if (write(fd, line, (size_t)n) != n)
			return;
	}
	n = snprintf(line, sizeof(line),
		     "SELECT count(*), sum(a) FROM t;\n"
		     "INSERT INTO no_such_table VALUES(1);\n");
	if (write(fd, line, (size_t)n) != n)
		return;
}

/* Runs argv (ending in sqlite3 DB) fed the SQL; its exit code, stdout in
 * *out, stderr in *err. */
static int run_fed(char **argv, char **out, char **err)
{
	struct ptest_proc p;

	*out = *err = NULL;
	assert_int_equal(ptest_spawn(&p, argv, true), 0);
	feed_sql(p.in_fd);
	close(p.in_fd);
	p.in_fd = -1;
	return ptest_finish(&p, TIMEOUT, out, err);
}

static uint64_t part(json_object *s, const char *name)
{
	return ptest_u64(json_object_object_get(s, "breakdown_ns"), name);
}

/* A database path on disk beside the build (skips on tmpfs). */
static void db_path(char *buf, size_t len, const char *tag)
{
	struct statfs fs;

	snprintf(buf, len, "%s/sqlite-%s-%d.db", PT_BUILD_DIR, tag, getpid());
	unlink(buf);
	if (statfs(PT_BUILD_DIR, &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
		print_message(
			"[  SKIP    ] %s is on tmpfs: fsync is free there\n",
			PT_BUILD_DIR);
		skip();
	}
}

/* Traces sqlite3_step in sqlite3 with --syscalls mode (NULL: none); checks sqlite3's
 * output and status against an untraced run; returns the stage's report
 * (json_object_put *rep). */
static json_object *trace_sqlite(const char *mode, json_object **rep)
{
	char plain_db[256], traced_db[256], jpath[64];
	char *plain[] = { SQLITE, plain_db, NULL };
	/* mode NULL: no --syscalls (the default). */
	char *traced[] = { PTEST_PIPETRACE,
			   "--syscalls",
			   (char *)mode,
			   "-s",
			   "libsqlite3.so.0:sqlite3_step",
			   "-j",
			   jpath,
			   "--",
			   SQLITE,
			   traced_db,
			   NULL };
	char *out1, *err1, *out2, *err2;
	int code1, code2;
	json_object *s;

	if (!mode) /* drop "--syscalls" and its NULL mode */
		memmove(&traced[1], &traced[3],
			sizeof(traced) - 3 * sizeof(traced[0]));
	PTEST_REQUIRE_TRACING();
	if (access(SQLITE, X_OK)) {
		print_message("[  SKIP    ] no %s (apt-get install sqlite3)\n",
			      SQLITE);
		skip();
	}
	db_path(plain_db, sizeof(plain_db), "plain");
	db_path(traced_db, sizeof(traced_db), "traced");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	code1 = run_fed(plain, &out1, &err1);
	code2 = run_fed(traced, &out2, &err2);
	print_message("  sqlite3: exit %d untraced, %d traced; stdout %s",
		      code1, code2, out1);
	assert_int_equal(code1, 1); /* the failing last statement */
	assert_int_equal(code2, code1);
	assert_string_equal(out2, out1);
	assert_non_null(strstr(out1, "150|11325"));
	*rep = ptest_take_json(jpath);
	s = ptest_stage(*rep, "sqlite3_step");
	if (!s)
		fail_msg("no sqlite3_step in the report; stderr:\n%s", err2);
	/* Every statement is a step at least; the inserts autocommit. */
	assert_true(ptest_u64(s, "calls") >= INSERTS + 2);
	unlink(plain_db);
	unlink(traced_db);
	free(out1);
	free(err1);
	free(out2);
	free(err2);
	return s;
}

/* Judged without the run queue, which only a busy machine fills: the
 * share of the rest that is I/O (blocked, plus io_cpu when known). */
static double io_share(json_object *s, uint64_t io_cpu)
{
	uint64_t self = ptest_u64(s, "self_ns"), runq = part(s, "runqueue");

	if (self <= runq)
		return 0;
	return (double)(part(s, "io") + io_cpu) / (double)(self - runq);
}

static void check_verdict(json_object *s, double share)
{
	uint64_t self = ptest_u64(s, "self_ns"), runq = part(s, "runqueue");
	const char *v =
		json_object_get_string(json_object_object_get(s, "verdict"));

	if (runq < 0.3 * self)
		assert_string_equal(v, "io");
	else
		print_message(
			"  verdict %s not checked: %.0f%% run queue (a busy machine)\n",
			v, 100.0 * runq / self);
	assert_true(share >= 0.6);
}

static void test_sqlite_exact(void **state)
{
	json_object *rep, *s, *io;
	uint64_t sys, io_cpu;
	double share;

	s = trace_sqlite("exact", &rep);
	io = json_object_object_get(s, "io");
	sys = part(s, "sys");
	io_cpu = part(s, "io_cpu");
	share = io_share(s, io_cpu);
	print_message(
		"  sqlite3_step: self %.1f ms, io %.1f ms, sys %.1f ms of which io_cpu %.1f ms, runq %.1f ms: I/O %.0f%% of the rest; %llu fsyncs\n",
		ptest_u64(s, "self_ns") / 1e6, part(s, "io") / 1e6, sys / 1e6,
		io_cpu / 1e6, part(s, "runqueue") / 1e6, 100 * share,
		(unsigned long long)ptest_u64(io, "fsyncs"));
	/* Each autocommit insert syncs its journal and the database. */
	assert_true(ptest_u64(io, "fsyncs") >= 2 * INSERTS);
	assert_true(io_cpu > 0);
	assert_true(io_cpu <= sys);
	check_verdict(s, share);
	json_object_put(rep);
}

/* --syscalls libc: no syscall tracepoint, but sqlite3's libc I/O
 * wrappers are probed (only sqlite3 pays): io_cpu, the on-CPU time inside
 * pwrite64, fsync, ..., and the fsyncs are known, and the verdict is io as
 * in exact mode. */
static void test_sqlite_light(void **state)
{
	json_object *rep, *s, *io;
	uint64_t io_cpu;
	double share;

	s = trace_sqlite("libc", &rep);
	io = json_object_object_get(s, "io");
	assert_null(json_object_object_get(
		json_object_object_get(s, "breakdown_ns"), "sys"));
	io_cpu = part(s, "io_cpu");
	share = io_share(s, io_cpu);
	print_message(
		"  sqlite3_step: self %.1f ms, io %.1f ms, on_cpu %.1f ms of which io_cpu %.1f ms, runq %.1f ms: I/O %.0f%% of the rest; %llu fsyncs\n",
		ptest_u64(s, "self_ns") / 1e6, part(s, "io") / 1e6,
		part(s, "on_cpu") / 1e6, io_cpu / 1e6,
		part(s, "runqueue") / 1e6, 100 * share,
		(unsigned long long)ptest_u64(io, "fsyncs"));
	/* Its journal and database written through write(2) at least. */
	assert_true(ptest_u64(io, "write_bytes") >= INSERTS * 512);
	assert_true(part(s, "io") > 0);
	assert_true(ptest_u64(io, "fsyncs") >= 2 * INSERTS);
	assert_true(io_cpu > 0);
	assert_true(io_cpu <= part(s, "on_cpu"));
	check_verdict(s, share);
	json_object_put(rep);
}

/* No --syscalls: the default is light, without the libc probes: what it
 * cannot see (sys, io_cpu, fsyncs) is unknown (null), never 0; the blocked
 * I/O and the bytes are still there. */
static void test_sqlite_default(void **state)
{
	json_object *rep, *s, *io, *bd;

	s = trace_sqlite(NULL, &rep);
	io = json_object_object_get(s, "io");
	bd = json_object_object_get(s, "breakdown_ns");
	assert_null(json_object_object_get(bd, "sys"));
	assert_null(json_object_object_get(bd, "io_cpu"));
	assert_null(json_object_object_get(io, "fsyncs"));
	assert_true(ptest_u64(io, "write_bytes") >= INSERTS * 512);
	assert_true(part(s, "io") > 0);
	json_object_put(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_exact),
		cmocka_unit_test(test_sqlite_light),
		cmocka_unit_test(test_sqlite_default),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
