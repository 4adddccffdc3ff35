// SPDX-License-Identifier: MIT
/* uprobes.c - see uprobes.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "collect/umulti.h"
#include "collect/uprobes.h"

/* Makes room for one more link or fd. Returns 0 or -ENOMEM. */
static int reserve(struct pt_uprobes *u)
{
	size_t cap = u->cap ? 2 * u->cap : 16;
	void *p;

	if (u->n < u->cap)
		return 0;
	if (u->multi)
		p = realloc(u->fds, cap * sizeof(*u->fds));
	else
		p = realloc(u->links, cap * sizeof(*u->links));
	if (!p)
		return -ENOMEM;
	if (u->multi)
		u->fds = p;
	else
		u->links = p;
	u->cap = cap;
	return 0;
}

/* One perf-event link per probe. */
static int attach_each(struct pt_uprobes *u, const struct pt_uprobe_batch *b,
		       size_t *failed)
{
	struct bpf_link *l;
	size_t i;

	for (i = 0; i < b->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = b->ret,
			    .bpf_cookie = b->cookies[i]);

		*failed = i;
		if (reserve(u))
			return -ENOMEM;
		l = bpf_program__attach_uprobe_opts(
			b->prog, b->tgid, b->paths[i], (size_t)b->offs[i], &uo);
		if (!l)
			return -errno;
		u->links[u->n++] = l;
		u->nprobes++;
	}
	return 0;
}

/* One multi-uprobe link for the probes of b in paths[first]'s file; offs
 * and cookies are scratch space for b->n entries. */
static int attach_file(struct pt_uprobes *u, const struct pt_uprobe_batch *b,
		       size_t first, unsigned long *offs, uint64_t *cookies)
{
	const char *path = b->paths[first];
	size_t i, n = 0;
	int fd;

	for (i = first; i < b->n; i++) {
		if (strcmp(b->paths[i], path))
			continue;
		offs[n] = b->offs[i];
		cookies[n++] = b->cookies[i];
	}
	if (reserve(u))
		return -ENOMEM;
	fd = pt_umulti__attach(bpf_program__fd(b->prog), path, offs, cookies, n,
			       b->ret, b->tgid);
	if (fd < 0)
		return fd;
	u->fds[u->n++] = fd;
	u->nprobes += n;
	return 0;
}

/* Whether paths[i] names a file that an earlier probe of b named. */
static bool seen_file(const struct pt_uprobe_batch *b, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(b->paths[j], b->paths[i]))
			return true;
	return false;
}

int pt_uprobes__attach(struct pt_uprobes *u, const struct pt_uprobe_batch *b,
		       size_t *failed)
{
	unsigned long *offs;
	uint64_t *cookies;
	size_t i;
	int ret = 0;

	*failed = 0;
	if (!u->multi)
		return attach_each(u, b, failed);
	offs = calloc(b->n ? b->n : 1, sizeof(*offs));
	cookies = calloc(b->n ? b->n : 1, sizeof(*cookies));
	for (i = 0; i < b->n && offs && cookies && !ret; i++) {
		*failed = i;
		if (!seen_file(b, i))
			ret = attach_file(u, b, i, offs, cookies);
	}
	if (!offs || !cookies)
		ret = -ENOMEM;
	free(offs);
	free(cookies);
	return ret;
}

int pt_uprobes__attach_one(struct pt_uprobes *u, struct bpf_program *prog,
			   bool ret, pid_t tgid, const char *path,
			   unsigned long off, uint64_t cookie)
{
	struct pt_uprobe_batch b = {
		.prog = prog,
		.ret = ret,
		.tgid = tgid,
		.n = 1,
		.paths = &path,
		.offs = &off,
		.cookies = &cookie,
	};
	size_t failed;

	return pt_uprobes__attach(u, &b, &failed);
}

static void *close_fd(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/* Closes fds[0..n), a thread each (up to PT_UPROBES_CLOSERS): the grace
 * periods the kernel waits for then overlap. The rest close here. */
static void close_together(const int *fds, size_t n)
{
	pthread_t th[PT_UPROBES_CLOSERS];
	size_t i, nth = 0;

	for (i = 0; i < n; i++) {
		if (nth < PT_UPROBES_CLOSERS &&
		    !pthread_create(&th[nth], NULL, close_fd,
				    (void *)(intptr_t)fds[i]))
			nth++;
		else
			close(fds[i]);
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

static void forget(struct pt_uprobes *u)
{
	free(u->fds);
	free(u->links);
	u->fds = NULL;
	u->links = NULL;
	u->n = u->cap = u->nprobes = 0;
}

void pt_uprobes__detach(struct pt_uprobes *const *sets, size_t nsets)
{
	int fds[PT_UPROBES_CLOSERS];
	size_t s, i, nfds = 0;

	for (s = 0; s < nsets; s++) {
		struct pt_uprobes *u = sets[s];

		for (i = 0; i < u->n; i++) {
			if (!u->multi)
				bpf_link__destroy(u->links[i]);
			else if (nfds < PT_UPROBES_CLOSERS)
				fds[nfds++] = u->fds[i];
			else
				close(u->fds[i]);
		}
		forget(u);
	}
	close_together(fds, nfds);
}
