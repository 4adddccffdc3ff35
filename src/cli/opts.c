// SPDX-License-Identifier: MIT
/* opts.c - see opts.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "cli/opts.h"
#include "output/sink.h"

/* ------------------------------------------------------------------ helpers */

/* Parses a decimal integer in [lo, hi]; returns 0 or -EINVAL. */
static int parse_range(const char *s, long long lo, long long hi,
		       long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int pt_opts__parse_pid(const char *s, pid_t *out)
{
	long long v;

	if (parse_range(s, 1, INT_MAX, &v))
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

/* Parses seconds: a finite number in (0, 1e7]; returns 0 or -EINVAL. */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

/* -------------------------------------------------------------------- specs */

static void spec_free(struct pt_spec *s)
{
	free(s->object);
	free(s->pattern);
}

static int add_spec(struct pt_opts *o, const char *text, char *err,
		    size_t errlen)
{
	struct pt_spec *v;
	int ret;

	v = realloc(o->specs, (o->nspecs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->specs = v;
	ret = pt_spec__parse(text, &v[o->nspecs], err, errlen);
	if (ret)
		return ret;
	o->nspecs++;
	return 0;
}

/* -o FORMAT=PATH: the format must exist, the path must not be empty. */
static int add_output(struct pt_opts *o, const char *text, char *err,
		      size_t errlen)
{
	const char *eq = strchr(text, '=');
	struct pt_output *v, *out;
	char names[256];

	if (!eq || eq == text || !eq[1])
		return pt_errf(
			err, errlen, -EINVAL,
			"bad -o '%s'; give FORMAT=PATH (PATH '-': standard output), FORMAT one of %s",
			text, pt_sink_format__names(names, sizeof(names)));
	v = realloc(o->outputs, (o->noutputs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->outputs = v;
	out = &v[o->noutputs];
	if (asprintf(&out->format, "%.*s", (int)(eq - text), text) < 0)
		return -ENOMEM;
	out->path = eq + 1;
	if (asprintf(&out->option, "-o %s", out->format) < 0) {
		free(out->format);
		return -ENOMEM;
	}
	if (!pt_sink_format__find(out->format)) {
		pt_errf(err, errlen, -EINVAL,
			"bad -o '%s': no output format '%s'; use one of %s",
			text, out->format,
			pt_sink_format__names(names, sizeof(names)));
		free(out->format);
		free(out->option);
		return -EINVAL;
	}
	o->noutputs++;
	return 0;
}

/* ---------------------------------------------------------------- the parse */

void pt_opts__usage(FILE *f)
{
	fputs("usage: pipetrace [OPTIONS] -p PID[,PID...]\n"
	      "       pipetrace [OPTIONS] --comm NAME\n"
	      "       pipetrace [OPTIONS] --exe PATH\n"
	      "       pipetrace [OPTIONS] -- CMD [ARGS...]\n"
	      "\n"
	      "Trace the stage functions of a pipeline: calls, items, latency\n"
	      "percentiles, throughput and concurrency per stage.\n"
	      "\n"
	      "  -p, --pid PID[,PID...] trace running processes (repeatable)\n"
	      "      --children         with -p: their descendants too, present and future\n"
	      "      --comm NAME        trace every process named NAME (/proc/PID/comm),\n"
	      "                         also those that start while tracing\n"
	      "      --exe PATH         trace every process running the file PATH (by\n"
	      "                         device and inode), also those that start later\n"
	      "      --no-follow        trace the launched command's process only, not the\n"
	      "                         processes it forks (default: all its descendants)\n"
	      "  -u, --user USER        run CMD as USER (uid, groups, HOME, USER, LOGNAME)\n"
	      "  -s, --stage SPEC       trace functions matching SPEC (repeatable):\n"
	      "                         PATTERN         glob over the main executable's functions,\n"
	      "                                         raw or demangled ('shop::Parser::*')\n"
	      "                         OBJECT:PATTERN  in a shared library (libz.so.1:deflate)\n"
	      "                                         or an ELF file path; OBJECT ends at the\n"
	      "                                         first ':' not part of '::'\n"
	      "                         ...,items=MODE  read the return value as an item count:\n"
	      "                                         auto|none|s32|u32|s64|u64 (default auto)\n"
	      "                         default: the functions annotated with <pipetrace/stage.h>\n"
	      "  -d, --duration SEC     stop tracing after SEC seconds\n"
	      "  -i, --interval SEC     print the table every SEC seconds\n"
	      "  -j, --json FILE        write the report as JSON to FILE (same as -o json=FILE)\n"
	      "  -o, --output FORMAT=PATH  also write FORMAT to PATH (repeatable; PATH '-':\n"
	      "                         standard output): table (the report; without -o\n"
	      "                         table=... it goes to standard error), json, events,\n"
	      "                         folded, folded-offcpu (as --events, --folded, ...).\n"
	      "                         Every PATH is checked before anything is attached\n"
	      "      --events FILE      also write every call to FILE, one tab-separated\n"
	      "                         line each (start_ns tid stage latency_ns ret),\n"
	      "                         streamed through a ring buffer; calls that do not\n"
	      "                         fit are counted as lost (lost.events)\n"
	      "      --max-threads N    threads tracked at once (default 8192)\n"
	      "      --no-calibrate     do not subtract the probe's own measured latency\n"
	      "      --sites            where PIPETRACE_ENTER() placed nop5 probe sites in a\n"
	      "                         stage, probe them (plain uprobes the kernel turns\n"
	      "                         into calls) instead of its entry and return: about\n"
	      "                         half the cost per call; the first call of each site\n"
	      "                         pays the kernel's one-time patching (~70 us)\n"
	      "      --syscalls light|libc|exact  light (default): no syscall\n"
	      "                         tracepoint, other tasks barely notice; user, sys,\n"
	      "                         io_cpu and fsyncs show as '-'. libc: light plus\n"
	      "                         uprobes on the traced processes' libc I/O calls\n"
	      "                         for io_cpu and fsyncs (~7 us per I/O call of the\n"
	      "                         traced program). exact: syscall\n"
	      "                         tracepoints give them, but every task on the\n"
	      "                         machine takes the slow syscall path meanwhile\n"
	      "\n"
	      "Memory (per stage heap use, leaks, page faults, RSS):\n"
	      "      --alloc            probe the target's allocator (malloc, calloc, realloc,\n"
	      "                         free, posix_memalign, aligned_alloc, memalign, valloc,\n"
	      "                         pvalloc) and count user page faults. Every allocator\n"
	      "                         call then costs its uprobes: about 13 us here on\n"
	      "                         average (more where the first instruction is\n"
	      "                         single-stepped; free is probed past its NULL test,\n"
	      "                         on a push the kernel emulates), plus about\n"
	      "                         5 us per recorded allocation for its stack and map entry.\n"
	      "                         With several processes, the first one's only (the\n"
	      "                         others' ALLOCS and FREES are -): probed in every\n"
	      "                         process mapping libc, every program on the machine\n"
	      "                         would pay the probe per allocator call\n"
	      "      --alloc-sample N   record one allocation in N, counts scaled by N: saves\n"
	      "                         the 5 us of stack and map work, not the uprobe, which\n"
	      "                         still fires on every call\n"
	      "      --alloc-min BYTES  ignore allocations smaller than BYTES (same saving)\n"
	      "      --alloc-max N      live blocks tracked at once (default 262144); more\n"
	      "                         are counted as lost\n"
	      "\n"
	      "Stacks and flame graphs:\n"
	      "  -F, --freq HZ          on-CPU sampling rate (default 49; with --folded)\n"
	      "      --folded FILE      write on-CPU stacks per stage, folded (FILE.gz: gzip)\n"
	      "      --folded-offcpu FILE  write off-CPU stacks per stage and reason, in us;\n"
	      "                         captures a stack at every switch-out (costly)\n"
	      "      --call-graph fp|dwarf[,SIZE]  walk user stacks by frame pointers, or\n"
	      "                         copy SIZE bytes of stack (default 8192, at most\n"
	      "                         16384) and registers per sample and unwind them\n"
	      "                         by DWARF CFI (default: dwarf if the target's code\n"
	      "                         lacks frame pointers, else fp)\n"
	      "      --addresses        name code without a symbol OBJECT+0xOFFSET, one\n"
	      "                         frame per address (default: OBJECT, one frame per run)\n"
	      "  -v, --verbose          show debug output, libbpf's included\n"
	      "  -h, --help             this text\n"
	      "  -V, --version          print the version\n"
	      "\n"
	      "The report goes to standard error, as perf stat's and strace's do: a\n"
	      "launched CMD's standard output stays its own.\n"
	      "Ctrl-C or SIGTERM prints the report and detaches; the traced process\n"
	      "is left running. A launched CMD is held before its first instruction\n"
	      "until every probe is attached; pipetrace exits with its status.\n"
	      "\n",
	      f);
}

enum {
	OPT_NO_CALIBRATE = 256,
	OPT_MAX_THREADS,
	OPT_ALLOC,
	OPT_ALLOC_SAMPLE,
	OPT_ALLOC_MIN,
	OPT_ALLOC_MAX,
	OPT_FOLDED,
	OPT_FOLDED_OFFCPU,
	OPT_SITES,
	OPT_EVENTS,
	OPT_ADDRESSES,
	OPT_CALL_GRAPH,
	OPT_SYSCALLS,
	OPT_CHILDREN,
	OPT_NO_FOLLOW,
	OPT_COMM,
	OPT_EXE,
	OPT_END,
};

/* The options that hold one value: given twice is an error, not the last
 * one silently kept. */
static const struct {
	int c;
	const char *name;
} single_opts[] = {
	{ 'd', "-d" },
	{ 'i', "-i" },
	{ 'j', "--json" },
	{ 'F', "-F" },
	{ OPT_MAX_THREADS, "--max-threads" },
	{ OPT_ALLOC_SAMPLE, "--alloc-sample" },
	{ OPT_ALLOC_MIN, "--alloc-min" },
	{ OPT_ALLOC_MAX, "--alloc-max" },
	{ OPT_FOLDED, "--folded" },
	{ OPT_FOLDED_OFFCPU, "--folded-offcpu" },
	{ OPT_EVENTS, "--events" },
	{ OPT_CALL_GRAPH, "--call-graph" },
	{ OPT_SYSCALLS, "--syscalls" },
	{ OPT_COMM, "--comm" },
	{ OPT_EXE, "--exe" },
};

/* Counts option c; -EINVAL with a message the second time a single-value
 * option comes. */
static int once(unsigned char seen[OPT_END], int c, char *err, size_t errlen)
{
	size_t i;

	if (c < 0 || c >= OPT_END || seen[c]++ == 0)
		return 0;
	for (i = 0; i < sizeof(single_opts) / sizeof(single_opts[0]); i++) {
		if (single_opts[i].c != c)
			continue;
		if (c == 'j')
			return pt_errf(
				err, errlen, -EINVAL,
				"--json given twice; give it once (more JSON files: -o json=PATH)");
		return pt_errf(err, errlen, -EINVAL,
			       "%s given twice; give it once",
			       single_opts[i].name);
	}
	return 0;
}

/* --call-graph fp|dwarf[,SIZE]; SIZE a multiple of 8 up to
 * PT_USTACK_MAX, as perf takes it. */
static int parse_call_graph(const char *arg, struct pt_opts *o, char *err,
			    size_t errlen)
{
	long long ll;

	if (!strcmp(arg, "fp")) {
		o->call_graph = PT_CG_FP;
		return 0;
	}
	if (strncmp(arg, "dwarf", 5) || (arg[5] && arg[5] != ','))
		return pt_errf(err, errlen, -EINVAL,
			       "bad --call-graph '%s'; give fp or dwarf[,SIZE]",
			       arg);
	o->call_graph = PT_CG_DWARF;
	if (!arg[5])
		return 0;
	if (parse_range(arg + 6, 8, PT_USTACK_MAX, &ll) || ll % 8)
		return pt_errf(
			err, errlen, -EINVAL,
			"bad --call-graph stack size '%s'; give a multiple of 8 from 8 to %d",
			arg + 6, PT_USTACK_MAX);
	o->ustack_size = (unsigned int)ll;
	return 0;
}

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "stage", required_argument, NULL, 's' },
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "json", required_argument, NULL, 'j' },
	{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
	{ "no-calibrate", no_argument, NULL, OPT_NO_CALIBRATE },
	{ "sites", no_argument, NULL, OPT_SITES },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "output", required_argument, NULL, 'o' },
	{ "alloc", no_argument, NULL, OPT_ALLOC },
	{ "alloc-sample", required_argument, NULL, OPT_ALLOC_SAMPLE },
	{ "alloc-min", required_argument, NULL, OPT_ALLOC_MIN },
	{ "alloc-max", required_argument, NULL, OPT_ALLOC_MAX },
	{ "freq", required_argument, NULL, 'F' },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "folded-offcpu", required_argument, NULL, OPT_FOLDED_OFFCPU },
	{ "addresses", no_argument, NULL, OPT_ADDRESSES },
	{ "call-graph", required_argument, NULL, OPT_CALL_GRAPH },
	{ "syscalls", required_argument, NULL, OPT_SYSCALLS },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

/* An option handler's answer for an option of another group. */
#define NOT_MINE 1

/* A file name option: not empty. */
static int set_path(const char **dst, const char *arg, const char *name,
		    char *err, size_t errlen)
{
	if (!*arg)
		return pt_errf(err, errlen, -EINVAL,
			       "empty %s file name; give a path", name);
	*dst = arg;
	return 0;
}

/* Appends pid to o->pids (o->pid: the first). 0 or -ENOMEM. */
static int add_pid(struct pt_opts *o, pid_t pid)
{
	pid_t *v;
	size_t i;

	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return 0;
	v = realloc(o->pids, (o->npids + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->pids = v;
	o->pids[o->npids++] = pid;
	o->pid = o->pids[0];
	return 0;
}

/* -p PID[,PID...], repeatable. */
static int parse_pids(struct pt_opts *o, const char *arg, char *err,
		      size_t errlen)
{
	char one[32];
	const char *p = arg, *comma;
	size_t len;
	pid_t pid;

	do {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(one))
			len = sizeof(one) - 1;
		memcpy(one, p, len);
		one[len] = '\0';
		if (pt_opts__parse_pid(one, &pid))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad PID '%s' in '-p %s'; give positive process ids, e.g. -p 12,34",
				one, arg);
		if (add_pid(o, pid))
			return pt_errf(err, errlen, -ENOMEM, "out of memory");
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

/* Which processes: -p, --children, --no-follow, --comm, --exe. */
static int opt_procs(struct pt_opts *o, int c, const char *arg, char *err,
		     size_t errlen)
{
	switch (c) {
	case 'p':
		return parse_pids(o, arg, err, errlen);
	case OPT_CHILDREN:
		o->children = true;
		return 0;
	case OPT_NO_FOLLOW:
		o->no_follow = true;
		return 0;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --comm '%s'; give a process name of 1 to 15 characters (as in /proc/PID/comm)",
				arg);
		o->comm = arg;
		return 0;
	case OPT_EXE:
		if (!*arg)
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --exe ''; give the path of an executable file");
		o->exe = arg;
		return 0;
	}
	return NOT_MINE;
}

/* What to trace and for how long: -u, -s, -d, -i. */
static int opt_target(struct pt_opts *o, int c, const char *arg, char *err,
		      size_t errlen)
{
	switch (c) {
	case 'u':
		if (!*arg)
			return pt_errf(err, errlen, -EINVAL,
				       "empty user name; give -u USER");
		o->user = arg;
		return 0;
	case 's':
		return add_spec(o, arg, err, errlen);
	case 'd':
		if (parse_seconds(arg, &o->duration_s))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad duration '%s'; give seconds > 0, e.g. -d 10",
				arg);
		return 0;
	case 'i':
		if (parse_seconds(arg, &o->interval_s))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad interval '%s'; give seconds > 0, e.g. -i 1",
				arg);
		return 0;
	}
	return NOT_MINE;
}

/* Where the results go: -j, -o, --events, --folded*, --addresses,
 * --call-graph. */
static int opt_output(struct pt_opts *o, int c, const char *arg, char *err,
		      size_t errlen)
{
	switch (c) {
	case 'j':
		return set_path(&o->json_path, arg, "--json", err, errlen);
	case 'o':
		return add_output(o, arg, err, errlen);
	case OPT_EVENTS:
		return set_path(&o->events_path, arg, "--events", err, errlen);
	case OPT_FOLDED:
		return set_path(&o->folded_path, arg, "--folded", err, errlen);
	case OPT_FOLDED_OFFCPU:
		return set_path(&o->folded_offcpu_path, arg, "--folded-offcpu",
				err, errlen);
	case OPT_ADDRESSES:
		o->addresses = true;
		return 0;
	case OPT_CALL_GRAPH:
		return parse_call_graph(arg, o, err, errlen);
	}
	return NOT_MINE;
}

/* --alloc and the options that imply it. */
static int opt_memory(struct pt_opts *o, int c, const char *arg, char *err,
		      size_t errlen)
{
	long long ll = 0;

	switch (c) {
	case OPT_ALLOC:
		break;
	case OPT_ALLOC_SAMPLE:
		if (parse_range(arg, 1, 1 << 30, &ll))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --alloc-sample '%s'; give N from 1 (every allocation) to 1073741824",
				arg);
		o->alloc_sample = (unsigned int)ll;
		break;
	case OPT_ALLOC_MIN:
		if (parse_range(arg, 0, 1LL << 40, &ll))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --alloc-min '%s'; give a size in bytes",
				arg);
		o->alloc_min = (uint64_t)ll;
		break;
	case OPT_ALLOC_MAX:
		if (parse_range(arg, 1, 1 << 24, &ll))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --alloc-max '%s'; give 1 to 16777216",
				arg);
		o->alloc_max = (unsigned int)ll;
		break;
	default:
		return NOT_MINE;
	}
	o->alloc = true;
	return 0;
}

/* How the probes run: --max-threads, --no-calibrate, --sites, --syscalls,
 * -F, -v. */
static int opt_probe(struct pt_opts *o, int c, const char *arg, char *err,
		     size_t errlen)
{
	long long ll;

	switch (c) {
	case OPT_MAX_THREADS:
		if (parse_range(arg, 1, 1 << 22, &ll))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --max-threads '%s'; give 1 to 4194304",
				arg);
		o->max_threads = (unsigned int)ll;
		return 0;
	case 'F':
		if (parse_range(arg, 1, 10000, &ll))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --freq '%s'; give a rate in Hz from 1 to 10000",
				arg);
		o->freq_hz = (unsigned int)ll;
		return 0;
	case OPT_NO_CALIBRATE:
		o->calibrate = false;
		return 0;
	case OPT_SITES:
		o->sites = true;
		return 0;
	case OPT_SYSCALLS:
		if (strcmp(arg, "exact") && strcmp(arg, "light") &&
		    strcmp(arg, "libc"))
			return pt_errf(
				err, errlen, -EINVAL,
				"bad --syscalls '%s'; give light, libc or exact",
				arg);
		o->sys_light = strcmp(arg, "exact") != 0;
		o->libcio = !strcmp(arg, "libc");
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	}
	return NOT_MINE;
}

/* One option c with its argument, by the group that knows it. */
static int parse_one(struct pt_opts *o, int c, const char *arg, char *err,
		     size_t errlen)
{
	static int (*const groups[])(struct pt_opts *, int, const char *,
				     char *, size_t) = {
		opt_procs, opt_target, opt_output, opt_memory, opt_probe,
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		ret = groups[i](o, c, arg, err, errlen);
		if (ret != NOT_MINE)
			return ret;
	}
	return -ENOENT;
}

/* An option getopt did not take: unknown, or without its value. */
static int bad_option(int c, char **argv, char *err, size_t errlen)
{
	if (c == ':')
		return pt_errf(
			err, errlen, -EINVAL,
			"option '%s' needs a value; see pipetrace --help",
			argv[optind - 1]);
	if (optopt)
		return pt_errf(
			err, errlen, -EINVAL,
			"unknown option '-%c' or missing value; see pipetrace --help",
			optopt);
	return pt_errf(
		err, errlen, -EINVAL,
		"unknown option '%s' or missing value; see pipetrace --help",
		argv[optind - 1]);
}

/* After the options: -- CMD [ARGS...], or nothing with -p. */
static int parse_command(struct pt_opts *o, int argc, char **argv, char *err,
			 size_t errlen)
{
	if (optind < argc)
		o->argv = &argv[optind];
	if (o->pid && o->argv)
		return pt_errf(err, errlen, -EINVAL,
			       "give either -p PID or -- CMD, not both");
	if ((o->comm || o->exe) && (o->pid || o->argv))
		return pt_errf(
			err, errlen, -EINVAL,
			"give one of -p PID, --comm NAME, --exe PATH or -- CMD");
	if (o->comm && o->exe)
		return pt_errf(
			err, errlen, -EINVAL,
			"give either --comm NAME or --exe PATH, not both");
	if (o->children && !o->pid)
		return pt_errf(
			err, errlen, -EINVAL,
			"--children follows the descendants of -p PID; give -p PID too");
	if (o->no_follow && !o->argv)
		return pt_errf(
			err, errlen, -EINVAL,
			"--no-follow is for a launched command (-- CMD); -p traces only the PIDs given unless --children");
	if (o->pid && o->user)
		return pt_errf(
			err, errlen, -EINVAL,
			"-u USER runs a launched command; a running process (-p) keeps its own user");
	if (!o->pid && !o->argv && !o->comm && !o->exe)
		return pt_errf(
			err, errlen, -EINVAL,
			"nothing to trace; give -p PID, --comm NAME, --exe PATH or -- CMD [ARGS...]");
	return 0;
}

static void set_defaults(struct pt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->calibrate = true;
	o->max_threads = PT_DEFAULT_MAX_THREADS;
	o->sys_light = true; /* --syscalls light: the others barely notice */
	o->alloc_sample = 1;
	o->alloc_max = PT_DEFAULT_MAX_ALLOCS;
	o->freq_hz = 49;
	o->ustack_size = PT_USTACK_DEFAULT;
}

int pt_opts__parse(int argc, char **argv, struct pt_opts *o, char *err,
		   size_t errlen)
{
	unsigned char seen[OPT_END] = { 0 };
	int c, ret;

	set_defaults(o);
	opterr = 0;
	optind = 0; /* 0: GNU getopt starts over (ordering included) */
	while ((c = getopt_long(argc, argv, "+:p:u:s:d:i:j:o:F:vhV", long_opts,
				NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			o->help = c == 'h';
			o->version = c == 'V';
			return 0;
		}
		ret = once(seen, c, err, errlen);
		if (!ret)
			ret = parse_one(o, c, optarg, err, errlen);
		if (ret == -ENOENT)
			ret = bad_option(c, argv, err, errlen);
		if (ret)
			return ret;
	}
	return parse_command(o, argc, argv, err, errlen);
}

void pt_opts__free(struct pt_opts *o)
{
	size_t i;

	for (i = 0; i < o->nspecs; i++)
		spec_free(&o->specs[i]);
	free(o->specs);
	o->specs = NULL;
	free(o->pids);
	o->pids = NULL;
	o->npids = 0;
	o->nspecs = 0;
	for (i = 0; i < o->noutputs; i++) {
		free(o->outputs[i].format);
		free(o->outputs[i].option);
	}
	free(o->outputs);
	o->outputs = NULL;
	o->noutputs = 0;
}
