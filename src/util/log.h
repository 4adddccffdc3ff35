/* SPDX-License-Identifier: MIT */
/*
 * log.h - the one logging module.
 *
 * Errors are one line on stderr: "pipetrace: <what>; <fix>". Modules below
 * the CLI do not print; they return -errno and the caller reports. The only
 * module state in pipetrace lives here (the verbosity), because libbpf's
 * print callback takes no context pointer.
 */
#ifndef PT_LOG_H
#define PT_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum pt_log_level {
	PT_LOG_ERROR = 0,
	PT_LOG_WARN = 1,
	PT_LOG_INFO = 2,
	PT_LOG_DEBUG = 3,
};

/* Messages above this level are hidden; -v raises it to PT_LOG_DEBUG. */
void pt_log_set_level(enum pt_log_level level);
enum pt_log_level pt_log_level(void);

void pt_log(enum pt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pt_err(...) pt_log(PT_LOG_ERROR, __VA_ARGS__)
#define pt_warn(...) pt_log(PT_LOG_WARN, __VA_ARGS__)
#define pt_info(...) pt_log(PT_LOG_INFO, __VA_ARGS__)
#define pt_debug(...) pt_log(PT_LOG_DEBUG, __VA_ARGS__)

/*
 * Formats a one-line error message ("what is wrong; how to fix it") into a
 * caller's buffer, for modules that return errors instead of printing them.
 * Returns ret, so that `return pt_errf(err, errlen, -ENOENT, ...)` works.
 */
int pt_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Route libbpf's messages through pt_log: its warnings and debug output are
 * shown only with -v (pipetrace prints its own one-line error). */
void pt_log_install_libbpf(void);

#endif /* PT_LOG_H */
