// SPDX-License-Identifier: MIT
/*
 * test_symbolize.c - unit tests of the user-space symbolizer against live
 * fixture processes (tests/fixtures/fixture_sym.c and its stripped copies).
 *
 * The fixture writes the run-time addresses of its functions (taken with
 * `&function`, libc's from dlsym()) and its load bias; the expected names
 * are those addresses' functions, and the expected "object+0xOFF" offsets
 * come from binutils' readelf (the section holding the link-time address:
 * addr - sh_addr + sh_offset), where the symbolizer goes through the
 * program headers. Its .init and .text are moved (0x10000, 0x20000), so
 * p_vaddr != p_offset in each of its executable segments and a load bias
 * taken as mapping start - file offset would give wrong names. Source
 * lines come from grepping fixture_sym.c and from binutils' addr2line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbols/procmaps.h"
#include "symbols/symbolize.h"

#include "lib/paths.h"
#include "lib/readelf.h"
#define FIXTURE(name) PT_BUILD_DIR "/fixtures/" name
#define FX_SYM FIXTURE("fixture_sym")
#define FX_SYM_STRIPPED FIXTURE("fixture_sym_stripped")
#define FX_SYM_DBGLINK FIXTURE("fixture_sym_dbglink")
#define FX_LIB FIXTURE("libptfixture.so.1")
#define FX_DEBUG_DIR FIXTURE("debug")
#define FX_SOURCE PT_SOURCE_DIR "/tests/fixtures/fixture_sym.c"

/* ------------------------------------------------------- fixture process */

struct fx {
	pid_t pid;
	FILE *out; /* its stdout */
	int in; /* its stdin */
	struct {
		char name[64];
		uint64_t addr;
	} v[32];
	size_t n;
	char tmpdir[64]; /* a copy of the program lives here, if set */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->in = -1;
	*state = f;
	alarm(60); /* a stuck fixture kills the test instead of hanging */
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	if (f->out)
		fclose(f->out);
	if (f->in >= 0)
		close(f->in);
	if (f->tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmpdir);
		if (system(cmd) != 0)
			return -1;
	}
	free(f);
	alarm(0);
	return 0;
}

/* Read "NAME 0xADDR" lines up to "end". */
static void fx_read(struct fx *f)
{
	char line[256], name[64];
	uint64_t addr;

	while (fgets(line, sizeof(line), f->out)) {
		if (!strcmp(line, "end\n"))
			return;
		assert_int_equal(sscanf(line, "%63s 0x%" SCNx64, name, &addr),
				 2);
		assert_true(f->n < sizeof(f->v) / sizeof(f->v[0]));
		strcpy(f->v[f->n].name, name);
		f->v[f->n++].addr = addr;
	}
	fail_msg("fixture %d ended its output early", (int)f->pid);
}

/*
 * In a forked child: move to a mount namespace of its own, mount a tmpfs
 * on DIR there and copy fixture_sym into it, so that DIR/fixture_sym exists
 * for the child only. Returns 0 or -1.
 */
static int private_copy(const char *dir)
{
	char cmd[PATH_MAX * 2 + 16];

	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, NULL))
		return -1;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/fixture_sym'", FX_SYM, dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * Start PATH with piped stdin and stdout and read its addresses; with
 * NS_DIR, in a mount namespace of its own where NS_DIR holds PATH (see
 * private_copy()).
 */
static void fx_spawn_in(struct fx *f, const char *path, const char *ns_dir)
{
	int in[2], out[2];

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (ns_dir && private_copy(ns_dir))
			_exit(126);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->in = in[1];
	f->out = fdopen(out[0], "r");
	assert_non_null(f->out);
	fx_read(f);
}

static void fx_spawn(struct fx *f, const char *path)
{
	fx_spawn_in(f, path, NULL);
}

/* Whether this process may create mount namespaces (and mount in them). */
static bool can_unshare_mounts(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) ||
		      mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static uint64_t fx_addr(const struct fx *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return f->v[i].addr;
	fail_msg("the fixture gave no address for %s", name);
	return 0;
}

static void fx_cmd(struct fx *f, const char *cmd)
{
	size_t len = strlen(cmd);

	assert_int_equal(write(f->in, cmd, len), (ssize_t)len);
	assert_int_equal(write(f->in, "\n", 1), 1);
}

/* Tell the fixture to exit and reap it: it is gone for good. */
static void fx_exit(struct fx *f)
{
	int status;

	fx_cmd(f, "exit");
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f->pid = 0;
}

/* ------------------------------------------------------ independent truths */

/* File offset of link-time address ADDR in .text. */
static uint64_t text_offset(uint64_t addr)
{
	struct ptest_sections secs;
	const struct ptest_section *text;

	ptest_readelf_sections(FX_SYM, &secs);
	text = ptest_section_named(&secs, ".text");
	assert_true(addr >= text->addr && addr < text->addr + text->size);
	return addr - text->addr + text->off;
}

/* Line number of the first line holding NEEDLE after the first holding
 * AFTER, in fixture_sym.c. */
static unsigned int source_line(const char *after, const char *needle)
{
	char line[512];
	unsigned int n = 0;
	bool past = false;
	FILE *f = fopen(FX_SOURCE, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!past && strstr(line, after))
			past = true;
		if (past && strstr(line, needle)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no '%s' after '%s' in %s", needle, after, FX_SOURCE);
	return 0;
}

/* The source line of link-time address ADDR in fixture_sym, as binutils'
 * addr2line says. */
static unsigned int addr2line_line(uint64_t addr)
{
	char cmd[PATH_MAX + 64], line[PATH_MAX + 64];
	unsigned int n = 0;
	char *colon;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "addr2line -e '%s' 0x%" PRIx64, FX_SYM,
		 addr);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	colon = strrchr(line, ':');
	assert_non_null(colon);
	assert_int_equal(sscanf(colon + 1, "%u", &n), 1);
	assert_true(n > 0);
	return n;
}

/* The mapping of process PID holding ADDR, from its maps. */
static struct pt_mapping mapping_of(pid_t pid, uint64_t addr)
{
	struct pt_maps maps;
	const struct pt_mapping *m;
	struct pt_mapping res;

	assert_int_equal(pt_maps__read_pid(pid, &maps), 0);
	m = pt_maps__find_addr(&maps, addr);
	assert_non_null(m);
	res = *m;
	res.path = NULL;
	pt_maps__free(&maps);
	return res;
}

/* ----------------------------------------------------------- assertions */

static void expect_name(struct pt_usyms *s, uint64_t addr, const char *want)
{
	char buf[256];

	assert_int_equal(pt_usyms__name(s, addr, buf, sizeof(buf)), 0);
	if (strcmp(buf, want))
		fail_msg("0x%" PRIx64 ": got '%s', want '%s'", addr, buf, want);
}

/* The name of ADDR is one of the NULL-terminated list (aliases). */
static void expect_one_of(struct pt_usyms *s, uint64_t addr, ...)
{
	char buf[256];
	const char *want;
	va_list ap;

	assert_int_equal(pt_usyms__name(s, addr, buf, sizeof(buf)), 0);
	va_start(ap, addr);
	while ((want = va_arg(ap, const char *)))
		if (!strcmp(buf, want))
			break;
	va_end(ap);
	if (!want)
		fail_msg("0x%" PRIx64 ": unexpected name '%s'", addr, buf);
}

static void expect_prefix(struct pt_usyms *s, uint64_t addr, const char *prefix)
{
	char buf[256];

	assert_int_equal(pt_usyms__name(s, addr, buf, sizeof(buf)), 0);
	if (strncmp(buf, prefix, strlen(prefix)))
		fail_msg("0x%" PRIx64 ": got '%s', want '%s...'", addr, buf,
			 prefix);
}

static const char *const own_funcs[] = {
	"fxs_alpha", "fxs_beta",    "fxs_static",
	"fxs_outer", "fxs_capture", "main",
};

#define N_OWN_FUNCS (sizeof(own_funcs) / sizeof(own_funcs[0]))

/*
 * Every function of the fixture is named at its first, second and last
 * byte, and the fixture's addresses agree with readelf's symbol values.
 */
static void expect_own_functions(struct pt_usyms *s, const struct fx *f)
{
	uint64_t bias = fx_addr(f, "bias"), value, size;
	size_t i;

	for (i = 0; i < N_OWN_FUNCS; i++) {
		uint64_t a = fx_addr(f, own_funcs[i]);

		ptest_readelf_symbol(FX_SYM, own_funcs[i], &value, &size);
		assert_int_equal(a - bias, value);
		assert_true(size > 1);
		expect_name(s, a, own_funcs[i]);
		expect_name(s, a + 1, own_funcs[i]);
		expect_name(s, a + size - 1, own_funcs[i]);
	}
	/* the return address inside inlined code: its containing function */
	expect_name(s, fx_addr(f, "fxs_inl_ret") - 1, "fxs_outer");
}

/* Names that do not depend on the executable's symbols. */
static void expect_others(struct pt_usyms *s, const struct fx *f)
{
	uint64_t vdso = fx_addr(f, "vdso");

	expect_one_of(s, fx_addr(f, "write"), "write", "__write",
		      "__libc_write", (const char *)NULL);
	if (vdso)
		expect_one_of(s, vdso, "__vdso_clock_gettime", "clock_gettime",
			      "__kernel_clock_gettime", (const char *)NULL);
	expect_prefix(s, fx_addr(f, "heap"), "[heap]+0x");
	expect_prefix(s, fx_addr(f, "stack"), "[stack]+0x");
	expect_name(s, 0x10, "[unknown]");
	expect_name(s, 0xffffffff81000000ULL, "[unknown]");
}

/* -------------------------------------------------------------- frames */

struct frames {
	struct {
		char name[128];
		char file[PATH_MAX];
		unsigned int line;
		bool inlined;
	} v[8];
	int n;
};

static int frame_cb(const struct pt_uframe *fr, void *ctx)
{
	struct frames *fs = ctx;

	assert_true(fs->n < 8);
	snprintf(fs->v[fs->n].name, sizeof(fs->v[0].name), "%s", fr->name);
	snprintf(fs->v[fs->n].file, sizeof(fs->v[0].file), "%s",
		 fr->file ? fr->file : "");
	fs->v[fs->n].line = fr->line;
	fs->v[fs->n].inlined = fr->inlined;
	fs->n++;
	return 0;
}

static void get_frames(struct pt_usyms *s, uint64_t addr, struct frames *fs)
{
	memset(fs, 0, sizeof(*fs));
	assert_int_equal(pt_usyms__frames(s, addr, frame_cb, fs), 0);
	assert_true(fs->n >= 1);
}

static bool is_fixture_source(const char *file)
{
	const char *base = strrchr(file, '/');

	return !strcmp(base ? base + 1 : file, "fixture_sym.c");
}

/*
 * With DWARF: the return address in fxs_outer is two frames, fxs_outer at
 * the line calling fxs_inlined, then fxs_inlined (inlined) at its call of
 * fxs_capture; fxs_alpha's entry is one frame, at addr2line's line.
 */
static void expect_frames(struct pt_usyms *s, const struct fx *f)
{
	struct frames fs;
	uint64_t a;

	get_frames(s, fx_addr(f, "fxs_inl_ret") - 1, &fs);
	assert_int_equal(fs.n, 2);
	assert_string_equal(fs.v[0].name, "fxs_outer");
	assert_false(fs.v[0].inlined);
	assert_true(is_fixture_source(fs.v[0].file));
	assert_int_equal(fs.v[0].line, source_line("FX int fxs_outer(int x)",
						   "fxs_inlined(x);"));
	assert_string_equal(fs.v[1].name, "fxs_inlined");
	assert_true(fs.v[1].inlined);
	assert_true(is_fixture_source(fs.v[1].file));
	assert_int_equal(fs.v[1].line, source_line("int fxs_inlined(int x)",
						   "fxs_capture();"));

	a = fx_addr(f, "fxs_alpha");
	get_frames(s, a, &fs);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.v[0].name, "fxs_alpha");
	assert_false(fs.v[0].inlined);
	assert_true(is_fixture_source(fs.v[0].file));
	assert_int_equal(fs.v[0].line, addr2line_line(a - fx_addr(f, "bias")));
}

/* --------------------------------------------------------------- tests */

static struct pt_usyms *open_ok(pid_t pid, const struct pt_usyms_opts *o)
{
	struct pt_usyms *s = NULL;
	char err[256] = "";
	int ret = pt_usyms__open_opts(pid, o, &s, err, sizeof(err));

	if (ret)
		fail_msg("pt_usyms__open(%d): %d %s", (int)pid, ret, err);
	assert_non_null(s);
	assert_true(pt_usyms__alive(s));
	return s;
}

/* A PIE with .symtab and DWARF: names, libc, vDSO, heap, unknown. */
static void test_pie(void **state)
{
	struct fx *f = *state;
	struct ptest_sections secs;
	const struct ptest_section *text;
	struct pt_usyms *s;

	/* the layout this test is about: both executable segments (.init,
	 * .text) at addresses far from their file offsets */
	ptest_readelf_sections(FX_SYM, &secs);
	text = ptest_section_named(&secs, ".init");
	assert_true(text->addr - text->off >= 0x8000);
	text = ptest_section_named(&secs, ".text");
	assert_true(text->addr - text->off >= 0x10000);

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	expect_own_functions(s, f);
	expect_others(s, f);
	expect_frames(s, f);
	/* the cache answers the same */
	expect_own_functions(s, f);
	assert_int_equal(pt_usyms__refresh(s), 0);
	expect_own_functions(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/* The same with files opened as /proc/PID/root/PATH (no map_files) and
 * the vDSO not read from memory: "[vdso]+0xOFF". */
static void test_no_map_files(void **state)
{
	struct pt_usyms_opts o = {
		.flags = PT_USYMS_NO_MAP_FILES | PT_USYMS_NO_VDSO_MEM,
	};
	struct fx *f = *state;
	struct pt_usyms *s;
	struct pt_mapping m;
	uint64_t vdso;
	char want[64];

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, &o);
	expect_own_functions(s, f);
	expect_frames(s, f);
	expect_one_of(s, fx_addr(f, "write"), "write", "__write",
		      "__libc_write", (const char *)NULL);
	vdso = fx_addr(f, "vdso");
	if (vdso) {
		m = mapping_of(f->pid, vdso);
		snprintf(want, sizeof(want), "[vdso]+0x%" PRIx64,
			 vdso - m.start);
		expect_name(s, vdso, want);
	}
	pt_usyms__close(s);
	fx_exit(f);
}

/* A library dlopen()ed after open: found by the refresh a miss triggers. */
static void test_dlopen_refresh(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s;
	char path[PATH_MAX + 8];

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	snprintf(path, sizeof(path), "dlopen %s", FX_LIB);
	fx_cmd(f, path);
	fx_read(f);
	expect_name(s, fx_addr(f, "fxl_add"), "fxl_add");
	expect_name(s, fx_addr(f, "fxl_add") + 1, "fxl_add");
	assert_int_equal(pt_usyms__refresh(s), 0);
	expect_name(s, fx_addr(f, "fxl_count"), "fxl_count");
	expect_own_functions(s, f); /* the executable is still known */
	pt_usyms__close(s);

	/* opened after the dlopen: found at once */
	s = open_ok(f->pid, NULL);
	expect_name(s, fx_addr(f, "fxl_count"), "fxl_count");
	pt_usyms__close(s);
	fx_exit(f);
}

/*
 * An object unmapped since (dlclose) keeps its names for addresses sampled
 * earlier, until something else is mapped over it: then the new mapping
 * names the address.
 */
static void test_unmapped_object(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s;
	char cmd[PATH_MAX + 32], want[64];
	uint64_t add, anon;

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	snprintf(cmd, sizeof(cmd), "dlopen %s", FX_LIB);
	fx_cmd(f, cmd);
	fx_read(f);
	add = fx_addr(f, "fxl_add");
	expect_name(s, add, "fxl_add");
	fx_cmd(f, "dlclose");
	fx_read(f);
	assert_int_equal(pt_usyms__refresh(s), 0);
	expect_name(s, add, "fxl_add");
	expect_name(s, add + 1, "fxl_add");
	snprintf(cmd, sizeof(cmd), "mmap 0x%" PRIx64, add);
	fx_cmd(f, cmd);
	fx_read(f);
	anon = fx_addr(f, "anon");
	assert_int_equal(pt_usyms__refresh(s), 0);
	snprintf(want, sizeof(want), "[anon]+0x%" PRIx64, add - anon);
	expect_name(s, add, want);
	expect_own_functions(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

static void expect_kind(struct pt_usyms *s, uint64_t addr, enum pt_ucode want,
			const char *object)
{
	enum pt_ucode kind;
	char buf[256];

	assert_int_equal(pt_usyms__kind(s, addr, &kind), 0);
	if (kind != want)
		fail_msg("0x%" PRIx64 ": kind %d, want %d", addr, (int)kind,
			 (int)want);
	assert_int_equal(pt_usyms__object(s, addr, buf, sizeof(buf)), 0);
	if (strncmp(buf, object, strlen(object)))
		fail_msg("0x%" PRIx64 ": object '%s', want '%s...'", addr, buf,
			 object);
}

/*
 * What an address is, and its object: named code (the executable, libc),
 * code without a symbol (the stripped executable), the heap and the stack
 * (not code), nothing mapped, and an anonymous executable page mapped
 * after the open (found by the refresh a miss does).
 */
static void test_kinds(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s, *t;
	uint64_t jit;

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	expect_kind(s, fx_addr(f, "fxs_alpha") + 1, PT_UCODE_SYMBOL,
		    "fixture_sym");
	expect_kind(s, fx_addr(f, "write"), PT_UCODE_SYMBOL, "libc.so");
	expect_kind(s, fx_addr(f, "heap"), PT_UCODE_NOT_CODE, "[heap]");
	expect_kind(s, fx_addr(f, "stack"), PT_UCODE_NOT_CODE, "[stack]");
	expect_kind(s, 0x10, PT_UCODE_UNMAPPED, "[unknown]");
	fx_cmd(f, "jit");
	fx_read(f);
	jit = fx_addr(f, "jit");
	expect_kind(s, jit + 8, PT_UCODE_ANON_EXEC, "[anon]");
	expect_name(s, jit + 8, "[anon]+0x8");
	pt_usyms__close(s);
	fx_exit(f);

	f->n = 0; /* the addresses are the new process's */
	fx_spawn(f, FX_SYM_STRIPPED);
	t = open_ok(f->pid, NULL);
	expect_kind(t, fx_addr(f, "fxs_static") + 1, PT_UCODE_NOSYM,
		    "fixture_sym_stripped");
	pt_usyms__close(t);
	fx_exit(f);
}

/* Stripped, no debug file anywhere: "fixture_sym_stripped+0xOFF", OFF the
 * offset readelf's section headers give. */
static void test_stripped(void **state)
{
	struct fx *f = *state;
	uint64_t bias, a, off;
	struct pt_usyms *s;
	struct frames fs;
	char want[128];
	size_t i;

	fx_spawn(f, FX_SYM_STRIPPED);
	bias = fx_addr(f, "bias");
	s = open_ok(f->pid, NULL);
	for (i = 0; i < N_OWN_FUNCS; i++) {
		a = fx_addr(f, own_funcs[i]);
		off = text_offset(a - bias);
		snprintf(want, sizeof(want), "fixture_sym_stripped+0x%" PRIx64,
			 off);
		expect_name(s, a, want);
		snprintf(want, sizeof(want), "fixture_sym_stripped+0x%" PRIx64,
			 off + 3);
		expect_name(s, a + 3, want);
	}
	/* one frame, no source */
	a = fx_addr(f, "fxs_inl_ret") - 1;
	snprintf(want, sizeof(want), "fixture_sym_stripped+0x%" PRIx64,
		 text_offset(a - bias));
	get_frames(s, a, &fs);
	assert_int_equal(fs.n, 1);
	assert_string_equal(fs.v[0].name, want);
	assert_string_equal(fs.v[0].file, "");
	assert_int_equal(fs.v[0].line, 0);
	expect_others(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/* Stripped with a .gnu_debuglink to fixture_sym.debug next to it. */
static void test_debuglink(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s;

	fx_spawn(f, FX_SYM_DBGLINK);
	s = open_ok(f->pid, NULL);
	expect_own_functions(s, f); /* fxs_static: the debug file's .symtab */
	expect_frames(s, f);
	expect_others(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/* Stripped, found by build ID under a debuginfo path directory. */
static void test_build_id(void **state)
{
	struct fx *f = *state;
	struct pt_usyms_opts o = { 0 };
	char dir[PATH_MAX];
	struct pt_usyms *s;

	assert_non_null(realpath(FX_DEBUG_DIR, dir)); /* must be absolute */
	o.debuginfo_path = dir;
	fx_spawn(f, FX_SYM_STRIPPED);
	s = open_ok(f->pid, &o);
	expect_own_functions(s, f);
	expect_frames(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/*
 * Stripped, no debuglink, its debug file under a debuginfo path directory
 * at the object's own path: DIR/<object's directory>/<name>.debug, as
 * /usr/lib/debug/usr/bin/prog.debug (libdw's standard search).
 */
static void test_debug_dir_path(void **state)
{
	struct fx *f = *state;
	struct pt_usyms_opts o = { 0 };
	char bin[PATH_MAX], cmd[3 * PATH_MAX];
	struct pt_usyms *s;
	char *slash;

	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/pt-dbgdir-XXXXXX");
	assert_non_null(mkdtemp(f->tmpdir));
	assert_non_null(realpath(FX_SYM_STRIPPED, bin));
	slash = strrchr(bin, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s%s' && cp '%s' '%s%s/fixture_sym_stripped.debug'",
		 f->tmpdir, bin, FIXTURE("fixture_sym.debug"), f->tmpdir, bin);
	assert_int_equal(system(cmd), 0);
	o.debuginfo_path = f->tmpdir;
	fx_spawn(f, FX_SYM_STRIPPED);
	s = open_ok(f->pid, &o);
	expect_own_functions(s, f);
	expect_frames(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/* A debuginfod stand-in: counts the connections to a local port, closing
 * each at once (the client then gives up on that server). */
struct fake_server {
	int fd;
	unsigned short port;
	pthread_t thread;
	atomic_int connections;
};

static void *fake_serve(void *arg)
{
	struct fake_server *srv = arg;
	int c;

	while ((c = accept(srv->fd, NULL, NULL)) >= 0) {
		atomic_fetch_add(&srv->connections, 1);
		close(c);
	}
	return NULL;
}

static void fake_start(struct fake_server *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv->fd >= 0);
	assert_int_equal(bind(srv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(srv->fd, 64), 0);
	assert_int_equal(getsockname(srv->fd, (struct sockaddr *)&a, &len), 0);
	srv->port = ntohs(a.sin_port);
	atomic_init(&srv->connections, 0);
	assert_int_equal(pthread_create(&srv->thread, NULL, fake_serve, srv),
			 0);
}

static void fake_stop(struct fake_server *srv)
{
	shutdown(srv->fd, SHUT_RDWR);
	pthread_join(srv->thread, NULL);
	close(srv->fd);
}

/* Open and close a symbolizer on the fixture, naming an own function (a
 * stripped one has no symbol: the debug file is looked for). */
static void open_and_name(struct fx *f)
{
	struct pt_usyms *s = open_ok(f->pid, NULL);
	char buf[256];

	assert_int_equal(pt_usyms__name(s, fx_addr(f, "fxs_alpha"), buf,
					sizeof(buf)),
			 0);
	pt_usyms__close(s);
}

/*
 * Debuginfod, through libdw's standard search (which loads Debian's
 * libdebuginfod): without DEBUGINFOD_URLS nothing is asked of any server;
 * with it pointing at a local stand-in, the debug file of the stripped
 * fixture is asked for (so the first answer is not for lack of wiring).
 */
static void test_debuginfod(void **state)
{
	struct fx *f = *state;
	struct fake_server srv;
	char url[64];

	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/pt-dicache-XXXXXX");
	assert_non_null(mkdtemp(f->tmpdir));
	setenv("DEBUGINFOD_CACHE_PATH", f->tmpdir, 1);
	setenv("DEBUGINFOD_TIMEOUT", "10", 1);
	fake_start(&srv);
	fx_spawn(f, FX_SYM_STRIPPED);

	unsetenv("DEBUGINFOD_URLS");
	open_and_name(f);
	assert_int_equal(atomic_load(&srv.connections), 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u", srv.port);
	setenv("DEBUGINFOD_URLS", url, 1);
	open_and_name(f);
	unsetenv("DEBUGINFOD_URLS");
	print_message("  %d debuginfod requests with DEBUGINFOD_URLS set\n",
		      atomic_load(&srv.connections));
	assert_true(atomic_load(&srv.connections) > 0);

	fake_stop(&srv);
	unsetenv("DEBUGINFOD_CACHE_PATH");
	unsetenv("DEBUGINFOD_TIMEOUT");
	fx_exit(f);
}

/*
 * A process that exits after pt_usyms__open(), its executable deleted too:
 * everything still resolves, from the descriptors opened while it lived,
 * addresses never asked before included; refresh is a no-op.
 */
static void test_exit_after_open(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s;
	char copy[128], cmd[PATH_MAX + 256];

	strcpy(f->tmpdir, "/tmp/pt-test-symbolize-XXXXXX");
	assert_non_null(mkdtemp(f->tmpdir));
	snprintf(copy, sizeof(copy), "%s/fixture_sym", f->tmpdir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", FX_SYM, copy);
	assert_int_equal(system(cmd), 0);

	fx_spawn(f, copy);
	s = open_ok(f->pid, NULL);
	fx_exit(f);
	assert_int_equal(unlink(copy), 0);

	assert_int_equal(pt_usyms__refresh(s), 0);
	assert_false(pt_usyms__alive(s));
	expect_own_functions(s, f);
	expect_frames(s, f);
	expect_others(s, f);
	assert_int_equal(pt_usyms__refresh(s), 0);
	pt_usyms__close(s);

	/* the same with the debug file found through the debuglink */
	memset(f->v, 0, sizeof(f->v));
	f->n = 0;
	fclose(f->out);
	f->out = NULL;
	close(f->in);
	f->in = -1;
	fx_spawn(f, FX_SYM_DBGLINK);
	s = open_ok(f->pid, NULL);
	fx_exit(f);
	expect_own_functions(s, f);
	expect_frames(s, f);
	expect_name(s, 0x10, "[unknown]");
	pt_usyms__close(s);
}

/*
 * A target in another mount namespace, running a file that does not exist
 * in ours: opened through map_files, or /proc/PID/root/PATH without them.
 */
static void test_other_mount_ns(void **state)
{
	struct pt_usyms_opts o = { .flags = PT_USYMS_NO_MAP_FILES };
	struct fx *f = *state;
	struct pt_usyms *s;
	char path[128];

	if (!can_unshare_mounts()) {
		print_message("[  SKIP    ] cannot create a mount namespace "
			      "here (needs CAP_SYS_ADMIN)\n");
		skip();
	}
	strcpy(f->tmpdir, "/tmp/pt-test-symbolize-XXXXXX");
	assert_non_null(mkdtemp(f->tmpdir));
	snprintf(path, sizeof(path), "%s/fixture_sym", f->tmpdir);
	fx_spawn_in(f, path, f->tmpdir);
	assert_int_equal(access(path, F_OK), -1); /* not in our namespace */

	s = open_ok(f->pid, NULL);
	expect_own_functions(s, f);
	expect_frames(s, f);
	pt_usyms__close(s);
	s = open_ok(f->pid, &o);
	expect_own_functions(s, f);
	expect_frames(s, f);
	expect_others(s, f);
	pt_usyms__close(s);
	fx_exit(f);
}

/* The cache: thousands of distinct addresses (it grows), asked twice. */
static void test_cache(void **state)
{
	struct fx *f = *state;
	uint64_t heap, a;
	struct pt_usyms *s;
	struct pt_mapping m;
	char want[64];
	int pass;

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	heap = fx_addr(f, "heap");
	m = mapping_of(f->pid, heap);
	for (pass = 0; pass < 2; pass++) {
		for (a = m.start; a < m.start + 5000 && a < m.end; a++) {
			snprintf(want, sizeof(want), "[heap]+0x%" PRIx64,
				 a - m.start);
			expect_name(s, a, want);
		}
		expect_own_functions(s, f);
	}
	pt_usyms__close(s);
	fx_exit(f);
}

/* Bad arguments, a process that is gone, truncation. */
static void test_errors(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s = (struct pt_usyms *)1;
	char err[256] = "", buf[8];
	pid_t dead;

	assert_int_equal(pt_usyms__open(0, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_true(strlen(err) > 0);
	assert_int_equal(pt_usyms__open(-5, &s, NULL, 0), -EINVAL);

	dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	err[0] = '\0';
	s = (struct pt_usyms *)1;
	assert_int_equal(pt_usyms__open(dead, &s, err, sizeof(err)), -ESRCH);
	assert_null(s);
	assert_non_null(strstr(err, "no process"));

	pt_usyms__close(NULL);
	assert_int_equal(pt_usyms__refresh(NULL), -EINVAL);
	assert_false(pt_usyms__alive(NULL));
	assert_int_equal(pt_usyms__name(NULL, 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt_usyms__frames(NULL, 1, frame_cb, NULL), -EINVAL);

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	assert_int_equal(pt_usyms__name(s, 1, NULL, 8), -EINVAL);
	assert_int_equal(pt_usyms__name(s, 1, buf, 0), -EINVAL);
	assert_int_equal(pt_usyms__frames(s, 1, NULL, NULL), -EINVAL);
	/* truncated, NUL-terminated */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pt_usyms__name(s, fx_addr(f, "fxs_capture"), buf, 8),
			 0);
	assert_string_equal(buf, "fxs_cap");
	assert_int_equal(pt_usyms__name(s, fx_addr(f, "fxs_alpha"), buf, 1), 0);
	assert_string_equal(buf, "");
	pt_usyms__close(s);
	fx_exit(f);
}

/* A callback's nonzero return stops the walk and is returned. */
static int stop_cb(const struct pt_uframe *fr, void *ctx)
{
	(*(int *)ctx)++;
	return 7;
}

static void test_frames_stop(void **state)
{
	struct fx *f = *state;
	struct pt_usyms *s;
	int calls = 0;

	fx_spawn(f, FX_SYM);
	s = open_ok(f->pid, NULL);
	assert_int_equal(pt_usyms__frames(s, fx_addr(f, "fxs_inl_ret") - 1,
					  stop_cb, &calls),
			 7);
	assert_int_equal(calls, 1);
	calls = 0;
	assert_int_equal(pt_usyms__frames(s, 0x10, stop_cb, &calls), 7);
	assert_int_equal(calls, 1);
	pt_usyms__close(s);
	fx_exit(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pie, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_map_files, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_dlopen_refresh, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_object, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_kinds, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stripped, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_debuglink, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_build_id, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_debug_dir_path, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_debuginfod, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_exit_after_open, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_other_mount_ns, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cache, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_frames_stop, fx_setup,
						fx_teardown),
	};

	/* hermetic: no debuginfod downloads; a dead fixture is no signal */
	unsetenv("DEBUGINFOD_URLS");
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
