/* SPDX-License-Identifier: MIT */
/*
 * umulti.h - the kernel's multi-uprobe link (BPF_TRACE_UPROBE_MULTI, Linux
 * 6.6+), which libbpf 1.1 has no API for: one link probes many offsets of
 * one file, each with its own bpf_cookie, and closing it removes them all
 * behind one grace period (a uprobe attached through a perf event waits
 * for one of its own).
 *
 * A program attached this way must be loaded with expected_attach_type
 * PT_TRACE_UPROBE_MULTI; it can then be attached no other way.
 */
#ifndef PT_UMULTI_H
#define PT_UMULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI in the kernel's UAPI
 * (include/uapi/linux/bpf.h, 6.6+): Debian 12's headers (6.1) stop at
 * BPF_LSM_CGROUP. Checked in umulti.c against the values they share. */
#define PT_TRACE_UPROBE_MULTI 48
/* BPF_F_UPROBE_MULTI_RETURN: return probes instead of entry probes. */
#define PT_F_UPROBE_MULTI_RETURN 1u

/*
 * Whether this kernel creates multi-uprobe links: loads an empty program
 * with that attach type and asks for a link on a directory, which a kernel
 * with them refuses with EBADF only (no probe is placed). Returns 1, 0 or
 * -errno (the empty program could not be loaded at all).
 */
int pt_umulti__probe(void);

/*
 * Attaches prog_fd (loaded as above) at offs[0..n) of the file at path,
 * with cookies[i] for offs[i], as return probes if ret, hitting process
 * tgid only (0: every process). Returns the link's fd (close it to detach)
 * or -errno.
 */
int pt_umulti__attach(int prog_fd, const char *path, const unsigned long *offs,
		      const uint64_t *cookies, size_t n, bool ret, pid_t tgid);

#endif /* PT_UMULTI_H */
