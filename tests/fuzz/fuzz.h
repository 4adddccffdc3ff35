/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every libFuzzer harness here shares: the entry points'
 * prototypes and CHECK, which aborts (a crash libFuzzer records) when a
 * property of the parser's output does not hold.
 */
#ifndef PT_FUZZ_H
#define PT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                         \
			abort();                                             \
		}                                                            \
	} while (0)

#endif /* PT_FUZZ_H */
