// SPDX-License-Identifier: MIT
/*
 * report.c - --self-report: the per-stage ground truth, as JSON.
 *
 *   {"stages": [{"name": "stage_ingest", "calls": N, "items": N,
 *                "wall_ns": N, "min_wall_ns": N, "first_wall_ns": N (the
 *                first call's part of wall_ns), "cpu_ns": N,
 *                "sleep_ns": N, "burn_ns": N,
 *                "burn_cpu_ns": N, "alloc_calls": N, "alloc_bytes": N,
 *                "free_calls": N, "freed_bytes": N}, ... six, in pipeline
 *               order;
 *               stage_sink also has "write_calls", "write_bytes", "fsyncs";
 *               the --lock stage also "lock_workers", "lock_hold_ns",
 *               "lock_wait_ns", "lock_join_ns"],
 *    "records_in": N, "records_out": N, "run_ns": N (the run, stages
 *    started to stopped, CLOCK_MONOTONIC), "threads": BOOL,
 *    "alloc_outside_stages": {"calls": N, "bytes": N}}
 *
 * records_in is what stage_ingest produced, records_out what stage_sink
 * wrote. sleep_ns and burn_ns are the CLOCK_MONOTONIC time inside the
 * stage's --sleep and --cpu-burn (part of its wall_ns), burn_cpu_ns the
 * thread CPU time the burn used (part of its cpu_ns); 0 without them.
 * min_wall_ns is the fastest call's wall_ns (0 with no call).
 * lock_hold_ns and lock_wait_ns are summed over the workers (so may exceed
 * wall_ns): holding the mutex, and inside pthread_mutex_lock(); lock_join_ns
 * is the stage thread's time handing items out and waiting for the workers
 * (part of its wall_ns, not of its cpu_ns). See lock.c.
 *
 * alloc_* and free_* count the heap calls (malloc, calloc, realloc, free)
 * the stage's code made, --leak included; freed_bytes also counts the old
 * block of each realloc. alloc_outside_stages counts refpipe's own
 * allocations outside every stage (setup: the feature windows, the sink
 * buffer, the self-report's temporary path), not json-c's or libc's. See
 * alloc.c.
 *
 * The file is written with pwrite(2), never write(2), so that the
 * sink's write(2) calls are the only ones refpipe makes; it is written to
 * "<path>.tmp" and renamed, so readers never see half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "refpipe.h"

/* ------------------------------------------------------------------ json */

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

/* --procs: "process": this process's role and its pipe waits. */
static void report_proc(struct json_object *root, const struct rp_proc *pr)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return;
	json_object_object_add(o, "role", json_object_new_string(pr->role));
	add_u64(o, "pid", (uint64_t)getpid());
	add_u64(o, "wall_ns", pr->end_ns - pr->start_ns);
	add_u64(o, "cpu_ns", pr->cpu_ns);
	add_u64(o, "pipe_read_wait_ns", pr->read_wait_ns);
	add_u64(o, "pipe_write_wait_ns", pr->write_wait_ns);
	add_u64(o, "pipe_read_block_ns", pr->read_block_ns);
	add_u64(o, "pipe_write_block_ns", pr->write_block_ns);
	add_u64(o, "pipe_read_bytes", pr->read_bytes);
	add_u64(o, "pipe_write_bytes", pr->write_bytes);
	add_u64(o, "pipe_read_calls", pr->read_calls);
	add_u64(o, "pipe_write_calls", pr->write_calls);
	json_object_object_add(root, "process", o);
}

/* Build the report object; NULL if out of memory. */
static struct json_object *report_build(const struct rp_pipeline *p)
{
	struct json_object *root = json_object_new_object();
	struct json_object *stages = json_object_new_array();
	struct json_object *outside;
	char name[32];

	if (!root || !stages) {
		json_object_put(root);
		json_object_put(stages);
		return NULL;
	}
	for (int i = 0; i < RP_NSTAGES; i++) {
		const struct rp_stats *s = &p->stats[i];
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		snprintf(name, sizeof(name), "stage_%s", rp_stage_names[i]);
		json_object_object_add(o, "name", json_object_new_string(name));
		add_u64(o, "calls", s->calls);
		add_u64(o, "items", s->items);
		add_u64(o, "wall_ns", s->wall_ns);
		add_u64(o, "min_wall_ns", s->min_wall_ns);
		add_u64(o, "first_wall_ns", s->first_wall_ns);
		add_u64(o, "cpu_ns", s->cpu_ns);
		add_u64(o, "sleep_ns", s->sleep_ns);
		add_u64(o, "burn_ns", s->burn_ns);
		add_u64(o, "burn_cpu_ns", s->burn_cpu_ns);
		add_u64(o, "alloc_calls", s->alloc.alloc_calls);
		add_u64(o, "alloc_bytes", s->alloc.alloc_bytes);
		add_u64(o, "free_calls", s->alloc.free_calls);
		add_u64(o, "freed_bytes", s->alloc.freed_bytes);
		if (i == RP_SINK) {
			add_u64(o, "write_calls", p->sink.write_calls);
			add_u64(o, "write_bytes", p->sink.write_bytes);
			add_u64(o, "fsyncs", p->sink.fsyncs);
		}
		if (p->opts->knobs[i].lock) {
			add_u64(o, "lock_workers", p->opts->workers);
			add_u64(o, "lock_hold_ns", p->pool.hold_ns);
			add_u64(o, "lock_wait_ns", p->pool.wait_ns);
			add_u64(o, "lock_join_ns", p->pool.join_ns);
		}
		json_object_array_add(stages, o);
	}
	json_object_object_add(root, "stages", stages);
	add_u64(root, "records_in", p->stats[RP_INGEST].items);
	add_u64(root, "records_out", p->stats[RP_SINK].items);
	add_u64(root, "run_ns", p->run_ns);
	json_object_object_add(root, "threads",
			       json_object_new_boolean(p->opts->threads));
	if (p->proc.role)
		report_proc(root, &p->proc);
	outside = json_object_new_object();
	if (outside) {
		add_u64(outside, "calls", p->outside_alloc.alloc_calls);
		add_u64(outside, "bytes", p->outside_alloc.alloc_bytes);
		json_object_object_add(root, "alloc_outside_stages", outside);
	}
	return root;
}

/* ----------------------------------------------------------------- write */

/* pwrite(2) all of buf at off; returns 0 or -errno. */
static int pwrite_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Write the report to tmp_fd (closed here), rename; returns 0 or -errno. */
int rp_report_write(const struct rp_pipeline *p, int tmp_fd,
		    const char *tmp_path, const char *path)
{
	struct json_object *root = report_build(p);
	const char *text;
	size_t len;
	int err = -ENOMEM;

	text = root ? json_object_to_json_string_ext(root,
						     JSON_C_TO_STRING_PRETTY) :
		      NULL;
	if (text) {
		len = strlen(text);
		err = pwrite_all(tmp_fd, text, len, 0);
		if (!err)
			err = pwrite_all(tmp_fd, "\n", 1, (off_t)len);
	}
	json_object_put(root);
	if (close(tmp_fd) && !err)
		err = -errno;
	if (!err && rename(tmp_path, path))
		err = -errno;
	if (err)
		unlink(tmp_path);
	return err;
}
