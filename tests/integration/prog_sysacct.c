// SPDX-License-Identifier: MIT
/*
 * prog_sysacct.c - a program that keeps its own books of where its stage's
 * time went, for --syscalls exact and light alike (issue 15):
 *
 *   prog_sysacct N IN DB OUT   stage_io() N times: pread 64 KiB of IN,
 *                              write 4 KiB to DB and fdatasync it,
 *                              nanosleep 1 ms, spin 1 ms of thread CPU
 *
 * Inside stage_io, at its start and its end, it reads its own thread's
 * /proc/thread-self/schedstat (time on CPU, time waiting on a run queue)
 * and CLOCK_MONOTONIC, and counts every byte and call of its reads and
 * writes (the schedstat reads included). OUT gets "key value" lines:
 * calls, wall_ns, cpu_ns, runq_ns, sleep_ns (its clock around nanosleep),
 * read_bytes, write_bytes, read_calls, write_calls, syncs, io_cpu_ns
 * (its thread's CPU clock around pread, write and fdatasync: the on-CPU
 * time inside them, the schedstat reads' left out).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct books {
	uint64_t calls, wall_ns, cpu_ns, runq_ns, sleep_ns;
	uint64_t read_bytes, write_bytes, read_calls, write_calls, syncs;
	uint64_t io_cpu_ns;
};

struct mark {
	uint64_t wall, cpu, runq;
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads the thread's schedstat (counted as the reads they are). */
static void mark(struct books *b, struct mark *m)
{
	char buf[128];
	unsigned long long cpu = 0, runq = 0;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		fprintf(stderr, "prog_sysacct: cannot read schedstat\n");
		exit(1);
	}
	b->read_calls++;
	b->read_bytes += (uint64_t)n;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &cpu, &runq) != 2)
		exit(1);
	m->cpu = cpu;
	m->runq = runq;
	m->wall = clock_ns(CLOCK_MONOTONIC);
}

long stage_io(struct books *b, int in, int db, char *buf);

__attribute__((noinline)) long stage_io(struct books *b, int in, int db,
					char *buf)
{
	struct timespec ms = { 0, 1000000 };
	struct mark s, e;
	uint64_t t0, spin, c0, c3;
	ssize_t n;
	int ret;

	mark(b, &s);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	n = pread(in, buf, 65536, 0);
	b->read_calls++;
	b->read_bytes += n > 0 ? (uint64_t)n : 0;
	n = write(db, buf, 4096);
	b->write_calls++;
	b->write_bytes += n > 0 ? (uint64_t)n : 0;
	ret = fdatasync(db);
	c3 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (ret)
		exit(1);
	b->syncs++;
	/* The two clock reads between the calls are in it too (well under
	 * a microsecond each). */
	b->io_cpu_ns += c3 - c0;
	t0 = clock_ns(CLOCK_MONOTONIC);
	nanosleep(&ms, NULL);
	b->sleep_ns += clock_ns(CLOCK_MONOTONIC) - t0;
	spin = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 1000000;
	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < spin)
		;
	mark(b, &e);
	b->calls++;
	b->wall_ns += e.wall - s.wall;
	b->cpu_ns += e.cpu - s.cpu;
	b->runq_ns += e.runq - s.runq;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct books b = { 0 };
	int in, db, i, n;
	FILE *out;

	if (argc != 5 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: prog_sysacct N IN DB OUT\n");
		return 2;
	}
	in = open(argv[2], O_RDONLY);
	db = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || db < 0) {
		perror("prog_sysacct: open");
		return 1;
	}
	for (i = 0; i < n; i++)
		stage_io(&b, in, db, buf);
	close(in);
	close(db);
	out = fopen(argv[4], "w");
	if (!out)
		return 1;
	fprintf(out,
		"calls %llu\nwall_ns %llu\ncpu_ns %llu\nrunq_ns %llu\n"
		"sleep_ns %llu\nread_bytes %llu\nwrite_bytes %llu\n"
		"read_calls %llu\nwrite_calls %llu\nsyncs %llu\n"
		"io_cpu_ns %llu\n",
		(unsigned long long)b.calls, (unsigned long long)b.wall_ns,
		(unsigned long long)b.cpu_ns, (unsigned long long)b.runq_ns,
		(unsigned long long)b.sleep_ns,
		(unsigned long long)b.read_bytes,
		(unsigned long long)b.write_bytes,
		(unsigned long long)b.read_calls,
		(unsigned long long)b.write_calls, (unsigned long long)b.syncs,
		(unsigned long long)b.io_cpu_ns);
	return fclose(out) ? 1 : 0;
}
