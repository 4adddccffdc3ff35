/* SPDX-License-Identifier: MIT */
/*
 * spec.h - a stage spec, -s [OBJECT:]PATTERN[,items=MODE], and its parser.
 */
#ifndef PT_SPEC_H
#define PT_SPEC_H

#include <stddef.h>

/*
 * -s [OBJECT:]PATTERN[,items=MODE]. OBJECT ends at the first ':' that is
 * neither next to another ':' nor inside [...], so that "ns::C::f*" is a
 * PATTERN and "libfoo.so:ns::f*" an OBJECT and a PATTERN. The options start
 * at the first ',' followed by WORD= ("f(int, long)" keeps its comma).
 */
struct pt_spec {
	char *object; /* NULL: the main executable */
	char *pattern; /* fnmatch(3) glob over function symbols, raw or
			* demangled (pt_demangle__match()) */
	int items; /* enum pt_items_mode, or -1 for automatic */
	const char *text; /* the SPEC as given, for messages */
};

/* Parses one -s SPEC into *s; returns 0 or -EINVAL with a message in err
 * (then *s holds nothing to free: object and pattern are NULL). */
int pt_spec__parse(const char *text, struct pt_spec *s, char *err,
		   size_t errlen);

#endif /* PT_SPEC_H */
