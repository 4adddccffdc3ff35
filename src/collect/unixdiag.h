/* SPDX-License-Identifier: MIT */
/*
 * unixdiag.h - the peers of unix sockets, the kernel's view: each end of a
 * socketpair or a connected AF_UNIX socket is its own inode
 * ("socket:[INO]" in /proc/PID/fd), and only the kernel knows which two
 * belong together. A NETLINK_SOCK_DIAG dump of the AF_UNIX sockets with
 * UDIAG_SHOW_PEER gives, for each connected one, its peer's inode (what
 * `ss -x` shows).
 *
 * The dump is the kernel's, but it is read as hostile input: the parser
 * is a pure function over a buffer (fuzzed in tests/fuzz/fuzz_pipes.c)
 * that checks every length before it reads.
 */
#ifndef PT_UNIXDIAG_H
#define PT_UNIXDIAG_H

#include <stddef.h>
#include <stdint.h>

/* A connected unix socket and its peer, by inode. */
struct pt_unix_peer {
	uint64_t ino, peer;
};

struct pt_unix_peers {
	struct pt_unix_peer *v;
	size_t n, cap;
};

/*
 * One netlink datagram of a sock_diag dump, buf[0..len): appends each
 * socket with a peer to *out. Returns 1 at the dump's NLMSG_DONE, 0 if
 * more datagrams follow, -EINVAL on a malformed message, -ENOMEM, or the
 * kernel's -errno of an NLMSG_ERROR.
 */
int pt_unixdiag__parse(const void *buf, size_t len, struct pt_unix_peers *out);
/* Every connected unix socket of the machine (of pipetrace's network
 * namespace) with its peer: 0 or -errno. */
int pt_unixdiag__dump(struct pt_unix_peers *out);
/* The peer of socket ino in p, or 0. */
uint64_t pt_unixdiag__peer(const struct pt_unix_peers *p, uint64_t ino);
void pt_unixdiag__free(struct pt_unix_peers *p);

#endif /* PT_UNIXDIAG_H */
