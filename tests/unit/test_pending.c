// SPDX-License-Identifier: MIT
/* test_pending.c - what a live thread has open at a read, charged up to it
 * (collect/pending.h), and an interval over two such reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collect/pending.h"

/* A thread in stage 0, inside it in stage 1 (entered at 80), inside that
 * in stage 1 again (recursion, at 90), asleep since 100. */
static void nested_asleep(struct pt_thread *th)
{
	memset(th, 0, sizeof(*th));
	th->depth = 3;
	th->frames[0] =
		(struct pt_frame){ .stage = 0, .outermost = 1, .start_ns = 50 };
	th->frames[1] =
		(struct pt_frame){ .stage = 1, .outermost = 1, .start_ns = 80 };
	th->frames[2] =
		(struct pt_frame){ .stage = 1, .outermost = 0, .start_ns = 90 };
	th->state = PT_T_BLOCKED;
	th->off_part = PT_PART_SLEEP;
	th->sys_nr = 230;
	th->last_ns = 100;
}

static void test_parts(void **state)
{
	struct pt_thread th;

	(void)state;
	nested_asleep(&th);
	assert_int_equal(pt_pending__part(&th), PT_PART_SLEEP);
	th.state = PT_T_RUNNABLE;
	assert_int_equal(pt_pending__part(&th), PT_PART_RUNQ);
	th.state = PT_T_ONCPU;
	assert_int_equal(pt_pending__part(&th), PT_PART_SYS);
	th.sys_nr = -1;
	assert_int_equal(pt_pending__part(&th), PT_PART_USER);
	th.state = PT_T_BLOCKED;
	th.off_part = 99; /* unknown: other, as the BPF side charges it */
	assert_int_equal(pt_pending__part(&th), PT_PART_OTHER);
}

static void test_stages(void **state)
{
	struct pt_totals tot[2];
	struct pt_thread th;

	(void)state;
	memset(tot, 0, sizeof(tot));
	nested_asleep(&th);
	pt_pending__stages(&th, 250, tot, 2);
	/* The open interval to the innermost stage, in the part it is in. */
	assert_int_equal(tot[1].time.part_ns[PT_PART_SLEEP], 150);
	assert_int_equal(tot[0].time.part_ns[PT_PART_SLEEP], 0);
	/* Wall: each outermost open call, the recursive one not again. */
	assert_int_equal(tot[0].wall_ns, 200);
	assert_int_equal(tot[1].wall_ns, 170);
	assert_int_equal(tot[0].calls + tot[1].calls, 0);
	/* Nothing before its last event, nothing for an idle thread. */
	memset(tot, 0, sizeof(tot));
	pt_pending__stages(&th, 100, tot, 2);
	assert_int_equal(tot[1].time.part_ns[PT_PART_SLEEP], 0);
	th.depth = 0;
	pt_pending__stages(&th, 250, tot, 2);
	assert_int_equal(tot[0].wall_ns + tot[1].wall_ns, 50 + 20);
}

static void test_deeper_than_stored(void **state)
{
	struct pt_totals tot[2];
	struct pt_thread th;
	uint32_t i;

	(void)state;
	memset(tot, 0, sizeof(tot));
	memset(&th, 0, sizeof(th));
	for (i = 0; i < PT_MAX_DEPTH; i++)
		th.frames[i] = (struct pt_frame){ .stage = i == 0 ? 0 : 1,
						  .outermost = i <= 1,
						  .start_ns = 10 + i };
	th.depth = PT_MAX_DEPTH + 5; /* the deepest calls are not stored */
	th.state = PT_T_ONCPU;
	th.sys_nr = -1;
	th.last_ns = 100;
	pt_pending__stages(&th, 110, tot, 2);
	assert_int_equal(tot[1].time.part_ns[PT_PART_USER], 10);
	assert_int_equal(tot[0].wall_ns, 100);
	assert_int_equal(tot[1].wall_ns, 99);
}

static void test_pairs(void **state)
{
	struct pt_pair *v = calloc(1, sizeof(*v));
	struct pt_thread th;
	size_t n = 1;

	(void)state;
	assert_non_null(v);
	v[0] = (struct pt_pair){ .tid = 7, .stage = 0, .wall_ns = 1000 };
	nested_asleep(&th);
	assert_int_equal(pt_pending__pairs(&th, 7, 250, 2, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].wall_ns, 1200);
	assert_int_equal(v[1].tid, 7);
	assert_int_equal(v[1].stage, 1);
	assert_int_equal(v[1].wall_ns, 170);
	/* A stage beyond the set (the calibration's) is left out. */
	assert_int_equal(pt_pending__pairs(&th, 8, 250, 1, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[2].stage, 0);
	th.exited = 1;
	assert_int_equal(pt_pending__pairs(&th, 9, 250, 2, &v, &n), 0);
	assert_int_equal(n, 3);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_deeper_than_stored),
		cmocka_unit_test(test_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
