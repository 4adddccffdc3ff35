/* SPDX-License-Identifier: MIT */
/*
 * uprobes.h - a tracer's uprobes, attached in batches: one multi-uprobe
 * link per (program, file) of a batch where the kernel has them (umulti.h),
 * else one perf-event link per probe as libbpf makes them. Removing the
 * former costs a grace period per link, the latter one per probe.
 */
#ifndef PT_UPROBES_H
#define PT_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;
struct bpf_link;

/* Zero-initialise, then set multi (before the first attach). */
struct pt_uprobes {
	bool multi; /* multi-uprobe links (programs loaded for them) */
	struct bpf_link **links; /* per probe, if !multi */
	int *fds; /* multi-uprobe links, if multi */
	size_t n, cap; /* of links or fds */
	size_t nprobes; /* probes attached, either way */
};

/* Probes of one program, all entry or all return probes, for one process:
 * probe i at offs[i] of the file at paths[i], with cookies[i]. */
struct pt_uprobe_batch {
	struct bpf_program *prog;
	bool ret;
	pid_t tgid;
	size_t n;
	const char *const *paths;
	const unsigned long *offs;
	const uint64_t *cookies;
};

/*
 * Attaches batch b into u. Returns 0 or -errno, and then the index of a
 * probe that failed in *failed (with multi links: the first of its file's);
 * what was attached before stays in u.
 */
int pt_uprobes__attach(struct pt_uprobes *u, const struct pt_uprobe_batch *b,
		       size_t *failed);

/* Attaches one probe: a batch of one. Returns 0 or -errno. */
int pt_uprobes__attach_one(struct pt_uprobes *u, struct bpf_program *prog,
			   bool ret, pid_t tgid, const char *path,
			   unsigned long off, uint64_t cookie);

/* Multi-uprobe links closed at once by pt_uprobes__detach(). */
#define PT_UPROBES_CLOSERS 16

/*
 * Detaches every probe in sets[0..n) and frees their arrays (the sets stay
 * usable). Perf-event links go one by one, in order, each waiting for its
 * grace period; multi-uprobe links are closed at once, a thread each, so
 * that the kernel waits for about one grace period for them all (beyond
 * PT_UPROBES_CLOSERS of them, the extra ones one by one).
 */
void pt_uprobes__detach(struct pt_uprobes *const *sets, size_t n);

#endif /* PT_UPROBES_H */
