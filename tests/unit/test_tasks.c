// SPDX-License-Identifier: MIT
/* test_tasks.c - threads listed by /proc but never seen run (collect/tasks.h):
 * their part from their syscall or state, and which are left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <cmocka.h>

#include "collect/tasks.h"

#define DUR 5000000000ull

static struct pt_task task(uint32_t tid, char state, long nr, const char *wchan)
{
	struct pt_task t = { .tid = tid, .state = state, .sys_nr = nr };

	snprintf(t.comm, sizeof(t.comm), "t%u", tid);
	snprintf(t.wchan, sizeof(t.wchan), "%s", wchan);
	return t;
}

static void test_unseen_parts(void **state)
{
	struct pt_task at[] = {
		task(10, 'S', -1, ""), /* seen: already in threads */
		task(11, 'S', SYS_futex, "futex_wait_queue"),
		task(12, 'S', SYS_clock_nanosleep, "hrtimer_nanosleep"),
		task(13, 'D', SYS_getpid, ""),
		task(14, 'S', SYS_wait4, ""),
		task(15, 'S', SYS_read, "pipe_read"), /* gone at the end */
	};
	struct pt_task_set start = { at, 6 }, end = { at, 5 };
	struct pt_thread_info *th = calloc(1, sizeof(*th));
	char want[32];
	size_t n = 1, i;

	assert_non_null(th);
	th[0].tid = 10;
	th[0].seen = true;
	assert_int_equal(pt_tasks__add_unseen(&start, &end, DUR, &th, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_int_equal(th[i].tid, 10 + i);
	assert_true(th[0].seen);
	assert_int_equal(th[1].idle_ns[PT_PART_LOCK], DUR);
	assert_string_equal(th[1].blocked_on, "futex_wait_queue");
	assert_int_equal(th[2].idle_ns[PT_PART_SLEEP], DUR);
	assert_int_equal(th[3].idle_ns[PT_PART_IO], DUR); /* state D */
	assert_int_equal(th[4].idle_ns[PT_PART_OTHER], DUR);
	snprintf(want, sizeof(want), "syscall %d", SYS_wait4);
	assert_string_equal(th[4].blocked_on, want);
	for (i = 1; i < n; i++) {
		assert_false(th[i].seen);
		for (int p = 0; p < PT_PART_NR; p++)
			assert_int_equal(th[i].busy_ns[p], 0);
	}
	free(th);
}

/* The target gone (end NULL): its threads ended with the trace. */
static void test_target_gone(void **state)
{
	struct pt_task at[] = { task(20, 'S', SYS_read, "pipe_read") };
	struct pt_task_set start = { at, 1 };
	struct pt_thread_info *th = NULL;
	size_t n = 0;

	assert_int_equal(pt_tasks__add_unseen(&start, NULL, DUR, &th, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(th[0].idle_ns[PT_PART_IO], DUR);
	free(th);
}

/* This process's own threads, read from /proc: this one is running. */
static void test_read_self(void **state)
{
	struct pt_task_set s;
	char err[256];

	assert_int_equal(pt_tasks__read(getpid(), &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].tid, (uint32_t)getpid());
	assert_int_equal(s.v[0].state, 'R');
	pt_tasks__free(&s);
	assert_true(pt_tasks__read(0x7ffffff0, &s, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/proc/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unseen_parts),
		cmocka_unit_test(test_target_gone),
		cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
