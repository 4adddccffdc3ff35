// SPDX-License-Identifier: MIT
/*
 * prog_cmatrix.c - a small C program the C matrix (test_cmatrix.c) builds
 * in several ways (PIE, static, stripped, -fcf-protection) and traces with
 * a glob over its functions: its output and exit status must be those of
 * an untraced run, and cm_leaf is called exactly N times.
 *
 *   prog_cmatrix N        prints "cm N SUM" and exits 3
 *   prog_cmatrix N wait   the same, once a byte has come on stdin (the
 *                         test attaches with -p meanwhile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long cm_leaf(long x);
long cm_recurse(long depth, long x);
long cm_dispatch(int op, long x);

__attribute__((noinline)) long cm_leaf(long x)
{
	return x * 2654435761L % 1000003L;
}

__attribute__((noinline)) long cm_recurse(long depth, long x)
{
	if (depth == 0)
		return x;
	return cm_recurse(depth - 1, x + depth) ^ depth;
}

static long cm_add(long x)
{
	return x + 7;
}

static long cm_xor(long x)
{
	return x ^ 0x5a5a;
}

/* A switch (a jump table at -O2) and calls through pointers. */
__attribute__((noinline)) long cm_dispatch(int op, long x)
{
	static long (*const fns[])(long) = { cm_add, cm_xor };

	switch (op % 6) {
	case 0:
		return fns[0](x);
	case 1:
		return fns[1](x);
	case 2:
		return x - 3;
	case 3:
		return x * 5;
	case 4:
		return x / 3;
	default:
		return -x;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, sum = 0, i;
	char go;

	if (argc > 2 && !strcmp(argv[2], "wait") && read(0, &go, 1) != 1)
		return 1;

	for (i = 0; i < n; i++)
		sum += cm_dispatch((int)i, cm_leaf(i)) + cm_recurse(i % 40, i);
	printf("cm %ld %ld\n", n, sum);
	return 3;
}
