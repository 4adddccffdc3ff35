// SPDX-License-Identifier: MIT
/*
 * fuzz_elf.c - libFuzzer harness for elfsyms: the input is written to a
 * memfd and opened by path (/proc/self/fd/N), then every entry point runs:
 * for_each_func, addr_to_offset, for_each_stage_note, func_items_mode (for
 * the symbols and stage names found, and a few fixed names), for_each_site
 * and sites (each site a nop5 in the file where its address maps, and the
 * array the same sites as the walk).
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbols/elfsyms.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_NAMES 24

/* The harness's only state: one memfd reused for every input. */
static int fuzz_fd = -1;
static char fuzz_path[64];

struct names {
	const char *v[MAX_NAMES];
	size_t n;
	struct pt_elf *e;
};

/* Printable ASCII without space; symbol names also have no '@'. */
static bool name_ok(const char *name, bool sym)
{
	size_t i, len = strlen(name);

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] > '~' || (sym && name[i] == '@'))
			return false;
	return true;
}

static int func_cb(const struct pt_sym *sym, void *ctx)
{
	struct names *ns = ctx;
	uint64_t off;

	CHECK(sym->name && name_ok(sym->name, true));
	CHECK(sym->kind == PT_SYM_FUNC || sym->kind == PT_SYM_IFUNC);
	CHECK(sym->addr != 0);
	CHECK(pt_elf__addr_to_offset(ns->e, sym->addr, &off) == 0);
	CHECK(off == sym->file_off);
	if (ns->n < MAX_NAMES)
		ns->v[ns->n++] = sym->name;
	return 0;
}

static int note_cb(const struct pt_stage_note *note, void *ctx)
{
	struct names *ns = ctx;

	CHECK(note->name && name_ok(note->name, false));
	if (ns->n < MAX_NAMES)
		ns->v[ns->n++] = note->name;
	return 0;
}

struct sites {
	struct pt_elf *e;
	struct pt_site_note *v; /* pt_elf__sites()'s, to compare with */
	size_t n, seen;
};

static int site_cb(const struct pt_site_note *site, void *ctx)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	struct sites *ss = ctx;
	uint8_t buf[5];
	uint64_t off;

	CHECK(site->kind == 0 || site->kind == 1);
	CHECK(pt_elf__read(ss->e, site->file_off, buf, sizeof(buf)) == 0);
	CHECK(!memcmp(buf, nop5, sizeof(buf)));
	CHECK(pt_elf__addr_to_offset(ss->e, site->addr, &off) == 0);
	CHECK(off == site->file_off);
	if (ss->seen < ss->n) {
		CHECK(ss->v[ss->seen].addr == site->addr);
		CHECK(ss->v[ss->seen].file_off == site->file_off);
		CHECK(ss->v[ss->seen].kind == site->kind);
	}
	ss->seen++;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_fd = memfd_create("pt-fuzz-elf", MFD_CLOEXEC);
	if (fuzz_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	CHECK(ftruncate(fuzz_fd, 0) == 0);
	while (done < size) {
		ssize_t r =
			pwrite(fuzz_fd, data + done, size - done, (off_t)done);

		CHECK(r > 0);
		done += (size_t)r;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "main", "fx_ret_int", "_start" };
	struct names ns = { .n = 0 };
	enum pt_items_mode mode;
	struct pt_elf *e = NULL;
	uint64_t off;
	size_t i;
	int err;

	write_input(data, size);
	err = pt_elf__open(fuzz_path, &e);
	if (err) {
		CHECK(err == -ENOEXEC || err == -EINVAL ||
		      err == -EPROTONOSUPPORT || err == -ENOMEM);
		CHECK(!e);
		return 0;
	}
	ns.e = e;
	CHECK(pt_elf__path(e) && !strcmp(pt_elf__path(e), fuzz_path));
	pt_elf__is_pie(e);
	err = pt_elf__for_each_func(e, func_cb, &ns);
	CHECK(err == 0 || err == -EINVAL || err == -ENOMEM);
	err = pt_elf__for_each_stage_note(e, note_cb, &ns);
	CHECK(err == 0 || err == -EINVAL);
	{
		struct sites ss = { .e = e };

		err = pt_elf__sites(e, &ss.v, &ss.n);
		CHECK(err <= 0);
		CHECK(err || ss.n <= PT_SITES_MAX);
		CHECK(!err || !ss.v);
		if (!err) {
			err = pt_elf__for_each_site(e, site_cb, &ss);
			CHECK(err == 0);
			CHECK(ss.seen >= ss.n);
			CHECK(ss.seen == ss.n || ss.n == PT_SITES_MAX);
		}
		free(ss.v);
	}
	{
		char str[16];

		err = pt_elf__dyn_string(e, DT_RUNPATH, str, sizeof(str));
		CHECK(err == 0 || err == -ENOENT || err == -ENAMETOOLONG ||
		      err == -EINVAL);
		CHECK(err || strlen(str) < sizeof(str));
	}
	pt_elf__addr_to_offset(e, 0, &off);
	pt_elf__addr_to_offset(e, UINT64_MAX, &off);
	for (i = 0; i < ns.n + 3; i++) {
		const char *name = i < ns.n ? ns.v[i] : fixed[i - ns.n];

		mode = PT_ITEMS_NONE;
		err = pt_elf__func_items_mode(e, name, &mode);
		CHECK(err == 0 || err == -ENOENT || err == -EINVAL ||
		      err == -ENOTSUP || err == -ENOMEM);
		CHECK(mode >= PT_ITEMS_NONE && mode <= PT_ITEMS_U64);
	}
	pt_elf__close(e);
	return 0;
}
