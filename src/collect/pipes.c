// SPDX-License-Identifier: MIT
/*
 * pipes.c - the pipe graph of processes, from /proc (see pipes.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collect/pipes.h"
#include "collect/procinfo.h"
#include "collect/unixdiag.h"
#include "util/readfile.h"

#define FDINFO_MAX 4096 /* fdinfo of a pipe: a few lines */
#define SCHEDSTAT_MAX 256
#define NAME_MAX_SHOWN 32

/* ---------------------------------------------------------------- parsers */

/* Decimal digits at *p (< end) into *v, at most 20; 0 or -EINVAL. */
static int parse_dec(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s >= end || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return 0;
}

int pt_pipes__parse_link(const char *buf, size_t len, uint32_t *kind,
			 uint64_t *ino)
{
	static const struct {
		const char *pfx;
		uint32_t kind;
	} kinds[] = { { "pipe:[", PT_PIPE_KIND_FIFO },
		      { "socket:[", PT_PIPE_KIND_SOCK } };
	const char *end = buf + len;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].pfx);
		const char *p = buf + n;
		uint64_t v;

		if (len < n + 2 || memcmp(buf, kinds[i].pfx, n))
			continue;
		if (parse_dec(&p, end, &v) || p + 1 != end || *p != ']')
			return -EINVAL;
		*kind = kinds[i].kind;
		*ino = v;
		return 0;
	}
	return -EINVAL;
}

int pt_pipes__parse_fdinfo(const char *buf, size_t len, unsigned int *flags)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p > 6 && !memcmp(p, "flags:", 6)) {
			unsigned int v = 0;
			const char *q = p + 6;

			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
			if (q == le)
				return -EINVAL;
			for (; q < le && *q >= '0' && *q <= '7'; q++) {
				if (v >> 29)
					return -EINVAL;
				v = v * 8 + (unsigned int)(*q - '0');
			}
			if (q != le)
				return -EINVAL;
			*flags = v;
			return 0;
		}
		p = le + 1;
	}
	return -EINVAL;
}

int pt_pipes__parse_schedstat(const char *buf, size_t len, uint64_t *cpu_ns,
			      uint64_t *runq_ns)
{
	const char *p = buf, *end = buf + len;
	uint64_t c, r;

	if (parse_dec(&p, end, &c) || p >= end || *p++ != ' ' ||
	    parse_dec(&p, end, &r))
		return -EINVAL;
	*cpu_ns = c;
	*runq_ns = r;
	return 0;
}

/* ---------------------------------------------------------------- readers */

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The whole of a small /proc file into buf (NUL-terminated); its length,
 * or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

static int add_end(struct pt_pipe_graph *g, pid_t pid, uint64_t ino,
		   uint32_t kind, uint32_t mode)
{
	struct pt_pipe_end *e;

	for (size_t i = 0; i < g->nends; i++) {
		e = &g->ends[i];
		if (e->pid == pid && e->ino == ino) {
			e->mode |= mode;
			return 0;
		}
	}
	if (g->nends == g->ends_cap) {
		size_t cap = g->ends_cap ? 2 * g->ends_cap : 16;

		e = reallocarray(g->ends, cap, sizeof(*e));
		if (!e)
			return -ENOMEM;
		g->ends = e;
		g->ends_cap = cap;
	}
	g->ends[g->nends++] = (struct pt_pipe_end){ pid, ino, kind, mode, 0 };
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What fd N of pid is: 0 with *kind and *ino if a pipe, FIFO or socket. */
static int fd_inode(pid_t pid, const char *fd, uint32_t *kind, uint64_t *ino)
{
	char path[80], link[80];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, link, sizeof(link));
	if (n < 0)
		return -errno;
	if (n < (ssize_t)sizeof(link) &&
	    !pt_pipes__parse_link(link, (size_t)n, kind, ino))
		return 0;
	if (link[0] != '/' || stat(path, &st) || !S_ISFIFO(st.st_mode))
		return -ENOENT;
	*kind = PT_PIPE_KIND_NAMED;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

/* PT_PIPE_R/W of fd N of pid, from its fdinfo flags (both if unknown). */
static uint32_t fd_mode(pid_t pid, const char *fd, uint32_t kind)
{
	char path[80], buf[FDINFO_MAX];
	unsigned int flags;
	ssize_t n;

	if (kind == PT_PIPE_KIND_SOCK)
		return PT_PIPE_R | PT_PIPE_W;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0 || pt_pipes__parse_fdinfo(buf, (size_t)n, &flags))
		return PT_PIPE_R | PT_PIPE_W;
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return PT_PIPE_R;
	case O_WRONLY:
		return PT_PIPE_W;
	default:
		return PT_PIPE_R | PT_PIPE_W;
	}
}

int pt_pipes__scan_pid(struct pt_pipe_graph *g, pid_t pid, const uint64_t *only,
		       size_t nonly)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		uint32_t kind = 0;
		uint64_t ino = 0;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    strlen(de->d_name) > 10 ||
		    fd_inode(pid, de->d_name, &kind, &ino))
			continue;
		if (only && !bsearch(&ino, only, nonly, sizeof(*only), cmp_u64))
			continue;
		ret = add_end(g, pid, ino, kind,
			      fd_mode(pid, de->d_name, kind));
	}
	closedir(d);
	return ret;
}

/* pid's on-CPU and run-queue time, summed over its threads; 0 or -errno. */
static int read_cpu(pid_t pid, uint64_t *cpu, uint64_t *runq)
{
	char path[96], buf[SCHEDSTAT_MAX];
	struct dirent *de;
	uint64_t c, r;
	DIR *d;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	*cpu = *runq = 0;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    strlen(de->d_name) > 10)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 (int)pid, de->d_name);
		n = read_small(path, buf, sizeof(buf));
		if (n < 0 || pt_pipes__parse_schedstat(buf, (size_t)n, &c, &r))
			continue;
		*cpu += c;
		*runq += r;
	}
	closedir(d);
	return 0;
}

/* pid's command line, its program without its directory, cut to
 * NAME_MAX_SHOWN bytes; NULL if unreadable. */
static char *short_name(pid_t pid)
{
	char *name = pt_proc_cmdline__read(pid), *sp, *sl;

	if (!name)
		return NULL;
	sp = strchr(name, ' ');
	if (sp)
		*sp = 0;
	sl = strrchr(name, '/');
	if (sp)
		*sp = ' ';
	if (sl)
		memmove(name, sl + 1, strlen(sl + 1) + 1);
	if (strlen(name) > NAME_MAX_SHOWN)
		strcpy(name + NAME_MAX_SHOWN - 3, "...");
	return name;
}

static struct pt_pipe_proc *add_proc(struct pt_pipe_graph *g, pid_t pid,
				     bool traced)
{
	struct pt_pipe_proc *p;

	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid) {
			g->procs[i].traced |= traced;
			return &g->procs[i];
		}
	if (g->nprocs == g->procs_cap) {
		size_t cap = g->procs_cap ? 2 * g->procs_cap : 8;

		p = reallocarray(g->procs, cap, sizeof(*p));
		if (!p)
			return NULL;
		g->procs = p;
		g->procs_cap = cap;
	}
	p = &g->procs[g->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->traced = traced;
	p->name = short_name(pid);
	p->t0_ns = p->t1_ns = mono_ns();
	if (read_cpu(pid, &p->cpu0_ns, &p->runq0_ns))
		p->gone = true;
	p->cpu1_ns = p->cpu0_ns;
	p->runq1_ns = p->runq0_ns;
	return p;
}

int pt_pipes__add_used(struct pt_pipe_graph *g, pid_t pid, uint64_t ino,
		       uint32_t kind, uint32_t mode, const char *comm)
{
	struct pt_pipe_proc *p = add_proc(g, pid, true);

	if (!p)
		return -ENOMEM;
	if (!p->name && comm && comm[0])
		p->name = strdup(comm); /* gone: its name from the BPF side */
	/* a FIFO /proc named so is the same pipe as the kernel's */
	for (size_t i = 0; i < g->nends; i++)
		if (g->ends[i].ino == ino)
			kind = g->ends[i].kind;
	return add_end(g, pid, ino, kind, mode);
}

void pt_pipes__sample(struct pt_pipe_graph *g)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		struct pt_pipe_proc *p = &g->procs[i];
		uint64_t c, r, now = mono_ns();
		char *name;

		if (p->gone || read_cpu(p->pid, &c, &r)) {
			p->gone = true;
			continue;
		}
		p->t1_ns = now;
		p->cpu1_ns = c;
		p->runq1_ns = r;
		/* after an exec, its new name */
		name = short_name(p->pid);
		if (name) {
			free(p->name);
			p->name = name;
		}
	}
}

const struct pt_pipe_proc *pt_pipes__proc(const struct pt_pipe_graph *g,
					  pid_t pid)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid)
			return &g->procs[i];
	return NULL;
}

/* The inodes of g's ends and of their sockets' peers, sorted and unique,
 * in *out (malloc'ed). */
static int inode_set(const struct pt_pipe_graph *g, uint64_t **out, size_t *n)
{
	uint64_t *v = calloc(2 * g->nends + 1, sizeof(*v));
	size_t k = 0, m = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < g->nends; i++) {
		v[m++] = g->ends[i].ino;
		if (g->ends[i].peer)
			v[m++] = g->ends[i].peer;
	}
	qsort(v, m, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < m; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*out = v;
	*n = k;
	return 0;
}

static bool is_traced(pid_t pid, const pid_t *traced, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (traced[i] == pid)
			return true;
	return false;
}

/* Every other process's fds on the inodes of the traced ones. */
static int scan_others(struct pt_pipe_graph *g, const pid_t *traced,
		       size_t ntraced, const uint64_t *inos, size_t ninos)
{
	pid_t self = getpid();
	struct dirent *de;
	DIR *d = opendir("/proc");
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		size_t before = g->nends;

		if (*end || v <= 0 || v > INT32_MAX || (pid_t)v == self ||
		    is_traced((pid_t)v, traced, ntraced))
			continue;
		ret = pt_pipes__scan_pid(g, (pid_t)v, inos, ninos);
		if (ret == -ENOMEM)
			break;
		ret = 0;
		if (g->nends > before && !add_proc(g, (pid_t)v, false))
			ret = -ENOMEM;
	}
	closedir(d);
	return ret;
}

void pt_pipes__set_peers(struct pt_pipe_graph *g,
			 const struct pt_unix_peers *peers)
{
	for (size_t i = 0; i < g->nends; i++) {
		struct pt_pipe_end *e = &g->ends[i];
		uint64_t p;

		if (e->kind != PT_PIPE_KIND_SOCK)
			continue;
		p = pt_unixdiag__peer(peers, e->ino);
		if (p)
			e->peer = p;
	}
}

static bool has_socket(const struct pt_pipe_graph *g)
{
	for (size_t i = 0; i < g->nends; i++)
		if (g->ends[i].kind == PT_PIPE_KIND_SOCK)
			return true;
	return false;
}

/* The peers of g's sockets from the kernel, if g has any; a dump that
 * fails leaves them unpaired (no socket edges), not the graph. */
static void find_peers(struct pt_pipe_graph *g)
{
	struct pt_unix_peers peers;

	if (!has_socket(g) || pt_unixdiag__dump(&peers))
		return;
	pt_pipes__set_peers(g, &peers);
	pt_unixdiag__free(&peers);
}

int pt_pipes__discover(struct pt_pipe_graph *g, const pid_t *traced,
		       size_t ntraced)
{
	uint64_t *inos = NULL;
	size_t ninos = 0;
	int ret = 0;

	for (size_t i = 0; i < ntraced; i++) {
		if (!add_proc(g, traced[i], true))
			return -ENOMEM;
		ret = pt_pipes__scan_pid(g, traced[i], NULL, 0);
		if (ret == -ENOMEM)
			return ret;
	}
	find_peers(g);
	ret = inode_set(g, &inos, &ninos);
	if (!ret && ninos)
		ret = scan_others(g, traced, ntraced, inos, ninos);
	free(inos);
	if (!ret)
		find_peers(g);
	return ret ? ret : pt_pipes__link(g);
}

/* Whether g has pid's fd on ino. */
static bool has_end(const struct pt_pipe_graph *g, pid_t pid, uint64_t ino)
{
	for (size_t i = 0; i < g->nends; i++)
		if (g->ends[i].pid == pid && g->ends[i].ino == ino)
			return true;
	return false;
}

/* The mode pid holds ino in, in g (0: none). */
static uint32_t mode_of(const struct pt_pipe_graph *g, pid_t pid, uint64_t ino)
{
	for (size_t i = 0; i < g->nends; i++)
		if (g->ends[i].pid == pid && g->ends[i].ino == ino)
			return g->ends[i].mode;
	return 0;
}

/* The directions of `mode` in which a process other than pid holds ino. */
static uint32_t others_mode(const struct pt_pipe_graph *g, pid_t pid,
			    uint64_t ino, uint32_t mode)
{
	uint32_t m = 0;

	for (size_t i = 0; i < g->nends; i++)
		if (g->ends[i].pid != pid && g->ends[i].ino == ino)
			m |= g->ends[i].mode;
	return m & mode;
}

/*
 * Brings pid's ends in g to its fds now (fresh). A direction it has closed
 * since is dropped where another process holds that end (a shell that made
 * a pipe for its children), and kept where none does (a process that
 * closed its end when done with it: the pipe was its). Whether any
 * changed.
 */
static bool update_ends(struct pt_pipe_graph *g, pid_t pid,
			const struct pt_pipe_graph *fresh)
{
	bool changed = false;
	size_t k = 0;

	for (size_t i = 0; i < g->nends; i++) {
		struct pt_pipe_end e = g->ends[i];

		if (e.pid == pid) {
			uint32_t now = mode_of(fresh, pid, e.ino);
			uint32_t closed = e.mode & ~now;
			uint32_t mode =
				now |
				(closed & ~others_mode(g, pid, e.ino, closed));

			changed |= mode != e.mode;
			e.mode = mode;
		}
		if (e.mode)
			g->ends[k++] = e;
	}
	g->nends = k;
	return changed;
}

int pt_pipes__refresh(struct pt_pipe_graph *g, const pid_t *traced,
		      size_t ntraced)
{
	struct pt_pipe_graph t = { 0 };
	bool fresh = false, changed = false;
	int ret = 0;

	for (size_t i = 0; i < ntraced && ret != -ENOMEM; i++) {
		ret = pt_pipes__scan_pid(&t, traced[i], NULL, 0);
		/* a process gone keeps the pipes it was last seen with */
		if (!ret)
			changed |= update_ends(g, traced[i], &t);
	}
	for (size_t i = 0; i < t.nends && !fresh; i++)
		fresh = !has_end(g, t.ends[i].pid, t.ends[i].ino);
	pt_pipes__free(&t);
	if (ret == -ENOMEM)
		return ret;
	if (fresh)
		return pt_pipes__discover(g, traced, ntraced);
	return changed ? pt_pipes__link(g) : 0;
}

static bool traced_pid(const struct pt_pipe_graph *g, pid_t pid)
{
	const struct pt_pipe_proc *p = pt_pipes__proc(g, pid);

	return p && p->traced;
}

/* Whether a's inode carries data into b's: a pipe's one inode, or a
 * unix socket's two ends (two processes sharing one socket's inode are on
 * the same side of it, not an edge). */
static bool joined(const struct pt_pipe_end *a, const struct pt_pipe_end *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind != PT_PIPE_KIND_SOCK)
		return a->ino == b->ino;
	return a->ino != b->ino && (a->peer == b->ino || b->peer == a->ino);
}

/* Whether a writes into b's pipe: two processes, one of them traced (two
 * others sharing a pipe, a shell and its terminal's reader, are not the
 * traced pipeline's). */
static bool is_edge(const struct pt_pipe_graph *g, const struct pt_pipe_end *a,
		    const struct pt_pipe_end *b)
{
	return joined(a, b) && a->pid != b->pid && (a->mode & PT_PIPE_W) &&
	       (b->mode & PT_PIPE_R) &&
	       (traced_pid(g, a->pid) || traced_pid(g, b->pid));
}

int pt_pipes__link(struct pt_pipe_graph *g)
{
	size_t n = 0;

	free(g->edges);
	g->edges = NULL;
	g->nedges = 0;
	for (size_t w = 0; w < g->nends; w++)
		for (size_t r = 0; r < g->nends; r++)
			n += is_edge(g, &g->ends[w], &g->ends[r]);
	if (!n)
		return 0;
	g->edges = calloc(n, sizeof(*g->edges));
	if (!g->edges)
		return -ENOMEM;
	for (size_t w = 0; w < g->nends; w++) {
		const struct pt_pipe_end *a = &g->ends[w];

		for (size_t r = 0; r < g->nends; r++) {
			const struct pt_pipe_end *b = &g->ends[r];

			if (is_edge(g, a, b))
				g->edges[g->nedges++] = (struct pt_pipe_edge){
					a->ino, a->kind, a->pid, b->pid, b->ino
				};
		}
	}
	return 0;
}

void pt_pipes__free(struct pt_pipe_graph *g)
{
	for (size_t i = 0; i < g->nprocs; i++)
		free(g->procs[i].name);
	free(g->ends);
	free(g->procs);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}
