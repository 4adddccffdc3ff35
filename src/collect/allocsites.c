// SPDX-License-Identifier: MIT
/*
 * allocsites.c - find the target's allocator functions (see allocsites.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/allocsites.h"
#include "symbols/elfsyms.h"
#include "util/log.h"

/* The functions probed, by name; the kind says how to read the call. */
static const struct {
	const char *name;
	enum pt_alloc_kind kind;
} alloc_funcs[] = {
	{ "malloc", PT_ALLOC_MALLOC },
	{ "calloc", PT_ALLOC_CALLOC },
	{ "realloc", PT_ALLOC_REALLOC },
	{ "free", PT_ALLOC_FREE },
	{ "posix_memalign", PT_ALLOC_POSIX_MEMALIGN },
	{ "aligned_alloc", PT_ALLOC_MEMALIGN },
	{ "memalign", PT_ALLOC_MEMALIGN },
	{ "valloc", PT_ALLOC_VALLOC },
	{ "pvalloc", PT_ALLOC_PVALLOC },
};
#define NFUNCS (sizeof(alloc_funcs) / sizeof(alloc_funcs[0]))

const char *pt_alloc_kind__name(enum pt_alloc_kind k)
{
	size_t i;

	for (i = 0; i < NFUNCS; i++)
		if (alloc_funcs[i].kind == k)
			return alloc_funcs[i].name;
	return "?";
}

/* ------------------------------------------------------------ one object */

struct scan {
	uint64_t addr[NFUNCS]; /* 0: not defined */
	uint64_t size[NFUNCS];
	bool global[NFUNCS];
};

static int scan_sym(const struct pt_sym *sym, void *arg)
{
	struct scan *s = arg;
	size_t i;

	if (sym->kind != PT_SYM_FUNC)
		return 0;
	for (i = 0; i < NFUNCS; i++) {
		if (strcmp(sym->name, alloc_funcs[i].name))
			continue;
		s->addr[i] = sym->addr;
		s->size[i] = sym->size;
		s->global[i] = sym->global;
	}
	return 0;
}

/*
 * If the object at open_path defines a global malloc and free, fills out's
 * sites from it and returns 1; 0 if it does not; -errno if it cannot be
 * read.
 */
static int try_object(const char *open_path, struct pt_alloc_sites *out)
{
	struct pt_elf *e;
	struct scan s = { 0 };
	size_t i, j;
	int ret;

	ret = pt_elf__open(open_path, &e);
	if (ret)
		return ret;
	ret = pt_elf__for_each_func(e, scan_sym, &s);
	if (ret)
		goto out;
	/* malloc and free, both global: a local one is a private helper. */
	if (!s.addr[0] || !s.global[0] || !s.addr[3] || !s.global[3])
		goto out;
	out->n = 0;
	for (i = 0; i < NFUNCS; i++) {
		uint64_t off;
		uint32_t skip;
		bool dup = false;

		if (!s.addr[i] || !s.global[i] ||
		    pt_elf__addr_to_offset(e, s.addr[i], &off))
			continue;
		for (j = 0; j < out->n; j++)
			dup |= out->v[j].file_off == off;
		if (dup)
			continue; /* an alias: probed once */
		out->v[out->n].kind = alloc_funcs[i].kind;
		out->v[out->n].name = alloc_funcs[i].name;
		out->v[out->n].probe_class =
			alloc_funcs[i].kind == PT_ALLOC_FREE ?
				pt_probe_free__at(open_path, off, s.size[i],
						  &skip) :
				pt_probe_entry__at(open_path, off, s.size[i],
						   &skip);
		out->v[out->n].file_off = off + skip;
		out->n++;
	}
	ret = out->n >= 2;
out:
	pt_elf__close(e);
	return ret;
}

/* ------------------------------------------------------------ candidates */

static bool is_libc_or_loader(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-", 3);
}

/* Tries object NAME (NULL: the main executable); 1 found, 0 not, -errno. */
static int try_named(const struct pt_target *t, const char *name,
		     struct pt_alloc_sites *out)
{
	char *shown, *open_path, err[256];
	int ret;

	if (pt_target__find_object(t, name, &shown, &open_path, err,
				   sizeof(err)))
		return 0;
	ret = try_object(open_path, out);
	if (ret == 1) {
		out->object = shown;
		out->attach_path = open_path;
		return 1;
	}
	free(shown);
	free(open_path);
	return ret < 0 && name == NULL ? ret : 0;
}

/* A running target's preloaded allocator: any mapped object but the main
 * executable, libc and the loader that defines malloc and free. */
static int try_mapped(const struct pt_target *t, struct pt_alloc_sites *out)
{
	size_t i;
	int ret;

	for (i = 0; i < t->maps.n; i++) {
		const struct pt_mapping *m = &t->maps.v[i];

		if (!m->path || m->path[0] != '/' || !(m->perms & PT_MAP_X) ||
		    !strcmp(m->path, t->exe) || is_libc_or_loader(m->path))
			continue;
		ret = try_named(t, m->path, out);
		if (ret)
			return ret;
	}
	return 0;
}

/* A command's LD_PRELOAD libraries (space- or colon-separated). */
static int try_preload(const struct pt_target *t, struct pt_alloc_sites *out)
{
	const char *env = getenv("LD_PRELOAD");
	char *copy, *tok, *save = NULL;
	int ret = 0;

	if (!env || !*env)
		return 0;
	copy = strdup(env);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " :", &save); tok && !ret;
	     tok = strtok_r(NULL, " :", &save))
		ret = try_named(t, tok, out);
	free(copy);
	return ret;
}

int pt_alloc_sites__resolve(const struct pt_target *t,
			    struct pt_alloc_sites *out, char *err,
			    size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = try_named(t, NULL, out);
	if (!ret)
		ret = t->pid > 0 ? try_mapped(t, out) : try_preload(t, out);
	if (!ret)
		ret = try_named(t, "libc.so.6", out);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return pt_errf(err, errlen, ret,
			       "cannot read the target's allocator: %s",
			       strerror(-ret));
	return pt_errf(
		err, errlen, -ENOENT,
		"no allocator found: neither the program nor a library it loads defines malloc and free (is it linked against libc.so.6?); drop --alloc");
}

void pt_alloc_sites__free(struct pt_alloc_sites *s)
{
	if (!s)
		return;
	free(s->object);
	free(s->attach_path);
	memset(s, 0, sizeof(*s));
}
