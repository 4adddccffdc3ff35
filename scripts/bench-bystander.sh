#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What tracing one process costs the others on the machine (issue 15): two
# bystanders nobody traces, run while refpipe (mostly sleeping) is
#   none    running untraced
#   exact   traced by pipetrace --syscalls exact (raw syscall tracepoints:
#           every task takes the kernel's slow syscall path)
#   light   traced by pipetrace --syscalls light (no syscall tracepoint)
#   libc    traced by pipetrace --syscalls libc (light, plus uprobes on
#           refpipe's own libc I/O wrappers, for refpipe only)
#   floor   untraced, with floor -S attached instead: empty sched_switch and
#           sched_wakeup programs, what the kernel's dispatch of a
#           scheduler tracepoint to BPF costs before any work
# in interleaved rounds (each variant in turn), BENCH_REPS rounds
# (default 7, at least 5). Bystanders:
#   dd      dd if=/dev/zero of=/dev/null bs=1 count=1000000 (2 M syscalls)
#   pipe    perf bench sched pipe -l N: two processes ping-ponging a byte
#           over pipes (per round trip 2 context switches, 4 syscalls)
# Each run is measured by perf stat -e task-clock: its CPU time (exact, all
# its processes) and its wall time. On a busy machine wall time mostly
# measures the others' load; CPU time is what the tracing adds. Prints
# medians, minimums and maximums and the slowdown of the medians against
# none; writes .output/bench/bystander.json. Measures; asserts nothing.
#
#   BENCH_REPS=N            rounds (default 7)
#   BENCH_PIPE_LOOPS=N      perf bench sched pipe round trips (default 50000)
#   PT=PATH                 the pipetrace to run (default .output/pipetrace)
#   BENCH_BYSTANDERS=LIST   bystanders to run (default "dd pipe")
set -euo pipefail
cd "$(dirname "$0")/.."
PT=${PT:-$PWD/.output/pipetrace}
RP=$PWD/.output/refpipe
FLOOR=$PWD/.output/bench/floor
bystanders=${BENCH_BYSTANDERS:-dd pipe}
OUT=$PWD/.output/bench
reps=${BENCH_REPS:-7}
loops=${BENCH_PIPE_LOOPS:-50000}
[ "$reps" -ge 5 ] || reps=5

[ "$(id -u)" -eq 0 ] || { echo "bench-bystander: needs root to load BPF programs" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench-bystander: needs perf (linux-perf)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-bystander: needs jq" >&2; exit 1; }
make -s .output/pipetrace .output/refpipe .output/bench/floor
mkdir -p "$OUT"
tmp=$(mktemp -d /tmp/pt-bench-bystander.XXXXXX)
rp_pid=
pt_pid=
cleanup() {
	[ -z "$pt_pid" ] || for c in $(pgrep -P "$pt_pid" -x sleep || true); do kill "$c"; done
	[ -z "$pt_pid" ] || kill -INT "$pt_pid" 2>/dev/null || true
	[ -z "$pt_pid" ] || wait "$pt_pid" 2>/dev/null || true
	[ -z "$rp_pid" ] || kill "$rp_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The traced program, the same in every variant: refpipe, mostly asleep
# (a 2 ms sleep per batch of 10 records), for longer than the bench.
"$RP" --records 2000000000 --batch 10 --sleep ingest=2000 >/dev/null 2>&1 &
rp_pid=$!

# Attaches pipetrace in variant $1 to refpipe (floor: floor -S instead);
# returns once attached.
attach() {
	: >"$tmp/pt.err"
	if [ "$1" = floor ]; then
		"$FLOOR" -S -- sh -c 'echo tracing >&2; exec sleep 3600' 2>"$tmp/pt.err" &
		pt_pid=$!
		for _ in $(seq 600); do
			grep -q tracing "$tmp/pt.err" && return 0
			sleep 0.1
		done
		echo "bench-bystander: floor -S did not attach" >&2
		exit 1
	fi
	"$PT" --syscalls "$1" -p "$rp_pid" \
		-j "$tmp/pt-$1.json" 2>"$tmp/pt.err" &
	pt_pid=$!
	for _ in $(seq 600); do
		grep -q "tracing" "$tmp/pt.err" && return 0
		kill -0 "$pt_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-bystander: pipetrace --syscalls $1 did not attach:" >&2
	cat "$tmp/pt.err" >&2
	exit 1
}
detach() {
	local c
	# floor: its command ends, then floor detaches and exits.
	for c in $(pgrep -P "$pt_pid" -x sleep || true); do kill "$c"; done
	kill -INT "$pt_pid" 2>/dev/null || true
	wait "$pt_pid" || true
	pt_pid=
}

# Runs bystander $1 under perf stat; appends "cpu_ms wall_ms" to $tmp/$1.$2.
measure() {
	local t0 t1 cpu
	t0=$(date +%s%N)
	case $1 in
	dd) perf stat -x, -e task-clock -o "$tmp/stat" \
		dd if=/dev/zero of=/dev/null bs=1 count=1000000 2>/dev/null ;;
	pipe) perf stat -x, -e task-clock -o "$tmp/stat" \
		perf bench sched pipe -l "$loops" >/dev/null ;;
	esac
	t1=$(date +%s%N)
	cpu=$(awk -F, '/task-clock/ {print $1}' "$tmp/stat")
	echo "$cpu $(awk "BEGIN {print ($t1 - $t0) / 1e6}")" >>"$tmp/$1.$2"
}

variants="none exact light libc floor"
echo "bench-bystander: $reps interleaved rounds of $variants; $bystanders (dd bs=1 x 1M, perf bench sched pipe -l $loops)" >&2
for ((r = 0; r < reps; r++)); do
	for v in $variants; do
		[ "$v" = none ] || attach "$v"
		for b in $bystanders; do measure "$b" "$v"; done
		[ "$v" = none ] || detach
	done
	echo "bench-bystander: round $((r + 1))/$reps done" >&2
done

# "median min max" of column $2 of file $1.
stats() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; print m, v[1], v[NR]}'; }

json='{}'
for b in $bystanders; do
	read -r cm cmin cmax < <(stats "$tmp/$b.none" 1)
	read -r wm wmin wmax < <(stats "$tmp/$b.none" 2)
	bj=$(jq -n --argjson cm "$cm" --argjson cmin "$cmin" --argjson cmax "$cmax" \
		--argjson wm "$wm" --argjson wmin "$wmin" --argjson wmax "$wmax" \
		--argjson cr "[$(awk '{print $1}' "$tmp/$b.none" | paste -sd,)]" \
		--argjson wr "[$(awk '{print $2}' "$tmp/$b.none" | paste -sd,)]" \
		'{none: {cpu_ms: $cm, cpu_ms_min: $cmin, cpu_ms_max: $cmax, wall_ms: $wm, wall_ms_min: $wmin, wall_ms_max: $wmax, cpu_runs: $cr, wall_runs: $wr}}')
	for v in exact light libc floor; do
		read -r vm vmin vmax < <(stats "$tmp/$b.$v" 1)
		read -r xm xmin xmax < <(stats "$tmp/$b.$v" 2)
		bj=$(jq --arg v "$v" --argjson cm "$vm" --argjson cmin "$vmin" --argjson cmax "$vmax" \
			--argjson wm "$xm" --argjson wmin "$xmin" --argjson wmax "$xmax" \
			--argjson cr "[$(awk '{print $1}' "$tmp/$b.$v" | paste -sd,)]" \
			--argjson wr "[$(awk '{print $2}' "$tmp/$b.$v" | paste -sd,)]" \
			'.[$v] = {cpu_ms: $cm, cpu_ms_min: $cmin, cpu_ms_max: $cmax, wall_ms: $wm, wall_ms_min: $wmin, wall_ms_max: $wmax, cpu_runs: $cr, wall_runs: $wr,
			  cpu_slowdown_pct: (($cm - .none.cpu_ms) / .none.cpu_ms * 10000 | round / 100),
			  cpu_slowdown_of_mins_pct: (($cmin - .none.cpu_ms_min) / .none.cpu_ms_min * 10000 | round / 100),
			  wall_slowdown_pct: (($wm - .none.wall_ms) / .none.wall_ms * 10000 | round / 100)}' <<<"$bj")
		printf '%-5s %-6s cpu %8.1f ms (%s..%s) %+6.1f%% (mins %+6.1f%%)   wall %8.1f ms (%s..%s) %+6.1f%%\n' "$b" "$v" \
			"$vm" "$vmin" "$vmax" "$(jq ".$v.cpu_slowdown_pct" <<<"$bj")" "$(jq ".$v.cpu_slowdown_of_mins_pct" <<<"$bj")" \
			"$xm" "$xmin" "$xmax" "$(jq ".$v.wall_slowdown_pct" <<<"$bj")"
	done
	printf '%-5s %-6s cpu %8.1f ms (%s..%s)            wall %8.1f ms (%s..%s)\n' "$b" none \
		"$cm" "$cmin" "$cmax" "$wm" "$wmin" "$wmax"
	json=$(jq --arg b "$b" --argjson v "$bj" '.[$b] = $v' <<<"$json")
done
jq -n --argjson reps "$reps" --argjson loops "$loops" --argjson c "$json" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{
	reps: $reps, load_average: $load,
	command: {dd: "dd if=/dev/zero of=/dev/null bs=1 count=1000000", pipe: ("perf bench sched pipe -l " + ($loops | tostring))},
	traced: "refpipe --records 2000000000 --batch 10 --sleep ingest=2000, untraced (none) or under pipetrace -p PID --syscalls exact|light|libc (libc: light plus the libc I/O uprobes); floor: empty sched_switch and sched_wakeup programs (floor -S) instead",
	note: "medians over interleaved rounds; cpu_ms: perf stat task-clock of the bystander (all its processes), wall_ms: its wall time; *_slowdown_pct: median against the median of none; cpu_slowdown_of_mins_pct: the same of the minimums (robust to a host that slows the VM for seconds at a time)",
	cases: $c}' >"$OUT/bystander.json"
echo "bench-bystander: wrote $OUT/bystander.json" >&2
