// SPDX-License-Identifier: MIT
/*
 * prog_nop5first.c - a stage whose first instruction is a 5-byte nop
 * (0f 1f 44 00 00), as a patchable entry or an inlined PIPETRACE_ENTER()
 * site leaves it, and its unprobed twin: the same body behind the same
 * nop, called in turn with it and timed by the program's own clock.
 *
 *   prog_nop5first N OUT
 *
 * OUT gets "key value" lines: calls (of each), twin_p50_ns and
 * stage_p50_ns, the medians of the program's own per-call times.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pipetrace/stage.h>

long stage_nop5(void);
long twin_nop5(void);
long nop5_body(void);
long twin_body(void);

/* The nop, then a tail jump to the body: the return address stays where a
 * return probe finds it. */
__asm__(".text\n"
	".p2align 4\n"
	".globl stage_nop5\n"
	".type stage_nop5, @function\n"
	"stage_nop5:\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	"	jmp nop5_body\n"
	".size stage_nop5, .-stage_nop5\n"
	".p2align 4\n"
	".globl twin_nop5\n"
	".type twin_nop5, @function\n"
	"twin_nop5:\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
	"	jmp twin_body\n"
	".size twin_nop5, .-twin_nop5\n");
PIPETRACE_STAGE_NOITEMS(stage_nop5);

static volatile uint64_t sink;

/* About 10-20 us of arithmetic: well above the probe's cost, so that a
 * wrong bias shows, and short enough to be rarely preempted. */
#define BODY                                     \
	do {                                     \
		for (int i = 0; i < 20000; i++)  \
			sink += (uint64_t)i * 3; \
	} while (0)

PIPETRACE_NOINLINE long nop5_body(void)
{
	BODY;
	return 1;
}

PIPETRACE_NOINLINE long twin_body(void)
{
	BODY;
	return 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	uint64_t *st, *tw, t;
	FILE *f;
	int n, i;

	if (argc != 3 || (n = atoi(argv[1])) <= 0)
		return 2;
	st = calloc((size_t)n, sizeof(*st));
	tw = calloc((size_t)n, sizeof(*tw));
	if (!st || !tw)
		return 1;
	for (i = 0; i < n; i++) {
		t = mono_ns();
		stage_nop5();
		st[i] = mono_ns() - t;
		t = mono_ns();
		twin_nop5();
		tw[i] = mono_ns() - t;
	}
	f = fopen(argv[2], "w");
	if (!f)
		return 1;
	fprintf(f, "calls %d\ntwin_p50_ns %llu\nstage_p50_ns %llu\n", n,
		(unsigned long long)median(tw, n),
		(unsigned long long)median(st, n));
	return fclose(f) ? 1 : 0;
}
