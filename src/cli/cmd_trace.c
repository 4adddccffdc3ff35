// SPDX-License-Identifier: MIT
/*
 * cmd_trace.c - `pipetrace [OPTIONS] -p PID | -- CMD`: the trace session's
 * phases in order (session/session.h), then the final snapshot's report
 * to every output sink (output/sink.h).
 */
#include <stdbool.h>

#include <signal.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "cli/opts.h"
#include "session/session.h"
#include "report/report.h"
#include "util/log.h"

/* The final report to every sink; says what each wrote or why not.
 * Returns 0 or -errno. */
static int emit(struct pt_session *s, const struct pt_snapshot *snap)
{
	struct pt_report rep;
	size_t i;
	int ret;

	ret = pt_report__build(&rep, snap);
	if (ret) {
		pt_err("out of memory building the report");
		pt_report__free(&rep);
		return ret;
	}
	ret = pt_sinks__finish(&s->sinks, &rep);
	pt_report__free(&rep);
	for (i = 0; i < s->sinks.n; i++) {
		const struct pt_sink *k = &s->sinks.v[i];

		if (k->ret)
			pt_err("%s", k->err);
		else if (k->note[0])
			pt_info("%s to %s", k->note,
				k->path ? k->path : "standard error");
		if (!k->ret && k->detail[0])
			pt_info("  %s", k->detail);
	}
	return ret;
}

/* Until the end of the run (*ran then), and the report: 0 or -errno. */
static int trace(struct pt_session *s, enum pt_stop *why, bool *ran)
{
	struct pt_snapshot snap;
	char err[512];
	int ret;

	ret = pt_session__prepare(s, err, sizeof(err));
	if (!ret)
		ret = pt_session__load(s, err, sizeof(err));
	if (!ret)
		ret = pt_session__attach(s, err, sizeof(err));
	if (ret) {
		pt_err("%s", err);
		return ret;
	}
	*why = pt_session__run(s);
	*ran = true;
	/* Report first, then detach: removing probes is slow. */
	ret = pt_session__snapshot(s, true, &snap, err, sizeof(err));
	if (ret)
		pt_err("%s", err);
	else
		ret = emit(s, &snap);
	pt_session__detach(s);
	return ret;
}

static int run_trace(const struct pt_opts *o)
{
	struct pt_session s;
	enum pt_stop why = PT_STOP_EXITED;
	bool ran = false;
	char err[512];
	int ret, code;

	pt_session__init(&s, o);
	/* Every output checked before anything is loaded or launched: a bad
	 * path is a bad option (exit 2). */
	if (pt_session__open_outputs(&s, err, sizeof(err))) {
		pt_err("%s", err);
		pt_session__free(&s);
		return 2;
	}
	ret = trace(&s, &why, &ran);
	code = ran ? pt_session__end(&s, why, ret != 0) : s.fail_code;
	pt_session__free(&s);
	return code;
}

#define PIPETRACE_VERSION "0.1.0"

int pt_cmd_trace(int argc, char **argv)
{
	struct pt_opts o;
	char err[512];
	int code = 0;

	if (pt_opts__parse(argc, argv, &o, err, sizeof(err))) {
		pt_err("%s", err);
		pt_opts__free(&o);
		return 2;
	}
	if (o.help) {
		pt_opts__usage(stdout);
		pt_commands__usage(stdout);
	} else if (o.version) {
		printf("pipetrace %s\n", PIPETRACE_VERSION);
	} else {
		/* A closed stdout (pipetrace | head) is a write error, not
		 * death before --json is written. A launched command gets
		 * SIG_DFL back. */
		signal(SIGPIPE, SIG_IGN);
		pt_log_set_level(o.verbose ? PT_LOG_DEBUG : PT_LOG_INFO);
		pt_log_install_libbpf();
		code = run_trace(&o);
	}
	pt_opts__free(&o);
	return code;
}
