// SPDX-License-Identifier: MIT
/*
 * libcio.c - the target's libc I/O wrappers (see libcio.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/libcio.h"
#include "symbols/elfsyms.h"
#include "target/x86insn.h"
#include "util/log.h"

/* Bytes of a wrapper read to choose its probe site. */
#define SCAN_MAX 512

/* poll, epoll_wait, accept, ... wait rather than move bytes: not probed
 * (exact mode counts their CPU as io_cpu too; it is little). */
static const struct {
	const char *name;
	enum pt_libcio_kind kind;
} funcs[] = {
	{ "read", PT_LIBCIO_READ },
	{ "pread64", PT_LIBCIO_READ },
	{ "readv", PT_LIBCIO_READ },
	{ "preadv", PT_LIBCIO_READ },
	{ "preadv2", PT_LIBCIO_READ },
	{ "recv", PT_LIBCIO_READ },
	{ "recvfrom", PT_LIBCIO_READ },
	{ "recvmsg", PT_LIBCIO_READ },
	{ "write", PT_LIBCIO_WRITE },
	{ "pwrite64", PT_LIBCIO_WRITE },
	{ "writev", PT_LIBCIO_WRITE },
	{ "pwritev", PT_LIBCIO_WRITE },
	{ "pwritev2", PT_LIBCIO_WRITE },
	{ "send", PT_LIBCIO_WRITE },
	{ "sendto", PT_LIBCIO_WRITE },
	{ "sendmsg", PT_LIBCIO_WRITE },
	{ "fsync", PT_LIBCIO_FSYNC },
	{ "fdatasync", PT_LIBCIO_FSYNC },
	{ "sync_file_range", PT_LIBCIO_FSYNC },
	{ "syncfs", PT_LIBCIO_FSYNC },
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))
_Static_assert(NFUNCS <= PT_LIBCIO_MAX, "PT_LIBCIO_MAX too small");

const char *pt_libcio__func(size_t i, enum pt_libcio_kind *kind)
{
	if (i >= NFUNCS)
		return NULL;
	*kind = funcs[i].kind;
	return funcs[i].name;
}

/* The length of an instruction that leaves the stack and the arguments
 * alone, one that glibc's wrappers start with (its single-thread test and
 * the move of the fourth argument to r10), or 0. */
static size_t harmless_len(const uint8_t *c, size_t len)
{
	static const uint8_t mov_r10[2][3] = { { 0x49, 0x89, 0xca },
					       { 0x41, 0x89, 0xca } };

	if (len >= 7 && c[0] == 0x80 && c[1] == 0x3d)
		return 7; /* cmpb $imm8, disp32(%rip) */
	if (len >= 3 &&
	    (!memcmp(c, mov_r10[0], 3) || !memcmp(c, mov_r10[1], 3)))
		return 3; /* mov %rcx,%r10 / mov %ecx,%r10d */
	return 0;
}

size_t pt_libcio__site(const uint8_t *code, size_t len)
{
	size_t off = 0, n;

	/* A jcc rel8 or a push the kernel emulates; the first instruction
	 * (single-stepped, a trap more: 20 us a call on a VM) otherwise. */
	while (off < len && (n = harmless_len(code + off, len - off)))
		off += n;
	if (!off || off >= len)
		return 0;
	if (!(code[off] >= 0x70 && code[off] <= 0x7f) &&
	    !pt_x86__push_len(code + off, len - off))
		return 0;
	/* Every call must pass there: nothing may jump past the start. */
	for (n = 1; n <= off; n++)
		if (pt_x86__may_branch_to(code, len, n))
			return 0;
	return off;
}

/* Where to probe sym: its start, or the site pt_libcio__site() picks. */
static uint64_t site_of(const struct pt_elf *e, const struct pt_sym *sym)
{
	uint8_t code[SCAN_MAX];
	size_t len = sym->size && sym->size < sizeof(code) ? sym->size :
							     sizeof(code);

	if (pt_elf__read(e, sym->file_off, code, len))
		return sym->file_off;
	return sym->file_off + pt_libcio__site(code, len);
}

struct scan {
	const struct pt_elf *e;
	struct pt_libcio_sites *out;
};

static int scan_sym(const struct pt_sym *sym, void *arg)
{
	struct scan *sc = arg;
	struct pt_libcio_sites *out = sc->out;
	size_t i, j;

	if (sym->kind != PT_SYM_FUNC || !sym->global)
		return 0;
	for (i = 0; i < NFUNCS; i++) {
		if (strcmp(sym->name, funcs[i].name))
			continue;
		for (j = 0; j < out->n; j++)
			if (out->v[j].file_off == sym->file_off)
				return 0; /* an alias: probed once */
		out->v[out->n].name = funcs[i].name;
		out->v[out->n].kind = funcs[i].kind;
		out->v[out->n].file_off = site_of(sc->e, sym);
		pt_debug("libc I/O: %s probed at +%llu", funcs[i].name,
			 (unsigned long long)(out->v[out->n].file_off -
					      sym->file_off));
		out->n++;
		return 0;
	}
	return 0;
}

/* Whether path names a libc: libc.so.6, libc-2.31.so. */
static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
}

/* Whether ELF file path names libc.so.6 in its DT_NEEDED entries. */
static bool needs_libc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	bool found = false;
	GElf_Shdr sh;
	GElf_Dyn dyn;
	Elf_Data *d;
	Elf *e;
	size_t i;

	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; i < sh.sh_size / sh.sh_entsize && !found; i++)
			found = gelf_getdyn(d, (int)i, &dyn) &&
				dyn.d_tag == DT_NEEDED &&
				is_libc(elf_strptr(e, sh.sh_link, dyn.d_un.d_val) ?:
						"");
	}
	elf_end(e);
	close(fd);
	return found;
}

/* The target's libc, by the name find_object() takes; NULL: none. */
static const char *libc_name(const struct pt_target *t)
{
	size_t i;

	if (t->pid <= 0)
		return needs_libc(t->exe_open) ? "libc.so.6" : NULL;
	for (i = 0; i < t->maps.n; i++)
		if (t->maps.v[i].path && t->maps.v[i].path[0] == '/' &&
		    is_libc(t->maps.v[i].path))
			return t->maps.v[i].path;
	return NULL;
}

int pt_libcio__resolve(const struct pt_target *t, struct pt_libcio_sites *out,
		       char *err, size_t errlen)
{
	const char *name = libc_name(t);
	struct pt_elf *e;
	struct scan sc = { .out = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (!name)
		return pt_errf(err, errlen, -ENOENT,
			       "%s does not use libc (static, or Go)", t->exe);
	ret = pt_target__find_object(t, name, &out->object, &out->attach_path,
				     err, errlen);
	if (ret)
		return ret;
	ret = pt_elf__open(out->attach_path, &e);
	sc.e = e;
	if (!ret)
		ret = pt_elf__for_each_func(e, scan_sym, &sc);
	pt_elf__close(e);
	if (!ret && !out->n)
		ret = -ENOENT;
	if (ret) {
		pt_errf(err, errlen, ret,
			"cannot read the I/O functions of %s: %s", out->object,
			strerror(-ret));
		pt_libcio__free(out);
	}
	return ret;
}

void pt_libcio__free(struct pt_libcio_sites *s)
{
	if (!s)
		return;
	free(s->object);
	free(s->attach_path);
	memset(s, 0, sizeof(*s));
}
