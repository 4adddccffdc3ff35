// SPDX-License-Identifier: MIT
/*
 * fuzz_procmaps.c - libFuzzer harness for pt_maps__parse() and the lookups.
 *
 * Besides memory safety (ASan/UBSan), it checks properties of every input
 * the parser accepts: sane fields, lookups that agree with the table, and a
 * round trip (formatting the mappings the way the kernel does and parsing
 * that again gives the same mappings).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/procmaps.h"
#include "fuzz.h"

/* Format M as /proc/PID/maps text; returns a heap buffer, length in *len. */
static char *format_maps(const struct pt_maps *m, size_t *len)
{
	size_t cap = 1, i, off = 0;
	char *buf;

	for (i = 0; i < m->n; i++)
		cap += 160 + (m->v[i].path ? strlen(m->v[i].path) : 0);
	buf = malloc(cap);
	if (!buf)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct pt_mapping *p = &m->v[i];
		unsigned int f = p->perms;

		off += (size_t)snprintf(
			buf + off, cap - off,
			"%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
			(unsigned long long)p->start,
			(unsigned long long)p->end, f & PT_MAP_R ? 'r' : '-',
			f & PT_MAP_W ? 'w' : '-', f & PT_MAP_X ? 'x' : '-',
			f & PT_MAP_P ? 'p' : 's', (unsigned long long)p->offset,
			p->dev_major, p->dev_minor,
			(unsigned long long)p->inode);
		if (p->path)
			off += (size_t)snprintf(buf + off, cap - off, "%*s%s%s",
						8, "", p->path,
						p->deleted ? " (deleted)" : "");
		buf[off++] = '\n';
	}
	*len = off;
	return buf;
}

static void check_same(const struct pt_maps *a, const struct pt_maps *b)
{
	size_t i;

	CHECK(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		const struct pt_mapping *x = &a->v[i], *y = &b->v[i];

		CHECK(x->start == y->start && x->end == y->end);
		CHECK(x->offset == y->offset && x->perms == y->perms);
		CHECK(x->dev_major == y->dev_major);
		CHECK(x->dev_minor == y->dev_minor);
		CHECK(x->inode == y->inode && x->deleted == y->deleted);
		CHECK(!x->path == !y->path);
		CHECK(!x->path || !strcmp(x->path, y->path));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_maps m, again;
	size_t i, len, lines = 0;
	char *text;
	int err;

	err = pt_maps__parse((const char *)data, size, &m);
	if (err) {
		CHECK(err == -EINVAL || err == -ENOMEM);
		CHECK(!m.v && !m.n);
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	CHECK(m.n <= lines + 1);

	for (i = 0; i < m.n; i++) {
		const struct pt_mapping *p = &m.v[i], *q;
		const char *base;

		CHECK(p->start <= p->end);
		CHECK(p->perms <= (PT_MAP_R | PT_MAP_W | PT_MAP_X | PT_MAP_P));
		if (p->path) {
			CHECK(p->path[0] && p->path[0] != ' ');
			CHECK(!strchr(p->path, '\n'));
		} else {
			CHECK(!p->deleted);
		}
		if (p->start < p->end) {
			q = pt_maps__find_addr(&m, p->start);
			CHECK(q && q <= p && q->start <= p->start &&
			      p->start < q->end);
			q = pt_maps__find_addr(&m, p->end - 1);
			CHECK(q && q->start <= p->end - 1 &&
			      p->end - 1 < q->end);
		}
		if (p->path && p->path[0] == '/') {
			q = pt_maps__find_object(&m, p->path);
			CHECK(q && q <= p && !strcmp(q->path, p->path));
			base = strrchr(p->path, '/') + 1;
			if (*base) {
				q = pt_maps__find_object(&m, base);
				CHECK(q && q <= p);
			}
		}
	}
	pt_maps__find_object(&m, "libc");
	pt_maps__find_object(&m, "libz.so.1");
	pt_maps__find_addr(&m, 0);
	pt_maps__find_addr(&m, UINT64_MAX);

	text = format_maps(&m, &len);
	if (text) {
		err = pt_maps__parse(text, len, &again);
		CHECK(err == 0 || err == -ENOMEM);
		if (!err) {
			check_same(&m, &again);
			pt_maps__free(&again);
		}
		free(text);
	}
	pt_maps__free(&m);
	CHECK(!m.v && !m.n);
	return 0;
}
