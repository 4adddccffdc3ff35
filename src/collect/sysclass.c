// SPDX-License-Identifier: MIT
/* sysclass.c - see sysclass.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "util/log.h"
#include "collect/sysclass.h"

#define C(name, cls)            \
	{                       \
		SYS_##name, cls \
	}

static const struct {
	long nr;
	uint8_t cls;
} classes[] = {
	C(read, PT_SYS_READ),
	C(pread64, PT_SYS_READ),
	C(readv, PT_SYS_READ),
	C(preadv, PT_SYS_READ),
#ifdef SYS_preadv2
	C(preadv2, PT_SYS_READ),
#endif
	C(recvfrom, PT_SYS_READ),
	C(recvmsg, PT_SYS_READ),
	C(recvmmsg, PT_SYS_READ),
	C(write, PT_SYS_WRITE),
	C(pwrite64, PT_SYS_WRITE),
	C(writev, PT_SYS_WRITE),
	C(pwritev, PT_SYS_WRITE),
#ifdef SYS_pwritev2
	C(pwritev2, PT_SYS_WRITE),
#endif
	C(sendto, PT_SYS_WRITE),
	C(sendmsg, PT_SYS_WRITE),
	C(sendmmsg, PT_SYS_WRITE),
	C(sendfile, PT_SYS_WRITE),
	C(poll, PT_SYS_IO),
	C(ppoll, PT_SYS_IO),
	C(select, PT_SYS_IO),
	C(pselect6, PT_SYS_IO),
	C(epoll_wait, PT_SYS_IO),
	C(epoll_pwait, PT_SYS_IO),
#ifdef SYS_epoll_pwait2
	C(epoll_pwait2, PT_SYS_IO),
#endif
	C(accept, PT_SYS_IO),
	C(accept4, PT_SYS_IO),
	C(connect, PT_SYS_IO),
	C(splice, PT_SYS_IO),
	C(tee, PT_SYS_IO),
	C(copy_file_range, PT_SYS_IO),
	C(io_getevents, PT_SYS_IO),
#ifdef SYS_io_uring_enter
	C(io_uring_enter, PT_SYS_IO),
#endif
	C(msync, PT_SYS_IO),
	C(fsync, PT_SYS_FSYNC),
	C(fdatasync, PT_SYS_FSYNC),
	C(sync_file_range, PT_SYS_FSYNC),
	C(syncfs, PT_SYS_FSYNC),
	C(sync, PT_SYS_FSYNC),
	C(futex, PT_SYS_LOCK),
#ifdef SYS_futex_waitv
	C(futex_waitv, PT_SYS_LOCK),
#endif
	C(nanosleep, PT_SYS_SLEEP),
	C(clock_nanosleep, PT_SYS_SLEEP),
	C(mmap, PT_SYS_MMAP),
	C(munmap, PT_SYS_MUNMAP),
	C(brk, PT_SYS_BRK),
};

/*
 * x86-64 kernels >= 6.11 return from a uretprobe through the `uretprobe`
 * syscall, and >= 6.17 may enter an optimized uprobe through `uprobe`. Older
 * C libraries' headers don't name them.
 */
#if defined(__x86_64__)
#ifndef SYS_uretprobe
#define SYS_uretprobe 335
#endif
#ifndef SYS_uprobe
#define SYS_uprobe 336
#endif
#endif

void pt_sysclass__fill(uint8_t cls[PT_MAX_SYSCALL])
{
	size_t i;

	memset(cls, PT_SYS_NONE, PT_MAX_SYSCALL);
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (classes[i].nr >= 0 && classes[i].nr < PT_MAX_SYSCALL)
			cls[classes[i].nr] = classes[i].cls;
	cls[SYS_restart_syscall] = PT_SYS_RESTART;
#ifdef SYS_uretprobe
	cls[SYS_uretprobe] = PT_SYS_PROBE;
#endif
#ifdef SYS_uprobe
	cls[SYS_uprobe] = PT_SYS_PROBE;
#endif
}

/* The kernel's restart functions and the syscall each continues. */
static const struct {
	const char *fn;
	long nr;
} restarts[] = {
	{ "hrtimer_nanosleep_restart", SYS_clock_nanosleep },
	{ "posix_cpu_nsleep_restart", SYS_clock_nanosleep },
	{ "alarm_timer_nsleep_restart", SYS_clock_nanosleep },
	{ "futex_wait_restart", SYS_futex },
	{ "do_restart_poll", SYS_poll },
};
_Static_assert(sizeof(restarts) / sizeof(restarts[0]) <= PT_RESTART_FNS,
	       "PT_RESTART_FNS too small");

int pt_sysclass__restart_names(char name[PT_RESTART_FNS][PT_RESTART_NAME_LEN],
			       int32_t nr[PT_RESTART_FNS])
{
	size_t i, n = sizeof(restarts) / sizeof(restarts[0]);

	memset(name, 0, PT_RESTART_FNS * PT_RESTART_NAME_LEN);
	memset(nr, 0, PT_RESTART_FNS * sizeof(*nr));
	for (i = 0; i < n; i++) {
		snprintf(name[i], PT_RESTART_NAME_LEN, "%s", restarts[i].fn);
		nr[i] = (int32_t)restarts[i].nr;
	}
	return (int)n;
}

/* Index in restarts[] of a kallsyms line's function with a nonzero
 * address (*addr), or -1. */
static int restart_of(const char *line, uint64_t *addr)
{
	char name[128], type;
	unsigned long long a;
	size_t i;

	/* Every name above has "_restart": the other ~120,000 lines of a
	 * kernel's kallsyms skip the parse. */
	if (!strstr(line, "_restart") ||
	    sscanf(line, "%llx %c %127s", &a, &type, name) != 3 || !a)
		return -1;
	for (i = 0; i < sizeof(restarts) / sizeof(restarts[0]); i++) {
		if (!strcmp(name, restarts[i].fn)) {
			*addr = a;
			return (int)i;
		}
	}
	return -1;
}

int pt_sysclass__restarts(const char *kallsyms, uint64_t fn[PT_RESTART_FNS],
			  int32_t nr[PT_RESTART_FNS], char *err, size_t errlen)
{
	FILE *f = fopen(kallsyms, "r");
	char line[512];
	int found = 0, i;
	uint64_t a;

	memset(fn, 0, PT_RESTART_FNS * sizeof(*fn));
	memset(nr, 0, PT_RESTART_FNS * sizeof(*nr));
	if (!f)
		return pt_errf(
			err, errlen, -errno,
			"cannot read %s: %s; resumed sleeps count as other",
			kallsyms, strerror(errno));
	/* /proc files get 1 KiB reads by default: 4,500 of them here. */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), f)) {
		i = restart_of(line, &a);
		if (i < 0 || fn[i])
			continue;
		fn[i] = a;
		nr[i] = (int32_t)restarts[i].nr;
		found++;
	}
	fclose(f);
	return found;
}
