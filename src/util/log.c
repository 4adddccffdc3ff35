// SPDX-License-Identifier: MIT
/* log.c - see log.h. */
#include <stdio.h>
#include <bpf/libbpf.h>

#include "util/log.h"

static enum pt_log_level log_level = PT_LOG_INFO;

void pt_log_set_level(enum pt_log_level level)
{
	log_level = level;
}

enum pt_log_level pt_log_level(void)
{
	return log_level;
}

static void vlog(enum pt_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[PT_LOG_ERROR] = "pipetrace: error: ",
		[PT_LOG_WARN] = "pipetrace: warning: ",
		[PT_LOG_INFO] = "pipetrace: ",
		[PT_LOG_DEBUG] = "pipetrace: debug: ",
	};

	if (level > log_level)
		return;
	fputs(prefix[level], stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pt_log(enum pt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int pt_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < PT_LOG_DEBUG)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void pt_log_install_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
