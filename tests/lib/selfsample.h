/* SPDX-License-Identifier: MIT */
/*
 * selfsample.h - a --call-graph dwarf sample a test takes of its own
 * thread, as sample.bpf.c takes one of a target: the callee-saved
 * registers, sp and ip of this function, and the stack from sp up.
 */
#ifndef PTEST_SELFSAMPLE_H
#define PTEST_SELFSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"

/*
 * Fills h->regs (rbx, rbp, rsp, r12-r15 and its own ip), copies the stack
 * from sp up to the thread's stack top into stack (at most size bytes) and
 * sets h->size and h->tid; the other fields are the caller's. Built
 * without a frame pointer, as libc is: only CFI unwinds out of it.
 */
void ptest_capture_self(struct pt_usample_hdr *h, uint8_t *stack, size_t size);

#endif /* PTEST_SELFSAMPLE_H */
