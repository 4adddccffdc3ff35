// SPDX-License-Identifier: MIT
/* readfile.c - see readfile.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/readfile.h"

int pt_read_fd(int fd, size_t initial, size_t max, char **buf, size_t *len)
{
	size_t n = 0, cap = initial ? initial : 4096;
	char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(b);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}
