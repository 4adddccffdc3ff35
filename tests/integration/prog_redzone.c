// SPDX-License-Identifier: MIT
/*
 * prog_redzone.c - stages whose locals live in the x86-64 red zone (leaf
 * functions at -O0: no stack adjustment, locals below %rsp) around
 * PIPETRACE_ENTER() sites. A probe that writes below %rsp (the kernel's
 * nop5 uprobe is a call) would change what they return.
 *
 *   prog_redzone N   prints "sum S calls N", S being the sum of
 *                    leaf_int(i) + leaf_items(i) for i < N
 */
#include <stdio.h>
#include <stdlib.h>

#include <pipetrace/stage.h>

int leaf_int(int i);
long leaf_items(long i);

/* -1 one call in four, 3 otherwise; no item count given. */
PIPETRACE_NOINLINE int leaf_int(int i)
{
	PIPETRACE_ENTER();
	return i % 4 == 3 ? -1 : 3;
}
PIPETRACE_STAGE_NOITEMS(leaf_int);

/* Eight locals kept across both sites; i % 7 items. */
PIPETRACE_NOINLINE long leaf_items(long i)
{
	long a = i, b = i * 3, c = i ^ 0x55, d = i + 7;
	long e = a + b, f = c - d, g = e * 2, h = f + g;

	PIPETRACE_ENTER();
	return PIPETRACE_ITEMS(i % 7) + a + b + c + d + e + f + g + h;
}
PIPETRACE_STAGE(leaf_items);

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, sum = 0, i;

	for (i = 0; i < n; i++)
		sum += leaf_int((int)i) + leaf_items(i);
	printf("sum %ld calls %ld\n", sum, n);
	return 0;
}
