// SPDX-License-Identifier: MIT
/*
 * prog_deep - recursion 200 deep, deeper than the kernel's 64 pending
 * return probes and pipetrace's frame stack, 10 times; then after() 50
 * times, which must all be counted. With "wait", waits for a byte on
 * stdin first. Prints a checksum; exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEPTH 200

long recurse(int n);
long after(int i);

__attribute__((noinline)) long recurse(int n)
{
	volatile char pad[64];

	pad[0] = (char)n;
	if (n <= 1)
		return pad[0];
	return recurse(n - 1) + 1;
}

__attribute__((noinline)) long after(int i)
{
	return i * 2;
}

int main(int argc, char **argv)
{
	long sum = 0;
	char c;
	int i;

	if (argc > 1 && !strcmp(argv[1], "wait") && read(0, &c, 1) < 0)
		return 1;
	for (i = 0; i < 10; i++)
		sum += recurse(DEPTH);
	for (i = 0; i < 50; i++)
		sum += after(i);
	printf("sum %ld\n", sum);
	return 0;
}
