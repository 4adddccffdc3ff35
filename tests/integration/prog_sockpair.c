// SPDX-License-Identifier: MIT
/*
 * prog_sockpair.c - two processes joined by a unix socketpair, each keeping
 * its own truth: the parent (the writer) streams BYTES through its end
 * with send(2), the child (the reader) takes them with recv(2) and, at the
 * end, sends back the byte count it got (8 bytes), which the parent
 * recv(2)s. Each process times every send/recv call itself and counts its
 * stage calls and bytes, and writes them to OUT.writer and OUT.reader as
 * JSON. Per call it reads three clocks before and after: the wall clock
 * (CLOCK_MONOTONIC), its own CPU time (CLOCK_THREAD_CPUTIME_ID) and its
 * run-queue wait (/proc/thread-self/schedstat, second field): the call's
 * time blocked is the wall time less the two (`*_block_ns`); `*_wait_ns`
 * is the wall time.
 *
 *   prog_sockpair OUT BYTES SLOW ITERS
 *
 * SLOW is "writer" or "reader": that side's stage burns ITERS loop turns
 * per 64 KiB chunk (stage_produce in the writer, stage_consume in the
 * reader), so that it is the bottleneck and the other one waits on the
 * socket. Exit status 0 when the reader got every byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <pipetrace/stage.h>

#define CHUNK 65536

struct books {
	const char *role;
	int schedstat; /* /proc/thread-self/schedstat */
	uint64_t calls, sent, received, t0;
	uint64_t send_ns, recv_ns; /* wall time in the calls */
	uint64_t send_block_ns, recv_block_ns; /* of which blocked */
	uint64_t send_off_ns, recv_off_ns; /* of which off CPU */
};

struct clocks {
	uint64_t wall, cpu, runq;
};

long stage_produce(unsigned char *buf, size_t n, uint64_t seq, long iters);
long stage_consume(const unsigned char *buf, size_t n, long iters);

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int open_schedstat(void)
{
	return open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void read_clocks(const struct books *b, struct clocks *c)
{
	char buf[128];
	ssize_t n = pread(b->schedstat, buf, sizeof(buf) - 1, 0);

	c->wall = clock_ns(CLOCK_MONOTONIC);
	c->cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	c->runq = 0;
	if (n > 0) {
		buf[n] = 0;
		sscanf(buf, "%*u %lu", &c->runq);
	}
}

/* The time blocked between readings a and b: wall less CPU and run queue
 * (0 if the clocks' granularity makes it negative). */
static uint64_t blocked(const struct clocks *a, const struct clocks *b)
{
	uint64_t busy = (b->cpu - a->cpu) + (b->runq - a->runq);
	uint64_t wall = b->wall - a->wall;

	return wall > busy ? wall - busy : 0;
}

/* The time off CPU between readings a and b (0 as above). */
static uint64_t off_cpu(const struct clocks *a, const struct clocks *b)
{
	uint64_t cpu = b->cpu - a->cpu, wall = b->wall - a->wall;

	return wall > cpu ? wall - cpu : 0;
}

static volatile uint64_t sink;

static void burn(long iters)
{
	uint64_t x = sink;

	for (long i = 0; i < iters; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	sink = x;
}

PIPETRACE_NOINLINE long stage_produce(unsigned char *buf, size_t n,
				      uint64_t seq, long iters)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(seq + i * 7);
	burn(iters);
	return (long)n;
}
PIPETRACE_STAGE(stage_produce);

PIPETRACE_NOINLINE long stage_consume(const unsigned char *buf, size_t n,
				      long iters)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += buf[i];
	sink += s;
	burn(iters);
	return (long)n;
}
PIPETRACE_STAGE(stage_consume);

/* All of buf[0..n) through fd, each send timed. */
static int send_all(int fd, const unsigned char *buf, size_t n, struct books *b)
{
	while (n) {
		struct clocks c0, c1;
		ssize_t k;

		read_clocks(b, &c0);
		k = send(fd, buf, n, 0);
		read_clocks(b, &c1);
		b->send_ns += c1.wall - c0.wall;
		b->send_block_ns += blocked(&c0, &c1);
		b->send_off_ns += off_cpu(&c0, &c1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b->sent += (uint64_t)k;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One recv, timed: its count, 0 at the end, -1 on an error. */
static ssize_t recv_timed(int fd, unsigned char *buf, size_t n, struct books *b)
{
	ssize_t k;

	do {
		struct clocks c0, c1;

		read_clocks(b, &c0);
		k = recv(fd, buf, n, 0);
		read_clocks(b, &c1);
		b->recv_ns += c1.wall - c0.wall;
		b->recv_block_ns += blocked(&c0, &c1);
		b->recv_off_ns += off_cpu(&c0, &c1);
	} while (k < 0 && errno == EINTR);
	if (k > 0)
		b->received += (uint64_t)k;
	return k;
}

static int report(const char *out, const struct books *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", out, b->role);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"{\"role\": \"%s\", \"pid\": %d, \"calls\": %llu, "
		"\"sent\": %llu, \"received\": %llu, \"send_wait_ns\": %llu, "
		"\"recv_wait_ns\": %llu, \"send_block_ns\": %llu, "
		"\"recv_block_ns\": %llu, \"send_off_ns\": %llu, "
		"\"recv_off_ns\": %llu, \"wall_ns\": %llu}\n",
		b->role, (int)getpid(), (unsigned long long)b->calls,
		(unsigned long long)b->sent, (unsigned long long)b->received,
		(unsigned long long)b->send_ns, (unsigned long long)b->recv_ns,
		(unsigned long long)b->send_block_ns,
		(unsigned long long)b->recv_block_ns,
		(unsigned long long)b->send_off_ns,
		(unsigned long long)b->recv_off_ns,
		(unsigned long long)(now_ns() - b->t0));
	return fclose(f) ? -1 : 0;
}

static int reader(int fd, const char *out, long iters)
{
	static unsigned char buf[CHUNK];
	struct books b = { .role = "reader",
			   .schedstat = open_schedstat(),
			   .t0 = now_ns() };
	uint64_t got;
	ssize_t k;

	if (b.schedstat < 0)
		return 1;
	while ((k = recv_timed(fd, buf, sizeof(buf), &b)) > 0) {
		stage_consume(buf, (size_t)k, iters);
		b.calls++;
	}
	got = b.received;
	if (k < 0 || send_all(fd, (const unsigned char *)&got, sizeof(got), &b))
		return 1;
	return report(out, &b) ? 1 : 0;
}

static int writer(int fd, const char *out, uint64_t bytes, long iters)
{
	static unsigned char buf[CHUNK];
	struct books b = { .role = "writer",
			   .schedstat = open_schedstat(),
			   .t0 = now_ns() };
	uint64_t seq = 0, back = 0;
	size_t have = 0;

	if (b.schedstat < 0)
		return 1;
	while (b.sent < bytes) {
		size_t n = bytes - b.sent < CHUNK ? bytes - b.sent : CHUNK;

		stage_produce(buf, n, seq++, iters);
		b.calls++;
		if (send_all(fd, buf, n, &b))
			return 1;
	}
	shutdown(fd, SHUT_WR);
	while (have < sizeof(back)) {
		ssize_t k = recv_timed(fd, (unsigned char *)&back + have,
				       sizeof(back) - have, &b);

		if (k <= 0)
			return 1;
		have += (size_t)k;
	}
	if (back != bytes)
		return 1;
	return report(out, &b) ? 1 : 0;
}

int main(int argc, char **argv)
{
	long iters;
	int sv[2], st = 0, ret;
	uint64_t bytes;
	pid_t pid;

	if (argc != 5 ||
	    (strcmp(argv[3], "writer") && strcmp(argv[3], "reader"))) {
		fprintf(stderr,
			"usage: prog_sockpair OUT BYTES writer|reader ITERS\n");
		return 2;
	}
	bytes = strtoull(argv[2], NULL, 10);
	iters = strtol(argv[4], NULL, 10);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(sv[0]);
		_exit(reader(sv[1], argv[1],
			     strcmp(argv[3], "reader") ? 0 : iters));
	}
	close(sv[1]);
	ret = writer(sv[0], argv[1], bytes,
		     strcmp(argv[3], "writer") ? 0 : iters);
	close(sv[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		ret = 1;
	return ret;
}
