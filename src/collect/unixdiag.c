// SPDX-License-Identifier: MIT
/*
 * unixdiag.c - the peers of unix sockets, from NETLINK_SOCK_DIAG (see
 * unixdiag.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "collect/unixdiag.h"

#define RECV_BUF 32768
#define MAX_SOCKETS (1u << 22) /* beyond: not a dump we believe */

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int add_peer(struct pt_unix_peers *out, uint64_t ino, uint64_t peer)
{
	struct pt_unix_peer *v;

	if (out->n == out->cap) {
		size_t cap = out->cap ? 2 * out->cap : 64;

		if (cap > MAX_SOCKETS)
			return -E2BIG;
		v = reallocarray(out->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = (struct pt_unix_peer){ ino, peer };
	return 0;
}

/* The attributes after a unix_diag_msg, p[0..len): its peer's inode in
 * *peer (0: none). 0 or -EINVAL. */
static int parse_attrs(const unsigned char *p, size_t len, uint64_t *peer)
{
	*peer = 0;
	while (len >= sizeof(struct rtattr)) {
		struct rtattr a;
		uint32_t v;

		memcpy(&a, p, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len)
			return -EINVAL;
		if (a.rta_type == UNIX_DIAG_PEER) {
			if (a.rta_len < sizeof(a) + sizeof(v))
				return -EINVAL;
			memcpy(&v, p + sizeof(a), sizeof(v));
			*peer = v;
		}
		if (align4(a.rta_len) >= len)
			break;
		p += align4(a.rta_len);
		len -= align4(a.rta_len);
	}
	return 0;
}

/* One SOCK_DIAG_BY_FAMILY message's payload p[0..len). */
static int parse_diag(const unsigned char *p, size_t len,
		      struct pt_unix_peers *out)
{
	struct unix_diag_msg m;
	uint64_t peer;
	size_t hdr = align4(sizeof(m));

	if (len < sizeof(m))
		return -EINVAL;
	memcpy(&m, p, sizeof(m));
	if (m.udiag_family != AF_UNIX)
		return -EINVAL;
	if (len <= hdr)
		return 0;
	if (parse_attrs(p + hdr, len - hdr, &peer))
		return -EINVAL;
	return peer && m.udiag_ino ? add_peer(out, m.udiag_ino, peer) : 0;
}

/* An NLMSG_ERROR's payload: the kernel's -errno, -EINVAL if unreadable
 * (0, an acknowledgement, is not expected in a dump either). */
static int parse_error(const unsigned char *p, size_t len)
{
	struct nlmsgerr e;

	if (len < sizeof(e))
		return -EINVAL;
	memcpy(&e, p, sizeof(e));
	return e.error < 0 && e.error > -4096 ? e.error : -EINVAL;
}

int pt_unixdiag__parse(const void *buf, size_t len, struct pt_unix_peers *out)
{
	const unsigned char *p = buf;

	if (len < sizeof(struct nlmsghdr))
		return -EINVAL;
	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		size_t body;
		int ret = 0;

		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			return -EINVAL;
		body = h.nlmsg_len - sizeof(h);
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type == NLMSG_ERROR)
			return parse_error(p + sizeof(h), body);
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
			ret = parse_diag(p + sizeof(h), body, out);
		if (ret)
			return ret;
		if (align4(h.nlmsg_len) >= len)
			break;
		p += align4(h.nlmsg_len);
		len -= align4(h.nlmsg_len);
	}
	return 0;
}

static int send_request(int fd)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_UNIX,
		       .udiag_states = ~0u,
		       .udiag_show = UDIAG_SHOW_PEER },
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)sizeof(req))
		return errno ? -errno : -EIO;
	return 0;
}

static int cmp_ino(const void *a, const void *b)
{
	const struct pt_unix_peer *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Datagrams from the kernel (nl_pid 0) until the dump is done. */
static int read_dump(int fd, unsigned char *buf, struct pt_unix_peers *out)
{
	int ret = 0;

	while (!ret) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, RECV_BUF, 0,
				     (struct sockaddr *)&from, &fl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (fl != sizeof(from) || from.nl_pid != 0)
			continue;
		ret = pt_unixdiag__parse(buf, (size_t)n, out);
	}
	return ret < 0 ? ret : 0;
}

int pt_unixdiag__dump(struct pt_unix_peers *out)
{
	unsigned char *buf = malloc(RECV_BUF);
	int fd, ret;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ret = fd < 0 ? -errno : send_request(fd);
	if (!ret)
		ret = read_dump(fd, buf, out);
	if (fd >= 0)
		close(fd);
	free(buf);
	if (ret) {
		pt_unixdiag__free(out);
		return ret;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_ino);
	return 0;
}

uint64_t pt_unixdiag__peer(const struct pt_unix_peers *p, uint64_t ino)
{
	struct pt_unix_peer k = { ino, 0 };
	const struct pt_unix_peer *f;

	if (!p->n)
		return 0;
	f = bsearch(&k, p->v, p->n, sizeof(*p->v), cmp_ino);
	return f ? f->peer : 0;
}

void pt_unixdiag__free(struct pt_unix_peers *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}
