// SPDX-License-Identifier: MIT
/*
 * test_pipeline.c - the bottleneck of a pipeline of processes
 * (report/pipeline.c) on synthetic figures: a CPU-bound middle process,
 * a slow producer seen only from its traced reader, a tie, a cycle, a
 * process with no pipes, and the lines the table prints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report/pipeline.h"

#define MS 1000000ull
#define SPAN (1000 * MS)

/* A process whose CPU time schedstat gave (not traced). */
static struct pt_pl_node cpu_node(pid_t pid, const char *name, uint64_t cpu)
{
	return (struct pt_pl_node){ .pid = pid,
				    .name = name,
				    .cpu_known = true,
				    .span_ns = SPAN,
				    .oncpu_ns = cpu };
}

/* A traced process: its waits on its input and output. */
static struct pt_pl_node traced_node(pid_t pid, const char *name, uint64_t rd,
				     uint64_t wr)
{
	return (struct pt_pl_node){ .pid = pid,
				    .name = name,
				    .traced = true,
				    .cpu_known = true,
				    .span_ns = SPAN,
				    .oncpu_ns = SPAN - rd - wr,
				    .wait_ns = { rd, wr } };
}

static struct pt_pl_edge edge(pid_t w, pid_t r)
{
	return (struct pt_pl_edge){ .ino = 100 + (uint64_t)w,
				    .rino = 100 + (uint64_t)w,
				    .kind = "pipe",
				    .writer = w,
				    .reader = r };
}

/* cat | pigz -9 | pigz -dc, the middle traced and never waiting: it is
 * the bottleneck, busy 100%, and 2x faster saves half the run. */
static void test_cpu_bound_middle(void **state)
{
	struct pt_pl_node n[] = { cpu_node(1, "cat", 20 * MS),
				  traced_node(2, "pigz -9", 0, 0),
				  cpu_node(3, "pigz -dc", 100 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2), edge(2, 3) };
	struct pt_pipeline pl = { n, 3, e, 2, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;
	char line[512];

	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	assert_int_equal(v.tie, -1);
	assert_true(v.busy_pct > 99.9);
	assert_true(v.saves_pct > 49.9 && v.saves_pct < 50.1);
	pt_pipeline__line(&pl, &v, "deflate", line, sizeof(line));
	assert_non_null(strstr(line, "pigz -9 (pid 2) is the bottleneck"));
	assert_non_null(strstr(line, "deflate"));
}

/*
 * A traced process of four threads on CPU 1.74 s of its 1 s (threads in
 * parallel), its busiest thread busy 0.9 s, beside one thread busy 0.8 s:
 * it is the bottleneck, busy 90% (its busiest thread's, not its threads'
 * sum), and the line gives its CPU time in CPUs, never as 174%.
 */
static void test_threads_busiest(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "cat", 0, 200 * MS),
				  traced_node(2, "pigz", 50 * MS, 50 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;
	char line[512];

	n[1].nthreads = 4;
	n[1].thread_busy_ns = 900 * MS;
	n[1].oncpu_ns = 1740 * MS;
	assert_int_equal(pt_pl_busy(&n[1]), 900 * MS);
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	assert_true(v.busy_pct > 89.9 && v.busy_pct < 90.1);
	pt_pipeline__line(&pl, &v, NULL, line, sizeof(line));
	print_message("  %s\n", line);
	assert_non_null(strstr(line,
			       "busy 90% of its 1.00 s (its busiest "
			       "of 4 threads), on CPU 1.74 s (1.74 CPUs)"));
	assert_null(strstr(line, "174%"));
	/* more busy than its span (clock skew): its span */
	n[1].thread_busy_ns = 1100 * MS;
	assert_int_equal(pt_pl_busy(&n[1]), SPAN);
}

/* The traced process is the writer and waits 92% on its output: its
 * reader, busy 95% by schedstat, is the bottleneck, and the evidence is
 * the writer's wait on the full pipe. 2x faster saves 95 - 47.5. */
static void test_slow_reader_seen_by_writer(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "cat", 0, 920 * MS),
				  cpu_node(2, "pigz -9", 950 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;
	char line[512];

	e[0].writer_known = true;
	e[0].writer_wait_ns = 920 * MS;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	assert_true(v.saves_pct > 47.4 && v.saves_pct < 47.6);
	pt_pipeline__line(&pl, &v, NULL, line, sizeof(line));
	assert_non_null(strstr(line, "pigz -9 (pid 2) is the bottleneck"));
	assert_non_null(strstr(line, "cat (pid 1) waits 92% on a full pipe"));
	pt_pipeline__edge_line(&pl, &e[0], line, sizeof(line));
	assert_non_null(strstr(line, "cat (pid 1) -> pigz -9 (pid 2)"));
	assert_non_null(strstr(line, "writer blocked 92%"));
	assert_non_null(strstr(line, "reader not traced"));
}

/* A slow producer: its traced reader is starved 80%. */
static void test_starved_reader(void **state)
{
	struct pt_pl_node n[] = { cpu_node(1, "gen", 900 * MS),
				  traced_node(2, "filter", 800 * MS, 0) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;
	char line[512];

	e[0].reader_known = true;
	e[0].reader_wait_ns = 800 * MS;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 0);
	pt_pipeline__line(&pl, &v, NULL, line, sizeof(line));
	assert_non_null(strstr(line, "filter (pid 2) waits 80% on an empty"));
}

/* Two processes as busy as each other (within 2% of the span): a tie,
 * and speeding either alone saves only their difference, 1%. */
static void test_tie(void **state)
{
	struct pt_pl_node n[] = { cpu_node(1, "a", 700 * MS),
				  cpu_node(2, "b", 690 * MS),
				  cpu_node(3, "c", 100 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2), edge(2, 3) };
	struct pt_pipeline pl = { n, 3, e, 2, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;
	char line[512];

	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 0);
	assert_int_equal(v.tie, 1);
	assert_true(v.saves_pct > 0.9 && v.saves_pct < 1.1);
	pt_pipeline__line(&pl, &v, NULL, line, sizeof(line));
	assert_non_null(strstr(line, "a (pid 1) and b (pid 2) are the"));
}

/* a -> b -> a: a cycle changes nothing; the busier one is named. */
static void test_cycle(void **state)
{
	struct pt_pl_node n[] = { cpu_node(1, "a", 300 * MS),
				  cpu_node(2, "b", 600 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2), edge(2, 1) };
	struct pt_pipeline pl = { n, 2, e, 2, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	assert_true(v.saves_pct > 29.9 && v.saves_pct < 30.1);
}

/* A process with no pipe is not part of the pipeline, however busy;
 * alone (no pipe anywhere) it is judged on its own. */
static void test_process_without_pipes(void **state)
{
	struct pt_pl_node n[] = { cpu_node(1, "a", 300 * MS),
				  cpu_node(2, "b", 200 * MS),
				  cpu_node(3, "busy", 990 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 3, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 0);
	pl.nedges = 0;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 2);
}

/* Nothing known: no verdict. */
static void test_nothing_known(void **state)
{
	struct pt_pl_node n[] = { { .pid = 1, .span_ns = SPAN } };
	struct pt_pipeline pl = { n, 1, NULL, 0, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	assert_int_equal(pt_pipeline__analyze(&pl, &v), -ENOENT);
	assert_int_equal(v.node, -1);
	pl.nnodes = 0;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), -ENOENT);
}

/* Busy: a traced process's span less its pipe waits and its run-queue
 * time (all of it from schedstat, else the part after its pipe waits); an
 * untraced one's CPU time, at most its span. Waiting for a CPU is not
 * busy. */
static void test_busy(void **state)
{
	struct pt_pl_node t = traced_node(1, "t", 300 * MS, 100 * MS);
	struct pt_pl_node u = cpu_node(2, "u", 900 * MS);

	t.oncpu_ns = 450 * MS;
	t.runq_ns = 150 * MS;
	t.wait_runq_ns[0] = 50 * MS;
	assert_true(pt_pl_busy(&t) == 450 * MS);
	t.cpu_known = false;
	assert_true(pt_pl_busy(&t) == 550 * MS);
	u.runq_ns = 300 * MS;
	assert_true(pt_pl_busy(&u) == 900 * MS);
	u.oncpu_ns = 2 * SPAN;
	assert_true(pt_pl_busy(&u) == SPAN);
	t.wait_ns[1] = 2 * SPAN;
	assert_true(pt_pl_busy(&t) == 0);
}

/* A loaded machine: the downstream process waits for a CPU after every
 * wakeup, 95% of the span, yet uses 1% of it; the CPU-bound traced
 * process (on CPU 40%, waiting for a CPU 58%) is the bottleneck. */
static void test_runqueue_is_not_busy(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "pigz -9", 10 * MS, 10 * MS),
				  cpu_node(2, "pigz -dc", 10 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	n[0].oncpu_ns = 400 * MS;
	n[0].runq_ns = 580 * MS;
	n[1].runq_ns = 950 * MS;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 0);
	assert_int_equal(v.tie, -1);
}

/* sh -c 'a | b': the shell, traced, holds only its stderr pipe and waits
 * for its children (part other, 98% of its span): not busy, so the
 * CPU-bound child is the bottleneck, not the shell. */
static void test_waiting_shell_is_not_busy(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "sh", 0, 0),
				  traced_node(2, "pigz -9", 0, 0),
				  cpu_node(3, "tty reader", 0) };
	struct pt_pl_edge e[] = { edge(1, 3), edge(2, 3) };
	struct pt_pipeline pl = { n, 3, e, 2, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	n[0].oncpu_ns = 20 * MS;
	n[0].other_known = true;
	n[0].other_ns = 980 * MS;
	n[1].oncpu_ns = 700 * MS;
	n[1].runq_ns = 300 * MS;
	assert_true(pt_pl_busy(&n[0]) == 20 * MS);
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	n[0].other_known = false;
	assert_true(pt_pl_busy(&n[0]) == SPAN);
}

/* --no-follow with sh -c 'a | b': the shell is the one traced process and
 * waits for its children (other, 98%); beside it only an idle reader of
 * its stderr. The shell is never named, even as the busier one; with no
 * one else there is no verdict. A process blocked in other for at most
 * half its span still takes part. */
static void test_waiting_shell_never_named(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "sh", 0, 0),
				  cpu_node(2, "tty reader", 1 * MS) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	struct pt_pl_verdict v;

	n[0].oncpu_ns = 20 * MS;
	n[0].other_known = true;
	n[0].other_ns = 980 * MS;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 1);
	assert_int_equal(v.tie, -1);
	pl.nnodes = 1;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), -ENOENT);
	n[0].other_ns = 500 * MS;
	assert_int_equal(pt_pipeline__analyze(&pl, &v), 0);
	assert_int_equal(v.node, 0);
}

/* Bytes not counted (--syscalls light): "- B" in the line, never "0 B". */
static void test_bytes_unknown(void **state)
{
	struct pt_pl_node n[] = { traced_node(1, "cat", 0, 0),
				  traced_node(2, "wc", 0, 0) };
	struct pt_pl_edge e[] = { edge(1, 2) };
	struct pt_pipeline pl = { n, 2, e, 1, 0, NULL, 0, NULL };
	char line[512];

	e[0].writer_known = e[0].reader_known = true;
	pt_pipeline__edge_line(&pl, &e[0], line, sizeof(line));
	assert_non_null(strstr(line, ", - B,"));
	assert_null(strstr(line, "0 B"));
	e[0].bytes_known = true;
	e[0].bytes = 0;
	pt_pipeline__edge_line(&pl, &e[0], line, sizeof(line));
	assert_non_null(strstr(line, ", 0 B,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_bound_middle),
		cmocka_unit_test(test_threads_busiest),
		cmocka_unit_test(test_slow_reader_seen_by_writer),
		cmocka_unit_test(test_starved_reader),
		cmocka_unit_test(test_tie),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_process_without_pipes),
		cmocka_unit_test(test_nothing_known),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_runqueue_is_not_busy),
		cmocka_unit_test(test_waiting_shell_is_not_busy),
		cmocka_unit_test(test_waiting_shell_never_named),
		cmocka_unit_test(test_bytes_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
