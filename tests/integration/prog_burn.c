// SPDX-License-Identifier: MIT
/*
 * prog_burn.c - a pipeline member that keeps its own truth: it waits until
 * the file GO can be opened and read (a FIFO the test writes to), then
 * burns the CPU in burn_a() (mode a) or burn_b() (mode b) CALLS times, and
 * writes "CALLS PID" to COUNTFILE: how often it called its function, and
 * which process it was. Its standard input is copied to standard output,
 * so that it can sit in a shell pipeline. Mode f instead calls burn_fork()
 * CALLS times, which forks inside the call: each child returns from it
 * once (a call it never entered) and exits.
 *
 *   prog_burn a|b|f COUNTFILE CALLS GO
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

uint64_t burn_a(uint64_t x);
uint64_t burn_b(uint64_t x);
pid_t burn_fork(void);

/* The same arithmetic under two names, one per process. */
#define BURN_BODY                                        \
	do {                                             \
		for (int i = 0; i < 200000; i++) {       \
			x = x * 6364136223846793005ull + \
			    1442695040888963407ull;      \
			__asm__ volatile("" : "+r"(x));  \
		}                                        \
	} while (0)

__attribute__((noinline)) uint64_t burn_a(uint64_t x)
{
	BURN_BODY;
	return x;
}

__attribute__((noinline)) uint64_t burn_b(uint64_t x)
{
	BURN_BODY;
	return x;
}

/* Forks inside the call: 0 in the child, which returns from it too. */
__attribute__((noinline)) pid_t burn_fork(void)
{
	return fork();
}

/* Mode f: calls burn_fork() calls times, each child exiting at once. */
static int forks(unsigned long calls)
{
	unsigned long i;
	int status;
	pid_t pid;

	for (i = 0; i < calls; i++) {
		pid = burn_fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
			return -1;
	}
	return 0;
}

/* Blocks until the test opens GO for writing and closes it. */
static int wait_go(const char *path)
{
	char c;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return 0;
}

static void copy_stdin(void)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			break;
}

int main(int argc, char **argv)
{
	uint64_t (*fn)(uint64_t), x = 1;
	unsigned long calls, i;
	FILE *f;

	if (argc != 5 || !strchr("abf", argv[1][0]) || argv[1][1]) {
		fprintf(stderr, "usage: prog_burn a|b|f COUNTFILE CALLS GO\n");
		return 2;
	}
	fn = argv[1][0] == 'a' ? burn_a : burn_b;
	calls = strtoul(argv[3], NULL, 10);
	if (wait_go(argv[4]))
		return 3;
	if (argv[1][0] == 'f' && forks(calls))
		return 6;
	for (i = 0; argv[1][0] != 'f' && i < calls; i++)
		x = fn(x);
	copy_stdin();
	f = fopen(argv[2], "w");
	if (!f)
		return 4;
	fprintf(f, "%lu %d\n", calls, (int)getpid());
	fclose(f);
	/* The result, so that the loop is not optimised away. */
	return x == 0 ? 5 : 0;
}
