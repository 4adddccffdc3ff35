// SPDX-License-Identifier: MIT
/*
 * test_target.c - the target of a trace: the /proc/PID/stat start-time
 * parser on hostile lines, and a described process that exits (its PID
 * free to be reused) being noticed.
 */
#include <errno.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
