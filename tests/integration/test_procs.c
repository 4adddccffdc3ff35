// SPDX-License-Identifier: MIT
/*
 * test_procs.c - several processes on real uprobes, held to the programs'
 * own truth: a shell pipeline of two prog_zpipe processes (each counts its
 * own deflate() or inflate() calls) traced from the launched shell; a
 * pipeline of Debian's pigz counted by bpftrace on the same run; -p A,B on
 * two running instances; --comm catching a process started after
 * pipetrace; --no-follow keeping the launched process alone; bad -p and
 * --comm refused with one line before anything is attached. Every traced
 * pipeline's output and exit status are compared with an untraced run.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

#define ZPIPE PT_BUILD_DIR "/tests/integration/prog_zpipe"

/* The input every pipeline reads: 3 MB of base64 text, made once. */
static char input[64];

static int make_input(void **state)
{
	char cmd[160];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	(void)state;
	ptest_tmp_path(input, sizeof(input), ".in");
	snprintf(cmd, sizeof(cmd), "head -c 2300000 /dev/urandom | base64 > %s",
		 input);
	return ptest_run(argv, 30, NULL, NULL);
}

static int drop_input(void **state)
{
	(void)state;
	unlink(input);
	return 0;
}

/* The number a prog_zpipe wrote to path (its own count of calls). */
static uint64_t own_count(const char *path)
{
	char *s = ptest_slurp(path);
	uint64_t v = strtoull(s, NULL, 10);

	free(s);
	unlink(path);
	return v;
}

/* The element of rep's `processes` whose pid is pid, or NULL. */
static json_object *process(json_object *rep, uint64_t pid)
{
	json_object *procs, *p;
	size_t i;

	if (!json_object_object_get_ex(rep, "processes", &procs))
		fail_msg("no processes in the report");
	for (i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		if (ptest_u64(p, "pid") == pid)
			return p;
	}
	return NULL;
}

/* Calls of stage name in process p (0 when it has no row). */
static uint64_t proc_calls(json_object *p, const char *name)
{
	json_object *stages, *s, *n;
	size_t i;

	assert_true(json_object_object_get_ex(p, "stages", &stages));
	for (i = 0; i < json_object_array_length(stages); i++) {
		s = json_object_array_get_idx(stages, i);
		if (json_object_object_get_ex(s, "stage", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return ptest_u64(s, "calls");
	}
	return 0;
}

/* The pid a stage's calls were all in (its JSON `pid`). */
static uint64_t stage_pid(json_object *rep, const char *name)
{
	json_object *s = ptest_stage(rep, name), *pid;

	assert_non_null(s);
	assert_true(json_object_object_get_ex(s, "pid", &pid));
	assert_non_null(pid);
	return (uint64_t)json_object_get_int64(pid);
}

/* Runs `sh -c pipeline` untraced then under pipetrace pt_args (NULL
 * ended, at most 8); the two outputs (a file each, %1$s in pipeline) and
 * exit statuses must be the same. Returns the report. */
static json_object *trace_pipeline(const char *pipeline, char **pt_args)
{
	char out0[64], out1[64], jpath[64], cmd0[512], cmd1[512];
	char *plain[] = { "/bin/sh", "-c", cmd0, NULL };
	char *argv[20] = { PTEST_PIPETRACE, "-j", jpath };
	char *a, *b, *err = NULL;
	int n = 3, i, code0, code1;
	json_object *rep;

	ptest_tmp_path(out0, sizeof(out0), ".out");
	ptest_tmp_path(out1, sizeof(out1), ".out");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	snprintf(cmd0, sizeof(cmd0), pipeline, out0, input);
	snprintf(cmd1, sizeof(cmd1), pipeline, out1, input);
	code0 = ptest_run(plain, 120, NULL, NULL);
	for (i = 0; pt_args[i]; i++)
		argv[n++] = pt_args[i];
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = cmd1;
	argv[n] = NULL;
	code1 = ptest_run(argv, 180, NULL, &err);
	if (code1 != code0)
		fail_msg("traced exit %d, untraced %d; stderr: %s", code1,
			 code0, err ? err : "");
	a = ptest_slurp(out0);
	b = ptest_slurp(out1);
	assert_true(a[0] != '\0');
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(err);
	unlink(out0);
	unlink(out1);
	rep = ptest_take_json(jpath);
	return rep;
}

static void test_zpipe_pipeline_followed(void **state)
{
	char c[64], d[64], pipeline[512];
	char *args[] = { "-s", "libz.so.1:deflate", "-s", "libz.so.1:inflate",
			 NULL };
	uint64_t deflates, inflates, dpid, ipid;
	json_object *rep, *dp, *ip;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c, sizeof(c), ".count");
	ptest_tmp_path(d, sizeof(d), ".count");
	/* Exit status 3 from the last stage: it must come through too. */
	snprintf(pipeline, sizeof(pipeline),
		 "%s c %s < %%2$s | %s d %s | md5sum > %%1$s; exit 3", ZPIPE, c,
		 ZPIPE, d);
	rep = trace_pipeline(pipeline, args);
	deflates = own_count(c);
	inflates = own_count(d);
	assert_true(deflates > 0 && inflates > 0);
	/* Each stage's calls in one process, that process's own count. */
	dpid = stage_pid(rep, "deflate");
	ipid = stage_pid(rep, "inflate");
	assert_int_not_equal(dpid, ipid);
	dp = process(rep, dpid);
	ip = process(rep, ipid);
	assert_non_null(dp);
	assert_non_null(ip);
	assert_int_equal(proc_calls(dp, "deflate"), deflates);
	assert_int_equal(proc_calls(ip, "inflate"), inflates);
	assert_int_equal(proc_calls(dp, "inflate"), 0);
	assert_int_equal(ptest_u64(ptest_stage(rep, "deflate"), "calls"),
			 deflates);
	assert_int_equal(ptest_u64(ptest_stage(rep, "inflate"), "calls"),
			 inflates);
	assert_int_equal(ptest_u64(dp, "exit_status"), 0);
	json_object_put(rep);
}

static void test_no_follow_is_one_process(void **state)
{
	char c[64], d[64], pipeline[512];
	char *args[] = { "--no-follow", "-s", "libz.so.1:deflate", NULL };
	json_object *rep, *procs, *pl, *bn, *tie;
	bool sh_seen = false;
	uint64_t deflates;
	size_t i;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c, sizeof(c), ".count");
	ptest_tmp_path(d, sizeof(d), ".count");
	snprintf(pipeline, sizeof(pipeline),
		 "%s c %s < %%2$s | %s d %s | md5sum > %%1$s", ZPIPE, c, ZPIPE,
		 d);
	rep = trace_pipeline(pipeline, args);
	deflates = own_count(c);
	own_count(d);
	assert_true(deflates > 0);
	/* The shell alone, as before: none of its children's calls. */
	assert_int_equal(ptest_u64(ptest_stage(rep, "deflate"), "calls"), 0);
	assert_false(json_object_object_get_ex(rep, "processes", &procs));
	/* The shell is in the pipeline's graph (its stderr pipe), waiting
	 * for its children: the verdict, if any, never names it. */
	assert_true(json_object_object_get_ex(rep, "pipeline", &pl));
	assert_true(json_object_object_get_ex(pl, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs); i++)
		sh_seen |= ptest_u64(json_object_array_get_idx(procs, i),
				     "pid") == ptest_u64(rep, "pid");
	assert_true(sh_seen);
	if (json_object_object_get_ex(pl, "bottleneck", &bn) && bn) {
		if (ptest_u64(bn, "pid") == ptest_u64(rep, "pid"))
			fail_msg("the waiting shell is the bottleneck: %s",
				 json_object_to_json_string(bn));
		assert_true(json_object_object_get_ex(bn, "tie_pid", &tie));
		if (tie && (uint64_t)json_object_get_int64(tie) ==
				   ptest_u64(rep, "pid"))
			fail_msg(
				"the waiting shell ties for the bottleneck: %s",
				json_object_to_json_string(bn));
	}
	json_object_put(rep);
}

/* "@[PID]: N" lines of bpftrace's map output: the count for pid. */
static uint64_t bpftrace_count(const char *log, uint64_t pid)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "@[%llu]: ", (unsigned long long)pid);
	p = log ? strstr(log, key) : NULL;
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void test_pigz_pipeline_vs_bpftrace(void **state)
{
	char *bt[] = {
		"/bin/sh", "-c",
		"exec bpftrace -e 'uprobe:/lib/x86_64-linux-gnu/libz.so.1:deflate /comm == \"pigz\"/ { @[pid] = count(); }' 1>&2",
		NULL
	};
	char *args[] = { "-s", "libz.so.1:deflate", NULL };
	struct ptest_proc p;
	json_object *rep;
	char *log = NULL;
	uint64_t dpid, truth;

	(void)state;
	PTEST_REQUIRE_TRACING();
	if (access("/usr/bin/pigz", X_OK) ||
	    access("/usr/bin/bpftrace", X_OK)) {
		print_message("[  SKIP    ] pigz or bpftrace not installed\n");
		skip();
	}
	assert_int_equal(ptest_spawn(&p, bt, false), 0);
	if (!ptest_wait_stderr(&p, "Attaching", 60, &log))
		fail_msg("bpftrace did not attach: %s", log ? log : "");
	rep = trace_pipeline(
		"cat %2$s | pigz -9 -p1 | pigz -dc | md5sum > %1$s", args);
	kill(p.pid, SIGINT);
	ptest_finish(&p, 60, NULL, &log);
	dpid = stage_pid(rep, "deflate");
	truth = bpftrace_count(log, dpid);
	if (!truth)
		fail_msg("bpftrace saw no deflate in PID %llu: %s",
			 (unsigned long long)dpid, log ? log : "");
	assert_int_equal(proc_calls(process(rep, dpid), "deflate"), truth);
	assert_int_equal(ptest_u64(ptest_stage(rep, "deflate"), "calls"),
			 truth);
	free(log);
	json_object_put(rep);
}

/* Waits (up to 30 s) until pid runs prog_zpipe, past its exec. */
static void wait_exec(pid_t pid)
{
	char path[64], comm[32] = "";
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 3000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && !strncmp(comm, "prog_zpipe\n", 11))
			return;
		usleep(10000);
	}
	fail_msg("PID %d did not start prog_zpipe", (int)pid);
}

/* A prog_zpipe compressing generated data to /dev/null once released
 * through *go (its fd 3), its count to count. */
static pid_t start_waiting(const char *count, int *go)
{
	int fds[2];
	pid_t pid;

	/* Close-on-exec: the child holds no write end, so it sees EOF (and
	 * exits) if this test dies before releasing it. */
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* dup2() onto itself would keep close-on-exec. */
		if (fds[0] == 3)
			fcntl(3, F_SETFD, 0);
		else
			dup2(fds[0], 3);
		dup2(open("/dev/null", O_WRONLY), 1);
		execl(ZPIPE, ZPIPE, "c", count, "wait", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	wait_exec(pid);
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Starts pipetrace argv and waits until it has attached. */
static void start_tracer(struct ptest_proc *tracer, char **argv, char **log)
{
	assert_int_equal(ptest_spawn(tracer, argv, false), 0);
	if (!ptest_wait_stderr(tracer, "tracing ", 120, log))
		fail_msg("pipetrace did not attach: %s", *log ? *log : "");
}

static void test_pid_list(void **state)
{
	char c1[64], c2[64], jpath[64], pids[32];
	char *argv[] = { PTEST_PIPETRACE,     "-p", pids, "-j", jpath, "-s",
			 "libz.so.1:deflate", NULL };
	struct ptest_proc tracer;
	char *log = NULL;
	json_object *rep;
	pid_t a, b;
	int ga, gb;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c1, sizeof(c1), ".count");
	ptest_tmp_path(c2, sizeof(c2), ".count");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	a = start_waiting(c1, &ga);
	b = start_waiting(c2, &gb);
	snprintf(pids, sizeof(pids), "%d,%d", (int)a, (int)b);
	start_tracer(&tracer, argv, &log);
	/* B first: the trace must outlive A's exit. */
	assert_int_equal(write(gb, "g", 1), 1);
	close(gb);
	assert_int_equal(reap(b), 0);
	assert_int_equal(write(ga, "g", 1), 1);
	close(ga);
	assert_int_equal(reap(a), 0);
	/* It ends by itself once the last PID given has exited. */
	assert_int_equal(ptest_finish(&tracer, 60, NULL, &log), 0);
	rep = ptest_take_json(jpath);
	assert_int_equal(proc_calls(process(rep, (uint64_t)a), "deflate"),
			 own_count(c1));
	assert_int_equal(proc_calls(process(rep, (uint64_t)b), "deflate"),
			 own_count(c2));
	free(log);
	json_object_put(rep);
}

static void test_children_followed(void **state)
{
	char c[64], jpath[64], pid[16], cmd[512];
	char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	char *argv[] = {
		PTEST_PIPETRACE,     "-p", pid, "--children", "-j", jpath, "-s",
		"libz.so.1:deflate", NULL
	};
	struct ptest_proc tracer, shell;
	char *log = NULL, *err = NULL;
	json_object *rep, *procs, *p;
	uint64_t mine, seen = 0;
	size_t i;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c, sizeof(c), ".count");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	/* The shell forks prog_zpipe only once released (after attach);
	 * `exit 0` keeps it from exec'ing it in its own process. */
	snprintf(cmd, sizeof(cmd), "read go; %s c %s < %s > /dev/null; exit 0",
		 ZPIPE, c, input);
	assert_int_equal(ptest_spawn(&shell, sh, true), 0);
	snprintf(pid, sizeof(pid), "%d", (int)shell.pid);
	start_tracer(&tracer, argv, &log);
	assert_int_equal(write(shell.in_fd, "go\n", 3), 3);
	close(shell.in_fd);
	assert_int_equal(ptest_finish(&shell, 120, NULL, &err), 0);
	/* It ends by itself with the shell, the -p process. */
	assert_int_equal(ptest_finish(&tracer, 60, NULL, &log), 0);
	rep = ptest_take_json(jpath);
	mine = own_count(c);
	assert_true(mine > 0);
	assert_true(json_object_object_get_ex(rep, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		if (ptest_u64(p, "ppid") == (uint64_t)shell.pid)
			seen += proc_calls(p, "deflate");
	}
	/* Every call in the shell's child, none elsewhere. */
	assert_int_equal(seen, mine);
	assert_int_equal(ptest_u64(ptest_stage(rep, "deflate"), "calls"), mine);
	free(log);
	free(err);
	json_object_put(rep);
}

static void test_comm_catches_later_process(void **state)
{
	char c[64], jpath[64], path[4096];
	char *argv[] = { PTEST_PIPETRACE, "--comm", "prog_zpipe",	 "-j",
			 jpath,		  "-s",	    "libz.so.1:deflate", NULL };
	struct ptest_proc tracer;
	char *log = NULL;
	const char *old = getenv("PATH");
	json_object *rep, *procs, *p;
	uint64_t mine;
	pid_t z;
	int go;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c, sizeof(c), ".count");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	/* None runs yet: the name is looked up in PATH. */
	snprintf(path, sizeof(path), "%s/tests/integration:%s", PT_BUILD_DIR,
		 old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	start_tracer(&tracer, argv, &log);
	z = start_waiting(c, &go);
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(reap(z), 0);
	kill(tracer.pid, SIGINT);
	assert_int_equal(ptest_finish(&tracer, 60, NULL, &log), 0);
	rep = ptest_take_json(jpath);
	mine = own_count(c);
	/* One process only in the report: no `processes` (the table and
	 * JSON of one process); else it must be ours. */
	if (json_object_object_get_ex(rep, "processes", &procs)) {
		p = process(rep, (uint64_t)z);
		assert_non_null(p);
		assert_int_equal(proc_calls(p, "deflate"), mine);
	}
	assert_int_equal(ptest_u64(ptest_stage(rep, "deflate"), "calls"), mine);
	setenv("PATH", old ? old : "/usr/bin:/bin", 1);
	free(log);
	json_object_put(rep);
}

/*
 * A launched command that ends at once (/bin/true): its own exec is a file
 * whose stages were resolved before it ran, not a program missed because
 * it was gone before pipetrace read it (that warning came in 1 run of 10
 * here, 2 of 12 with prog_owncopy). 30 runs: never.
 */
static void test_short_command_not_missed(void **state)
{
	char *argv[] = { PTEST_PIPETRACE, "-s", "libc.so.6:write", "--",
			 "/bin/true",	  NULL };

	(void)state;
	PTEST_REQUIRE_TRACING();
	for (int i = 0; i < 30; i++) {
		char *out = NULL, *err = NULL;

		assert_int_equal(ptest_run(argv, 60, &out, &err), 0);
		if (strstr(err, "ended before pipetrace could read"))
			fail_msg("run %d: %s", i, err);
		free(out);
		free(err);
	}
}

/* ------------------------------------------ programs exec'd, --exe */

#define BURN PT_BUILD_DIR "/tests/integration/prog_burn"

/* A prog_burn's own "CALLS PID" from its count file. */
static uint64_t burn_count(const char *path, pid_t *pid)
{
	char *s = ptest_slurp(path);
	unsigned long calls = 0;
	int p = 0;

	if (sscanf(s, "%lu %d", &calls, &p) != 2)
		fail_msg("%s: '%s' is no prog_burn count", path, s);
	free(s);
	unlink(path);
	*pid = p;
	return calls;
}

/* Releases the prog_burn waiting on FIFO path: opens it (once its reader
 * has) and closes it. */
static void release(const char *path)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
}

static void make_fifo(char *path, size_t len)
{
	ptest_tmp_path(path, len, ".go");
	assert_int_equal(mkfifo(path, 0600), 0);
}

/*
 * `sh -c 'echo hi | prog_burn a | prog_burn b'` with -s 'burn_*': the
 * shell has no such function, prog_burn has both. The spec applies to
 * prog_burn when the shell's children exec it (probed once for the two),
 * before they burn (each waits on a FIFO the test opens once pipetrace
 * says it probed the program). Each process's calls are its own count.
 */
static void test_exec_program_probed(void **state)
{
	char ca[64], cb[64], ga[64], gb[64], out[64], jpath[64], cmd[1024];
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath, "-s", "burn_*", "--",
			 "/bin/sh",	  "-c", cmd,   NULL };
	struct ptest_proc tracer;
	char *log = NULL, *text;
	uint64_t na, nb;
	json_object *rep;
	pid_t pa, pb;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(ca, sizeof(ca), ".count");
	ptest_tmp_path(cb, sizeof(cb), ".count");
	ptest_tmp_path(out, sizeof(out), ".out");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	make_fifo(ga, sizeof(ga));
	make_fifo(gb, sizeof(gb));
	snprintf(cmd, sizeof(cmd),
		 "echo hi | %s a %s 300 %s | %s b %s 500 %s > %s", BURN, ca, ga,
		 BURN, cb, gb, out);
	assert_int_equal(ptest_spawn(&tracer, argv, false), 0);
	if (!ptest_wait_stderr(&tracer, "prog_burn probed", 120, &log))
		fail_msg("prog_burn was not probed: %s", log ? log : "");
	release(ga);
	release(gb);
	assert_int_equal(ptest_finish(&tracer, 120, NULL, &log), 0);
	rep = ptest_take_json(jpath);
	na = burn_count(ca, &pa);
	nb = burn_count(cb, &pb);
	assert_int_equal(na, 300);
	assert_int_equal(nb, 500);
	assert_int_equal(proc_calls(process(rep, (uint64_t)pa), "burn_a"), na);
	assert_int_equal(proc_calls(process(rep, (uint64_t)pb), "burn_b"), nb);
	assert_int_equal(ptest_u64(ptest_stage(rep, "burn_a"), "calls"), na);
	assert_int_equal(ptest_u64(ptest_stage(rep, "burn_b"), "calls"), nb);
	/* The pipeline's output, as untraced. */
	text = ptest_slurp(out);
	assert_string_equal(text, "hi\n");
	free(text);
	unlink(out);
	if (strstr(log, "not probed"))
		fail_msg("a program went unprobed: %s", log);
	free(log);
	json_object_put(rep);
}

/* The n-th (0: first) process of rep named comm, by start. */
static json_object *nth_named(json_object *rep, const char *comm, int n)
{
	json_object *procs, *p, *found[2] = { NULL, NULL };
	size_t i;
	int k = 0;

	assert_true(json_object_object_get_ex(rep, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs) && k < 2; i++) {
		json_object *c;

		p = json_object_array_get_idx(procs, i);
		if (json_object_object_get_ex(p, "command", &c) &&
		    !strcmp(json_object_get_string(c), comm))
			found[k++] = p;
	}
	if (k == 2 &&
	    ptest_u64(found[1], "start_ns") < ptest_u64(found[0], "start_ns")) {
		p = found[0];
		found[0] = found[1];
		found[1] = p;
	}
	if (n >= k)
		fail_msg("no process %d named %s", n, comm);
	return found[n];
}

/* The calls a process of refpipe made that pipetrace did not count
 * (against its self-report self), and the least time they took: each
 * stage's missed calls at its fastest call's wall time. */
static uint64_t missed_calls(json_object *p, json_object *self,
			     uint64_t *least_ns)
{
	static const char *const stages[] = {
		"stage_ingest",	   "stage_parse",    "stage_filter",
		"stage_normalize", "stage_features", "stage_sink",
	};
	uint64_t missed = 0, want, got;

	*least_ns = 0;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		want = ptest_u64(ptest_stage(self, stages[i]), "calls");
		got = proc_calls(p, stages[i]);
		assert_true(got <= want);
		missed += want - got;
		*least_ns +=
			(want - got) *
			ptest_u64(ptest_stage(self, stages[i]), "min_wall_ns");
	}
	return missed;
}

/*
 * `sh -c 'refpipe; refpipe; true'`, refpipe's stages not held back by any
 * FIFO: the first refpipe runs while pipetrace reads and probes its
 * program, and the calls it makes before then are not counted. They are
 * never dropped silently: the process's late_ns says how long it ran
 * unprobed, and the missed calls (its self-report's less the report's),
 * each at least its stage's fastest call, fit in that time; a warning
 * says so. The second refpipe's program is probed before it starts: not
 * late, every call counted. 100,000 records: each refpipe runs for
 * several times the window (143 ms once at load average 20), so the first
 * one is still there when pipetrace reads its program.
 */
static void test_exec_window_reported(void **state)
{
	char s1[64], s2[64], jpath[64], cmd[1024];
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath, "--",
			 "/bin/sh",	  "-c", cmd,   NULL };
	json_object *rep, *self1, *self2, *p1, *p2, *late;
	uint64_t missed, least;
	char *log = NULL;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(s1, sizeof(s1), ".self.json");
	ptest_tmp_path(s2, sizeof(s2), ".self.json");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	snprintf(cmd, sizeof(cmd),
		 "%s --records 100000 --batch 256 --self-report %s; "
		 "%s --records 100000 --batch 256 --self-report %s; true",
		 PTEST_REFPIPE, s1, PTEST_REFPIPE, s2);
	ptest_run_ok(argv, 120, NULL, &log);
	rep = ptest_take_json(jpath);
	self1 = ptest_take_json(s1);
	self2 = ptest_take_json(s2);
	p1 = nth_named(rep, "refpipe", 0);
	p2 = nth_named(rep, "refpipe", 1);
	assert_true(json_object_object_get_ex(p1, "late_ns", &late));
	assert_non_null(late);
	missed = missed_calls(p1, self1, &least);
	print_message("  first refpipe: unprobed %.2f ms after its exec, %llu "
		      "calls missed (at least %.2f ms of them)\n",
		      ptest_u64(p1, "late_ns") / 1e6,
		      (unsigned long long)missed, least / 1e6);
	assert_true(least <= ptest_u64(p1, "late_ns"));
	if (!strstr(log, "before its stages were probed"))
		fail_msg("no warning of the window: %s", log);
	assert_true(json_object_object_get_ex(p2, "late_ns", &late));
	assert_null(late);
	assert_int_equal(missed_calls(p2, self2, &least), 0);
	free(log);
	json_object_put(rep);
	json_object_put(self1);
	json_object_put(self2);
}

#define GO "/usr/bin/go" /* Debian's, not whatever is first in PATH */

/* Builds tests/integration/langs/burn.go at path, offline; false (the
 * test skips) without Debian's go. */
static bool build_go_burn(const char *dir, const char *path)
{
	char *argv[] = { GO,
			 "build",
			 "-o",
			 (char *)path,
			 PT_SOURCE_DIR "/tests/integration/langs/burn.go",
			 NULL };
	char *err = NULL;

	if (access(GO, X_OK))
		return false;
	ptest_go_env(dir);
	if (ptest_run(argv, 300, NULL, &err))
		fail_msg("go build: %s", err ? err : "");
	free(err);
	return true;
}

/*
 * `sh -c 'burn; true'` with -s main.burn, burn a Go program the shell's
 * child execs: its stages cannot be probed there (stage_go's layout is
 * set at load), and that is said, not dropped: its process's `unprobed`
 * gives the reason, the warning names it, no stage is counted; its output
 * ("burn 200", its own count) and exit status are those of an untraced
 * run.
 */
static void test_exec_go_refused(void **state)
{
	char dir[64], path[96], jpath[64], cmd[256];
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath, "-s", "main.burn", "--",
			 "/bin/sh",	  "-c", cmd,   NULL };
	char *plain[] = { "/bin/sh", "-c", cmd, NULL };
	char *rm[] = { "/bin/rm", "-rf", dir, NULL };
	char *out = NULL, *ref = NULL, *log = NULL;
	json_object *rep, *p, *why;

	(void)state;
	PTEST_REQUIRE_TRACING();
	snprintf(dir, sizeof(dir), "/tmp/ptest-goexec-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/burn", dir);
	if (!build_go_burn(dir, path)) {
		ptest_run(rm, 60, NULL, NULL);
		print_message("[  SKIP    ] " GO
			      " missing (Debian golang-go)\n");
		skip();
	}
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	snprintf(cmd, sizeof(cmd), "%s; true", path);
	assert_int_equal(ptest_run(plain, 120, &ref, NULL), 0);
	ptest_run_ok(argv, 120, &out, &log);
	assert_string_equal(out, ref);
	assert_string_equal(ref, "burn 200\n");
	rep = ptest_take_json(jpath);
	p = nth_named(rep, "burn", 0);
	assert_true(json_object_object_get_ex(p, "unprobed", &why));
	assert_non_null(why);
	print_message("  burn: unprobed: %s\n", json_object_get_string(why));
	assert_non_null(strstr(json_object_get_string(why), "Go program"));
	if (!strstr(log, "a Go program exec'd by a traced process"))
		fail_msg("no warning with the reason: %s", log);
	assert_int_equal(proc_calls(p, "main.burn"), 0);
	free(out);
	free(ref);
	free(log);
	json_object_put(rep);
	ptest_run(rm, 60, NULL, NULL);
}

/*
 * A script launched as the command (`#!/bin/sh`, as wrappers such as
 * pyenv's shims are): it is described by its interpreter, which has no
 * burn_a, and the spec applies to prog_burn when the script's shell runs
 * it. Its calls are prog_burn's own count; the script's exit status (7)
 * and output are those of an untraced run. A spec that named nothing in
 * any program (-s no_such_fn) is warned of at the end.
 */
static void test_script_command_followed(void **state)
{
	char ca[64], ga[64], out[64], jpath[64], script[64];
	char *argv[] = { PTEST_PIPETRACE, "-j", jpath,	"-s", "burn_*", "-s",
			 "no_such_fn",	  "--", script, NULL };
	struct ptest_proc tracer;
	char *log = NULL, *text;
	json_object *rep;
	FILE *f;
	pid_t pa;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(ca, sizeof(ca), ".count");
	ptest_tmp_path(out, sizeof(out), ".out");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_tmp_path(script, sizeof(script), ".sh");
	make_fifo(ga, sizeof(ga));
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho hi | %s a %s 300 %s > %s\nexit 7\n", BURN,
		ca, ga, out);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	assert_int_equal(ptest_spawn(&tracer, argv, false), 0);
	if (!ptest_wait_stderr(&tracer, "prog_burn probed", 120, &log))
		fail_msg("prog_burn was not probed: %s", log ? log : "");
	release(ga);
	assert_int_equal(ptest_finish(&tracer, 120, NULL, &log), 7);
	rep = ptest_take_json(jpath);
	assert_int_equal(burn_count(ca, &pa), 300);
	assert_int_equal(proc_calls(process(rep, (uint64_t)pa), "burn_a"), 300);
	text = ptest_slurp(out);
	assert_string_equal(text, "hi\n");
	free(text);
	unlink(out);
	unlink(script);
	/* A spec no program had is told, not dropped in silence. */
	if (!strstr(log, "-s no_such_fn named no function in any program"))
		fail_msg("no warning for -s no_such_fn: %s", log);
	free(log);
	json_object_put(rep);
}

/* Samples of folded stack lines in text whose first frame is label and
 * that hold the frame fn; *others gets those with fn under another. */
static uint64_t folded_in(const char *text, const char *label, const char *fn,
			  uint64_t *others)
{
	char frame[64], line[4096];
	const char *p = text, *nl;
	uint64_t mine = 0, n;
	size_t len, ll = strlen(label);
	char *sp;

	snprintf(frame, sizeof(frame), ";%s;", fn);
	*others = 0;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		len = (size_t)(nl - p) < sizeof(line) - 1 ? (size_t)(nl - p) :
							    sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		sp = strrchr(line, ' ');
		if (!sp)
			continue;
		n = strtoull(sp + 1, NULL, 10);
		*sp = ';'; /* the last frame ends with ';' too */
		if (!strstr(line, frame))
			continue;
		if (!strncmp(line, label, ll) && line[ll] == ';')
			mine += n;
		else
			*others += n;
	}
	return mine;
}

/*
 * --folded over `sh -c 'prog_burn a | prog_burn b'`: each process burns
 * in its own function (burn_a, burn_b, the same code), and its on-CPU
 * samples are named by its own maps, under a first frame "COMM-PID" of
 * that process: every sample in burn_a is prog_burn a's, every one in
 * burn_b prog_burn b's, and each has some.
 */
static void test_stacks_of_every_process(void **state)
{
	char ca[64], cb[64], ga[64], gb[64], fpath[64], cmd[1024];
	char fopt[80], la[48], lb[48];
	char *argv[] = { PTEST_PIPETRACE, "-o", fopt,	   "-F", "199", "-s",
			 "burn_*",	  "--", "/bin/sh", "-c", cmd,	NULL };
	struct ptest_proc tracer;
	uint64_t a, b, a_else, b_else;
	char *log = NULL, *text;
	pid_t pa, pb;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(ca, sizeof(ca), ".count");
	ptest_tmp_path(cb, sizeof(cb), ".count");
	ptest_tmp_path(fpath, sizeof(fpath), ".folded");
	snprintf(fopt, sizeof(fopt), "folded=%s", fpath);
	make_fifo(ga, sizeof(ga));
	make_fifo(gb, sizeof(gb));
	snprintf(cmd, sizeof(cmd),
		 "%s a %s 2000 %s < /dev/null | %s b %s 2000 %s > /dev/null",
		 BURN, ca, ga, BURN, cb, gb);
	assert_int_equal(ptest_spawn(&tracer, argv, false), 0);
	if (!ptest_wait_stderr(&tracer, "prog_burn probed", 120, &log))
		fail_msg("prog_burn was not probed: %s", log ? log : "");
	release(ga);
	release(gb);
	assert_int_equal(ptest_finish(&tracer, 120, NULL, &log), 0);
	(void)burn_count(ca, &pa);
	(void)burn_count(cb, &pb);
	snprintf(la, sizeof(la), "prog_burn-%d", (int)pa);
	snprintf(lb, sizeof(lb), "prog_burn-%d", (int)pb);
	text = ptest_slurp(fpath);
	a = folded_in(text, la, "burn_a", &a_else);
	b = folded_in(text, lb, "burn_b", &b_else);
	if (!a || !b || a_else || b_else)
		fail_msg(
			"burn_a: %llu samples in %s, %llu elsewhere; burn_b: %llu in %s, %llu elsewhere:\n%s",
			(unsigned long long)a, la, (unsigned long long)a_else,
			(unsigned long long)b, lb, (unsigned long long)b_else,
			text);
	free(text);
	unlink(fpath);
	free(log);
}

/*
 * prog_burn f: burn_fork() forks inside the call, 30 times; each child
 * (followed from its fork) returns from a call it never entered. Those
 * returns are counted as unpaired, one in each child, never as calls nor
 * as lost events; the parent's 30 calls are its own count.
 */
static void test_fork_inside_stage_unpaired(void **state)
{
	char c[64], jpath[64];
	char *argv[] = { PTEST_PIPETRACE,
			 "-j",
			 jpath,
			 "-s",
			 "burn_fork",
			 "--",
			 BURN,
			 "f",
			 c,
			 "30",
			 "/dev/null",
			 NULL };
	json_object *rep, *procs, *p, *lost;
	uint64_t calls, children = 0, sum = 0;
	char *err = NULL;
	size_t i;
	pid_t me;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(c, sizeof(c), ".count");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	if (ptest_run(argv, 120, NULL, &err))
		fail_msg("pipetrace failed: %s", err ? err : "");
	rep = ptest_take_json(jpath);
	calls = burn_count(c, &me);
	assert_int_equal(calls, 30);
	assert_int_equal(ptest_u64(ptest_stage(rep, "burn_fork"), "calls"),
			 calls);
	assert_int_equal(proc_calls(process(rep, (uint64_t)me), "burn_fork"),
			 calls);
	assert_true(json_object_object_get_ex(rep, "processes", &procs));
	for (i = 0; i < json_object_array_length(procs); i++) {
		p = json_object_array_get_idx(procs, i);
		sum += ptest_u64(p, "unpaired_returns");
		if (ptest_u64(p, "ppid") != (uint64_t)me)
			continue;
		children++;
		assert_int_equal(ptest_u64(p, "unpaired_returns"), 1);
	}
	assert_int_equal(children, calls);
	assert_int_equal(sum, calls);
	assert_int_equal(ptest_u64(rep, "unpaired_returns"), calls);
	assert_true(json_object_object_get_ex(rep, "lost", &lost));
	assert_int_equal(ptest_u64(lost, "unmatched"), 0);
	if (!strstr(err, "unpaired: 30 returns"))
		fail_msg("the table does not say so: %s", err);
	free(err);
	json_object_put(rep);
}

/* Starts `path a count calls go` (argv[0] as given), waiting on FIFO go. */
static pid_t start_burn(const char *path, const char *count, const char *go)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(open("/dev/null", O_RDONLY), 0);
		dup2(open("/dev/null", O_WRONLY), 1);
		execl(path, path, "a", count, "200", go, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits until process pid runs the file at path. */
static void wait_runs(pid_t pid, const char *path)
{
	char exe[64];
	struct stat a, b;
	int i;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	assert_int_equal(stat(path, &b), 0);
	for (i = 0; i < 3000; i++) {
		if (!stat(exe, &a) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return;
		usleep(10000);
	}
	fail_msg("PID %d did not start %s", (int)pid, path);
}

/*
 * --exe prog_burn: the file, not the name. Traced: one running before
 * pipetrace through a symlink of another name (its comm differs), and one
 * started after it attached. Not traced: a copy of the file named
 * prog_burn (same name, another inode).
 */
static void test_exe_matches_file(void **state)
{
	char dir[64], alias[128], copy[128], c1[64], c2[64], c3[64];
	char g1[64], g2[64], g3[64], jpath[64];
	char *argv[] = { PTEST_PIPETRACE, "--exe", BURN,     "-j",
			 jpath,		  "-s",	   "burn_a", NULL };
	char *cpv[] = { "/bin/cp", BURN, copy, NULL };
	struct ptest_proc tracer;
	char *log = NULL;
	json_object *rep;
	pid_t p1, p2, p3, q;
	uint64_t n1, n3;

	(void)state;
	PTEST_REQUIRE_TRACING();
	ptest_tmp_path(dir, sizeof(dir), ".d");
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(alias, sizeof(alias), "%s/other_name", dir);
	snprintf(copy, sizeof(copy), "%s/prog_burn", dir);
	assert_int_equal(symlink(BURN, alias), 0);
	ptest_run_ok(cpv, 30, NULL, NULL);
	ptest_tmp_path(c1, sizeof(c1), ".count");
	ptest_tmp_path(c2, sizeof(c2), ".count");
	ptest_tmp_path(c3, sizeof(c3), ".count");
	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	make_fifo(g1, sizeof(g1));
	make_fifo(g2, sizeof(g2));
	make_fifo(g3, sizeof(g3));
	p1 = start_burn(alias, c1, g1);
	p2 = start_burn(copy, c2, g2);
	wait_runs(p1, BURN);
	wait_runs(p2, copy);
	start_tracer(&tracer, argv, &log);
	p3 = start_burn(BURN, c3, g3);
	release(g1);
	release(g2);
	release(g3);
	assert_int_equal(reap(p1), 0);
	assert_int_equal(reap(p2), 0);
	assert_int_equal(reap(p3), 0);
	kill(tracer.pid, SIGINT);
	assert_int_equal(ptest_finish(&tracer, 60, NULL, &log), 0);
	rep = ptest_take_json(jpath);
	n1 = burn_count(c1, &q);
	assert_int_equal(q, p1);
	(void)burn_count(c2, &q);
	n3 = burn_count(c3, &q);
	assert_int_equal(q, p3);
	assert_int_equal(proc_calls(process(rep, (uint64_t)p1), "burn_a"), n1);
	assert_int_equal(proc_calls(process(rep, (uint64_t)p3), "burn_a"), n3);
	assert_null(process(rep, (uint64_t)p2));
	assert_int_equal(ptest_u64(ptest_stage(rep, "burn_a"), "calls"),
			 n1 + n3);
	unlink(alias);
	unlink(copy);
	rmdir(dir);
	free(log);
	json_object_put(rep);
}

/* Exits non-zero with one "pipetrace: error: ...; ..." line, nothing
 * attached. */
static void assert_refused(char **argv, const char *says)
{
	char *err = NULL;
	int code = ptest_run(argv, 60, NULL, &err);

	assert_int_not_equal(code, 0);
	assert_non_null(err);
	if (!strstr(err, says) || ptest_count_lines(err) != 1 ||
	    strncmp(err, "pipetrace: error: ", 18) || strstr(err, "tracing "))
		fail_msg("exit %d, stderr '%s' (wanted one line saying '%s')",
			 code, err, says);
	free(err);
}

static void test_bad_processes_refused(void **state)
{
	char dead[48], list[64];
	char *a1[] = {
		PTEST_PIPETRACE, "-s", "libz.so.1:deflate", "-p", list, NULL
	};
	char *a2[] = { PTEST_PIPETRACE,	    "--comm", "", "-s",
		       "libz.so.1:deflate", NULL };
	char *a3[] = { PTEST_PIPETRACE, "--exe", "/nonexistent/prog", "-s",
		       "main",		NULL };
	char *a4[] = { PTEST_PIPETRACE, "--exe", "/tmp", "-s", "main", NULL };
	pid_t gone;

	(void)state;
	PTEST_REQUIRE_TRACING();
	gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(reap(gone), 0);
	snprintf(dead, sizeof(dead), "%d", (int)gone);
	/* A live one first: the dead one is found all the same. */
	snprintf(list, sizeof(list), "%d,%s", (int)getpid(), dead);
	assert_refused(a1, "no such PID");
	assert_refused(a2, "bad --comm ''");
	assert_refused(a3, "--exe /nonexistent/prog: No such file");
	assert_refused(a4, "--exe /tmp: not an executable file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zpipe_pipeline_followed),
		cmocka_unit_test(test_no_follow_is_one_process),
		cmocka_unit_test(test_pigz_pipeline_vs_bpftrace),
		cmocka_unit_test(test_pid_list),
		cmocka_unit_test(test_children_followed),
		cmocka_unit_test(test_comm_catches_later_process),
		cmocka_unit_test(test_short_command_not_missed),
		cmocka_unit_test(test_bad_processes_refused),
		cmocka_unit_test(test_exec_program_probed),
		cmocka_unit_test(test_script_command_followed),
		cmocka_unit_test(test_exec_window_reported),
		cmocka_unit_test(test_exec_go_refused),
		cmocka_unit_test(test_exe_matches_file),
		cmocka_unit_test(test_stacks_of_every_process),
		cmocka_unit_test(test_fork_inside_stage_unpaired),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, make_input, drop_input);
}
