// SPDX-License-Identifier: MIT
/*
 * options.c - refpipe's command line.
 *
 * Every error is one line on stderr, "refpipe: <what is wrong>; <fix>", and
 * makes main exit 2. Options are long-only (plus -h); getopt_long's own
 * messages are turned off so that all errors share that format.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refpipe.h"

/* ---------------------------------------------------------------- usage */

static const char usage_text[] =
	"usage: refpipe [OPTION]...\n"
	"Stream sensor records id,sensor,timestamp,value through six stages:\n"
	"ingest, parse, filter, normalize, features, sink.\n"
	"\n"
	"  --records N          records to generate (default 100000); with\n"
	"                       --input, lines to read at most (default: all)\n"
	"  --batch N            lines per batch (default 1024)\n"
	"  --input FILE|-       read CSV lines from FILE, a FIFO or stdin with\n"
	"                       read(2) instead of generating them (ingest\n"
	"                       blocks in read(2) while a pipe is empty)\n"
	"  --output FILE|-      write id,sensor,timestamp,value,mean,var\n"
	"                       lines to FILE or stdout (default /dev/null)\n"
	"  --fsync              fsync the output after every batch\n"
	"  --window W           rolling window per sensor (default 16)\n"
	"  --features MODE      naive or incremental (default incremental)\n"
	"  --threads            one thread per stage, joined by queues\n"
	"  --procs              three processes joined by pipes: ingest |\n"
	"                       parse..features | sink (this process is the\n"
	"                       middle one); --self-report FILE also writes\n"
	"                       FILE.ingest and FILE.sink\n"
	"  --cpu-burn STAGE=US  spin US microseconds of thread CPU per call\n"
	"  --sleep STAGE=US     sleep US microseconds per call\n"
	"  --leak STAGE=BYTES   malloc BYTES per call, never freed\n"
	"                       (STAGE: ingest, parse, filter, normalize,\n"
	"                       features or sink; once per stage)\n"
	"  --lock STAGE         each STAGE call hands its output records to\n"
	"                       the --workers threads, which take one shared\n"
	"                       mutex per record and do ~2 us of arithmetic\n"
	"                       holding it; the stage blocks until they are\n"
	"                       done (one stage only)\n"
	"  --workers N          threads for --lock, 1..64 (default 1: the same\n"
	"                       work, uncontended); needs --lock\n"
	"  --seed S             generator seed (default 1)\n"
	"  --self-report FILE   write per-stage ground truth as JSON at exit\n"
	"  -h, --help           show this help\n"
	"\n"
	"Prints nothing on success. Exit status: 0 ok, 1 run-time error,\n"
	"2 bad usage.\n";

/* Print "refpipe: <msg>" on stderr; always returns 2 (the exit status). */
static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("refpipe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* ------------------------------------------------------------- numbers */

/* Parse a decimal in [min, max], digits only; returns 0, -EINVAL, -ERANGE. */
static int parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Parse --NAME's value into *out; returns 0 or 2 after printing why. */
static int opt_num(const char *name, const char *arg, uint64_t min,
		   uint64_t max, uint64_t *out)
{
	int err = parse_num(arg, min, max, out);

	if (!err)
		return 0;
	if (err == -EINVAL)
		return usage_error("--%s '%s' is not a number; pass a "
				   "non-negative decimal integer",
				   name, arg);
	return usage_error("--%s %s is out of range; pass a value in "
			   "%llu..%llu",
			   name, arg, (unsigned long long)min,
			   (unsigned long long)max);
}

/* ---------------------------------------------------------- STAGE=VALUE */

/* Map a stage name (with or without "stage_") to its index, or -1. */
static int stage_index(const char *name, size_t len)
{
	if (len > 6 && !strncmp(name, "stage_", 6)) {
		name += 6;
		len -= 6;
	}
	for (int i = 0; i < RP_NSTAGES; i++)
		if (strlen(rp_stage_names[i]) == len &&
		    !strncmp(rp_stage_names[i], name, len))
			return i;
	return -1;
}

/*
 * Parse --NAME STAGE=N into *stage and *val, N in units of unit ("micro-
 * seconds", "bytes"); seen[] marks stages already given, as each stage may
 * be given once. Returns 0 or 2 after printing why.
 */
static int opt_stage_num(const char *name, const char *arg, uint64_t max,
			 const char *unit, bool *seen, int *stage,
			 uint64_t *val)
{
	const char *eq = strchr(arg, '=');
	int st;

	if (!eq)
		return usage_error("--%s '%s' has no '='; write STAGE=%s, "
				   "e.g. --%s features=500",
				   name, arg,
				   strcmp(unit, "bytes") ? "MICROS" : "BYTES",
				   name);
	st = stage_index(arg, (size_t)(eq - arg));
	if (st < 0)
		return usage_error("unknown stage '%.*s' in --%s %s; use one "
				   "of ingest, parse, filter, normalize, "
				   "features, sink",
				   (int)(eq - arg), arg, name, arg);
	if (seen[st])
		return usage_error("--%s given twice for stage %s; give each "
				   "stage once",
				   name, rp_stage_names[st]);
	if (parse_num(eq + 1, 0, max, val))
		return usage_error("--%s %s: '%s' is not a number in 0..%llu; "
				   "pass %s as a decimal integer",
				   name, arg, eq + 1, (unsigned long long)max,
				   unit);
	seen[st] = true;
	*stage = st;
	return 0;
}

/* Parse --lock STAGE into o->knobs; returns 0 or 2 after printing why. */
static int opt_lock(const char *arg, struct rp_opts *o)
{
	int st = stage_index(arg, strlen(arg));

	if (st < 0)
		return usage_error("unknown stage '%s' in --lock; use one of "
				   "ingest, parse, filter, normalize, "
				   "features, sink",
				   arg);
	for (int i = 0; i < RP_NSTAGES; i++)
		if (o->knobs[i].lock)
			return usage_error("--lock given twice; lock one stage "
					   "only");
	o->knobs[st].lock = true;
	return 0;
}

/* ---------------------------------------------------------------- parse */

enum {
	OPT_RECORDS = 256,
	OPT_BATCH,
	OPT_INPUT,
	OPT_OUTPUT,
	OPT_FSYNC,
	OPT_WINDOW,
	OPT_FEATURES,
	OPT_THREADS,
	OPT_CPU_BURN,
	OPT_SLEEP,
	OPT_LEAK,
	OPT_LOCK,
	OPT_WORKERS,
	OPT_SEED,
	OPT_SELF_REPORT,
	OPT_PROCS,
};

static const struct option long_opts[] = {
	{ "records", required_argument, NULL, OPT_RECORDS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "threads", no_argument, NULL, OPT_THREADS },
	{ "cpu-burn", required_argument, NULL, OPT_CPU_BURN },
	{ "sleep", required_argument, NULL, OPT_SLEEP },
	{ "leak", required_argument, NULL, OPT_LEAK },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "self-report", required_argument, NULL, OPT_SELF_REPORT },
	{ "procs", no_argument, NULL, OPT_PROCS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Fill *o from argv; returns 0 to run, 1 after --help, 2 after an error. */
int rp_parse_options(int argc, char **argv, struct rp_opts *o)
{
	bool burn_seen[RP_NSTAGES] = { false };
	bool sleep_seen[RP_NSTAGES] = { false };
	bool leak_seen[RP_NSTAGES] = { false };
	bool records_set = false, workers_set = false, lock_set = false;
	uint64_t v;
	int c, st, err = 0;

	memset(o, 0, sizeof(*o));
	o->records = RP_DEF_RECORDS;
	o->batch = RP_DEF_BATCH;
	o->window = RP_DEF_WINDOW;
	o->seed = 1;
	o->output = "/dev/null";
	o->features = RP_FEAT_INCREMENTAL;
	o->workers = 1;

	opterr = 0;
	while (!err &&
	       (c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_RECORDS:
			err = opt_num("records", optarg, 0, UINT64_MAX,
				      &o->records);
			records_set = true;
			break;
		case OPT_BATCH:
			err = opt_num("batch", optarg, 1, RP_MAX_BATCH, &v);
			o->batch = (uint32_t)v;
			break;
		case OPT_INPUT:
			o->input = optarg;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_FSYNC:
			o->fsync = true;
			break;
		case OPT_WINDOW:
			err = opt_num("window", optarg, 1, RP_MAX_WINDOW, &v);
			o->window = (uint32_t)v;
			break;
		case OPT_FEATURES:
			if (!strcmp(optarg, "naive"))
				o->features = RP_FEAT_NAIVE;
			else if (!strcmp(optarg, "incremental"))
				o->features = RP_FEAT_INCREMENTAL;
			else
				err = usage_error("unknown --features mode "
						  "'%s'; use naive or "
						  "incremental",
						  optarg);
			break;
		case OPT_THREADS:
			o->threads = true;
			break;
		case OPT_PROCS:
			o->procs = true;
			break;
		case OPT_CPU_BURN:
			err = opt_stage_num("cpu-burn", optarg,
					    RP_MAX_INJECT_US, "microseconds",
					    burn_seen, &st, &v);
			if (!err)
				o->knobs[st].burn_us = v;
			break;
		case OPT_SLEEP:
			err = opt_stage_num("sleep", optarg, RP_MAX_INJECT_US,
					    "microseconds", sleep_seen, &st,
					    &v);
			if (!err)
				o->knobs[st].sleep_us = v;
			break;
		case OPT_LEAK:
			err = opt_stage_num("leak", optarg, RP_MAX_LEAK,
					    "bytes", leak_seen, &st, &v);
			if (!err)
				o->knobs[st].leak_bytes = v;
			break;
		case OPT_LOCK:
			err = opt_lock(optarg, o);
			lock_set = true;
			break;
		case OPT_WORKERS:
			err = opt_num("workers", optarg, 1, RP_MAX_WORKERS, &v);
			o->workers = (uint32_t)v;
			workers_set = true;
			break;
		case OPT_SEED:
			err = opt_num("seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case OPT_SELF_REPORT:
			if (!*optarg)
				err = usage_error("--self-report needs a file "
						  "name; pass a path");
			o->self_report = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case ':':
			err = usage_error("option %s needs a value; see "
					  "refpipe --help",
					  argv[optind - 1]);
			break;
		default:
			if (optopt > 0 && optopt < 256)
				err = usage_error("unknown option '-%c'; see "
						  "refpipe --help",
						  optopt);
			else
				err = usage_error("unknown or ambiguous "
						  "option '%s'; see refpipe "
						  "--help",
						  argv[optind - 1]);
			break;
		}
	}
	if (err)
		return err;
	if (optind < argc)
		return usage_error("unexpected argument '%s'; refpipe takes "
				   "options only, see refpipe --help",
				   argv[optind]);
	if (o->input && !*o->input)
		return usage_error("--input needs a file name; pass a path or "
				   "- for stdin");
	if (!*o->output)
		return usage_error("--output needs a file name; pass a path or "
				   "- for stdout");
	if (workers_set && !lock_set)
		return usage_error("--workers without --lock does nothing; "
				   "add --lock STAGE");
	if (o->procs && (o->threads || lock_set))
		return usage_error("--procs runs one thread per process; drop "
				   "--threads and --lock");
	if (o->input && !records_set)
		o->records = UINT64_MAX;
	return 0;
}
