// SPDX-License-Identifier: MIT
/*
 * leak_nofp.c - a leak with a known call path, built by test_alloc
 * without frame pointers (-O2 -fomit-frame-pointer, as distributions build
 * C): main -> leak_stage -> leak_mid -> leak_leaf -> malloc, 200 blocks of
 * 1000 bytes never freed. No call is a tail call (each function uses what
 * its callee returned). Prints the sum of the first bytes; exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile kept[256];

__attribute__((noinline)) static char *leak_leaf(size_t n)
{
	char *p = malloc(n);

	if (p)
		memset(p, (int)(n & 0x7f), n);
	return p;
}

__attribute__((noinline)) static char *leak_mid(size_t n)
{
	char *p = leak_leaf(n);

	if (p)
		p[0] = 1;
	return p;
}

__attribute__((noinline)) int leak_stage(int i)
{
	char *p = leak_mid(1000);

	kept[i & 255] = p;
	return p ? p[0] : 0;
}

int main(void)
{
	int i, sum = 0;

	for (i = 0; i < 200; i++)
		sum += leak_stage(i);
	printf("%d\n", sum);
	return 0;
}
