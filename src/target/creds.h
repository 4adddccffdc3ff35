/* SPDX-License-Identifier: MIT */
/*
 * creds.h - who a launched command runs as (-u USER): the user's uid,
 * primary gid, supplementary groups and an environment with its HOME, USER
 * and LOGNAME, looked up before anything starts so that the held child
 * only makes system calls to take them on (launch.h).
 */
#ifndef PT_CREDS_H
#define PT_CREDS_H

#include <stddef.h>
#include <sys/types.h>

struct pt_creds {
	uid_t uid;
	gid_t gid; /* primary group */
	gid_t *groups; /* supplementary groups, as initgroups(3) sets them */
	size_t ngroups;
	char **envp; /* the environment, HOME, USER, LOGNAME set for the user */
};

/*
 * Looks up USER (a name, or a numeric uid) in the user and group databases.
 * Returns 0, -ENOENT for an unknown user, or -errno; err says which.
 * pt_creds__free() it (also after an error; a zeroed one is fine).
 */
int pt_creds__from_user(const char *user, struct pt_creds *c, char *err,
			size_t errlen);
void pt_creds__free(struct pt_creds *c);

#endif /* PT_CREDS_H */
