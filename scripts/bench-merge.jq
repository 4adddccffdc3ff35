# SPDX-License-Identifier: MIT
# .output/bench/results.json from the parts of `make bench` (run by scripts/bench.sh
# with jq -n): $sys, $mic, $alc, $bys are the slurped .output/bench/system.json,
# .output/bench/micro.json, .output/bench/alloc.json, .output/bench/bystander.json
# ({} for a part never run); $date,
# $kernel, $cpu, $nproc, $vm, $ct describe the run. Adds the ratios of added
# ns per call and the issue-6 and issue-15 targets, each {target, limit,
# measured, met}.

def r3: if . == null then null else (. * 1000 | round / 1000) end;
def ratio(a; b): if a == null or b == null or b == 0 then null else (a / b) | r3 end;
# { "k": f(k) } for every k in the list.
def per(ks; f): [ks[] as $k | {($k): ($k | f)}] | add;

($sys[0].cases // {}) as $s |
($mic[0].cases // {}) as $m |
def tool(c; t): $m[c].tools[t] // {};
["f50ns", "f1us", "f20us"] as $plain |
["a50ns", "a1us", "a20us"] as $annot |
# The streaming target's case: the highest event rate (the nop5 twin).
(if ($m.a50ns.tools.pipetrace_stream.ns_per_call // null) != null then "a50ns" else "f50ns" end) as $sc |
tool($sc; "pipetrace_stream") as $st |

# The ratios: medians of the pairwise ratios micro.json holds (repetition i
# of a tool over repetition i of the other; their spread in ratio_spread).
($mic[0].ratios // {}) as $mr |
def rmed(n; c): $mr[n][c].median // null;
{
  pipetrace_vs_floor: per($plain + $annot; rmed("pipetrace_vs_floor"; .)),
  pipetrace_vs_bpftrace: per($plain; rmed("pipetrace_vs_bpftrace"; .)),
  streaming_vs_latency: per($plain + $annot; rmed("streaming_vs_latency"; .)),
  pipetrace_nop5_vs_bpftrace: per($annot; rmed("pipetrace_nop5_vs_bpftrace"; .)),
  floor_vs_bpftrace: per($plain; rmed("floor_vs_bpftrace"; .)),
  pipetrace_vs_pipetrace_b: per($plain + $annot; rmed("pipetrace_vs_pipetrace_b"; .)),
  ratio_spread: $mr,
  note: "medians of ratios of added ns per call taken pairwise (repetition i of one tool over repetition i of the other; each repetition an in-process A/B against an unprobed twin); ratio_spread: every such ratio with its median, min, max and quartiles. pipetrace_vs_floor: f* against floor (empty uprobe + uretprobe), a* against floor_nop5 (empty uprobes at the nop5 sites). pipetrace_nop5_vs_bpftrace: pipetrace on aXX against bpftrace hist() on fXX (the plain twin). streaming_vs_latency: pipetrace --events over pipetrace. pipetrace_vs_pipetrace_b: over BENCH_MICRO_PT_B. null: a side was not measured"
} as $ratios |

# The largest of r's values for the cases cs (null if any is missing).
def worst(r; cs): [cs[] as $c | r[$c]] | if any(. == null) then null else max end;
# {case: {median, min, max}} of a pairwise ratio.
def spread(n; cs): per(cs; $mr[n][.] // null | if . == null then null else {median, min, max} end);
def target(text; limit; measured; ok):
  {target: text, limit: limit, measured: measured,
   met: (if measured == null or limit == null then false else (measured | ok) end)}
  + (if measured == null or limit == null then {not_measured: "a case this needs was skipped or failed"} else {} end);

($s.sched_pipe.tools.pipetrace.added_ns_per_switch // null) as $sw |
($s.sampling.tools.pipetrace_99hz.cost_pct // null) as $pt99 |
($s.sampling.tools.perf_99hz.cost_pct // null) as $perf99 |
($s.sampling.tools.pipetrace_99hz.steady_cost_pct // null) as $pt99s |
($s.sampling.tools.perf_99hz.steady_cost_pct // null) as $perf99s |
($s.refpipe_threads.tools.pipetrace.throughput_loss_pct // null) as $loss |
(if ($s.pipetrace_self.modes.streaming.cpu_pct_of_core // null) != null then "streaming" else "latency" end) as $sm |
($s.pipetrace_self.modes[$sm] // {}) as $self |
([$s.pipetrace_self.modes[]?.peak_rss_mb // empty] | max) as $rss |
($s.attach_10_stages.attach_ms // null) as $att |
(tool("f1us"; "pipetrace").mean_err_pct // null) as $err |

{
  date: $date,
  machine: {kernel: $kernel, cpu: $cpu, nproc: $nproc, virt: $vm, container: $ct},
  reps: {system: $sys[0].reps, micro: $mic[0].reps, alloc: $alc[0].reps},
  note: "Each case: its repetitions interleaved across tools, median and min. micro cases (f*, a*): ns_per_call per tool, added_ns_per_call = tool - none (see micro_note); other cases: overhead_pct or added ns per event, per tool. Measured, never asserted: targets[].met only compares",
  micro_note: $mic[0].note,
  micro_loops: $mic[0].loops,
  cases: ($m + $s + (if $alc[0] == {} then {} else {alloc: $alc[0]} end)
    + (if $bys[0] == {} then {} else {bystander: $bys[0]} end)),
  ratios: $ratios,
  targets: [
    (target("pipetrace per probed call <= 0.8x bpftrace hist() on plain functions, added ns per call (the worst median of f50ns, f1us, f20us)";
      0.8; worst($ratios.pipetrace_vs_bpftrace; $plain); . <= 0.8)
     + {spread: spread("pipetrace_vs_bpftrace"; $plain)}),
    (target("nop5 sites: pipetrace <= 1.15x the floor on the same sites, added ns per call (the worst median of a50ns, a1us, a20us)";
      1.15; worst($ratios.pipetrace_vs_floor; $annot); . <= 1.15)
     + {spread: spread("pipetrace_vs_floor"; $annot)}),
    target("pipetrace latency mode <= 1.05x the kernel floor (empty uprobe + uretprobe), added ns per call, f1us";
      1.05; $ratios.pipetrace_vs_floor.f1us; . <= 1.05),
    (target("streaming (--events) <= 1.10x latency mode, added ns per call, with 0 lost events at >= 100k events/s (\($sc))";
      1.10; $ratios.streaming_vs_latency[$sc];
      . <= 1.10 and ($st.lost_events_max == 0) and (($st.events_per_s // 0) >= 100000))
     + {lost_events: ($st.lost_events_max // null), events_per_s: ($st.events_per_s // null)}),
    target("nop5 sites: pipetrace on a1us <= 0.45x bpftrace hist() on f1us, added ns per call";
      0.45; $ratios.pipetrace_nop5_vs_bpftrace.a1us; . <= 0.45),
    target("off-CPU tracking <= 1000 ns per context switch (perf bench sched pipe -T)";
      1000; $sw; . <= 1000),
    target("on-CPU sampling at 99 Hz: cost_pct <= perf record -g -F 99's (limit: perf's measured cost_pct)";
      $perf99; $pt99; . <= $perf99),
    target("on-CPU sampling at 99 Hz, steady state (start-up and the work after the target's exit apart): steady_cost_pct <= perf record -g -F 99's";
      $perf99s; $pt99s; . <= $perf99s),
    target("refpipe --threads throughput loss <= 3%"; 3; $loss; . <= 3),
    target("pipetrace <= 1% of a core at 10k events/s (\($sm) mode)";
      1; ($self.cpu_pct_of_core // null); . <= 1) + {events_per_s: ($self.events_per_s // null)},
    target("pipetrace peak RSS <= 30 MB (10^6 bytes)"; 30; $rss; . <= 30),
    target("attach 10 stages <= 200 ms (start to attached, BPF load and calibration included)";
      200; $att; . <= 200),
    target("mean latency error on the 1 us function (f1us) within 10% (absolute value of the error)";
      10; (if $err == null then null else ($err | fabs) end); . <= 10)
  ]
}
