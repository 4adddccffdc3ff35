// SPDX-License-Identifier: MIT
/* fpcheck.c - see fpcheck.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>

#include "symbols/fpcheck.h"

#define MAX_FUNCS 4096
#define MIN_FUNCS 8
#define SCAN 64
/* DW_EH_PE encodings .eh_frame_hdr uses (the ones read here). */
#define PE_UDATA4 0x03
#define PE_SDATA4 0x0b
#define PE_DATAREL_SDATA4 0x3b

struct image {
	const unsigned char *b;
	size_t size;
	Elf *elf;
};

static bool read32(const struct image *im, uint64_t off, int32_t *v)
{
	if (off > im->size || im->size - off < 4)
		return false;
	memcpy(v, im->b + off, 4);
	return true;
}

/* The file offset of code at VADDR: in an executable PT_LOAD's file part. */
static bool code_offset(const struct image *im, uint64_t vaddr, uint64_t *off)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(im->elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(im->elf, (int)i, &ph) ||
		    ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return *off < im->size;
		}
	}
	return false;
}

/* Whether the function at file offset OFF sets up a frame pointer: `mov
 * %rsp,%rbp` among its first SCAN bytes (after a shrink-wrapped early
 * exit, or other pushes, at -O2). */
static bool sets_fp(const struct image *im, uint64_t off)
{
	static const unsigned char frame[] = { 0x48, 0x89, 0xe5 };
	uint64_t end = im->size - off < SCAN ? im->size : off + SCAN;

	for (; end - off >= sizeof(frame); off++)
		if (!memcmp(im->b + off, frame, sizeof(frame)))
			return true;
	return false;
}

/* The PT_GNU_EH_FRAME segment: its file offset and address. */
static bool eh_frame_hdr(const struct image *im, uint64_t *off, uint64_t *vaddr)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(im->elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(im->elf, (int)i, &ph) &&
		    ph.p_type == PT_GNU_EH_FRAME && ph.p_offset < im->size) {
			*off = ph.p_offset;
			*vaddr = ph.p_vaddr;
			return true;
		}
	}
	return false;
}

int pt_fpcheck__elf(Elf *elf, struct pt_fpcheck *out)
{
	struct image im = { .elf = elf };
	uint64_t hdr, vaddr, code, i, stride;
	int32_t count, loc;

	memset(out, 0, sizeof(*out));
	im.b = (const unsigned char *)elf_rawfile(elf, &im.size);
	if (!im.b || !eh_frame_hdr(&im, &hdr, &vaddr) || im.size - hdr < 12)
		return -ENOENT;
	/* version 1, eh_frame_ptr (4 bytes), fde_count, then the table of
	 * (initial location, FDE) pairs relative to the header */
	if (im.b[hdr] != 1 || (im.b[hdr + 1] & 0x0f) != PE_SDATA4 ||
	    im.b[hdr + 2] != PE_UDATA4 || im.b[hdr + 3] != PE_DATAREL_SDATA4 ||
	    !read32(&im, hdr + 8, &count) || count <= 0)
		return -ENOENT;
	stride = (uint64_t)count / MAX_FUNCS + 1;
	for (i = 0; i < (uint64_t)count; i += stride) {
		if (!read32(&im, hdr + 12 + 8 * i, &loc))
			break;
		if (!code_offset(&im, vaddr + (uint64_t)(int64_t)loc, &code))
			continue;
		out->funcs++;
		out->fp += sets_fp(&im, code);
	}
	return 0;
}

bool pt_fpcheck__lacks_fp(const struct pt_fpcheck *c)
{
	return c->funcs >= MIN_FUNCS && c->fp * 2 < c->funcs;
}

struct walk {
	bool *lacks;
	char *name;
	size_t len;
};

static int check_module(Dwfl_Module *m, void **userdata, const char *name,
			Dwarf_Addr start, void *arg)
{
	struct walk *w = arg;
	struct pt_fpcheck c;
	Dwarf_Addr bias;
	Elf *elf;

	if (!name || !strcmp(name, "[vdso]"))
		return DWARF_CB_OK;
	elf = dwfl_module_getelf(m, &bias);
	if (!elf || pt_fpcheck__elf(elf, &c) || !pt_fpcheck__lacks_fp(&c))
		return DWARF_CB_OK;
	*w->lacks = true;
	snprintf(w->name, w->len,
		 "%s (%u of %u functions set up a frame pointer)", name, c.fp,
		 c.funcs);
	return DWARF_CB_ABORT;
}

int pt_fpcheck__usyms(struct pt_usyms *u, bool *lacks, char *name, size_t len)
{
	struct walk w = { .lacks = lacks, .name = name, .len = len };
	struct Dwfl *dwfl = pt_usyms__dwfl(u);

	*lacks = false;
	if (!dwfl || !name || !len)
		return -EINVAL;
	name[0] = '\0';
	dwfl_getmodules(dwfl, check_module, &w, 0);
	return 0;
}
