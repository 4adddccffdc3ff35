// SPDX-License-Identifier: MIT
/*
 * prog_many.c - 255 small functions fn_000 .. fn_254, for tracing many
 * stages at once (-s 'fn_*'): fn_N is called N + 1 times a round, so that
 * every stage's count tells whether its probes carry its own stage id.
 *
 *   prog_many [ROUNDS]    (default 1; prints a checksum)
 */
#include <stdio.h>
#include <stdlib.h>

#define NFN 255

/* fn_ABC(x) = x * 3 + 1: one definition per three-digit name. */
#define F(a, b, c)                 \
	long fn_##a##b##c(long x); \
	long fn_##a##b##c(long x)  \
	{                          \
		return x * 3 + 1;  \
	}
#define T(a, b)                                                           \
	F(a, b, 0)                                                        \
	F(a, b, 1)                                                        \
	F(a, b, 2) F(a, b, 3) F(a, b, 4) F(a, b, 5) F(a, b, 6) F(a, b, 7) \
		F(a, b, 8) F(a, b, 9)
#define H(a)                                                            \
	T(a, 0)                                                         \
	T(a, 1) T(a, 2) T(a, 3) T(a, 4) T(a, 5) T(a, 6) T(a, 7) T(a, 8) \
		T(a, 9)
#define ALL                                                                \
	H(0)                                                               \
	H(1) T(2, 0) T(2, 1) T(2, 2) T(2, 3) T(2, 4) F(2, 5, 0) F(2, 5, 1) \
		F(2, 5, 2) F(2, 5, 3) F(2, 5, 4)

ALL

#undef F
#define F(a, b, c) fn_##a##b##c,
	static long (*const fns[])(long) = { ALL };

_Static_assert(sizeof(fns) / sizeof(fns[0]) == NFN, "255 functions");

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1, r, sum = 0;
	int i, k;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < NFN; i++)
			for (k = 0; k <= i; k++)
				sum = fns[i](sum) % 1000003;
	printf("prog_many: %ld calls, checksum %ld\n",
	       rounds * NFN * (NFN + 1) / 2, sum);
	return 0;
}
