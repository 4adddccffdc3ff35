// SPDX-License-Identifier: MIT
/*
 * test_target.c - the target of a trace: the /proc/PID/stat start-time
 * parser on hostile lines, and a described process that exits (its PID
 * free to be reused) being noticed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/target.h"

/* Fields 3..21 of a stat line after "(COMM)", field 22 being 4242. */
#define TAIL " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 99 100\n"

static int starttime(const char *line, unsigned long long *v)
{
	return pt_proc_stat__starttime(line, strlen(line), v);
}

static void test_stat_plain(void **state)
{
	unsigned long long v = 0;

	assert_int_equal(starttime("123 (cat)" TAIL, &v), 0);
	assert_int_equal(v, 4242);
}

static void test_stat_hostile_comm(void **state)
{
	static const char *const lines[] = {
		"123 (a b c)" TAIL,
		"123 () S 1 2 3)" TAIL, /* a fake end of COMM */
		"123 ((()" TAIL,
		"123 (x) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21)" TAIL,
		"123 (\n)" TAIL,
	};
	unsigned long long v;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		v = 0;
		assert_int_equal(starttime(lines[i], &v), 0);
		assert_int_equal(v, 4242);
	}
}

static void test_stat_malformed(void **state)
{
	static const char *const lines[] = {
		"",
		"123 cat S 1 2",
		"123 (cat) S 1 2 3 4 5 6 7 8 9",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x1",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 12x",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -1",
		"123 (cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		"99999999999999999999999",
		"123 (cat)  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"123 cat) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
	};
	unsigned long long v = 77;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(starttime(lines[i], &v), -EINVAL);
		assert_int_equal(v, 77);
	}
}

/* A line cut short of its NUL: nothing past len is read. */
static void test_stat_not_terminated(void **state)
{
	const char line[] = "1 (c)" TAIL;
	unsigned long long v = 0;
	size_t cut = strstr(line, "4242") - line + 2;

	assert_int_equal(pt_proc_stat__starttime(line, cut, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(pt_proc_stat__starttime(line, cut - 3, &v), -EINVAL);
}

static void test_own_process(void **state)
{
	struct pt_target t;
	char err[256] = "";

	assert_int_equal(pt_target__from_pid(&t, getpid(), err, sizeof(err)),
			 0);
	assert_true(t.pidfd >= 0);
	assert_true(t.start_time > 0);
	assert_int_equal(pt_target__check_same(&t, err, sizeof(err)), 0);
	pt_target__free(&t);
}

/* Described, then gone: the target notices, whoever gets the PID next. */
static void test_exited_process(void **state)
{
	struct pt_target t;
	char err[256] = "";
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(pt_target__from_pid(&t, pid, err, sizeof(err)), 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(pt_target__check_same(&t, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "exited while being read"));
	pt_target__free(&t);
}

/* Writes its thread id to the pipe *arg, then waits to be cancelled. */
static void *idle(void *arg)
{
	pid_t tid = gettid();

	if (write(*(int *)arg, &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	pause();
	return arg;
}

static void test_thread_id_refused(void **state)
{
	struct pt_target t;
	char err[256] = "";
	pthread_t th;
	pid_t tid = 0;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&th, NULL, idle, &p[1]), 0);
	assert_int_equal(read(p[0], &tid, sizeof(tid)), sizeof(tid));
	assert_true(tid != getpid());
	assert_int_equal(pt_target__from_pid(&t, tid, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "is a thread, not a process"));
	pthread_cancel(th);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
}

static void test_shebang_lines(void **state)
{
	static const struct {
		const char *line, *interp;
	} ok[] = {
		{ "#!/bin/sh\necho hi\n", "/bin/sh" },
		{ "#! /usr/bin/env bash\n", "/usr/bin/env" },
		{ "#!\t/usr/bin/python3 -u\n", "/usr/bin/python3" },
		{ "#!/bin/sh", "/bin/sh" }, /* no newline: the whole file */
		{ "#!rel/interp\n", "rel/interp" },
	};
	char interp[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(pt_shebang__parse(ok[i].line,
						   strlen(ok[i].line), interp,
						   sizeof(interp)),
				 0);
		assert_string_equal(interp, ok[i].interp);
	}
}

static void test_shebang_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"#",
		"#!",
		"#!\n/bin/sh\n",
		"#!   \n",
		"\x7f"
		"ELF",
		"# !/bin/sh",
	};
	char interp[64] = "untouched", big[PT_SHEBANG_MAX + 64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt_shebang__parse(bad[i], strlen(bad[i]),
						   interp, sizeof(interp)),
				 -ENOEXEC);
	assert_string_equal(interp, "untouched");
	/* Longer than the buffer: refused, not cut. */
	assert_int_equal(pt_shebang__parse("#!/a/very/long/interpreter/path",
					   31, interp, 8),
			 -ENAMETOOLONG);
	/* Past what the kernel reads: only PT_SHEBANG_MAX bytes count. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "#!/", 3);
	assert_int_equal(pt_shebang__parse(big, sizeof(big), interp,
					   sizeof(interp)),
			 -ENAMETOOLONG);
}

/* A script launched is described by its interpreter, as execve runs it. */
static void test_command_script(void **state)
{
	char path[] = "/tmp/pt-shebang-XXXXXX", err[256], sh[PATH_MAX];
	struct pt_target t;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 18), 18);
	close(fd);
	assert_int_equal(chmod(path, 0700), 0);
	assert_non_null(realpath("/bin/sh", sh));
	assert_int_equal(pt_target__from_command(&t, path, err, sizeof(err)),
			 0);
	assert_string_equal(t.exe, sh);
	pt_target__free(&t);
	/* An interpreter that is not there: one line naming it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "#!/nonexistent/interp\n", 22), 22);
	close(fd);
	assert_int_equal(pt_target__from_command(&t, path, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/interp"));
	/* A script running itself: nested too deep. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(dprintf(fd, "#!%s\n", path) > 0);
	close(fd);
	assert_int_equal(pt_target__from_command(&t, path, err, sizeof(err)),
			 -ELOOP);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_stat_not_terminated),
		cmocka_unit_test(test_own_process),
		cmocka_unit_test(test_exited_process),
		cmocka_unit_test(test_thread_id_refused),
		cmocka_unit_test(test_shebang_lines),
		cmocka_unit_test(test_shebang_refused),
		cmocka_unit_test(test_command_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
