// SPDX-License-Identifier: MIT
/*
 * floor - run a command with empty uprobes attached: the kernel floor of a
 * probed call, which `make bench` sets beside pipetrace and its peers.
 *
 *   floor [-e OFF]... [-r OFF]... [-u OFF]... BINARY -- CMD [ARGS...]
 *   floor -S -- CMD [ARGS...]
 *
 *   -e OFF  an empty uprobe and an empty uretprobe at file offset OFF of
 *           BINARY (a function's entry)
 *   -r OFF  an empty uretprobe only
 *   -u OFF  an empty plain uprobe only (e.g. a 5-byte-nop probe site)
 *
 *   -S      empty tp_btf/sched_switch and sched_wakeup programs instead,
 *           attached to the whole machine (no uprobe): what a tracer of
 *           context switches pays per switch and wakeup before any work
 *
 * OFF is decimal or 0x-hex. CMD is forked and held before execvp until
 * every probe is attached to its PID (launch.c, as pipetrace does), then
 * released; floor waits for it and exits with its status (128+N if killed
 * by signal N), or 1 on its own errors.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "target/launch.h"

#define MAX_PROBES 64

enum kind { ENTRY_AND_RETURN, RETURN_ONLY, ENTRY_ONLY };

struct probe {
	enum kind kind;
	unsigned long long off;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: floor [-e OFF]... [-r OFF]... [-u OFF]... BINARY -- CMD [ARGS...]\n"
		"       floor -S -- CMD [ARGS...]\n"
		"  -e OFF  empty uprobe + uretprobe at file offset OFF of BINARY\n"
		"  -r OFF  empty uretprobe only\n"
		"  -u OFF  empty plain uprobe only\n"
		"  -S      empty sched_switch and sched_wakeup programs\n"
		"  -F      with -S: compare the tasks' tgids with floor's own\n"
		"  -T      BPF run-time statistics on while CMD runs\n");
	return 2;
}

static int parse_off(const char *s, unsigned long long *off)
{
	char *end;

	errno = 0;
	*off = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* Attaches prog to pid at binary+off; stores the link in links[*n]. */
static int attach(struct bpf_program *prog, bool ret, pid_t pid,
		  const char *binary, unsigned long long off,
		  struct bpf_link **links, int *n)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	struct bpf_link *l;

	l = bpf_program__attach_uprobe_opts(prog, pid, binary, (size_t)off,
					    &uo);
	if (!l) {
		fprintf(stderr, "floor: attaching a %s at %s+0x%llx: %s\n",
			ret ? "uretprobe" : "uprobe", binary, off,
			strerror(errno));
		return -1;
	}
	links[(*n)++] = l;
	return 0;
}

/* -S: the empty scheduler programs, machine-wide. */
static int attach_sched(struct floor *skel, struct bpf_link **links, int *n)
{
	struct bpf_program *progs[] = { skel->progs.floor_switch,
					skel->progs.floor_wakeup };
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		links[*n] = bpf_program__attach(progs[i]);
		if (!links[*n]) {
			fprintf(stderr, "floor: attaching %s: %s\n",
				bpf_program__name(progs[i]), strerror(errno));
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe probes[MAX_PROBES];
	struct bpf_link *links[2 * MAX_PROBES];
	struct floor *skel = NULL;
	struct pt_child child = { .pid = -1 };
	int nprobes = 0, nlinks = 0, opt, status, ret = 1, i, e;
	bool sched = false, stats = false, filter = false;
	sigset_t mask;
	const char *binary;

	while ((opt = getopt(argc, argv, "+e:r:u:SFTh")) != -1) {
		enum kind k;

		if (opt == 'S' || opt == 'F' || opt == 'T') {
			sched |= opt == 'S';
			filter |= opt == 'F';
			stats |= opt == 'T';
			continue;
		}
		if (opt == 'e')
			k = ENTRY_AND_RETURN;
		else if (opt == 'r')
			k = RETURN_ONLY;
		else if (opt == 'u')
			k = ENTRY_ONLY;
		else
			return usage();
		if (nprobes == MAX_PROBES) {
			fprintf(stderr, "floor: at most %d probes\n",
				MAX_PROBES);
			return 2;
		}
		if (parse_off(optarg, &probes[nprobes].off)) {
			fprintf(stderr, "floor: bad offset '%s'\n", optarg);
			return 2;
		}
		probes[nprobes++].kind = k;
	}
	/* -S takes no BINARY: getopt() consumed the "--" before CMD; point
	 * optind at a BINARY slot before it (unused). */
	if ((sched || filter) &&
	    (!sched || nprobes || optind < 3 ||
	     strcmp(argv[optind - 1], "--") || optind >= argc))
		return usage();
	if (sched)
		optind -= 2;
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--"))
		return usage();
	binary = argv[optind];

	skel = floor__open();
	if (skel && filter)
		skel->rodata->filter_tgid = (__u32)getpid();
	if (skel && floor__load(skel)) {
		floor__destroy(skel);
		skel = NULL;
	}
	if (!skel) {
		fprintf(stderr, "floor: loading the BPF programs: %s\n",
			strerror(errno));
		return 1;
	}
	if (sched && attach_sched(skel, links, &nlinks))
		goto out;
	if (stats && bpf_enable_stats(BPF_STATS_RUN_TIME) < 0) {
		fprintf(stderr, "floor: BPF_ENABLE_STATS: %s\n",
			strerror(errno));
		goto out;
	}
	sigprocmask(SIG_SETMASK, NULL, &mask);
	e = pt_child__spawn_held(&child, &argv[optind + 2], &mask);
	if (e) {
		fprintf(stderr, "floor: fork: %s\n", strerror(-e));
		goto out;
	}
	for (i = 0; i < nprobes; i++) {
		const struct probe *p = &probes[i];

		if (p->kind != RETURN_ONLY &&
		    attach(skel->progs.floor_entry, false, child.pid, binary,
			   p->off, links, &nlinks))
			break;
		if (p->kind != ENTRY_ONLY &&
		    attach(skel->progs.floor_exit, true, child.pid, binary,
			   p->off, links, &nlinks))
			break;
	}
	if (i < nprobes) {
		pt_child__abort(&child);
		goto out;
	}
	e = pt_child__release(&child);
	if (e) {
		fprintf(stderr, "floor: %s: %s\n", argv[optind + 2],
			strerror(-e));
		goto out;
	}
	while (waitpid(child.pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "floor: waitpid: %s\n",
				strerror(errno));
			goto out;
		}
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	floor__destroy(skel);
	return ret;
}
