// SPDX-License-Identifier: MIT
/*
 * fuzz_pipes.c - libFuzzer harness for the parsers of the pipe graph
 * (collect/pipes.c): /proc/PID/fd link text, /proc/PID/fdinfo/N and
 * /proc/PID/task/TID/schedstat; and of the unix sockets' peers
 * (collect/unixdiag.c): a NETLINK_SOCK_DIAG datagram.
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
#include "collect/unixdiag.h"
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

/* A datagram: 1, 0 or a negative errno; what it keeps has a peer. */
static void check_unixdiag(const char *buf, size_t size)
{
	struct pt_unix_peers p = { 0 };
	int ret = pt_unixdiag__parse(buf, size, &p);

	CHECK(ret <= 1 && ret > -4096);
	for (size_t i = 0; i < p.n; i++)
		CHECK(p.v[i].ino && p.v[i].peer);
	pt_unixdiag__free(&p);
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
	check_unixdiag(buf, size);
	free(buf);
	return 0;
}
