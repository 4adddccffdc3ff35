// SPDX-License-Identifier: MIT
/*
 * pipewait.c - the pipes around the traced processes (see pipewait.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pipetrace_abi.h"
#include "collect/pipewait.h"

#define SAMPLE_EVERY_NS 100000000ull

long pt_pipewait__splice_nr(void)
{
	return SYS_splice;
}

int pt_pipewait__begin(struct pt_pipewait *pw, const pid_t *traced, size_t n)
{
	memset(pw, 0, sizeof(*pw));
	if (n > PT_PIPEWAIT_MAX_TRACED)
		return -E2BIG;
	memcpy(pw->traced, traced, n * sizeof(*traced));
	pw->ntraced = n;
	return pt_pipes__discover(&pw->g, traced, n);
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

/* The BPF figures of (pid, ino, dir): 0, or -ENOENT if none. */
static int lookup(int fd, pid_t pid, uint64_t ino, uint32_t dir,
		  struct pt_pipe_wait *w)
{
	struct pt_pipe_key k = { .ino = ino,
				 .tgid = (uint32_t)pid,
				 .dir = dir };

	memset(w, 0, sizeof(*w));
	return bpf_map_lookup_elem(fd, &k, w) ? -ENOENT : 0;
}

static const char *kind_name(uint32_t kind)
{
	return kind == PT_PIPE_KIND_SOCK  ? "socket" :
	       kind == PT_PIPE_KIND_NAMED ? "fifo" :
					    "pipe";
}

static void fill_edge(struct pt_pl_edge *e, const struct pt_pipe_edge *g,
		      const struct pt_pipe_graph *gr, int fd)
{
	const struct pt_pipe_proc *w = pt_pipes__proc(gr, g->writer);
	const struct pt_pipe_proc *r = pt_pipes__proc(gr, g->reader);
	struct pt_pipe_wait v;

	memset(e, 0, sizeof(*e));
	e->ino = g->ino;
	e->kind = kind_name(g->kind);
	e->writer = g->writer;
	e->reader = g->reader;
	e->writer_known = w && w->traced;
	e->reader_known = r && r->traced;
	if (e->writer_known && !lookup(fd, g->writer, g->ino, 1, &v)) {
		e->writer_wait_ns = v.wait_ns;
		e->bytes = v.bytes;
	}
	if (e->reader_known && !lookup(fd, g->reader, g->ino, 0, &v)) {
		e->reader_wait_ns = v.wait_ns;
		if (!e->writer_known)
			e->bytes = v.bytes;
	}
	e->bytes_known = e->writer_known || e->reader_known;
}

/* Node of process p: its span and CPU from the readings; for a traced one
 * its waits on every pipe it holds. */
static void fill_node(struct pt_pl_node *n, const struct pt_pipe_proc *p,
		      const struct pt_pipe_graph *g, int fd, uint64_t span)
{
	struct pt_pipe_wait v;

	memset(n, 0, sizeof(*n));
	n->pid = p->pid;
	n->name = p->name;
	n->traced = p->traced;
	n->span_ns = p->traced ? span : p->t1_ns - p->t0_ns;
	n->cpu_known = p->t1_ns > p->t0_ns;
	n->oncpu_ns = p->cpu1_ns - p->cpu0_ns;
	n->runq_ns = p->runq1_ns - p->runq0_ns;
	if (!p->traced)
		return;
	for (size_t i = 0; i < g->nends; i++) {
		if (g->ends[i].pid != p->pid)
			continue;
		for (uint32_t d = 0; d < PT_PIPE_DIR_NR; d++)
			if (!lookup(fd, p->pid, g->ends[i].ino, d, &v)) {
				n->wait_ns[d] += v.wait_ns;
				n->wait_runq_ns[d] += v.runq_ns;
			}
	}
}

static bool on_edge(const struct pt_pipe_graph *g, pid_t pid)
{
	for (size_t i = 0; i < g->nedges; i++)
		if (g->edges[i].writer == pid || g->edges[i].reader == pid)
			return true;
	return false;
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

int pt_pipewait__end(struct pt_pipewait *pw, const struct pt_pipewait_fds *fds,
		     size_t nstages, uint64_t span)
{
	struct pt_pipe_graph *g = &pw->g;
	struct pt_pipeline *pl = &pw->pl;
	uint64_t zero = 0;
	uint32_t k0 = 0;

	pt_pipes__sample(g);
	pl->nodes = calloc(g->nprocs ? g->nprocs : 1, sizeof(*pl->nodes));
	pl->edges = calloc(g->nedges ? g->nedges : 1, sizeof(*pl->edges));
	if (!pl->nodes || !pl->edges)
		return -ENOMEM;
	pl->nedges = g->nedges;
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].traced || on_edge(g, g->procs[i].pid))
			fill_node(&pl->nodes[pl->nnodes++], &g->procs[i], g,
				  fds->waits, span);
	for (size_t i = 0; i < g->nedges; i++)
		fill_edge(&pl->edges[i], &g->edges[i], g, fds->waits);
	if (!bpf_map_lookup_elem(fds->lost, &k0, &zero))
		pl->lost = zero;
	return read_stages(pw, fds->stage, nstages);
}

void pt_pipewait__free(struct pt_pipewait *pw)
{
	pt_pipeline__free(&pw->pl);
	pt_pipes__free(&pw->g);
}
