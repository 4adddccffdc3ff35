/* SPDX-License-Identifier: MIT */
/*
 * demangle.h - human names for C++ (Itanium ABI) and Rust (legacy and v0)
 * symbols, through libiberty's demangler.
 *
 * Symbol names come from files others control: the input and the output
 * are bounded (PT_DEMANGLE_MAX), the output is kept only when it is
 * printable ASCII, and nothing here prints or allocates.
 */
#ifndef PIPETRACE_DEMANGLE_H
#define PIPETRACE_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest symbol demangled and longest demangled name kept, in bytes. */
#define PT_DEMANGLE_MAX 4096
/* A buffer that holds any demangled name (with a version suffix). */
#define PT_DEMANGLE_BUF (2 * PT_DEMANGLE_MAX + 2)

/* Flags of pt_demangle(). */
#define PT_DEMANGLE_NO_PARAMS 1u /* "ns::f" instead of "ns::f(int)" */

/*
 * Demangle SYM into BUF (LEN bytes): C++ names with their parameter types
 * (unless PT_DEMANGLE_NO_PARAMS) and const/volatile, Rust names without
 * their hash. Returns 0; -EINVAL when SYM is no mangled name (plain C
 * names) or the demangler refuses it; -ENAMETOOLONG when SYM or the result
 * is longer than PT_DEMANGLE_MAX or does not fit in BUF; -EILSEQ when the
 * result holds anything but printable ASCII (Rust v0 decodes Unicode
 * identifiers). BUF then holds "".
 */
int pt_demangle(const char *sym, unsigned int flags, char *buf, size_t len);

/*
 * The name to show for SYM: its demangled form written into BUF (LEN
 * bytes, at least PT_DEMANGLE_BUF to never fall back for want of room),
 * a version suffix ("@VER", "@@VER") kept after it; SYM itself when it
 * does not demangle. A C++ constructor or destructor, whose variants (C1
 * and C2, D0, D1 and D2) demangle alike, is "NAME [SYM]", so that two of
 * them never look the same. Never NULL.
 */
const char *pt_demangle__display(const char *sym, unsigned int flags, char *buf,
				 size_t len);

/*
 * Whether the fnmatch(3) glob PATTERN names SYM: as written (the raw
 * symbol), or its demangled name with parameters ("ns::C::f(int)"), or
 * without them ("ns::C::f").
 */
bool pt_demangle__match(const char *pattern, const char *sym);

#endif /* PIPETRACE_DEMANGLE_H */
