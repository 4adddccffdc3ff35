// SPDX-License-Identifier: MIT
/*
 * creds.c - the user a launched command runs as: looked up with getpwnam_r
 * and getgrouplist, taken on in the child with setgroups, setgid, setuid
 * (see creds.h).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/creds.h"
#include "util/log.h"

extern char **environ;

/* Looks USER up by name, then as a uid; 0, -ENOENT or -errno. */
static int find_user(const char *user, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;
	size_t len = 16384;
	char *end;
	long uid;
	int e;

	*buf = malloc(len);
	if (!*buf)
		return -ENOMEM;
	e = getpwnam_r(user, pw, *buf, len, &res);
	if (!e && !res && *user >= '0' && *user <= '9') {
		errno = 0;
		uid = strtol(user, &end, 10);
		if (!errno && !*end && uid >= 0 && uid < INT_MAX)
			e = getpwuid_r((uid_t)uid, pw, *buf, len, &res);
	}
	if (e)
		return -e;
	return res ? 0 : -ENOENT;
}

/* The user's groups as initgroups(3) would set them; 0 or -errno. */
static int find_groups(const struct passwd *pw, struct pt_creds *c)
{
	int n = 64, want;

	for (;;) {
		free(c->groups);
		c->groups = calloc((size_t)n, sizeof(*c->groups));
		if (!c->groups)
			return -ENOMEM;
		want = n;
		if (getgrouplist(pw->pw_name, pw->pw_gid, c->groups, &want) >=
		    0)
			break;
		if (want <= n || want > NGROUPS_MAX)
			return -E2BIG;
		n = want;
	}
	c->ngroups = (size_t)want;
	return 0;
}

static bool is_user_var(const char *kv)
{
	return !strncmp(kv, "HOME=", 5) || !strncmp(kv, "USER=", 5) ||
	       !strncmp(kv, "LOGNAME=", 8);
}

/* environ without HOME, USER, LOGNAME, then those of pw; 0 or -ENOMEM. */
static int make_env(const struct passwd *pw, struct pt_creds *c)
{
	size_t n = 0, i, k = 0;

	while (environ && environ[n])
		n++;
	c->envp = calloc(n + 4, sizeof(*c->envp));
	if (!c->envp)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!is_user_var(environ[i]) &&
		    !(c->envp[k++] = strdup(environ[i])))
			return -ENOMEM;
	if (asprintf(&c->envp[k++], "HOME=%s", pw->pw_dir) < 0 ||
	    asprintf(&c->envp[k++], "USER=%s", pw->pw_name) < 0 ||
	    asprintf(&c->envp[k++], "LOGNAME=%s", pw->pw_name) < 0) {
		c->envp[k - 1] = NULL;
		return -ENOMEM;
	}
	return 0;
}

int pt_creds__from_user(const char *user, struct pt_creds *c, char *err,
			size_t errlen)
{
	struct passwd pw;
	char *buf = NULL;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = find_user(user, &pw, &buf);
	if (ret == -ENOENT) {
		free(buf);
		return pt_errf(
			err, errlen, ret,
			"unknown user '%s'; give a user name or uid from the user database (getent passwd)",
			user);
	}
	if (!ret) {
		c->uid = pw.pw_uid;
		c->gid = pw.pw_gid;
		ret = find_groups(&pw, c);
	}
	if (!ret)
		ret = make_env(&pw, c);
	free(buf);
	if (ret)
		return pt_errf(err, errlen, ret,
			       "user '%s': cannot look it up: %s", user,
			       strerror(-ret));
	return 0;
}

void pt_creds__free(struct pt_creds *c)
{
	size_t i;

	for (i = 0; c->envp && c->envp[i]; i++)
		free(c->envp[i]);
	free(c->envp);
	free(c->groups);
	memset(c, 0, sizeof(*c));
}
