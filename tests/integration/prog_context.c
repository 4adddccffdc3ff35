// SPDX-License-Identifier: MIT
/*
 * prog_context - stages left by swapcontext and setcontext, never to
 * return: 100 times, visit() calls hop(); on odd calls hop() swaps to a
 * coroutine on its own stack, which calls co_stage() and then setcontext()s
 * back to main, past hop() and visit(); on even calls hop() returns. After
 * the loop, after() runs 50 times. With "wait", waits for a byte on stdin
 * first (time to attach). Prints its own counts; exits 3.
 */
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define CALLS 100
#define AFTER 50

static ucontext_t main_ctx, co_ctx;
static char co_stack[64 * 1024] __attribute__((aligned(16)));
static volatile int left;
static long visits, hops, returned, co_calls, afters;

long co_stage(long x);
long hop(long i);
long visit(long i);
long after(long i);

__attribute__((noinline)) long co_stage(long x)
{
	co_calls++;
	return x * 5 + 1;
}

static void coroutine(void)
{
	co_stage(hops);
	left = 1;
	setcontext(&main_ctx); /* never returns */
}

__attribute__((noinline)) long hop(long i)
{
	ucontext_t here;

	hops++;
	if (i % 2) {
		getcontext(&co_ctx);
		co_ctx.uc_stack.ss_sp = co_stack;
		co_ctx.uc_stack.ss_size = sizeof(co_stack);
		co_ctx.uc_link = NULL;
		makecontext(&co_ctx, coroutine, 0);
		swapcontext(&here, &co_ctx); /* never comes back */
	}
	returned++;
	return i + 1;
}

__attribute__((noinline)) long visit(long i)
{
	visits++;
	return hop(i) * 2;
}

__attribute__((noinline)) long after(long i)
{
	afters++;
	return i ^ 0x55;
}

int main(int argc, char **argv)
{
	long sum = 0, i;
	char c;

	if (argc > 1 && !strcmp(argv[1], "wait") && read(0, &c, 1) < 0)
		return 1;
	for (i = 0; i < CALLS; i++) {
		left = 0;
		getcontext(&main_ctx);
		if (!left)
			sum += visit(i);
	}
	for (i = 0; i < AFTER; i++)
		sum += after(i);
	printf("visit %ld\nhop %ld\nreturned %ld\nco_stage %ld\nafter %ld\nsum %ld\n",
	       visits, hops, returned, co_calls, afters, sum);
	return 3;
}
