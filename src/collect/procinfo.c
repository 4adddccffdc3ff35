// SPDX-License-Identifier: MIT
/*
 * procinfo.c - a target's command line and memory from /proc, parsed as
 * hostile text (see procinfo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/procinfo.h"
#include "util/readfile.h"

/* /proc/PID/status is a few KiB; a larger one is not the kernel's. */
#define STATUS_MAX (1u << 20)

char *pt_proc_cmdline__parse(const char *buf, size_t len)
{
	char *s;
	size_t i;

	if (len > PT_CMDLINE_MAX - 1)
		len = PT_CMDLINE_MAX - 1;
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if (!len)
		return NULL;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\0')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		s[i] = (char)c;
	}
	s[len] = '\0';
	return s;
}

/* Parses " N kB" at p[0..n) (after the key's colon) into bytes. Returns
 * 0, -EINVAL or -EOVERFLOW. */
static int parse_kb(const char *p, size_t n, uint64_t *bytes)
{
	uint64_t kb = 0;
	size_t i = 0, digits = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
		if (kb > (UINT64_MAX / 1024 - (uint64_t)(p[i] - '0')) / 10)
			return -EOVERFLOW;
		kb = kb * 10 + (uint64_t)(p[i] - '0');
	}
	if (!digits || n - i != 3 || memcmp(p + i, " kB", 3))
		return -EINVAL;
	*bytes = kb * 1024;
	return 0;
}

/* If line l[0..n) is "KEY:...", parses its value into *out and sets bit
 * in *found. Returns 0 or -EOVERFLOW. */
static int match_kb(const char *l, size_t n, const char *key, uint64_t *out,
		    int bit, int *found)
{
	size_t k = strlen(key);
	int ret;

	if (n < k || memcmp(l, key, k))
		return 0;
	ret = parse_kb(l + k, n - k, out);
	if (ret == -EOVERFLOW)
		return ret;
	if (!ret)
		*found |= bit;
	return 0;
}

/* Parses "KEY: N" line l[0..n) into *out and sets bit in *found, if it is
 * KEY's. Returns 0, -EINVAL or -EOVERFLOW. */
static int match_count(const char *l, size_t n, const char *key, uint64_t *out,
		       int bit, int *found)
{
	size_t k = strlen(key), i, digits = 0;
	uint64_t v = 0;

	if (n < k || memcmp(l, key, k))
		return 0;
	for (i = k; i < n && l[i] == ' '; i++)
		;
	for (; i < n && l[i] >= '0' && l[i] <= '9'; i++, digits++) {
		if (v > (UINT64_MAX - (uint64_t)(l[i] - '0')) / 10)
			return -EOVERFLOW;
		v = v * 10 + (uint64_t)(l[i] - '0');
	}
	if (!digits || i != n)
		return -EINVAL;
	*out = v;
	*found |= bit;
	return 0;
}

/* A line matcher: match_kb() or match_count(). */
typedef int (*match_fn)(const char *l, size_t n, const char *key, uint64_t *out,
			int bit, int *found);

/* The values of keys k1 and k2 in the lines of buf[0..len), by match: 0,
 * -ESRCH if either is missing, or match's error. */
static int two_keys(const char *buf, size_t len, match_fn match, const char *k1,
		    const char *k2, uint64_t *v1, uint64_t *v2)
{
	size_t start = 0, end;
	int found = 0, ret = 0;
	uint64_t a = 0, b = 0;

	while (!ret && start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);

		end = nl ? (size_t)(nl - buf) : len;
		ret = match(buf + start, end - start, k1, &a, 1, &found);
		if (!ret)
			ret = match(buf + start, end - start, k2, &b, 2,
				    &found);
		start = end + 1;
	}
	if (ret)
		return ret;
	if (found != 3)
		return -ESRCH;
	*v1 = a;
	*v2 = b;
	return 0;
}

int pt_proc_status__rss(const char *buf, size_t len, uint64_t *rss,
			uint64_t *hwm)
{
	return two_keys(buf, len, match_kb, "VmRSS:", "VmHWM:", rss, hwm);
}

int pt_proc_io__parse(const char *buf, size_t len, uint64_t *rchar,
		      uint64_t *wchar)
{
	return two_keys(buf, len, match_count, "rchar:", "wchar:", rchar,
			wchar);
}

/* Opens /proc/PID/NAME. Returns a descriptor or -errno (-ESRCH: gone). */
static int open_proc(pid_t pid, const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

char *pt_proc_cmdline__read(pid_t pid)
{
	char buf[PT_CMDLINE_MAX];
	size_t len = 0;
	ssize_t n = 1;
	int fd = open_proc(pid, "cmdline");

	if (fd < 0)
		return NULL;
	/* Only the first PT_CMDLINE_MAX bytes are kept: read no more. */
	while (n > 0 && len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n > 0)
			len += (size_t)n;
		else if (n < 0 && errno == EINTR)
			n = 1;
	}
	close(fd);
	return pt_proc_cmdline__parse(buf, len);
}

/* Reads /proc/PID/NAME (hint: its usual size) and parses it into *a and
 * *b. 0 or -errno. */
static int read_two(pid_t pid, const char *name, size_t hint,
		    int (*parse)(const char *, size_t, uint64_t *, uint64_t *),
		    uint64_t *a, uint64_t *b)
{
	int fd = open_proc(pid, name), ret;
	char *buf;
	size_t len;

	if (fd < 0)
		return fd;
	ret = pt_read_fd(fd, hint, STATUS_MAX, &buf, &len);
	close(fd);
	if (ret)
		return ret;
	ret = parse(buf, len, a, b);
	free(buf);
	return ret;
}

int pt_proc_io__read(pid_t pid, uint64_t *rchar, uint64_t *wchar)
{
	return read_two(pid, "io", 1024, pt_proc_io__parse, rchar, wchar);
}

int pt_proc_status__read_rss(pid_t pid, uint64_t *rss, uint64_t *hwm)
{
	return read_two(pid, "status", 4096, pt_proc_status__rss, rss, hwm);
}
