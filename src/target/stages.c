// SPDX-License-Identifier: MIT
/* stages.c - see stages.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipetrace/stage.h>

#include "symbols/elfsyms.h"
#include "util/log.h"
#include "target/stages.h"

_Static_assert((unsigned long long)PIPETRACE_ITEMS_UNSET == PT_ITEMS_UNSET,
	       "stage.h and the ABI disagree on the unset item count");

/* ------------------------------------------------------------------ helpers */

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

const char *pt_items_mode__name(enum pt_items_mode m)
{
	switch (m) {
	case PT_ITEMS_S32:
		return "s32";
	case PT_ITEMS_U32:
		return "u32";
	case PT_ITEMS_S64:
		return "s64";
	case PT_ITEMS_U64:
		return "u64";
	default:
		return "none";
	}
}

/* The length of a push of a 64-bit register at code[0..len), or 0. */
static size_t push_len(const uint8_t *code, size_t len)
{
	if (len >= 1 && code[0] >= 0x50 && code[0] <= 0x57)
		return 1; /* push %rax..%rdi */
	if (len >= 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57)
		return 2; /* push %r8..%r15 */
	return 0;
}

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len)
{
	if (push_len(code, len))
		return PT_PROBE_PUSH;
	if (len >= sizeof(endbr64) && !memcmp(code, endbr64, sizeof(endbr64)))
		return PT_PROBE_ENDBR;
	return PT_PROBE_STEP;
}

/*
 * Whether any direct jump or call in code[0..len) could land on offset
 * target. Every byte is tried as the start of an instruction, so data and
 * the middle of other instructions give false alarms, never a miss of a
 * direct branch.
 */
static bool maybe_branch_to(const uint8_t *code, size_t len, size_t target)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int64_t to = INT64_MIN;
		uint8_t op = code[i];

		if ((op == 0xeb || (op >= 0x70 && op <= 0x7f) ||
		     (op >= 0xe0 && op <= 0xe3)) &&
		    i + 2 <= len)
			to = (int64_t)i + 2 + (int8_t)code[i + 1];
		if (to != (int64_t)target && (op == 0xe8 || op == 0xe9) &&
		    i + 5 <= len) {
			int32_t rel;

			memcpy(&rel, code + i + 1, sizeof(rel));
			to = (int64_t)i + 5 + rel;
		}
		if (to != (int64_t)target && op == 0x0f && i + 6 <= len &&
		    code[i + 1] >= 0x80 && code[i + 1] <= 0x8f) {
			int32_t rel;

			memcpy(&rel, code + i + 2, sizeof(rel));
			to = (int64_t)i + 6 + rel;
		}
		if (to == (int64_t)target)
			return true;
	}
	return false;
}

enum pt_probe_class pt_probe_entry__choose(const uint8_t *code, size_t len,
					   uint32_t *skip)
{
	enum pt_probe_class c = pt_probe_class__of(code, len);

	*skip = 0;
	/*
	 * endbr64 is single-stepped; a push right after it is emulated. Past
	 * the endbr64 the stack is untouched, so the return address is where
	 * a uretprobe expects it, and every call still passes there unless
	 * something jumps to it: only then is the cheaper site taken.
	 */
	if (c == PT_PROBE_ENDBR && push_len(code + 4, len - 4) &&
	    !maybe_branch_to(code, len, 4)) {
		*skip = 4;
		return PT_PROBE_PUSH;
	}
	return c;
}

enum pt_probe_class pt_probe_entry__at(const char *path, uint64_t off,
				       uint64_t size, uint32_t *skip)
{
	uint8_t code[PT_PROBE_SCAN_MAX];
	bool whole = size <= sizeof(code);
	ssize_t n = -1;
	int fd;

	if (size < 16)
		size = 16; /* sizeless symbols (assembly) */
	if (size > sizeof(code))
		size = sizeof(code);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = pread(fd, code, (size_t)size, (off_t)off);
		close(fd);
	}
	/* A function larger than the scan is taken as it starts only. */
	if (!whole) {
		*skip = 0;
		return pt_probe_class__of(code, (size_t)n);
	}
	return pt_probe_entry__choose(code, n > 0 ? (size_t)n : 0, skip);
}

const char *pt_probe_class__name(enum pt_probe_class c)
{
	switch (c) {
	case PT_PROBE_PUSH:
		return "push";
	case PT_PROBE_ENDBR:
		return "endbr";
	case PT_PROBE_SITE:
		return "nop5";
	default:
		return "step";
	}
}

/* Opens path as ELF, turning errors into one-line messages about `what`. */
static int open_elf(const char *path, const char *what, struct pt_elf **e,
		    char *err, size_t errlen)
{
	int ret = pt_elf__open(path, e);

	switch (ret) {
	case 0:
		return 0;
	case -ENOENT:
		return pt_errf(err, errlen, ret,
			       "%s: no such file; check the path", what);
	case -EACCES:
	case -EPERM:
		return pt_errf(err, errlen, ret,
			       "%s: permission denied; run pipetrace as root",
			       what);
	case -ENOEXEC:
		return pt_errf(
			err, errlen, ret,
			"%s: not an ELF file; pipetrace traces ELF programs and libraries",
			what);
	case -EPROTONOSUPPORT:
		return pt_errf(
			err, errlen, ret,
			"%s: ELF for another machine or class; trace a native %s binary",
			what, "x86_64");
	default:
		return pt_errf(err, errlen, ret, "%s: cannot read ELF: %s",
			       what, strerror(-ret));
	}
}

/* ------------------------------------------------------------------ targets */

int pt_target__from_pid(struct pt_target *t, pid_t pid, char *err,
			size_t errlen)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(buf, sizeof(buf), "/proc/%d", pid);
		if (ret == -ENOENT && access(buf, F_OK) == 0)
			return pt_errf(
				err, errlen, -ENOEXEC,
				"PID %d has no executable (a kernel thread?); trace a user process",
				pid);
		if (ret == -ENOENT || ret == -ESRCH)
			return pt_errf(
				err, errlen, -ESRCH,
				"no such PID %d; check the process id (ps -e)",
				pid);
		if (ret == -EACCES || ret == -EPERM)
			return pt_errf(
				err, errlen, ret,
				"PID %d: not permitted to inspect it; run pipetrace as root",
				pid);
		return pt_errf(err, errlen, ret, "PID %d: %s: %s", pid, link,
			       strerror(-ret));
	}
	buf[n] = '\0';
	/* A kernel thread has no executable. */
	t->exe = strdup(buf);
	t->exe_open = strdup(link);
	if (!t->exe || !t->exe_open) {
		pt_target__free(t);
		return -ENOMEM;
	}
	ret = pt_maps__read_pid(pid, &t->maps);
	if (ret) {
		pt_target__free(t);
		if (ret == -ESRCH || ret == -ENOENT)
			return pt_errf(
				err, errlen, -ESRCH,
				"no such PID %d (it exited); check the process id",
				pid);
		return pt_errf(err, errlen, ret,
			       "PID %d: cannot read its maps: %s", pid,
			       strerror(-ret));
	}
	return 0;
}

/* Resolves argv0 through PATH like execvp(3); returns malloc'ed path. */
static char *search_path(const char *argv0)
{
	const char *path = getenv("PATH");
	const char *p, *colon;
	char *cand;

	if (strchr(argv0, '/'))
		return strdup(argv0);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(colon - p),
				 colon == p ? "." : p, argv0);
		if (cand && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*colon)
			return NULL;
	}
}

int pt_target__from_command(struct pt_target *t, const char *argv0, char *err,
			    size_t errlen)
{
	char *path, real[PATH_MAX];
	struct stat st;

	memset(t, 0, sizeof(*t));
	path = search_path(argv0);
	if (!path || stat(path, &st)) {
		free(path);
		return pt_errf(
			err, errlen, -ENOENT,
			"command '%s' not found; check the name or give its path",
			argv0);
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK)) {
		free(path);
		return pt_errf(
			err, errlen, -EACCES,
			"command '%s' is not an executable file; check its path and mode",
			argv0);
	}
	t->exe = realpath(path, real) ? strdup(real) : strdup(path);
	t->exe_open = path;
	if (!t->exe) {
		pt_target__free(t);
		return -ENOMEM;
	}
	return 0;
}

int pt_target__from_file(struct pt_target *t, const char *path, char *err,
			 size_t errlen)
{
	struct stat st;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st))
		return pt_errf(err, errlen, -errno, "%s: %s; check the path",
			       path, strerror(errno));
	t->exe = strdup(path);
	t->exe_open = strdup(path);
	if (!t->exe || !t->exe_open) {
		pt_target__free(t);
		return -ENOMEM;
	}
	return 0;
}

void pt_target__free(struct pt_target *t)
{
	free(t->exe);
	free(t->exe_open);
	pt_maps__free(&t->maps);
	memset(t, 0, sizeof(*t));
}

/* Searches a library by name the way the loader would, for a command not
 * yet started: LD_LIBRARY_PATH, then the system directories. */
static char *search_library(const char *name)
{
	static const char *const sysdirs[] = {
		"/lib/x86_64-linux-gnu",
		"/usr/lib/x86_64-linux-gnu",
		"/lib64",
		"/usr/lib64",
		"/lib",
		"/usr/lib",
		"/usr/local/lib",
	};
	const char *ld = getenv("LD_LIBRARY_PATH");
	char *cand, real[PATH_MAX];
	const char *p, *colon;
	size_t i;

	for (p = ld; p && *p; p = *colon ? colon + 1 : colon) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		if (colon == p)
			continue;
		cand = xasprintf("%.*s/%s", (int)(colon - p), p, name);
		if (cand && realpath(cand, real)) {
			free(cand);
			return strdup(real);
		}
		free(cand);
	}
	for (i = 0; i < sizeof(sysdirs) / sizeof(sysdirs[0]); i++) {
		cand = xasprintf("%s/%s", sysdirs[i], name);
		if (cand && realpath(cand, real)) {
			free(cand);
			return strdup(real);
		}
		free(cand);
	}
	return NULL;
}

int pt_target__find_object(const struct pt_target *t, const char *name,
			   char **shown, char **open_path, char *err,
			   size_t errlen)
{
	const struct pt_mapping *m;
	char *found;

	*shown = *open_path = NULL;
	if (!name) {
		*shown = strdup(t->exe);
		*open_path = strdup(t->exe_open);
		goto out;
	}
	if (t->pid > 0) {
		m = pt_maps__find_object(&t->maps, name);
		if (m) {
			/* The exact file mapped, whatever its path says now:
			 * replaced, deleted, or in another mount namespace. */
			*shown = strdup(m->path);
			*open_path = xasprintf("/proc/%d/map_files/%llx-%llx",
					       t->pid,
					       (unsigned long long)m->start,
					       (unsigned long long)m->end);
			goto out;
		}
		if (!strchr(name, '/'))
			return pt_errf(
				err, errlen, -ENOENT,
				"no object '%s' is mapped in PID %d; see /proc/%d/maps or give the library's path",
				name, t->pid, t->pid);
		/* A path not mapped (yet): probes arm when it is. */
		*shown = strdup(name);
		*open_path = xasprintf("/proc/%d/root%s%s", t->pid,
				       name[0] == '/' ? "" : "/", name);
		goto out;
	}
	if (strchr(name, '/')) {
		*shown = strdup(name);
		*open_path = strdup(name);
		goto out;
	}
	found = search_library(name);
	if (!found)
		return pt_errf(
			err, errlen, -ENOENT,
			"library '%s' not found in LD_LIBRARY_PATH or the system library directories; give its path",
			name);
	*shown = found;
	*open_path = strdup(found);
out:
	if (!*shown || !*open_path) {
		free(*shown);
		free(*open_path);
		*shown = *open_path = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------- stage matching */

struct match_ctx {
	const struct pt_spec *spec; /* NULL: match annotated names */
	struct pt_elf *elf;
	const char *shown, *open_path;
	struct pt_stage_set *out;
	char **notes; /* annotated stage names of this object */
	uint8_t *note_flags;
	size_t nnotes;
	struct pt_site_note *sites; /* probe sites of this object */
	size_t nsites;
	size_t matched, ifuncs, unsafe;
	int err;
};

static int collect_note(const struct pt_stage_note *note, void *arg)
{
	struct match_ctx *c = arg;
	char **names;
	uint8_t *flags;

	names = realloc(c->notes, (c->nnotes + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	c->notes = names;
	flags = realloc(c->note_flags, c->nnotes + 1);
	if (!flags)
		return -ENOMEM;
	c->note_flags = flags;
	names[c->nnotes] = strdup(note->name);
	if (!names[c->nnotes])
		return -ENOMEM;
	flags[c->nnotes++] = note->flags;
	return 0;
}

/*
 * Gives s the probe sites inside its function [addr, addr + size): entry
 * sites first. Both kinds present make it a PT_PROBE_SITE stage. Returns 0
 * or -ENOMEM.
 */
static int add_sites(const struct match_ctx *c, struct pt_stage *s,
		     uint64_t size)
{
	size_t i, n = 0, kind;

	for (i = 0; i < c->nsites; i++)
		n += c->sites[i].addr >= s->addr &&
		     c->sites[i].addr - s->addr < size;
	if (!n)
		return 0;
	s->sites = calloc(n, sizeof(*s->sites));
	if (!s->sites)
		return -ENOMEM;
	for (kind = PIPETRACE_SITE_ENTRY; kind <= PIPETRACE_SITE_EXIT; kind++)
		for (i = 0; i < c->nsites; i++) {
			const struct pt_site_note *x = &c->sites[i];

			if (x->kind != kind || x->addr < s->addr ||
			    x->addr - s->addr >= size)
				continue;
			s->sites[s->nentry + s->nexit] = x->file_off;
			if (kind == PIPETRACE_SITE_ENTRY)
				s->nentry++;
			else
				s->nexit++;
		}
	if (s->nentry && s->nexit) {
		s->probe_class = PT_PROBE_SITE;
		/* The exit site hands over PIPETRACE_ITEMS() as a long. */
		if (s->items != PT_ITEMS_NONE)
			s->items = PT_ITEMS_S64;
	}
	return 0;
}

void pt_stages__drop_sites(struct pt_stage_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct pt_stage *s = &set->v[i];

		free(s->sites);
		s->sites = NULL;
		s->nentry = s->nexit = 0;
		s->probe_class = s->fn_class;
	}
}

/* Index of name among the object's annotations, or -1. */
static long note_index(const struct match_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnotes; i++)
		if (!strcmp(c->notes[i], name))
			return (long)i;
	return -1;
}

static enum pt_items_mode items_mode(struct match_ctx *c, const char *name,
				     long note)
{
	enum pt_items_mode m;

	if (c->spec && c->spec->items >= 0)
		return (enum pt_items_mode)c->spec->items;
	if (note >= 0 && !(c->note_flags[note] & PIPETRACE_STAGE_F_ITEMS))
		return PT_ITEMS_NONE;
	if (pt_elf__func_items_mode(c->elf, name, &m) == 0)
		return m;
	/* Annotated as a count but no DWARF: assume long, as documented. */
	return note >= 0 ? PT_ITEMS_S64 : PT_ITEMS_NONE;
}

static int add_stage(struct match_ctx *c, const struct pt_sym *sym, long note)
{
	struct pt_stage_set *out = c->out;
	struct pt_stage *s;
	size_t i;

	for (i = 0; i < out->n; i++)
		if (out->v[i].addr == sym->addr &&
		    !strcmp(out->v[i].object, c->shown))
			return 0; /* an alias, or matched by two specs */
	if (out->n >= PT_STAGES_MAX)
		return -E2BIG;
	s = realloc(out->v, (out->n + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	out->v = s;
	s = &s[out->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(sym->name);
	s->object = strdup(c->shown);
	s->attach_path = strdup(c->open_path);
	s->addr = sym->addr;
	s->file_off = sym->file_off;
	s->annotated = note >= 0;
	s->items = items_mode(c, sym->name, note);
	s->fn_class = pt_probe_entry__at(c->open_path, sym->file_off, sym->size,
					 &s->entry_skip);
	s->file_off += s->entry_skip;
	s->probe_class = s->fn_class;
	out->n++;
	if (!s->name || !s->object || !s->attach_path)
		return -ENOMEM;
	return add_sites(c, s, sym->size);
}

/*
 * Functions that are not entered by a call, so the slot where a uretprobe
 * puts its return address holds something else (argc for an entry point, a
 * signal frame for a sigreturn trampoline): probing them would corrupt the
 * target. Never probed.
 */
static bool unsafe_to_probe(const struct match_ctx *c, const struct pt_sym *sym)
{
	static const char *const names[] = {
		"_start",
		"_dl_start_user",
		"__restore_rt",
		"__restore",
	};
	size_t i;

	if (sym->addr == pt_elf__entry(c->elf))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(sym->name, names[i]))
			return true;
	return false;
}

static int match_sym(const struct pt_sym *sym, void *arg)
{
	struct match_ctx *c = arg;
	long note = note_index(c, sym->name);
	int ret;

	if (c->spec) {
		if (fnmatch(c->spec->pattern, sym->name, 0))
			return 0;
	} else if (note < 0) {
		return 0;
	}
	if (sym->kind == PT_SYM_IFUNC) {
		c->ifuncs++;
		return 0;
	}
	if (unsafe_to_probe(c, sym)) {
		c->unsafe++;
		return 0;
	}
	ret = add_stage(c, sym, note);
	if (ret)
		return ret;
	c->matched++;
	return 0;
}

static void match_ctx_free(struct match_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	free(c->note_flags);
	free(c->sites);
	if (c->elf)
		pt_elf__close(c->elf);
}

/* Annotated stages in annotation (source) order, then by address. */
static int stage_order(const void *a, const void *b, void *arg)
{
	const struct pt_stage *x = a, *y = b;
	const struct match_ctx *c = arg;
	long nx = note_index(c, x->name), ny = note_index(c, y->name);

	if (nx >= 0 && ny >= 0 && nx != ny)
		return nx < ny ? -1 : 1;
	if ((nx >= 0) != (ny >= 0))
		return nx >= 0 ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Adds the stages that spec (NULL: the annotations) names in object. */
static int resolve_one(const struct pt_target *t, const struct pt_spec *spec,
		       struct pt_stage_set *out, char *err, size_t errlen)
{
	struct match_ctx c = { .spec = spec, .out = out };
	const char *object = spec ? spec->object : NULL;
	size_t first = out->n;
	char *shown = NULL, *open_path = NULL;
	int ret;

	ret = pt_target__find_object(t, object, &shown, &open_path, err,
				     errlen);
	if (ret)
		return ret;
	ret = open_elf(open_path, shown, &c.elf, err, errlen);
	if (ret)
		goto out;
	c.shown = shown;
	c.open_path = open_path;
	ret = pt_elf__for_each_stage_note(c.elf, collect_note, &c);
	if (ret < 0) {
		pt_errf(err, errlen, ret, "%s: cannot read stage notes: %s",
			shown, strerror(-ret));
		goto out;
	}
	ret = pt_elf__sites(c.elf, &c.sites, &c.nsites);
	if (ret < 0) {
		pt_errf(err, errlen, ret, "%s: cannot read probe sites: %s",
			shown, strerror(-ret));
		goto out;
	}
	ret = pt_elf__for_each_func(c.elf, match_sym, &c);
	if (ret == -E2BIG) {
		pt_errf(err, errlen, ret,
			"too many stages: more than %d functions match; narrow the -s patterns",
			PT_STAGES_MAX);
		goto out;
	}
	if (ret < 0) {
		pt_errf(err, errlen, ret, "%s: cannot read symbols: %s", shown,
			strerror(-ret));
		goto out;
	}
	qsort_r(out->v + first, out->n - first, sizeof(*out->v), stage_order,
		&c);
	if (c.matched == 0) {
		ret = -ENOENT;
		if (!spec)
			pt_errf(err, errlen, ret,
				"%s has no stage annotations; name functions with -s PATTERN (see: pipetrace list %s)",
				shown, shown);
		else if (c.unsafe && !c.ifuncs)
			pt_errf(err, errlen, ret,
				"'-s %s' matches only functions entered without a call (entry points, signal trampolines) in %s; probing them would corrupt the target",
				spec->text, shown);
		else if (c.ifuncs)
			pt_errf(err, errlen, ret,
				"'-s %s' matches only IFUNC resolvers in %s; name the implementation instead (see: pipetrace list)",
				spec->text, shown);
		else if (t->pid > 0 && object)
			pt_errf(err, errlen, ret,
				"symbol not found: no function matches '-s %s' in %s; see: pipetrace list -p %d '%s:*'",
				spec->text, shown, t->pid, object);
		else if (t->pid > 0)
			pt_errf(err, errlen, ret,
				"symbol not found: no function matches '-s %s' in %s; see: pipetrace list -p %d",
				spec->text, shown, t->pid);
		else
			pt_errf(err, errlen, ret,
				"symbol not found: no function matches '-s %s' in %s; see: pipetrace list %s",
				spec->text, shown, shown);
	}
out:
	match_ctx_free(&c);
	free(shown);
	free(open_path);
	return ret;
}

int pt_stages__resolve(const struct pt_target *t, const struct pt_spec *specs,
		       size_t nspecs, struct pt_stage_set *out, char *err,
		       size_t errlen)
{
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (nspecs == 0)
		ret = resolve_one(t, NULL, out, err, errlen);
	for (i = 0; i < nspecs && !ret; i++)
		ret = resolve_one(t, &specs[i], out, err, errlen);
	if (ret) {
		if (ret == -ENOMEM)
			pt_errf(err, errlen, ret, "out of memory");
		pt_stages__free(out);
	}
	return ret;
}

void pt_stages__free(struct pt_stage_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].object);
		free(s->v[i].attach_path);
		free(s->v[i].sites);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
