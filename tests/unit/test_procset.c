// SPDX-License-Identifier: MIT
/*
 * test_procset.c - the processes of -p, --children and --comm from /proc:
 * /proc/PID/stat parsed as hostile text (a name with spaces and
 * parentheses, truncated and malformed lines, a buffer not NUL-ended), and
 * on this process: its parent, its children, a dead PID and a thread id
 * refused with one "what; fix" line.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/procset.h"
#include "util/log.h"

#define STAT(lit, ppid, comm) \
	pt_procset__parse_stat(lit, sizeof(lit) - 1, ppid, comm)

static void test_stat_parsed(void **state)
{
	char comm[16];
	pid_t ppid = 0;

	(void)state;
	assert_int_equal(STAT("123 (sh) S 45 123 123 0 -1", &ppid, comm), 0);
	assert_int_equal(ppid, 45);
	assert_string_equal(comm, "sh");
	/* The name ends at the last ')'. */
	assert_int_equal(STAT("9 (a) b (c)) R 7 9\n", &ppid, comm), 0);
	assert_int_equal(ppid, 7);
	assert_string_equal(comm, "a) b (c)");
	/* At most 15 characters, as the kernel keeps. */
	assert_int_equal(STAT("9 (0123456789abcdefgh) S 1 ", &ppid, comm), 0);
	assert_string_equal(comm, "0123456789abcde");
	/* The last field of a buffer that is not NUL-terminated. */
	assert_int_equal(
		pt_procset__parse_stat("9 (x) S 42XYZ", 10, &ppid, comm), 0);
	assert_int_equal(ppid, 42);
}

static void test_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"123 sh S 1 ",
		"123 (sh",
		"123 (sh)",
		"123 (sh) S",
		"123 (sh) S ",
		"123 (sh) S -1 ",
		"123 (sh) S x ",
		"123 (sh) S 12x ",
		"123 (sh) S 99999999999 ",
		"123 (sh)S 1 ",
		"123 )sh( S 1 ",
	};
	char comm[16];
	pid_t ppid = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pt_procset__parse_stat(bad[i], strlen(bad[i]), &ppid,
					   comm) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(ppid, 77);
}

static void test_own_process(void **state)
{
	struct pt_pidset s = { 0 };
	char comm[16];
	pid_t ppid, child;

	(void)state;
	assert_int_equal(pt_procset__stat(getpid(), &ppid, comm), 0);
	assert_int_equal(ppid, getppid());
	assert_string_equal(comm, "test_procset");
	/* Never itself by name: pipetrace is not its own target. */
	assert_int_equal(pt_procset__by_comm("test_procset", &s), 0);
	assert_false(pt_pidset__has(&s, getpid()));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(pt_pidset__add(&s, getpid()), 0);
	assert_int_equal(pt_pidset__add(&s, getpid()), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(pt_procset__descendants(&s), 0);
	assert_true(pt_pidset__has(&s, child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	pt_pidset__free(&s);
}

static void *idle(void *arg)
{
	pid_t *tid = arg;

	*tid = gettid();
	pause();
	return NULL;
}

static void test_check_refuses(void **state)
{
	char err[256];
	pid_t pids[2] = { getpid(), 0 }, tid = 0;
	pthread_t th;

	(void)state;
	assert_int_equal(pt_procset__check(pids, 1, err, sizeof(err)), 0);
	pids[1] = fork();
	assert_true(pids[1] >= 0);
	if (pids[1] == 0)
		_exit(0);
	waitpid(pids[1], NULL, 0);
	assert_int_equal(pt_procset__check(pids, 2, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "no such PID"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(pthread_create(&th, NULL, idle, &tid), 0);
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	pids[1] = tid;
	assert_int_equal(pt_procset__check(pids, 2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a thread, not a process"));
	pthread_cancel(th);
	pthread_join(th, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_parsed),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_own_process),
		cmocka_unit_test(test_check_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
