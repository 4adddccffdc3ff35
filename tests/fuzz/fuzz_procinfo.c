// SPDX-License-Identifier: MIT
/*
 * fuzz_procinfo.c - libFuzzer harness for the parsers of a target's
 * /proc/PID files: cmdline (pt_proc_cmdline__parse()), status
 * (pt_proc_status__rss()) and stat (pt_proc_stat__starttime()); and a
 * launched script's "#!" line (pt_shebang__parse()).
 *
 * Besides memory safety (ASan/UBSan): a parsed command line has no control
 * character and fits PT_CMDLINE_MAX; an accepted status gives byte counts
 * that are whole KiB; errors are the documented ones.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procinfo.h"
#include "target/target.h"
#include "fuzz.h"

static void check_cmdline(const char *buf, size_t size)
{
	char *s = pt_proc_cmdline__parse(buf, size);
	size_t i, n;

	if (!s)
		return;
	n = strlen(s);
	CHECK(n >= 1 && n < PT_CMDLINE_MAX && n <= size);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
	free(s);
}

static void check_io(const char *buf, size_t size)
{
	uint64_t r = 1, w = 1;
	int err = pt_proc_io__parse(buf, size, &r, &w);

	CHECK(err == 0 || err == -ESRCH || err == -EINVAL || err == -EOVERFLOW);
	CHECK(err || size >= 15); /* "rchar:0\nwchar:0" at the least */
}

static void check_status(const char *buf, size_t size)
{
	uint64_t rss = 1, hwm = 1;
	int err = pt_proc_status__rss(buf, size, &rss, &hwm);

	CHECK(err == 0 || err == -ESRCH || err == -EOVERFLOW);
	if (err) {
		CHECK(rss == 1 && hwm == 1);
		return;
	}
	CHECK(rss % 1024 == 0 && hwm % 1024 == 0);
}

static void check_stat(const char *buf, size_t size)
{
	unsigned long long start = 0;
	int err = pt_proc_stat__starttime(buf, size, &start);

	CHECK(err == 0 || err == -EINVAL);
}

static void check_shebang(const char *buf, size_t size)
{
	char interp[32];
	int err = pt_shebang__parse(buf, size, interp, sizeof(interp));

	CHECK(err == 0 || err == -ENOEXEC || err == -ENAMETOOLONG);
	if (!err)
		CHECK(strlen(interp) >= 1 && !strchr(interp, ' ') &&
		      !strchr(interp, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	CHECK(buf);
	memcpy(buf, data, size);
	check_cmdline(buf, size);
	check_status(buf, size);
	check_io(buf, size);
	check_stat(buf, size);
	check_shebang(buf, size);
	free(buf);
	return 0;
}
