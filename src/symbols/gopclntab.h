/* SPDX-License-Identifier: MIT */
/*
 * gopclntab.h - function names of a Go binary from its own table,
 * .gopclntab, which stays when the binary is stripped (`-ldflags='-s -w'`
 * drops .symtab and DWARF; the runtime needs pclntab for tracebacks).
 *
 * Layout read (Go 1.18 and later: the header magic 0xfffffff0 of Go
 * 1.18/1.19, 0xfffffff1 of Go 1.20+; little-endian, 4- or 8-byte
 * pointers):
 *
 *	header: magic u32, 2 pad bytes, minLC u8, ptrSize u8, then ptrSize
 *	words: nfunc, nfiles, textStart, funcnameOffset, cuOffset,
 *	filetabOffset, pctabOffset, pclnOffset (offsets from the header)
 *	functab at pclnOffset: nfunc + 1 pairs of u32 {entryOff, funcOff},
 *	entryOff from textStart (the last pair's is the end of the text),
 *	funcOff from pclnOffset to the function's _func record
 *	_func: entryOff u32, nameOff i32 (into funcnametab), ...
 *	funcnametab at funcnameOffset: NUL-terminated names
 *
 * The section is hostile input: every offset and count is checked against
 * it, the function table must be sorted, and a name must end inside it.
 * Older tables (Go 1.2-1.17 magics) are refused with -EPROTONOSUPPORT.
 */
#ifndef PIPETRACE_GOPCLNTAB_H
#define PIPETRACE_GOPCLNTAB_H

#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#define PT_GOPCLN_MAGIC_118 0xfffffff0u
#define PT_GOPCLN_MAGIC_120 0xfffffff1u

struct pt_gotab;

/*
 * Parse a .gopclntab of LEN bytes at DATA (copied). TEXT_FALLBACK is the
 * text start used when the header's is 0 (a position-independent build,
 * whose header word is filled in by a relocation): the .text section's
 * address. Returns 0 and *out, -EINVAL (truncated or inconsistent),
 * -EPROTONOSUPPORT (not a Go 1.18+ table) or -ENOMEM.
 */
int pt_gotab__parse(const void *data, size_t len, uint64_t text_fallback,
		    struct pt_gotab **out);

/*
 * The .gopclntab of ELF (.data.rel.ro.gopclntab in a -buildmode=pie
 * binary), parsed. Returns 0 and *out, -ENOENT (no such section), or
 * pt_gotab__parse()'s errors.
 */
int pt_gotab__elf(Elf *elf, struct pt_gotab **out);

/* Number of functions in the table. */
size_t pt_gotab__count(const struct pt_gotab *t);

/*
 * The function holding PC (a link-time address): *name (valid until
 * pt_gotab__free) and *entry. Returns 0, -ENOENT (outside every function,
 * or its name offset is bad) or -EINVAL.
 */
int pt_gotab__lookup(const struct pt_gotab *t, uint64_t pc, const char **name,
		     uint64_t *entry);

/*
 * The I-th function (0 <= I < count): its *entry, *end and *name.
 * Returns 0, -ENOENT (bad name offset) or -EINVAL (I out of range).
 */
int pt_gotab__func(const struct pt_gotab *t, size_t i, uint64_t *entry,
		   uint64_t *end, const char **name);

void pt_gotab__free(struct pt_gotab *t);

#endif /* PIPETRACE_GOPCLNTAB_H */
