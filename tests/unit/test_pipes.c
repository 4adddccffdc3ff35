// SPDX-License-Identifier: MIT
/*
 * test_pipes.c - the pipe graph (collect/pipes.c): its /proc parsers on
 * hostile text, and the graph of real pipes and a FIFO made here, held by
 * child processes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "collect/pipes.h"
#include "collect/pipewait.h"
#include "collect/unixdiag.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#define LIT(s) s, sizeof(s) - 1

static void test_parse_link(void **state)
{
	uint32_t kind = 0;
	uint64_t ino = 0;

	assert_int_equal(pt_pipes__parse_link(LIT("pipe:[4026]"), &kind, &ino),
			 0);
	assert_int_equal(kind, PT_PIPE_KIND_FIFO);
	assert_int_equal(ino, 4026);
	assert_int_equal(
		pt_pipes__parse_link(LIT("socket:[18446744073709551615]"),
				     &kind, &ino),
		0);
	assert_int_equal(kind, PT_PIPE_KIND_SOCK);
	assert_true(ino == UINT64_MAX);
}

static void test_parse_link_hostile(void **state)
{
	static const char *const bad[] = {
		"pipe:[",     "pipe:[]",	"pipe:[12",
		"pipe:[12]x", "pipe:[-1]",	"pipe:[18446744073709551616]",
		"pipe:[ 1]",  "anon_inode:[1]", "/tmp/fifo",
		"",	      "socket:[1]]",
	};
	uint32_t kind = 7;
	uint64_t ino = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt_pipes__parse_link(bad[i], strlen(bad[i]),
						      &kind, &ino),
				 -EINVAL);
	/* Nothing written on failure; a buffer without its NUL is read
	 * only to its length. */
	assert_int_equal(kind, 7);
	assert_int_equal(ino, 7);
	assert_int_equal(pt_pipes__parse_link("pipe:[5]", 7, &kind, &ino),
			 -EINVAL);
}

static void test_parse_fdinfo(void **state)
{
	unsigned int f = 0;

	assert_int_equal(
		pt_pipes__parse_fdinfo(
			LIT("pos:\t0\nflags:\t02000001\nmnt_id:\t15\n"), &f),
		0);
	assert_int_equal(f, 02000001);
	assert_int_equal(f & O_ACCMODE, O_WRONLY);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("flags:\t0"), &f), 0);
	assert_int_equal(f, 0);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("pos:\t0\n"), &f), -EINVAL);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("flags:\t08\n"), &f),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("flags:\t\n"), &f),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("flags:\t777777777777\n"),
						&f),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_fdinfo(LIT("xflags:\t1\n"), &f),
			 -EINVAL);
}

static void test_parse_schedstat(void **state)
{
	uint64_t c = 0, r = 0;

	assert_int_equal(pt_pipes__parse_schedstat(LIT("123 456 7\n"), &c, &r),
			 0);
	assert_int_equal(c, 123);
	assert_int_equal(r, 456);
	assert_int_equal(pt_pipes__parse_schedstat(LIT("123"), &c, &r),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_schedstat(LIT("a 1 1"), &c, &r),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_schedstat(LIT(" 1 1"), &c, &r),
			 -EINVAL);
	assert_int_equal(pt_pipes__parse_schedstat(LIT(""), &c, &r), -EINVAL);
}

/* ------------------------------------------------------------ unix diag */

/* One sock_diag message for socket ino (peer: 0, none) into buf at *off. */
static void put_diag(unsigned char *buf, size_t *off, uint32_t ino,
		     uint32_t peer)
{
	struct nlmsghdr h = { .nlmsg_type = SOCK_DIAG_BY_FAMILY };
	struct unix_diag_msg m = { .udiag_family = AF_UNIX, .udiag_ino = ino };
	struct rtattr a = { .rta_len = sizeof(a) + 4,
			    .rta_type = UNIX_DIAG_PEER };
	size_t o = *off;

	h.nlmsg_len = sizeof(h) + sizeof(m) + (peer ? a.rta_len : 0);
	memcpy(buf + o, &h, sizeof(h));
	memcpy(buf + o + sizeof(h), &m, sizeof(m));
	if (peer) {
		memcpy(buf + o + sizeof(h) + sizeof(m), &a, sizeof(a));
		memcpy(buf + o + sizeof(h) + sizeof(m) + sizeof(a), &peer, 4);
	}
	*off = o + ((h.nlmsg_len + 3) & ~3u);
}

static void put_done(unsigned char *buf, size_t *off)
{
	struct nlmsghdr h = { .nlmsg_len = sizeof(h) + 4,
			      .nlmsg_type = NLMSG_DONE };

	memcpy(buf + *off, &h, sizeof(h));
	memset(buf + *off + sizeof(h), 0, 4);
	*off += h.nlmsg_len;
}

/* Two paired sockets and a listening one (no peer), then the end. */
static void test_unixdiag_parse(void **state)
{
	unsigned char buf[512];
	struct pt_unix_peers p = { 0 };
	size_t off = 0;

	put_diag(buf, &off, 7, 8);
	put_diag(buf, &off, 9, 0);
	put_diag(buf, &off, 8, 7);
	assert_int_equal(pt_unixdiag__parse(buf, off, &p), 0);
	assert_int_equal(p.n, 2);
	assert_true(p.v[0].ino == 7 && p.v[0].peer == 8);
	assert_true(p.v[1].ino == 8 && p.v[1].peer == 7);
	off = 0;
	put_done(buf, &off);
	assert_int_equal(pt_unixdiag__parse(buf, off, &p), 1);
	assert_int_equal(p.n, 2);
	pt_unixdiag__free(&p);
}

/* Lengths that lie, an error message, a wrong family: refused, nothing
 * read past the buffer (ASan in the fuzzer checks the rest). */
static void test_unixdiag_hostile(void **state)
{
	unsigned char buf[512];
	struct pt_unix_peers p = { 0 };
	struct nlmsghdr h;
	struct nlmsgerr e = { .error = -EPERM };
	size_t off = 0;

	put_diag(buf, &off, 7, 8);
	/* the message says it is longer than what came */
	assert_int_equal(pt_unixdiag__parse(buf, off - 4, &p), -EINVAL);
	/* a header claiming less than itself */
	memcpy(&h, buf, sizeof(h));
	h.nlmsg_len = 4;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(pt_unixdiag__parse(buf, off, &p), -EINVAL);
	/* an attribute longer than its message */
	off = 0;
	put_diag(buf, &off, 7, 8);
	buf[sizeof(h) + sizeof(struct unix_diag_msg)] = 200;
	assert_int_equal(pt_unixdiag__parse(buf, off, &p), -EINVAL);
	/* not AF_UNIX */
	off = 0;
	put_diag(buf, &off, 7, 8);
	buf[sizeof(h)] = AF_INET;
	assert_int_equal(pt_unixdiag__parse(buf, off, &p), -EINVAL);
	/* the kernel's error */
	h = (struct nlmsghdr){ .nlmsg_len = sizeof(h) + sizeof(e),
			       .nlmsg_type = NLMSG_ERROR };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e, sizeof(e));
	assert_int_equal(pt_unixdiag__parse(buf, sizeof(h) + sizeof(e), &p),
			 -EPERM);
	assert_int_equal(pt_unixdiag__parse(buf, 3, &p), -EINVAL);
	assert_int_equal(p.n, 0);
	pt_unixdiag__free(&p);
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_ino;
}

/* The kernel's dump pairs a socketpair made here, both ways. */
static void test_unixdiag_dump(void **state)
{
	struct pt_unix_peers p;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pt_unixdiag__dump(&p), 0);
	assert_true(pt_unixdiag__peer(&p, ino_of(sv[0])) == ino_of(sv[1]));
	assert_true(pt_unixdiag__peer(&p, ino_of(sv[1])) == ino_of(sv[0]));
	pt_unixdiag__free(&p);
	close(sv[0]);
	close(sv[1]);
}

/* ------------------------------------------------------- real processes */

/* A child that keeps fd `keep` (as its fd 3; -1: none) and no other until
 * killed (or this test dies); its standard fds on /dev/null, so that the
 * pipes of whoever runs the test are not its. */
static pid_t holder(int keep)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
		/* keep, as fd 3; nothing else this test inherited */
		if (keep >= 0)
			dup2(keep, 3);
		close_range(keep >= 0 ? 4 : 3, ~0u, 0);
		prctl(PR_SET_NAME, "ptsettled");
		for (;;)
			pause();
	}
	return pid;
}

/* Has pid renamed itself ptsettled, the holder's last step before pause()?
 * Counting fds alone is not enough: when this test inherited just 0, 1 and
 * 2 (pipes, under CI) the child holds 3 fds before it has replaced them. */
static int renamed(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strcmp(comm, "ptsettled\n") == 0;
}

/* Waits (up to 10 s) until pid has set itself up and holds exactly n fds. */
static void settled(pid_t pid, int n)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	for (int i = 0; i < 1000; i++) {
		DIR *d = opendir(path);
		struct dirent *de;
		int k = 0;

		assert_non_null(d);
		while ((de = readdir(d)))
			k += de->d_name[0] != '.';
		closedir(d);
		if (k == n && renamed(pid))
			return;
		usleep(10000);
	}
	fail_msg("pid %d never held just %d fds", (int)pid, n);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const struct pt_pipe_edge *edge_to(const struct pt_pipe_graph *g,
					  pid_t w, pid_t r)
{
	for (size_t i = 0; i < g->nedges; i++)
		if (g->edges[i].writer == w && g->edges[i].reader == r)
			return &g->edges[i];
	return NULL;
}

/* writer | reader, with the writer traced: the reader is found among all
 * processes, the edge has the pipe's inode, and this process (which made
 * the pipe and closed it) is not in it. */
static void test_real_pipe(void **state)
{
	struct pt_pipe_graph g = { 0 };
	const struct pt_pipe_edge *e;
	struct stat st;
	int p[2];
	pid_t w, r;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fstat(p[0], &st), 0);
	w = holder(p[1]);
	r = holder(p[0]);
	close(p[0]);
	close(p[1]);
	settled(w, 4); /* 0, 1, 2 and its end */
	settled(r, 4);
	assert_int_equal(pt_pipes__discover(&g, &w, 1), 0);
	e = edge_to(&g, w, r);
	assert_non_null(e);
	assert_true(e->ino == (uint64_t)st.st_ino);
	assert_int_equal(e->kind, PT_PIPE_KIND_FIFO);
	assert_null(edge_to(&g, r, w));
	assert_non_null(pt_pipes__proc(&g, r));
	assert_false(pt_pipes__proc(&g, r)->traced);
	assert_true(pt_pipes__proc(&g, w)->traced);
	assert_null(pt_pipes__proc(&g, getpid()));
	pt_pipes__free(&g);
	reap(w);
	reap(r);
}

/* A named FIFO, known by its path's inode; an O_RDWR end reads and
 * writes. */
static void test_real_fifo(void **state)
{
	char path[] = "/tmp/pt_test_pipes_XXXXXX";
	struct pt_pipe_graph g = { 0 };
	const struct pt_pipe_edge *e;
	struct stat st;
	int rw, wo;
	pid_t a, b;

	assert_non_null(mkdtemp(path));
	strcat(path, "/f");
	assert_int_equal(mkfifo(path, 0600), 0);
	rw = open(path, O_RDWR);
	assert_true(rw >= 0);
	wo = open(path, O_WRONLY);
	assert_true(wo >= 0);
	assert_int_equal(stat(path, &st), 0);
	a = holder(rw);
	b = holder(wo);
	close(rw);
	close(wo);
	settled(a, 4);
	settled(b, 4);
	assert_int_equal(pt_pipes__discover(&g, &b, 1), 0);
	e = edge_to(&g, b, a);
	assert_non_null(e);
	assert_true(e->ino == (uint64_t)st.st_ino);
	assert_int_equal(e->kind, PT_PIPE_KIND_NAMED);
	/* a reads and writes (O_RDWR), b only writes: nothing into b */
	assert_null(edge_to(&g, a, b));
	pt_pipes__free(&g);
	reap(a);
	reap(b);
	unlink(path);
	*strrchr(path, '/') = 0;
	rmdir(path);
}

/* A socketpair between two children, one traced: an edge each way, each
 * with the writer's socket and the reader's (its peer); a third child
 * sharing one end with the traced one is on the same side: no edge. */
static void test_real_socketpair(void **state)
{
	struct pt_pipe_graph g = { 0 };
	const struct pt_pipe_edge *e;
	uint64_t i0, i1;
	pid_t a, b, c;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	i0 = ino_of(sv[0]);
	i1 = ino_of(sv[1]);
	a = holder(sv[0]);
	b = holder(sv[1]);
	c = holder(sv[0]);
	close(sv[0]);
	close(sv[1]);
	settled(a, 4);
	settled(b, 4);
	settled(c, 4);
	assert_int_equal(pt_pipes__discover(&g, &a, 1), 0);
	e = edge_to(&g, a, b);
	assert_non_null(e);
	assert_int_equal(e->kind, PT_PIPE_KIND_SOCK);
	assert_true(e->ino == i0 && e->rino == i1);
	e = edge_to(&g, b, a);
	assert_non_null(e);
	assert_true(e->ino == i1 && e->rino == i0);
	assert_false(pt_pipes__proc(&g, b)->traced);
	assert_null(edge_to(&g, a, c));
	assert_null(edge_to(&g, c, a));
	pt_pipes__free(&g);
	reap(a);
	reap(b);
	reap(c);
}

/* A process no pipe joins to anything: one node, no edge. */
static void test_no_pipes(void **state)
{
	struct pt_pipe_graph g = { 0 };
	pid_t lone = holder(-1);

	settled(lone, 3);
	assert_int_equal(pt_pipes__discover(&g, &lone, 1), 0);
	assert_int_equal(g.nedges, 0);
	assert_non_null(pt_pipes__proc(&g, lone));
	pt_pipes__free(&g);
	reap(lone);
}

/* A pid that does not exist: an error, nothing else. */
static void test_gone(void **state)
{
	struct pt_pipe_graph g = { 0 };
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	assert_int_equal(pt_pipes__scan_pid(&g, gone, NULL, 0), -ENOENT);
	assert_int_equal(g.nends, 0);
	pt_pipes__free(&g);
}

/* ------------------------------------------------------------ synthetic */

/* Edges from ends: a cycle a -> b -> a, an end shared by the same process
 * (no edge to itself), and two untraced processes (no edge). */
static void test_link_synthetic(void **state)
{
	struct pt_pipe_end ends[] = {
		{ 1, 10, PT_PIPE_KIND_FIFO, PT_PIPE_W, 0 },
		{ 2, 10, PT_PIPE_KIND_FIFO, PT_PIPE_R, 0 },
		{ 2, 11, PT_PIPE_KIND_FIFO, PT_PIPE_W, 0 },
		{ 1, 11, PT_PIPE_KIND_FIFO, PT_PIPE_R, 0 },
		{ 1, 12, PT_PIPE_KIND_FIFO, PT_PIPE_R | PT_PIPE_W, 0 },
		{ 3, 13, PT_PIPE_KIND_FIFO, PT_PIPE_W, 0 },
		{ 4, 13, PT_PIPE_KIND_FIFO, PT_PIPE_R, 0 },
	};
	struct pt_pipe_proc procs[] = { { .pid = 1, .traced = true },
					{ .pid = 2 },
					{ .pid = 3 },
					{ .pid = 4 } };
	struct pt_pipe_graph g = {
		.ends = ends, .nends = 7, .procs = procs, .nprocs = 4
	};

	assert_int_equal(pt_pipes__link(&g), 0);
	assert_int_equal(g.nedges, 2);
	assert_non_null(edge_to(&g, 1, 2));
	assert_non_null(edge_to(&g, 2, 1));
	assert_true(edge_to(&g, 1, 2)->ino == 10);
	assert_true(edge_to(&g, 2, 1)->ino == 11);
	free(g.edges);
}

/*
 * The graph over a trace, this process traced: a pipe it made for two
 * children (a shell's) leaves it once it has closed both ends, the
 * children's edge staying; a pipe it wrote into and then closed, which no
 * one else writes, stays its (a process done with its output).
 */
static void test_refresh_closed(void **state)
{
	struct pt_pipe_graph g = { 0 };
	pid_t self = getpid(), a, b, r;
	int p[2], q[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	a = holder(p[1]);
	b = holder(p[0]);
	r = holder(q[0]);
	close(q[0]);
	settled(a, 4);
	settled(b, 4);
	settled(r, 4);
	assert_int_equal(pt_pipes__discover(&g, &self, 1), 0);
	assert_non_null(edge_to(&g, self, b));
	assert_non_null(edge_to(&g, self, r));
	close(p[0]);
	close(p[1]);
	close(q[1]);
	assert_int_equal(pt_pipes__refresh(&g, &self, 1), 0);
	assert_null(edge_to(&g, self, b));
	assert_null(edge_to(&g, a, self));
	assert_non_null(edge_to(&g, self, r));
	pt_pipes__free(&g);
	reap(a);
	reap(b);
	reap(r);
}

/* A traced process that is gone keeps the pipes it was last seen with. */
static void test_refresh_gone(void **state)
{
	struct pt_pipe_graph g = { 0 };
	pid_t self = getpid(), both[2], w;
	int q[2];

	assert_int_equal(pipe(q), 0);
	w = holder(q[1]);
	close(q[1]);
	settled(w, 4);
	both[0] = self;
	both[1] = w;
	assert_int_equal(pt_pipes__discover(&g, both, 2), 0);
	assert_non_null(edge_to(&g, w, self));
	reap(w);
	assert_int_equal(pt_pipes__refresh(&g, both, 2), 0);
	assert_non_null(edge_to(&g, w, self));
	close(q[0]);
	pt_pipes__free(&g);
}

/* ------------------------------------------------------------- ids */

/* A kernel that numbers every process 1000000 above pipetrace's
 * namespace. */
static int shifted(void *ctx, pid_t id, uint32_t *out)
{
	*out = (uint32_t)id + *(const uint32_t *)ctx;
	return 0;
}

/* Kernel ids back to the namespace's through /proc, once; an id no
 * process of the namespace has is -ESRCH; without a translator, the
 * same id. */
static void test_pipewait_ids(void **state)
{
	uint32_t shift = 1000000;
	struct pt_pipewait_ids ids = { shifted, &shift };
	struct pt_pipewait pw;
	pid_t id = 0;

	pt_pipewait__init(&pw, &ids);
	assert_int_equal(pt_pipewait__id_of(&pw, (uint32_t)getpid() + shift,
					    &id),
			 0);
	assert_int_equal(id, getpid());
	assert_true(pw.npairs > 0);
	assert_int_equal(pt_pipewait__id_of(&pw, 1, &id), -ESRCH);
	pt_pipewait__free(&pw);
	pt_pipewait__init(&pw, NULL);
	assert_int_equal(pt_pipewait__id_of(&pw, 77, &id), 0);
	assert_int_equal(id, 77);
	pt_pipewait__free(&pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_link_hostile),
		cmocka_unit_test(test_parse_fdinfo),
		cmocka_unit_test(test_parse_schedstat),
		cmocka_unit_test(test_real_pipe),
		cmocka_unit_test(test_real_fifo),
		cmocka_unit_test(test_real_socketpair),
		cmocka_unit_test(test_unixdiag_parse),
		cmocka_unit_test(test_unixdiag_hostile),
		cmocka_unit_test(test_unixdiag_dump),
		cmocka_unit_test(test_no_pipes),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_link_synthetic),
		cmocka_unit_test(test_refresh_closed),
		cmocka_unit_test(test_refresh_gone),
		cmocka_unit_test(test_pipewait_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
