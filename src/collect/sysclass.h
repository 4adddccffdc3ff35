/* SPDX-License-Identifier: MIT */
/*
 * sysclass.h - what each syscall number means to pipetrace: I/O (with or
 * without a byte count), fsync, lock (futex), sleep for the time split; the
 * probes' own syscalls; mmap, munmap, brk for --alloc. Numbers come from the
 * host's <sys/syscall.h>, here only: the BPF side knows syscalls only by
 * their class, read from the table this fills (its syscall_class[]).
 */
#ifndef PT_SYSCLASS_H
#define PT_SYSCLASS_H

#include <stdint.h>

#include "pipetrace_abi.h"

/* Fills cls[nr] with an enum pt_sys_class for every syscall number. */
void pt_sysclass__fill(uint8_t cls[PT_MAX_SYSCALL]);

#endif /* PT_SYSCLASS_H */
