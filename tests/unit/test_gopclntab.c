// SPDX-License-Identifier: MIT
/*
 * test_gopclntab.c - a Go binary's functions named from its .gopclntab.
 *
 * tests/fixtures/fixture_go.go is built here twice with Debian's go (and
 * twice more with -buildmode=pie):
 * stripped as distributions and users ship Go (-ldflags='-s -w': no
 * .symtab, no DWARF) and not stripped. The linker lays .text out the same
 * in both (see check_same_text), so the unstripped build's symbol table,
 * as binutils' readelf prints it, is the truth for the stripped one. Without go the tests skip. Hostile tables are built here
 * byte by byte, and the real section cut short at every length up to 4 KiB
 * and with bytes of its header flipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <gelf.h>

#include <cmocka.h>

#include "symbols/elfsyms.h"
#include "symbols/gopclntab.h"
#include "symbols/symbolize.h"

#include "lib/paths.h"
#include "lib/ptest.h"
#include "lib/readelf.h"

#define GO "/usr/bin/go"
#define FX_GO PT_SOURCE_DIR "/tests/fixtures/fixture_go.go"
#define TIMEOUT 300.0

/* The two builds, made once (empty paths: go is missing or failed). */
struct gofx {
	char dir[64];
	char stripped[128], full[128];
	char pie_stripped[128], pie_full[128]; /* -buildmode=pie */
	const char *why; /* why the tests skip, or NULL */
};

#define REQUIRE_GO(g)                                                 \
	do {                                                          \
		if ((g)->why) {                                       \
			print_message("[  SKIP    ] %s\n", (g)->why); \
			skip();                                       \
		}                                                     \
	} while (0)

static int go_build(struct gofx *g, const char *out, const char *ldflags,
		    const char *mode)
{
	char cache[128], gopath[128];
	char *argv[] = { GO,	      "build", (char *)mode, "-ldflags",
			 (char *)ldflags, "-o",	   (char *)out,	 FX_GO,
			 NULL };
	char *err = NULL;
	int code;

	snprintf(cache, sizeof(cache), "%s/cache", g->dir);
	snprintf(gopath, sizeof(gopath), "%s/gopath", g->dir);
	setenv("GOCACHE", cache, 1);
	setenv("GOPATH", gopath, 1);
	setenv("GO111MODULE", "off", 1);
	setenv("GOFLAGS", "", 1);
	code = ptest_run(argv, TIMEOUT, NULL, &err);
	if (code)
		print_message("go build: %s\n", err ? err : "");
	free(err);
	return code;
}

static int group_setup(void **state)
{
	struct gofx *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	*state = g;
	if (access(GO, X_OK)) {
		g->why = "go is not installed (Debian: golang-go)";
		return 0;
	}
	snprintf(g->dir, sizeof(g->dir), "/tmp/pt-gotab.XXXXXX");
	if (!mkdtemp(g->dir))
		return -1;
	snprintf(g->stripped, sizeof(g->stripped), "%s/prog-sw", g->dir);
	snprintf(g->full, sizeof(g->full), "%s/prog-full", g->dir);
	snprintf(g->pie_stripped, sizeof(g->pie_stripped), "%s/pie-sw", g->dir);
	snprintf(g->pie_full, sizeof(g->pie_full), "%s/pie-full", g->dir);
	if (go_build(g, g->stripped, "-s -w", "-buildmode=exe") ||
	    go_build(g, g->full, "", "-buildmode=exe") ||
	    go_build(g, g->pie_stripped, "-s -w", "-buildmode=pie") ||
	    go_build(g, g->pie_full, "", "-buildmode=pie"))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	struct gofx *g = *state;
	char *argv[] = { "/bin/rm", "-rf", g->dir, NULL };

	if (g->dir[0])
		ptest_run(argv, 60, NULL, NULL);
	free(g);
	return 0;
}

/* ---------------------------------------------------------------- helpers */

/* The whole file at PATH (fails the test). */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The bytes of section NAME of PATH, as readelf places it. */
static unsigned char *section_bytes(const char *path, const char *name,
				    size_t *len, uint64_t *addr)
{
	struct ptest_sections s;
	const struct ptest_section *sec;
	unsigned char *file, *out;
	size_t flen;

	ptest_readelf_sections(path, &s);
	sec = ptest_section_named(&s, name);
	file = slurp(path, &flen);
	assert_true(sec->off <= flen && sec->size <= flen - sec->off);
	out = malloc(sec->size ? sec->size : 1);
	assert_non_null(out);
	memcpy(out, file + sec->off, sec->size);
	free(file);
	*len = sec->size;
	if (addr)
		*addr = sec->addr;
	return out;
}

static struct pt_gotab *open_table(const char *path)
{
	struct pt_gotab *t = NULL;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	assert_non_null(elf);
	assert_int_equal(pt_gotab__elf(elf, &t), 0);
	elf_end(elf);
	close(fd);
	return t;
}

/*
 * The truth: both builds' .text has the same address and size. Its bytes
 * differ where code refers to data (the stripped build's read-only data
 * sits lower, no .gosymtab content), but no instruction changes length,
 * so the functions are where the unstripped build's symbols say; that
 * every function of the table matches one (test_every_function) is what
 * confirms it.
 */
static void check_same_text_of(const char *stripped, const char *full)
{
	struct ptest_sections a, b;
	const struct ptest_section *ta, *tb;

	ptest_readelf_sections(stripped, &a);
	ptest_readelf_sections(full, &b);
	ta = ptest_section_named(&a, ".text");
	tb = ptest_section_named(&b, ".text");
	assert_int_equal(ta->addr, tb->addr);
	assert_int_equal(ta->size, tb->size);
}

static void check_same_text(const struct gofx *g)
{
	check_same_text_of(g->stripped, g->full);
}

/* ------------------------------------------------------------------ tests */

/* The stripped build has no symbol table: only pclntab can name it. */
static void test_stripped_has_no_symtab(void **state)
{
	struct gofx *g = *state;
	struct ptest_sections s;
	size_t i;

	REQUIRE_GO(g);
	ptest_readelf_sections(g->stripped, &s);
	for (i = 0; i < s.n; i++)
		assert_string_not_equal(s.v[i].name, ".symtab");
	assert_non_null(ptest_section_named(&s, ".gopclntab"));
}

/* The magic is one of the Go 1.18+ ones, as the installed go writes it. */
static void test_magic(void **state)
{
	struct gofx *g = *state;
	unsigned char *sec;
	uint32_t magic;
	size_t len;

	REQUIRE_GO(g);
	sec = section_bytes(g->stripped, ".gopclntab", &len, NULL);
	assert_true(len > 8);
	magic = (uint32_t)sec[0] | (uint32_t)sec[1] << 8 |
		(uint32_t)sec[2] << 16 | (uint32_t)sec[3] << 24;
	assert_true(magic == PT_GOPCLN_MAGIC_118 ||
		    magic == PT_GOPCLN_MAGIC_120);
	free(sec);
}

/* Known functions: entry and name at their first and last byte, and the
 * byte before one is not that function. */
static void test_known_functions(void **state)
{
	static const char *const names[] = {
		"main.leaf", "main.middle",  "main.outer",
		"main.main", "runtime.main", "runtime.schedule"
	};
	struct gofx *g = *state;
	struct pt_gotab *t;
	const char *name;
	uint64_t value, size, entry;
	size_t i;

	REQUIRE_GO(g);
	check_same_text(g);
	t = open_table(g->stripped);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ptest_readelf_symbol(g->full, names[i], &value, &size);
		assert_true(size > 0);
		assert_int_equal(pt_gotab__lookup(t, value, &name, &entry), 0);
		assert_string_equal(name, names[i]);
		assert_int_equal(entry, value);
		assert_int_equal(pt_gotab__lookup(t, value + size - 1, &name,
						  &entry),
				 0);
		assert_string_equal(name, names[i]);
		if (pt_gotab__lookup(t, value - 1, &name, &entry) == 0)
			assert_string_not_equal(name, names[i]);
	}
	pt_gotab__free(t);
}

/* FUNC symbols of readelf -sW's output OUT (cut up in place). */
struct syms {
	uint64_t value[8192];
	const char *name[8192];
	size_t n;
};

static void parse_syms(char *out, struct syms *y)
{
	char *line, *save = NULL;

	y->n = 0;
	for (line = strtok_r(out, "\n", &save); line && y->n < 8192;
	     line = strtok_r(NULL, "\n", &save)) {
		char type[16], name[512];
		unsigned long long v, size;
		int pos = 0;

		/* "  Num:    Value          Size Type    Bind   Vis  Ndx Name" */
		if (sscanf(line, " %*u: %llx %llu %15s %*s %*s %*s %n", &v,
			   &size, type, &pos) != 3 ||
		    strcmp(type, "FUNC") || !pos)
			continue;
		if (sscanf(line + pos, "%511s", name) != 1)
			continue;
		y->value[y->n] = v;
		y->name[y->n++] = line + pos;
	}
}

/*
 * Whether symbol SYM is the function pclntab calls NAME. The linker's
 * symbol of an assembly function ends in ".abi0" (its pclntab name does
 * not), and pclntab shortens a bracketed part of a name to "[...]"
 * (type..eq.[2]runtime.Frame is type..eq.[...]runtime.Frame).
 */
static bool same_func(const char *sym, const char *name)
{
	while (*sym && *name) {
		if (!strncmp(name, "[...]", 5) && *sym == '[') {
			int depth = 0;

			do
				depth += (*sym == '[') - (*sym == ']');
			while (*++sym && depth);
			name += 5;
			continue;
		}
		if (*sym++ != *name++)
			return false;
	}
	return !*name && (!*sym || !strcmp(sym, ".abi0"));
}

static bool has_sym(const struct syms *y, uint64_t value, const char *name)
{
	size_t i;

	for (i = 0; i < y->n; i++)
		if (y->value[i] == value && same_func(y->name[i], name))
			return true;
	return false;
}

/* Every function of the table is a function symbol of the unstripped
 * build at the same address (readelf -sW). */
static void test_every_function(void **state)
{
	struct gofx *g = *state;
	char *argv[] = { "/usr/bin/readelf", "-sW", g->full, NULL };
	struct syms *y = calloc(1, sizeof(*y));
	char *out = NULL;
	struct pt_gotab *t;
	size_t i, n, found = 0;

	REQUIRE_GO(g);
	assert_non_null(y);
	check_same_text(g);
	ptest_run_ok(argv, 60, &out, NULL);
	parse_syms(out, y);
	assert_true(y->n > 100);
	t = open_table(g->stripped);
	n = pt_gotab__count(t);
	assert_true(n > 100);
	for (i = 0; i < n; i++) {
		uint64_t entry, end;
		const char *name;

		assert_int_equal(pt_gotab__func(t, i, &entry, &end, &name), 0);
		assert_true(entry <= end);
		if (has_sym(y, entry, name))
			found++;
		else
			print_message("not in .symtab: %s at %#" PRIx64 "\n",
				      name, entry);
	}
	assert_int_equal(found, n);
	pt_gotab__free(t);
	free(out);
	free(y);
}

/* What pt_elf__for_each_func() gives for the functions named in it. */
struct elf_funcs {
	const char *const *names;
	size_t n, all;
	struct pt_sym found[8];
	bool seen[8];
};

static int collect_func(const struct pt_sym *sym, void *arg)
{
	struct elf_funcs *f = arg;
	size_t i;

	f->all++;
	for (i = 0; i < f->n; i++) {
		if (strcmp(sym->name, f->names[i]))
			continue;
		assert_false(f->seen[i]);
		f->seen[i] = true;
		f->found[i] = *sym;
	}
	return 0;
}

static void elf_funcs(const char *path, struct elf_funcs *f)
{
	struct pt_elf *e;
	size_t i;

	assert_int_equal(pt_elf__open(path, &e), 0);
	assert_int_equal(pt_elf__for_each_func(e, collect_func, f), 0);
	for (i = 0; i < f->n; i++) {
		uint64_t off;

		assert_true(f->seen[i]);
		assert_int_equal(pt_elf__addr_to_offset(e, f->found[i].addr,
							&off),
				 0);
		assert_int_equal(off, f->found[i].file_off);
		f->found[i].name = NULL; /* freed with e */
	}
	pt_elf__close(e);
}

/*
 * Without .symtab, the functions a stage spec can name come from the
 * table: at the unstripped build's symbol address, from it to the next
 * function's entry (the symbol's size plus the padding to the next one,
 * under 32 bytes; main.main, the last, ends at the end of the text).
 * With .symtab, its sizes are used.
 */
static void check_elf_funcs(const char *stripped, const char *full_path)
{
	static const char *const names[] = { "main.leaf", "main.middle",
					     "main.outer", "main.main" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct elf_funcs sw = { .names = names, .n = n };
	struct elf_funcs full = { .names = names, .n = n };
	struct pt_gotab *t;
	uint64_t value, size;
	size_t i;

	check_same_text_of(stripped, full_path);
	elf_funcs(stripped, &sw);
	elf_funcs(full_path, &full);
	t = open_table(stripped);
	assert_true(sw.all > 100 && sw.all <= pt_gotab__count(t));
	pt_gotab__free(t);
	for (i = 0; i < n; i++) {
		ptest_readelf_symbol(full_path, names[i], &value, &size);
		assert_int_equal(full.found[i].addr, value);
		assert_int_equal(full.found[i].size, size);
		assert_int_equal(sw.found[i].addr, value);
		assert_true(sw.found[i].size >= size);
		assert_true(sw.found[i].size < size + 32);
		assert_int_equal(sw.found[i].kind, PT_SYM_FUNC);
	}
}

static void test_elf_funcs_fallback(void **state)
{
	struct gofx *g = *state;

	REQUIRE_GO(g);
	check_elf_funcs(g->stripped, g->full);
}

/* The same for -buildmode=pie, whose table is .data.rel.ro.gopclntab (its
 * text start filled in by a relocation). */
static void test_elf_funcs_fallback_pie(void **state)
{
	struct gofx *g = *state;

	REQUIRE_GO(g);
	check_elf_funcs(g->pie_stripped, g->pie_full);
}

/* A running stripped Go process is named through the symbolizer. */
static void test_live_process(void **state)
{
	struct gofx *g = *state;
	char *argv[] = { g->stripped, "wait", NULL };
	struct ptest_proc p;
	struct pt_usyms *u = NULL;
	enum pt_ucode kind;
	char err[256], name[128], *out = NULL, *eout = NULL;
	uint64_t value, size;

	REQUIRE_GO(g);
	check_same_text(g);
	ptest_readelf_symbol(g->full, "main.middle", &value, &size);
	assert_int_equal(ptest_spawn(&p, argv, true), 0);
	/* the executable is mapped from exec on; a non-PIE Go binary is
	 * mapped at its link-time addresses */
	usleep(200 * 1000);
	assert_int_equal(pt_usyms__open(p.pid, &u, err, sizeof(err)), 0);
	assert_int_equal(
		pt_usyms__name(u, value + size / 2, name, sizeof(name)), 0);
	assert_string_equal(name, "main.middle");
	assert_int_equal(pt_usyms__kind(u, value + size / 2, &kind), 0);
	assert_int_equal(kind, PT_UCODE_SYMBOL);
	pt_usyms__close(u);
	assert_int_equal(write(p.in_fd, "x", 1), 1);
	close(p.in_fd);
	p.in_fd = -1;
	assert_int_equal(ptest_finish(&p, 60, &out, &eout), 0);
	free(out);
	free(eout);
}

/* ---------------------------------------------------------- hostile input */

/*
 * A table of three functions at text 0x1000: "a" [0x10, 0x20), "bb"
 * [0x20, 0x20) (empty), "ccc" [0x20, 0x40). Header (72 bytes), names at
 * 72, function table at 88, _func records after it.
 */
#define SYN_LEN (88 + 4 * 8 + 3 * 8)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void synth(unsigned char *b)
{
	static const uint32_t entry[] = { 0x10, 0x20, 0x20, 0x40 };
	static const int32_t name[] = { 0, 2, 5 };
	size_t i;

	memset(b, 0, SYN_LEN);
	put32(b, PT_GOPCLN_MAGIC_118);
	b[6] = 1;
	b[7] = 8;
	put64(b + 8, 3); /* nfunc */
	put64(b + 24, 0x1000); /* textStart */
	put64(b + 32, 72); /* funcnameOffset */
	put64(b + 64, 88); /* pclnOffset */
	memcpy(b + 72, "a\0bb\0ccc", 9);
	for (i = 0; i < 4; i++) {
		put32(b + 88 + i * 8, entry[i]);
		put32(b + 88 + i * 8 + 4, (uint32_t)(32 + (i % 3) * 8));
	}
	for (i = 0; i < 3; i++) {
		put32(b + 88 + 32 + i * 8, entry[i]);
		put32(b + 88 + 32 + i * 8 + 4, (uint32_t)name[i]);
	}
}

static void test_synthetic(void **state)
{
	unsigned char b[SYN_LEN];
	struct pt_gotab *t;
	const char *name;
	uint64_t entry;

	synth(b);
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), 0);
	assert_int_equal(pt_gotab__count(t), 3);
	assert_int_equal(pt_gotab__lookup(t, 0x1010, &name, &entry), 0);
	assert_string_equal(name, "a");
	assert_int_equal(entry, 0x1010);
	assert_int_equal(pt_gotab__lookup(t, 0x101f, &name, &entry), 0);
	assert_string_equal(name, "a");
	assert_int_equal(pt_gotab__lookup(t, 0x1020, &name, &entry), 0);
	assert_string_equal(name, "ccc");
	assert_int_equal(pt_gotab__lookup(t, 0x103f, &name, &entry), 0);
	assert_string_equal(name, "ccc");
	assert_int_equal(pt_gotab__lookup(t, 0x100f, &name, &entry), -ENOENT);
	assert_int_equal(pt_gotab__lookup(t, 0x1040, &name, &entry), -ENOENT);
	assert_int_equal(pt_gotab__lookup(t, 0, &name, &entry), -ENOENT);
	pt_gotab__free(t);
	/* Go 1.20's magic, same layout */
	put32(b, PT_GOPCLN_MAGIC_120);
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), 0);
	pt_gotab__free(t);
	/* a position-independent build's zero text start: the fallback */
	synth(b);
	put64(b + 24, 0);
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0x5000, &t), 0);
	assert_int_equal(pt_gotab__lookup(t, 0x5010, &name, &entry), 0);
	assert_string_equal(name, "a");
	pt_gotab__free(t);
}

static void test_hostile_headers(void **state)
{
	unsigned char b[SYN_LEN];
	struct pt_gotab *t = NULL;
	const char *name;
	uint64_t entry;

	synth(b);
	put32(b, 0xfffffffbu); /* Go 1.2-1.15 */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t),
			 -EPROTONOSUPPORT);
	put32(b, 0xfffffffau); /* Go 1.16-1.17 */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t),
			 -EPROTONOSUPPORT);
	synth(b);
	b[7] = 3; /* pointer size */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put64(b + 8, 1ull << 40); /* nfunc beyond the section */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put64(b + 8, 0);
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put64(b + 64, SYN_LEN - 4); /* function table past the end */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put64(b + 32, 1ull << 63); /* names past the end */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put32(b + 88 + 8, 0x08); /* unsorted entries */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	synth(b);
	put32(b + 88 + 4, 0xfffffff0u); /* _func record past the end */
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), -EINVAL);
	assert_int_equal(pt_gotab__parse(b, 7, 0, &t), -EINVAL);
	assert_int_equal(pt_gotab__parse(NULL, 0, 0, &t), -EINVAL);
	assert_null(t);
	/* a name offset out of range, or negative: parsed, the name refused */
	synth(b);
	put32(b + 88 + 32 + 4, 0x7fffffff);
	put32(b + 88 + 32 + 16 + 4, 0x80000000u);
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), 0);
	assert_int_equal(pt_gotab__lookup(t, 0x1010, &name, &entry), -ENOENT);
	assert_int_equal(pt_gotab__lookup(t, 0x1030, &name, &entry), -ENOENT);
	pt_gotab__free(t);
	/* a name that runs to the end of the section without its NUL */
	synth(b);
	put32(b + 88 + 32 + 4, SYN_LEN - 72 - 1);
	b[SYN_LEN - 1] = 'x';
	assert_int_equal(pt_gotab__parse(b, sizeof(b), 0, &t), 0);
	assert_int_equal(pt_gotab__lookup(t, 0x1010, &name, &entry), -ENOENT);
	pt_gotab__free(t);
}

/* The real section cut at every length up to 4 KiB and its header's
 * bytes flipped one at a time: an error or a table whose lookups hold. */
static void test_real_section_damaged(void **state)
{
	struct gofx *g = *state;
	struct pt_gotab *t;
	unsigned char *sec;
	const char *name;
	uint64_t entry, text;
	size_t len, i, cut;
	int bit;

	REQUIRE_GO(g);
	sec = section_bytes(g->stripped, ".gopclntab", &len, NULL);
	section_bytes(g->stripped, ".text", &cut, &text);
	assert_int_equal(pt_gotab__parse(sec, len, 0, &t), 0);
	pt_gotab__free(t);
	for (cut = 0; cut < len && cut < 4096; cut++)
		assert_int_not_equal(pt_gotab__parse(sec, cut, 0, &t), 0);
	for (i = 0; i < 72; i++)
		for (bit = 0; bit < 8; bit++) {
			sec[i] ^= (unsigned char)(1u << bit);
			if (pt_gotab__parse(sec, len, 0, &t) == 0) {
				pt_gotab__lookup(t, text + 64, &name, &entry);
				pt_gotab__free(t);
			}
			sec[i] ^= (unsigned char)(1u << bit);
		}
	free(sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripped_has_no_symtab),
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_known_functions),
		cmocka_unit_test(test_every_function),
		cmocka_unit_test(test_elf_funcs_fallback),
		cmocka_unit_test(test_elf_funcs_fallback_pie),
		cmocka_unit_test(test_live_process),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_real_section_damaged),
	};

	ptest_filter_from_env();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
