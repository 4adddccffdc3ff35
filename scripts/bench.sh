#!/usr/bin/env bash
# make bench: what pipetrace costs the pipeline it measures. Nothing here
# asserts a speed; it measures and prints, and writes bench/results.json.
#
#   BENCH_REPS=N   repetitions of each case, interleaved (default 7)
#
# Cases (refpipe, 400k records):
#   threaded / single-thread   refpipe alone vs. under pipetrace (annotated
#                              stages): wall time (traced: the report's
#                              duration_ns), records/s, overhead %
#   probe cost                 pipetrace's calibration per probe class, ns
#   context switches           perf bench sched pipe -T (2 threads ping-pong
#                              through pipes: per round trip 2 switches, 2
#                              wakeups, 4 syscalls) alone vs. under
#                              pipetrace's scheduler/syscall tracking
#   pipetrace itself           CPU time and peak RSS attached by PID to a
#                              threaded refpipe; attach time for its stages
set -euo pipefail
cd "$(dirname "$0")/.."
PT=.output/pipetrace
RP=.output/refpipe
reps=${BENCH_REPS:-7}
records=400000
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root to load BPF programs" >&2; exit 1; }
scripts/install-deps.sh --bench
mkdir -p bench

now() { date +%s%N; }

# Prints "median min" of the numbers on stdin.
stats() { sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; print m, v[1]}'; }

# Runs one case `reps` times interleaved: refpipe alone, then traced.
# Sets plain_med plain_min traced_med traced_min (ns).
# The traced run's time is the report's duration_ns: from the command's
# release (probes attached) to its exit, so that pipetrace's own start-up
# and detach are not charged to the pipeline (they are measured below).
run_case() {
	local plain=() traced=() t0 i json=/tmp/pt-bench-$$.json
	for ((i = 0; i < reps; i++)); do
		t0=$(now); "$RP" "$@"; plain+=($(($(now) - t0)))
		"$PT" --json "$json" -- "$RP" "$@" >/dev/null 2>&1
		traced+=($(sed -n 's/^ *"duration_ns": *\([0-9]*\).*/\1/p' "$json" | head -n1))
	done
	rm -f "$json"
	read -r plain_med plain_min < <(printf '%s\n' "${plain[@]}" | stats)
	read -r traced_med traced_min < <(printf '%s\n' "${traced[@]}" | stats)
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b - a) / a * 100}'; }
rate() { awk -v n="$records" -v t="$1" 'BEGIN {printf "%.0f", n / (t / 1e9)}'; }

echo "bench: $reps interleaved repetitions per case, refpipe --records $records" >&2
run_case --records $records --threads
thr=("$plain_med" "$plain_min" "$traced_med" "$traced_min")
run_case --records $records
one=("$plain_med" "$plain_min" "$traced_med" "$traced_min")

# Context-switch tracking: perf's pipe ping-pong, with one stage probed
# that never returns during the run (the tracking is what is measured).
sched_us() { "$@" 2>&1 | awk '/usecs\/op/ {print $1}'; }
sp_plain=() sp_traced=()
if command -v perf >/dev/null 2>&1 && perf bench sched pipe -T -l 1000 >/dev/null 2>&1; then
	for ((i = 0; i < reps; i++)); do
		sp_plain+=($(sched_us perf bench sched pipe -T -l 100000))
		sp_traced+=($(sched_us "$PT" -s 'libc.so.6:__libc_start_main' -- perf bench sched pipe -T -l 100000))
	done
	read -r sp_plain_med _ < <(printf '%s\n' "${sp_plain[@]}" | stats)
	read -r sp_traced_med _ < <(printf '%s\n' "${sp_traced[@]}" | stats)
	sp_added=$(awk -v a="$sp_plain_med" -v b="$sp_traced_med" 'BEGIN {printf "%.0f", (b - a) * 1000}')
	sp_per_switch=$(awk -v d="$sp_added" 'BEGIN {printf "%.0f", d / 2}')
	sp_json="{\"plain_us_per_op\": $sp_plain_med, \"traced_us_per_op\": $sp_traced_med, \"added_ns_per_op\": $sp_added, \"added_ns_per_switch\": $sp_per_switch}"
else
	echo "bench: perf bench unavailable (scripts/install-deps.sh --bench installs linux-perf): context-switch case skipped" >&2
	sp_json="null"
fi

# Probe cost per class, from pipetrace's own calibration (-v).
cal=$("$PT" -v -- "$RP" --records 1000 2>&1 >/dev/null | sed -n 's/.*calibration: pt_calib_\([a-z]*\): median probe latency \([0-9]*\) ns/\1 \2/p')
cal_json=$(printf '%s\n' "$cal" | awk 'NF==2 {printf "%s\"%s\": %s", sep, $1, $2; sep=", "}')

# pipetrace's own CPU, RSS, attach and detach time, attached by PID for 3 s
# to a threaded refpipe (its -v timings: start to attached, detach).
"$RP" --records 40000000 --threads &
target=$!
sleep 0.2
/usr/bin/time -f '%U %S %M %e' -o /tmp/pt-bench-time.$$ "$PT" -v -p "$target" -d 3 \
	>/dev/null 2>/tmp/pt-bench-err.$$ || true
kill "$target" 2>/dev/null || true
wait "$target" 2>/dev/null || true
attach_ms=$(sed -n 's/.*start: attached at \([0-9.]*\) ms.*/\1/p' /tmp/pt-bench-err.$$)
detach_ms=$(sed -n 's/.*end: detached in \([0-9.]*\) ms.*/\1/p' /tmp/pt-bench-err.$$)
read -r ut st rss_kb el < /tmp/pt-bench-time.$$
rm -f /tmp/pt-bench-time.$$ /tmp/pt-bench-err.$$
cpu_pct=$(awk -v u="$ut" -v s="$st" -v e="$el" 'BEGIN {printf "%.2f", (u + s) / e * 100}')

printf '\n%-34s %12s %12s %10s\n' "case (median of $reps)" "untraced" "traced" "overhead"
printf '%-34s %10s/s %10s/s %9s%%\n' "refpipe --threads, records" "$(rate "${thr[0]}")" "$(rate "${thr[2]}")" "$(pct "${thr[0]}" "${thr[2]}")"
printf '%-34s %10s/s %10s/s %9s%%\n' "refpipe single thread, records" "$(rate "${one[0]}")" "$(rate "${one[2]}")" "$(pct "${one[0]}" "${one[2]}")"
printf '%-34s %s\n' "probe cost per call (ns)" "$(printf '%s ' $cal)"
if [ "$sp_json" != null ]; then
	printf '%-34s %8s us %8s us %+6s ns/op, %s ns per context switch\n' "sched pipe round trip" "$sp_plain_med" "$sp_traced_med" "$sp_added" "$sp_per_switch"
fi
printf '%-34s %s ms (BPF load, calibration, 6 stages)\n' "pipetrace start to attached" "${attach_ms:-?}"
printf '%-34s %s ms\n' "detach (after the report)" "${detach_ms:-?}"
printf '%-34s %s%% of a core over its whole run, peak RSS %s KiB\n' "pipetrace itself, 3 s attached" "$cpu_pct" "$rss_kb"

cat > bench/results.json <<JSON
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": "$(uname -r), $(nproc) CPUs",
  "reps": $reps,
  "cases": {
    "refpipe_threads": {"records": $records, "untraced_ns": {"median": ${thr[0]}, "min": ${thr[1]}}, "traced_ns": {"median": ${thr[2]}, "min": ${thr[3]}}, "overhead_pct": $(pct "${thr[0]}" "${thr[2]}")},
    "refpipe_single": {"records": $records, "untraced_ns": {"median": ${one[0]}, "min": ${one[1]}}, "traced_ns": {"median": ${one[2]}, "min": ${one[3]}}, "overhead_pct": $(pct "${one[0]}" "${one[2]}")},
    "probe_cost_ns": {${cal_json}},
    "sched_pipe": ${sp_json},
    "pipetrace_self": {"attach_ms": ${attach_ms:-null}, "detach_ms": ${detach_ms:-null}, "cpu_pct_of_core": $cpu_pct, "peak_rss_kib": $rss_kb}
  }
}
JSON
echo "bench: wrote bench/results.json" >&2
scripts/bench-micro.sh || echo "bench: micro case failed" >&2
