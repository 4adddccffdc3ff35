// SPDX-License-Identifier: MIT
/*
 * demangle.c - C++ and Rust symbol names demangled with libiberty (see
 * demangle.h).
 *
 * libiberty's callback interfaces are used rather than cplus_demangle():
 * they allocate nothing (cplus_demangle() allocates through xmalloc(),
 * which exits the process when memory runs out) and hand the output over
 * in pieces, so that a name that blows up stops being copied at
 * PT_DEMANGLE_MAX. The order is cplus_demangle()'s with DMGL_AUTO: Rust
 * first (a legacy Rust name is also a valid C++ name), then C++.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "symbols/demangle.h"

struct out {
	char *buf;
	size_t len, n;
	bool over; /* the output did not fit */
};

/* demangle_callbackref: append N bytes of output, unless they overflow. */
static void put(const char *s, size_t n, void *arg)
{
	struct out *o = arg;

	if (o->over || n > PT_DEMANGLE_MAX - o->n || n >= o->len - o->n) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

static bool printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Runs the demanglers; 1 when one of them took SYM. */
static int run(const char *sym, int opts, struct out *o)
{
	if (rust_demangle_callback(sym, opts, put, o))
		return 1;
	o->n = 0; /* what a failed attempt wrote */
	o->over = false;
	return cplus_demangle_v3_callback(sym, opts, put, o);
}

int pt_demangle(const char *sym, unsigned int flags, char *buf, size_t len)
{
	int opts = DMGL_ANSI;
	struct out o = { .buf = buf, .len = len };
	int ret = 0;

	if (!sym || !buf || !len)
		return -EINVAL;
	if (!(flags & PT_DEMANGLE_NO_PARAMS))
		opts |= DMGL_PARAMS;
	if (strnlen(sym, PT_DEMANGLE_MAX + 1) > PT_DEMANGLE_MAX)
		ret = -ENAMETOOLONG;
	else if (!run(sym, opts, &o))
		ret = -EINVAL;
	else if (o.over)
		ret = -ENAMETOOLONG;
	else if (!o.n)
		ret = -EINVAL;
	else if (!printable(buf, o.n))
		ret = -EILSEQ;
	buf[ret ? 0 : o.n] = '\0';
	return ret;
}

/* Whether SYM is one of a C++ constructor's or destructor's variants (C1,
 * C2, C3; D0, D1, D2), which all demangle to the same name. */
static bool xstructor(const char *sym)
{
	return is_gnu_v3_mangled_ctor(sym) || is_gnu_v3_mangled_dtor(sym);
}

const char *pt_demangle__display(const char *sym, unsigned int flags, char *buf,
				 size_t len)
{
	const char *at = strchr(sym, '@');
	size_t n = at ? (size_t)(at - sym) : strlen(sym), dn;
	char base[PT_DEMANGLE_MAX + 1];
	int w;

	if (n > PT_DEMANGLE_MAX || !buf || !len)
		return sym;
	memcpy(base, sym, n);
	base[n] = '\0';
	if (pt_demangle(base, flags, buf, len))
		return sym;
	dn = strlen(buf);
	if (xstructor(base)) {
		w = snprintf(buf + dn, len - dn, " [%s]", base);
		if (w < 0 || (size_t)w >= len - dn)
			return sym;
		dn += (size_t)w;
	}
	if (at && strlen(at) >= len - dn)
		return sym;
	if (at)
		strcpy(buf + dn, at);
	return buf;
}

bool pt_demangle__match(const char *pattern, const char *sym)
{
	char buf[PT_DEMANGLE_MAX + 1];

	if (!fnmatch(pattern, sym, 0))
		return true;
	if (pt_demangle(sym, 0, buf, sizeof(buf)))
		return false;
	if (!fnmatch(pattern, buf, 0))
		return true;
	if (pt_demangle(sym, PT_DEMANGLE_NO_PARAMS, buf, sizeof(buf)))
		return false;
	return !fnmatch(pattern, buf, 0);
}
