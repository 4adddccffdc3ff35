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

#include <stddef.h>
#include <stdint.h>

#include "pipetrace_abi.h"

/* Fills cls[nr] with an enum pt_sys_class for every syscall number. */
void pt_sysclass__fill(uint8_t cls[PT_MAX_SYSCALL]);

/*
 * What restart_syscall continues: fn[i] the address of a kernel restart
 * function (a task's restart_block.fn) and nr[i] the syscall it belongs to
 * (hrtimer_nanosleep_restart: clock_nanosleep, futex_wait_restart: futex,
 * do_restart_poll: poll, ...), read from kallsyms (a /proc/kallsyms file);
 * unused slots are 0. Returns how many were found (0 when kallsyms hides
 * addresses) or -errno with a message in err.
 */
int pt_sysclass__restarts(const char *kallsyms, uint64_t fn[PT_RESTART_FNS],
			  int32_t nr[PT_RESTART_FNS], char *err, size_t errlen);

/*
 * The same functions by name, for a lookup in the kernel (ksyms.bpf.c):
 * name[i] and nr[i] as pt_sysclass__restarts() would fill fn[i] and nr[i];
 * unused slots are empty. Returns how many names.
 */
int pt_sysclass__restart_names(char name[PT_RESTART_FNS][PT_RESTART_NAME_LEN],
			       int32_t nr[PT_RESTART_FNS]);

#endif /* PT_SYSCLASS_H */
