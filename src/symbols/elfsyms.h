/* SPDX-License-Identifier: MIT */
/*
 * elfsyms.h - function symbols, stage notes and uprobe offsets of an ELF
 * object, and the return types of its functions from DWARF.
 *
 * The objects belong to the traced program, i.e. to whoever wrote them, so
 * every size and offset read from them is checked before use. Functions
 * return 0 or a negative errno and never print.
 */
#ifndef PIPETRACE_ELFSYMS_H
#define PIPETRACE_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h" /* enum pt_items_mode */

struct pt_elf; /* opaque */

/*
 * Open the ELF object at PATH. Returns 0, -ENOENT, -EACCES (or another
 * -errno from open()), -ENOEXEC "not an ELF file" (also for anything but a
 * regular file; a FIFO is never blocked on), -EINVAL for a corrupt or
 * truncated ELF, -EPROTONOSUPPORT for a class, byte order or machine other
 * than the host's, -ENOMEM.
 */
int pt_elf__open(const char *path, struct pt_elf **out);
void pt_elf__close(struct pt_elf *e); /* NULL is fine */
const char *pt_elf__path(const struct pt_elf *e);
bool pt_elf__is_pie(const struct pt_elf *e); /* ET_DYN */
/* The entry point (e_entry): entered by a jump, not a call. */
uint64_t pt_elf__entry(const struct pt_elf *e);

enum pt_sym_kind {
	PT_SYM_FUNC,
	PT_SYM_IFUNC, /* addr is the resolver's, not the implementation's */
};

struct pt_sym {
	const char *name; /* valid while the pt_elf is open; "@version"
			   * suffix stripped */
	uint64_t addr; /* st_value */
	uint64_t size;
	uint64_t file_off; /* uprobe offset: via the executable PT_LOAD
			    * segment that contains addr */
	enum pt_sym_kind kind;
	bool global; /* STB_GLOBAL or STB_WEAK */
	bool cold; /* a cold fragment: see pt_sym__cold_parent_len() */
};

/*
 * Whether the symbol name[0..len) (no version suffix) names a cold fragment
 * of a function, PARENT.cold or PARENT.cold.N: the unlikely blocks a
 * compiler moved out of PARENT (GCC's -freorder-blocks-and-partition, on at
 * -O2; clang's -fsplit-machine-functions), entered by a jump from PARENT,
 * never by a call, so a return probe on it would overwrite a live stack
 * slot of PARENT. PARENT may itself be a clone (f.part.0.cold). Returns the
 * length of PARENT, or 0 when the name is no cold fragment. The other
 * suffixes GCC gives clones, .part.N (partial inlining), .isra.N, .constprop.N,
 * .lto_priv.N, .localalias, name real functions entered by calls.
 */
size_t pt_sym__cold_parent_len(const char *name, size_t len);

/* Non-zero stops the walk and is returned by it. */
typedef int (*pt_sym_cb)(const struct pt_sym *sym, void *ctx);

/*
 * Call CB for every defined function symbol (STT_FUNC, STT_GNU_IFUNC;
 * st_shndx != SHN_UNDEF; value != 0) of .symtab and .dynsym, each name once
 * (.symtab wins), in file order. Symbols whose address is in no executable
 * PT_LOAD segment are skipped, as are names that are empty, longer than
 * PT_SYM_NAME_MAX or hold anything but printable ASCII without space (no
 * real symbol does; the caller prints these names). An object without
 * .symtab that holds a Go function table (.gopclntab: `go build
 * -ldflags='-s -w'`) adds its functions after .dynsym's: each from its entry
 * to the next one's (padding included), global. Returns 0, -errno, or CB's
 * value.
 */
int pt_elf__for_each_func(struct pt_elf *e, pt_sym_cb cb, void *ctx);

/* Whether e has a function whose symbol is name. */
bool pt_elf__has_func(struct pt_elf *e, const char *name);

/* Whether e's dynamic section names name in a DT_NEEDED entry. */
bool pt_elf__needs(struct pt_elf *e, const char *name);

/*
 * Functions of a file without .symtab (stripped) come from its separate
 * debug file when one is found: /usr/lib/debug/.build-id/NN/REST.debug
 * (Debian's -dbgsym packages) with the same build ID, else the file its
 * .gnu_debuglink names (beside it, in its .debug/ directory, or under
 * /usr/lib/debug/ plus its directory) with the recorded CRC. The path of
 * that file, or NULL (none used, or the file has its own .symtab).
 */
const char *pt_elf__debug_path(struct pt_elf *e);

/* Whether e names its functions by .dynsym alone: no .symtab, no debug
 * file, no Go table (a stripped executable has only its exports). */
bool pt_elf__stripped(struct pt_elf *e);
/* 1 if e's dynamic symbols import one of names[0..n) (an undefined
 * symbol, any version), 0 if not, or -errno. */
int pt_elf__imports(struct pt_elf *e, const char *const *names, size_t n);

/* The string of e's first dynamic entry with tag (DT_RUNPATH, DT_RPATH,
 * DT_SONAME), copied into buf[0..size). Returns 0, -ENOENT (no such
 * entry, or its string out of bounds), -ENAMETOOLONG or -EINVAL. */
int pt_elf__dyn_string(struct pt_elf *e, int64_t tag, char *buf, size_t size);

#define PT_SYM_NAME_MAX 16384

/*
 * The file offset of virtual address VADDR through the executable PT_LOAD
 * segment that holds it in the file (p_vaddr <= VADDR < p_vaddr +
 * p_filesz). Returns 0, or -ENOENT if there is none.
 */
int pt_elf__addr_to_offset(const struct pt_elf *e, uint64_t vaddr,
			   uint64_t *off);

struct pt_stage_note {
	const char *name; /* valid while the pt_elf is open */
	uint8_t flags; /* PIPETRACE_STAGE_F_* */
};

/* Non-zero stops the walk and is returned by it. */
typedef int (*pt_note_cb)(const struct pt_stage_note *note, void *ctx);

/*
 * Call CB for every stage annotation: an ELF note with owner "pipetrace",
 * type 1 in any SHT_NOTE section (layout in include/pipetrace/stage.h), in
 * file order, duplicates included. Malformed notes (bad sizes, wrong
 * version, no NUL in the descriptor, a name that is empty or holds anything
 * but printable ASCII without space) are skipped. Returns 0, -errno, or CB's
 * value.
 */
int pt_elf__for_each_stage_note(struct pt_elf *e, pt_note_cb cb, void *ctx);

/* A probe site placed by PIPETRACE_ENTER() (include/pipetrace/stage.h). */
struct pt_site_note {
	uint64_t addr; /* the 5-byte nop's virtual address */
	uint64_t file_off; /* its uprobe offset */
	uint8_t kind; /* PIPETRACE_SITE_ENTRY or PIPETRACE_SITE_EXIT */
};

typedef int (*pt_site_cb)(const struct pt_site_note *site, void *ctx);

/*
 * Call CB for every probe-site note (owner "pipetrace", type 2) in a loaded
 * SHT_NOTE section, in file order. A site is reported only if its address
 * is in an executable PT_LOAD segment and the file holds the 5-byte nop
 * 0f 1f 44 00 00 there; malformed notes are skipped. Returns 0, -errno, or
 * CB's value.
 */
int pt_elf__for_each_site(struct pt_elf *e, pt_site_cb cb, void *ctx);

/* The first PT_SITES_MAX sites, in a malloc'ed array (free it); 0 or
 * -errno (then *out is NULL). */
#define PT_SITES_MAX 65536
int pt_elf__sites(struct pt_elf *e, struct pt_site_note **out, size_t *n);

/* Reads LEN bytes at file offset OFF; 0, -EIO past the end, or -errno. */
int pt_elf__read(const struct pt_elf *e, uint64_t off, void *buf, size_t len);

/* The file offset of the executable section `name` (".init"), found by the
 * section headers, which stripping keeps: 0 or -ENOENT. */
int pt_elf__code_section(struct pt_elf *e, const char *name, uint64_t *off);

/*
 * How FUNC's return value reads as an item count, from the object's own
 * DWARF: 4- and 8-byte signed/unsigned integer base types (through typedefs
 * and qualifiers) give PT_ITEMS_S32/U32/S64/U64, anything else (void,
 * pointers, floats, bool, char, enums, structs) PT_ITEMS_NONE. The DIE is
 * the defining subprogram whose DW_AT_low_pc is FUNC's symbol address, else
 * one named FUNC. Returns 0 and sets *mode, -ENOENT when there is no DWARF
 * or no such DIE, -ENOTSUP when the DWARF needs a supplementary
 * (.gnu_debugaltlink) file, -EINVAL if the DWARF is corrupt, -ENOMEM.
 */
int pt_elf__func_items_mode(struct pt_elf *e, const char *func,
			    enum pt_items_mode *mode);

/* Where the Go runtime's g (a goroutine) keeps what pipetrace reads: byte
 * offsets, -1 where unknown. */
struct pt_go_layout {
	int32_t stack_hi; /* g.stack.hi: the stack's upper end */
	int32_t goid; /* g.goid: the goroutine's id (a g is reused) */
};

/*
 * The layout of the Go runtime's g from the object's DWARF (runtime.g's
 * member stack, a runtime.stack, its member hi; its member goid). Returns
 * 0 and fills *out, -ENOENT when there is no DWARF or no believable
 * runtime.g, -ENOTSUP, -EINVAL.
 */
int pt_elf__go_layout(struct pt_elf *e, struct pt_go_layout *out);

#endif /* PIPETRACE_ELFSYMS_H */
