// SPDX-License-Identifier: MIT
/*
 * totals.c - pt_totals__add_cpu() (see tracer.h): folding one CPU's stage
 * counters into a total. Apart from tracer.c, which includes the BPF
 * skeleton, so that the report's unit tests link without it.
 */
#include <stdint.h>

#include "collect/tracer.h"

void pt_totals__add_cpu(struct pt_totals *t, const struct pt_stage_stats *cpu,
			const struct pt_stage_time *cpu_time)
{
	uint32_t b;
	int p;

	for (p = 0; p < PT_PART_NR; p++)
		t->time.part_ns[p] += cpu_time->part_ns[p];
	t->time.io_syscalls += cpu_time->io_syscalls;
	t->time.read_bytes += cpu_time->read_bytes;
	t->time.write_bytes += cpu_time->write_bytes;
	t->time.fsyncs += cpu_time->fsyncs;
	t->time.vol_switches += cpu_time->vol_switches;
	t->time.invol_switches += cpu_time->invol_switches;
	t->time.io_cpu_ns += cpu_time->io_cpu_ns;
	t->time.nest_ns += cpu_time->nest_ns;
	t->time.nest_tail_ns += cpu_time->nest_tail_ns;
	t->bias_ns += cpu->bias_ns;
	t->nest_tail_ns += cpu->nest_tail_ns;

	if (cpu->calls > cpu->setup_calls) {
		if (t->calls == t->setup_calls || cpu->min_ns < t->min_ns)
			t->min_ns = cpu->min_ns;
		if (cpu->max_ns > t->max_ns)
			t->max_ns = cpu->max_ns;
	}
	t->calls += cpu->calls;
	t->items += cpu->items;
	t->errors += cpu->errors;
	t->wall_ns += cpu->wall_ns;
	t->lat_sum_ns += cpu->lat_sum_ns;
	t->setup_calls += cpu->setup_calls;
	t->setup_ns += cpu->setup_ns;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		t->hist[b] += cpu->hist[b];
}
