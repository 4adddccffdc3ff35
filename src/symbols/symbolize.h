/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - names for user-space code addresses of one process.
 *
 * pt_usyms__open() reads /proc/PID/maps and, for every file-backed
 * executable mapping, opens the file while the process lives (through
 * /proc/PID/map_files/, else /proc/PID/root/PATH, so that a target in
 * another mount namespace or one that has since exited, or whose file was
 * deleted or replaced, is still symbolized) and reports it to a libdw Dwfl
 * at its load bias. The vDSO is copied out of the process's memory. Symbol
 * tables and DWARF come from the file itself or from a separate debug file
 * that Dwfl's standard search finds (.gnu_debuglink next to the object or
 * under DIR/<object's directory>/ for each debuginfo path DIR, where
 * <name>.debug is tried without a debuglink; build-id under
 * DIR/.build-id/; debuginfod, through Debian's libdebuginfod that libdw
 * loads, only when DEBUGINFOD_URLS is set).
 *
 * Names are cached by address. A handle holds one open descriptor per
 * module (until close) and is not thread-safe. Functions return 0 or a
 * negative errno and never print.
 */
#ifndef PIPETRACE_SYMBOLIZE_H
#define PIPETRACE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pt_usyms;

/* Flags of struct pt_usyms_opts. */
#define PT_USYMS_NO_MAP_FILES 1u /* open files as /proc/PID/root/PATH only */
#define PT_USYMS_NO_VDSO_MEM 2u /* don't copy the vDSO out of /proc/PID/mem */

/* Options of pt_usyms__open_opts(); all-zero means the defaults. */
struct pt_usyms_opts {
	/*
	 * Dwfl's debuginfo path (copied): ':'-separated directories, "" for
	 * the object's own directory, relative ones under it, absolute ones
	 * also searched for .build-id/NN/REST.debug; a leading '-' skips
	 * the CRC check. NULL: ":.debug:/usr/lib/debug".
	 */
	const char *debuginfo_path;
	unsigned int flags; /* PT_USYMS_* */
};

/*
 * Open a symbolizer for process PID: read its maps and open the files of
 * its executable mappings now. Returns 0 and *out, or -EINVAL (pid <= 0),
 * -ESRCH (no such process), -EACCES/-EPERM (its maps are not readable),
 * -ENOMEM; ERR (if ERRLEN > 0) then gets a one-line message. A mapped file
 * that cannot be opened or is not ELF is not an error: its addresses are
 * named "file+0xOFFSET".
 */
int pt_usyms__open(pid_t pid, struct pt_usyms **out, char *err, size_t errlen);

/* pt_usyms__open() with options (OPTS may be NULL). Same returns. */
int pt_usyms__open_opts(pid_t pid, const struct pt_usyms_opts *opts,
			struct pt_usyms **out, char *err, size_t errlen);

/*
 * Re-read the maps if the process still lives and report the objects
 * mapped since (dlopen). Objects unmapped since are kept unless something
 * new was mapped over them, so that addresses sampled earlier still
 * resolve. Once the process is gone (or its PID reused) the cached state is
 * kept and this returns 0. Returns 0, -ENOMEM, or a maps read error.
 */
int pt_usyms__refresh(struct pt_usyms *s);

/* Whether the process was alive at the last open or refresh. */
bool pt_usyms__alive(const struct pt_usyms *s);

/*
 * Write the name of the code at ADDR into BUF (LEN bytes, truncated to fit,
 * always NUL-terminated): the symbol holding ADDR, without an offset,
 * demangled if it is a C++ or Rust name (demangle.h); else
 * "OBJECT+0xOFF" with OBJECT the basename of the mapped file ("[vdso]" for
 * the vDSO) and OFF the offset of ADDR in that file; "[heap]+0xOFF",
 * "[stack]+0xOFF", "[anon]+0xOFF" (offset into the mapping) for addresses
 * in mappings without a file, and "OBJECT+0xOFF" too for an address in a
 * mapping that is not executable (not code, whatever symbol is there); "[unknown]" when no mapping holds ADDR. A
 * miss outside every known mapping re-reads the maps once (see refresh).
 * For a return address taken from a stack, pass ADDR - 1. Returns 0, or
 * -EINVAL for a NULL S or BUF or a zero LEN.
 */
int pt_usyms__name(struct pt_usyms *s, uint64_t addr, char *buf, size_t len);

/* What kind of code an address is, by the mapping and object holding it. */
enum pt_ucode {
	PT_UCODE_SYMBOL, /* a symbol of a mapped file or the vDSO names it */
	PT_UCODE_NOSYM, /* in a mapped object, no symbol: "OBJECT+0xOFF" */
	PT_UCODE_ANON_EXEC, /* executable memory without a file (JIT code,
			     * executable [heap]/[stack]/[anon:...]) */
	PT_UCODE_UPROBES, /* the kernel's uprobe area ("[uprobes]": the
			   * out-of-line single-step slots and the uretprobe
			   * trampoline) */
	PT_UCODE_NOT_CODE, /* mapped but not executable ([heap], [stack],
			    * a thread's stack, a file's data) */
	PT_UCODE_UNMAPPED, /* no mapping holds it: "[unknown]" */
};

/*
 * What ADDR is (same lookup and cache as pt_usyms__name(), whose name
 * goes with it). Returns 0, -EINVAL or -ENOMEM.
 */
int pt_usyms__kind(struct pt_usyms *s, uint64_t addr, enum pt_ucode *kind);

/*
 * Write the object holding ADDR into BUF (as pt_usyms__name()): the
 * basename of its mapped file, "[vdso]", "[heap]", "[anon]", or
 * "[unknown]"; that is, pt_usyms__name()'s "OBJECT+0xOFF" without the
 * offset. Returns 0, -EINVAL or -ENOMEM.
 */
int pt_usyms__object(struct pt_usyms *s, uint64_t addr, char *buf, size_t len);

/* One source-level frame of an address (see pt_usyms__frames()). */
struct pt_uframe {
	const char *name; /* function; for the outermost frame as
			   * pt_usyms__name() would name ADDR */
	const char *file; /* source file, NULL when unknown */
	unsigned int line; /* 0 when unknown */
	bool inlined; /* this function was inlined into the frame before */
};

/* Called per frame; a nonzero return stops the walk and is passed on. */
typedef int (*pt_uframe_fn)(const struct pt_uframe *f, void *ctx);

/*
 * Call FN for every source-level frame at ADDR, outermost first: the
 * function whose machine code holds ADDR, then each function inlined into
 * it down to the innermost one (from DWARF; one frame without it). Each
 * frame's file:line is where control is in that function: the innermost
 * frame's is ADDR's line, an outer one's is the call site of the inlined
 * call. The strings are valid during the callback only. Returns 0, FN's
 * nonzero return, -EINVAL or -ENOMEM.
 */
int pt_usyms__frames(struct pt_usyms *s, uint64_t addr, pt_uframe_fn fn,
		     void *ctx);

struct Dwfl;
/* The Dwfl that holds S's modules, for the unwinder (symbols/unwind.h):
 * valid until pt_usyms__close(S); its modules change on refresh. */
struct Dwfl *pt_usyms__dwfl(struct pt_usyms *s);

/* Close everything S holds; NULL is fine. */
void pt_usyms__close(struct pt_usyms *s);

#endif /* PIPETRACE_SYMBOLIZE_H */
