// SPDX-License-Identifier: MIT
/*
 * test_unwind.c - unit tests of the CFI unwinder (symbols/unwind.c) on a
 * sample this process takes of itself: its registers and the top of its
 * stack copied, as the BPF sampler does, inside a qsort() comparator.
 * Debian's libc is built without frame pointers, and so are the
 * comparator and the capture here: only the CFI leads from the capture
 * through libc's sort back to main.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/selfsample.h"
#include "symbols/unwind.h"

#define NOFP __attribute__((noinline, optimize("omit-frame-pointer")))

/* The sample taken. */
static struct {
	struct pt_usample_hdr h;
	uint8_t stack[PT_USTACK_DEFAULT];
	int taken;
} cap;

static NOFP int unw_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!cap.taken) {
		ptest_capture_self(&cap.h, cap.stack, sizeof(cap.stack));
		cap.taken = 1;
	}
	return (x > y) - (x < y);
}

static NOFP void unw_sort(void)
{
	int v[] = { 5, 3, 9, 1, 7 };

	qsort(v, 5, sizeof(v[0]), unw_cmp);
	assert_int_equal(v[0], 1);
}

/* The names of IPS (return addresses named by the call before them). */
static void names(struct pt_usyms *u, const uint64_t *ips, int n,
		  char out[][128])
{
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(pt_usyms__name(u, ips[i] - (i > 0), out[i],
						sizeof(out[i])),
				 0);
}

static int find(char names_[][128], int n, int from, const char *want)
{
	int i;

	for (i = from; i < n; i++)
		if (!strncmp(names_[i], want, strlen(want)))
			return i;
	return -1;
}

static void test_unwinds_through_libc_to_main(void **state)
{
	struct pt_unwinder *w;
	struct pt_usyms *u;
	/* static: the copy must reach main through this frame */
	static uint64_t ips[PT_STACK_DEPTH];
	static char nm[PT_STACK_DEPTH][128];
	char err[256], obj[64];
	int n, i_cmp, i_sort, i_main;

	cap.taken = 0;
	unw_sort();
	assert_int_equal(cap.taken, 1);
	assert_int_equal(pt_usyms__open(getpid(), &u, err, sizeof(err)), 0);
	assert_int_equal(pt_unwinder__new(u, &w, err, sizeof(err)), 0);
	n = pt_unwinder__unwind(w, &cap.h, cap.stack, ips, PT_STACK_DEPTH);
	assert_true(n > 4);
	names(u, ips, n, nm);
	assert_string_equal(nm[0], "ptest_capture_self");
	i_cmp = find(nm, n, 1, "unw_cmp");
	i_sort = find(nm, n, 1, "unw_sort");
	i_main = find(nm, n, 1, "main");
	print_message("unwound %d frames: %s <- %s ... %s ... %s\n", n, nm[0],
		      nm[1], nm[i_sort > 0 ? i_sort : 0],
		      nm[i_main > 0 ? i_main : 0]);
	assert_int_equal(i_cmp, 1);
	/* libc's sort between the comparator and its caller */
	assert_true(i_sort > i_cmp + 1);
	assert_int_equal(
		pt_usyms__object(u, ips[i_cmp + 1] - 1, obj, sizeof(obj)), 0);
	assert_string_equal(obj, "libc.so.6");
	assert_true(i_main > i_sort);
	pt_unwinder__free(w);
	pt_usyms__close(u);
}

/* A copy cut short, a stack of junk and an oversized copy stay in bounds:
 * frames stop where the copy ends; the size is refused. */
static void test_hostile_copies(void **state)
{
	static struct pt_usample_hdr h;
	static uint8_t junk[PT_USTACK_DEFAULT];
	struct pt_unwinder *w;
	struct pt_usyms *u;
	uint64_t ips[PT_STACK_DEPTH];
	char err[256];
	size_t i;
	int n;

	cap.taken = 0;
	unw_sort();
	assert_int_equal(pt_usyms__open(getpid(), &u, err, sizeof(err)), 0);
	assert_int_equal(pt_unwinder__new(u, &w, err, sizeof(err)), 0);
	h = cap.h;
	h.size = 0;
	n = pt_unwinder__unwind(w, &h, cap.stack, ips, PT_STACK_DEPTH);
	assert_in_range(n, 1, 2); /* the IP, at most one frame from regs */
	srand(13);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	h.size = sizeof(junk);
	n = pt_unwinder__unwind(w, &h, junk, ips, PT_STACK_DEPTH);
	assert_in_range(n, 1, PT_STACK_DEPTH);
	h.size = PT_USTACK_MAX + 1;
	assert_int_equal(pt_unwinder__unwind(w, &h, junk, ips, PT_STACK_DEPTH),
			 -EINVAL);
	pt_unwinder__free(w);
	pt_usyms__close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwinds_through_libc_to_main),
		cmocka_unit_test(test_hostile_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
