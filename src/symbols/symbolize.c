// SPDX-License-Identifier: MIT
/*
 * symbolize.c - user-space symbolization of one process on libdw's Dwfl;
 * see symbolize.h.
 *
 * Every object is reported to the Dwfl once, with dwfl_report_elf() on a
 * descriptor opened while the process lived, at the load bias computed from
 * the kernel's mapping: an executable mapping at START maps file offset OFF,
 * and the PT_LOAD segment holding OFF maps p_offset at p_vaddr, so
 *
 *	bias = START - OFF + p_offset - p_vaddr
 *
 * (for a segment mapped from its page start, START minus p_vaddr rounded
 * down to a page). p_vaddr and p_offset differ when sections were placed by
 * hand (or in some linkers' layouts), so START - OFF alone would be wrong.
 *
 * The table of reported objects (struct umod) mirrors the Dwfl's modules.
 * A refresh adds objects mapped since, and drops an object unmapped since
 * only when another mapping now overlaps its range (two Dwfl rounds: first
 * the survivors are re-reported and the Dwfl frees the rest, then the new
 * ones are added), so that addresses sampled earlier keep their names.
 *
 * The process is followed through a pidfd when the kernel has them: once it
 * has exited, a later maps read could be another process's (PID reuse), so
 * the state is frozen. Symbol tables (and with them the separate debug
 * file) are loaded when an object is reported, while /proc/PID/root still
 * resolves.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"
#include "symbols/demangle.h"
#include "symbols/gopclntab.h"
#include "symbols/procmaps.h"
#include "symbols/symbolize.h"

#define CACHE_MIN 1024 /* slots */
#define CACHE_MAX_ENTRIES (1u << 20) /* then the cache starts over */
#define VDSO_MAX_BYTES (1u << 20)
#define NAME_SCRATCH 512 /* "OBJECT+0xOFF" (OBJECT truncated) */

/* An object reported to the Dwfl (or that failed to be: dm == NULL). */
struct umod {
	Dwfl_Module *dm; /* NULL: not ELF or not openable */
	char *path; /* maps path ("/usr/lib/...", "[vdso]"); Dwfl's name */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	uint64_t low, high; /* Dwfl's range; the mapping's when dm == NULL */
	uint64_t bias; /* the Dwfl's load bias of dm */
	struct pt_gotab *go; /* a Go binary's .gopclntab, NULL if none */
	bool seen; /* mapped at the last maps read */
};

struct centry {
	uint64_t addr;
	char *name; /* NULL: free slot */
	enum pt_ucode kind;
};

struct pt_usyms {
	pid_t pid;
	int pidfd; /* -1 when the kernel has no pidfds */
	bool alive;
	bool other_root; /* the target's / is not ours */
	unsigned int flags;
	char *debuginfo_path; /* NULL: Dwfl's default */
	Dwfl_Callbacks cb; /* the Dwfl points at it */
	Dwfl *dwfl;
	struct pt_maps maps; /* the last maps read while alive */
	struct umod *mods;
	size_t nmods, capmods;
	bool purge; /* a module the Dwfl holds was refused */
	struct centry *cache; /* open addressing, power-of-two slots */
	size_t cache_cap, cache_n;
	char scratch[NAME_SCRATCH];
	char dname[PT_DEMANGLE_BUF]; /* a demangled name */
};

/* ------------------------------------------------------------------ cache */

static size_t hash_addr(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void cache_clear(struct pt_usyms *s)
{
	size_t i;

	for (i = 0; i < s->cache_cap; i++) {
		free(s->cache[i].name);
		s->cache[i].name = NULL;
	}
	s->cache_n = 0;
}

static const struct centry *cache_get(const struct pt_usyms *s, uint64_t addr)
{
	size_t i, mask = s->cache_cap - 1;

	if (!s->cache_cap)
		return NULL;
	for (i = hash_addr(addr) & mask; s->cache[i].name; i = (i + 1) & mask)
		if (s->cache[i].addr == addr)
			return &s->cache[i];
	return NULL;
}

static void cache_slot_put(struct centry *tab, size_t cap,
			   const struct centry *e)
{
	size_t i, mask = cap - 1;

	for (i = hash_addr(e->addr) & mask; tab[i].name; i = (i + 1) & mask)
		;
	tab[i] = *e;
}

/* Remember NAME and KIND for ADDR (not yet cached). Returns 0 or -ENOMEM. */
static int cache_put(struct pt_usyms *s, uint64_t addr, const char *name,
		     enum pt_ucode kind)
{
	struct centry e = { .addr = addr, .kind = kind };

	char *copy;

	if (s->cache_n >= CACHE_MAX_ENTRIES)
		cache_clear(s);
	if ((s->cache_n + 1) * 2 > s->cache_cap) {
		size_t cap = s->cache_cap ? s->cache_cap * 2 : CACHE_MIN, i;
		struct centry *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return -ENOMEM;
		for (i = 0; i < s->cache_cap; i++)
			if (s->cache[i].name)
				cache_slot_put(tab, cap, &s->cache[i]);
		free(s->cache);
		s->cache = tab;
		s->cache_cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	e.name = copy;
	cache_slot_put(s->cache, s->cache_cap, &e);
	s->cache_n++;
	return 0;
}

/* ---------------------------------------------------------------- process */

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* Whether the process has exited (as far as its pidfd tells). */
static bool has_exited(const struct pt_usyms *s)
{
	struct pollfd p = { .fd = s->pidfd, .events = POLLIN };

	if (s->pidfd < 0)
		return false;
	return poll(&p, 1, 0) == 1 && p.revents;
}

/* Whether /proc/PID/root is another directory than our "/". */
static bool has_other_root(pid_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if (stat(path, &a) || stat("/", &b))
		return false; /* unknown: name files as the maps do */
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* --------------------------------------------------------------- objects */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Whether mapping M is code a Dwfl module should cover. */
static bool wanted(const struct pt_mapping *m)
{
	return (m->perms & PT_MAP_X) && m->path &&
	       (m->path[0] == '/' || !strcmp(m->path, "[vdso]"));
}

/* The object in the table that mapping M belongs to, or NULL. */
static struct umod *find_umod(struct pt_usyms *s, const struct pt_mapping *m)
{
	size_t i;

	for (i = 0; i < s->nmods; i++) {
		struct umod *u = &s->mods[i];

		if (u->low <= m->start && m->start < u->high &&
		    u->inode == m->inode && u->dev_major == m->dev_major &&
		    u->dev_minor == m->dev_minor && !strcmp(u->path, m->path))
			return u;
	}
	return NULL;
}

/*
 * Open the file behind mapping M while the process lives: its map_files
 * link, else the path under the process's root (not for a deleted file,
 * whose path now names another). Returns a descriptor of a regular file or
 * -errno.
 */
static int open_mapped(const struct pt_usyms *s, const struct pt_mapping *m)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int fd = -1, n;

	if (!(s->flags & PT_USYMS_NO_MAP_FILES)) {
		snprintf(path, sizeof(path),
			 "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)s->pid,
			 m->start, m->end);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0 && !m->deleted) {
		n = snprintf(path, sizeof(path), "/proc/%d/root%s", (int)s->pid,
			     m->path);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0)
		return m->deleted && errno == ENOENT ? -ENOENT : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOEXEC;
	}
	return fd;
}

/*
 * The load bias of ELF when a mapping at START maps its file offset OFF
 * (see the file comment). Among the PT_LOAD segments whose pages hold OFF,
 * one mapped from exactly OFF and with the mapping's execute permission is
 * preferred. Returns 0 or -ENOEXEC.
 */
static int load_bias(Elf *elf, uint64_t start, uint64_t off, bool exec,
		     uint64_t *bias)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	size_t i, n;
	int best = -1;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		uint64_t lo;
		int score;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		lo = ph.p_offset & ~(page - 1);
		if (off < lo || (off != lo && off - ph.p_offset >= ph.p_filesz))
			continue;
		score = (off == lo) * 2 + (!!(ph.p_flags & PF_X) == exec);
		if (score > best) {
			best = score;
			*bias = start - off + ph.p_offset - ph.p_vaddr;
		}
	}
	return best < 0 ? -ENOEXEC : 0;
}

/* Read LEN bytes at ADDR of the process's memory into a new memfd.
 * Returns the descriptor or -errno. */
static int copy_memory(const struct pt_usyms *s, uint64_t addr, size_t len)
{
	char path[64], *buf;
	size_t got = 0;
	ssize_t n;
	int fd, mfd = -1, err = 0;

	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)s->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(addr + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (err)
		goto out;
	mfd = memfd_create("pipetrace-vdso", MFD_CLOEXEC);
	if (mfd < 0) {
		err = -errno;
		goto out;
	}
	for (got = 0; got < len;) {
		n = write(mfd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(mfd);
			mfd = -1;
			break;
		}
		got += (size_t)n;
	}
out:
	free(buf);
	return err ? err : mfd;
}

/*
 * Report the object of mapping M to the Dwfl (between report_begin and
 * report_end) and fill U. Returns 0 or -errno (U->dm is NULL then).
 */
/*
 * Whether [lo, hi) holds code of a file other than M's: an object whose
 * headers claim that much (a hostile or damaged one) would take those
 * addresses from their object.
 */
static bool claims_others(const struct pt_maps *maps,
			  const struct pt_mapping *m, uint64_t lo, uint64_t hi)
{
	size_t i;

	if (lo >= hi || m->start < lo || m->start >= hi)
		return true;
	for (i = 0; i < maps->n; i++) {
		const struct pt_mapping *o = &maps->v[i];

		if (o->start < hi && lo < o->end && wanted(o) &&
		    (o->inode != m->inode || o->dev_major != m->dev_major ||
		     o->dev_minor != m->dev_minor || strcmp(o->path, m->path)))
			return true;
	}
	return false;
}

static int report_object(struct pt_usyms *s, const struct pt_maps *maps,
			 const struct pt_mapping *m, struct umod *u)
{
	char fname[PATH_MAX + 64];
	const char *file_name = m->path;
	bool vdso = m->path[0] == '[';
	uint64_t off = m->offset, bias = 0;
	Dwarf_Addr low, high;
	Elf *elf;
	int fd, err;

	u->low = m->start;
	u->high = m->end;
	if (vdso) {
		if (s->flags & PT_USYMS_NO_VDSO_MEM)
			return -EPERM;
		if (m->end - m->start > VDSO_MAX_BYTES)
			return -EFBIG;
		fd = copy_memory(s, m->start, (size_t)(m->end - m->start));
		off = 0; /* the image from its first byte */
	} else {
		fd = open_mapped(s, m);
		if (s->other_root) {
			snprintf(fname, sizeof(fname), "/proc/%d/root%s",
				 (int)s->pid, m->path);
			file_name = fname;
		}
	}
	if (fd < 0)
		return fd;

	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		err = -ENOEXEC;
	else
		err = load_bias(elf, m->start, off, true, &bias);
	if (!err && !vdso)
		pt_gotab__elf(elf, &u->go); /* a Go binary's names, if any */
	elf_end(elf);
	if (err) {
		close(fd);
		return err;
	}
	u->bias = bias;
	/* On success the Dwfl owns fd (closed by dwfl_end). */
	u->dm = dwfl_report_elf(s->dwfl, m->path, file_name, fd, bias, true);
	if (!u->dm) {
		close(fd);
		pt_gotab__free(u->go);
		u->go = NULL;
		return -ENOEXEC;
	}
	dwfl_module_info(u->dm, NULL, &low, &high, NULL, NULL, NULL, NULL);
	if (claims_others(maps, m, low, high)) {
		/* Named by its mapping; the Dwfl drops it (sync_maps). */
		u->dm = NULL;
		pt_gotab__free(u->go);
		u->go = NULL;
		s->purge = true;
		return -ENOEXEC;
	}
	u->low = low;
	u->high = high;
	/* Find the symbol table, in a debug file if need be, now. */
	dwfl_module_getsymtab(u->dm);
	return 0;
}

/* Append an entry for mapping M to the table, reporting its object.
 * Returns 0 or -ENOMEM (an object that fails to report is kept as such). */
static int add_umod(struct pt_usyms *s, const struct pt_maps *maps,
		    const struct pt_mapping *m)
{
	struct umod *u;

	if (s->nmods == s->capmods) {
		size_t cap = s->capmods ? s->capmods * 2 : 32;
		struct umod *v = realloc(s->mods, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->mods = v;
		s->capmods = cap;
	}
	u = &s->mods[s->nmods];
	memset(u, 0, sizeof(*u));
	u->path = strdup(m->path);
	if (!u->path)
		return -ENOMEM;
	u->dev_major = m->dev_major;
	u->dev_minor = m->dev_minor;
	u->inode = m->inode;
	u->seen = true;
	report_object(s, maps, m, u);
	s->nmods++;
	return 0;
}

/* Whether any mapping of M overlaps [lo, hi). */
static bool overlaps(const struct pt_maps *m, uint64_t lo, uint64_t hi)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].start < hi && lo < m->v[i].end)
			return true;
	return false;
}

/*
 * First Dwfl round of a refresh: drop the objects no longer mapped that
 * something in MAPS now overlaps, and those refused (dm NULL); re-report
 * the others.
 */
static void drop_overlapped(struct pt_usyms *s, const struct pt_maps *maps)
{
	size_t i, kept = 0;

	dwfl_report_begin(s->dwfl);
	for (i = 0; i < s->nmods; i++) {
		struct umod *u = &s->mods[i];

		if (!u->seen && overlaps(maps, u->low, u->high)) {
			free(u->path);
			pt_gotab__free(u->go);
			continue;
		}
		if (u->dm)
			dwfl_report_module(s->dwfl, u->path, u->low, u->high);
		s->mods[kept++] = *u;
	}
	s->nmods = kept;
	dwfl_report_end(s->dwfl, NULL, NULL); /* frees the dropped */
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool maps_equal(const struct pt_maps *a, const struct pt_maps *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct pt_mapping *x = &a->v[i], *y = &b->v[i];

		if (x->start != y->start || x->end != y->end ||
		    x->offset != y->offset || x->perms != y->perms ||
		    x->inode != y->inode || x->dev_major != y->dev_major ||
		    x->dev_minor != y->dev_minor || x->deleted != y->deleted ||
		    !str_equal(x->path, y->path))
			return false;
	}
	return true;
}

/*
 * Bring the table in line with the process's maps (see the file comment).
 * Returns 0, -ESRCH when the process is gone, -ENOMEM or a maps read error.
 */
static int sync_maps(struct pt_usyms *s)
{
	struct pt_maps maps = { NULL, 0 };
	bool any_new = false, any_gone = false;
	size_t i;
	int err;

	err = pt_maps__read_pid(s->pid, &maps);
	if (!err && (has_exited(s) || (s->pidfd < 0 && !maps.n)))
		err = -ESRCH; /* a zombie, or maybe another process now */
	if (err) {
		pt_maps__free(&maps);
		if (err == -ESRCH)
			s->alive = false;
		return err;
	}

	for (i = 0; i < s->nmods; i++)
		s->mods[i].seen = false;
	for (i = 0; i < maps.n; i++) {
		struct umod *u;

		if (!wanted(&maps.v[i]))
			continue;
		u = find_umod(s, &maps.v[i]);
		if (u)
			u->seen = true;
		else
			any_new = true;
	}
	for (i = 0; i < s->nmods; i++)
		if (!s->mods[i].seen &&
		    overlaps(&maps, s->mods[i].low, s->mods[i].high))
			any_gone = true;
	if (any_gone)
		drop_overlapped(s, &maps);
	if (any_new) {
		dwfl_report_begin_add(s->dwfl);
		for (i = 0; i < maps.n && !err; i++)
			if (wanted(&maps.v[i]) && !find_umod(s, &maps.v[i]))
				err = add_umod(s, &maps, &maps.v[i]);
		dwfl_report_end(s->dwfl, NULL, NULL);
	}
	/* Objects refused after the Dwfl took them: a round without them. */
	if (s->purge)
		drop_overlapped(s, &maps);
	s->purge = false;
	if (any_new || any_gone || !maps_equal(&s->maps, &maps))
		cache_clear(s);
	pt_maps__free(&s->maps);
	s->maps = maps;
	return err;
}

/* ------------------------------------------------------------- open/close */

int pt_usyms__open(pid_t pid, struct pt_usyms **out, char *err, size_t errlen)
{
	return pt_usyms__open_opts(pid, NULL, out, err, errlen);
}

int pt_usyms__open_opts(pid_t pid, const struct pt_usyms_opts *opts,
			struct pt_usyms **out, char *err, size_t errlen)
{
	struct pt_usyms *s;
	int ret;

	if (!out)
		return pt_errf(err, errlen, -EINVAL, "no output handle");
	*out = NULL;
	if (pid <= 0)
		return pt_errf(err, errlen, -EINVAL,
			       "bad process ID %d; give a positive PID",
			       (int)pid);
	s = calloc(1, sizeof(*s));
	if (!s)
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	s->pid = pid;
	s->alive = true;
	s->flags = opts ? opts->flags : 0;
	s->pidfd = pidfd_open_(pid);
	if (s->pidfd < 0 && errno == ESRCH) {
		ret = -ESRCH;
		goto fail;
	}
	if (opts && opts->debuginfo_path) {
		s->debuginfo_path = strdup(opts->debuginfo_path);
		if (!s->debuginfo_path) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	s->cb.find_elf = dwfl_build_id_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	s->cb.debuginfo_path = &s->debuginfo_path;
	elf_version(EV_CURRENT);
	s->dwfl = dwfl_begin(&s->cb);
	if (!s->dwfl) {
		ret = -ENOMEM;
		goto fail;
	}
	s->other_root = has_other_root(pid);
	ret = sync_maps(s);
	if (ret)
		goto fail;
	*out = s;
	return 0;

fail:
	pt_usyms__close(s);
	switch (ret) {
	case -ESRCH:
		return pt_errf(err, errlen, ret, "no process %d; check the PID",
			       (int)pid);
	case -EACCES:
	case -EPERM:
		return pt_errf(err, errlen, ret,
			       "cannot read the memory map of process %d: %s; "
			       "run as root or as the process's owner",
			       (int)pid, strerror(-ret));
	case -ENOMEM:
		return pt_errf(err, errlen, ret, "out of memory");
	default:
		return pt_errf(err, errlen, ret,
			       "cannot read /proc/%d/maps: %s; is /proc "
			       "mounted?",
			       (int)pid, strerror(-ret));
	}
}

Dwfl *pt_usyms__dwfl(struct pt_usyms *s)
{
	return s ? s->dwfl : NULL;
}

void pt_usyms__close(struct pt_usyms *s)
{
	size_t i;

	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (i = 0; i < s->nmods; i++) {
		free(s->mods[i].path);
		pt_gotab__free(s->mods[i].go);
	}
	free(s->mods);
	cache_clear(s);
	free(s->cache);
	pt_maps__free(&s->maps);
	free(s->debuginfo_path);
	if (s->pidfd >= 0)
		close(s->pidfd);
	free(s);
}

int pt_usyms__refresh(struct pt_usyms *s)
{
	int err;

	if (!s)
		return -EINVAL;
	if (!s->alive)
		return 0;
	err = sync_maps(s);
	return err == -ESRCH ? 0 : err;
}

bool pt_usyms__alive(const struct pt_usyms *s)
{
	return s && s->alive;
}

/* ------------------------------------------------------------------ names */

/* File offset of ADDR in module DM's file, through its program headers.
 * Returns true when ADDR lies in a segment's file-backed part. */
static bool module_offset(Dwfl_Module *dm, uint64_t addr, uint64_t *off)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(dm, &bias);
	uint64_t vaddr = addr - bias;
	size_t i, n;

	if (!elf || elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

/* What the mapping M holding an address makes of it (see enum pt_ucode);
 * PT_UCODE_SYMBOL for code in a file, which the Dwfl module names. */
static enum pt_ucode mapping_kind(const struct pt_mapping *m)
{
	if (!(m->perms & PT_MAP_X))
		return PT_UCODE_NOT_CODE;
	if (!m->path)
		return PT_UCODE_ANON_EXEC;
	if (!strncmp(m->path, "[uprobes", 8))
		return PT_UCODE_UPROBES;
	if (!strcmp(m->path, "[heap]") || !strcmp(m->path, "[stack]") ||
	    !strncmp(m->path, "[anon", 5))
		return PT_UCODE_ANON_EXEC;
	return PT_UCODE_SYMBOL;
}

/* The name of ADDR from the .gopclntab of DM's object, or NULL. */
static const char *go_name(const struct pt_usyms *s, Dwfl_Module *dm,
			   uint64_t addr)
{
	const char *name;
	uint64_t entry;
	size_t i;

	for (i = 0; i < s->nmods; i++) {
		const struct umod *u = &s->mods[i];

		if (u->dm == dm && u->go)
			return pt_gotab__lookup(u->go, addr - u->bias, &name,
						&entry) ?
				       NULL :
				       name;
	}
	return NULL;
}

/* The symbol of ADDR in its Dwfl module (a Go binary's .gopclntab where
 * there is no symbol table), else "OBJECT+0xOFF" in
 * s->scratch (*kind PT_UCODE_NOSYM); NULL when no module holds it. */
static const char *module_name(struct pt_usyms *s, uint64_t addr,
			       enum pt_ucode *kind)
{
	Dwfl_Module *dm = dwfl_addrmodule(s->dwfl, addr);
	const char *name;
	GElf_Off symoff;
	GElf_Word shndx;
	Dwarf_Addr bias;
	GElf_Sym sym;
	uint64_t off;
	Elf *elf;

	if (!dm)
		return NULL;
	*kind = PT_UCODE_SYMBOL;
	name = dwfl_module_addrinfo(dm, addr, &symoff, &sym, &shndx, &elf,
				    &bias);
	if (name && *name)
		return name;
	name = go_name(s, dm, addr);
	if (name)
		return name;
	*kind = PT_UCODE_NOSYM;
	name = dwfl_module_info(dm, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!name || !module_offset(dm, addr, &off))
		return NULL;
	snprintf(s->scratch, sizeof(s->scratch), "%s+0x%" PRIx64,
		 base_name(name), off);
	return s->scratch;
}

/*
 * Name ADDR without the cache (see pt_usyms__name()) and say what it is;
 * the result is a Dwfl string or s->scratch. Returns NULL when no known
 * mapping or object holds ADDR.
 */
static const char *resolve(struct pt_usyms *s, uint64_t addr,
			   enum pt_ucode *kind)
{
	const struct pt_mapping *m = pt_maps__find_addr(&s->maps, addr);
	const char *name;

	*kind = m ? mapping_kind(m) : PT_UCODE_SYMBOL;
	if (*kind == PT_UCODE_SYMBOL) {
		name = module_name(s, addr, kind);
		if (name)
			return name;
		*kind = PT_UCODE_NOSYM;
	}
	if (!m)
		return NULL;
	if (m->path)
		snprintf(s->scratch, sizeof(s->scratch), "%s+0x%" PRIx64,
			 m->path[0] == '/' ? base_name(m->path) : m->path,
			 addr - m->start + m->offset);
	else
		snprintf(s->scratch, sizeof(s->scratch), "[anon]+0x%" PRIx64,
			 addr - m->start);
	return s->scratch;
}

/* The cache entry of ADDR, made if need be; its name is valid until the
 * next call on S. NULL only when out of memory. */
static const struct centry *lookup_entry(struct pt_usyms *s, uint64_t addr)
{
	const struct centry *e = cache_get(s, addr);
	enum pt_ucode kind;
	const char *name;

	if (e)
		return e;
	name = resolve(s, addr, &kind);
	if (!name && s->alive && pt_usyms__refresh(s) == 0)
		name = resolve(s, addr, &kind);
	if (!name) {
		name = "[unknown]";
		kind = PT_UCODE_UNMAPPED;
	}
	if (kind == PT_UCODE_SYMBOL)
		name = pt_demangle__display(name, 0, s->dname,
					    sizeof(s->dname));
	if (cache_put(s, addr, name, kind))
		return NULL;
	return cache_get(s, addr);
}

/* The name of ADDR, cached; valid until the next call on S. */
static const char *lookup(struct pt_usyms *s, uint64_t addr)
{
	const struct centry *e = lookup_entry(s, addr);

	return e ? e->name : "[unknown]";
}

/* Copy SRC into BUF of LEN > 0 bytes, truncating, NUL-terminated. */
static void copy_out(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

int pt_usyms__name(struct pt_usyms *s, uint64_t addr, char *buf, size_t len)
{
	if (!s || !buf || !len)
		return -EINVAL;
	copy_out(buf, len, lookup(s, addr));
	return 0;
}

int pt_usyms__kind(struct pt_usyms *s, uint64_t addr, enum pt_ucode *kind)
{
	const struct centry *e;

	if (!s || !kind)
		return -EINVAL;
	e = lookup_entry(s, addr);
	if (!e)
		return -ENOMEM;
	*kind = e->kind;
	return 0;
}

int pt_usyms__object(struct pt_usyms *s, uint64_t addr, char *buf, size_t len)
{
	const struct centry *e;
	const char *plus;
	Dwfl_Module *dm;

	if (!s || !buf || !len)
		return -EINVAL;
	e = lookup_entry(s, addr);
	if (!e)
		return -ENOMEM;
	if (e->kind == PT_UCODE_SYMBOL) {
		dm = dwfl_addrmodule(s->dwfl, addr);
		copy_out(buf, len,
			 dm ? base_name(dwfl_module_info(dm, NULL, NULL, NULL,
							 NULL, NULL, NULL,
							 NULL)) :
			      "[unknown]");
		return 0;
	}
	/* the others' names are "OBJECT+0xOFF" (made here) or "[unknown]" */
	plus = strrchr(e->name, '+');
	copy_out(buf, len, e->name);
	if (plus && (size_t)(plus - e->name) < len)
		buf[plus - e->name] = '\0';
	return 0;
}

/* ----------------------------------------------------------------- frames */

/* Source file of DIE's call site (DW_AT_call_file) in CU's file table. */
static const char *call_file(Dwarf_Die *cudie, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word idx;
	size_t n;

	if (!dwarf_attr(die, DW_AT_call_file, &attr) ||
	    dwarf_formudata(&attr, &idx) ||
	    dwarf_getsrcfiles(cudie, &files, &n) || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

static unsigned int call_line(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word line;

	if (!dwarf_attr(die, DW_AT_call_line, &attr) ||
	    dwarf_formudata(&attr, &line) || line > UINT_MAX)
		return 0;
	return (unsigned int)line;
}

/* DIE's name: its linkage name demangled into BUF, else DW_AT_name. */
static const char *die_name(Dwarf_Die *die, char *buf, size_t len)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(
		dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (name)
		name = pt_demangle__display(name, 0, buf, len);
	else
		name = dwarf_formstring(
			dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name ? name : "??";
}

static bool is_function(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
}

/*
 * The DWARF chain of functions at ADDR in DM, innermost first: *chain gets
 * a malloc'd array of the DIE scopes from the innermost inlined instance
 * outwards (or NULL when ADDR is in no inlined code). Returns the number
 * of scopes, or 0 when there is no inlining (or no DWARF, or an error).
 */
static int inline_chain(Dwfl_Module *dm, uint64_t addr, Dwarf_Die *cudie,
			Dwarf_Die **chain)
{
	Dwarf_Die *scopes = NULL, die, *cu;
	Dwarf_Addr bias;
	int n, i;

	*chain = NULL;
	cu = dwfl_module_addrdie(dm, addr, &bias);
	if (!cu)
		return 0;
	*cudie = *cu;
	n = dwarf_getscopes(cudie, addr - bias, &scopes);
	for (i = 0; i < n && !is_function(&scopes[i]); i++)
		;
	if (n <= 0 || i == n || dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
		free(n > 0 ? scopes : NULL);
		return 0;
	}
	/* scopes[i] is the innermost inlined instance; above it
	 * dwarf_getscopes() lists the abstract definition's scopes, so ask
	 * for the instance's own containing scopes. */
	die = scopes[i];
	free(scopes);
	n = dwarf_getscopes_die(&die, chain);
	if (n <= 0) {
		*chain = NULL; /* an error (even ENOMEM): the symbol only */
		return 0;
	}
	return n;
}

int pt_usyms__frames(struct pt_usyms *s, uint64_t addr, pt_uframe_fn fn,
		     void *ctx)
{
	struct pt_uframe f = { 0 };
	Dwarf_Die cudie, *chain = NULL, **fr = NULL;
	Dwfl_Module *dm;
	Dwfl_Line *line;
	char *outer;
	int n, i, nfr = 0, lineno = 0, ret = 0;

	if (!s || !fn)
		return -EINVAL;
	outer = strdup(lookup(s, addr));
	if (!outer)
		return -ENOMEM;
	f.name = outer;
	dm = dwfl_addrmodule(s->dwfl, addr);
	if (!dm)
		goto single;
	line = dwfl_module_getsrc(dm, addr);
	if (line)
		f.file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	f.line = lineno > 0 ? (unsigned int)lineno : 0;
	n = inline_chain(dm, addr, &cudie, &chain);
	if (n == 0)
		goto single;
	fr = calloc((size_t)n, sizeof(*fr));
	if (!fr) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!is_function(&chain[i]))
			continue;
		fr[nfr++] = &chain[i];
		if (dwarf_tag(&chain[i]) == DW_TAG_subprogram)
			break;
	}
	/* fr[0] is the innermost inlined instance, fr[nfr - 1] the function
	 * (or the outermost inlined instance when DWARF is cut short). */
	for (i = nfr - 1; i >= 0 && !ret; i--) {
		struct pt_uframe g = { 0 };

		if (i == nfr - 1 && dwarf_tag(fr[i]) == DW_TAG_subprogram) {
			g.name = outer;
			g.inlined = false;
		} else {
			g.name = die_name(fr[i], s->dname, sizeof(s->dname));
			g.inlined = true;
		}
		if (i == 0) {
			g.file = f.file;
			g.line = f.line;
		} else {
			g.file = call_file(&cudie, fr[i - 1]);
			g.line = call_line(fr[i - 1]);
		}
		if (i == nfr - 1 && g.inlined) {
			/* no subprogram found: the symbol still frames it */
			struct pt_uframe top = { .name = outer };

			ret = fn(&top, ctx);
			if (ret)
				break;
		}
		ret = fn(&g, ctx);
	}
	goto out;

single:
	ret = fn(&f, ctx);
out:
	free(fr);
	free(chain);
	free(outer);
	return ret;
}
