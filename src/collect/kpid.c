// SPDX-License-Identifier: MIT
/* kpid.c - see kpid.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "util/log.h"
#include "collect/kpid.h"

/* The initial PID namespace's inode number (PROC_PID_INIT_INO). */
#define PT_PID_INIT_INO 0xEFFFFFFCu

bool pt_kpid__initial_ns(void)
{
	struct stat st;

	/* Without /proc it cannot tell: translating is right either way. */
	return !stat("/proc/self/ns/pid", &st) && st.st_ino == PT_PID_INIT_INO;
}

/* Runs iterator link `link` and reads the one tid it writes. */
static int read_tid(struct bpf_link *link, uint32_t *out)
{
	int fd = bpf_iter_create(bpf_link__fd(link));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, out, sizeof(*out));
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(*out) ? 0 : -ESRCH;
}

int pt_kpid__of(struct bpf_program *iter, pid_t id, uint32_t *out, char *err,
		size_t errlen)
{
	union bpf_iter_link_info info = { .task = { .tid = (uint32_t)id } };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));
	struct bpf_link *link;
	int ret;

	if (!iter) {
		*out = (uint32_t)id;
		return 0;
	}
	link = bpf_program__attach_iter(iter, &opts);
	if (!link)
		ret = -errno;
	else
		ret = read_tid(link, out);
	bpf_link__destroy(link);
	if (ret)
		return pt_errf(
			err, errlen, ret,
			"cannot find task %d's kernel id (pipetrace runs in a PID namespace): %s; check that it is alive",
			(int)id, strerror(-ret));
	return 0;
}
