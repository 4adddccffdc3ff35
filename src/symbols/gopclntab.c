// SPDX-License-Identifier: MIT
/*
 * gopclntab.c - a Go binary's function table; see gopclntab.h.
 *
 * Parsing checks everything a lookup will touch except the names: the
 * header, that the function table and each _func record's first eight
 * bytes lie inside the section, and that the entries are sorted. A name's
 * offset is checked when it is read.
 */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/gopclntab.h"

#define GOTAB_MAX_BYTES (1ull << 30)
#define HDR_WORDS 8 /* nfunc .. pclnOffset */

struct pt_gotab {
	unsigned char *data;
	size_t len;
	uint64_t text; /* textStart */
	size_t nfunc;
	size_t names; /* funcnametab's offset */
	size_t functab; /* pclntab's (the function table's) offset */
};

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rdword(const unsigned char *p, unsigned int size)
{
	uint64_t v = rd32(p);

	if (size == 8)
		v |= (uint64_t)rd32(p + 4) << 32;
	return v;
}

/* Entry I's pair {entryOff, funcOff}; I <= nfunc (checked by parse). */
static const unsigned char *pair(const struct pt_gotab *t, size_t i)
{
	return t->data + t->functab + i * 8;
}

/* Checks the table and every _func record's head; sorted entries. */
static int check_functab(const struct pt_gotab *t)
{
	size_t i, funcs = t->len - t->functab;
	uint32_t prev = 0;

	if (t->nfunc > (funcs - 8) / 8 || t->nfunc == 0)
		return -EINVAL;
	for (i = 0; i <= t->nfunc; i++) {
		uint32_t entry = rd32(pair(t, i)), fo = rd32(pair(t, i) + 4);

		if (entry < prev)
			return -EINVAL;
		prev = entry;
		if (i < t->nfunc && (fo > funcs || funcs - fo < 8))
			return -EINVAL;
	}
	return 0;
}

/* Reads the header of T->data into T. */
static int parse_header(struct pt_gotab *t, uint64_t text_fallback)
{
	const unsigned char *p = t->data;
	uint64_t w[HDR_WORDS];
	unsigned int psz, i;
	uint32_t magic;

	if (t->len < 8)
		return -EINVAL;
	magic = rd32(p);
	if (magic != PT_GOPCLN_MAGIC_118 && magic != PT_GOPCLN_MAGIC_120)
		return -EPROTONOSUPPORT;
	psz = p[7];
	if (p[4] || p[5] || (psz != 4 && psz != 8) || !p[6])
		return -EINVAL;
	if (t->len < 8 + HDR_WORDS * (size_t)psz)
		return -EINVAL;
	for (i = 0; i < HDR_WORDS; i++)
		w[i] = rdword(p + 8 + i * psz, psz);
	/* w: nfunc, nfiles, textStart, funcname, cu, filetab, pctab, pcln */
	if (w[3] >= t->len || w[7] >= t->len || w[0] > t->len)
		return -EINVAL;
	t->nfunc = (size_t)w[0];
	t->text = w[2] ? w[2] : text_fallback;
	t->names = (size_t)w[3];
	t->functab = (size_t)w[7];
	if (t->len - t->functab < 8)
		return -EINVAL;
	return check_functab(t);
}

int pt_gotab__parse(const void *data, size_t len, uint64_t text_fallback,
		    struct pt_gotab **out)
{
	struct pt_gotab *t;
	int err;

	if (!out || (!data && len))
		return -EINVAL;
	*out = NULL;
	if (len > GOTAB_MAX_BYTES)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->data = malloc(len ? len : 1);
	if (!t->data) {
		free(t);
		return -ENOMEM;
	}
	if (len)
		memcpy(t->data, data, len);
	t->len = len;
	err = parse_header(t, text_fallback);
	if (err) {
		pt_gotab__free(t);
		return err;
	}
	*out = t;
	return 0;
}

/* The section named NAME of ELF and its header, or NULL. */
static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

int pt_gotab__elf(Elf *elf, struct pt_gotab **out)
{
	GElf_Shdr sh, text;
	Elf_Scn *scn;
	Elf_Data *d;
	uint64_t text_addr = 0;

	if (!elf || !out)
		return -EINVAL;
	*out = NULL;
	scn = find_section(elf, ".gopclntab", &sh);
	if (!scn) /* -buildmode=pie: relocated, with the read-only data */
		scn = find_section(elf, ".data.rel.ro.gopclntab", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS)
		return -ENOENT;
	if (sh.sh_size > GOTAB_MAX_BYTES)
		return -EINVAL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size != sh.sh_size)
		return -EINVAL;
	if (find_section(elf, ".text", &text))
		text_addr = text.sh_addr;
	return pt_gotab__parse(d->d_buf, d->d_size, text_addr, out);
}

size_t pt_gotab__count(const struct pt_gotab *t)
{
	return t ? t->nfunc : 0;
}

/* The name of the function whose _func record is at funcOff FO. */
static const char *func_name(const struct pt_gotab *t, uint32_t fo)
{
	const unsigned char *f = t->data + t->functab + fo;
	int32_t noff = (int32_t)rd32(f + 4);
	size_t at;
	const char *name, *nul;

	if (noff < 0 || (size_t)noff >= t->len - t->names)
		return NULL;
	at = t->names + (size_t)noff;
	name = (const char *)t->data + at;
	nul = memchr(name, '\0', t->len - at);
	return nul && nul != name ? name : NULL;
}

int pt_gotab__func(const struct pt_gotab *t, size_t i, uint64_t *entry,
		   uint64_t *end, const char **name)
{
	if (!t || i >= t->nfunc || !entry || !end || !name)
		return -EINVAL;
	*entry = t->text + rd32(pair(t, i));
	*end = t->text + rd32(pair(t, i + 1));
	*name = func_name(t, rd32(pair(t, i) + 4));
	return *name ? 0 : -ENOENT;
}

int pt_gotab__lookup(const struct pt_gotab *t, uint64_t pc, const char **name,
		     uint64_t *entry)
{
	size_t lo = 0, hi;
	uint64_t off, end;

	if (!t || !name || !entry)
		return -EINVAL;
	if (pc < t->text || pc - t->text > UINT32_MAX)
		return -ENOENT;
	off = pc - t->text;
	if (off < rd32(pair(t, 0)) || off >= rd32(pair(t, t->nfunc)))
		return -ENOENT;
	hi = t->nfunc; /* entry(lo) <= off < entry(hi) */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (rd32(pair(t, mid)) <= off)
			lo = mid;
		else
			hi = mid;
	}
	return pt_gotab__func(t, lo, entry, &end, name);
}

void pt_gotab__free(struct pt_gotab *t)
{
	if (!t)
		return;
	free(t->data);
	free(t);
}
