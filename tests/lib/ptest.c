// SPDX-License-Identifier: MIT
/* ptest.c - see ptest.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ptest.h"

void ptest_filter_from_env(void)
{
	const char *pattern = getenv("PTEST_FILTER");

	if (pattern && *pattern)
		cmocka_set_test_filter(pattern);
}

const char *ptest_cannot_trace(void)
{
	if (geteuid() != 0)
		return "not root: loading BPF programs needs root (CAP_BPF, CAP_PERFMON)";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "kernel has no BTF (/sys/kernel/btf/vmlinux missing)";
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		return "kernel has no uprobes (CONFIG_UPROBE_EVENTS)";
	if (access(PTEST_PIPETRACE, X_OK) || access(PTEST_REFPIPE, X_OK))
		return "pipetrace or refpipe not built (run make)";
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int ptest_spawn(struct ptest_proc *p, char *const argv[], bool want_stdin)
{
	int out[2], err[2], in[2] = { -1, -1 };

	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	if (want_stdin && pipe2(in, O_CLOEXEC))
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (want_stdin)
			dup2(in[0], 0);
		else
			dup2(open("/dev/null", O_RDONLY), 0);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	p->out_fd = out[0];
	p->err_fd = err[0];
	p->in_fd = -1;
	if (want_stdin) {
		close(in[0]);
		p->in_fd = in[1];
	}
	return 0;
}

/* Appends what fd has (up to one read) to *buf; returns bytes, 0 at EOF. */
static ssize_t slurp(int fd, char **buf)
{
	char chunk[4096];
	size_t old = *buf ? strlen(*buf) : 0;
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *nb;

	if (n <= 0)
		return n;
	nb = realloc(*buf, old + (size_t)n + 1);
	if (!nb)
		return -1;
	memcpy(nb + old, chunk, (size_t)n);
	nb[old + (size_t)n] = '\0';
	*buf = nb;
	return n;
}

bool ptest_wait_stderr(struct ptest_proc *p, const char *needle,
		       double timeout_s, char **log)
{
	double end = now_s() + timeout_s;

	while (now_s() < end) {
		struct pollfd pf = { .fd = p->err_fd, .events = POLLIN };

		if (*log && strstr(*log, needle))
			return true;
		if (poll(&pf, 1, 100) > 0 && slurp(p->err_fd, log) <= 0)
			return *log && strstr(*log, needle);
	}
	return *log && strstr(*log, needle);
}

int ptest_finish(struct ptest_proc *p, double timeout_s, char **out, char **err)
{
	double end = now_s() + timeout_s;
	char *o = NULL, *e = NULL;
	bool out_open = true, err_open = true;
	int status, code = -1;

	if (p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	/* *err may hold what ptest_wait_stderr() already read. */
	if (err && *err) {
		e = *err;
		*err = NULL;
	}
	while ((out_open || err_open) && now_s() < end) {
		struct pollfd pf[2] = {
			{ .fd = out_open ? p->out_fd : -1, .events = POLLIN },
			{ .fd = err_open ? p->err_fd : -1, .events = POLLIN },
		};

		if (poll(pf, 2, 100) <= 0)
			continue;
		if (pf[0].revents && slurp(p->out_fd, &o) <= 0)
			out_open = false;
		if (pf[1].revents && slurp(p->err_fd, &e) <= 0)
			err_open = false;
	}
	while (now_s() < end) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);

		if (w == p->pid) {
			code = WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
			break;
		}
		usleep(10000);
	}
	if (code < 0) {
		print_message(
			"ptest: pid %d still running after %.0f s: killed\n",
			p->pid, timeout_s);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
	}
	close(p->out_fd);
	close(p->err_fd);
	if (out)
		*out = o ? o : strdup("");
	else
		free(o);
	if (err)
		*err = e ? e : strdup("");
	else
		free(e);
	return code;
}

int ptest_run(char *const argv[], double timeout_s, char **out, char **err)
{
	struct ptest_proc p;

	if (ptest_spawn(&p, argv, false))
		return -1;
	return ptest_finish(&p, timeout_s, out, err);
}

void ptest_trace_refpipe(char **pt_args, char **ref_args, void (*feed)(int fd),
			 json_object **rep, json_object **self)
{
	char jpath[64], spath[64], *argv[64], *out = NULL, *err = NULL;
	struct ptest_proc p;
	int n = 0, i, code;

	ptest_tmp_path(jpath, sizeof(jpath), ".json");
	ptest_tmp_path(spath, sizeof(spath), ".self.json");
	argv[n++] = PTEST_PIPETRACE;
	argv[n++] = "--json";
	argv[n++] = jpath;
	for (i = 0; pt_args && pt_args[i] && n < 48; i++)
		argv[n++] = pt_args[i];
	argv[n++] = "--";
	argv[n++] = PTEST_REFPIPE;
	for (i = 0; ref_args && ref_args[i] && n < 60; i++)
		argv[n++] = ref_args[i];
	argv[n++] = "--self-report";
	argv[n++] = spath;
	argv[n] = NULL;
	assert_int_equal(ptest_spawn(&p, argv, feed != NULL), 0);
	if (feed) {
		feed(p.in_fd);
		close(p.in_fd);
		p.in_fd = -1;
	}
	code = ptest_finish(&p, 120, &out, &err);
	if (code != 0)
		fail_msg("pipetrace exited %d\nstdout:\n%s\nstderr:\n%s", code,
			 out, err);
	*rep = ptest_load_json(jpath);
	*self = ptest_load_json(spath);
	assert_non_null(*rep);
	assert_non_null(*self);
	unlink(jpath);
	unlink(spath);
	free(out);
	free(err);
}

void ptest_attach(struct ptest_proc *tracer, pid_t target, char **extra,
		  char **log)
{
	char pidbuf[16], *argv[32];
	int n = 0, i;

	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	argv[n++] = PTEST_PIPETRACE;
	argv[n++] = "-p";
	argv[n++] = pidbuf;
	for (i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	assert_int_equal(ptest_spawn(tracer, argv, false), 0);
	if (!ptest_wait_stderr(tracer, "tracing ", 30, log))
		fail_msg("pipetrace did not attach: %s", *log ? *log : "");
}

json_object *ptest_load_json(const char *path)
{
	json_object *o = json_object_from_file(path);

	if (!o)
		print_message("ptest: cannot parse %s: %s\n", path,
			      json_util_get_last_err());
	return o;
}

json_object *ptest_take_json(const char *path)
{
	json_object *o = ptest_load_json(path);

	assert_non_null(o);
	unlink(path);
	return o;
}

char *ptest_slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "r"), *out;
	int c;

	if (!in)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	return buf;
}

json_object *ptest_thread(json_object *report, uint64_t tid)
{
	json_object *a, *t;
	size_t i;

	if (!json_object_object_get_ex(report, "threads", &a))
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		t = json_object_array_get_idx(a, i);
		if (ptest_u64(t, "tid") == tid)
			return t;
	}
	return NULL;
}

uint64_t ptest_book(const char *path, const char *key)
{
	unsigned long long v = 0;
	char k[64];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		fail_msg("no books at %s", path);
	while (!found && fscanf(f, "%63s %llu", k, &v) == 2)
		found = !strcmp(k, key);
	fclose(f);
	if (!found)
		fail_msg("no %s in the program's books at %s", key, path);
	return v;
}

json_object *ptest_stage(json_object *report, const char *name)
{
	json_object *stages, *s, *n;
	size_t i;

	if (!json_object_object_get_ex(report, "stages", &stages))
		return NULL;
	for (i = 0; i < json_object_array_length(stages); i++) {
		s = json_object_array_get_idx(stages, i);
		if (json_object_object_get_ex(s, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return s;
	}
	return NULL;
}

uint64_t ptest_u64(json_object *o, const char *key)
{
	json_object *v;

	if (!o)
		fail_msg("no JSON object to read '%s' from", key);
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON key '%s' missing", key);
	return json_object_get_uint64(v);
}

void ptest_tmp_path(char *buf, size_t len, const char *suffix)
{
	static unsigned int seq;

	snprintf(buf, len, "/tmp/ptest-%d-%u%s", getpid(), seq++, suffix);
	unlink(buf);
}

int ptest_count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

void ptest_run_ok(char *const argv[], double timeout_s, char **out, char **err)
{
	int code = ptest_run(argv, timeout_s, out, err);

	if (code)
		fail_msg("%s exited %d: %s", argv[0], code,
			 err && *err ? *err : "");
}

int ptest_count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

void ptest_go_env(const char *dir)
{
	char cache[PATH_MAX], gopath[PATH_MAX];

	snprintf(cache, sizeof(cache), "%s/gocache", dir);
	snprintf(gopath, sizeof(gopath), "%s/gopath", dir);
	setenv("GOCACHE", cache, 1);
	setenv("GOPATH", gopath, 1);
	setenv("GO111MODULE", "off", 1);
	setenv("GOFLAGS", "", 1);
}
