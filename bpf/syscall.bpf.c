// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * syscall.bpf.c - syscall entry and exit: the time split's sys part and
 * what a thread blocks on, I/O counts and bytes per stage, the probes' own
 * syscalls (a return trampoline's, a nop5 site's), and with --alloc the
 * mmap/munmap/brk calls per stage. Syscalls are known only by their class
 * (syscall_class[], filled by userspace): no syscall number here.
 */
#include "pipetrace.bpf.h"
#include "pipes.bpf.h"

#define ERESTART_RESTARTBLOCK 516 /* the kernel's, not in user headers */

/* The target's program break as brk(2) last returned it (--alloc). */
__u64 last_brk;

/* Set before load (sysclass.c): see pipetrace.bpf.h. */
volatile __u64 restart_fn[PT_RESTART_FNS];
volatile __s32 restart_nr[PT_RESTART_FNS];

/* tp_btf programs need no tracefs mounted, unlike tp/. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 cls = sys_class((__s32)id), zero = 0;
	struct pt_probe_sys *ps;
	struct pt_thread *t;

	if (cls == PT_SYS_PROBE) {
		/* A probed function has just returned into the trampoline
		 * (or reached a nop5 site): the call ends here, before the
		 * kernel's probe handling (and any preemption in it). */
		ps = bpf_map_lookup_elem(&probe_sys, &zero);
		if (ps) {
			ps->tid = (__u32)bpf_get_current_pid_tgid();
			ps->ns = now;
		}
		return 0;
	}
	t = current_thread(true, now);
	if (!t)
		return 0;
	account(t, now);
	t->sys_nr = cls == PT_SYS_RESTART ?
			    restarted(bpf_get_current_task_btf(), (__s32)id) :
			    (__s32)id;
	if (alloc_on && (cls == PT_SYS_MMAP || cls == PT_SYS_MUNMAP))
		t->sys_arg = PT_REGS_PARM2_CORE_SYSCALL(regs); /* the length */
	return 0;
}

/* --alloc: the address-space calls that back a heap, per stage. */
static __always_inline void count_vm_call(struct pt_thread *t, __u32 cls,
					  long ret)
{
	__u32 stage = innermost(t);
	struct pt_stage_mem *m;

	if (stage >= PT_MAX_STAGES)
		stage = PT_MEM_OUTSIDE;
	m = bpf_map_lookup_elem(&mem, &stage);
	if (!m)
		return;
	switch (cls) {
	case PT_SYS_MMAP:
		if (ret < 0 && ret >= -4095)
			return; /* failed */
		__sync_fetch_and_add(&m->mmap_calls, 1);
		__sync_fetch_and_add(&m->mmap_bytes, t->sys_arg);
		return;
	case PT_SYS_MUNMAP:
		if (ret)
			return;
		__sync_fetch_and_add(&m->munmap_calls, 1);
		__sync_fetch_and_add(&m->munmap_bytes, t->sys_arg);
		return;
	case PT_SYS_BRK:
		/* brk returns the new break; the first one seen sets the
		 * baseline. Racy across threads, as brk itself is. */
		if (last_brk && (__u64)ret > last_brk)
			__sync_fetch_and_add(&m->brk_grow_bytes,
					     (__u64)ret - last_brk);
		if (ret > 0)
			last_brk = (__u64)ret;
		return;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct pt_stage_time *st;
	struct pt_thread *t;
	__u64 now;
	__u32 cls;

	/* The probes' own syscalls (a nop5 site's, a return trampoline's):
	 * nothing to account, and the cheapest way out. */
	if (sys_class((__s32)regs->orig_ax) == PT_SYS_PROBE)
		return 0;
	now = bpf_ktime_get_ns();
	t = current_thread(false, now);
	if (!t)
		return 0;
	if (t->sys_nr < 0)
		return 0;
	account(t, now);
	cls = sys_class(t->sys_nr);
	if (alloc_on)
		count_vm_call(t, cls, ret);
	if (pt_sys_is_io(cls))
		pipes_sys_exit(regs, ret);
	t->sys_nr = -1;
	/* Interrupted, to be continued by restart_syscall: counted then. */
	if (!pt_sys_is_io(cls) || ret == -ERESTART_RESTARTBLOCK)
		return 0;
	st = time_of(innermost(t));
	if (!st)
		return 0;
	st->io_syscalls++;
	if (cls == PT_SYS_READ && ret > 0)
		st->read_bytes += ret;
	else if (cls == PT_SYS_WRITE && ret > 0)
		st->write_bytes += ret;
	else if (cls == PT_SYS_FSYNC)
		st->fsyncs++;
	return 0;
}
