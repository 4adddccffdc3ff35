// SPDX-License-Identifier: MIT
/*
 * prog_alloc.c - a sample program whose heap calls are known exactly.
 *
 *   prog_alloc N      call stage_alloc() N times; print nothing
 *   prog_alloc N M    the same, while a forked child (no exec) calls it M
 *                     times and exits (_exit: no heap call of its own
 *                     besides); exits 0 if both did all their calls
 *
 * Each stage_alloc() call makes, in this order, with glibc's allocator
 * (no call below makes a nested malloc() call inside libc):
 *
 *   malloc(16), then realloc() doubling it: 32, 64, ..., 65536
 *                                  1 malloc     16 B
 *                                 12 realloc  131040 B (32 + ... + 65536)
 *   posix_memalign(&p, 4096, 4096) x 5, then free() of all 5
 *                                  5 posix_memalign  20480 B
 *   calloc(100, 24), then free()   1 calloc    2400 B
 *   free() of the 64 KiB buffer
 *
 *   per call: 19 allocation calls, 153936 B requested; 7 free() calls
 *   (65536 + 20480 + 2400 = 88416 B); the 12 reallocs release the old
 *   blocks, 16 + 32 + ... + 32768 = 65520 B; so 153936 B released and
 *   nothing left allocated when it returns. It returns 19 (items).
 *
 * main() makes no heap calls itself; libc's startup may (in the parent
 * only: the child starts at fork).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pipetrace/stage.h>

#define NBLOCKS 5

long stage_alloc(void);

/* The heap sequence of the file comment; returns 19, or -1 if out of
 * memory (with everything freed). */
PIPETRACE_NOINLINE long stage_alloc(void)
{
	void *blocks[NBLOCKS] = { NULL };
	size_t cap = 16;
	char *buf = malloc(cap), *nb;
	long calls = 1, ret = -1;
	int *arr;
	int i;

	if (!buf)
		return -1;
	buf[0] = 1;
	while (cap < 65536) {
		nb = realloc(buf, cap * 2);
		if (!nb)
			goto out;
		buf = nb;
		cap *= 2;
		buf[cap - 1] = 1;
		calls++;
	}
	for (i = 0; i < NBLOCKS; i++) {
		if (posix_memalign(&blocks[i], 4096, 4096))
			goto out;
		memset(blocks[i], 0, 64);
		calls++;
	}
	for (i = 0; i < NBLOCKS; i++) {
		free(blocks[i]);
		blocks[i] = NULL;
	}
	arr = calloc(100, 24);
	if (!arr)
		goto out;
	arr[0] = 1;
	calls++;
	free(arr);
	ret = calls;
out:
	for (i = 0; i < NBLOCKS; i++)
		if (blocks[i]) /* no free(NULL) calls: a tracer sees them */
			free(blocks[i]);
	free(buf);
	return ret;
}
PIPETRACE_STAGE(stage_alloc);

/* n calls of stage_alloc(): 0, or 1 if one failed. */
static int calls(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (stage_alloc() < 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
	long m = argc > 2 ? strtol(argv[2], NULL, 10) : -1;
	int status, ret;
	pid_t child;

	if (m < 0)
		return calls(n);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		_exit(calls(m));
	ret = calls(n);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	return ret;
}
