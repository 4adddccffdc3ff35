// SPDX-License-Identifier: MIT
/*
 * procmaps.c - parse /proc/PID/maps.
 *
 * A line, as the kernel's show_map_vma() writes it:
 *
 *   start-end perms offset major:minor inode [padding path]
 *   55d4c5a00000-55d4c5a02000 r--p 00000000 08:01 1234567    /usr/bin/cat
 *
 * Fields are separated by exactly one space; the path (if any) follows one
 * or more spaces and runs to the end of the line, spaces included. The path
 * is chosen by whoever owns the process, so nothing here assumes it is sane:
 * the input is a (pointer, length) pair, every read is bounds-checked, and
 * anything that is not exactly this format is -EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/procmaps.h"
#include "util/readfile.h"

#define DELETED_SUFFIX " (deleted)"

/* ------------------------------------------------------------ line lexing */

struct cursor {
	const char *p;
	const char *end;
};

/* 1..MAXDIG hex digits into *val; returns 0 or -EINVAL. */
static int lex_hex(struct cursor *c, unsigned int maxdig, uint64_t *val)
{
	uint64_t v = 0;
	unsigned int n = 0;
	int d;

	while (c->p < c->end && (d = pt_hex_digit(*c->p)) >= 0) {
		if (++n > maxdig)
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
		c->p++;
	}
	if (n == 0)
		return -EINVAL;
	*val = v;
	return 0;
}

/* 1..20 decimal digits that fit in 64 bits; returns 0 or -EINVAL. */
static int lex_dec(struct cursor *c, uint64_t *val)
{
	uint64_t v = 0;
	unsigned int n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		uint64_t d = (uint64_t)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		n++;
		c->p++;
	}
	if (n == 0)
		return -EINVAL;
	*val = v;
	return 0;
}

/* Consume exactly the character CH; returns 0 or -EINVAL. */
static int lex_char(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

/* The four permission characters "rwxp"; returns 0 or -EINVAL. */
static int lex_perms(struct cursor *c, unsigned int *perms)
{
	static const char set[4] = { 'r', 'w', 'x', 'p' };
	static const char clear[4] = { '-', '-', '-', 's' };
	static const unsigned int bit[4] = { PT_MAP_R, PT_MAP_W, PT_MAP_X,
					     PT_MAP_P };
	unsigned int v = 0;
	int i;

	if (c->end - c->p < 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (c->p[i] == set[i])
			v |= bit[i];
		else if (c->p[i] != clear[i])
			return -EINVAL;
	}
	c->p += 4;
	*perms = v;
	return 0;
}

/* ---------------------------------------------------------------- parsing */

/* Parse one line [p, end) (no newline) into *m; returns 0, -EINVAL, -ENOMEM. */
static int parse_line(const char *p, const char *end, struct pt_mapping *m)
{
	struct cursor c = { p, end };
	uint64_t v;
	size_t plen;
	int err;

	memset(m, 0, sizeof(*m));
	/* The kernel never writes a NUL; one here would truncate the path. */
	if (memchr(p, '\0', (size_t)(end - p)))
		return -EINVAL;

	if ((err = lex_hex(&c, 16, &m->start)) || (err = lex_char(&c, '-')) ||
	    (err = lex_hex(&c, 16, &m->end)) || (err = lex_char(&c, ' ')) ||
	    (err = lex_perms(&c, &m->perms)) || (err = lex_char(&c, ' ')) ||
	    (err = lex_hex(&c, 16, &m->offset)) || (err = lex_char(&c, ' ')))
		return err;
	if (m->start > m->end)
		return -EINVAL;
	if ((err = lex_hex(&c, 8, &v)))
		return err;
	m->dev_major = (unsigned int)v;
	if ((err = lex_char(&c, ':')) || (err = lex_hex(&c, 8, &v)))
		return err;
	m->dev_minor = (unsigned int)v;
	if ((err = lex_char(&c, ' ')) || (err = lex_dec(&c, &m->inode)))
		return err;

	if (c.p == c.end)
		return 0; /* anonymous, no trailing space */
	if ((err = lex_char(&c, ' ')))
		return err;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	if (c.p == c.end)
		return 0; /* anonymous */

	plen = (size_t)(c.end - c.p);
	if (plen > sizeof(DELETED_SUFFIX) - 1 &&
	    !memcmp(c.end - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX,
		    sizeof(DELETED_SUFFIX) - 1)) {
		plen -= sizeof(DELETED_SUFFIX) - 1;
		m->deleted = true;
	}
	m->path = strndup(c.p, plen);
	if (!m->path)
		return -ENOMEM;
	return 0;
}

/* Append *m to *out, taking ownership of its path; returns 0 or -ENOMEM. */
static int maps_push(struct pt_maps *out, size_t *cap,
		     const struct pt_mapping *m)
{
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct pt_mapping *nv;

		if (ncap < *cap || ncap > SIZE_MAX / sizeof(*nv))
			return -ENOMEM;
		nv = realloc(out->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		out->v = nv;
		*cap = ncap;
	}
	out->v[out->n++] = *m;
	return 0;
}

int pt_maps__parse(const char *buf, size_t len, struct pt_maps *out)
{
	const char *p = buf, *end = buf + len;
	size_t cap = 0;
	int err;

	out->v = NULL;
	out->n = 0;
	if (len == 0)
		return 0;
	if (!buf)
		return -EINVAL;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct pt_mapping m;

		if (!eol)
			eol = end; /* last line without its newline */
		if (eol == p) {
			err = -EINVAL; /* empty line */
			goto fail;
		}
		err = parse_line(p, eol, &m);
		if (!err) {
			err = maps_push(out, &cap, &m);
			if (err)
				free(m.path);
		}
		if (err)
			goto fail;
		p = eol < end ? eol + 1 : end;
	}
	return 0;

fail:
	pt_maps__free(out);
	return err;
}

/* ---------------------------------------------------------------- reading */

int pt_maps__read_pid(int pid, struct pt_maps *out)
{
	char path[32], *buf = NULL;
	size_t len = 0;
	int fd, err;

	out->v = NULL;
	out->n = 0;
	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	err = pt_read_fd(fd, 64 * 1024, PT_MAPS_MAX_BYTES, &buf, &len);
	close(fd);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = pt_maps__parse(buf, len, out);
	free(buf);
	return err;
}

void pt_maps__free(struct pt_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* ---------------------------------------------------------------- lookups */

const struct pt_mapping *pt_maps__find_addr(const struct pt_maps *m,
					    uint64_t addr)
{
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (m->v[i].start <= addr && addr < m->v[i].end)
			return &m->v[i];
	return NULL;
}

/* Whether mapping path PATH is the object NAME (see procmaps.h). */
static bool object_matches(const char *path, const char *name)
{
	const char *base;
	size_t nlen;

	if (strchr(name, '/'))
		return strcmp(path, name) == 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	nlen = strlen(name);
	return strncmp(base, name, nlen) == 0 &&
	       (base[nlen] == '\0' || base[nlen] == '.');
}

const struct pt_mapping *pt_maps__find_object(const struct pt_maps *m,
					      const char *name)
{
	size_t i;

	if (!m || !name || !*name)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const char *path = m->v[i].path;

		if (path && path[0] == '/' && object_matches(path, name))
			return &m->v[i];
	}
	return NULL;
}
