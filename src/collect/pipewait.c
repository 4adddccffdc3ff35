// SPDX-License-Identifier: MIT
/*
 * pipewait.c - the pipes around the traced processes (see pipewait.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pipetrace_abi.h"
#include "collect/pipewait.h"
#include "report/procs.h"
#include "report/snapshot.h"

#define SAMPLE_EVERY_NS 100000000ull

long pt_pipewait__splice_nr(void)
{
	return SYS_splice;
}

void pt_pipewait__init(struct pt_pipewait *pw,
		       const struct pt_pipewait_ids *ids)
{
	memset(pw, 0, sizeof(*pw));
	if (ids)
		pw->ids = *ids;
}

static int add_pair(struct pt_pipewait *pw, pid_t id, uint32_t kid)
{
	struct pt_pid_pair *v;

	if (pw->npairs == pw->pairs_cap) {
		size_t cap = pw->pairs_cap ? 2 * pw->pairs_cap : 16;

		v = reallocarray(pw->pairs, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		pw->pairs = v;
		pw->pairs_cap = cap;
	}
	pw->pairs[pw->npairs++] = (struct pt_pid_pair){ id, kid };
	return 0;
}

/* *kid: the kernel's id of process id of pipetrace's namespace, translated
 * once (while it lives) and then remembered. 0 or -errno. */
static int kid_of(struct pt_pipewait *pw, pid_t id, uint32_t *kid)
{
	int ret;

	if (!pw->ids.kernel_of) {
		*kid = (uint32_t)id;
		return 0;
	}
	for (size_t i = 0; i < pw->npairs; i++)
		if (pw->pairs[i].id == id) {
			*kid = pw->pairs[i].kid;
			return 0;
		}
	ret = pw->ids.kernel_of(pw->ids.ctx, id, kid);
	return ret ? ret : add_pair(pw, id, *kid);
}

static bool find_kid(const struct pt_pipewait *pw, uint32_t kid, pid_t *out)
{
	for (size_t i = 0; i < pw->npairs; i++)
		if (pw->pairs[i].kid == kid) {
			*out = pw->pairs[i].id;
			return true;
		}
	return false;
}

/* Translates every process of /proc not translated yet. */
static int pair_all(struct pt_pipewait *pw)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while (ret != -ENOMEM && (de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		uint32_t kid;

		if (*end || v <= 0 || v > INT32_MAX)
			continue;
		ret = kid_of(pw, (pid_t)v, &kid); /* gone meanwhile: skipped */
	}
	closedir(d);
	return ret == -ENOMEM ? ret : 0;
}

int pt_pipewait__id_of(struct pt_pipewait *pw, uint32_t kid, pid_t *out)
{
	int ret;

	if (!pw->ids.kernel_of) {
		*out = (pid_t)kid;
		return 0;
	}
	if (find_kid(pw, kid, out))
		return 0;
	ret = pair_all(pw);
	if (ret)
		return ret;
	return find_kid(pw, kid, out) ? 0 : -ESRCH;
}

static int cmp_ino(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Remembers the inodes of the pipes open at the start: a pipe created
 * since is one the traced processes made. 0 or -ENOMEM. */
static int note_start(struct pt_pipewait *pw)
{
	const struct pt_pipe_graph *g = &pw->g;

	free(pw->ino0);
	pw->nino0 = 0;
	pw->ino0 = malloc((g->nends ? g->nends : 1) * sizeof(*pw->ino0));
	if (!pw->ino0)
		return -ENOMEM;
	for (size_t i = 0; i < g->nends; i++)
		pw->ino0[pw->nino0++] = g->ends[i].ino;
	qsort(pw->ino0, pw->nino0, sizeof(*pw->ino0), cmp_ino);
	return 0;
}

int pt_pipewait__begin(struct pt_pipewait *pw, const pid_t *traced, size_t n)
{
	int ret = pt_pipewait__track(pw, traced, n);

	if (!ret)
		ret = pt_pipes__discover(&pw->g, traced, n);
	return ret ? ret : note_start(pw);
}

int pt_pipewait__track(struct pt_pipewait *pw, const pid_t *pids, size_t n)
{
	pid_t *v = malloc((n ? n : 1) * sizeof(*v));
	struct pt_pipe_graph *g = &pw->g;
	bool flipped = false;

	if (!v)
		return -ENOMEM;
	memcpy(v, pids, n * sizeof(*v));
	/* their kernel ids while they live (the maps are read at the end) */
	for (size_t i = 0; i < n; i++) {
		uint32_t kid;

		if (kid_of(pw, pids[i], &kid) == -ENOMEM) {
			free(v);
			return -ENOMEM;
		}
	}
	free(pw->traced);
	pw->traced = v;
	pw->ntraced = n;
	/* One seen so far at the other end of a traced one's pipe: traced
	 * now (its own pipes are looked for at the next tick). */
	for (size_t i = 0; i < g->nprocs; i++)
		for (size_t k = 0; k < n && !g->procs[i].traced; k++)
			if (g->procs[i].pid == pids[k])
				g->procs[i].traced = flipped = true;
	return flipped ? pt_pipes__link(g) : 0;
}

uint64_t pt_pipewait__tick(struct pt_pipewait *pw, uint64_t now)
{
	if (now >= pw->next_sample_ns) {
		pt_pipes__refresh(&pw->g, pw->traced, pw->ntraced);
		pt_pipes__sample(&pw->g);
		pw->next_sample_ns = now + SAMPLE_EVERY_NS;
	}
	return pw->next_sample_ns;
}

/* The BPF figures of (process kid of the kernel, ino, dir): 0, or -ENOENT
 * if none. */
static int lookup(int fd, uint32_t kid, uint64_t ino, uint32_t dir,
		  struct pt_pipe_wait *w)
{
	struct pt_pipe_key k = { .ino = ino, .tgid = kid, .dir = dir };

	memset(w, 0, sizeof(*w));
	return bpf_map_lookup_elem(fd, &k, w) ? -ENOENT : 0;
}

static const char *kind_name(uint32_t kind)
{
	return kind == PT_PIPE_KIND_SOCK  ? "socket" :
	       kind == PT_PIPE_KIND_NAMED ? "fifo" :
					    "pipe";
}

/* The kernel's id of a process of the graph, 0 if unknown. */
static uint32_t kid_known(struct pt_pipewait *pw, pid_t id)
{
	uint32_t kid = 0;

	return kid_of(pw, id, &kid) ? 0 : kid;
}

/* Whether kernel process kid started while traced and had its libc I/O
 * wrappers probed only later (pt_proc_info's io_late): its calls before
 * then were not seen. */
static bool probed_late(const struct pt_pipewait_end *e, uint32_t kid,
			bool write)
{
	for (size_t i = 0; i < e->nprocs; i++)
		if (e->procs[i].pid == kid)
			return write ? e->procs[i].io_late_write :
				       e->procs[i].io_late_read;
	return false;
}

static void fill_edge(struct pt_pipewait *pw, struct pt_pl_edge *e,
		      const struct pt_pipe_edge *g,
		      const struct pt_pipewait_end *end)
{
	int fd = end->fds.waits;
	uint32_t counter = 0; /* the process whose count is the bytes */
	const struct pt_pipe_graph *gr = &pw->g;
	const struct pt_pipe_proc *w = pt_pipes__proc(gr, g->writer);
	const struct pt_pipe_proc *r = pt_pipes__proc(gr, g->reader);
	struct pt_pipe_wait v;

	memset(e, 0, sizeof(*e));
	e->ino = g->ino;
	e->rino = g->rino;
	e->kind = kind_name(g->kind);
	e->writer = g->writer;
	e->reader = g->reader;
	e->writer_known = w && w->traced;
	e->reader_known = r && r->traced;
	if (e->writer_known &&
	    !lookup(fd, kid_known(pw, g->writer), g->ino, 1, &v)) {
		e->writer_wait_ns = v.wait_ns;
		e->bytes = v.bytes;
	}
	if (e->reader_known &&
	    !lookup(fd, kid_known(pw, g->reader), g->rino, 0, &v)) {
		e->reader_wait_ns = v.wait_ns;
		if (!e->writer_known)
			e->bytes = v.bytes;
	}
	if (e->writer_known || e->reader_known)
		counter =
			kid_known(pw, e->writer_known ? g->writer : g->reader);
	/* counted at sys_exit only: unknown in light mode, never 0 */
	e->bytes_known = end->bytes && (e->writer_known || e->reader_known);
	/* from the libc wrappers of a process probed after it had written
	 * (its writes counted) or read (its reads): those were missed */
	e->bytes_partial = e->bytes_known && end->bytes_from &&
			   !strcmp(end->bytes_from, "libc") && counter &&
			   probed_late(end, counter, e->writer_known);
	if (e->bytes_partial && !e->bytes)
		e->bytes_known = false; /* none seen: not known, never 0 */
}

/* Traced process pid's life within the trace: [*start, *end) since attach,
 * from the processes' table when there is one, else the whole span. */
static void life_of(const struct pt_pipewait_end *e, uint32_t kid,
		    uint64_t *start, uint64_t *end)
{
	*start = 0;
	*end = e->span_ns;
	for (size_t i = 0; i < e->nprocs; i++) {
		const struct pt_proc_info *p = &e->procs[i];

		if (p->pid != kid)
			continue;
		*start = p->start_ns < e->span_ns ? p->start_ns : e->span_ns;
		if (p->exited && p->end_ns < *end)
			*end = p->end_ns;
		if (*end < *start)
			*end = *start;
	}
}

/* A thread's figures for its process's busy time. */
struct pt_tbusy {
	uint64_t io; /* blocked in I/O: its pipe waits are there */
	uint64_t busy; /* its life less its run-queue, other and lock time */
};

static uint64_t parts(const struct pt_thread_info *t, uint32_t part)
{
	return t->busy_ns[part] + t->idle_ns[part];
}

static int by_io_desc(const void *a, const void *b)
{
	const struct pt_tbusy *x = a, *y = b;

	return x->io < y->io ? 1 : x->io > y->io ? -1 : 0;
}

/*
 * The busiest of the n->nthreads threads of n's: each one's life in the
 * split less its run-queue, other and lock time and its pipe waits (a
 * thread blocked on a lock waits for another thread, whose own time
 * counts: pigz's main thread waits so on its reader and its compressing
 * threads, and is no busier than they are). The pipe
 * waits are counted per process: they go to its threads by their I/O time
 * (where a pipe wait lies), the most first, none beyond a thread's I/O.
 * 0 or -ENOMEM.
 */
static int busiest_thread(struct pt_pl_node *n, const struct pt_pipewait_end *e)
{
	uint64_t pipe = n->wait_ns[0] + n->wait_ns[1], take;
	struct pt_tbusy *v = calloc(n->nthreads, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < e->nthreads && k < n->nthreads; i++) {
		const struct pt_thread_info *t = &e->threads[i];
		uint64_t life = 0, idle;

		if (t->pid != n->kpid)
			continue;
		for (uint32_t part = 0; part < PT_PART_NR; part++)
			life += parts(t, part);
		idle = parts(t, PT_PART_RUNQ) + parts(t, PT_PART_OTHER) +
		       parts(t, PT_PART_LOCK);
		v[k].io = parts(t, PT_PART_IO);
		v[k++].busy = life > idle ? life - idle : 0;
	}
	qsort(v, k, sizeof(*v), by_io_desc);
	n->thread_busy_ns = 0;
	for (size_t i = 0; i < k; i++) {
		take = pipe < v[i].io ? pipe : v[i].io;
		pipe -= take;
		v[i].busy = v[i].busy > take ? v[i].busy - take : 0;
		if (v[i].busy > n->thread_busy_ns)
			n->thread_busy_ns = v[i].busy;
	}
	free(v);
	return 0;
}

/* A traced process's on-CPU, run-queue and other time from its threads'
 * split (the BPF side's, exact to its end), and with several threads its
 * busiest one's busy time (its pipe waits read first); false if none is
 * there. */
static bool from_threads(struct pt_pl_node *n, const struct pt_pipewait_end *e)
{
	bool found = false;

	for (size_t i = 0; i < e->nthreads; i++) {
		const struct pt_thread_info *t = &e->threads[i];

		if (t->pid != n->kpid)
			continue;
		found = true;
		n->nthreads++;
		n->oncpu_ns +=
			t->busy_ns[PT_PART_USER] + t->busy_ns[PT_PART_SYS] +
			t->idle_ns[PT_PART_USER] + t->idle_ns[PT_PART_SYS];
		n->runq_ns +=
			t->busy_ns[PT_PART_RUNQ] + t->idle_ns[PT_PART_RUNQ];
		n->other_ns +=
			t->busy_ns[PT_PART_OTHER] + t->idle_ns[PT_PART_OTHER];
	}
	n->cpu_known = n->other_known = found;
	/* out of memory: one thread's formula (pt_pl_busy()) */
	if (n->nthreads > 1 && busiest_thread(n, e))
		n->nthreads = 1;
	return found;
}

/* Node of process p: its span and CPU time (a traced one's from its
 * threads, else from schedstat: a process started since attach from 0);
 * for a traced one its waits on every pipe it holds. */
static void fill_node(struct pt_pipewait *pw, struct pt_pl_node *n,
		      const struct pt_pipe_proc *p,
		      const struct pt_pipewait_end *e)
{
	uint64_t start, end, cpu0 = p->cpu0_ns, runq0 = p->runq0_ns;
	const struct pt_pipe_graph *g = &pw->g;
	struct pt_pipe_wait v;

	memset(n, 0, sizeof(*n));
	n->pid = p->pid;
	n->kpid = kid_known(pw, p->pid);
	n->name = p->name;
	n->traced = p->traced;
	n->span_ns = p->t1_ns - p->t0_ns;
	if (p->traced) {
		life_of(e, n->kpid, &start, &end);
		n->span_ns = end - start;
		if (start)
			cpu0 = runq0 = 0;
	}
	for (size_t i = 0; p->traced && i < g->nends; i++) {
		if (g->ends[i].pid != p->pid)
			continue;
		for (uint32_t d = 0; d < PT_PIPE_DIR_NR; d++)
			if (!lookup(e->fds.waits, n->kpid, g->ends[i].ino, d,
				    &v)) {
				n->wait_ns[d] += v.wait_ns;
				n->wait_runq_ns[d] += v.runq_ns;
			}
	}
	if (!p->traced || !from_threads(n, e)) {
		n->cpu_known = p->t1_ns > p->t0_ns;
		n->oncpu_ns = p->cpu1_ns - cpu0;
		n->runq_ns = p->runq1_ns - runq0;
	}
}

static bool on_edge(const struct pt_pipeline *pl, pid_t pid)
{
	for (size_t i = 0; i < pl->nedges; i++)
		if (pl->edges[i].writer == pid || pl->edges[i].reader == pid)
			return true;
	return false;
}

/*
 * Whether pipe g is an edge of the pipeline: a traced end used it (the BPF
 * side has its figures: it blocked on it, or read or wrote it with bytes
 * counted), or both ends are traced and it was made during the trace. An fd
 * inherited and only held (a shell's fd open in every child, a stdout
 * nobody writes) is not.
 */
static bool is_edge(struct pt_pipewait *pw, const struct pt_pipe_edge *g,
		    int fd)
{
	const struct pt_pipe_proc *w = pt_pipes__proc(&pw->g, g->writer);
	const struct pt_pipe_proc *r = pt_pipes__proc(&pw->g, g->reader);
	bool wt = w && w->traced, rt = r && r->traced;
	struct pt_pipe_wait v;

	if (wt && !lookup(fd, kid_known(pw, g->writer), g->ino, 1, &v))
		return true;
	if (rt && !lookup(fd, kid_known(pw, g->reader), g->rino, 0, &v))
		return true;
	return wt && rt &&
	       !bsearch(&g->ino, pw->ino0, pw->nino0, sizeof(*pw->ino0),
			cmp_ino);
}

/* The name of kernel process kid from the processes' table, or NULL. */
static const char *comm_of(const struct pt_pipewait_end *e, uint32_t kid)
{
	for (size_t i = 0; i < e->nprocs; i++)
		if (e->procs[i].pid == kid)
			return e->procs[i].comm;
	return NULL;
}

/*
 * The pipe ends the BPF side saw traced processes use (every key of
 * pipe_waits is a traced process's: it blocked on the pipe, or its bytes
 * were counted), added to the graph where /proc did not show them: a
 * process that lived between two readings of its fds (head | cat under a
 * shell, done within 100 ms) left no end, so no edge. Sockets are left
 * to /proc: their peer is the kernel's only while they live. 0 or -ENOMEM.
 */
static int add_used_ends(struct pt_pipewait *pw, int fd,
			 const struct pt_pipewait_end *e)
{
	struct pt_pipe_key k, next;
	struct pt_pipe_wait v;
	bool added = false;
	void *prev = NULL;
	pid_t id;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v) ||
		    v.kind != PT_PIPE_KIND_FIFO || k.dir >= PT_PIPE_DIR_NR ||
		    pt_pipewait__id_of(pw, k.tgid, &id))
			continue;
		ret = pt_pipes__add_used(
			&pw->g, id, k.ino, v.kind,
			k.dir == PT_PIPE_DIR_WRITE ? PT_PIPE_W : PT_PIPE_R,
			comm_of(e, k.tgid));
		if (ret)
			return ret;
		added = true;
	}
	return added ? pt_pipes__link(&pw->g) : 0;
}

/* Per stage (and outside), the pipe waits summed over CPUs. */
static int read_stages(struct pt_pipewait *pw, int fd, size_t nstages)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t(*out)[2];
	struct pt_pipe_stage *pc;

	if (ncpus <= 0)
		return -EINVAL;
	out = calloc(PT_MAX_STAGES + 1, sizeof(*out));
	pc = calloc((size_t)ncpus, sizeof(*pc));
	if (!out || !pc) {
		free(out);
		free(pc);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s <= PT_MAX_STAGES; s++) {
		if (s >= nstages && s != PT_MAX_STAGES)
			continue;
		if (bpf_map_lookup_elem(fd, &s, pc))
			continue;
		for (int c = 0; c < ncpus; c++) {
			out[s][0] += pc[c].wait_ns[0];
			out[s][1] += pc[c].wait_ns[1];
		}
	}
	free(pc);
	pw->pl.stage_wait_ns = (const uint64_t(*)[2])out;
	pw->pl.nstage_wait = PT_MAX_STAGES + 1;
	return 0;
}

int pt_pipewait__end(struct pt_pipewait *pw, const struct pt_pipewait_end *e)
{
	struct pt_pipe_graph *g = &pw->g;
	struct pt_pipeline *pl = &pw->pl;
	uint64_t zero = 0;
	uint32_t k0 = 0;

	pt_pipes__sample(g);
	if (add_used_ends(pw, e->fds.waits, e) == -ENOMEM)
		return -ENOMEM;
	pl->nodes = calloc(g->nprocs ? g->nprocs : 1, sizeof(*pl->nodes));
	pl->edges = calloc(g->nedges ? g->nedges : 1, sizeof(*pl->edges));
	if (!pl->nodes || !pl->edges)
		return -ENOMEM;
	for (size_t i = 0; i < g->nedges; i++)
		if (is_edge(pw, &g->edges[i], e->fds.waits))
			fill_edge(pw, &pl->edges[pl->nedges++], &g->edges[i],
				  e);
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].traced || on_edge(pl, g->procs[i].pid))
			fill_node(pw, &pl->nodes[pl->nnodes++], &g->procs[i],
				  e);
	pl->bytes_from = e->bytes ? e->bytes_from : NULL;
	if (!bpf_map_lookup_elem(e->fds.lost, &k0, &zero))
		pl->lost = zero;
	return read_stages(pw, e->fds.stage, e->nstages);
}

void pt_pipewait__free(struct pt_pipewait *pw)
{
	pt_pipeline__free(&pw->pl);
	pt_pipes__free(&pw->g);
	free(pw->pairs);
	pw->pairs = NULL;
	pw->npairs = pw->pairs_cap = 0;
	free(pw->traced);
	pw->traced = NULL;
	pw->ntraced = 0;
	free(pw->ino0);
	pw->ino0 = NULL;
	pw->nino0 = 0;
}
