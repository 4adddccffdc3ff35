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
	uint64_t *want; /* pt_ksyms__parse_for()'s addresses, sorted, unique */
	size_t nwant;
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

/* Splits the line at *p (up to its newline or end) into l and moves *p
 * past it. Returns 0 or -EINVAL. */
static int next_line(const char **p, const char *end, struct kline *l)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		nl = end;
	if (parse_line(*p, nl, l))
		return -EINVAL;
	*p = nl < end ? nl + 1 : end;
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
	const char *p = buf, *end = buf + len;
	const char *prev_mod = NULL; /* the last kept module, in the arena */
	size_t prev_len = 0;
	const char *prev_src = NULL; /* ... and in the text (pass 1) */
	char *arena = k->strs;
	struct kline l;

	*n = 0;
	*bytes = 0;
	k->hidden = 0;
	while (p < end) {
		if (next_line(&p, end, &l))
			return -EINVAL;
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

/* The best symbol so far for one wanted address's slot: pointers into the
 * text, copied out at the end. */
struct slot {
	struct kline l; /* its name and module point into the buffers below */
	size_t line; /* line number: the last tie-break */
	bool set;
	char *name, *module; /* copies: the text may be a reused buffer */
	size_t name_cap, module_cap;
};

/* The wanted addresses (sorted, unique), a slot each, and where the scan
 * is (it may go on over several pieces of the text). */
struct want_scan {
	const uint64_t *want;
	size_t n;
	struct slot *slots;
	size_t line, hidden;
};

/* Whether line L (number LINE) comes before slot S in pt_ksyms__parse()'s
 * order at one address, or has a greater address: it replaces S. */
static bool better(const struct kline *l, size_t line, const struct slot *s)
{
	size_t ua, ub;

	if (!s->set || l->addr != s->l.addr)
		return !s->set || l->addr > s->l.addr;
	if (type_rank(l->type) != type_rank(s->l.type))
		return type_rank(l->type) < type_rank(s->l.type);
	for (ua = 0; ua < l->name_len && l->name[ua] == '_'; ua++)
		;
	for (ub = 0; ub < s->l.name_len && s->l.name[ub] == '_'; ub++)
		;
	if (ua != ub)
		return ua < ub;
	return line < s->line;
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

/* Index of the first of the N sorted addresses V >= ADDR (N if none). */
static size_t lower_bound(const uint64_t *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Copies LEN bytes of SRC into *DST (grown to hold them and a NUL). */
static int keep_str(char **dst, size_t *cap, const char *src, size_t len)
{
	char *p;

	if (len + 1 > *cap) {
		p = realloc(*dst, len + 1);
		if (!p)
			return -ENOMEM;
		*dst = p;
		*cap = len + 1;
	}
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
	return 0;
}

/* Slot S takes line L (number LINE), its strings copied. */
static int take(struct slot *s, const struct kline *l, size_t line)
{
	if (keep_str(&s->name, &s->name_cap, l->name, l->name_len) ||
	    (l->module &&
	     keep_str(&s->module, &s->module_cap, l->module, l->module_len)))
		return -ENOMEM;
	s->l = *l;
	s->l.name = s->name;
	s->l.module = l->module ? s->module : NULL;
	s->line = line;
	s->set = true;
	return 0;
}

/* The complete lines [buf, buf + len) (the last may lack its newline):
 * slot i keeps the best symbol in (want[i-1], want[i]]. 0 or -errno. */
static int scan_for(struct want_scan *w, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	struct kline l;
	size_t i;

	while (p < end) {
		if (next_line(&p, end, &l))
			return -EINVAL;
		w->line++;
		if (!l.addr) {
			w->hidden++;
			continue;
		}
		if (!is_text(l.type))
			continue;
		i = lower_bound(w->want, w->n, l.addr);
		if (i < w->n && better(&l, w->line, &w->slots[i]) &&
		    take(&w->slots[i], &l, w->line))
			return -ENOMEM;
	}
	return 0;
}

/* The slots' symbols copied into K (sorted: slot i's address lies above
 * slot i-1's wanted address). */
static int fill_from(struct pt_ksyms *k, const struct slot *slots, size_t n)
{
	size_t i, bytes = 0;
	char *arena;

	for (i = 0; i < n; i++)
		if (slots[i].set)
			bytes +=
				slots[i].l.name_len + slots[i].l.module_len + 2;
	k->v = calloc(n ? n : 1, sizeof(*k->v));
	k->strs = malloc(bytes ? bytes : 1);
	if (!k->v || !k->strs)
		return -ENOMEM;
	arena = k->strs;
	for (i = 0; i < n; i++) {
		const struct kline *l = &slots[i].l;
		struct pt_ksym *s = &k->v[k->n];

		if (!slots[i].set)
			continue;
		s->addr = l->addr;
		s->type = l->type;
		s->name = arena;
		memcpy(arena, l->name, l->name_len);
		arena[l->name_len] = '\0';
		arena += l->name_len + 1;
		if (l->module) {
			s->module = arena;
			memcpy(arena, l->module, l->module_len);
			arena[l->module_len] = '\0';
			arena += l->module_len + 1;
		}
		k->n++;
	}
	return 0;
}

/* The scan's state for WANT (copied, sorted, unique); 0 or -ENOMEM. */
static int want_begin(struct want_scan *w, const uint64_t *want, size_t nwant)
{
	uint64_t *v = malloc((nwant ? nwant : 1) * sizeof(*v));
	size_t i, n = 0;

	memset(w, 0, sizeof(*w));
	w->slots = calloc(nwant ? nwant : 1, sizeof(*w->slots));
	if (!v || !w->slots) {
		free(v);
		free(w->slots);
		w->slots = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nwant; i++)
		v[i] = want[i];
	qsort(v, nwant, sizeof(*v), cmp_u64);
	for (i = 0; i < nwant; i++)
		if (!n || v[i] != v[n - 1])
			v[n++] = v[i];
	w->want = v;
	w->n = n;
	return 0;
}

/* The table of the scan's slots into *out when ERR is 0; frees the scan.
 * Returns ERR or the table's -ENOMEM. */
static int want_end(struct want_scan *w, int err, struct pt_ksyms **out)
{
	struct pt_ksyms *k = err ? NULL : calloc(1, sizeof(*k));
	size_t i;

	if (!err && !k)
		err = -ENOMEM;
	if (!err) {
		k->hidden = w->hidden;
		err = fill_from(k, w->slots, w->n);
	}
	if (!err) {
		k->want = (uint64_t *)w->want;
		k->nwant = w->n;
		w->want = NULL;
		*out = k;
	} else {
		pt_ksyms__free(k);
	}
	for (i = 0; w->slots && i < w->n; i++) {
		free(w->slots[i].name);
		free(w->slots[i].module);
	}
	free(w->slots);
	free((uint64_t *)w->want);
	return err;
}

int pt_ksyms__parse_for(const char *buf, size_t len, const uint64_t *want,
			size_t nwant, struct pt_ksyms **out)
{
	struct want_scan w;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if ((!buf && len) || (!want && nwant))
		return -EINVAL;
	err = want_begin(&w, want, nwant);
	if (err)
		return err;
	return want_end(&w, scan_for(&w, buf, len), out);
}

/* /proc/kallsyms through a small buffer used again and again (its ~5 MB
 * read whole cost ~1,300 fresh pages), scanned for W. 0 or -errno. */
static int stream_for(int fd, struct want_scan *w)
{
	size_t cap = 256 << 10, have = 0, total = 0, done;
	char *buf = malloc(cap), *nl;
	ssize_t r;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err) {
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		total += (size_t)r;
		if (total > PT_KSYMS_MAX_BYTES) {
			err = -EFBIG;
			break;
		}
		have += (size_t)r;
		if (r == 0) { /* the end: what is left is the last line */
			err = scan_for(w, buf, have);
			break;
		}
		nl = memrchr(buf, '\n', have);
		if (!nl) {
			/* a line longer than the buffer: malformed */
			err = have == cap ? -EINVAL : 0;
			continue;
		}
		done = (size_t)(nl - buf) + 1;
		err = scan_for(w, buf, done - 1);
		memmove(buf, buf + done, have - done);
		have -= done;
	}
	free(buf);
	return err;
}

void pt_ksyms__free(struct pt_ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->strs);
	free(k->want);
	free(k);
}

/* --------------------------------------------------------------- loading */

/* A load's result RET (0 with *out) made a message in err; a table whose
 * every address was zero (kptr_restrict) is -EACCES. */
static int checked(const char *path, int ret, struct pt_ksyms **out, char *err,
		   size_t errlen)
{
	if (ret == -EINVAL)
		return pt_errf(err, errlen, ret,
			       "%s has a malformed line; is it a Linux "
			       "kallsyms file?",
			       path);
	if (ret)
		return pt_errf(err, errlen, ret, "cannot read %s: %s", path,
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

/* pt_ksyms__load(), or with WANT pt_ksyms__load_for() (streamed). */
static int load(const uint64_t *want, size_t nwant, struct pt_ksyms **out,
		char *err, size_t errlen)
{
	const char *path = "/proc/kallsyms";
	struct want_scan w;
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
	if (want) {
		ret = want_begin(&w, want, nwant);
		if (!ret)
			ret = want_end(&w, stream_for(fd, &w), out);
		close(fd);
		return checked(path, ret, out, err, errlen);
	}
	ret = pt_read_fd(fd, 1 << 20, PT_KSYMS_MAX_BYTES, &buf, &len);
	close(fd);
	if (ret)
		return pt_errf(err, errlen, ret, "cannot read %s: %s", path,
			       strerror(-ret));
	ret = pt_ksyms__parse(buf, len, out);
	free(buf);
	return checked(path, ret, out, err, errlen);
}

int pt_ksyms__load(struct pt_ksyms **out, char *err, size_t errlen)
{
	return load(NULL, 0, out, err, errlen);
}

int pt_ksyms__load_for(const uint64_t *want, size_t nwant,
		       struct pt_ksyms **out, char *err, size_t errlen)
{
	static const uint64_t none;

	return load(want ? want : &none, want ? nwant : 0, out, err, errlen);
}

/* ---------------------------------------------------------------- lookups */

const struct pt_ksym *pt_ksyms__find(const struct pt_ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (!k || !k->n || addr < k->v[0].addr)
		return NULL;
	/* a table for some addresses knows nothing of others */
	if (k->want) {
		lo = lower_bound(k->want, k->nwant, addr);
		if (lo == k->nwant || k->want[lo] != addr)
			return NULL;
		lo = 0;
	}
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
