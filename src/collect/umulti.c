// SPDX-License-Identifier: MIT
/* umulti.c - see umulti.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "collect/umulti.h"

/* The headers' enum agrees with the kernel's up to where they end; the
 * kernel's continues ... BPF_LSM_CGROUP (43), BPF_STRUCT_OPS, BPF_NETFILTER,
 * BPF_TCX_INGRESS, BPF_TCX_EGRESS, BPF_TRACE_UPROBE_MULTI (48). */
_Static_assert(
	BPF_TRACE_KPROBE_MULTI == 42 && BPF_LSM_CGROUP == 43,
	"linux/bpf.h's attach types moved: recheck PT_TRACE_UPROBE_MULTI");

/*
 * union bpf_attr as BPF_LINK_CREATE reads it for a multi-uprobe link
 * (link_create.uprobe_multi, include/uapi/linux/bpf.h of 6.6+). The kernel
 * takes a shorter attr than its own and zeroes the rest.
 */
struct umulti_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t link_flags;
	uint64_t path; /* a pointer, as all four */
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t flags;
	uint32_t pid;
	uint32_t path_fd; /* 6.12+; 0 here */
};
_Static_assert(offsetof(struct umulti_attr, path) == 16 &&
		       offsetof(struct umulti_attr, cnt) == 48 &&
		       offsetof(struct umulti_attr, pid) == 56 &&
		       sizeof(struct umulti_attr) == 64,
	       "link_create.uprobe_multi layout");

int pt_umulti__attach(int prog_fd, const char *path, const unsigned long *offs,
		      const uint64_t *cookies, size_t n, bool ret, pid_t tgid)
{
	struct umulti_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.attach_type = PT_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offs;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = (uint32_t)n;
	a.flags = ret ? PT_F_UPROBE_MULTI_RETURN : 0;
	a.pid = tgid > 0 ? (uint32_t)tgid : 0; /* 0: every process */
	fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

int pt_umulti__probe(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo,
		    .expected_attach_type =
			    (enum bpf_attach_type)PT_TRACE_UPROBE_MULTI);
	unsigned long off = 0;
	uint64_t cookie = 0;
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "pt_umulti_probe", "GPL",
			     insns, 2, &lo);
	if (prog < 0)
		/* Older kernels refuse the attach type here already. */
		return errno == EINVAL ? 0 : -errno;
	link = pt_umulti__attach(prog, "/", &off, &cookie, 1, false, 0);
	close(prog);
	if (link >= 0) {
		close(link);
		return 0;
	}
	return link == -EBADF;
}
