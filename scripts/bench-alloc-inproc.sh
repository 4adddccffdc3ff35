#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --alloc per malloc/free pair, in-process A/B (issue 15): allocloop times
# 10 ms batches of malloc(64)/free() pairs (for 1.5 s untraced, 2 s traced, 1.5 s
# untraced again, about: it is killed then); pipetrace --alloc
# attaches to it by PID in the middle and detaches, so the same process,
# in the same run, times the loop before, while and after it is traced.
# The ratio is the median traced batch over the median untraced one (before
# and after together). Modes, interleaved in each round:
#   one       pipetrace --alloc -p PID (the probes are the process's own)
#   several   pipetrace --alloc -p PID --children (several processes: the
#             allocator is still probed in the first one only); a second,
#             untraced allocloop runs beside: its ratio is what a bystander
#             pays per pair meanwhile (about 1: it takes no trap)
# Prints per mode the medians (ns per pair), the ratio and its spread over
# rounds; writes .output/bench/alloc-inproc.json. Measures; asserts nothing.
#
#   BENCH_REPS=N   rounds (default 5)
#   BENCH_MODES=LIST  modes to run (default "one several")
set -euo pipefail
cd "$(dirname "$0")/.."
PT=${PT:-$PWD/.output/pipetrace}
LOOP=$PWD/.output/bench/allocloop
OUT=$PWD/.output/bench
reps=${BENCH_REPS:-5}
modes=${BENCH_MODES:-one several}

[ "$(id -u)" -eq 0 ] || { echo "bench-alloc-inproc: needs root to load BPF programs" >&2; exit 1; }
make -s .output/pipetrace .output/bench/allocloop
mkdir -p "$OUT"
tmp=$(mktemp -d /tmp/pt-bench-alloc-inproc.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s%N; }
# Median of column 2 of the lines of file $1 whose time (column 1) is in
# [$2, $3).
med_in() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 < b {print $2}' "$1" | sort -g |
		awk '{v[NR] = $1} END {if (!NR) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# One round of mode $1: appends "before_after during ratio" to $tmp/$1 (and
# the bystander's to $tmp/$1.bystander).
round() {
	local loop by= pt t_start t_att t_det t_end opts=(--alloc -s main)
	[ "$1" = several ] && opts+=(--children)
	"$LOOP" 60 >"$tmp/loop" &
	loop=$!
	pids=("$loop")
	if [ "$1" = several ]; then
		"$LOOP" 60 >"$tmp/by" &
		by=$!
		pids+=("$by")
	fi
	sleep 1.5
	t_start=$(now)
	"$PT" "${opts[@]}" -p "$loop" -j "$tmp/pt.json" 2>"$tmp/err" &
	pt=$!
	pids+=("$pt")
	for _ in $(seq 600); do
		grep -q tracing "$tmp/err" && break
		sleep 0.05
	done
	# A batch takes up to a few ms untraced, longer traced: skip 0.2 s.
	t_att=$(($(now) + 200000000))
	sleep 2
	t_det=$(now)
	kill -0 "$pt" 2>/dev/null || { echo "bench-alloc-inproc: pipetrace stopped early:" >&2; cat "$tmp/err" >&2; exit 1; }
	kill -INT "$pt"
	wait "$pt" || true
	t_end=$(($(now) + 200000000))
	sleep 1.5
	kill "$loop" $by
	wait "$loop" $by 2>/dev/null || true
	pids=()
	local b a d
	b=$(awk -v a="$t_start" '$1 < a {print}' "$tmp/loop" >"$tmp/ua"; awk -v a="$t_end" '$1 >= a {print}' "$tmp/loop" >>"$tmp/ua"; med_in "$tmp/ua" 0 99999999999999999999)
	d=$(med_in "$tmp/loop" "$t_att" "$t_det")
	echo "$b $d $(awk -v b="$b" -v d="$d" 'BEGIN {printf "%.2f", d / b}')" >>"$tmp/$1"
	if [ -n "$by" ]; then
		awk -v a="$t_start" '$1 < a {print}' "$tmp/by" >"$tmp/ua"
		awk -v a="$t_end" '$1 >= a {print}' "$tmp/by" >>"$tmp/ua"
		b=$(med_in "$tmp/ua" 0 99999999999999999999)
		d=$(med_in "$tmp/by" "$t_att" "$t_det")
		echo "$b $d $(awk -v b="$b" -v d="$d" 'BEGIN {printf "%.2f", d / b}')" >>"$tmp/$1.bystander"
	fi
}

echo "bench-alloc-inproc: $reps interleaved rounds of allocloop under pipetrace --alloc -p (one, several)" >&2
for ((r = 0; r < reps; r++)); do
	for m in $modes; do round "$m"; done
	echo "bench-alloc-inproc: round $((r + 1))/$reps done" >&2
done

# "median min max" of column $2 of file $1.
stats() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'; }
json='{}'
for c in $modes; do
	[ "$c" = several ] && set -- several several.bystander || set -- "$c"
	for c in "$@"; do
	read -r um _ _ < <(stats "$tmp/$c" 1)
	read -r dm _ _ < <(stats "$tmp/$c" 2)
	read -r rm rmin rmax < <(stats "$tmp/$c" 3)
	printf '%-18s untraced %7.1f ns/pair  traced %8.1f ns/pair  ratio %6.2f (%s..%s)  added %7.0f ns/pair\n' \
		"$c" "$um" "$dm" "$rm" "$rmin" "$rmax" "$(awk -v a="$um" -v b="$dm" 'BEGIN {print b - a}')"
	json=$(jq --arg c "$c" --argjson um "$um" --argjson dm "$dm" --argjson rm "$rm" --argjson rmin "$rmin" --argjson rmax "$rmax" \
		--argjson runs "[$(awk '{print $3}' "$tmp/$c" | paste -sd,)]" \
		'.[$c] = {untraced_ns_per_pair: $um, traced_ns_per_pair: $dm, ratio: $rm, ratio_min: $rmin, ratio_max: $rmax, ratios: $runs}' <<<"$json")
	done
done
jq -n --argjson reps "$reps" --argjson c "$json" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{
	reps: $reps, load_average: $load,
	command: "allocloop (10 ms batches of malloc(64)/free pairs) under pipetrace --alloc -p PID [--children] for 2 s of it",
	note: "medians over rounds of per-round medians; ratio: traced batches over untraced ones (before and after) of the same process; several.bystander: an untraced allocloop beside",
	cases: $c}' >"$OUT/alloc-inproc.json"
echo "bench-alloc-inproc: wrote $OUT/alloc-inproc.json" >&2
