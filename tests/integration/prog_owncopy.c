// SPDX-License-Identifier: MIT
/*
 * prog_owncopy.c - a program with its own rp_work(), the function the
 * fixtures' libptrpath.so has, and no link to that library (as Debian's
 * perl has libperl's functions built in): test_target checks that
 * `-s .../libptrpath.so:rp_work` says so before attaching.
 *
 *   prog_owncopy N   calls rp_work N times, prints "own N SUM", exits 4
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t rp_work(uint64_t x);

__attribute__((noinline)) uint64_t rp_work(uint64_t x)
{
	return x * 2654435761u + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	uint64_t sum = 0;

	for (long i = 0; i < n; i++)
		sum += rp_work((uint64_t)i);
	printf("own %ld %llu\n", n, (unsigned long long)sum);
	return 4;
}
