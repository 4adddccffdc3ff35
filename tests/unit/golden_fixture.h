/* SPDX-License-Identifier: MIT */
/*
 * golden_fixture.h - one fixed trace, built by hand (no BPF), for the
 * golden-output tests of the sinks: three stages (items, no items, a
 * library's), two threads, memory with a live site, lost events, RSS.
 * Every figure is fixed; nothing depends on the clock or the machine.
 */
#ifndef GOLDEN_FIXTURE_H
#define GOLDEN_FIXTURE_H

#include <string.h>

#include "report/hist.h"
#include "report/snapshot.h"

struct golden {
	struct pt_stage st[3];
	struct pt_stage_set set;
	struct pt_totals tot[3];
	struct pt_thread_info th[3];
	struct pt_pair pairs[3];
	struct pt_mem_row mem[4];
	char *frames[2];
};

static void golden_latencies(struct pt_totals *t, uint64_t step, int n)
{
	uint64_t v;
	int i;

	for (i = 1; i <= n; i++) {
		v = (uint64_t)i * step;
		t->hist[pt_hist_bucket(v)]++;
		t->lat_sum_ns += v;
	}
	t->calls = (uint64_t)n;
	t->min_ns = step;
	t->max_ns = (uint64_t)n * step;
	t->wall_ns = t->lat_sum_ns;
}

static void golden_stages(struct golden *g)
{
	g->st[0] = (struct pt_stage){ .name = "stage_parse",
				      .object = "/opt/refpipe",
				      .items = PT_ITEMS_S64,
				      .annotated = true };
	g->st[1] = (struct pt_stage){ .name = "stage_sink",
				      .object = "/opt/refpipe",
				      .items = PT_ITEMS_NONE };
	g->st[2] = (struct pt_stage){ .name = "deflate",
				      .object = "/usr/lib/libz.so.1",
				      .items = PT_ITEMS_S32,
				      .probe_class = PT_PROBE_STEP };
	g->set = (struct pt_stage_set){ .v = g->st, .n = 3 };
	golden_latencies(&g->tot[0], 1000, 100);
	g->tot[0].calls = 101;
	g->tot[0].setup_calls = 1;
	g->tot[0].setup_ns = 900000;
	g->tot[0].items = 12345;
	g->tot[0].time.part_ns[PT_PART_USER] = 3000000;
	g->tot[0].time.part_ns[PT_PART_SYS] = 1000000;
	g->tot[0].time.part_ns[PT_PART_IO] = 1050000;
	g->tot[0].time.io_cpu_ns = 600000; /* of the sys above */
	golden_latencies(&g->tot[1], 20000, 50);
	g->tot[1].time.part_ns[PT_PART_LOCK] = 20000000;
	g->tot[1].time.part_ns[PT_PART_RUNQ] = 5500000;
	golden_latencies(&g->tot[2], 300, 10);
	g->tot[2].items = 777;
	g->tot[2].time.part_ns[PT_PART_USER] = 16500;
}

static void golden_threads(struct golden *g)
{
	g->th[0] = (struct pt_thread_info){ .tid = 4242,
					    .nthreads = 1,
					    .comm = "refpipe" };
	g->th[0].busy_ns[PT_PART_USER] = 4000000;
	g->th[0].idle_ns[PT_PART_SLEEP] = 1000000000;
	g->th[1] = (struct pt_thread_info){ .tid = 4243,
					    .exited = true,
					    .nthreads = 1,
					    .comm = "refpipe-sink" };
	g->th[1].busy_ns[PT_PART_LOCK] = 20000000;
	g->th[1].idle_ns[PT_PART_IO] = 30000000;
	g->th[0].seen = g->th[1].seen = true;
	/* Asleep from attach to the end: listed by /proc, never seen run. */
	g->th[2] = (struct pt_thread_info){ .tid = 4250,
					    .nthreads = 1,
					    .comm = "refpipe-log",
					    .blocked_on = "hrtimer_nanosleep" };
	g->th[2].idle_ns[PT_PART_SLEEP] = 2000000000;
	g->pairs[0] = (struct pt_pair){ 4242, 0, 5050000, 0, 0 };
	g->pairs[1] = (struct pt_pair){ 4243, 1, 25500000, 0, 0 };
	g->pairs[2] = (struct pt_pair){ 4242, 2, 16500, 0, 0 };
}

static void golden_memory(struct golden *g)
{
	g->mem[0] = (struct pt_mem_row){ .alloc_calls = 200,
					 .alloc_bytes = 819200,
					 .frees = 150,
					 .freed_bytes = 614400,
					 .live_bytes = 204800,
					 .peak_live_bytes = 409600,
					 .page_faults = 12 };
	g->frames[0] = "parse_record";
	g->frames[1] = "stage_parse";
	g->mem[0].top[0] = (struct pt_live_site){
		.frames = g->frames, .nframes = 2, .bytes = 204800, .count = 50
	};
	g->mem[0].ntop = 1;
	g->mem[1] = (struct pt_mem_row){ .frees = 50,
					 .freed_bytes = 204800,
					 .mmap_calls = 1,
					 .mmap_bytes = 1 << 20 };
	g->mem[3] = (struct pt_mem_row){ .alloc_calls = 3,
					 .alloc_bytes = 3072,
					 .brk_grow_bytes = 135168 };
}

/* Fills g and a snapshot of it (both must stay where they are). */
static void golden_snapshot(struct golden *g, struct pt_snapshot *s)
{
	memset(g, 0, sizeof(*g));
	memset(s, 0, sizeof(*s));
	golden_stages(g);
	golden_threads(g);
	golden_memory(g);
	s->pid = 4242;
	s->command = "refpipe --records 100 \"quoted\"";
	s->stages = &g->set;
	s->totals = g->tot;
	s->duration_ns = 2000000000ull;
	s->final = true;
	s->calibrated = true;
	s->bias_ns[PT_PROBE_PUSH] = 1500;
	s->bias_ns[PT_PROBE_STEP] = 4000;
	s->tail_ns[PT_PROBE_PUSH] = 500;
	s->lost[PT_LOST_UNMATCHED] = 3;
	s->lost[PT_LOST_EVENTS] = 2;
	s->inflight_exits = 1;
	s->unpaired_returns = 3;
	s->threads = g->th;
	s->nthreads = 3;
	s->pairs = g->pairs;
	s->npairs = 3;
	s->mem = g->mem;
	s->alloc_sample = 1;
	s->alloc_min = 0;
	s->rss = (struct pt_rss){ .start = 1 << 20,
				  .end = 3 << 20,
				  .peak = 4 << 20,
				  .end_known = true };
}

#endif /* GOLDEN_FIXTURE_H */
