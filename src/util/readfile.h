/* SPDX-License-Identifier: MIT */
/*
 * readfile.h - read a whole descriptor into memory, bounded.
 *
 * For /proc files (maps, kallsyms): their size is unknown until read, and
 * they describe things other users control, so the read has a ceiling.
 */
#ifndef PT_READFILE_H
#define PT_READFILE_H

#include <stddef.h>

/*
 * Reads FD to its end into a malloc'ed buffer (not NUL-terminated), the
 * first allocation `initial` bytes, doubling up to `max`. Returns 0 with
 * *buf and *len, -EFBIG past max, -ENOMEM, or -errno from read(2) (EINTR
 * is retried). Nothing is allocated on error.
 */
int pt_read_fd(int fd, size_t initial, size_t max, char **buf, size_t *len);

/* The value of hexadecimal digit c, or -1 (for the /proc text parsers). */
static inline int pt_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* PT_READFILE_H */
