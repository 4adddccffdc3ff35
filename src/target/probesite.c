// SPDX-License-Identifier: MIT
/*
 * probesite.c - the probe-site choice: which instruction of a function's
 * entry is probed, and which PIPETRACE_ENTER() sites a stage gets (see
 * probesite.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>

#include <pipetrace/stage.h>

#include "target/probesite.h"
#include "target/stages.h"
#include "target/x86insn.h"

enum pt_probe_class pt_probe_class__of(const uint8_t *code, size_t len)
{
	if (pt_x86__push_len(code, len))
		return PT_PROBE_PUSH;
	if (pt_x86__is_endbr64(code, len))
		return PT_PROBE_ENDBR;
	if (pt_x86__is_nop5(code, len))
		return PT_PROBE_NOP5;
	/* Other nops are emulated as a push is (Linux 6.14 and later; the
	 * nop5 above is also made a call, cheaper still): measured here, a
	 * step calibration left such stages at 0 ns. */
	if (pt_x86__is_nop(code, len))
		return PT_PROBE_PUSH;
	return PT_PROBE_STEP;
}

enum pt_probe_class pt_probe_entry__choose(const uint8_t *code, size_t len,
					   uint32_t *skip)
{
	enum pt_probe_class c = pt_probe_class__of(code, len);
	const size_t e = PT_X86_ENDBR64_LEN;

	*skip = 0;
	/*
	 * endbr64 is single-stepped; a push right after it is emulated. Past
	 * the endbr64 the stack is untouched, so the return address is where
	 * a uretprobe expects it, and every call still passes there unless
	 * something jumps to it: only then is the cheaper site taken.
	 */
	if (c == PT_PROBE_ENDBR && pt_x86__push_len(code + e, len - e) &&
	    !pt_x86__may_branch_to(code, len, e)) {
		*skip = e;
		return PT_PROBE_PUSH;
	}
	return c;
}

/* `test %rdi,%rdi` then `je rel8` or `je rel32` at code[0..len): the
 * length of the two, or 0. */
static size_t null_test_len(const uint8_t *code, size_t len)
{
	if (len < 5 || code[0] != 0x48 || code[1] != 0x85 || code[2] != 0xff)
		return 0;
	if (code[3] == 0x74)
		return 5;
	if (len >= 9 && code[3] == 0x0f && code[4] == 0x84)
		return 9;
	return 0;
}

enum pt_probe_class pt_probe_free__choose(const uint8_t *code, size_t len,
					  uint32_t *skip)
{
	enum pt_probe_class c = pt_probe_entry__choose(code, len, skip);
	size_t e = pt_x86__is_endbr64(code, len) ? PT_X86_ENDBR64_LEN : 0;
	size_t k = e + null_test_len(code + e, len - e);

	/* Past the test, rdi is still the pointer: every non-NULL free()
	 * passes the push there unless something else jumps to it. */
	if (c == PT_PROBE_PUSH || k == e ||
	    !pt_x86__push_len(code + k, len - k) ||
	    pt_x86__may_branch_to(code, len, k))
		return c;
	*skip = (uint32_t)k;
	return PT_PROBE_PUSH;
}

/* Reads the function of size bytes at file offset off of path into code
 * (at most PT_PROBE_SCAN_MAX bytes, 16 for a sizeless symbol): the bytes
 * read (0: none), and in *whole whether that is all of it. */
static size_t read_code(const char *path, uint64_t off, uint64_t size,
			uint8_t *code, bool *whole)
{
	ssize_t n = -1;
	int fd;

	*whole = size <= PT_PROBE_SCAN_MAX;
	if (size < 16)
		size = 16; /* sizeless symbols (assembly) */
	if (size > PT_PROBE_SCAN_MAX)
		size = PT_PROBE_SCAN_MAX;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = pread(fd, code, (size_t)size, (off_t)off);
		close(fd);
	}
	return n > 0 ? (size_t)n : 0;
}

/* The class of the probe at path's function (off, size): choose() picks
 * it (and *skip) from the function's code; one larger than the scan is
 * taken as it starts only. */
static enum pt_probe_class
probe_at(const char *path, uint64_t off, uint64_t size, uint32_t *skip,
	 enum pt_probe_class (*choose)(const uint8_t *, size_t, uint32_t *))
{
	uint8_t code[PT_PROBE_SCAN_MAX];
	bool whole;
	size_t n = read_code(path, off, size, code, &whole);

	if (!whole) {
		*skip = 0;
		return pt_probe_class__of(code, n);
	}
	return choose(code, n, skip);
}

enum pt_probe_class pt_probe_entry__at(const char *path, uint64_t off,
				       uint64_t size, uint32_t *skip)
{
	return probe_at(path, off, size, skip, pt_probe_entry__choose);
}

enum pt_probe_class pt_probe_free__at(const char *path, uint64_t off,
				      uint64_t size, uint32_t *skip)
{
	return probe_at(path, off, size, skip, pt_probe_free__choose);
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
	case PT_PROBE_RETSITE:
		return "retsite";
	case PT_PROBE_NOP5:
		return "nop5entry";
	default:
		return "step";
	}
}

static bool site_in(const struct pt_site_note *x, const struct pt_stage *s,
		    uint64_t size)
{
	return x->addr >= s->addr && x->addr - s->addr < size;
}

int pt_stage__add_sites(struct pt_stage *s, const struct pt_site_note *sites,
			size_t nsites, uint64_t size)
{
	size_t i, n = 0, kind;

	for (i = 0; i < nsites; i++)
		n += site_in(&sites[i], s, size);
	if (!n)
		return 0;
	s->sites = calloc(n, sizeof(*s->sites));
	if (!s->sites)
		return -ENOMEM;
	for (kind = PIPETRACE_SITE_ENTRY; kind <= PIPETRACE_SITE_EXIT; kind++)
		for (i = 0; i < nsites; i++) {
			const struct pt_site_note *x = &sites[i];

			if (x->kind != kind || !site_in(x, s, size))
				continue;
			s->sites[s->nentry + s->nexit] = x->file_off;
			if (kind == PIPETRACE_SITE_ENTRY)
				s->nentry++;
			else
				s->nexit++;
		}
	if (s->nentry && s->nexit) {
		s->has_sites = true;
		s->probe_class = PT_PROBE_SITE;
		/* The exit site hands over PIPETRACE_ITEMS() as a long. */
		if (s->items != PT_ITEMS_NONE && !s->items_explicit)
			s->items = PT_ITEMS_S64;
	}
	return 0;
}

void pt_stages__drop_sites(struct pt_stage_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct pt_stage *s = &set->v[i];

		/* Return sites are not --sites': they stay. */
		if (s->probe_class == PT_PROBE_RETSITE)
			continue;
		free(s->sites);
		s->sites = NULL;
		s->nentry = s->nexit = 0;
		s->probe_class = s->fn_class;
		s->items = s->fn_items;
	}
}

/* ------------------------------------------------------------ return sites */

/* The x86 number (rax 0 ... r15 15) of a 64-bit capstone register, or -1. */
static int x86_regno(x86_reg r)
{
	static const x86_reg regs[16] = {
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
		X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
		X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
		X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
	};
	int i;

	for (i = 0; i < 16; i++)
		if (regs[i] == r)
			return i;
	return -1;
}

/*
 * The exit flags of a jmp at offset of a function of size bytes (0: none).
 * A direct jmp out of the function is a tail call; an indirect one through
 * a register is checked when it runs (PT_COOKIE_IND); one through memory
 * is a tail call with a base register (a GOT slot, a vtable), and a jump
 * table with an index only.
 */
static uint32_t jmp_exit(const cs_x86_op *op, uint64_t size)
{
	int reg;

	switch (op->type) {
	case X86_OP_IMM:
		return (uint64_t)op->imm >= size ? PT_COOKIE_TAIL : 0;
	case X86_OP_REG:
		reg = x86_regno(op->reg);
		if (reg < 0)
			return 0;
		return PT_COOKIE_TAIL | PT_COOKIE_IND |
		       (uint32_t)reg << PT_COOKIE_REG_SHIFT;
	case X86_OP_MEM:
		return op->mem.base != X86_REG_INVALID ? PT_COOKIE_TAIL : 0;
	default:
		return 0;
	}
}

/* Appends an exit at offset off with flags to r. Returns 0 or -ENOMEM. */
static int rets_add(struct pt_rets *r, uint64_t off, uint32_t flags)
{
	void *p;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;

		p = realloc(r->v, cap * sizeof(*r->v));
		if (!p)
			return -ENOMEM;
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n].off = off;
	r->v[r->n++].flags = flags;
	return 0;
}

/* Whether the kernel refuses to probe an instruction with x's prefixes:
 * a segment override or lock (arch/x86 uprobes' is_prefix_bad()). */
static bool prefix_refused(const cs_x86 *x)
{
	return x->prefix[0] == X86_PREFIX_LOCK || x->prefix[1] != 0;
}

/* The exit flags of instruction in (0: not an exit), or PT_EXIT_REFUSED
 * for an exit the kernel would not probe. */
#define PT_EXIT_REFUSED UINT32_MAX
static uint32_t exit_flags(const cs_insn *in, uint64_t size)
{
	const cs_x86 *x = &in->detail->x86;
	uint32_t f = 0;

	if (in->id == X86_INS_RET)
		f = PT_COOKIE_RET;
	else if (in->id == X86_INS_JMP && x->op_count == 1)
		f = jmp_exit(&x->operands[0], size);
	if (!f || !prefix_refused(x))
		return f;
	/* notrack (3e) marks a jump table's jmp (CET builds): no exit. */
	if (x->prefix[1] == X86_PREFIX_DS && (f & PT_COOKIE_IND))
		return 0;
	return PT_EXIT_REFUSED;
}

/*
 * Go's exits: ret, and a direct jmp out of the function; an indirect jmp
 * in compiled Go is a jump table's (Go makes no indirect tail calls), and
 * one that did leave would only leave its frame to expire. The direct
 * call after which the next branch is a jmp back to the function's start
 * is the prologue's call to runtime.morestack (PT_COOKIE_GROW).
 */
struct go_scan {
	uint64_t call; /* offset of the last direct call out, or UINT64_MAX */
};

/* Whether in is a branch: a jump (conditional or not), call or ret. */
static bool is_branch(const cs_insn *in)
{
	uint8_t i;

	for (i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == CS_GRP_JUMP ||
		    in->detail->groups[i] == CS_GRP_CALL ||
		    in->detail->groups[i] == CS_GRP_RET)
			return true;
	return false;
}

static uint32_t go_exit_flags(const cs_insn *in, uint64_t size,
			      struct go_scan *g)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op = &x->operands[0];
	bool direct = x->op_count == 1 && op->type == X86_OP_IMM;
	uint64_t call = g->call;
	uint32_t f = 0;

	if (is_branch(in))
		g->call = UINT64_MAX;
	if (in->id == X86_INS_CALL && direct && (uint64_t)op->imm >= size)
		g->call = in->address;
	if (in->id == X86_INS_RET)
		f = PT_COOKIE_RET;
	else if (in->id == X86_INS_JMP && direct && (uint64_t)op->imm >= size)
		f = PT_COOKIE_RET | PT_COOKIE_TAIL;
	else if (in->id == X86_INS_JMP && direct && op->imm == 0 &&
		 call != UINT64_MAX)
		return PT_COOKIE_GROW; /* for the call, not this jmp */
	if (f && prefix_refused(x))
		return PT_EXIT_REFUSED;
	return f;
}

/* Decodes code[0..len) into out: exits by exit_flags(), or Go's by
 * go_exit_flags() when go. */
static int find_exits(const uint8_t *code, size_t len, bool go,
		      struct pt_rets *out)
{
	struct go_scan g = { .call = UINT64_MAX };
	const uint8_t *p = code;
	uint64_t addr = 0, at;
	size_t left = len;
	uint32_t flags;
	cs_insn *in;
	csh h;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in)
		ret = -ENOMEM;
	while (!ret && left && cs_disasm_iter(h, &p, &left, &addr, in)) {
		/* A morestack call is known at the jmp that follows it. */
		at = g.call;
		flags = go ? go_exit_flags(in, len, &g) : exit_flags(in, len);
		if (flags != PT_COOKIE_GROW)
			at = in->address;
		if (flags == PT_EXIT_REFUSED)
			ret = -EOPNOTSUPP;
		else if (flags)
			ret = rets_add(out, at, flags);
	}
	/* An undecodable byte: the instruction boundaries after it are not
	 * known, and a probe inside an instruction would corrupt it. */
	if (!ret && left)
		ret = -EILSEQ;
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	if (ret) {
		free(out->v);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

int pt_probe_rets__find(const uint8_t *code, size_t len, struct pt_rets *out)
{
	return find_exits(code, len, false, out);
}

int pt_probe_gorets__find(const uint8_t *code, size_t len, struct pt_rets *out)
{
	return find_exits(code, len, true, out);
}

/* ----------------------------------------------------------------- languages */

/* What the name of section or needed library name says of its object. */
static int lang_of_name(const char *name, bool needed)
{
	if (!name)
		return PT_LANG_PLAIN;
	if (!needed &&
	    (!strcmp(name, ".gopclntab") || !strcmp(name, ".go.buildinfo")))
		return PT_LANG_GO;
	if (!needed && !strcmp(name, ".gcc_except_table"))
		return PT_LANG_UNWIND;
	if (needed &&
	    (!strncmp(name, "libstdc++", 9) || !strncmp(name, "libgcc_s", 8)))
		return PT_LANG_UNWIND;
	return PT_LANG_PLAIN;
}

/* The strongest language evidence in the DT_NEEDED entries of scn. */
static int lang_of_dynamic(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	int lang = PT_LANG_PLAIN, l;
	GElf_Dyn dyn;
	size_t i, n;

	if (!d || !sh->sh_entsize)
		return lang;
	n = d->d_size / sh->sh_entsize;
	for (i = 0; i < n && gelf_getdyn(d, (int)i, &dyn); i++) {
		if (dyn.d_tag != DT_NEEDED)
			continue;
		l = lang_of_name(elf_strptr(e, sh->sh_link, dyn.d_un.d_val),
				 true);
		lang = l > lang ? l : lang;
	}
	return lang;
}

static int lang_of_elf(Elf *e)
{
	int lang = PT_LANG_PLAIN, l;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		l = sh.sh_type == SHT_DYNAMIC ?
			    lang_of_dynamic(e, scn, &sh) :
			    lang_of_name(elf_strptr(e, shstrndx, sh.sh_name),
					 false);
		lang = l > lang ? l : lang;
	}
	return lang;
}

int pt_probe_lang__of(const char *path)
{
	Elf *e;
	int fd, ret;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ, NULL);
	ret = e ? lang_of_elf(e) : -ENOEXEC;
	elf_end(e);
	close(fd);
	return ret;
}

const char *pt_probe_lang__why(int lang)
{
	switch (lang) {
	case PT_LANG_UNWIND:
		return "C++ or Rust code: exceptions and panics unwind through its functions";
	case PT_LANG_GO:
		return "Go code: goroutine stacks move when they grow";
	default:
		return "C";
	}
}

/* ------------------------------------------------------ return-site stages */

/* Reads the size bytes of s's function from path into a new buffer. */
static int read_function(const struct pt_stage *s, const char *path,
			 uint64_t size, uint8_t **out)
{
	uint64_t start = s->file_off - s->entry_skip;
	ssize_t n = -1;
	int fd;

	*out = NULL;
	if (!size)
		return -ENODATA; /* sizeless: where it ends is not known */
	if (size > PT_RETSITE_MAX_FN)
		return -EFBIG;
	*out = malloc(size);
	if (!*out)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = pread(fd, *out, size, (off_t)start);
		close(fd);
	}
	if (n == (ssize_t)size)
		return 0;
	free(*out);
	*out = NULL;
	return n < 0 ? -EIO : -ENODATA;
}

/* Makes s a return-site stage: its entry, then exits at rets. */
static int set_retsites(struct pt_stage *s, const struct pt_rets *rets,
			uint64_t size)
{
	uint64_t start = s->file_off - s->entry_skip;
	size_t i;

	free(s->sites);
	s->sites = calloc(rets->n + 1, sizeof(*s->sites));
	s->exit_flags = calloc(rets->n + 1, sizeof(*s->exit_flags));
	if (!s->sites || !s->exit_flags)
		return -ENOMEM;
	s->sites[0] = s->file_off;
	for (i = 0; i < rets->n; i++) {
		s->sites[i + 1] = start + rets->v[i].off;
		s->exit_flags[i] = rets->v[i].flags;
		if (rets->v[i].flags & PT_COOKIE_IND)
			s->exit_flags[i] |= rets->v[i].off << 32;
	}
	s->nentry = 1;
	s->nexit = rets->n;
	s->fn_size = (uint32_t)size;
	s->probe_class = PT_PROBE_RETSITE;
	return 0;
}

int pt_stage__use_retsites(struct pt_stage *s, const char *path, uint64_t size)
{
	struct pt_rets rets;
	uint8_t *code;
	int ret;

	ret = read_function(s, path, size, &code);
	if (!ret)
		ret = pt_probe_rets__find(code, size, &rets);
	free(code);
	if (ret)
		return ret;
	ret = set_retsites(s, &rets, size);
	free(rets.v);
	return ret;
}

int pt_stage__use_gosites(struct pt_stage *s, const char *path, uint64_t size,
			  const struct pt_go_layout *g)
{
	struct pt_rets rets;
	uint8_t *code;
	int ret;

	/* Go code has no endbr64: the entry is the function's start, where
	 * the morestack path jumps back to. */
	if (s->entry_skip)
		return -EILSEQ;
	ret = read_function(s, path, size, &code);
	if (!ret)
		ret = pt_probe_gorets__find(code, size, &rets);
	free(code);
	if (ret)
		return ret;
	ret = set_retsites(s, &rets, size);
	free(rets.v);
	s->go = true;
	s->go_layout = *g;
	return ret;
}

int pt_stage__add_goexit(struct pt_stage *s, uint64_t file_off)
{
	size_t n = s->nentry + s->nexit;
	uint64_t *sites, *flags;

	sites = realloc(s->sites, (n + 1) * sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	s->sites = sites;
	flags = realloc(s->exit_flags, (s->nexit + 1) * sizeof(*flags));
	if (!flags)
		return -ENOMEM;
	s->exit_flags = flags;
	sites[n] = file_off;
	flags[s->nexit++] = PT_COOKIE_GOEXIT;
	return 0;
}

const char *pt_probe_rets__why(int err)
{
	switch (err) {
	case -ENODATA:
		return "its size is unknown, so its return instructions cannot be found";
	case -EFBIG:
		return "it is too large to decode for its return instructions";
	case -EILSEQ:
		return "its code does not decode as x86-64, so its return instructions cannot be found";
	case -EOPNOTSUPP:
		return "one of its return instructions has a prefix the kernel does not probe";
	default:
		return "its code cannot be read";
	}
}

uint64_t pt_stage__bias(const struct pt_stage *s, const uint64_t *bias)
{
	uint64_t b = bias[s->probe_class];

	/* pt_calib_retsite's entry is an emulated push: a single-stepped
	 * entry costs what it costs more with a return probe. */
	if (s->probe_class == PT_PROBE_RETSITE &&
	    s->fn_class != PT_PROBE_PUSH &&
	    bias[s->fn_class] > bias[PT_PROBE_PUSH])
		b += bias[s->fn_class] - bias[PT_PROBE_PUSH];
	return b;
}

bool pt_stage__calibrates(const struct pt_stage *s, enum pt_probe_class c)
{
	return s->probe_class == c ||
	       (s->probe_class == PT_PROBE_RETSITE && s->fn_class == c);
}
