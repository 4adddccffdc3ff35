/* SPDX-License-Identifier: MIT */
/* paths.h - where tests find what the build made and the sources. The
 * Makefile passes both as absolute paths; these defaults serve a test run
 * by hand from the repository root. */
#ifndef PTEST_PATHS_H
#define PTEST_PATHS_H

#ifndef PT_BUILD_DIR
#define PT_BUILD_DIR ".output"
#endif
#ifndef PT_SOURCE_DIR
#define PT_SOURCE_DIR "."
#endif

#endif /* PTEST_PATHS_H */
