/* SPDX-License-Identifier: MIT */
/*
 * procinfo.h - what pipetrace reads of a running target besides its maps:
 * its command line (/proc/PID/cmdline) and memory (/proc/PID/status).
 *
 * The target writes its own command line and names, so both files are
 * parsed as hostile: the parsers are pure functions over a buffer (fuzzed
 * in tests/fuzz/fuzz_procinfo.c), the readers bounded.
 */
#ifndef PT_PROCINFO_H
#define PT_PROCINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest command line kept; the rest is cut. */
#define PT_CMDLINE_MAX 4096

/*
 * The command line in cmdline text buf[0..len): the NUL-separated
 * arguments joined by spaces (trailing NULs dropped), cut at
 * PT_CMDLINE_MAX - 1 bytes, every control character (and DEL) turned into
 * '?' so that printing it cannot drive a terminal. A malloc'ed string, or
 * NULL when there is none (empty) or no memory.
 */
char *pt_proc_cmdline__parse(const char *buf, size_t len);

/*
 * VmRSS and VmHWM, in bytes, from status text buf[0..len): lines
 * "VmRSS:<spaces>N kB". Returns 0, -ESRCH if either is missing (a zombie
 * has none), or -EOVERFLOW for a value beyond 64 bits of bytes.
 */
int pt_proc_status__rss(const char *buf, size_t len, uint64_t *rss,
			uint64_t *hwm);

/*
 * rchar and wchar (bytes read and written by the process's read and write
 * calls of every kind, its threads summed) from /proc/PID/io text
 * buf[0..len): lines "rchar: N". Returns 0, -ESRCH if either is missing,
 * -EINVAL for a malformed value, -EOVERFLOW beyond 64 bits.
 */
int pt_proc_io__parse(const char *buf, size_t len, uint64_t *rchar,
		      uint64_t *wchar);

/* Reads pid's rchar and wchar (pt_proc_io__parse()); 0 or -errno. */
int pt_proc_io__read(pid_t pid, uint64_t *rchar, uint64_t *wchar);

/* Reads pid's command line (pt_proc_cmdline__parse()), or NULL. */
char *pt_proc_cmdline__read(pid_t pid);

/* Reads pid's VmRSS and VmHWM. Returns 0, or -errno (-ESRCH once it is
 * gone or a zombie without memory). */
int pt_proc_status__read_rss(pid_t pid, uint64_t *rss, uint64_t *hwm);

#endif /* PT_PROCINFO_H */
