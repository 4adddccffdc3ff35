#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The per-call cost of return-site probes (an entry uprobe and plain
# uprobes on the return instructions, as pipetrace probes code exceptions
# unwind through) beside today's uprobe + uretprobe pair, on micro's f1us
# (about 1 us): the same -O2 code built twice, .output/bench/micro (C: a
# pair) and .output/bench/micro-cxx (linked with libstdc++: return sites).
# Runs interleaved, BENCH_REPS (default 9) repetitions of each of
#   none_c, pair (pipetrace on micro), none_cxx, retsite (pipetrace on
#   micro-cxx)
# and prints median ns_per_call of each, added = median(traced) -
# median(untraced of the same binary), and their ratio. Needs root, after
# `make all`. Measures and prints; asserts nothing. Writes
# .output/bench/retsite.json.
#
#   BENCH_REPS=N        repetitions (default 9)
#   BENCH_RETSITE_N=N   calls per run (default 50000)
#   BENCH_FUNC=f        micro's function (default f1us)
set -euo pipefail
cd "$(dirname "$0")/.."
PT=$PWD/.output/pipetrace
MICRO=$PWD/.output/bench/micro
OUT=$PWD/.output/bench
reps=${BENCH_REPS:-9}
n=${BENCH_RETSITE_N:-50000}
func=${BENCH_FUNC:-f1us}

[ "$(id -u)" -eq 0 ] || { echo "bench-retsite: needs root to load BPF programs" >&2; exit 1; }
make -s .output/pipetrace .output/bench/micro .output/bench/micro-cxx
tmp=$(mktemp -d /tmp/pt-bench-retsite.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The loop counts once, for every run (see bench-micro.sh).
MICRO_LOOPS=${MICRO_LOOPS:-$(scripts/bench-micro.sh --calibrate)}
export MICRO_LOOPS
echo "bench-retsite: $reps interleaved repetitions of $n calls of $func, loops $MICRO_LOOPS" >&2

. scripts/bench-lib.sh
probe_of() { jq -r '.stages[0].probe_class' "$1"; }

declare -A bin=([none_c]=$MICRO [pair]=$MICRO [none_cxx]=$MICRO-cxx [retsite]=$MICRO-cxx)
tools=(none_c pair none_cxx retsite)
for ((r = 0; r < reps; r++)); do
	for t in "${tools[@]}"; do
		log=$tmp/$t.$r.log
		case $t in
		none_*) "${bin[$t]}" "$func" "$n" >"$log" 2>&1 ;;
		*)
			"$PT" -v -s "$func" --json "$tmp/$t.json" -- "${bin[$t]}" "$func" "$n" >"$log" 2>"$tmp/$t.err"
			# In one pipetrace process (a retsite run), its
			# calibration times both mechanics on its own functions
			# (push entry; return probe or ret): the latency each
			# adds inside a call.
			[ "$t" = pair ] || sed -n 's/.*calibration: pt_calib_\(push\|retsite\): median probe latency \([0-9]*\) ns.*/\1 \2/p' \
				"$tmp/$t.err" >>"$tmp/calib"
			# The mechanics pipetrace chose, checked on every run.
			p=$(probe_of "$tmp/$t.json")
			want=$([ "$t" = pair ] && echo push || echo retsite)
			[ "$p" = "$want" ] || { echo "bench-retsite: $t probed as $p, not $want" >&2; exit 1; }
			;;
		esac
		nspc "$log" >>"$tmp/$t.ns"
	done
done

declare -A med
for t in "${tools[@]}"; do med[$t]=$(median <"$tmp/$t.ns"); done
pair=$(awk -v a="${med[pair]}" -v b="${med[none_c]}" 'BEGIN {printf "%.0f", a - b}')
ret=$(awk -v a="${med[retsite]}" -v b="${med[none_cxx]}" 'BEGIN {printf "%.0f", a - b}')
ratio=$(awk -v a="$ret" -v b="$pair" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')
printf '%-10s %12s\n' tool median_ns_per_call
for t in "${tools[@]}"; do printf '%-10s %12s\n' "$t" "${med[$t]}"; done
echo "added per call: uprobe+uretprobe pair ${pair} ns, return sites ${ret} ns (x${ratio})"
cal_pair=$(awk '$1 == "push" {print $2}' "$tmp/calib" | median)
cal_ret=$(awk '$1 == "retsite" {print $2}' "$tmp/calib" | median)
echo "in-process (calibration, latency added inside a call, medians of runs): pair ${cal_pair} ns, return sites ${cal_ret} ns"
mkdir -p "$OUT"
jq -n --arg func "$func" --argjson n "$n" --argjson reps "$reps" \
	--argjson none_c "${med[none_c]}" --argjson pair_ns "${med[pair]}" \
	--argjson none_cxx "${med[none_cxx]}" --argjson retsite_ns "${med[retsite]}" \
	--argjson pair_added "$pair" --argjson retsite_added "$ret" \
	--argjson cal_pair "$cal_pair" --argjson cal_ret "$cal_ret" \
	'{func: $func, calls: $n, reps: $reps,
	  median_ns_per_call: {none_c: $none_c, pair: $pair_ns, none_cxx: $none_cxx, retsite: $retsite_ns},
	  added_ns_per_call: {pair: $pair_added, retsite: $retsite_added},
	  in_call_latency_ns: {pair: $cal_pair, retsite: $cal_ret}}' >"$OUT/retsite.json"
