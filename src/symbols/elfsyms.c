// SPDX-License-Identifier: MIT
/*
 * elfsyms.c - function symbols, stage notes, uprobe offsets and DWARF return
 * types of an ELF object, with libelf and libdw.
 *
 * The object is hostile input: it belongs to the traced program's owner and
 * we run as root. So:
 *  - open() never blocks or grabs a terminal (O_NONBLOCK | O_NOCTTY) and
 *    anything but a regular file is refused before a byte is read;
 *  - libelf reads the file with pread (ELF_C_READ), not mmap: a mapping of
 *    a file its owner can truncate under us would turn our reads into
 *    SIGBUS, a pread only into a short read and an error;
 *  - every program header and section header is checked at open (ranges
 *    inside 64 bits, sections inside the file), and every offset computed
 *    here from file data is checked before use;
 *  - libdw is never allowed to open another file named by the object
 *    (.gnu_debugaltlink), and the DIE walk is bounded in depth and count.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <zlib.h>

#include "symbols/elfsyms.h"
#include "symbols/gopclntab.h"
#include "pipetrace/stage.h"

/* ------------------------------------------------------------ host target */

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__powerpc__)
#define HOST_MACHINE EM_PPC
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#else
#define HOST_MACHINE EM_NONE /* unknown host: any machine is accepted */
#endif

#if __SIZEOF_POINTER__ == 8
#define HOST_CLASS ELFCLASS64
#else
#define HOST_CLASS ELFCLASS32
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

/* ------------------------------------------------------------------ state */

/* An executable PT_LOAD segment, as much of it as the file holds. */
struct xseg {
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t offset;
};

/* A collected function: what the callback sees, plus where it came from. */
struct func {
	struct pt_sym sym;
	int table; /* 0: .symtab, 1: .dynsym */
	bool hidden_ver; /* a non-default version ("f@V", not "f@@V") */
};

/* Open-addressing set of indexes into pt_elf.funcs, keyed by name. */
struct name_set {
	size_t *slot; /* index + 1; 0 = empty */
	size_t cap; /* power of two, or 0 */
	size_t n;
	uint64_t seed;
};

struct pt_elf {
	char *path;
	int fd;
	Elf *elf;
	uint64_t file_size;
	uint16_t type; /* e_type */
	uint64_t entry; /* e_entry */
	size_t shstrndx;
	struct xseg *xsegs;
	size_t nxsegs;

	/* Function symbols, collected on first use. */
	bool funcs_loaded;
	int funcs_err;
	struct func *funcs;
	size_t nfuncs, funcs_cap;
	char **names; /* heap copies (version suffix stripped) */
	size_t nnames, names_cap;
	struct name_set set;
	struct pt_gotab *gotab; /* names of a Go binary without .symtab */
	struct pt_elf *debug; /* separate debug file whose .symtab we use */

	/* DWARF, opened on first use. */
	bool dwarf_tried;
	int dwarf_err;
	Dwarf *dwarf;
	uint64_t die_budget; /* DIE visits one search may make */
};

/* Grow *V (elements of SIZE) so that it holds at least N + 1; 0 or -ENOMEM. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return -ENOMEM;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* ------------------------------------------------------------------- open */

/* pread exactly LEN bytes at OFF; returns 0, -EIO on a short file, -errno. */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got,
				  off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

/* Check e_ident; returns 0, -ENOEXEC, -EINVAL or -EPROTONOSUPPORT. */
static int check_ident(int fd, uint64_t size)
{
	unsigned char id[EI_NIDENT];

	if (size < EI_NIDENT || pread_full(fd, id, sizeof(id), 0))
		return -ENOEXEC;
	if (memcmp(id, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
		return -EINVAL;
	if (id[EI_CLASS] != HOST_CLASS || id[EI_DATA] != HOST_DATA)
		return -EPROTONOSUPPORT;
	if (id[EI_VERSION] != EV_CURRENT)
		return -EINVAL;
	return 0;
}

/*
 * The header tables must lie inside the file. libelf does not insist: it
 * treats a section header table past the end as "no sections" and clamps
 * the program header count to what fits, so a truncated file would look
 * like a smaller, valid one. Returns 0 or -EINVAL.
 */
static int check_tables(struct pt_elf *e, const GElf_Ehdr *eh)
{
	uint64_t shnum = eh->e_shnum, phnum = eh->e_phnum;
	GElf_Shdr sh0;

	if (eh->e_shoff && !shnum) {
		/* extended numbering: the count is in section 0 */
		if (!gelf_getshdr(elf_getscn(e->elf, 0), &sh0))
			return -EINVAL;
		shnum = sh0.sh_size ? sh0.sh_size : 1;
	}
	if (phnum == PN_XNUM) {
		if (!gelf_getshdr(elf_getscn(e->elf, 0), &sh0))
			return -EINVAL;
		phnum = sh0.sh_info;
	}
	if (eh->e_shoff) {
		if (eh->e_shentsize !=
			    gelf_fsize(e->elf, ELF_T_SHDR, 1, EV_CURRENT) ||
		    eh->e_shoff > e->file_size ||
		    shnum > (e->file_size - eh->e_shoff) / eh->e_shentsize)
			return -EINVAL;
	}
	if (phnum) {
		if (eh->e_phentsize !=
			    gelf_fsize(e->elf, ELF_T_PHDR, 1, EV_CURRENT) ||
		    eh->e_phoff > e->file_size ||
		    phnum > (e->file_size - eh->e_phoff) / eh->e_phentsize)
			return -EINVAL;
	}
	return 0;
}

/* Check the program headers, keep the executable PT_LOADs; 0 or -errno. */
static int load_segments(struct pt_elf *e)
{
	size_t phnum, i, cap = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->elf, &phnum))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(e->elf, (int)i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr ||
		    ph.p_offset + ph.p_filesz < ph.p_offset)
			return -EINVAL;
		if (!(ph.p_flags & PF_X) || ph.p_filesz == 0)
			continue;
		if (grow((void **)&e->xsegs, &cap, e->nxsegs,
			 sizeof(*e->xsegs)))
			return -ENOMEM;
		e->xsegs[e->nxsegs++] = (struct xseg){
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz,
			.offset = ph.p_offset,
		};
	}
	return 0;
}

/* All section headers readable, all sections inside the file; 0 or -EINVAL. */
static int check_sections(struct pt_elf *e)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shnum, seen = 0;

	if (elf_getshdrnum(e->elf, &shnum) ||
	    elf_getshdrstrndx(e->elf, &e->shstrndx))
		return -EINVAL;
	if (shnum && e->shstrndx >= shnum)
		return -EINVAL;
	while ((scn = elf_nextscn(e->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		seen++;
		if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
			continue;
		if (sh.sh_offset > e->file_size ||
		    sh.sh_size > e->file_size - sh.sh_offset)
			return -EINVAL;
	}
	/* elf_nextscn() stops early on an unreadable header: not all seen. */
	if (shnum && seen != shnum - 1)
		return -EINVAL;
	return 0;
}

int pt_elf__open(const char *path, struct pt_elf **out)
{
	struct pt_elf *e;
	struct stat st;
	GElf_Ehdr eh;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (e->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (fstat(e->fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENOEXEC;
		goto fail;
	}
	e->file_size = (uint64_t)st.st_size;
	err = check_ident(e->fd, e->file_size);
	if (err)
		goto fail;
	e->path = strdup(path);
	if (!e->path) {
		err = -ENOMEM;
		goto fail;
	}

	e->elf = elf_begin(e->fd, ELF_C_READ, NULL);
	if (!e->elf) {
		err = -EINVAL;
		goto fail;
	}
	if (elf_kind(e->elf) != ELF_K_ELF) {
		err = -EINVAL; /* ELF magic, yet libelf disagrees: truncated */
		goto fail;
	}
	if (!gelf_getehdr(e->elf, &eh)) {
		err = -EINVAL;
		goto fail;
	}
	if (HOST_MACHINE != EM_NONE && eh.e_machine != HOST_MACHINE) {
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	e->type = eh.e_type;
	e->entry = eh.e_entry;
	err = check_tables(e, &eh);
	if (!err)
		err = load_segments(e);
	if (!err)
		err = check_sections(e);
	if (err)
		goto fail;
	*out = e;
	return 0;

fail:
	pt_elf__close(e);
	return err;
}

void pt_elf__close(struct pt_elf *e)
{
	size_t i;

	if (!e)
		return;
	if (e->dwarf)
		dwarf_end(e->dwarf);
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	for (i = 0; i < e->nnames; i++)
		free(e->names[i]);
	free(e->names);
	free(e->funcs);
	free(e->set.slot);
	pt_gotab__free(e->gotab);
	pt_elf__close(e->debug);
	free(e->xsegs);
	free(e->path);
	free(e);
}

const char *pt_elf__path(const struct pt_elf *e)
{
	return e->path;
}

uint64_t pt_elf__entry(const struct pt_elf *e)
{
	return e->entry;
}

bool pt_elf__is_pie(const struct pt_elf *e)
{
	return e->type == ET_DYN;
}

int pt_elf__addr_to_offset(const struct pt_elf *e, uint64_t vaddr,
			   uint64_t *off)
{
	size_t i;

	for (i = 0; i < e->nxsegs; i++) {
		const struct xseg *s = &e->xsegs[i];

		/* Both sums were checked against overflow at open. */
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = s->offset + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

/* -------------------------------------------------------------- name set */

/* FNV-1a over LEN bytes of NAME, mixed with a per-object seed. */
static uint64_t name_hash(const struct name_set *s, const char *name,
			  size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ s->seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

/* Slot that holds NAME (LEN bytes), or the empty slot where it would go. */
static size_t *name_slot(const struct pt_elf *e, const char *name, size_t len)
{
	const struct name_set *s = &e->set;
	size_t i = (size_t)name_hash(s, name, len) & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		size_t *slot = &s->slot[i];
		const char *have;

		if (!*slot)
			return slot;
		have = e->funcs[*slot - 1].sym.name;
		if (!strncmp(have, name, len) && have[len] == '\0')
			return slot;
	}
}

/* Make room for one more name (load factor <= 1/2); 0 or -ENOMEM. */
static int name_set_reserve(struct pt_elf *e)
{
	struct name_set *s = &e->set;
	size_t *old = s->slot, oldcap = s->cap, ncap, i;

	if ((s->n + 1) * 2 <= s->cap)
		return 0;
	ncap = s->cap ? s->cap * 2 : 64;
	if (ncap < s->cap || ncap > SIZE_MAX / sizeof(*s->slot))
		return -ENOMEM;
	s->slot = calloc(ncap, sizeof(*s->slot));
	if (!s->slot) {
		s->slot = old;
		return -ENOMEM;
	}
	s->cap = ncap;
	for (i = 0; i < oldcap; i++) {
		const char *name;

		if (!old[i])
			continue;
		name = e->funcs[old[i] - 1].sym.name;
		*name_slot(e, name, strlen(name)) = old[i];
	}
	free(old);
	return 0;
}

/* The collected function named NAME, or NULL. */
static const struct pt_sym *find_func(const struct pt_elf *e, const char *name)
{
	size_t *slot;

	if (!e->set.cap)
		return NULL;
	slot = name_slot(e, name, strlen(name));
	return *slot ? &e->funcs[*slot - 1].sym : NULL;
}

/* ---------------------------------------------------------------- symbols */

/*
 * Whether the LEN bytes of NAME are all printable ASCII, space excluded.
 * Names end up on the user's terminal; no real symbol has anything else.
 */
static bool name_chars_ok(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] > '~')
			return false;
	return true;
}

/*
 * Length of NAME up to a version suffix ("@VER", "@@VER"), or 0 if NAME is
 * empty, longer than PT_SYM_NAME_MAX or not name_chars_ok().
 */
static size_t sym_name_len(const char *name)
{
	size_t len = strnlen(name, PT_SYM_NAME_MAX + 1);
	const char *at;

	if (len > PT_SYM_NAME_MAX || !name_chars_ok(name, len))
		return 0;
	at = memchr(name, '@', len);
	return at ? (size_t)(at - name) : len;
}

/* Whether name[0..len) is "." followed by one or more digits. */
static bool is_dot_number(const char *name, size_t len)
{
	size_t i;

	if (len < 2 || name[0] != '.')
		return false;
	for (i = 1; i < len; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return true;
}

size_t pt_sym__cold_parent_len(const char *name, size_t len)
{
	static const char cold[] = ".cold";
	const size_t n = sizeof(cold) - 1;
	size_t i;

	/* PARENT.cold (GCC 10 on, clang) or PARENT.cold.N (GCC 8, 9). */
	for (i = 1; i + n <= len; i++) {
		const char *rest = name + i + n;
		size_t rest_len = len - i - n;

		if (memcmp(name + i, cold, n))
			continue;
		if (rest_len == 0 || is_dot_number(rest, rest_len))
			return i;
	}
	return 0;
}

/*
 * The version index table (SHT_GNU_versym) that belongs to the symbol table
 * section with index SYMNDX, or NULL.
 */
static Elf_Data *find_versym(struct pt_elf *e, size_t symndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym &&
		    sh.sh_link == symndx)
			return elf_getdata(scn, NULL);
	return NULL;
}

/*
 * Add the function symbols of one symbol table section (TABLE 0: .symtab,
 * 1: .dynsym); 0 or -errno. A name seen before is skipped, except that a
 * non-default version of it ("f@V1", or hidden in .gnu.version) gives way to
 * the default one ("f@@V2") of the same table: that is what callers bind to.
 */
static int load_symtab(struct pt_elf *e, Elf *src, Elf_Scn *scn,
		       const GElf_Shdr *sh, int table)
{
	size_t entsize = gelf_fsize(e->elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Data *data = elf_getdata(scn, NULL), *versym = NULL;
	size_t i, count;
	int err;

	if (!data || !entsize)
		return -EINVAL;
	if (data->d_type != ELF_T_SYM)
		return -EINVAL; /* e.g. SHF_COMPRESSED symbols */
	if (table == 1)
		versym = find_versym(e, elf_ndxscn(scn));
	count = data->d_size / entsize;
	for (i = 1; i < count; i++) {
		struct func f = { .table = table };
		const char *name;
		size_t len, *slot;
		int type, bind;
		GElf_Versym ver;
		GElf_Sym s;

		if (!gelf_getsym(data, (int)i, &s))
			return -EINVAL;
		type = GELF_ST_TYPE(s.st_info);
		bind = GELF_ST_BIND(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    s.st_shndx == SHN_UNDEF || s.st_value == 0)
			continue;
		name = elf_strptr(src, sh->sh_link, s.st_name);
		if (!name || !(len = sym_name_len(name)))
			continue;
		if (pt_elf__addr_to_offset(e, s.st_value, &f.sym.file_off))
			continue;
		f.sym.addr = s.st_value;
		f.sym.size = s.st_size;
		f.sym.kind = type == STT_GNU_IFUNC ? PT_SYM_IFUNC : PT_SYM_FUNC;
		f.sym.global = bind == STB_GLOBAL || bind == STB_WEAK;
		f.sym.cold = pt_sym__cold_parent_len(name, len) > 0;
		if (name[len] == '@')
			f.hidden_ver = name[len + 1] != '@';
		else if (versym && gelf_getversym(versym, (int)i, &ver))
			f.hidden_ver = (ver & 0x8000) != 0; /* VERSYM_HIDDEN */

		err = name_set_reserve(e);
		if (err)
			return err;
		slot = name_slot(e, name, len);
		if (*slot) {
			struct func *have = &e->funcs[*slot - 1];

			if (have->table == table && have->hidden_ver &&
			    !f.hidden_ver) {
				f.sym.name = have->sym.name;
				*have = f;
			}
			continue; /* otherwise the first one (.symtab) wins */
		}
		if (name[len] != '\0') {
			char *copy;

			if (grow((void **)&e->names, &e->names_cap, e->nnames,
				 sizeof(*e->names)))
				return -ENOMEM;
			copy = strndup(name, len);
			if (!copy)
				return -ENOMEM;
			e->names[e->nnames++] = copy;
			name = copy;
		}
		if (grow((void **)&e->funcs, &e->funcs_cap, e->nfuncs,
			 sizeof(*e->funcs)))
			return -ENOMEM;
		f.sym.name = name;
		e->funcs[e->nfuncs++] = f;
		*slot = e->nfuncs;
		e->set.n++;
	}
	return 0;
}

/*
 * Add function I of the Go table (TABLE 2) unless its name is taken or
 * unprintable or its entry is in no executable segment; 0 or -ENOMEM.
 */
static int add_go_func(struct pt_elf *e, size_t i)
{
	struct func f = { .table = 2 };
	uint64_t entry, end, last;
	const char *name;
	size_t len, *slot;

	if (pt_gotab__func(e->gotab, i, &entry, &end, &name))
		return 0;
	len = strnlen(name, PT_SYM_NAME_MAX + 1);
	if (!len || len > PT_SYM_NAME_MAX || !name_chars_ok(name, len) ||
	    end <= entry || pt_elf__addr_to_offset(e, entry, &f.sym.file_off) ||
	    pt_elf__addr_to_offset(e, end - 1, &last) ||
	    last - f.sym.file_off != end - 1 - entry)
		return 0;
	if (name_set_reserve(e))
		return -ENOMEM;
	slot = name_slot(e, name, len);
	if (*slot)
		return 0;
	if (grow((void **)&e->funcs, &e->funcs_cap, e->nfuncs,
		 sizeof(*e->funcs)))
		return -ENOMEM;
	f.sym.name = name;
	f.sym.addr = entry;
	f.sym.size = end - entry;
	f.sym.kind = PT_SYM_FUNC;
	f.sym.global = true;
	e->funcs[e->nfuncs++] = f;
	*slot = e->nfuncs;
	e->set.n++;
	return 0;
}

/*
 * A Go binary without .symtab (`go build -ldflags='-s -w'`): its functions
 * from .gopclntab, each from its entry to the next one's (the table's last
 * entry is the end of the text). No table, or one that does not parse, adds
 * nothing; 0 or -ENOMEM.
 */
static int load_gotab(struct pt_elf *e)
{
	size_t i, n;
	int err;

	err = pt_gotab__elf(e->elf, &e->gotab);
	if (err)
		return err == -ENOMEM ? err : 0;
	n = pt_gotab__count(e->gotab);
	for (i = 0; i < n; i++) {
		err = add_go_func(e, i);
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------ separate debug file */

#define DEBUG_ROOT "/usr/lib/debug"
#define BUILD_ID_MAX 64

/* The GNU build ID of elf into id (up to BUILD_ID_MAX bytes); its length,
 * or 0 if it has none. */
static size_t build_id(Elf *elf, unsigned char *id)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t off = 0, next, name_off, desc_off;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		while ((next = gelf_getnote(d, off, &nh, &name_off,
					    &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz && nh.n_descsz <= BUILD_ID_MAX) {
				memcpy(id, (char *)d->d_buf + desc_off,
				       nh.n_descsz);
				return nh.n_descsz;
			}
			off = next;
		}
	}
	return 0;
}

/* The file name and CRC of e's .gnu_debuglink; 0, or -ENOENT if it has
 * none (or one naming a path: only a file name is looked for). */
static int debuglink(struct pt_elf *e, char *name, size_t cap, uint32_t *crc)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *sname;
		Elf_Data *d;
		size_t len, at;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		sname = elf_strptr(e->elf, e->shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".gnu_debuglink"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return -ENOENT;
		len = strnlen(d->d_buf, d->d_size);
		at = (len + 4) & ~(size_t)3; /* NUL, then 4-aligned */
		if (!len || len >= cap || at + 4 > d->d_size ||
		    memchr(d->d_buf, '/', len) || !name_chars_ok(d->d_buf, len))
			return -ENOENT;
		memcpy(name, d->d_buf, len + 1);
		memcpy(crc, (char *)d->d_buf + at, 4);
		return 0;
	}
	return -ENOENT;
}

/* The CRC-32 of the whole file fd (what .gnu_debuglink records). */
static int file_crc(int fd, uint32_t *crc)
{
	size_t cap = 1 << 16;
	unsigned char *buf = malloc(cap);
	uLong c = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while ((n = pread(fd, buf, cap, off)) > 0) {
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	free(buf);
	if (n < 0)
		return -errno;
	*crc = (uint32_t)c;
	return 0;
}

/* Whether elf has a SHT_SYMTAB section. */
static bool has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

/*
 * Take path as e's debug file if it is an ELF file with a .symtab that
 * belongs to e: the same build ID when e has one (idlen), else the CRC
 * e's debuglink gives. 0, -ENOMEM, or -ENOENT (not it).
 */
static int try_debug(struct pt_elf *e, const char *path,
		     const unsigned char *id, size_t idlen, const uint32_t *crc)
{
	unsigned char did[BUILD_ID_MAX];
	struct pt_elf *d;
	uint32_t c = 0;
	bool ok;
	int err;

	err = pt_elf__open(path, &d);
	if (err)
		return err == -ENOMEM ? err : -ENOENT;
	if (idlen)
		ok = build_id(d->elf, did) == idlen && !memcmp(did, id, idlen);
	else
		ok = crc && !file_crc(d->fd, &c) && c == *crc;
	if (!ok || !has_symtab(d->elf)) {
		pt_elf__close(d);
		return -ENOENT;
	}
	e->debug = d;
	return 0;
}

/* The debuglink's candidates, as gdb looks for them: beside the file, in
 * its .debug/ directory, and under DEBUG_ROOT; 0, -ENOMEM or -ENOENT. */
static int try_debuglink(struct pt_elf *e, const unsigned char *id,
			 size_t idlen)
{
	static const char *const fmt[] = { "%s/%s", "%s/.debug/%s",
					   DEBUG_ROOT "%s/%s" };
	char name[256], path[PATH_MAX], *real, *slash;
	uint32_t crc;
	int err = -ENOENT;

	if (debuglink(e, name, sizeof(name), &crc))
		return -ENOENT;
	/* the file's own directory, also when opened as /proc/PID/exe */
	real = realpath(e->path, NULL);
	if (!real)
		return -ENOENT;
	slash = strrchr(real, '/');
	*slash = '\0';
	for (size_t i = 0; err == -ENOENT && i < 3; i++) {
		if (snprintf(path, sizeof(path), fmt[i], real, name) >=
		    (int)sizeof(path))
			continue;
		err = try_debug(e, path, id, idlen, &crc);
	}
	free(real);
	return err;
}

/*
 * A stripped file's separate debug file, where Debian's -dbgsym packages
 * and objcopy --only-keep-debug put it: DEBUG_ROOT/.build-id/NN/REST.debug,
 * else by its .gnu_debuglink. Into e->debug; 0, -ENOMEM or -ENOENT.
 */
static int open_debug_file(struct pt_elf *e)
{
	unsigned char id[BUILD_ID_MAX];
	char path[sizeof(DEBUG_ROOT) + 16 + 2 * BUILD_ID_MAX + 8];
	size_t idlen = build_id(e->elf, id), at;
	int err;

	if (idlen >= 2) {
		at = (size_t)snprintf(path, sizeof(path),
				      DEBUG_ROOT "/.build-id/%02x/", id[0]);
		for (size_t i = 1; i < idlen; i++)
			at += (size_t)snprintf(path + at, sizeof(path) - at,
					       "%02x", id[i]);
		snprintf(path + at, sizeof(path) - at, ".debug");
		err = try_debug(e, path, id, idlen, NULL);
		if (err != -ENOENT)
			return err;
	}
	return try_debuglink(e, id, idlen);
}

static int load_funcs(struct pt_elf *e);

const char *pt_elf__debug_path(struct pt_elf *e)
{
	return load_funcs(e) || !e->debug ? NULL : e->debug->path;
}

bool pt_elf__stripped(struct pt_elf *e)
{
	return !load_funcs(e) && !e->debug && !e->gotab && !has_symtab(e->elf);
}

/* Add the functions of every section of TYPE in src (e itself or its debug
 * file) as TABLE; *found tells whether there was one. 0 or -errno. */
static int load_table(struct pt_elf *e, Elf *src, Elf64_Word type, int table,
		      bool *found)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err = 0;

	while (!err && (scn = elf_nextscn(src, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != type)
			continue;
		*found = true;
		err = load_symtab(e, src, scn, &sh, table);
	}
	return err;
}

/*
 * Collect the functions once: .symtab first (the file's, else its separate
 * debug file's), then .dynsym, then, when there is no .symtab at all, a Go
 * binary's .gopclntab; 0 or -errno.
 */
static int load_funcs(struct pt_elf *e)
{
	bool have_symtab = false, have_dynsym = false;
	int err;

	if (e->funcs_loaded)
		return e->funcs_err;
	e->funcs_loaded = true;
	e->set.seed = (uint64_t)(uintptr_t)e * 0x9e3779b97f4a7c15ULL;
	err = load_table(e, e->elf, SHT_SYMTAB, 0, &have_symtab);
	if (!err && !have_symtab) {
		err = open_debug_file(e);
		if (!err)
			err = load_table(e, e->debug->elf, SHT_SYMTAB, 0,
					 &have_symtab);
		else if (err != -ENOMEM)
			err = 0; /* none found: .dynsym alone */
	}
	if (!err)
		err = load_table(e, e->elf, SHT_DYNSYM, 1, &have_dynsym);
	if (!err && !have_symtab)
		err = load_gotab(e);
	e->funcs_err = err;
	return err;
}

/* Whether the undefined symbol sym (version suffix ignored) is one of
 * names[0..n). */
static bool import_named(const char *sym, const char *const *names, size_t n)
{
	size_t i, len = strcspn(sym, "@");

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(sym, names[i], len))
			return true;
	return false;
}

/* 1 if the symbol table scn (sh) imports one of names[0..n), else 0. */
static int dynsym_imports(struct pt_elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
			  const char *const *names, size_t n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	const char *name;
	GElf_Sym sym;

	for (i = 0; data && i < count; i++) {
		if (!gelf_getsym(data, (int)i, &sym) ||
		    sym.st_shndx != SHN_UNDEF || !sym.st_name)
			continue;
		name = elf_strptr(e->elf, sh->sh_link, sym.st_name);
		if (name && import_named(name, names, n))
			return 1;
	}
	return 0;
}

int pt_elf__imports(struct pt_elf *e, const char *const *names, size_t n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int ret = 0;

	while (!ret && (scn = elf_nextscn(e->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type == SHT_DYNSYM)
			ret = dynsym_imports(e, scn, &sh, names, n);
	}
	return ret;
}

/* The string of the dynamic section scn's (sh) first entry with tag, or
 * NULL. */
static const char *dyn_entry(struct pt_elf *e, Elf_Scn *scn,
			     const GElf_Shdr *sh, int64_t tag)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Dyn dyn;

	for (i = 0; data && i < count && i <= INT_MAX; i++) {
		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			return NULL;
		if (dyn.d_tag == tag)
			return elf_strptr(e->elf, sh->sh_link, dyn.d_un.d_val);
	}
	return NULL;
}

int pt_elf__dyn_string(struct pt_elf *e, int64_t tag, char *buf, size_t size)
{
	Elf_Scn *scn = NULL;
	const char *str;
	GElf_Shdr sh;
	size_t n;

	while ((scn = elf_nextscn(e->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_DYNAMIC)
			continue;
		str = dyn_entry(e, scn, &sh, tag);
		if (!str)
			return -ENOENT;
		n = strlen(str);
		if (n >= size)
			return -ENAMETOOLONG;
		memcpy(buf, str, n + 1);
		return 0;
	}
	return -ENOENT;
}

bool pt_elf__has_func(struct pt_elf *e, const char *name)
{
	return !load_funcs(e) && find_func(e, name);
}

/* Whether the dynamic section scn (sh) has a DT_NEEDED entry name. */
static bool needed_in(struct pt_elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
		      const char *name)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	const char *str;
	GElf_Dyn dyn;

	for (i = 0; data && i < count && i <= INT_MAX; i++) {
		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			return false;
		if (dyn.d_tag != DT_NEEDED)
			continue;
		str = elf_strptr(e->elf, sh->sh_link, dyn.d_un.d_val);
		if (str && !strcmp(str, name))
			return true;
	}
	return false;
}

bool pt_elf__needs(struct pt_elf *e, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC)
			return needed_in(e, scn, &sh, name);
	return false;
}

int pt_elf__for_each_func(struct pt_elf *e, pt_sym_cb cb, void *ctx)
{
	size_t i;
	int err;

	err = load_funcs(e);
	if (err)
		return err;
	for (i = 0; i < e->nfuncs; i++) {
		err = cb(&e->funcs[i].sym, ctx);
		if (err)
			return err;
	}
	return 0;
}

int pt_elf__read(const struct pt_elf *e, uint64_t off, void *buf, size_t len)
{
	if (off > e->file_size || len > e->file_size - off ||
	    off > (uint64_t)INT64_MAX)
		return -EIO;
	return pread_full(e->fd, buf, len, (off_t)off);
}

/* ------------------------------------------------------------ stage notes */

/*
 * Decode one note's descriptor (DESC, SIZE bytes) into *note; returns false
 * if it is malformed.
 */
static bool parse_stage_desc(const unsigned char *desc, size_t size,
			     struct pt_stage_note *note)
{
	const char *name = (const char *)desc + 4;
	const char *nul;

	/* u8 version | u8 flags | u16 reserved | name, NUL-terminated */
	if (size < 4 + 2 || desc[0] != PIPETRACE_NOTE_VERSION)
		return false;
	nul = memchr(name, '\0', size - 4);
	if (!nul || nul == name)
		return false;
	if (!name_chars_ok(name, (size_t)(nul - name)))
		return false;
	note->name = name;
	note->flags = desc[1];
	return true;
}

/* What to do with one pipetrace note's descriptor: DESC, SIZE bytes, at
 * virtual address VADDR (0 if its section is not loaded). */
typedef int (*note_desc_fn)(const unsigned char *desc, size_t size,
			    uint64_t vaddr, void *walk);

/* Walk the pipetrace notes of TYPE in one SHT_NOTE section; 0 or FN's
 * value. */
static int scan_note_section(Elf_Scn *scn, const GElf_Shdr *sh, uint32_t type,
			     note_desc_fn fn, void *walk)
{
	static const char owner[] = PIPETRACE_NOTE_OWNER;
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	int err;

	if (!data || !data->d_buf)
		return 0; /* unreadable: nothing to report */
	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
		const unsigned char *buf = data->d_buf;
		uint64_t vaddr = 0;

		/* gelf_getnote() checks these; do not depend on it. */
		if (next <= off || name_off > data->d_size ||
		    nh.n_namesz > data->d_size - name_off ||
		    desc_off > data->d_size ||
		    nh.n_descsz > data->d_size - desc_off)
			break;
		off = next;
		if (nh.n_type != type || nh.n_namesz != sizeof(owner) ||
		    memcmp(buf + name_off, owner, sizeof(owner)))
			continue;
		if ((sh->sh_flags & SHF_ALLOC) && sh->sh_addr &&
		    sh->sh_addr <= UINT64_MAX - desc_off)
			vaddr = sh->sh_addr + desc_off;
		err = fn(buf + desc_off, nh.n_descsz, vaddr, walk);
		if (err)
			return err;
	}
	return 0;
}

/* Every SHT_NOTE section's pipetrace notes of TYPE; 0 or FN's value. */
static int scan_notes(struct pt_elf *e, uint32_t type, note_desc_fn fn,
		      void *walk)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	while ((scn = elf_nextscn(e->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_NOTE)
			continue;
		err = scan_note_section(scn, &sh, type, fn, walk);
		if (err)
			return err;
	}
	return 0;
}

struct stage_walk {
	pt_note_cb cb;
	void *ctx;
};

static int stage_desc(const unsigned char *desc, size_t size, uint64_t vaddr,
		      void *walk)
{
	struct stage_walk *w = walk;
	struct pt_stage_note note;

	if (!parse_stage_desc(desc, size, &note))
		return 0;
	return w->cb(&note, w->ctx);
}

int pt_elf__for_each_stage_note(struct pt_elf *e, pt_note_cb cb, void *ctx)
{
	struct stage_walk w = { .cb = cb, .ctx = ctx };

	return scan_notes(e, PIPETRACE_NOTE_TYPE_STAGE, stage_desc, &w);
}

struct site_walk {
	struct pt_elf *e;
	pt_site_cb cb;
	void *ctx;
};

static int site_desc(const unsigned char *desc, size_t size, uint64_t vaddr,
		     void *walk)
{
	static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	struct site_walk *w = walk;
	struct pt_site_note site;
	uint8_t code[sizeof(nop5)];
	int32_t rel;

	/* u8 version | u8 kind | u16 reserved | s32 site - &this field */
	if (size != 8 || desc[0] != PIPETRACE_NOTE_VERSION || !vaddr ||
	    (desc[1] != PIPETRACE_SITE_ENTRY && desc[1] != PIPETRACE_SITE_EXIT))
		return 0;
	memcpy(&rel, desc + 4, sizeof(rel));
	vaddr += 4;
	if (rel < 0 ? vaddr < (uint64_t) - (int64_t)rel :
		      vaddr > UINT64_MAX - (uint64_t)rel)
		return 0;
	site.addr = vaddr + (uint64_t)(int64_t)rel;
	site.kind = desc[1];
	/* It must be code, and still the 5-byte nop the header wrote: a
	 * probe anywhere else could land inside an instruction. */
	if (pt_elf__addr_to_offset(w->e, site.addr, &site.file_off) ||
	    pt_elf__read(w->e, site.file_off, code, sizeof(code)) ||
	    memcmp(code, nop5, sizeof(nop5)))
		return 0;
	return w->cb(&site, w->ctx);
}

int pt_elf__for_each_site(struct pt_elf *e, pt_site_cb cb, void *ctx)
{
	struct site_walk w = { .e = e, .cb = cb, .ctx = ctx };

	return scan_notes(e, PIPETRACE_NOTE_TYPE_SITE, site_desc, &w);
}

struct site_vec {
	struct pt_site_note *v;
	size_t n;
};

static int push_site(const struct pt_site_note *site, void *arg)
{
	struct site_vec *sv = arg;
	struct pt_site_note *v;

	if (sv->n >= PT_SITES_MAX)
		return 0;
	v = realloc(sv->v, (sv->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sv->v = v;
	v[sv->n++] = *site;
	return 0;
}

int pt_elf__sites(struct pt_elf *e, struct pt_site_note **out, size_t *n)
{
	struct site_vec sv = { 0 };
	int ret = pt_elf__for_each_site(e, push_site, &sv);

	if (ret) {
		free(sv.v);
		sv.v = NULL;
		sv.n = 0;
	}
	*out = sv.v;
	*n = sv.n;
	return ret;
}

/* ------------------------------------------------------------------ DWARF */

/*
 * Open the object's DWARF once. Returns 0, -ENOENT (no .debug_info),
 * -ENOTSUP (needs a .gnu_debugaltlink file, which libdw would open by a
 * name the object chooses), -EINVAL.
 */
static int open_dwarf(struct pt_elf *e)
{
	Elf_Scn *scn = NULL;
	bool have_info = false, have_alt = false;
	GElf_Shdr sh;

	if (e->dwarf_tried)
		return e->dwarf_err;
	e->dwarf_tried = true;
	e->dwarf_err = -EINVAL;
	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *name;
		uint64_t size;

		if (!gelf_getshdr(scn, &sh))
			return e->dwarf_err = -EINVAL;
		name = elf_strptr(e->elf, e->shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (strstr(name, "gnu_debugaltlink"))
			have_alt = true;
		if (sh.sh_type == SHT_NOBITS || (strcmp(name, ".debug_info") &&
						 strcmp(name, ".zdebug_info")))
			continue;
		have_info = true;
		/* Each DIE takes at least one byte: an honest walk visits
		 * fewer DIEs than .debug_info has bytes. Compressed, it has
		 * at most 1032 times its size (zlib's limit; libelf's too). */
		size = sh.sh_size;
		if ((sh.sh_flags & SHF_COMPRESSED) || name[1] == 'z')
			size = size > UINT64_MAX / 1032 ? UINT64_MAX / 1032 :
							  size * 1032;
		if (size + 1024 > e->die_budget)
			e->die_budget = size + 1024;
	}
	if (!have_info)
		return e->dwarf_err = -ENOENT;
	if (have_alt)
		return e->dwarf_err = -ENOTSUP;
	e->dwarf = dwarf_begin_elf(e->elf, DWARF_C_READ, NULL);
	if (!e->dwarf)
		return e->dwarf_err = -EINVAL;
	return e->dwarf_err = 0;
}

enum die_rank {
	RANK_NONE,
	RANK_NAME, /* named FUNC, no code (abstract instance) */
	RANK_NAME_PC, /* named FUNC, with code */
	RANK_ADDR, /* DW_AT_low_pc is FUNC's symbol address */
};

struct die_search {
	const char *name;
	bool have_addr;
	uint64_t addr;
	uint64_t budget;
	enum die_rank rank;
	Dwarf_Die best;
};

#define DIE_MAX_DEPTH 32

/* Whether string attribute AT of DIE (integrated) equals NAME. */
static bool die_attr_is(Dwarf_Die *die, unsigned int at, const char *name)
{
	Dwarf_Attribute attr;
	const char *s;

	if (!dwarf_attr_integrate(die, at, &attr))
		return false;
	s = dwarf_formstring(&attr);
	return s && !strcmp(s, name);
}

/* Rank subprogram DIE against the search; keeps the best. */
static void consider_subprogram(Dwarf_Die *die, struct die_search *s)
{
	enum die_rank rank = RANK_NONE;
	bool has_pc;
	Dwarf_Addr lo;

	if (dwarf_hasattr(die, DW_AT_declaration))
		return;
	has_pc = dwarf_hasattr(die, DW_AT_low_pc) ||
		 dwarf_hasattr(die, DW_AT_ranges);
	if (s->have_addr && dwarf_hasattr(die, DW_AT_low_pc) &&
	    dwarf_lowpc(die, &lo) == 0 && lo == s->addr)
		rank = RANK_ADDR;
	else if (die_attr_is(die, DW_AT_linkage_name, s->name) ||
		 die_attr_is(die, DW_AT_MIPS_linkage_name, s->name) ||
		 die_attr_is(die, DW_AT_name, s->name))
		rank = has_pc ? RANK_NAME_PC : RANK_NAME;
	if (rank > s->rank) {
		s->rank = rank;
		s->best = *die;
	}
}

/* Search the children of PARENT (and of scopes among them); 0 or -EINVAL. */
static int walk_dies(Dwarf_Die *parent, struct die_search *s, int depth)
{
	Dwarf_Die child, next;
	Dwarf_Off prev;
	int err;

	if (depth >= DIE_MAX_DEPTH || dwarf_child(parent, &child) != 0)
		return 0;
	for (;;) {
		if (s->budget == 0)
			return -EINVAL; /* more DIEs than bytes: a loop */
		s->budget--;
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			consider_subprogram(&child, s);
			if (s->rank == RANK_ADDR)
				return 0;
			/* Nested functions, local classes: search inside. */
			/* fall through */
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_lexical_block:
			err = walk_dies(&child, s, depth + 1);
			if (err || s->rank == RANK_ADDR)
				return err;
			break;
		default:
			break;
		}
		prev = dwarf_dieoffset(&child);
		if (dwarf_siblingof(&child, &next) != 0)
			return 0;
		/* A DW_AT_sibling pointing backwards would loop. */
		if (dwarf_dieoffset(&next) <= prev)
			return -EINVAL;
		child = next;
	}
}

/* Map the return type of subprogram DIE to an items mode; 0 or -EINVAL. */
static int die_items_mode(Dwarf_Die *die, enum pt_items_mode *mode)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;
	Dwarf_Word enc;
	int size;

	*mode = PT_ITEMS_NONE;
	if (!dwarf_attr_integrate(die, DW_AT_type, &attr))
		return 0; /* void */
	if (!dwarf_formref_die(&attr, &type) || dwarf_peel_type(&type, &type))
		return -EINVAL;
	if (dwarf_tag(&type) != DW_TAG_base_type)
		return 0;
	if (!dwarf_attr_integrate(&type, DW_AT_encoding, &attr) ||
	    dwarf_formudata(&attr, &enc))
		return 0;
	size = dwarf_bytesize(&type);
	if (enc == DW_ATE_signed && size == 4)
		*mode = PT_ITEMS_S32;
	else if (enc == DW_ATE_signed && size == 8)
		*mode = PT_ITEMS_S64;
	else if (enc == DW_ATE_unsigned && size == 4)
		*mode = PT_ITEMS_U32;
	else if (enc == DW_ATE_unsigned && size == 8)
		*mode = PT_ITEMS_U64;
	return 0;
}

int pt_elf__func_items_mode(struct pt_elf *e, const char *func,
			    enum pt_items_mode *mode)
{
	struct die_search s = { .name = func };
	const struct pt_sym *sym;
	Dwarf_Off off = 0, next;
	size_t hsize;
	int err;

	if (!func || !*func || !mode)
		return -EINVAL;
	err = open_dwarf(e);
	if (err)
		return err;
	err = load_funcs(e);
	if (err)
		return err;
	/* An IFUNC symbol's address is its resolver's: match by name only. */
	sym = find_func(e, func);
	if (sym && sym->kind == PT_SYM_FUNC) {
		s.have_addr = true;
		s.addr = sym->addr;
	}
	s.budget = e->die_budget;

	for (;;) {
		Dwarf_Die cu;

		if (dwarf_nextcu(e->dwarf, off, &next, &hsize, NULL, NULL,
				 NULL) != 0 ||
		    off + hsize < off)
			break;
		if (dwarf_offdie(e->dwarf, off + hsize, &cu)) {
			err = walk_dies(&cu, &s, 0);
			if (err)
				return err;
			if (s.rank == RANK_ADDR)
				break;
		}
		if (next <= off)
			break;
		off = next;
	}
	if (s.rank == RANK_NONE)
		return -ENOENT;
	return die_items_mode(&s.best, mode);
}

int pt_elf__code_section(struct pt_elf *e, const char *name, uint64_t *off)
{
	Elf_Scn *scn = NULL;
	const char *n;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !sh.sh_size)
			continue;
		n = elf_strptr(e->elf, e->shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*off = sh.sh_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------ Go runtime layout */

/* Largest runtime.g believed: its fields' offsets are bounded by it. */
#define GO_G_MAX 4096

/* The DW_AT_data_member_location of member name of struct die, and the
 * member's type in *type. Returns 0 or -ENOENT. */
static int go_member(Dwarf_Die *die, const char *name, Dwarf_Word *loc,
		     Dwarf_Die *type, uint64_t *budget)
{
	Dwarf_Attribute attr;
	Dwarf_Die m;

	if (dwarf_child(die, &m) != 0)
		return -ENOENT;
	do {
		if (!(*budget)--)
			return -ENOENT;
		if (dwarf_tag(&m) != DW_TAG_member ||
		    !die_attr_is(&m, DW_AT_name, name))
			continue;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &attr) ||
		    dwarf_formudata(&attr, loc) ||
		    !dwarf_attr(&m, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, type))
			return -ENOENT;
		return 0;
	} while (dwarf_siblingof(&m, &m) == 0);
	return -ENOENT;
}

/* The layout of struct die if it is runtime.g, else -ENOENT. */
static int go_g_layout(Dwarf_Die *die, struct pt_go_layout *out,
		       uint64_t *budget)
{
	Dwarf_Word stack, hi, goid;
	Dwarf_Die type, unused;
	int size = dwarf_bytesize(die);

	if (dwarf_tag(die) != DW_TAG_structure_type ||
	    !die_attr_is(die, DW_AT_name, "runtime.g"))
		return -ENOENT;
	if (go_member(die, "stack", &stack, &type, budget) ||
	    !die_attr_is(&type, DW_AT_name, "runtime.stack") ||
	    go_member(&type, "hi", &hi, &unused, budget))
		return -ENOENT;
	/* Hostile DWARF: fields must lie inside a g of a believable size. */
	if (size <= 0 || size > GO_G_MAX || stack > GO_G_MAX || hi > GO_G_MAX ||
	    stack + hi + 8 > (Dwarf_Word)size)
		return -ENOENT;
	out->stack_hi = (int32_t)(stack + hi);
	out->goid = -1;
	if (!go_member(die, "goid", &goid, &unused, budget) &&
	    goid + 8 <= (Dwarf_Word)size)
		out->goid = (int32_t)goid;
	return 0;
}

int pt_elf__go_layout(struct pt_elf *e, struct pt_go_layout *out)
{
	uint64_t budget;
	Dwarf_Off cuoff = 0, next;
	Dwarf_Die cu, die;
	size_t hsize;
	int err = open_dwarf(e);

	if (err)
		return err;
	budget = e->die_budget;
	while (dwarf_nextcu(e->dwarf, cuoff, &next, &hsize, NULL, NULL, NULL) ==
		       0 &&
	       cuoff + hsize >= cuoff) {
		if (dwarf_offdie(e->dwarf, cuoff + hsize, &cu) &&
		    dwarf_child(&cu, &die) == 0)
			do {
				if (!budget--)
					return -ENOENT;
				if (!go_g_layout(&die, out, &budget))
					return 0;
			} while (dwarf_siblingof(&die, &die) == 0);
		if (next <= cuoff)
			break;
		cuoff = next;
	}
	return -ENOENT;
}
