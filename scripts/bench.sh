#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: what pipetrace costs the programs it measures, beside the
# kernel floor and its peers (bpftrace, uftrace, perf). Measures and prints;
# never asserts a speed. Runs every part, then merges them into
# .output/bench/results.json with the ratios and the targets of issue 6
# (scripts/bench-table.sh prints it as a markdown table):
#
#   system  this script: the cases below             -> .output/bench/system.json
#   micro   scripts/bench-micro.sh: per-call cost on -> .output/bench/micro.json
#           ~50 ns / 1 us / 20 us functions, plain and
#           annotated (nop5 sites), vs. the floor, bpftrace, uftrace;
#           streaming (--events)
#   alloc   scripts/bench-alloc.sh: --alloc per      -> .output/bench/alloc.json
#           allocator call
#   detach  scripts/bench-detach.sh: attach and      -> .output/bench/detach.json
#           detach times, 1 to 255 stages, multi-uprobe
#           links vs. a link per probe (not merged)
#   bystander scripts/bench-bystander.sh: what    -> .output/bench/bystander.json
#           tracing refpipe costs untraced programs
#           (dd bs=1, a pipe ping-pong), --syscalls
#           exact and light
#   libcio  scripts/bench-libcio.sh: what --syscalls -> .output/bench/libcio.json
#           light's libc I/O uprobes add per I/O call
#           of the traced program (merged as "libcio")
#   go      scripts/bench-go.sh: per-call cost of Go -> .output/bench/go.json
#           stages (entry and return-instruction uprobes) vs. a C
#           uprobe+uretprobe pair (merged as "go")
#   calib   scripts/bench-calib.sh: accuracy, not    -> .output/bench/calib.json
#           cost: refpipe's calibrated stage means against its
#           --self-report under two CPU hogs, single-threaded and
#           --threads (merged as "calib")
#   nest    scripts/bench-nest.sh: an outer stage     -> .output/bench/nest.json
#           making 1,000 inner stage calls per call,
#           its figures against its untraced time, at
#           rest and with two CPU hogs (merged as "nest")
#
#   BENCH_REPS=N       repetitions of each case, interleaved (default 7;
#                      5 in the alloc part)
#   BENCH_PARTS=LIST   parts to run (default "system micro alloc detach
#                      bystander libcio go calib nest"); a part not run is merged from its
#                      JSON of an earlier run
#   BENCH_SYSTEM=LIST  the system part's cases to run (default "refpipe
#                      sched sampling self attach"); system.json then holds
#                      only those
#
# System cases (each: per repetition, every variant in turn; medians and
# minimums over the repetitions):
#   refpipe_threads,     refpipe --records 400k (--threads or not) alone vs.
#   refpipe_single       under pipetrace (annotated stages): run time by
#                        refpipe's own clock (self-report run_ns, in both),
#                        throughput loss %
#   probe_cost_ns        pipetrace's calibration per probe class (one run)
#   sched_pipe           perf bench sched pipe -T (2 threads ping-pong
#                        through pipes; per round trip 2 context switches, 2
#                        wakeups, 4 syscalls) alone, under pipetrace's
#                        default off-CPU (time split) tracking, and with
#                        --folded-offcpu (a stack at every switch-out; its
#                        default call graph, and --call-graph dwarf), and perf record -e
#                        sched:sched_switch --call-graph dwarf (perf
#                        script's CPU per switch added): added ns per
#                        context switch
#   sampling             on-CPU sampling: `micro f20us N` (CPU-bound, no
#                        stage call in the timed loop: pipetrace -s main)
#                        alone, under pipetrace --folded -F 49/99 and
#                        perf record -g -e cpu-clock -F 49/99, and at 99 Hz
#                        pipetrace --call-graph fp / dwarf and perf record
#                        --call-graph dwarf (+ perf script; dwarf at 49 Hz
#                        too): the timed
#                        loop's slowdown (overhead_pct), plus the tool's own
#                        CPU from the loop's start to its exit (tool_cpu_pct:
#                        perf's writing and post-processing included; per
#                        sample: tool_cpu_per_sample_us); and that CPU
#                        split: before the loop (tool_cpu_start_ms), in
#                        the loop's second half per second of it
#                        (steady_cpu_pct, per sample, steady_cost_pct),
#                        after the loop (tool_cpu_finish_ms)
#   pipetrace_self       pipetrace attached by PID for 5 s to `micro --rate
#                        10000` (10k stage calls = events a second), latency
#                        mode and --events streaming: its CPU, % of a core,
#                        from /proc/PID/task/*/schedstat deltas taken after
#                        attach completed; peak RSS (VmHWM, whole run)
#   attach_10_stages     pipetrace -v -- refpipe with 10 stages (6 annotated
#                        + 4 other functions): start to attached, with and
#                        without calibration, pipetrace's CPU time by then
#                        (the -v line's), and detach
set -euo pipefail
cd "$(dirname "$0")/.."
PT=.output/pipetrace
RP=.output/refpipe
MICRO=.output/bench/micro
reps=${BENCH_REPS:-7}
parts=${BENCH_PARTS:-system micro alloc detach bystander libcio go calib nest}
records=400000
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root to load BPF programs" >&2; exit 1; }
scripts/install-deps.sh --bench
make -s all .output/bench/floor .output/bench/micro .output/bench/micro-pg \
	.output/tests/integration/prog_alloc
mkdir -p bench
tmp=$(mktemp -d /tmp/pt-bench.XXXXXX)
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

has_part() { [[ " $parts " == *" $1 "* ]]; }
# The system part's cases (BENCH_SYSTEM, default all).
syscases=${BENCH_SYSTEM:-refpipe sched sampling self attach}
has_case() { [[ " $syscases " == *" $1 "* ]]; }
now() { date +%s%N; }
# Prints "median min" of the numbers on stdin.
stats() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) {print "null null"; exit} m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; print m, v[1]}'; }
statsf() { if [ -s "$1" ]; then stats <"$1"; else echo "null null"; fi; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
# JSON number or null for a possibly empty value.
jn() { if [ -n "${1:-}" ] && [ "$1" != null ]; then echo "$1"; else echo null; fi; }
# Sets $2 (an object in $tmp/sys.json) to the JSON $1.
put() { jq --arg k "$1" --argjson v "$2" '.[$k] = $v' "$tmp/sys.json" >"$tmp/s.json" && mv "$tmp/s.json" "$tmp/sys.json"; }

system_part() {
	echo '{}' >"$tmp/sys.json"
	local i t json sreps=$((reps < 3 ? reps : 3))

	if has_case refpipe; then # (BENCH_SYSTEM; body not indented)
	# ------------------------------------------------------------- refpipe
	# refpipe's run time alone vs. traced (ns), reps interleaved: by its
	# own clock in both (its self-report's run_ns, stages started to
	# stopped), not the untraced command's wall time against the traced
	# report's duration, which leave out different things (the process's
	# start, the release after attach).
	run_refpipe() { # CASE ARGS...
		local c=$1
		shift
		for ((i = 0; i < reps; i++)); do
			"$RP" "$@" --self-report "$tmp/rp.self.json"
			jq .run_ns "$tmp/rp.self.json" >>"$tmp/$c.none"
			"$PT" -- "$RP" "$@" --self-report "$tmp/rp.self.json" \
				>/dev/null 2>&1
			jq .run_ns "$tmp/rp.self.json" >>"$tmp/$c.pipetrace"
		done
		local pm pn tm tn
		read -r pm pn < <(statsf "$tmp/$c.none")
		read -r tm tn < <(statsf "$tmp/$c.pipetrace")
		json=$(jq -n --argjson r $records --argjson pm "$pm" --argjson pn "$pn" \
			--argjson tm "$tm" --argjson tn "$tn" --arg args "$*" '{
			command: ("refpipe " + $args), records: $r,
			tools: {
			  none: {ns: $pm, min_ns: $pn, records_per_s: ($r / $pm * 1e9 | round)},
			  pipetrace: {ns: $tm, min_ns: $tn, records_per_s: ($r / $tm * 1e9 | round),
			    overhead_pct: (($tm - $pm) / $pm * 10000 | round / 100),
			    throughput_loss_pct: ((1 - $pm / $tm) * 10000 | round / 100)}}}')
		put "$c" "$json"
		printf '%-24s %12s rec/s alone, %12s rec/s traced: throughput loss %s%%\n' "$c" \
			"$(jq .tools.none.records_per_s <<<"$json")" \
			"$(jq .tools.pipetrace.records_per_s <<<"$json")" \
			"$(jq .tools.pipetrace.throughput_loss_pct <<<"$json")"
	}
	echo "bench: refpipe --records $records, $reps interleaved repetitions" >&2
	run_refpipe refpipe_threads --records $records --threads
	run_refpipe refpipe_single --records $records

	# Probe cost per class, from pipetrace's own calibration (its JSON
	# report's calibration_ns; classes not calibrated are 0).
	"$PT" -j "$tmp/cal.json" -- "$RP" --records 1000 >/dev/null 2>&1 || true
	json=$(jq -c '(.calibration_ns // {}) | with_entries(select(.value > 0))' "$tmp/cal.json" 2>/dev/null || echo '{}')
	put probe_cost_ns "$json"
	fi # refpipe

	if has_case sched; then # (BENCH_SYSTEM; body not indented)
	# --------------------------------------------------- context switches
	# perf's pipe ping-pong, with one stage probed that never returns
	# during the run (the off-CPU tracking is what is measured).
	local sp_loops=100000
	sched_us() { "$@" 2>&1 | awk '/usecs\/op/ {print $1}'; }
	if command -v perf >/dev/null 2>&1 && perf bench sched pipe -T -l 1000 >/dev/null 2>&1; then
		echo "bench: perf bench sched pipe -T -l $sp_loops: none, pipetrace, pipetrace --folded-offcpu (fp, dwarf), perf record -e sched:sched_switch --call-graph dwarf + perf script" >&2
		# perf record's us/op, and perf script's CPU ns per op after it
		sp_perf_dwarf() {
			local TIMEFORMAT='%3U %3S' u s
			sched_us perf record -q -e sched:sched_switch --call-graph dwarf -o "$tmp/sw.data" -- \
				perf bench sched pipe -T -l "$1" >>"$tmp/sp.perf_offcpu_dwarf"
			{ time perf script -i "$tmp/sw.data" >/dev/null 2>&1; } 2>"$tmp/sw.time"
			read -r u s <"$tmp/sw.time"
			echo "$(calc '%.3f' "($u + $s) * 1e6 / $1")" >>"$tmp/sp.perf_offcpu_dwarf.script"
		}
		local stage='libc.so.6:__libc_start_main'
		for ((i = 0; i < reps; i++)); do
			sched_us perf bench sched pipe -T -l $sp_loops >>"$tmp/sp.none"
			sched_us "$PT" -s "$stage" -- perf bench sched pipe -T -l $sp_loops >>"$tmp/sp.pipetrace"
			sched_us "$PT" -s "$stage" --folded-offcpu "$tmp/off.folded" -- \
				perf bench sched pipe -T -l $sp_loops >>"$tmp/sp.pipetrace_offcpu_stacks"
			# the same with a dwarf stack per switch-out, unwound as it
			# arrives; perf's: a dwarf stack at every sched_switch of
			# the two threads, unwound and named by perf script after
			sched_us "$PT" -s "$stage" --folded-offcpu "$tmp/off.folded" --call-graph dwarf -- \
				perf bench sched pipe -T -l $sp_loops >>"$tmp/sp.pipetrace_offcpu_dwarf"
			sp_perf_dwarf $sp_loops
		done
		local nm nmin m mn
		read -r nm nmin < <(statsf "$tmp/sp.none")
		json=$(jq -n --argjson m "$nm" --argjson mn "$nmin" --argjson runs "[$(paste -sd, "$tmp/sp.none")]" \
			'{none: {us_per_op: $m, min_us_per_op: $mn, runs: $runs}}')
		for t in pipetrace pipetrace_offcpu_stacks pipetrace_offcpu_dwarf perf_offcpu_dwarf; do
			read -r m mn < <(statsf "$tmp/sp.$t")
			[ "$m" != null ] || continue
			json=$(jq --arg t $t --argjson m "$m" --argjson mn "$mn" --argjson nm "$nm" --argjson nmin "$nmin" \
				--argjson runs "[$(paste -sd, "$tmp/sp.$t")]" \
				'.[$t] = {us_per_op: $m, min_us_per_op: $mn, runs: $runs,
				  added_ns_per_op: (($m - $nm) * 1000 | round),
				  added_ns_per_switch: (($m - $nm) * 500 | round),
				  added_ns_per_switch_of_mins: (($mn - $nmin) * 500 | round)}' <<<"$json")
			printf '%-24s %s us/op alone, %s us/op under %s: %s ns per context switch\n' sched_pipe \
				"$nm" "$m" "$t" "$(jq ".$t.added_ns_per_switch" <<<"$json")"
		done
		# perf's unwinding and naming happen in perf script: its CPU per
		# switch is added to perf's (pipetrace's is in its run already)
		if [ -s "$tmp/sp.perf_offcpu_dwarf.script" ]; then
			read -r m mn < <(statsf "$tmp/sp.perf_offcpu_dwarf.script")
			json=$(jq --argjson s "$m" '.perf_offcpu_dwarf += {script_us_per_op: $s,
				script_ns_per_switch: ($s * 500 | round),
				added_ns_per_switch_with_script: (.perf_offcpu_dwarf.added_ns_per_switch + ($s * 500 | round))}' <<<"$json")
			printf '%-24s perf script after perf record: %s ns per context switch more\n' sched_pipe \
				"$(jq .perf_offcpu_dwarf.script_ns_per_switch <<<"$json")"
		fi
		put sched_pipe "$(jq -n --argjson l $sp_loops --argjson tools "$json" \
			'{command: "perf bench sched pipe -T -l \($l)", switches_per_op: 2, tools: $tools}')"
	else
		echo "bench: perf bench unavailable (scripts/install-deps.sh --bench installs linux-perf): sched_pipe skipped" >&2
		put sched_pipe '{"skipped": "perf bench sched pipe unavailable (linux-perf)"}'
	fi
	fi # sched

	if has_case sampling; then # (BENCH_SYSTEM; body not indented)
	# ---------------------------------------------------- on-CPU sampling
	local sn=75000 tools=(none pipetrace_49hz pipetrace_99hz pipetrace_fp_99hz pipetrace_dwarf_49hz pipetrace_dwarf_99hz)
	local perf_ok=
	if command -v perf >/dev/null 2>&1 &&
		perf record -q -g -e cpu-clock -F 99 -o "$tmp/perf.data" -- true >/dev/null 2>&1; then
		perf_ok=1
		tools+=(perf_49hz perf_99hz perf_dwarf_49hz perf_dwarf_99hz)
	fi
	# Runs tool $1 on `micro f20us $2`; prints "ns_per_call samples
	# tool_loop_ns tool_after_ns tool_start_ns tool_half_ns half_ns": the
	# tool's CPU during micro's timed loop (micro reads its parent's
	# schedstat), and from the loop's start to the tool's exit (its
	# user+sys with children, less micro's cpu_ns and the tool's CPU
	# before the loop): sampling, writing, report, exit; its CPU before
	# the loop (start-up: BPF load, calibration, attach; perf's set-up);
	# and its CPU in the loop's second half, with that half's wall time
	# (the steady state: the start's after-effects, such as opening the
	# target's symbols, are in the first half).
	sample_run() {
		local t=$1 n=$2 cmd hz=${1##*_}
		hz=${hz%hz}
		case $t in
		none) cmd=("$MICRO" f20us "$n") ;;
		pipetrace_fp_*) cmd=("$PT" -s main --folded "$tmp/on.folded" --call-graph fp -F "$hz" -- "$MICRO" f20us "$n") ;;
		pipetrace_dwarf_*) cmd=("$PT" -s main --folded "$tmp/on.folded" --call-graph dwarf -F "$hz" -- "$MICRO" f20us "$n") ;;
		pipetrace_*) cmd=("$PT" -s main --folded "$tmp/on.folded" -F "$hz" -- "$MICRO" f20us "$n") ;;
		perf_dwarf_*) cmd=(perf record --call-graph dwarf -e cpu-clock -F "$hz" -o "$tmp/perf.data" -- "$MICRO" f20us "$n") ;;
		perf_*) cmd=(perf record -g -e cpu-clock -F "$hz" -o "$tmp/perf.data" -- "$MICRO" f20us "$n") ;;
		esac
		local TIMEFORMAT='%3U %3S'
		{ time MICRO_PARENT_CPU=1 "${cmd[@]}" >"$tmp/smp.log" 2>&1; } 2>"$tmp/smp.time"
		local ns cpu pstart ploop phalf half u s samples
		ns=$(sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p' "$tmp/smp.log")
		cpu=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$tmp/smp.log")
		pstart=$(sed -n 's/.*parent_cpu_start_ns=\([0-9]*\).*/\1/p' "$tmp/smp.log")
		ploop=$(sed -n 's/.*parent_cpu_loop_ns=\([0-9]*\).*/\1/p' "$tmp/smp.log")
		phalf=$(sed -n 's/.*parent_cpu_half_ns=\([0-9]*\).*/\1/p' "$tmp/smp.log")
		half=$(sed -n 's/.*half_ns=\([0-9]*\).*/\1/p' "$tmp/smp.log")
		read -r u s <"$tmp/smp.time"
		samples=$(sed -n -e 's/.*wrote \([0-9]*\) on-CPU samples.*/\1/p' \
			-e 's/.*perf.data (\([0-9]*\) samples).*/\1/p' "$tmp/smp.log")
		[ -n "$ns" ] || { echo "bench: sampling $t failed: $(head -c 200 "$tmp/smp.log")" >&2; return 0; }
		# perf's dwarf samples are unwound by perf script (pipetrace
		# unwinds while it traces): its CPU counts too.
		local su=0 ss=0
		if [[ $t == perf_dwarf_* ]]; then
			{ time perf script -i "$tmp/perf.data" >/dev/null 2>&1; } 2>"$tmp/ps.time"
			read -r su ss <"$tmp/ps.time"
		fi
		echo "$ns ${samples:-null} $ploop $(calc '%.0f' "($u + $s + $su + $ss) * 1e9 - $cpu - $pstart") $pstart $phalf $half"
	}
	echo "bench: on-CPU sampling, micro f20us $sn: ${tools[*]}" >&2
	for ((i = 0; i < reps; i++)); do
		for t in "${tools[@]}"; do
			sample_run "$t" $sn >>"$tmp/smp.$t"
		done
	done
	local nm nmin
	read -r nm nmin < <(awk '{print $1}' "$tmp/smp.none" | stats)
	json=$(jq -n --argjson m "$nm" --argjson mn "$nmin" --argjson runs "[$(awk '{print $1}' "$tmp/smp.none" | paste -sd,)]" \
		'{none: {ns_per_call: $m, min_ns_per_call: $mn, runs: $runs}}')
	for t in "${tools[@]}"; do
		[ "$t" != none ] || continue
		local m mn smp loop after start steady steady_min finish
		read -r m mn < <(awk '{print $1}' "$tmp/smp.$t" | stats)
		read -r smp _ < <(awk '$2 != "null" {print $2}' "$tmp/smp.$t" | stats)
		read -r loop _ < <(awk '{print $3}' "$tmp/smp.$t" | stats)
		read -r after _ < <(awk '{print $4}' "$tmp/smp.$t" | stats)
		read -r start _ < <(awk '{print $5}' "$tmp/smp.$t" | stats)
		# per run: the loop's second half, tool CPU per ns of wall;
		# after the loop: all after its start less the loop's
		read -r steady steady_min < <(awk '$7 > 0 {print $6 / $7}' "$tmp/smp.$t" | stats)
		read -r finish _ < <(awk '{print $4 - $3}' "$tmp/smp.$t" | stats)
		json=$(jq --arg t "$t" --argjson m "$m" --argjson mn "$mn" --argjson nm "$nm" --argjson nmin "$nmin" \
			--argjson smp "$smp" --argjson loop "$loop" --argjson after "$after" --argjson n $sn \
			--argjson start "$(jn "$start")" --argjson steady "$(jn "$steady")" \
			--argjson steady_min "$(jn "$steady_min")" --argjson finish "$(jn "$finish")" \
			--argjson runs "[$(awk '{print $1}' "$tmp/smp.$t" | paste -sd,)]" \
			--argjson raw "[$(awk '{printf "%s[%s,%s,%s,%s,%s,%s,%s]", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, $6, $7}' "$tmp/smp.$t")]" '
			($nm * $n) as $base |
			(($m - $nm) / $nm * 100) as $ov |
			($after / $base * 100) as $tc |
			(if $smp == null or $smp == 0 then null else $smp / ($m * $n / 1e9) end) as $rate |
			.[$t] = {ns_per_call: $m, min_ns_per_call: $mn, runs: $runs,
			  overhead_pct: ($ov * 100 | round / 100),
			  overhead_pct_of_mins: (($mn - $nmin) / $nmin * 10000 | round / 100),
			  tool_cpu_loop_ms: ($loop / 1e4 | round / 100),
			  tool_cpu_after_start_ms: ($after / 1e4 | round / 100),
			  tool_cpu_pct: ($tc * 100 | round / 100),
			  cost_pct: (($ov + $tc) * 100 | round / 100),
			  samples: $smp,
			  tool_cpu_per_sample_us: (if $smp == null or $smp == 0 then null else ($after / $smp / 10 | round / 100) end),
			  samples_per_s: (if $smp == null then null else ($smp / ($m * $n / 1e9) | round) end),
			  tool_cpu_start_ms: (if $start == null then null else ($start / 1e4 | round / 100) end),
			  steady_cpu_pct: (if $steady == null then null else ($steady * 10000 | round / 100) end),
			  steady_cost_pct: (if $steady == null then null else (($ov + $steady * 100) * 100 | round / 100) end),
			  steady_cpu_per_sample_us: (if $steady == null or $rate == null then null else ($steady * 1e9 / $rate / 1e3 * 100 | round / 100) end),
			  tool_cpu_finish_ms: (if $finish == null then null else ($finish / 1e4 | round / 100) end),
			  raw_runs: $raw}' <<<"$json")
		printf '%-24s %-15s overhead %s%%, own CPU %s ms in the loop, %s%% of it from the loop to exit, cost %s%%, %s samples/s; start-up %s ms, steady %s%% of a core (%s us per sample, cost %s%%), after the loop %s ms\n' \
			sampling "$t" "$(jq ".$t.overhead_pct" <<<"$json")" "$(jq ".$t.tool_cpu_loop_ms" <<<"$json")" \
			"$(jq ".$t.tool_cpu_pct" <<<"$json")" "$(jq ".$t.cost_pct" <<<"$json")" "$(jq ".$t.samples_per_s" <<<"$json")" \
			"$(jq ".$t.tool_cpu_start_ms" <<<"$json")" "$(jq ".$t.steady_cpu_pct" <<<"$json")" \
			"$(jq ".$t.steady_cpu_per_sample_us" <<<"$json")" "$(jq ".$t.steady_cost_pct" <<<"$json")" \
			"$(jq ".$t.tool_cpu_finish_ms" <<<"$json")"
	done
	[ -n "$perf_ok" ] || json=$(jq '. + {perf_49hz: {skipped: "perf record unavailable (linux-perf)"}, perf_99hz: {skipped: "perf record unavailable (linux-perf)"}}' <<<"$json")
	put sampling "$(jq -n --argjson n $sn --argjson tools "$json" '{
		command: "micro f20us \($n)",
		note: "pipetrace -s main --folded F -F HZ (its default call graph: dwarf where libc lacks frame pointers; _fp_/_dwarf_: --call-graph fp/dwarf, 8 KiB of stack and 288 bytes of registers and uretprobe slots copied per sample, unwound while tracing); perf record -g -e cpu-clock -F HZ -o F (its writing and build-id pass included); perf_dwarf: perf record --call-graph dwarf (8 KiB per sample), perf script'\''s CPU added (its unwinding). tool_cpu_per_sample_us: tool_cpu_after_start over samples. overhead_pct: slowdown of micro'\''s timed loop; tool_cpu_loop_ms: the tool'\''s CPU during that loop (its schedstat, read by micro); tool_cpu_pct: the tool'\''s CPU from the loop'\''s start to its exit (user+sys with children, less micro'\''s own and the tool'\''s before the loop: sampling, writing, report, detach) over the untraced loop time; cost_pct: overhead_pct + tool_cpu_pct; samples_per_s: samples written / the timed loop'\''s time. The same CPU in three parts: tool_cpu_start_ms: before the loop (start-up: BPF load, calibration, attach; perf'\''s set-up); steady_cpu_pct: the tool'\''s CPU in the loop'\''s second half over that half'\''s wall time (median of the runs'\''; the start'\''s after-effects, such as opening the target'\''s symbols, are in the first half), steady_cpu_per_sample_us: that over samples_per_s, steady_cost_pct: overhead_pct + steady_cpu_pct; tool_cpu_finish_ms: after the loop (report, naming, writing, detach; perf script for perf_dwarf). raw_runs: per run [ns_per_call, samples, loop_ns, after_start_ns, start_ns, half_cpu_ns, half_ns]",
		tools: $tools}')"
	fi # sampling

	if has_case self; then # (BENCH_SYSTEM; body not indented)
	# ---------------------------------------------- pipetrace's own cost
	# CPU time of all of PID's threads, ns (schedstat: run time in ns).
	cpu_ns_of() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
	# dur well past settle + win: a busy host delays the start, and a
	# window reaching pipetrace's detach reads its exiting threads'
	# schedstat away (a negative figure, seen at dur=5 under load)
	local rate=10000 dur=8 settle=0.5 win=4 modes=(latency)
	# Not `pipetrace --help | grep -q` (pipefail: SIGPIPE at random).
	grep -q -- --events <<<"$("$PT" --help 2>&1 || true)" && modes+=(streaming)
	self_run() { # MODE: one run; prints "cpu_pct rss_kib events_per_s"
		local extra=() mpid ppid k c0 c1 t0 t1 hwm
		[ "$1" = latency ] || extra=(--events "$tmp/self.ev")
		"$MICRO" --rate $rate $((dur + 5)) f1us >/dev/null &
		mpid=$!
		bg_pids+=("$mpid")
		"$PT" -v -s f1us -p "$mpid" -d $dur "${extra[@]}" --json "$tmp/self.json" \
			>/dev/null 2>"$tmp/self.err" &
		ppid=$!
		for ((k = 0; k < 200; k++)); do
			grep -q 'start: attached at' "$tmp/self.err" && break
			sleep 0.05
		done
		sleep $settle # what it still sets up after attaching
		c0=$(cpu_ns_of $ppid) t0=$(now)
		sleep $win
		c1=$(cpu_ns_of $ppid) t1=$(now)
		# Its peak RSS: the last VmHWM before it exits (a zombie has none).
		hwm=
		while h=$(awk '/^VmHWM:/ {print $2}' /proc/$ppid/status 2>/dev/null) && [ -n "$h" ]; do
			hwm=$h
			sleep 0.02
		done
		wait $ppid || true
		kill $mpid 2>/dev/null || true
		wait $mpid 2>/dev/null || true
		rm -f "$tmp/self.ev"
		echo "$(calc '%.3f' "($c1 - $c0) / ($t1 - $t0) * 100") ${hwm:-null} $(jq '(.duration_ns / 1e9) as $d | [.stages[].calls] | add / $d | round' "$tmp/self.json" 2>/dev/null || echo null)"
	}
	echo "bench: pipetrace itself at $rate events/s for $dur s (${modes[*]})" >&2
	for ((i = 0; i < sreps; i++)); do
		for t in "${modes[@]}"; do
			self_run "$t" >>"$tmp/self.$t"
		done
	done
	json='{}'
	for t in latency streaming; do
		if [ ! -s "$tmp/self.$t" ]; then
			json=$(jq --arg t $t '.[$t] = {skipped: "this pipetrace has no --events option yet"}' <<<"$json")
			continue
		fi
		local cm cmin rss evs
		read -r cm cmin < <(awk '{print $1}' "$tmp/self.$t" | stats)
		read -r _ rss < <(awk '{print -$2}' "$tmp/self.$t" | stats) # max
		read -r evs _ < <(awk '{print $3}' "$tmp/self.$t" | stats)
		json=$(jq --arg t $t --argjson cm "$cm" --argjson cmin "$cmin" --argjson rss "$rss" --argjson evs "$evs" \
			--argjson runs "[$(awk '{print $1}' "$tmp/self.$t" | paste -sd,)]" \
			'.[$t] = {cpu_pct_of_core: $cm, min_cpu_pct_of_core: $cmin, runs: $runs, peak_rss_kib: (-$rss),
			  peak_rss_mb: (-$rss * 1024 / 1e6 * 10 | round / 10), events_per_s: $evs}' <<<"$json")
		printf '%-24s %-15s %s%% of a core at %s events/s, peak RSS %s KiB\n' pipetrace_self "$t" \
			"$cm" "$evs" "$((-rss))"
	done
	put pipetrace_self "$(jq -n --argjson r $rate --argjson d $dur --argjson w $win --argjson s $settle --argjson tools "$json" '{
		command: "pipetrace -v -s f1us -p PID -d \($d) [--events F], PID: micro --rate \($r) f1us",
		method: "CPU: sum of /proc/PID/task/*/schedstat run time over \($w) s, from \($s) s after -v printed start: attached (start-up excluded); RSS: VmHWM just before it exits (max over runs); events_per_s: stage calls / duration_ns of its report",
		modes: $tools}')"
	fi # self

	if has_case attach; then # (BENCH_SYSTEM; body not indented)
	# ------------------------------------------------ attach, 10 stages
	local names=(stage_ingest stage_parse stage_filter stage_normalize stage_features stage_sink
		batch_new pwrite_all rp_should_stop rp_inject) st=() n
	for n in "${names[@]}"; do st+=(-s "$n"); done
	echo "bench: attach time, 10 stages (${names[*]})" >&2
	for ((i = 0; i < sreps; i++)); do
		for t in calibrated no_calibrate; do
			local extra=()
			[ $t = calibrated ] || extra=(--no-calibrate)
			"$PT" -v "${st[@]}" "${extra[@]}" -- "$RP" --records 1000 >/dev/null 2>"$tmp/att.err" || true
			sed -n 's/.*start: attached at \([0-9.]*\) ms.*/\1/p' "$tmp/att.err" >>"$tmp/att.$t"
			# pipetrace's CPU up to attached (all its threads): what of
			# the wall time was its work, not a busy host's queue
			sed -n 's/.*start: attached at [0-9.]* ms (CPU \([0-9.]*\) ms).*/\1/p' "$tmp/att.err" >>"$tmp/attcpu.$t"
			sed -n 's/.*end: detached in \([0-9.]*\) ms.*/\1/p' "$tmp/att.err" >>"$tmp/det.$t"
		done
	done
	local am amin anm dm cm cmin cmax cnm
	read -r am amin < <(statsf "$tmp/att.calibrated")
	read -r anm _ < <(statsf "$tmp/att.no_calibrate")
	read -r dm _ < <(statsf "$tmp/det.calibrated")
	read -r cm cmin < <(statsf "$tmp/attcpu.calibrated")
	read -r _ cmax < <(if [ -s "$tmp/attcpu.calibrated" ]; then awk '{print -$1}' "$tmp/attcpu.calibrated" | stats; else echo "null null"; fi)
	[ "$cmax" = null ] || cmax=$(calc '%.1f' "-1 * $cmax")
	read -r cnm _ < <(statsf "$tmp/attcpu.no_calibrate")
	put attach_10_stages "$(jq -n --argjson am "$am" --argjson amin "$amin" --argjson anm "$anm" --argjson dm "$dm" \
		--argjson cm "$(jn "$cm")" --argjson cmin "$(jn "$cmin")" --argjson cmax "$(jn "$cmax")" \
		--argjson cnm "$(jn "$cnm")" --argjson runs "[$(paste -sd, "$tmp/att.calibrated")]" \
		--argjson cruns "[$(paste -sd, "$tmp/attcpu.calibrated" 2>/dev/null)]" \
		--arg st "${names[*]}" '{stages: ($st | split(" ")),
		command: "pipetrace -v -s ... -- refpipe --records 1000",
		attach_ms: $am, min_attach_ms: $amin, attach_ms_no_calibrate: $anm, detach_ms: $dm, runs: $runs,
		attach_cpu_ms: $cm, min_attach_cpu_ms: $cmin, max_attach_cpu_ms: $cmax,
		attach_cpu_ms_no_calibrate: $cnm, cpu_runs: $cruns,
		note: "attach_ms: start to attached (-v), BPF load and calibration included; attach_cpu_ms: pipetrace'\''s CPU time (all threads, process start included) at attached, from the same -v line: less sensitive to a busy host than the wall time"}')"
	printf '%-24s start to attached %s ms (%s ms with --no-calibrate; CPU %s ms, %s-%s), detach %s ms\n' attach_10_stages \
		"$am" "$anm" "$cm" "$cmin" "$cmax" "$dm"
	fi # attach

	jq -n --argjson reps "$reps" --slurpfile c "$tmp/sys.json" '{reps: $reps, cases: $c[0]}' >.output/bench/system.json
	echo "bench: wrote .output/bench/system.json" >&2
}

# micro's loop counts, one calibration for every part that runs it.
MICRO_LOOPS=$(scripts/bench-micro.sh --calibrate)
export MICRO_LOOPS
echo "bench: micro loop counts (50ns,1us,20us) $MICRO_LOOPS" >&2

if has_part system; then system_part; fi
if has_part micro; then scripts/bench-micro.sh || echo "bench: micro part failed" >&2; fi
if has_part alloc; then scripts/bench-alloc.sh || echo "bench: alloc part failed" >&2; fi
if has_part detach; then scripts/bench-detach.sh || echo "bench: detach part failed" >&2; fi
if has_part bystander; then scripts/bench-bystander.sh || echo "bench: bystander part failed" >&2; fi
if has_part libcio; then scripts/bench-libcio.sh || echo "bench: libcio part failed" >&2; fi
if has_part go; then scripts/bench-go.sh || echo "bench: go part failed" >&2; fi
if has_part calib; then scripts/bench-calib.sh || echo "bench: calib part failed" >&2; fi
if has_part nest; then scripts/bench-nest.sh || echo "bench: nest part failed" >&2; fi

# ------------------------------------------------------------------ merge
virt_vm=$(systemd-detect-virt --vm 2>/dev/null || true)
virt_ct=$(systemd-detect-virt --container 2>/dev/null || true)
for p in system micro alloc bystander; do
	[ -s .output/bench/$p.json ] || echo '{}' >"$tmp/$p.json"
	[ ! -s .output/bench/$p.json ] || cp .output/bench/$p.json "$tmp/$p.json"
done
jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
	--arg cpu "$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)" \
	--argjson nproc "$(nproc)" --arg vm "${virt_vm:-unknown}" --arg ct "${virt_ct:-unknown}" \
	--slurpfile sys "$tmp/system.json" --slurpfile mic "$tmp/micro.json" --slurpfile alc "$tmp/alloc.json" \
	--slurpfile bys "$tmp/bystander.json" -f scripts/bench-merge.jq >.output/bench/results.json
if [ -s .output/bench/libcio.json ]; then
	jq --slurpfile l .output/bench/libcio.json '.cases.libcio = $l[0]' .output/bench/results.json >"$tmp/results.json"
	mv "$tmp/results.json" .output/bench/results.json
fi
# Parts that keep their own JSON, each merged under its name.
for p in go calib nest; do
	[ -s .output/bench/$p.json ] || continue
	jq --arg k "$p" --slurpfile v .output/bench/$p.json '. + {($k): $v[0]}' \
		.output/bench/results.json >"$tmp/results.json"
	mv "$tmp/results.json" .output/bench/results.json
done
echo "bench: wrote .output/bench/results.json" >&2
