// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * floor.bpf.c - the kernel floor of a probed call, for `make bench`: an
 * entry and a return program that do nothing. What a call costs with these
 * attached is what any uprobe-based tracer pays before doing any work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("uprobe")
int floor_entry(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_exit(struct pt_regs *ctx)
{
	return 0;
}
