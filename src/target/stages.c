// SPDX-License-Identifier: MIT
/*
 * stages.c - stage-spec matching: the functions of a target's objects that
 * -s specs (or stage annotations) name, as stages to probe (see stages.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pipetrace/stage.h>

#include "symbols/demangle.h"
#include "symbols/elfsyms.h"
#include "util/log.h"
#include "target/stages.h"

_Static_assert((unsigned long long)PIPETRACE_ITEMS_UNSET == PT_ITEMS_UNSET,
	       "stage.h and the ABI disagree on the unset item count");

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
	size_t matched, ifuncs, unsafe, cold, refused;
	const char *cold_name; /* the first cold fragment matched */
	int lang; /* enum pt_lang of the object and the executable */
	struct pt_go_layout go; /* PT_LANG_GO: what the g holds where */
	uint64_t goexit_off; /* runtime.goexit1's file offset, or 0 */
	bool goexit_added; /* probed (once, with the first Go stage) */
	int err;
	char shown_name[PT_DEMANGLE_BUF]; /* add_stage()'s scratch */
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

/* Index of name among the object's annotations, or -1. */
static long note_index(const struct match_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnotes; i++)
		if (!strcmp(c->notes[i], name))
			return (long)i;
	return -1;
}

/*
 * How a stage's return value is read (issue 12): as the spec's ",items=MODE"
 * when given; for a stage annotated as a count, by its DWARF return type
 * (long without DWARF); otherwise not at all. A return value is not a count
 * unless someone said so.
 */
static enum pt_items_mode items_mode(struct match_ctx *c, const char *name,
				     long note)
{
	enum pt_items_mode m;

	if (c->spec && c->spec->items >= 0)
		return (enum pt_items_mode)c->spec->items;
	if (note < 0 || !(c->note_flags[note] & PIPETRACE_STAGE_F_ITEMS))
		return PT_ITEMS_NONE;
	if (pt_elf__func_items_mode(c->elf, name, &m) == 0)
		return m;
	return PT_ITEMS_S64;
}

/* Frees what stage s holds. */
static void stage_free(struct pt_stage *s)
{
	free(s->name);
	free(s->symbol);
	free(s->object);
	free(s->attach_path);
	free(s->sites);
	free(s->exit_flags);
}

/*
 * Probes s, the last stage of c->out, on its return instructions (code
 * that exceptions unwind through); a function whose return instructions
 * cannot be found is refused with a warning: a return probe would harm it.
 */
static int use_retsites(struct match_ctx *c, struct pt_stage *s, uint64_t size)
{
	int ret = pt_stage__use_retsites(s, c->open_path, size);

	if (ret == 0 || ret == -ENOMEM)
		return ret;
	pt_warn("%s: not traced: %s, and a return probe would break unwinding through it (%s)",
		s->name, pt_probe_rets__why(ret), pt_probe_lang__why(c->lang));
	stage_free(s);
	c->out->n--;
	c->refused++;
	return 1; /* not a match */
}

/* Probes s, the last stage of c->out, a Go function, on its entry and
 * return instructions (use_retsites()'s Go counterpart). */
static int use_gosites(struct match_ctx *c, struct pt_stage *s, uint64_t size)
{
	int ret = pt_stage__use_gosites(s, c->open_path, size, &c->go);

	if (ret == 0 && c->goexit_off && !c->goexit_added) {
		c->goexit_added = true;
		ret = pt_stage__add_goexit(s, c->goexit_off);
	}
	if (ret == 0 || ret == -ENOMEM)
		return ret;
	pt_warn("%s: not traced: %s, and a return probe would kill the Go program when the goroutine's stack grows",
		s->name, pt_probe_rets__why(ret));
	stage_free(s);
	c->out->n--;
	c->refused++;
	return 1; /* not a match */
}

/* Whether symbol a names a function better than its alias b: fewer
 * leading underscores (write, not __write or glibc's internal
 * __GI___write, which a debug file's .symtab lists first), then shorter. */
static bool better_alias(const char *a, const char *b)
{
	size_t ua = strspn(a, "_"), ub = strspn(b, "_");

	return ua != ub ? ua < ub : strlen(a) < strlen(b);
}

/* Stage s named by its alias sym instead, if that names it better. */
static int rename_alias(struct match_ctx *c, struct pt_stage *s,
			const struct pt_sym *sym)
{
	char *symbol, *name;

	if (!better_alias(sym->name, s->symbol))
		return 0;
	symbol = strdup(sym->name);
	name = strdup(pt_demangle__display(sym->name, 0, c->shown_name,
					   sizeof(c->shown_name)));
	if (!symbol || !name) {
		free(symbol);
		free(name);
		return -ENOMEM;
	}
	free(s->symbol);
	free(s->name);
	s->symbol = symbol;
	s->name = name;
	return 0;
}

static int add_stage(struct match_ctx *c, const struct pt_sym *sym, long note)
{
	struct pt_stage_set *out = c->out;
	struct pt_stage *s;
	size_t i;

	for (i = 0; i < out->n; i++)
		if (out->v[i].addr == sym->addr &&
		    !strcmp(out->v[i].object, c->shown))
			/* an alias, or matched by two specs */
			return note < 0 && !out->v[i].annotated ?
				       rename_alias(c, &out->v[i], sym) :
				       0;
	if (out->n >= PT_MAX_TRACED_STAGES)
		return -E2BIG;
	s = realloc(out->v, (out->n + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	out->v = s;
	s = &s[out->n];
	memset(s, 0, sizeof(*s));
	s->symbol = strdup(sym->name);
	s->name = strdup(pt_demangle__display(sym->name, 0, c->shown_name,
					      sizeof(c->shown_name)));
	s->object = strdup(c->shown);
	s->attach_path = strdup(c->open_path);
	s->addr = sym->addr;
	s->file_off = sym->file_off;
	s->annotated = note >= 0;
	s->items = items_mode(c, sym->name, note);
	s->fn_items = s->items;
	s->items_explicit = c->spec && c->spec->items >= 0;
	s->fn_class = pt_probe_entry__at(c->open_path, sym->file_off, sym->size,
					 &s->entry_skip);
	s->file_off += s->entry_skip;
	s->probe_class = s->fn_class;
	out->n++;
	if (!s->name || !s->symbol || !s->object || !s->attach_path)
		return -ENOMEM;
	if (c->lang == PT_LANG_UNWIND)
		return use_retsites(c, s, sym->size);
	if (c->lang == PT_LANG_GO)
		return use_gosites(c, s, sym->size);
	return pt_stage__add_sites(s, c->sites, c->nsites, sym->size);
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
		if (!pt_demangle__match(c->spec->pattern, sym->name))
			return 0;
	} else if (note < 0) {
		return 0;
	}
	if (sym->cold) {
		if (!c->cold++)
			c->cold_name = sym->name;
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
		return ret < 0 ? ret : 0;
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
	long nx = note_index(c, x->symbol), ny = note_index(c, y->symbol);

	if (nx >= 0 && ny >= 0 && nx != ny)
		return nx < ny ? -1 : 1;
	if ((nx >= 0) != (ny >= 0))
		return nx >= 0 ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A spec that matched only cold fragments: name the functions instead. */
static int cold_error(const struct match_ctx *c, char *err, size_t errlen)
{
	const char *name = c->cold_name;
	int n = (int)pt_sym__cold_parent_len(name, strlen(name));

	if (c->cold == 1)
		return pt_errf(
			err, errlen, -EINVAL,
			"%s is a cold fragment of %.*s, not a function entry; probe %.*s",
			name, n, name, n, name);
	return pt_errf(
		err, errlen, -EINVAL,
		"'-s %s' matches only cold fragments (such as %s, of %.*s), not function entries; probe the functions they belong to",
		c->spec->text, name, n, name);
}

/* The message for a spec (NULL: the annotations) that matched nothing. */
static int no_match(const struct pt_target *t, const struct match_ctx *c,
		    char *err, size_t errlen)
{
	const struct pt_spec *spec = c->spec;
	const char *object = spec ? spec->object : NULL;
	const char *shown = c->shown;
	int ret = -ENOENT;

	if (!spec)
		return pt_errf(
			err, errlen, ret,
			"%s has no stage annotations; name functions with -s PATTERN (see: pipetrace list %s)",
			shown, shown);
	if (c->refused)
		return pt_errf(
			err, errlen, ret,
			"'-s %s' matches only functions of %s that cannot be traced safely (see the warnings above)",
			spec->text, shown);
	if (c->cold && !c->unsafe && !c->ifuncs)
		return cold_error(c, err, errlen);
	if (c->unsafe && !c->ifuncs)
		return pt_errf(
			err, errlen, ret,
			"'-s %s' matches only functions entered without a call (entry points, signal trampolines) in %s; probing them would corrupt the target",
			spec->text, shown);
	if (c->ifuncs)
		return pt_errf(
			err, errlen, ret,
			"'-s %s' matches only IFUNC resolvers in %s; name the implementation instead (see: pipetrace list)",
			spec->text, shown);
	if (pt_elf__stripped(c->elf))
		return pt_errf(
			err, errlen, ret,
			"symbol not found: no function matches '-s %s' in %s, which is stripped (no .symtab, no matching debug file): only its exported functions have names; install its debug symbols (Debian: its -dbgsym package) or name a library's function (OBJECT:PATTERN)",
			spec->text, shown);
	if (t->pid > 0 && object)
		return pt_errf(
			err, errlen, ret,
			"symbol not found: no function matches '-s %s' in %s; see: pipetrace list -p %d '%s:*'",
			spec->text, shown, t->pid, object);
	if (t->pid > 0)
		return pt_errf(
			err, errlen, ret,
			"symbol not found: no function matches '-s %s' in %s; see: pipetrace list -p %d",
			spec->text, shown, t->pid);
	return pt_errf(
		err, errlen, ret,
		"symbol not found: no function matches '-s %s' in %s; see: pipetrace list %s",
		spec->text, shown, shown);
}

/* Where a goroutine ends: runtime.goexit1 (ABIInternal, g in %r14). */
static int find_goexit(const struct pt_sym *sym, void *arg)
{
	struct match_ctx *c = arg;

	if (sym->kind == PT_SYM_FUNC && !strcmp(sym->name, "runtime.goexit1"))
		c->goexit_off = sym->file_off;
	return 0;
}

/*
 * How c's object must be probed (c->lang), by evidence in it and in the
 * target's executable. Go code gets plain probes at entry and return
 * instructions, paired by goroutine (goroutine stacks move and goroutines
 * change threads: neither the kernel's return probes nor frames paired by
 * thread survive that); other code in a Go program (cgo, on the system
 * stack) is refused. Returns 0 or -errno with a message.
 */
static int object_lang(const struct pt_target *t, struct match_ctx *c,
		       char *err, size_t errlen)
{
	int obj = pt_probe_lang__of(c->open_path), exe = PT_LANG_PLAIN, ret;

	if (t->exe_open && strcmp(t->exe_open, c->open_path))
		exe = pt_probe_lang__of(t->exe_open);
	c->lang = obj > exe ? obj : exe;
	if (c->lang == PT_LANG_GO && obj != PT_LANG_GO)
		return pt_errf(
			err, errlen, -EPROTONOSUPPORT,
			"%s: not Go code, in the Go program %s: only a Go program's own Go functions are traced",
			c->shown, t->exe);
	if (c->lang != PT_LANG_GO)
		return 0;
	if (pt_elf__go_layout(c->elf, &c->go))
		c->go.stack_hi = c->go.goid = -1; /* paired by depth only */
	ret = pt_elf__for_each_func(c->elf, find_goexit, c);
	if (ret < 0)
		return pt_errf(err, errlen, ret, "%s: cannot read symbols: %s",
			       c->shown, strerror(-ret));
	return 0;
}

/* Whether a spec that names nothing in an object is an error. */
enum optional {
	OPT_NO, /* always */
	OPT_IF_STARTER, /* unless the object starts other programs */
	OPT_LIB_IF_STARTER, /* a library not found, when the executable
			     * starts other programs (theirs may have it);
			     * one found must have the functions */
	OPT_YES, /* never */
};

/* Whether the ELF starts other programs (it imports exec*, posix_spawn*,
 * system or popen): the programs it starts may have the functions. */
static bool starts_programs(struct pt_elf *elf)
{
	static const char *const starters[] = {
		"execve",	"execv",  "execvp",  "execvpe",	 "execl",
		"execlp",	"execle", "fexecve", "execveat", "posix_spawn",
		"posix_spawnp", "system", "popen",
	};

	return pt_elf__imports(elf, starters,
			       sizeof(starters) / sizeof(starters[0])) == 1;
}

/* Whether t's executable starts other programs (see starts_programs()). */
static bool exe_starts_programs(const struct pt_target *t)
{
	struct pt_elf *e;
	bool yes;

	if (!t->exe_open || pt_elf__open(t->exe_open, &e))
		return false;
	yes = starts_programs(e);
	pt_elf__close(e);
	return yes;
}

/*
 * A launched command's library stage whose function the executable has
 * itself while it does not link the library (Debian's perl and python3
 * have libperl's and libpython's functions built in): the program calls
 * its own copy, and the library's stages count only if something loads
 * it. Says so, once per spec, before anything is attached.
 */
static void warn_own_copy(const struct pt_target *t, const char *object,
			  const char *shown, const struct pt_stage *st)
{
	const char *base = strrchr(shown, '/'), *lib = strrchr(object, '/');
	struct pt_elf *e;

	if (t->pid > 0 || !t->exe_open || pt_elf__open(t->exe_open, &e))
		return;
	base = base ? base + 1 : shown;
	lib = lib ? lib + 1 : object; /* the name a DT_NEEDED would give */
	if (pt_elf__has_func(e, st->symbol) && !pt_elf__needs(e, base) &&
	    !pt_elf__needs(e, lib))
		pt_warn("%s has %s itself and does not link %s: its calls go to its own copy, and %s:%s counts only if something loads the library; trace the program's: -s '%s'",
			t->exe, st->symbol, lib, lib, st->symbol, st->symbol);
	pt_elf__close(e);
}

/* Adds the stages that spec (NULL: the annotations) names in object; one
 * that names none is an error as optional says. */
static int resolve_one(const struct pt_target *t, const struct pt_spec *spec,
		       enum optional optional, struct pt_stage_set *out,
		       bool *named, char *err, size_t errlen)
{
	struct match_ctx c = { .spec = spec, .out = out };
	const char *object = spec ? spec->object : NULL;
	size_t first = out->n;
	char *shown = NULL, *open_path = NULL;
	int ret;

	ret = pt_target__find_object(t, object, &shown, &open_path, err,
				     errlen);
	if (ret == -ENOENT && object && !strchr(object, '/') &&
	    (optional == OPT_YES ||
	     (optional == OPT_LIB_IF_STARTER && exe_starts_programs(t)))) {
		err[0] = '\0'; /* a library this program does not have */
		return 0;
	}
	if (ret)
		return ret;
	ret = open_elf(open_path, shown, &c.elf, err, errlen);
	if (ret)
		goto out;
	c.shown = shown;
	c.open_path = open_path;
	ret = object_lang(t, &c, err, errlen);
	if (ret)
		goto out;
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
			PT_MAX_TRACED_STAGES);
		goto out;
	}
	if (ret < 0) {
		pt_errf(err, errlen, ret, "%s: cannot read symbols: %s", shown,
			strerror(-ret));
		goto out;
	}
	qsort_r(out->v + first, out->n - first, sizeof(*out->v), stage_order,
		&c);
	*named = c.matched > 0;
	if (object && out->n > first)
		warn_own_copy(t, object, shown, &out->v[first]);
	if (c.matched == 0 &&
	    (optional == OPT_NO || optional == OPT_LIB_IF_STARTER ||
	     (optional == OPT_IF_STARTER && !starts_programs(c.elf))))
		ret = no_match(t, &c, err, errlen);
out:
	match_ctx_free(&c);
	free(shown);
	free(open_path);
	return ret;
}

/* What resolve() takes of the specs. */
enum resolve_mode {
	RESOLVE_ALL, /* every spec must match */
	RESOLVE_EXE_OPTIONAL, /* specs without OBJECT may match nothing */
	RESOLVE_EXE_ONLY, /* specs without OBJECT or with a library's name
			   * (found as this program's loader will), each
			   * optional */
};

/* How far the annotations (or a spec without OBJECT) may name nothing. */
static enum optional opt_of(enum resolve_mode mode)
{
	return mode == RESOLVE_EXE_ONLY	    ? OPT_YES :
	       mode == RESOLVE_EXE_OPTIONAL ? OPT_IF_STARTER :
					      OPT_NO;
}

/* How far spec may name nothing, in mode. A library by name may be one
 * only the programs started later have (found through their own run
 * paths); one by path, in the first program, must be there. */
static enum optional spec_optional(const struct pt_spec *spec,
				   enum resolve_mode mode)
{
	if (mode == RESOLVE_EXE_ONLY)
		return OPT_YES;
	if (mode == RESOLVE_EXE_OPTIONAL && spec->object &&
	    !strchr(spec->object, '/'))
		return OPT_LIB_IF_STARTER;
	return spec->object ? OPT_NO : opt_of(mode);
}

/* The specs' stages appended to out (the ones added are freed on error). */
static int resolve(const struct pt_target *t, const struct pt_spec *specs,
		   size_t nspecs, enum resolve_mode mode,
		   struct pt_stage_set *out, char *err, size_t errlen)
{
	enum optional opt = opt_of(mode);
	size_t i, first = out->n;
	bool named = false;
	int ret = 0;

	if (nspecs == 0)
		ret = resolve_one(t, NULL, opt, out, &named, err, errlen);
	for (i = 0; i < nspecs && !ret; i++) {
		if (mode == RESOLVE_EXE_ONLY && specs[i].object &&
		    strchr(specs[i].object, '/'))
			continue;
		named = false;
		ret = resolve_one(t, &specs[i], spec_optional(&specs[i], mode),
				  out, &named, err, errlen);
		if (named && i < 64)
			out->spec_named |= 1ull << i;
	}
	if (ret == -ENOMEM)
		pt_errf(err, errlen, ret, "out of memory");
	if (ret)
		pt_stages__truncate(out, first);
	return ret;
}

int pt_stages__resolve(const struct pt_target *t, const struct pt_spec *specs,
		       size_t nspecs, struct pt_stage_set *out, char *err,
		       size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = resolve(t, specs, nspecs, RESOLVE_ALL, out, err, errlen);
	if (ret)
		pt_stages__free(out);
	return ret;
}

int pt_stages__resolve_several(const struct pt_target *t,
			       const struct pt_spec *specs, size_t nspecs,
			       struct pt_stage_set *out, char *err,
			       size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = resolve(t, specs, nspecs, RESOLVE_EXE_OPTIONAL, out, err, errlen);
	if (ret)
		pt_stages__free(out);
	return ret;
}

int pt_stages__resolve_exe(const struct pt_target *t,
			   const struct pt_spec *specs, size_t nspecs,
			   struct pt_stage_set *out, char *err, size_t errlen)
{
	return resolve(t, specs, nspecs, RESOLVE_EXE_ONLY, out, err, errlen);
}

bool pt_stages__spec_named(const struct pt_stage_set *set, size_t i)
{
	return i >= 64 || (set->spec_named >> i & 1);
}

void pt_stages__truncate(struct pt_stage_set *s, size_t n)
{
	while (s->n > n)
		stage_free(&s->v[--s->n]);
}

void pt_stages__free(struct pt_stage_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		stage_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
