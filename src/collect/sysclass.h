/* SPDX-License-Identifier: MIT */
/*
 * sysclass.h - what each syscall number means to the time split: I/O (with
 * or without a byte count), fsync, lock (futex), sleep. Numbers come from
 * the host's <sys/syscall.h>, so the BPF side stays arch-neutral.
 */
#ifndef PT_SYSCLASS_H
#define PT_SYSCLASS_H

#include <stdint.h>

#include "pipetrace_abi.h"

/* Fills cls[nr] with an enum pt_sys_class for every syscall number. */
void pt_sysclass__fill(uint8_t cls[PT_MAX_SYSCALL]);

#endif /* PT_SYSCLASS_H */
