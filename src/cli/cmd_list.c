// SPDX-License-Identifier: MIT
/*
 * cmd_list.c - `pipetrace list [-p PID | FILE] [SPEC]`: the functions a -s
 * SPEC can name, annotated stages first, then the rest by name (KIND cold:
 * a cold fragment, which no SPEC probes); with --sites, the nop5 probe
 * sites PIPETRACE_ENTER() placed in them. C++ and Rust symbols are shown
 * demangled beside the raw name (NAME  DEMANGLED: raw names hold no space,
 * so the demangled one is the rest of the line), and SPEC matches either.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipetrace/stage.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "symbols/demangle.h"
#include "symbols/elfsyms.h"
#include "util/log.h"
#include "target/stages.h"

struct entry {
	char *name;
	char *demangled; /* NULL: not a mangled name */
	uint64_t addr, size;
	enum pt_sym_kind kind;
	bool cold; /* a cold fragment, not a function entry */
	int note; /* annotation flags, or -1 */
};

struct list_ctx {
	const char *pattern;
	struct entry *v;
	size_t n;
	struct pt_stage_note *notes;
	size_t nnotes;
	struct pt_site_note *sites;
	size_t nsites;
	char buf[PT_DEMANGLE_BUF];
};

static int add_note(const struct pt_stage_note *note, void *arg)
{
	struct list_ctx *c = arg;
	struct pt_stage_note *v;

	v = realloc(c->notes, (c->nnotes + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->notes = v;
	v[c->nnotes].name = strdup(note->name);
	v[c->nnotes].flags = note->flags;
	if (!v[c->nnotes].name)
		return -ENOMEM;
	c->nnotes++;
	return 0;
}

/* Prints the probe sites of the listed functions: "site KIND FILEOFF FUNC". */
static void print_sites(const struct list_ctx *c)
{
	size_t i, j;

	printf("%-8s %-5s %18s  %s\n", "KIND", "SITE", "FILE OFFSET",
	       "FUNCTION");
	for (i = 0; i < c->nsites; i++) {
		const struct pt_site_note *x = &c->sites[i];

		for (j = 0; j < c->n; j++) {
			const struct entry *e = &c->v[j];

			if (x->addr < e->addr || x->addr - e->addr >= e->size)
				continue;
			printf("%-8s %-5s 0x%016llx  %s\n", "site",
			       x->kind == PIPETRACE_SITE_ENTRY ? "entry" :
								 "exit",
			       (unsigned long long)x->file_off, e->name);
			break;
		}
	}
}

static int add_sym(const struct pt_sym *sym, void *arg)
{
	struct list_ctx *c = arg;
	const char *shown;
	struct entry *v;
	size_t i;

	if (c->pattern && !pt_demangle__match(c->pattern, sym->name))
		return 0;
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	v = &v[c->n];
	v->name = strdup(sym->name);
	/* As the report shows it: a C++ constructor or destructor with its
	 * symbol, its variants demangling alike. */
	shown = pt_demangle__display(sym->name, 0, c->buf, sizeof(c->buf));
	v->demangled = shown == c->buf ? strdup(shown) : NULL;
	if (!v->name || (shown == c->buf && !v->demangled)) {
		free(v->name);
		free(v->demangled);
		return -ENOMEM;
	}
	v->addr = sym->addr;
	v->size = sym->size;
	v->kind = sym->kind;
	v->cold = sym->cold;
	v->note = -1;
	for (i = 0; i < c->nnotes; i++)
		if (!strcmp(c->notes[i].name, sym->name))
			v->note = c->notes[i].flags;
	c->n++;
	return 0;
}

static const char *shown(const struct entry *e)
{
	return e->demangled ? e->demangled : e->name;
}

/* Annotated first, then by the name shown (demangled), then raw. */
/* Where the names came from, when not from the file's own .symtab. */
static void print_symbol_source(struct pt_elf *elf)
{
	const char *debug = pt_elf__debug_path(elf);

	if (debug)
		printf("# names from its separate debug file %s\n", debug);
	else if (pt_elf__stripped(elf))
		printf("# stripped (no .symtab, no matching debug file): only its exported functions are named; install its debug symbols (Debian: its -dbgsym package, under /usr/lib/debug/.build-id/)\n");
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int d;

	if ((x->note >= 0) != (y->note >= 0))
		return x->note >= 0 ? -1 : 1;
	d = strcmp(shown(x), shown(y));
	return d ? d : strcmp(x->name, y->name);
}

void pt_cmd_list_usage(FILE *f)
{
	fputs("usage: pipetrace list [-p PID | FILE] [SPEC] [--sites]\n"
	      "List the functions a -s SPEC can name: annotated stages first,\n"
	      "then every function symbol of the main executable (or of OBJECT\n"
	      "when SPEC is OBJECT:PATTERN). C++ and Rust names are shown\n"
	      "demangled after the symbol; SPEC matches the symbol or the\n"
	      "demangled name, with or without parameters ('ns::C::*').\n"
	      "A FILE with no '/' that is no file here is a command found\n"
	      "through PATH; a script is listed by its #! interpreter.\n"
	      "\n"
	      "  -p, --pid PID   the executable and libraries of a running process\n"
	      "      --sites     the nop5 probe sites PIPETRACE_ENTER() placed\n"
	      "  -v, --verbose   debug output\n"
	      "  -h, --help      this text\n",
	      f);
}

enum { OPT_SITES = 256 };

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "sites", no_argument, NULL, OPT_SITES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int bad_option(int c, char **argv, char *err, size_t errlen)
{
	if (c == ':')
		return pt_errf(
			err, errlen, -EINVAL,
			"option '%s' needs a value; see pipetrace list --help",
			argv[optind - 1]);
	return pt_errf(err, errlen, -EINVAL,
		       "unknown option '%s'; see pipetrace list --help",
		       argv[optind - 1]);
}

/* The operands: [FILE] [SPEC], FILE only without -p. */
static int parse_operands(int argc, char **argv, struct pt_list_opts *o,
			  char *err, size_t errlen)
{
	int ret;

	if (optind < argc && !o->pid)
		o->file = argv[optind++];
	if (optind < argc) {
		ret = pt_spec__parse(argv[optind++], &o->spec, err, errlen);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return pt_errf(
			err, errlen, -EINVAL,
			"unexpected argument '%s'; usage: pipetrace list [-p PID | FILE] [SPEC]",
			argv[optind]);
	if (!o->pid && !o->file)
		return pt_errf(err, errlen, -EINVAL,
			       "nothing to list; give -p PID or an ELF FILE");
	return 0;
}

int pt_list_opts__parse(int argc, char **argv, struct pt_list_opts *o,
			char *err, size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0; /* 0: GNU getopt starts over (ordering included) */
	while ((c = getopt_long(argc, argv, ":p:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (pt_opts__parse_pid(optarg, &o->pid))
				return pt_errf(
					err, errlen, -EINVAL,
					"bad PID '%s'; give a positive process id",
					optarg);
			break;
		case OPT_SITES:
			o->sites = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return bad_option(c, argv, err, errlen);
		}
	}
	return parse_operands(argc, argv, o, err, errlen);
}

void pt_list_opts__free(struct pt_list_opts *o)
{
	free(o->spec.object);
	free(o->spec.pattern);
	o->spec.object = o->spec.pattern = NULL;
}

static int list(const struct pt_list_opts *o)
{
	const struct pt_spec *spec = o->spec.pattern ? &o->spec : NULL;
	struct list_ctx c = { .pattern = spec ? spec->pattern : NULL };
	char *shown = NULL, *open_path = NULL, err[512];
	struct pt_target t = { 0 };
	struct pt_elf *elf = NULL;
	int ret, code = 1;
	size_t i;

	if (o->pid)
		ret = pt_target__from_pid(&t, o->pid, err, sizeof(err));
	else
		ret = pt_target__from_file(&t, o->file, err, sizeof(err));
	if (!ret)
		ret = pt_target__find_object(&t, spec ? spec->object : NULL,
					     &shown, &open_path, err,
					     sizeof(err));
	if (ret) {
		pt_err("%s", err);
		goto out;
	}
	ret = pt_elf__open(open_path, &elf);
	if (ret) {
		if (ret == -ENOEXEC)
			pt_err("%s: not an ELF file; list takes an ELF program or library",
			       shown);
		else
			pt_err("%s: %s", shown, strerror(-ret));
		goto out;
	}
	ret = pt_elf__for_each_stage_note(elf, add_note, &c);
	if (ret >= 0)
		ret = pt_elf__sites(elf, &c.sites, &c.nsites);
	if (ret >= 0)
		ret = pt_elf__for_each_func(elf, add_sym, &c);
	if (ret < 0) {
		pt_err("%s: cannot read symbols: %s", shown, strerror(-ret));
		goto out;
	}
	qsort(c.v, c.n, sizeof(*c.v), entry_cmp);
	if (o->sites) {
		print_sites(&c);
		code = 0;
		goto out;
	}
	printf("# %s: %zu function%s%s%s\n", shown, c.n, c.n == 1 ? "" : "s",
	       c.pattern ? " matching " : "", c.pattern ? c.pattern : "");
	printf("%-8s %18s %8s  %s\n", "KIND", "ADDRESS", "SIZE",
	       "NAME  DEMANGLED");
	for (i = 0; i < c.n; i++) {
		const struct entry *e = &c.v[i];
		const char *kind = e->kind == PT_SYM_IFUNC ? "ifunc" : "func";

		if (e->note >= 0)
			kind = e->note & PIPETRACE_STAGE_F_ITEMS ? "stage" :
								   "stage-";
		else if (e->cold)
			kind = "cold"; /* never probed: see pt_sym.cold */
		printf("%-8s 0x%016llx %8llu  %s%s%s\n", kind,
		       (unsigned long long)e->addr, (unsigned long long)e->size,
		       e->name, e->demangled ? "  " : "",
		       e->demangled ? e->demangled : "");
	}
	if (c.nsites)
		printf("# %zu nop5 probe sites (PIPETRACE_ENTER()): pipetrace list --sites, pipetrace --sites\n",
		       c.nsites);
	print_symbol_source(elf);
	code = 0;
out:
	free(c.sites);
	for (i = 0; i < c.n; i++) {
		free(c.v[i].name);
		free(c.v[i].demangled);
	}
	free(c.v);
	for (i = 0; i < c.nnotes; i++)
		free((char *)c.notes[i].name);
	free(c.notes);
	if (elf)
		pt_elf__close(elf);
	free(shown);
	free(open_path);
	pt_target__free(&t);
	return code;
}

int pt_cmd_list(int argc, char **argv)
{
	struct pt_list_opts o;
	char err[512];
	int code = 0;

	if (pt_list_opts__parse(argc, argv, &o, err, sizeof(err))) {
		pt_err("%s", err);
		code = 2;
	} else if (o.help) {
		pt_cmd_list_usage(stdout);
	} else {
		pt_log_set_level(o.verbose ? PT_LOG_DEBUG : PT_LOG_INFO);
		pt_log_install_libbpf();
		code = list(&o);
	}
	pt_list_opts__free(&o);
	return code;
}
