// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * ksyms.bpf.c - the kernel functions restart_syscall continues
 * (restart_fn[], syscall.bpf.c), looked up by name in the kernel itself:
 * userspace runs find_restarts once after load (BPF_PROG_TEST_RUN), where
 * reading /proc/kallsyms for five names costs ~40 ms of CPU at every start
 * (120,000 lines, each formatted by the kernel). Loaded only where the
 * kernel has the helper (5.16 and later; tracer.c probes it first).
 */
#include "pipetrace.bpf.h"

/* Set before load (sysclass.c): the names, and the syscall of each. */
const volatile char restart_name[PT_RESTART_FNS][PT_RESTART_NAME_LEN];
const volatile __s32 restart_name_nr[PT_RESTART_FNS];

/* Returns how many names the kernel knows; a name it does not know, or an
 * address it hides (kptr_restrict), leaves its slot 0. */
SEC("syscall")
int find_restarts(void *ctx)
{
	int found = 0;

	for (__u32 i = 0; i < PT_RESTART_FNS; i++) {
		__u64 addr = 0;

		if (!restart_name[i][0])
			continue;
		if (bpf_kallsyms_lookup_name((const char *)restart_name[i],
					     PT_RESTART_NAME_LEN, 0, &addr) ||
		    !addr)
			continue;
		restart_fn[i] = addr;
		restart_nr[i] = restart_name_nr[i];
		found++;
	}
	return found;
}
