/* SPDX-License-Identifier: MIT */
/*
 * kallsyms.h - kernel text symbols from /proc/kallsyms.
 *
 * The text is parsed as hostile input (strict, bounds-checked, never
 * trusting a NUL terminator). Only text symbols are kept (types t, T, and
 * the weak w, W), sorted by address, one per address; lines whose address
 * is zero (kernel.kptr_restrict hides them) are counted and skipped.
 * Functions return 0 or a negative errno and never print.
 */
#ifndef PIPETRACE_KALLSYMS_H
#define PIPETRACE_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct pt_ksyms;

struct pt_ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* "ext4", "bpf"..., without the brackets; NULL
			     * for the kernel image */
	char type; /* 't', 'T', 'w' or 'W' */
};

#define PT_KSYM_NAME_MAX 512 /* KSYM_NAME_LEN: longer names are malformed */
#define PT_KSYMS_MAX_BYTES (1ULL << 30) /* pt_ksyms__load()'s limit */

/*
 * Parse LEN bytes of kallsyms text (need not be NUL-terminated). A line is
 * "ADDR TYPE NAME" or "ADDR TYPE NAME\t[MODULE]": ADDR 1 to 16 hex digits,
 * TYPE one printable character, NAME 1 to PT_KSYM_NAME_MAX printable
 * non-space characters, MODULE 1 to 255 of them but ']'. The last line may
 * lack its newline. Where several text symbols share an address, the one
 * kept is global before weak before local, then with fewer leading
 * underscores, then first. Returns 0 and *out, -EINVAL on any malformed
 * line, -ENOMEM (*out is NULL on error).
 */
int pt_ksyms__parse(const char *buf, size_t len, struct pt_ksyms **out);

/*
 * Read and parse /proc/kallsyms. Returns 0 and *out; -EACCES when every
 * address is zero (kptr_restrict); -EFBIG past PT_KSYMS_MAX_BYTES; an open
 * or read error; a parse error. ERR (if ERRLEN > 0) then gets a one-line
 * message.
 */
int pt_ksyms__load(struct pt_ksyms **out, char *err, size_t errlen);

/*
 * pt_ksyms__parse() keeping only what lookups of the NWANT addresses WANT
 * (any order, repeats allowed) need: for each, the symbol
 * pt_ksyms__parse()'s table would give it. pt_ksyms__find() and
 * pt_ksyms__name() then answer exactly as the whole table's would for
 * those addresses, and NULL for any other (a frame read after the table
 * was made is not named by a wrong neighbour).
 * A table of a few entries, not of every kernel symbol: on a VM where
 * touching fresh memory costs ~25 us a page, the whole table's ~2,000
 * pages were most of a load. Same returns as pt_ksyms__parse().
 */
int pt_ksyms__parse_for(const char *buf, size_t len, const uint64_t *want,
			size_t nwant, struct pt_ksyms **out);

/* pt_ksyms__load() with pt_ksyms__parse_for(). */
int pt_ksyms__load_for(const uint64_t *want, size_t nwant,
		       struct pt_ksyms **out, char *err, size_t errlen);

/* The symbol with the greatest address <= ADDR, or NULL below the first
 * (or for a NULL K). */
const struct pt_ksym *pt_ksyms__find(const struct pt_ksyms *k, uint64_t addr);

/* pt_ksyms__find()'s name, or NULL. */
const char *pt_ksyms__name(const struct pt_ksyms *k, uint64_t addr);

/* Number of symbols kept, and the I-th by address (NULL past the end). */
size_t pt_ksyms__count(const struct pt_ksyms *k);
const struct pt_ksym *pt_ksyms__at(const struct pt_ksyms *k, size_t i);

/* Number of lines skipped because their address was zero. */
size_t pt_ksyms__hidden(const struct pt_ksyms *k);

/* Free K; NULL is fine. */
void pt_ksyms__free(struct pt_ksyms *k);

#endif /* PIPETRACE_KALLSYMS_H */
