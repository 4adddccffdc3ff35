#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What pipetrace's scheduler programs cost per context switch and wakeup of
# a task it does not trace (issue 15), beside the kernel's floor. Variants,
# run in turn in each round, each while an untraced `perf bench sched pipe
# -l N` runs under floor -T (BPF_ENABLE_STATS: the kernel times every BPF
# program, run_time_ns / run_cnt, its own two clock reads included):
#   empty   floor -S: empty tp_btf/sched_switch and sched_wakeup programs
#   filter  floor -S -F: the same comparing the tasks' tgids with one that
#           never matches (what any tracer of one process must read)
#   new     this build's pipetrace sched_switch and sched_wakeup
#   base    PT_BASE's (with PT_BASE set)
# Nearly every switch and wakeup counted is of untraced tasks.
#
# Each pipetrace traces its own refpipe (mostly asleep), attached by PID:
#   light   --syscalls light -p PID           (one process: a tgid compare)
#   procs   --syscalls light -p PID --children (several processes: the
#           procs map's filter, then a hash lookup)
# (procs: the pipetrace builds only). BENCH_REPS rounds (default 5); prints
# per program the median ns per run with its minimum and maximum; writes
# .output/bench/switch.json. Measures; asserts nothing.
#
#   BENCH_REPS=N          rounds (default 5)
#   BENCH_PIPE_LOOPS=N    round trips of perf bench sched pipe (default 50000)
#   PT_BASE=PATH          a second pipetrace build to compare with
#   PT=PATH               this build's pipetrace (default .output/pipetrace)
set -euo pipefail
cd "$(dirname "$0")/.."
PT=${PT:-$PWD/.output/pipetrace}
RP=$PWD/.output/refpipe
FLOOR=$PWD/.output/bench/floor
OUT=$PWD/.output/bench
reps=${BENCH_REPS:-5}
loops=${BENCH_PIPE_LOOPS:-50000}

[ "$(id -u)" -eq 0 ] || { echo "bench-switch: needs root to load BPF programs" >&2; exit 1; }
for c in perf bpftool jq; do
	command -v $c >/dev/null || { echo "bench-switch: needs $c" >&2; exit 1; }
done
make -s .output/pipetrace .output/refpipe .output/bench/floor
mkdir -p "$OUT"
tmp=$(mktemp -d /tmp/pt-bench-switch.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

builds=(new)
bins=("$PT")
if [ -n "${PT_BASE:-}" ]; then
	builds+=(base)
	bins+=("$PT_BASE")
fi

# The BPF program ids process $1 holds, comma-separated.
prog_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null || true
	done | sort -un | paste -sd,
}

# Starts refpipe and pipetrace build $1 (binary $2) in mode $3; returns
# once it traces, with its PID in $tmp/pt.$1.
start() {
	local rp pt extra=
	"$RP" --records 2000000000 --batch 10 --sleep ingest=2000 >/dev/null 2>&1 &
	rp=$!
	pids+=("$rp")
	[ "$3" = procs ] && extra=--children
	"$2" --syscalls light -p "$rp" $extra -j "$tmp/pt-$1.json" 2>"$tmp/err.$1" &
	pt=$!
	pids=("$pt" "${pids[@]}")
	for _ in $(seq 600); do
		grep -q tracing "$tmp/err.$1" && { echo "$pt" >"$tmp/pt.$1"; return 0; }
		kill -0 "$pt" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-switch: $2 did not attach:" >&2
	cat "$tmp/err.$1" >&2
	exit 1
}

stop_all() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}

# Appends "variant prog ns_per_run run_cnt" lines of one run of variant $1
# (empty, filter: floor alone; else a pipetrace build) in mode $2.
run() {
	local i ids fl=
	[ "$1" = filter ] && fl=-F
	for i in "${!builds[@]}"; do
		[ "${builds[$i]}" = "$1" ] && start "$1" "${bins[$i]}" "$2"
	done
	# The floor's programs and the statistics, then the bench; bpftool
	# reads the counters before floor (the CMD's parent) detaches.
	"$FLOOR" -S $fl -T -- sh -c 'prog_ids() { for f in /proc/$1/fdinfo/*; do awk "/^prog_id:/ {print \$2}" $f 2>/dev/null; done | sort -un | paste -sd,; }
		perf bench sched pipe -l "$1" >/dev/null
		echo "$(prog_ids $PPID)" >"$2/ids.floor"
		bpftool -j prog show >"$2/progs.json"' sh "$loops" "$tmp"
	if [ -f "$tmp/pt.$1" ]; then
		ids=$(prog_ids "$(cat "$tmp/pt.$1")")
		rm -f "$tmp/pt.$1"
	else
		ids=$(cat "$tmp/ids.floor")
	fi
	jq -r --arg v "$1" --argjson ids "[$ids]" '.[] | select(.id as $i | any($ids[]; . == $i))
		| select(.name | test("^(sched_switch|sched_wakeup|floor_switch|floor_wakeup)$"))
		| select((.run_cnt // 0) > 0)
		| "\($v) \(.name | sub("^floor_"; "sched_")) \(.run_time_ns / .run_cnt) \(.run_cnt)"' "$tmp/progs.json" >>"$tmp/runs.$2"
	stop_all
}

variants=(empty filter "${builds[@]}")
echo "bench-switch: $reps interleaved rounds of perf bench sched pipe -l $loops under: ${variants[*]}" >&2
for mode in light procs; do
	for ((r = 0; r < reps; r++)); do
		for v in "${variants[@]}"; do
			[ "$mode" = procs ] && [ "$v" = empty -o "$v" = filter ] && continue
			run "$v" "$mode"
		done
		echo "bench-switch: $mode round $((r + 1))/$reps done" >&2
	done
done

json='[]'
for mode in light procs; do
	for b in "${variants[@]}"; do
		for p in sched_switch sched_wakeup; do
			vals=$(awk -v b="$b" -v p="$p" '$1 == b && $2 == p {print $3}' "$tmp/runs.$mode" | sort -g)
			[ -n "$vals" ] || continue
			read -r med min max < <(echo "$vals" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}')
			runs=$(awk -v b="$b" -v p="$p" '$1 == b && $2 == p {print $4}' "$tmp/runs.$mode" | paste -sd,)
			printf '%-6s %-6s %-13s %7.1f ns/run (%.1f..%.1f)\n' "$mode" "$b" "$p" "$med" "$min" "$max"
			json=$(jq --arg m "$mode" --arg b "$b" --arg p "$p" --argjson med "$med" --argjson min "$min" --argjson max "$max" \
				--argjson runs "[$runs]" '. + [{mode: $m, build: $b, prog: $p, ns_per_run: $med, min: $min, max: $max, run_cnt: $runs}]' <<<"$json")
		done
	done
done
jq -n --argjson reps "$reps" --argjson loops "$loops" --argjson r "$json" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{
	reps: $reps, load_average: $load,
	command: ("perf bench sched pipe -l " + ($loops | tostring) + " under floor -S [-F] -T, with pipetrace --syscalls light -p REFPIPE [--children] attached"),
	note: "ns per run from BPF_ENABLE_STATS (run_time_ns / run_cnt) over every switch and wakeup of the machine during the bench, nearly all of untraced tasks; empty: empty programs; filter: empty programs comparing tgids; medians over interleaved rounds",
	results: $r}' >"$OUT/switch.json"
echo "bench-switch: wrote $OUT/switch.json" >&2
