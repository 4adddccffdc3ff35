// SPDX-License-Identifier: MIT
/*
 * kallsyms.c - kernel text symbols from /proc/kallsyms; see kallsyms.h.
 *
 * Two passes over the text: the first checks every line and sizes the
 * table and its string arena, the second fills them. Names are copied into
 * the arena in line order, so comparing name pointers compares line order
 * (the last tie-break of the sort). A module name equal to the previous
 * kept line's is stored once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/kallsyms.h"
#include "util/readfile.h"
#include "util/log.h"

#define KSYM_MODULE_MAX 255

struct pt_ksyms {
	struct pt_ksym *v; /* sorted by address, one per address */
	size_t n;
	size_t hidden; /* lines with a zero address */
	char *strs; /* arena of the names and modules */
};

/* One line split up; the strings point into the text. */
struct kline {
	uint64_t addr;
	char type;
	const char *name, *module; /* module NULL when absent */
	size_t name_len, module_len;
};

/* ---------------------------------------------------------------- parsing */

/* A printable character other than space. */
static bool is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

/* Split the line [p, end) (its newline excluded). Returns 0 or -EINVAL. */
static int parse_line(const char *p, const char *end, struct kline *l)
{
	int digits = 0, v;

	memset(l, 0, sizeof(*l));
	while (p < end && (v = pt_hex_digit(*p)) >= 0) {
		if (++digits > 16)
			return -EINVAL;
		l->addr = l->addr << 4 | (uint64_t)v;
		p++;
	}
	if (!digits || end - p < 4 || p[0] != ' ' || !is_graph(p[1]) ||
	    p[2] != ' ')
		return -EINVAL;
	l->type = p[1];
	p += 3;
	l->name = p;
	while (p < end && is_graph(*p))
		p++;
	l->name_len = (size_t)(p - l->name);
	if (!l->name_len || l->name_len > PT_KSYM_NAME_MAX)
		return -EINVAL;
	if (p == end)
		return 0;
	if (end - p < 3 || p[0] != '\t' || p[1] != '[')
		return -EINVAL;
	p += 2;
	l->module = p;
	while (p < end && is_graph(*p) && *p != ']')
		p++;
	l->module_len = (size_t)(p - l->module);
	if (!l->module_len || l->module_len > KSYM_MODULE_MAX || p == end ||
	    *p != ']' || p + 1 != end)
		return -EINVAL;
	return 0;
}

static bool is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* Whether module M (LEN bytes) is the C string PREV. */
static bool same_module(const char *prev, const char *m, size_t len)
{
	return prev && strlen(prev) == len && !memcmp(prev, m, len);
}

/*
 * One pass over the text. Without K->v it only checks the lines and counts
 * the kept symbols (*n) and arena bytes (*bytes); with it, it fills K.
 * Returns 0 or -EINVAL.
 */
static int scan(const char *buf, size_t len, struct pt_ksyms *k, size_t *n,
		size_t *bytes)
{
	const char *p = buf, *end = buf + len, *nl;
	const char *prev_mod = NULL; /* the last kept module, in the arena */
	size_t prev_len = 0;
	const char *prev_src = NULL; /* ... and in the text (pass 1) */
	char *arena = k->strs;
	struct kline l;

	*n = 0;
	*bytes = 0;
	k->hidden = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (parse_line(p, nl, &l))
			return -EINVAL;
		p = nl < end ? nl + 1 : end;
		if (!l.addr) {
			k->hidden++;
			continue;
		}
		if (!is_text(l.type))
			continue;
		if (k->v) {
			struct pt_ksym *s = &k->v[*n];

			s->addr = l.addr;
			s->type = l.type;
			s->name = arena;
			memcpy(arena, l.name, l.name_len);
			arena[l.name_len] = '\0';
			arena += l.name_len + 1;
			if (l.module &&
			    !same_module(prev_mod, l.module, l.module_len)) {
				memcpy(arena, l.module, l.module_len);
				arena[l.module_len] = '\0';
				prev_mod = arena;
				arena += l.module_len + 1;
			}
			s->module = l.module ? prev_mod : NULL;
		} else {
			*bytes += l.name_len + 1;
			if (l.module &&
			    !(prev_src && prev_len == l.module_len &&
			      !memcmp(prev_src, l.module, l.module_len))) {
				*bytes += l.module_len + 1;
				prev_src = l.module;
				prev_len = l.module_len;
			}
		}
		(*n)++;
	}
	return 0;
}

/* ------------------------------------------------------------------ table */

/* Preference among symbols at one address: lower is better. */
static int type_rank(char type)
{
	return type == 'T' ? 0 : type == 'W' || type == 'w' ? 1 : 2;
}

static size_t underscores(const char *name)
{
	size_t i = 0;

	while (name[i] == '_')
		i++;
	return i;
}

static int cmp_ksym(const void *pa, const void *pb)
{
	const struct pt_ksym *a = pa, *b = pb;
	size_t ua, ub;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (type_rank(a->type) != type_rank(b->type))
		return type_rank(a->type) - type_rank(b->type);
	ua = underscores(a->name);
	ub = underscores(b->name);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	/* names sit in the arena in line order */
	return a->name < b->name ? -1 : a->name > b->name;
}

int pt_ksyms__parse(const char *buf, size_t len, struct pt_ksyms **out)
{
	struct pt_ksyms *k;
	size_t n, bytes, i, kept;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!buf && len)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = scan(buf, len, k, &n, &bytes);
	if (err)
		goto fail;
	err = -ENOMEM;
	k->v = calloc(n ? n : 1, sizeof(*k->v));
	k->strs = malloc(bytes ? bytes : 1);
	if (!k->v || !k->strs)
		goto fail;
	err = scan(buf, len, k, &n, &bytes);
	if (err)
		goto fail;
	qsort(k->v, n, sizeof(*k->v), cmp_ksym);
	for (i = 0, kept = 0; i < n; i++)
		if (!kept || k->v[i].addr != k->v[kept - 1].addr)
			k->v[kept++] = k->v[i];
	k->n = kept;
	*out = k;
	return 0;

fail:
	pt_ksyms__free(k);
	return err;
}

void pt_ksyms__free(struct pt_ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->strs);
	free(k);
}

/* --------------------------------------------------------------- loading */

int pt_ksyms__load(struct pt_ksyms **out, char *err, size_t errlen)
{
	const char *path = "/proc/kallsyms";
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	if (!out)
		return pt_errf(err, errlen, -EINVAL, "no output table");
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return pt_errf(err, errlen, ret,
			       "cannot open %s: %s; is /proc mounted?", path,
			       strerror(-ret));
	}
	ret = pt_read_fd(fd, 1 << 20, PT_KSYMS_MAX_BYTES, &buf, &len);
	close(fd);
	if (ret)
		return pt_errf(err, errlen, ret, "cannot read %s: %s", path,
			       strerror(-ret));
	ret = pt_ksyms__parse(buf, len, out);
	free(buf);
	if (ret == -EINVAL)
		return pt_errf(err, errlen, ret,
			       "%s has a malformed line; is it a Linux "
			       "kallsyms file?",
			       path);
	if (ret)
		return pt_errf(err, errlen, ret, "cannot parse %s: %s", path,
			       strerror(-ret));
	if (!(*out)->n && (*out)->hidden) {
		pt_ksyms__free(*out);
		*out = NULL;
		return pt_errf(err, errlen, -EACCES,
			       "kernel symbol addresses are hidden "
			       "(kernel.kptr_restrict); run as root, with "
			       "kernel.kptr_restrict at most 1");
	}
	return 0;
}

/* ---------------------------------------------------------------- lookups */

const struct pt_ksym *pt_ksyms__find(const struct pt_ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (!k || !k->n || addr < k->v[0].addr)
		return NULL;
	/* the last entry with v[i].addr <= addr: invariant v[lo] <= addr */
	hi = k->n;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (k->v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &k->v[lo];
}

const char *pt_ksyms__name(const struct pt_ksyms *k, uint64_t addr)
{
	const struct pt_ksym *s = pt_ksyms__find(k, addr);

	return s ? s->name : NULL;
}

size_t pt_ksyms__count(const struct pt_ksyms *k)
{
	return k ? k->n : 0;
}

const struct pt_ksym *pt_ksyms__at(const struct pt_ksyms *k, size_t i)
{
	return k && i < k->n ? &k->v[i] : NULL;
}

size_t pt_ksyms__hidden(const struct pt_ksyms *k)
{
	return k ? k->hidden : 0;
}
