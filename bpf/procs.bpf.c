// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * procs.bpf.c - several processes: the `procs` map of traced tgids kept
 * as processes fork (a traced one's child is traced when following), exec
 * (its new name, and userspace told through `execs` so that it probes
 * the new program's stages; a --comm or --exe match starts being traced)
 * and exit (its exit status and end kept for the report). Loaded only with
 * procs_on; the stage probes are attached once per file and filtered by
 * traced_tgid().
 */
#include "pipetrace.bpf.h"

/* Set before load. */
const volatile __u8 follow_forks = 0; /* a traced process's children too */
const volatile char comm_match[16] = {}; /* --comm, "" when not given */
/* --exe: its file (the kernel's device number, inode), 0 when not given. */
const volatile __u32 exe_dev = 0;
const volatile __u64 exe_ino = 0;

/* Processes not added because `procs` was full. */
__u64 procs_full;
/* Execs not told to userspace because `execs` was full. */
__u64 execs_lost;

/* A traced process's exec, for userspace to probe the new program. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} execs SEC(".maps");

/* Whether file is --exe's. */
static __always_inline bool exe_matches(struct file *file)
{
	if (!exe_ino || !file)
		return false;
	return BPF_CORE_READ(file, f_inode, i_ino) == exe_ino &&
	       BPF_CORE_READ(file, f_inode, i_sb, s_dev) == exe_dev;
}

/* Tells userspace that process tgid now runs file. */
static __always_inline void tell_exec(__u32 tgid, struct file *file)
{
	struct pt_exec_event ev = {
		.tgid = tgid,
		.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev),
		.ino = BPF_CORE_READ(file, f_inode, i_ino),
		.ns = bpf_ktime_get_ns(),
	};

	if (bpf_ringbuf_output(&execs, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		__sync_fetch_and_add(&execs_lost, 1);
}

/* Whether comm is --comm's name. */
static __always_inline bool comm_matches(const char *comm)
{
	int i;

	if (!comm_match[0])
		return false;
	for (i = 0; i < 16; i++) {
		if (comm[i] != comm_match[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

/* Adds process task (ppid: its parent's tgid) to `procs` with flags. */
static __always_inline void add_proc(struct task_struct *task, __u32 ppid,
				     __u32 flags)
{
	struct pt_proc p = {
		.ppid = ppid,
		.start_ns = bpf_ktime_get_ns(),
		.flags = flags,
	};
	__u32 tgid = task->tgid;

	bpf_probe_read_kernel_str(p.comm, sizeof(p.comm), task->comm);
	/* The bit first: traced_tgid() looks it up only with its bit set. */
	__sync_fetch_and_or(&traced_bits[PT_TRACED_WORD(tgid)],
			    PT_TRACED_BIT(tgid));
	if (bpf_map_update_elem(&procs, &tgid, &p, BPF_ANY))
		__sync_fetch_and_add(&procs_full, 1);
}

/* A new process (not a thread): traced if its parent is and we follow,
 * or if it bears --comm's name or runs --exe's file. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	char comm[16];

	if (child->pid != child->tgid)
		return 0;
	if (follow_forks && traced_tgid(parent->tgid)) {
		add_proc(child, parent->tgid, PT_PROC_FOLLOWED);
		return 0;
	}
	if (exe_ino && exe_matches(BPF_CORE_READ(child, mm, exe_file))) {
		add_proc(child, parent->tgid, PT_PROC_MATCHED);
		return 0;
	}
	if (!comm_match[0])
		return 0;
	bpf_probe_read_kernel_str(comm, sizeof(comm), child->comm);
	if (comm_matches(comm))
		add_proc(child, parent->tgid, PT_PROC_MATCHED);
	return 0;
}

/* An exec: a traced process takes its new name; one that takes --comm's
 * name or runs --exe's file starts being traced. Either way userspace is
 * told, to probe the program's stages if it has not yet. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	struct pt_proc *e = bpf_map_lookup_elem(&procs, &tgid);
	struct file *file = BPF_CORE_READ(bprm, file);
	char comm[16];

	bpf_probe_read_kernel_str(comm, sizeof(comm), p->comm);
	if (e) {
		__builtin_memcpy(e->comm, comm, sizeof(e->comm));
		e->flags |= PT_PROC_EXECED;
		tell_exec(tgid, file);
		return 0;
	}
	if (comm_matches(comm) || exe_matches(file)) {
		add_proc(p, BPF_CORE_READ(p, real_parent, tgid),
			 PT_PROC_MATCHED | PT_PROC_EXECED);
		tell_exec(tgid, file);
	}
	return 0;
}

/* A traced process's last thread exits: its status and end are kept (the
 * entry stays, flagged, for the report). Attached after sched.bpf.c's
 * thread_exit, which still sees the process as traced. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *task, bool group_dead)
{
	__u32 tgid = task->tgid;
	struct pt_proc *e;

	if (!group_dead)
		return 0;
	e = bpf_map_lookup_elem(&procs, &tgid);
	if (!e)
		return 0;
	e->exit_code = task->exit_code;
	e->end_ns = bpf_ktime_get_ns();
	e->flags |= PT_PROC_EXITED;
	return 0;
}
