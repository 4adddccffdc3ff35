// SPDX-License-Identifier: MIT
/*
 * test_elfsyms.c - unit tests of ELF symbols, uprobe offsets, stage notes
 * and DWARF return types, against the fixtures of tests/fixtures/.
 *
 * Ground truth comes from paths that share nothing with elfsyms.c:
 *  - the fixture programs run `dump NAME...` (see fixture_prog.c): the
 *    function's link-time address from the dynamic loader's load bias, its
 *    file offset from the kernel's own mapping of the executable
 *    (/proc/self/maps), and its code bytes as they are in memory;
 *  - the fixture library is dlopen()ed here: dlsym() gives the code in
 *    memory, dl_iterate_phdr() the loader's load bias;
 *  - `readelf -SW` (binutils, not libelf) gives the section headers, and
 *    the expected offset of an address is computed through the section that
 *    holds it (addr - sh_addr + sh_offset), where elfsyms goes through the
 *    program headers (PT_LOAD); `readelf -sW` gives symbol values and sizes.
 * The fixture PIE and library are linked with .text moved (--section-start)
 * so that their executable PT_LOAD has p_vaddr != p_offset and follows a
 * second executable PT_LOAD: offset == address would fail.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include "lib/readelf.h"

#include "symbols/elfsyms.h"
#include "target/stages.h"
#include "pipetrace/stage.h"

#include "lib/paths.h"
#define FIXTURE(name) PT_BUILD_DIR "/fixtures/" name
#define FX_PIE FIXTURE("fixture_pie")
#define FX_NOPIE FIXTURE("fixture_nopie")
#define FX_STRIPPED FIXTURE("fixture_pie_stripped")
#define FX_LIB FIXTURE("libptfixture.so.1")
#define FX_NOTES FIXTURE("fixture_notes.o")

#define DUMP_BYTES 16 /* as FX_DUMP_BYTES in fixture_prog.c */

/* ------------------------------------------------------------ probe sites */

struct sites {
	uint64_t addr[16], off[16];
	uint8_t kind[16];
	size_t n;
};

static int collect_site_cb(const struct pt_site_note *site, void *arg)
{
	struct sites *s = arg;

	assert_true(s->n < 16);
	s->addr[s->n] = site->addr;
	s->off[s->n] = site->file_off;
	s->kind[s->n++] = site->kind;
	return 0;
}

/*
 * fx_sited's sites against objdump: every 5-byte nop (0f 1f 44 00 00) that
 * objdump shows in fx_sited is a site, and every site is one of them; one
 * is the entry, the others exits; the file holds the nop at each offset.
 */
static void check_sites(const char *path)
{
	uint64_t nops[16];
	size_t nnops = 0, i, j, entries = 0;
	struct sites s = { 0 };
	struct pt_elf *e;
	char cmd[512], line[512];
	FILE *p;
	int fd;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --disassemble=fx_sited '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a;

		if (strstr(line, "0f 1f 44 00 00") &&
		    sscanf(line, " %llx:", &a) == 1 && nnops < 16)
			nops[nnops++] = a;
	}
	pclose(p);
	assert_true(nnops >= 2);

	assert_int_equal(pt_elf__open(path, &e), 0);
	assert_int_equal(pt_elf__for_each_site(e, collect_site_cb, &s), 0);
	pt_elf__close(e);
	print_message("  %s: %zu sites, objdump shows %zu nop5 in fx_sited\n",
		      path, s.n, nnops);
	assert_int_equal(s.n, nnops);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (i = 0; i < s.n; i++) {
		uint8_t code[5];
		bool found = false;

		for (j = 0; j < nnops; j++)
			found |= nops[j] == s.addr[i];
		assert_true(found);
		entries += s.kind[i] == PIPETRACE_SITE_ENTRY;
		assert_int_equal(pread(fd, code, 5, (off_t)s.off[i]), 5);
		assert_memory_equal(code, "\x0f\x1f\x44\x00\x00", 5);
	}
	close(fd);
	assert_int_equal(entries, 1);
}

static void test_sites(void **state)
{
	(void)state;
	check_sites(FX_PIE);
	check_sites(FX_NOPIE);
	check_sites(FX_STRIPPED); /* the note section is loaded: kept */
}

/* The notes fixture's relocatable object has no addresses: no sites. */
static void test_sites_relocatable(void **state)
{
	struct sites s = { 0 };
	struct pt_elf *e;

	(void)state;
	assert_int_equal(pt_elf__open(FX_NOTES, &e), 0);
	assert_int_equal(pt_elf__for_each_site(e, collect_site_cb, &s), 0);
	pt_elf__close(e);
	assert_int_equal(s.n, 0);
}

/* Where a function is probed, from its code. */
static void test_probe_entry_choose(void **state)
{
	static const uint8_t push_rbp[] = { 0x55, 0x48, 0x89, 0xe5, 0xc3 };
	static const uint8_t push_r12[] = { 0x41, 0x54, 0x55, 0xc3 };
	static const uint8_t endbr_push[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55,
					      0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint8_t endbr_r15[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x41,
					     0x57, 0x41, 0x5f, 0xc3 };
	/* endbr64; push %rbp; ...; jmp back to the push (rel8 -7 from 11) */
	static const uint8_t endbr_jmp8[] = { 0xf3, 0x0f, 0x1e, 0xfa,
					      0x55, 0x90, 0x90, 0x90,
					      0x90, 0xeb, 0xf9, 0xc3 };
	/* the same through je rel32 at 9: 9 + 6 - 11 = 4 */
	static const uint8_t endbr_jcc32[] = { 0xf3, 0x0f, 0x1e, 0xfa,
					       0x55, 0x90, 0x90, 0x90,
					       0x90, 0x0f, 0x84, 0xf5,
					       0xff, 0xff, 0xff, 0xc3 };
	static const uint8_t endbr_mov[] = { 0xf3, 0x0f, 0x1e, 0xfa,
					     0x48, 0x89, 0xf8, 0xc3 };
	static const uint8_t mov[] = { 0x48, 0x89, 0xf8, 0xc3 };
	/* the 5-byte nop, then a jmp: emulated, not single-stepped; a
	 * PIPETRACE_ENTER() site starts with its lea (single-stepped) */
	static const uint8_t nop5[] = {
		0x0f, 0x1f, 0x44, 0x00, 0x00, 0xeb, 0x10
	};
	static const uint8_t enter_lea[] = { 0x48, 0x8d, 0x64, 0x24, 0x80,
					     0x0f, 0x1f, 0x44, 0x00, 0x00 };
	/* other nops: emulated like a push, not made a call; pause is no nop */
	static const uint8_t nop1[] = { 0x90, 0xc3 };
	static const uint8_t pause[] = { 0xf3, 0x90, 0xc3 };
	static const uint8_t nop5_other[] = { 0x0f, 0x1f, 0x40, 0x00, 0x90 };
	static const struct {
		const char *name;
		const uint8_t *code;
		size_t len;
		enum pt_probe_class cls;
		uint32_t skip;
	} cases[] = {
#define CASE(code, cls, skip) { #code, code, sizeof(code), cls, skip }
		CASE(push_rbp, PT_PROBE_PUSH, 0),
		CASE(push_r12, PT_PROBE_PUSH, 0),
		CASE(endbr_push, PT_PROBE_PUSH, 4),
		CASE(endbr_r15, PT_PROBE_PUSH, 4),
		CASE(endbr_jmp8, PT_PROBE_ENDBR, 0),
		CASE(endbr_jcc32, PT_PROBE_ENDBR, 0),
		CASE(endbr_mov, PT_PROBE_ENDBR, 0),
		CASE(mov, PT_PROBE_STEP, 0),
		CASE(nop5, PT_PROBE_NOP5, 0),
		CASE(enter_lea, PT_PROBE_STEP, 0),
		CASE(nop5_other, PT_PROBE_PUSH, 0),
		CASE(nop1, PT_PROBE_PUSH, 0),
		CASE(pause, PT_PROBE_STEP, 0),
#undef CASE
	};
	uint32_t skip;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		skip = 99;
		print_message("  %s\n", cases[i].name);
		assert_int_equal(pt_probe_entry__choose(cases[i].code,
							cases[i].len, &skip),
				 cases[i].cls);
		assert_int_equal(skip, cases[i].skip);
	}
	/* Truncated: an endbr64 and nothing after it, or nothing at all. */
	assert_int_equal(pt_probe_entry__choose(endbr_push, 4, &skip),
			 PT_PROBE_ENDBR);
	assert_int_equal(pt_probe_entry__choose(mov, 0, &skip), PT_PROBE_STEP);
}

/* free()'s site: past a leading NULL test when a push follows it that no
 * branch lands on (glibc 2.36's free: test, je rel32, push %rbp). */
static void test_probe_free_choose(void **state)
{
	/* test %rdi,%rdi; je +0xbf; push %rbp; lea -0x10(%rdi),%rsi; ret */
	static const uint8_t glibc[] = { 0x48, 0x85, 0xff, 0x0f, 0x84,
					 0xbf, 0x00, 0x00, 0x00, 0x55,
					 0x48, 0x8d, 0x77, 0xf0, 0xc3 };
	/* endbr64; test %rdi,%rdi; je +2 (rel8); push %rbx; ret; ret */
	static const uint8_t endbr_je8[] = {
		0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85,
		0xff, 0x74, 0x02, 0x53, 0xc3, 0xc3
	};
	/* test; je; push %rbp; ...; jmp back to the push (-7) */
	static const uint8_t loop_back[] = { 0x48, 0x85, 0xff, 0x74, 0x04, 0x55,
					     0x90, 0x90, 0x90, 0xeb, 0xfa };
	/* test; je; mov %rdi,%rax: no push to probe */
	static const uint8_t no_push[] = { 0x48, 0x85, 0xff, 0x74,
					   0x03, 0x48, 0x89, 0xf8 };
	/* test %rsi,%rsi (not the first argument); je; push */
	static const uint8_t other_reg[] = { 0x48, 0x85, 0xf6, 0x74,
					     0x01, 0x55, 0xc3 };
	uint32_t skip = 99;

	(void)state;
	assert_int_equal(pt_probe_free__choose(glibc, sizeof(glibc), &skip),
			 PT_PROBE_PUSH);
	assert_int_equal(skip, 9);
	assert_int_equal(pt_probe_free__choose(endbr_je8, sizeof(endbr_je8),
					       &skip),
			 PT_PROBE_PUSH);
	assert_int_equal(skip, 9);
	assert_int_equal(pt_probe_free__choose(loop_back, sizeof(loop_back),
					       &skip),
			 PT_PROBE_STEP);
	assert_int_equal(skip, 0);
	assert_int_equal(pt_probe_free__choose(no_push, sizeof(no_push), &skip),
			 PT_PROBE_STEP);
	assert_int_equal(skip, 0);
	assert_int_equal(pt_probe_free__choose(other_reg, sizeof(other_reg),
					       &skip),
			 PT_PROBE_STEP);
	assert_int_equal(skip, 0);
	/* A free that starts with a push is probed there, as any entry. */
	assert_int_equal(pt_probe_free__choose(glibc + 9, sizeof(glibc) - 9,
					       &skip),
			 PT_PROBE_PUSH);
	assert_int_equal(skip, 0);
}

/* A machine other than the host's, for e_machine's low byte. */
#if defined(__x86_64__)
#define FOREIGN_EM EM_AARCH64
#else
#define FOREIGN_EM EM_X86_64
#endif

/* ------------------------------------------------------- symbol collection */

struct syms {
	struct pt_sym v[512];
	size_t n;
	int stop_after; /* return 42 after this many calls, if > 0 */
};

static int collect_cb(const struct pt_sym *sym, void *ctx)
{
	struct syms *s = ctx;

	assert_true(s->n < sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = *sym;
	if (s->stop_after && (int)s->n == s->stop_after)
		return 42;
	return 0;
}

/* Open PATH and collect its functions into *s (names valid until close). */
static struct pt_elf *open_collect(const char *path, struct syms *s)
{
	struct pt_elf *e = NULL;

	assert_int_equal(pt_elf__open(path, &e), 0);
	assert_non_null(e);
	memset(s, 0, sizeof(*s));
	assert_int_equal(pt_elf__for_each_func(e, collect_cb, s), 0);
	return e;
}

static const struct pt_sym *find_sym(const struct syms *s, const char *name)
{
	const struct pt_sym *found = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name))
			continue;
		if (found)
			fail_msg("%s reported twice", name);
		found = &s->v[i];
	}
	return found;
}

static const struct pt_sym *must_find(const struct syms *s, const char *name)
{
	const struct pt_sym *sym = find_sym(s, name);

	if (!sym)
		fail_msg("no symbol %s", name);
	return sym;
}

/* --------------------------------------------------- independent truths */

/* File offset of ADDR through the executable section holding it. */
static uint64_t section_offset(const struct ptest_sections *s, uint64_t addr)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct ptest_section *sec = &s->v[i];

		if (sec->exec && addr >= sec->addr &&
		    addr < sec->addr + sec->size)
			return addr - sec->addr + sec->off;
	}
	fail_msg("no executable section holds 0x%" PRIx64, addr);
	return 0;
}

struct dumped {
	uint64_t addr, off;
	unsigned char bytes[DUMP_BYTES];
};

/* Run fixture program PATH as `PATH dump NAME` and parse its line. */
static void fixture_dump(const char *path, const char *name, struct dumped *d)
{
	char cmd[PATH_MAX + 128], line[512], got[128], hex[2 * DUMP_BYTES + 1];
	unsigned int b;
	FILE *f;
	int i;

	snprintf(cmd, sizeof(cmd), "'%s' dump %s", path, name);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(sscanf(line, "%127s %" SCNx64 " %" SCNx64 " %32s", got,
				&d->addr, &d->off, hex),
			 4);
	assert_string_equal(got, name);
	assert_int_equal(strlen(hex), 2 * DUMP_BYTES);
	for (i = 0; i < DUMP_BYTES; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		d->bytes[i] = (unsigned char)b;
	}
}

/* LEN bytes of file PATH at OFF. */
static void file_bytes(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/*
 * Check symbol NAME of fixture program PATH against the running program's
 * dump and readelf's section headers: address, offset and code bytes.
 */
static void check_against_dump(const char *path, const struct syms *s,
			       const struct ptest_sections *secs,
			       const char *name)
{
	const struct pt_sym *sym = must_find(s, name);
	unsigned char code[DUMP_BYTES];
	struct dumped d;

	fixture_dump(path, name, &d);
	assert_int_equal(sym->addr, d.addr);
	assert_int_equal(sym->file_off, d.off); /* the kernel's mapping */
	assert_int_equal(sym->file_off, section_offset(secs, sym->addr));
	file_bytes(path, sym->file_off, code, sizeof(code));
	assert_memory_equal(code, d.bytes, DUMP_BYTES);
}

/* Every reported symbol's offset agrees with the section-based one. */
static void check_all_offsets(const char *path, const struct syms *s)
{
	struct ptest_sections secs;
	size_t i;

	ptest_readelf_sections(path, &secs);
	for (i = 0; i < s->n; i++) {
		assert_int_equal(s->v[i].file_off,
				 section_offset(&secs, s->v[i].addr));
		assert_null(strchr(s->v[i].name, '@'));
		find_sym(s, s->v[i].name); /* fails on a duplicate */
	}
}

/* ------------------------------------------------------------ open errors */

struct tmp {
	char dir[64];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/pt-test-elfsyms-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Path of NAME in the temporary directory. */
static void tmp_path(const struct tmp *t, const char *name, char *buf,
		     size_t size)
{
	snprintf(buf, size, "%s/%s", t->dir, name);
}

/* Read all of PATH into a heap buffer. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, *len), (ssize_t)*len);
	close(fd);
	return buf;
}

static void spew(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int open_err(const char *path)
{
	struct pt_elf *e = (struct pt_elf *)1;
	int err = pt_elf__open(path, &e);

	if (!err)
		pt_elf__close(e);
	else
		assert_null(e);
	return err;
}

static void test_open_errors(void **state)
{
	struct tmp *t = *state;
	char path[256];

	assert_int_equal(open_err(FIXTURE("no-such-file")), -ENOENT);
	assert_int_equal(open_err("/nonexistent-dir/x"), -ENOENT);
	assert_int_equal(open_err(FX_PIE "/x"), -ENOTDIR);
	/* text, directory, device */
	assert_int_equal(open_err(PT_SOURCE_DIR
				  "/tests/fixtures/fixture_prog.c"),
			 -ENOEXEC);
	assert_int_equal(open_err(PT_BUILD_DIR "/fixtures"), -ENOEXEC);
	assert_int_equal(open_err("/dev/null"), -ENOEXEC);
	/* empty, shorter than e_ident, bare magic */
	tmp_path(t, "empty", path, sizeof(path));
	spew(path, "", 0);
	assert_int_equal(open_err(path), -ENOEXEC);
	tmp_path(t, "magic", path, sizeof(path));
	spew(path, "\177ELF\2\1\1", 7);
	assert_int_equal(open_err(path), -ENOEXEC);
	tmp_path(t, "script", path, sizeof(path));
	spew(path, "#!/bin/sh\necho hi\n", 18);
	assert_int_equal(open_err(path), -ENOEXEC);
	assert_int_equal(open_err(NULL), -EINVAL);
}

static void test_open_fifo(void **state)
{
	struct tmp *t = *state;
	char path[256];

	tmp_path(t, "fifo", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	/* No writer: a blocking open would hang; SIGALRM would kill us. */
	alarm(10);
	assert_int_equal(open_err(path), -ENOEXEC);
	alarm(0);
}

/* Copy the PIE with byte I patched to V, and open the copy. */
static int open_patched(const struct tmp *t, size_t i, unsigned char v)
{
	char path[256];
	unsigned char *buf;
	size_t len;
	int err;

	buf = slurp(FX_PIE, &len);
	assert_true(i < len);
	buf[i] = v;
	tmp_path(t, "patched", path, sizeof(path));
	spew(path, buf, len);
	free(buf);
	err = open_err(path);
	unlink(path);
	return err;
}

static void test_open_foreign(void **state)
{
	struct tmp *t = *state;

	assert_int_equal(open_patched(t, EI_CLASS, ELFCLASS32),
			 -EPROTONOSUPPORT);
	assert_int_equal(open_patched(t, EI_DATA, ELFDATA2MSB),
			 -EPROTONOSUPPORT);
	/* e_machine: a little-endian u16 at 18 */
	assert_int_equal(open_patched(t, 18, FOREIGN_EM), -EPROTONOSUPPORT);
	assert_int_equal(open_patched(t, EI_CLASS, 7), -EINVAL);
	assert_int_equal(open_patched(t, EI_DATA, 0), -EINVAL);
	assert_int_equal(open_patched(t, EI_VERSION, 9), -EINVAL);
	/* e_shoff (u64 at 40) pointing far beyond the end of the file */
	assert_int_equal(open_patched(t, 40 + 6, 0x7f), -EINVAL);
	/* the control: unpatched */
	assert_int_equal(open_patched(t, EI_PAD, 0), 0);
}

static void test_open_truncated(void **state)
{
	struct tmp *t = *state;
	enum pt_items_mode mode;
	struct pt_elf *e;
	char path[256];
	unsigned char *buf;
	size_t len, cut;
	struct syms s;
	int err;

	buf = slurp(FX_PIE, &len);
	tmp_path(t, "truncated", path, sizeof(path));
	for (cut = 0; cut <= len; cut += (cut < 256 ? 7 : 251)) {
		spew(path, buf, cut);
		e = NULL;
		err = pt_elf__open(path, &e);
		if (cut < EI_NIDENT)
			assert_int_equal(err, -ENOEXEC);
		else
			assert_int_equal(err, -EINVAL); /* sections past EOF */
		assert_null(e);
	}
	/* half of it, as in the brief, and all of it */
	spew(path, buf, len / 2);
	assert_int_equal(open_err(path), -EINVAL);
	spew(path, buf, len);
	e = open_collect(path, &s);
	assert_non_null(find_sym(&s, "fx_ret_int"));
	assert_int_equal(pt_elf__func_items_mode(e, "fx_ret_int", &mode), 0);
	assert_int_equal(mode, PT_ITEMS_S32);
	pt_elf__close(e);
	free(buf);
}

/* ---------------------------------------------------------- enumeration */

static const char *const prog_funcs[] = {
	"fx_ret_int",	  "fx_ret_unsigned", "fx_ret_long",
	"fx_ret_ull",	  "fx_ret_size",     "fx_ret_ssize",
	"fx_ret_u32",	  "fx_ret_i64",	     "fx_ret_count",
	"fx_ret_short",	  "fx_ret_char",     "fx_ret_void",
	"fx_ret_ptr",	  "fx_ret_double",   "fx_ret_bool",
	"fx_ret_struct",  "fx_ret_enum",     "fx_alias",
	"fx_stage_parse", "fx_stage_flush",  "fx_ret_count_ptr",
	"main",
};

#define N_PROG_FUNCS (sizeof(prog_funcs) / sizeof(prog_funcs[0]))

/* The functions, offsets and bytes of fixture program PATH. */
static void check_program(const char *path, bool pie, bool stripped)
{
	struct ptest_sections secs;
	struct pt_elf *e;
	struct syms s;
	uint64_t v, sz, off;
	size_t i;

	e = open_collect(path, &s);
	assert_string_equal(pt_elf__path(e), path);
	assert_int_equal(pt_elf__is_pie(e), pie);
	ptest_readelf_sections(path, &secs);
	for (i = 0; i < N_PROG_FUNCS; i++) {
		const struct pt_sym *sym = must_find(&s, prog_funcs[i]);

		assert_int_equal(sym->kind, PT_SYM_FUNC);
		assert_true(sym->global);
		ptest_readelf_symbol(path, prog_funcs[i], &v, &sz);
		assert_int_equal(sym->addr, v);
		assert_int_equal(sym->size, sz);
		assert_true(sym->size > 0);
		assert_int_equal(pt_elf__addr_to_offset(e, sym->addr, &off), 0);
		assert_int_equal(off, sym->file_off);
	}
	check_all_offsets(path, &s);
	/* The running program agrees on address, offset and code. */
	check_against_dump(path, &s, &secs, "fx_ret_int");
	check_against_dump(path, &s, &secs, "fx_ret_size");
	check_against_dump(path, &s, &secs, "fx_stage_parse");
	check_against_dump(path, &s, &secs, "fx_alias");
	assert_int_equal(must_find(&s, "fx_alias")->addr,
			 must_find(&s, "fx_ret_int")->addr);
	if (stripped) {
		assert_null(find_sym(&s, "fx_static_helper"));
	} else {
		const struct pt_sym *st = must_find(&s, "fx_static_helper");

		assert_false(st->global);
		check_against_dump(path, &s, &secs, "fx_static_helper");
	}
	/* undefined (imported) functions are not reported */
	assert_null(find_sym(&s, "printf"));
	assert_null(find_sym(&s, "fopen"));
	assert_null(find_sym(&s, "dl_iterate_phdr"));
	/* nothing but functions */
	assert_null(find_sym(&s, "fx_sink"));
	pt_elf__close(e);
}

static void test_funcs_pie(void **state)
{
	check_program(FX_PIE, true, false);
}

static void test_funcs_nopie(void **state)
{
	struct pt_elf *e;
	struct syms s;

	check_program(FX_NOPIE, false, false);
	/* non-PIE: the address is absolute, the offset is not */
	e = open_collect(FX_NOPIE, &s);
	assert_true(must_find(&s, "fx_ret_int")->addr >= 0x400000);
	assert_true(must_find(&s, "fx_ret_int")->file_off < 0x100000);
	pt_elf__close(e);
}

static void test_funcs_stripped(void **state)
{
	struct pt_elf *e, *full;
	struct syms s, fs;
	size_t i;

	check_program(FX_STRIPPED, true, true);
	/* the same layout as the unstripped PIE, fewer symbols */
	e = open_collect(FX_STRIPPED, &s);
	full = open_collect(FX_PIE, &fs);
	assert_true(s.n < fs.n);
	for (i = 0; i < s.n; i++) {
		const struct pt_sym *f = must_find(&fs, s.v[i].name);

		assert_int_equal(s.v[i].addr, f->addr);
		assert_int_equal(s.v[i].file_off, f->file_off);
		assert_int_equal(s.v[i].size, f->size);
	}
	pt_elf__close(full);
	pt_elf__close(e);
}

/* dl_iterate_phdr() callback: the load bias of the object named *ctx. */
struct bias_query {
	const char *path;
	uintptr_t bias;
	bool found;
};

static int bias_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct bias_query *q = ctx;

	if (info->dlpi_name && !strcmp(info->dlpi_name, q->path)) {
		q->bias = info->dlpi_addr;
		q->found = true;
		return 1;
	}
	return 0;
}

/* Symbol NAME of the library agrees with what the loader mapped at RUN. */
static void check_lib_sym(const struct syms *s,
			  const struct ptest_sections *secs, const char *name,
			  const void *run, uintptr_t bias)
{
	const struct pt_sym *sym = must_find(s, name);
	unsigned char code[DUMP_BYTES];

	assert_int_equal(sym->addr, (uintptr_t)run - bias);
	assert_int_equal(sym->file_off, section_offset(secs, sym->addr));
	file_bytes(FX_LIB, sym->file_off, code, sizeof(code));
	assert_memory_equal(code, run, DUMP_BYTES);
}

static void test_funcs_shared(void **state)
{
	struct bias_query q = { .path = FX_LIB };
	const struct pt_sym *ifn, *res, *ver;
	struct ptest_sections secs;
	struct pt_elf *e;
	struct syms s;
	void *h;

	e = open_collect(FX_LIB, &s);
	assert_true(pt_elf__is_pie(e)); /* ET_DYN */
	check_all_offsets(FX_LIB, &s);
	ptest_readelf_sections(FX_LIB, &secs);

	h = dlopen(FX_LIB, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	dl_iterate_phdr(bias_cb, &q);
	assert_true(q.found);
	check_lib_sym(&s, &secs, "fxl_add", dlsym(h, "fxl_add"), q.bias);
	check_lib_sym(&s, &secs, "fxl_count", dlsym(h, "fxl_count"), q.bias);
	check_lib_sym(&s, &secs, "fxl_stage_batch", dlsym(h, "fxl_stage_batch"),
		      q.bias);
	/* dlsym binds the default version, fxl_versioned@@VER_2: so do we */
	ver = must_find(&s, "fxl_versioned");
	check_lib_sym(&s, &secs, "fxl_versioned", dlsym(h, "fxl_versioned"),
		      q.bias);
	assert_int_equal(ver->addr, must_find(&s, "fxl_versioned_v2")->addr);
	assert_true(ver->global);
	/* dlsym resolves the IFUNC: the implementation's code */
	check_lib_sym(&s, &secs, "fxl_ifunc_impl", dlsym(h, "fxl_ifunc"),
		      q.bias);
	/* hidden by the version script: local, not exported */
	assert_false(must_find(&s, "fxl_internal")->global);
	assert_null(dlsym(h, "fxl_internal"));
	assert_int_equal(dlclose(h), 0);

	/* The IFUNC symbol is flagged; its address is the resolver's. */
	ifn = must_find(&s, "fxl_ifunc");
	res = must_find(&s, "fxl_ifunc_resolve");
	assert_int_equal(ifn->kind, PT_SYM_IFUNC);
	assert_true(ifn->global);
	assert_int_equal(res->kind, PT_SYM_FUNC);
	assert_false(res->global);
	assert_int_equal(ifn->addr, res->addr);
	assert_int_equal(ifn->file_off, res->file_off);
	assert_int_equal(must_find(&s, "fxl_add")->kind, PT_SYM_FUNC);
	pt_elf__close(e);
}

static void test_funcs_stop(void **state)
{
	struct pt_elf *e;
	struct syms s;

	assert_int_equal(pt_elf__open(FX_PIE, &e), 0);
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	assert_int_equal(pt_elf__for_each_func(e, collect_cb, &s), 42);
	assert_int_equal(s.n, 3);
	/* a second walk gives the same symbols, in the same order */
	memset(&s, 0, sizeof(s));
	assert_int_equal(pt_elf__for_each_func(e, collect_cb, &s), 0);
	assert_true(s.n > N_PROG_FUNCS);
	pt_elf__close(e);
	pt_elf__close(NULL);
}

static void test_addr_to_offset(void **state)
{
	struct ptest_sections secs;
	struct pt_elf *e;
	uint64_t off = 12345, v, sz;
	size_t i;

	assert_int_equal(pt_elf__open(FX_PIE, &e), 0);
	ptest_readelf_sections(FX_PIE, &secs);
	/* every byte of every executable section maps to the same offset */
	for (i = 0; i < secs.n; i++) {
		uint64_t a;

		if (!secs.v[i].exec)
			continue;
		for (a = secs.v[i].addr; a < secs.v[i].addr + secs.v[i].size;
		     a += 13) {
			assert_int_equal(pt_elf__addr_to_offset(e, a, &off), 0);
			assert_int_equal(off,
					 a - secs.v[i].addr + secs.v[i].off);
		}
	}
	/* data is not in an executable segment */
	ptest_readelf_symbol(FX_PIE, "fx_sink", &v, &sz);
	off = 12345;
	assert_int_equal(pt_elf__addr_to_offset(e, v, &off), -ENOENT);
	assert_int_equal(off, 12345);
	assert_int_equal(pt_elf__addr_to_offset(e, 0, &off), -ENOENT);
	assert_int_equal(pt_elf__addr_to_offset(e, UINT64_MAX, &off), -ENOENT);
	pt_elf__close(e);
}

/* ------------------------------------------------------------------ notes */

struct notes {
	char name[8][64];
	uint8_t flags[8];
	size_t n;
	int stop_after;
};

static int note_cb(const struct pt_stage_note *note, void *ctx)
{
	struct notes *ns = ctx;

	assert_true(ns->n < 8);
	assert_true(strlen(note->name) < 64);
	strcpy(ns->name[ns->n], note->name);
	ns->flags[ns->n++] = note->flags;
	if (ns->stop_after && (int)ns->n == ns->stop_after)
		return -7;
	return 0;
}

static void collect_notes(const char *path, struct notes *ns)
{
	struct pt_elf *e;

	memset(ns, 0, sizeof(*ns));
	assert_int_equal(pt_elf__open(path, &e), 0);
	assert_int_equal(pt_elf__for_each_stage_note(e, note_cb, ns), 0);
	pt_elf__close(e);
}

static void test_notes_programs(void **state)
{
	static const char *const progs[] = { FX_PIE, FX_NOPIE, FX_STRIPPED };
	struct notes ns;
	size_t i;

	for (i = 0; i < 3; i++) {
		collect_notes(progs[i], &ns);
		/* Site notes (type 2) in the same section are not stages. */
		assert_int_equal(ns.n, 3);
		assert_string_equal(ns.name[0], "fx_stage_parse");
		assert_int_equal(ns.flags[0], PIPETRACE_STAGE_F_ITEMS);
		assert_string_equal(ns.name[1], "fx_stage_flush");
		assert_int_equal(ns.flags[1], 0);
		assert_string_equal(ns.name[2], "fx_sited");
		assert_int_equal(ns.flags[2], PIPETRACE_STAGE_F_ITEMS);
	}
	collect_notes(FX_LIB, &ns);
	assert_int_equal(ns.n, 1);
	assert_string_equal(ns.name[0], "fxl_stage_batch");
	assert_int_equal(ns.flags[0], PIPETRACE_STAGE_F_ITEMS);
}

static void test_notes_malformed(void **state)
{
	struct pt_elf *e;
	struct notes ns;
	struct syms s;

	/* See fixture_notes.S: three good notes among malformed ones. */
	collect_notes(FX_NOTES, &ns);
	assert_int_equal(ns.n, 3);
	assert_string_equal(ns.name[0], "good_one");
	assert_int_equal(ns.flags[0], 0);
	assert_string_equal(ns.name[1], "good_two");
	assert_int_equal(ns.flags[1], 1);
	assert_string_equal(ns.name[2], "good_three");
	assert_int_equal(ns.flags[2], 1);

	/* the callback's value stops the walk */
	memset(&ns, 0, sizeof(ns));
	ns.stop_after = 2;
	assert_int_equal(pt_elf__open(FX_NOTES, &e), 0);
	assert_int_equal(pt_elf__for_each_stage_note(e, note_cb, &ns), -7);
	assert_int_equal(ns.n, 2);
	/* a relocatable object: no PT_LOAD, so no functions; no DWARF */
	memset(&s, 0, sizeof(s));
	assert_int_equal(pt_elf__for_each_func(e, collect_cb, &s), 0);
	assert_int_equal(s.n, 0);
	assert_false(pt_elf__is_pie(e));
	pt_elf__close(e);
}

/* ------------------------------------------------------------ items modes */

struct mode_case {
	const char *func;
	int err;
	enum pt_items_mode mode;
};

static const struct mode_case prog_modes[] = {
	{ "fx_ret_int", 0, PT_ITEMS_S32 },
	{ "fx_ret_unsigned", 0, PT_ITEMS_U32 },
	{ "fx_ret_long", 0, PT_ITEMS_S64 },
	{ "fx_ret_ull", 0, PT_ITEMS_U64 },
	{ "fx_ret_size", 0, PT_ITEMS_U64 },
	{ "fx_ret_ssize", 0, PT_ITEMS_S64 }, /* ssize_t -> __ssize_t -> long */
	{ "fx_ret_u32", 0, PT_ITEMS_U32 },
	{ "fx_ret_i64", 0, PT_ITEMS_S64 },
	{ "fx_ret_count", 0, PT_ITEMS_U64 }, /* typedef of typedef of size_t */
	{ "fx_ret_count_ptr", 0, PT_ITEMS_NONE },
	{ "fx_ret_short", 0, PT_ITEMS_NONE },
	{ "fx_ret_char", 0, PT_ITEMS_NONE },
	{ "fx_ret_void", 0, PT_ITEMS_NONE },
	{ "fx_ret_ptr", 0, PT_ITEMS_NONE },
	{ "fx_ret_double", 0, PT_ITEMS_NONE },
	{ "fx_ret_bool", 0, PT_ITEMS_NONE },
	{ "fx_ret_struct", 0, PT_ITEMS_NONE },
	{ "fx_ret_enum", 0, PT_ITEMS_NONE },
	{ "fx_static_helper", 0, PT_ITEMS_S32 },
	{ "fx_alias", 0, PT_ITEMS_S32 }, /* no DIE: found by address */
	{ "fx_stage_parse", 0, PT_ITEMS_S64 },
	{ "fx_stage_flush", 0, PT_ITEMS_S32 },
	{ "main", 0, PT_ITEMS_S32 },
	{ "fx_no_such_function", -ENOENT, PT_ITEMS_NONE },
	{ "fx_sink", -ENOENT, PT_ITEMS_NONE }, /* a variable */
	{ "printf", -ENOENT, PT_ITEMS_NONE }, /* declared, not defined */
};

static void check_modes(const char *path, const struct mode_case *c, size_t n)
{
	enum pt_items_mode mode;
	struct pt_elf *e;
	size_t i;

	assert_int_equal(pt_elf__open(path, &e), 0);
	for (i = 0; i < n; i++) {
		int err;

		mode = (enum pt_items_mode)77;
		err = pt_elf__func_items_mode(e, c[i].func, &mode);
		if (err != c[i].err)
			fail_msg("%s: %s: %d, want %d", path, c[i].func, err,
				 c[i].err);
		if (!err && mode != c[i].mode)
			fail_msg("%s: %s: mode %d, want %d", path, c[i].func,
				 mode, c[i].mode);
	}
	pt_elf__close(e);
}

static void test_items_modes(void **state)
{
	static const struct mode_case lib_modes[] = {
		{ "fxl_add", 0, PT_ITEMS_S32 },
		{ "fxl_count", 0, PT_ITEMS_U64 },
		{ "fxl_internal", 0, PT_ITEMS_U32 },
		{ "fxl_stage_batch", 0, PT_ITEMS_S64 },
		{ "fxl_versioned", 0, PT_ITEMS_S32 }, /* by address (v2) */
		{ "fxl_ifunc_resolve", 0, PT_ITEMS_NONE }, /* a pointer */
		{ "fxl_ifunc_impl", 0, PT_ITEMS_S32 },
		/* gcc gives the IFUNC symbol no DIE, and its address (the
		 * resolver's) is not used for matching */
		{ "fxl_ifunc", -ENOENT, PT_ITEMS_NONE },
	};
	size_t n = sizeof(prog_modes) / sizeof(prog_modes[0]);

	check_modes(FX_PIE, prog_modes, n);
	check_modes(FX_NOPIE, prog_modes, n);
	check_modes(FX_LIB, lib_modes,
		    sizeof(lib_modes) / sizeof(lib_modes[0]));
}

static void test_items_no_dwarf(void **state)
{
	enum pt_items_mode mode = PT_ITEMS_U64;
	struct pt_elf *e;

	assert_int_equal(pt_elf__open(FX_STRIPPED, &e), 0);
	assert_int_equal(pt_elf__func_items_mode(e, "fx_ret_int", &mode),
			 -ENOENT);
	assert_int_equal(pt_elf__func_items_mode(e, "main", &mode), -ENOENT);
	assert_int_equal(mode, PT_ITEMS_U64); /* untouched */
	assert_int_equal(pt_elf__func_items_mode(e, "", &mode), -EINVAL);
	pt_elf__close(e);
	assert_int_equal(pt_elf__open(FX_NOTES, &e), 0);
	assert_int_equal(pt_elf__func_items_mode(e, "good_one", &mode),
			 -ENOENT);
	pt_elf__close(e);
}

/* Run CMD through the shell; fails the test if it does not exit 0. */
static void run_cmd(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fail_msg("`%s` failed: %d", cmd, rc);
}

static void test_items_altlink(void **state)
{
	static const char link[] = "altfifo\0" /* then a 20-byte build id */
				   "\1\2\3\4\5\6\7\10\11\12"
				   "\13\14\15\16\17\20\21\22\23\24";
	char cmd[4096], alt[256], fifo[256], elf[256], stripped[256];
	enum pt_items_mode mode = PT_ITEMS_U64;
	struct tmp *t = *state;
	struct pt_elf *e;
	struct syms s;

	/*
	 * A .gnu_debugaltlink naming a FIFO next to the object: libdw would
	 * open() it, and block, as soon as a DIE referred to the alt file.
	 * elfsyms refuses such DWARF up front. (SIGALRM fails the test if
	 * anything blocks.)
	 */
	tmp_path(t, "alt.bin", alt, sizeof(alt));
	tmp_path(t, "altfifo", fifo, sizeof(fifo));
	tmp_path(t, "alt_pie", elf, sizeof(elf));
	tmp_path(t, "alt_pie_stripped", stripped, sizeof(stripped));
	spew(alt, link, sizeof(link) - 1);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd),
		 "objcopy --add-section .gnu_debugaltlink='%s' '%s' '%s' && "
		 "objcopy --strip-debug '%s' '%s'",
		 alt, FX_PIE, elf, elf, stripped);
	run_cmd(cmd);
	alarm(10);
	e = open_collect(elf, &s);
	assert_non_null(find_sym(&s, "fx_ret_int"));
	assert_int_equal(pt_elf__func_items_mode(e, "fx_ret_int", &mode),
			 -ENOTSUP);
	assert_int_equal(mode, PT_ITEMS_U64);
	pt_elf__close(e);
	/* without .debug_info (as Debian's stripped binaries): no DWARF */
	assert_int_equal(pt_elf__open(stripped, &e), 0);
	assert_int_equal(pt_elf__func_items_mode(e, "fx_ret_int", &mode),
			 -ENOENT);
	pt_elf__close(e);
	alarm(0);
}

/* The dynamic section's strings: a library's DT_SONAME, a program's
 * DT_RUNPATH and DT_RPATH as linked, none where there is none, and a
 * string longer than the buffer refused. */
static void test_dyn_strings(void **state)
{
	struct pt_elf *e;
	char buf[64];

	assert_int_equal(pt_elf__open(FX_LIB, &e), 0);
	assert_int_equal(pt_elf__dyn_string(e, DT_SONAME, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "libptfixture.so.1");
	assert_int_equal(pt_elf__dyn_string(e, DT_SONAME, buf, 5),
			 -ENAMETOOLONG);
	assert_int_equal(pt_elf__dyn_string(e, DT_RUNPATH, buf, sizeof(buf)),
			 -ENOENT);
	pt_elf__close(e);
	assert_int_equal(pt_elf__open(FIXTURE("rpath/bin/fixture_runpath"), &e),
			 0);
	assert_int_equal(pt_elf__dyn_string(e, DT_RUNPATH, buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "$ORIGIN/../lib");
	assert_int_equal(pt_elf__dyn_string(e, DT_RPATH, buf, sizeof(buf)),
			 -ENOENT);
	pt_elf__close(e);
	assert_int_equal(
		pt_elf__open(FIXTURE("rpath/bin/fixture_rpath_old"), &e), 0);
	assert_int_equal(pt_elf__dyn_string(e, DT_RPATH, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "${ORIGIN}/../lib");
	pt_elf__close(e);
	/* No dynamic section at all. */
	assert_int_equal(pt_elf__open(FX_NOTES, &e), 0);
	assert_int_equal(pt_elf__dyn_string(e, DT_RUNPATH, buf, sizeof(buf)),
			 -ENOENT);
	pt_elf__close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_fifo),
		cmocka_unit_test(test_open_foreign),
		cmocka_unit_test(test_open_truncated),
		cmocka_unit_test(test_funcs_pie),
		cmocka_unit_test(test_funcs_nopie),
		cmocka_unit_test(test_funcs_stripped),
		cmocka_unit_test(test_funcs_shared),
		cmocka_unit_test(test_funcs_stop),
		cmocka_unit_test(test_addr_to_offset),
		cmocka_unit_test(test_notes_programs),
		cmocka_unit_test(test_notes_malformed),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_probe_entry_choose),
		cmocka_unit_test(test_probe_free_choose),
		cmocka_unit_test(test_sites_relocatable),
		cmocka_unit_test(test_items_modes),
		cmocka_unit_test(test_items_no_dwarf),
		cmocka_unit_test(test_items_altlink),
		cmocka_unit_test(test_dyn_strings),
	};

	return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
