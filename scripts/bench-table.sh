#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints .output/bench/results.json (written by `make bench`, scripts/bench.sh) as
# markdown: the run, the micro table (added time per probed call, per tool),
# the other cases, and the issue-6 and issue-15 targets. `make bench` runs it last; the
# README's "Overhead (make bench)" section is its output. Measures nothing.
#
#   scripts/bench-table.sh [RESULTS.json]
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-.output/bench/results.json}
[ -s "$results" ] || { echo "bench-table: no $results; run make bench" >&2; exit 1; }

jq -r '
def dash: if . == null then "—" else . end;
def r(n): if . == null then null else (. * pow(10; n) | round / pow(10; n)) end;
# A duration in ns, as ns or us.
def t: if . == null then "—" elif fabs >= 1000 then "\(. / 1000 | r(2)) µs" else "\(r(0)) ns" end;
def plus: if . == null then "—" elif . < 0 then "−" + (-. | t) else "+" + t end;
def pct: if . == null then "—" elif . < 0 then "−\(-. | r(2))%" else "\(r(2))%" end;
def spct: if . != null and . > 0 then "+" + pct else pct end;
def x: if . == null then "—" else "×\(r(2))" end;
# " [min–max]" of a pairwise ratio (see bench-merge.jq), or nothing.
def rng(q; n; k): (q.ratio_spread[n][k] // null) as $s |
  if $s == null then "" else " [\($s.min | r(2))–\($s.max | r(2))]" end;
def thousands: if . == null then "—" else
  round | tostring | explode | reverse | [_nwise(3) | reverse | implode] | reverse | join(" ") end;
def cell(c; tool):
  (c.tools[tool] // null) as $o |
  if c == null or c.skipped then "skipped"
  elif $o == null then "—"
  elif $o.skipped then "skipped"
  else $o.added_ns_per_call | plus end;

. as $r | .cases as $c | .ratios as $q |
"Measured \(.date) on \(.machine.kernel), \(.machine.cpu), \(.machine.nproc) CPUs (virt: \(.machine.virt), container: \(.machine.container)); repetitions interleaved, medians: system \(.reps.system | dash), micro \(.reps.micro | dash), alloc \(.reps.alloc | dash).",
"",
"Added time per probed call (`tests/bench/micro.c`, `micro --ab`: each run an in-process A/B against an unprobed twin; medians over the repetitions; untraced time in brackets; f*: plain functions, probed at entry and return; a*: the same with `PIPETRACE_ENTER()`, probed at its nop5 sites; ratios: medians of the ratios taken per repetition, [min–max]):",
"",
"| case | floor (empty BPF) | pipetrace | pipetrace `--events` | bpftrace `hist()` | uftrace `-pg` |",
"| --- | --- | --- | --- | --- | --- |",
(["f50ns", "f1us", "f20us", "a50ns", "a1us", "a20us"][] as $k | $c[$k] as $m |
  if $m == null or $m.skipped then
    "| \($k) | skipped: \($m.skipped // "not run") | | | | |"
  else
    ($k | startswith("a")) as $a |
    "| \($k) (\($m.tools.none.ns_per_call | t)) | \(cell($m; if $a then "floor_nop5" else "floor" end))"
    + " | \(cell($m; "pipetrace")) (\($q.pipetrace_vs_floor[$k] | x)\(rng($q; "pipetrace_vs_floor"; $k)) floor"
    + (if $a then ", \($q.pipetrace_nop5_vs_bpftrace[$k] | x)\(rng($q; "pipetrace_nop5_vs_bpftrace"; $k)) bpftrace on f\($k | ltrimstr("a")))"
       else ", \($q.pipetrace_vs_bpftrace[$k] | x)\(rng($q; "pipetrace_vs_bpftrace"; $k)) bpftrace)" end)
    + " | \(cell($m; "pipetrace_stream"))"
    + (($m.tools.pipetrace_stream // {}) as $s | if $s.events_per_s then
        " (\($q.streaming_vs_latency[$k] | x)\(rng($q; "streaming_vs_latency"; $k)), \($s.events_per_s | thousands) ev/s, lost \($s.lost_events_max | dash))" else "" end)
    + " | \(if $a then "" else cell($m; "bpftrace") end) | \(if $a then "" else cell($m; "uftrace") end) |"
  end),
"",
"| case | untraced | traced | cost |",
"| --- | --- | --- | --- |",
(["refpipe_threads", "refpipe_single"][] as $k | $c[$k] as $p | select($p != null) |
  "| `\($p.command)` | \($p.tools.none.records_per_s | thousands) rec/s | \($p.tools.pipetrace.records_per_s | thousands) rec/s | throughput \(-$p.tools.pipetrace.throughput_loss_pct | spct) |"),
($c.sched_pipe | select(. != null) |
  if .skipped then "| sched pipe | skipped: \(.skipped) | | |" else
  .tools as $s |
  "| `perf bench sched pipe -T`, round trip | \($s.none.us_per_op * 1000 | t) | \($s.pipetrace.us_per_op * 1000 | t) | \($s.pipetrace.added_ns_per_switch | plus) per context switch (off-CPU tracking) |",
  "| the same, `--folded-offcpu` | | \($s.pipetrace_offcpu_stacks.us_per_op * 1000 | t) | \($s.pipetrace_offcpu_stacks.added_ns_per_switch | plus) per context switch (a stack each) |",
  (select($s.pipetrace_offcpu_dwarf != null) |
  "| the same, `--folded-offcpu --call-graph dwarf` | | \($s.pipetrace_offcpu_dwarf.us_per_op * 1000 | t) | \($s.pipetrace_offcpu_dwarf.added_ns_per_switch | plus) per context switch (a stack copied and unwound each) |"),
  (select($s.perf_offcpu_dwarf != null) |
  "| the same, `perf record -e sched:sched_switch --call-graph dwarf` + `perf script` | | \($s.perf_offcpu_dwarf.us_per_op * 1000 | t) | \($s.perf_offcpu_dwarf.added_ns_per_switch | plus) per context switch, \($s.perf_offcpu_dwarf.added_ns_per_switch_with_script | plus) with the CPU of perf script |") end),
($c.sampling | select(. != null) | .tools as $s | (49, 99) as $hz |
  ($s["pipetrace_\($hz)hz"]) as $p | ($s["perf_\($hz)hz"]) as $f |
  def split: if .steady_cpu_pct == null then "" else "; of its CPU: start-up \(.tool_cpu_start_ms | dash) ms, steady \(.steady_cpu_pct | pct) of a core (\(.steady_cpu_per_sample_us | dash) us per sample; cost \(.steady_cost_pct | pct)), after the loop \(.tool_cpu_finish_ms | dash) ms" end;
  def smp: "\(.overhead_pct | pct) slower + own CPU \(.tool_cpu_pct | pct) = \(.cost_pct | pct), \(.samples_per_s | dash) samples/s\(split)";
  "| on-CPU sampling \($hz) Hz, `\(.command)` | \($s.none.ns_per_call | t)/call | pipetrace `--folded`: \($p | smp) | perf record -g: "
  + (if $f.skipped then "skipped" else ($f | smp) end) + " |"),
($c.sampling | select(. != null and .tools.pipetrace_dwarf_99hz != null) | .tools as $s |
  def split: if .steady_cpu_pct == null then "" else "; start-up \(.tool_cpu_start_ms | dash) ms, steady \(.steady_cpu_per_sample_us | dash) us per sample, after the loop \(.tool_cpu_finish_ms | dash) ms" end;
  def per: "\(.overhead_pct | pct) slower + own CPU \(.tool_cpu_pct | pct) = \(.cost_pct | pct), \(.tool_cpu_per_sample_us | dash) us of CPU per sample\(split)";
  "| on-CPU sampling 99 Hz, call graphs | | pipetrace `--call-graph fp`: \($s.pipetrace_fp_99hz | per); `--call-graph dwarf`: \($s.pipetrace_dwarf_99hz | per) | perf record --call-graph dwarf + perf script: "
  + (if ($s.perf_dwarf_99hz // null) == null then "skipped" else ($s.perf_dwarf_99hz | per) end) + " |",
  (select($s.pipetrace_dwarf_49hz != null) |
  "| on-CPU sampling 49 Hz, call graphs | | pipetrace `--call-graph dwarf`: \($s.pipetrace_dwarf_49hz | per) | perf record --call-graph dwarf + perf script: "
  + (if ($s.perf_dwarf_49hz // null) == null then "skipped" else ($s.perf_dwarf_49hz | per) end) + " |")),
($c.pipetrace_self | select(. != null) | .modes as $m |
  "| pipetrace itself, 10k events/s | | | \($m.latency.cpu_pct_of_core | pct) of a core (latency), "
  + (if $m.streaming.skipped then "streaming skipped" else "\($m.streaming.cpu_pct_of_core | pct) (`--events`)" end)
  + "; peak RSS \([$m[].peak_rss_mb // empty] | max | dash) MB |"),
($c.attach_10_stages | select(. != null) |
  "| start to attached, 10 stages | | | \(.attach_ms | dash) ms (\(.attach_ms_no_calibrate | dash) ms with `--no-calibrate`)\(if .attach_cpu_ms then "; its CPU \(.attach_cpu_ms) ms (\(.min_attach_cpu_ms | dash)-\(.max_attach_cpu_ms | dash))" else "" end); detach \(.detach_ms | dash) ms |"),
($c.probe_cost_ns | select(. != null and . != {}) |
  "| latency bias subtracted per call (calibration) | | | \(to_entries | map("\(.key) \(.value | t)") | join(", ")) |"),
($c.libcio | select(. != null) |
  "| `--syscalls libc`, per libc I/O call of the traced program (uprobes on its wrappers) | | | \((.cases.libc // .cases.light).added_ns_per_io_call | plus) (exact: \(.cases.exact.added_ns_per_io_call | plus), light: \((if .cases.libc then .cases.light else .cases.light_nolibc end).added_ns_per_io_call | plus)) |"),
($c.alloc | select(. != null) |
  "| `--alloc`, per allocator call | | | \(.added_ns_per_allocator_call_probes | plus) probes, \(.added_ns_per_recorded_allocation | plus) per recorded allocation |"),
"",
"| target | limit | measured | met |",
"| --- | --- | --- | --- |",
(.targets[] | "| \(.target) | \(.limit | dash) | \(.measured | dash)\(if .spread then " (per case, median [min–max]: \(.spread | to_entries | map("\(.key) \(.value.median // "—")" + (if .value then " [\(.value.min)–\(.value.max)]" else "" end)) | join(", ")))" else "" end)\(if .not_measured then " (not measured)" else "" end) | \(if .met then "yes" else "**no**" end) |")
' "$results"
