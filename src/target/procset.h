/* SPDX-License-Identifier: MIT */
/*
 * procset.h - the processes pipetrace is asked to trace beside one target:
 * -p PID,PID, their descendants (--children), every process of a name
 * (--comm), read from /proc (hostile input: bounded, re-checked).
 */
#ifndef PT_PROCSET_H
#define PT_PROCSET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A set of PIDs, in the order found. */
struct pt_pidset {
	pid_t *v;
	size_t n, cap;
};

/*
 * The parent and name of process pid from a /proc/PID/stat line
 * buf[0..len) ("PID (COMM) S PPID ..."; COMM may hold spaces and ')').
 * comm gets at most 15 characters. Returns 0 or -EINVAL.
 */
int pt_procset__parse_stat(const char *buf, size_t len, pid_t *ppid,
			   char comm[16]);
/* The same, read from /proc/PID/stat. 0, -ESRCH (gone) or -EINVAL. */
int pt_procset__stat(pid_t pid, pid_t *ppid, char comm[16]);

/* Adds pid unless present. 0 or -ENOMEM. */
int pt_pidset__add(struct pt_pidset *s, pid_t pid);
bool pt_pidset__has(const struct pt_pidset *s, pid_t pid);
void pt_pidset__free(struct pt_pidset *s);

/* Adds every running process named name (its comm). 0 or -errno. */
int pt_procset__by_comm(const char *name, struct pt_pidset *out);
/* Adds every running process whose executable (/proc/PID/exe) is the
 * file dev, ino. 0 or -errno. */
int pt_procset__by_exe(dev_t dev, ino_t ino, struct pt_pidset *out);
/* Adds every descendant of the processes already in s. 0 or -errno. */
int pt_procset__descendants(struct pt_pidset *s);

/*
 * Checks that every pid of pids[0..n) is a running process (not a thread,
 * not a zombie). Returns 0 or -ESRCH / -EINVAL with "what; fix" in err.
 */
int pt_procset__check(const pid_t *pids, size_t n, char *err, size_t errlen);

#endif /* PT_PROCSET_H */
