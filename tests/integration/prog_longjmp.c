// SPDX-License-Identifier: MIT
/*
 * prog_longjmp - stages left by longjmp and siglongjmp, 100 times each:
 * jumper() calls deeper(), which jumps back to main; work_a() runs after
 * each jump and returns normally (100 + 100 calls). With "wait", waits for
 * a byte on stdin first (time to attach). Prints a checksum; exits 3.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static jmp_buf env;
static sigjmp_buf senv;

void deeper(int i, int sig);
void jumper(int i, int sig);
long work_a(int i);

__attribute__((noinline)) void deeper(int i, int sig)
{
	if (sig)
		siglongjmp(senv, i + 1);
	longjmp(env, i + 1);
}

__attribute__((noinline)) void jumper(int i, int sig)
{
	deeper(i, sig);
}

__attribute__((noinline)) long work_a(int i)
{
	return (long)i * 3 + 1;
}

int main(int argc, char **argv)
{
	long sum = 0;
	char c;
	int i;

	if (argc > 1 && !strcmp(argv[1], "wait") && read(0, &c, 1) < 0)
		return 1;
	for (i = 0; i < 100; i++) {
		if (!setjmp(env))
			jumper(i, 0);
		sum += work_a(i);
		if (!sigsetjmp(senv, 1))
			jumper(i, 1);
		sum += work_a(i);
	}
	printf("sum %ld\n", sum);
	return 3;
}
