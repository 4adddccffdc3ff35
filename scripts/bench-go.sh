#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The per-call cost of pipetrace's Go mechanics (a plain uprobe at a Go
# function's entry and on its return instructions, frames paired by
# goroutine) beside the uprobe + uretprobe pair on the equivalent C
# function: tests/bench/gomicro.go's f1us (built here with Debian's
# /usr/bin/go) and micro's f1us (about 1 us each). Runs interleaved,
# BENCH_REPS (default 9) repetitions of each of
#   none_c, pair (pipetrace on micro), none_go, go (pipetrace on gomicro)
# and prints median ns_per_call of each, added = median(traced) -
# median(untraced of the same binary), and their ratio. Needs root, after
# `make all`. Measures and prints; asserts nothing. Writes
# .output/bench/go.json (scripts/bench.sh merges it into results.json).
#
#   BENCH_REPS=N     repetitions (default 9)
#   BENCH_GO_N=N     calls per run (default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
PT=$PWD/.output/pipetrace
MICRO=$PWD/.output/bench/micro
GOMICRO=$PWD/.output/bench/gomicro
OUT=$PWD/.output/bench
GO=/usr/bin/go
reps=${BENCH_REPS:-9}
n=${BENCH_GO_N:-50000}

[ "$(id -u)" -eq 0 ] || { echo "bench-go: needs root to load BPF programs" >&2; exit 1; }
[ -x "$GO" ] || { echo "bench-go: $GO missing (Debian golang-go; scripts/install-deps.sh)" >&2; exit 1; }
make -s .output/pipetrace .output/bench/micro
tmp=$(mktemp -d /tmp/pt-bench-go.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"
GOCACHE=$tmp/gocache GOPATH=$tmp/gopath GO111MODULE=off GOFLAGS= \
	"$GO" build -o "$GOMICRO" tests/bench/gomicro.go

MICRO_LOOPS=${MICRO_LOOPS:-$(scripts/bench-micro.sh --calibrate)}
export MICRO_LOOPS
go_loops=$("$GOMICRO" calibrate)
echo "bench-go: $reps interleaved repetitions of $n calls of f1us; C loops $MICRO_LOOPS, Go loops $go_loops" >&2

. scripts/bench-lib.sh

tools=(none_c pair none_go go)
for ((r = 0; r < reps; r++)); do
	for t in "${tools[@]}"; do
		log=$tmp/$t.$r.log
		case $t in
		none_c) "$MICRO" f1us "$n" >"$log" 2>&1 ;;
		none_go) "$GOMICRO" "$n" "$go_loops" >"$log" 2>&1 ;;
		pair) "$PT" -s f1us --json "$tmp/$t.json" -- "$MICRO" f1us "$n" >"$log" 2>"$tmp/$t.err" ;;
		go) "$PT" -s main.f1us --json "$tmp/$t.json" -- "$GOMICRO" "$n" "$go_loops" >"$log" 2>"$tmp/$t.err" ;;
		esac
		# The mechanics pipetrace chose, and every call seen, checked
		# on every run.
		case $t in
		pair | go)
			want=$([ "$t" = go ] && echo "retsite goroutine" || echo "push thread")
			got=$(jq -r '.stages[0] | "\(.probe_class) \(.pairing)"' "$tmp/$t.json")
			[ "$got" = "$want" ] || { echo "bench-go: $t probed as $got, not $want" >&2; exit 1; }
			calls=$(jq -r '.stages[0].calls' "$tmp/$t.json")
			[ "$calls" -ge "$n" ] || { echo "bench-go: $t saw $calls calls of $n" >&2; exit 1; }
			;;
		esac
		nspc "$log" >>"$tmp/$t.ns"
	done
done

declare -A med
for t in "${tools[@]}"; do med[$t]=$(median <"$tmp/$t.ns"); done
pair=$(awk -v a="${med[pair]}" -v b="${med[none_c]}" 'BEGIN {printf "%.0f", a - b}')
goadd=$(awk -v a="${med[go]}" -v b="${med[none_go]}" 'BEGIN {printf "%.0f", a - b}')
ratio=$(awk -v a="$goadd" -v b="$pair" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')
printf '%-10s %12s\n' tool median_ns_per_call
for t in "${tools[@]}"; do printf '%-10s %12s\n' "$t" "${med[$t]}"; done
echo "added per call: C uprobe+uretprobe pair ${pair} ns, Go entry + return-instruction uprobes ${goadd} ns (x${ratio})"
jq -n --argjson n "$n" --argjson reps "$reps" --arg gover "$("$GO" version)" \
	--argjson none_c "${med[none_c]}" --argjson pair_ns "${med[pair]}" \
	--argjson none_go "${med[none_go]}" --argjson go_ns "${med[go]}" \
	--argjson pair_added "$pair" --argjson go_added "$goadd" \
	'{func: "f1us", calls: $n, reps: $reps, go_version: $gover,
	  median_ns_per_call: {none_c: $none_c, pair: $pair_ns, none_go: $none_go, go: $go_ns},
	  added_ns_per_call: {pair: $pair_added, go: $go_added}}' >"$OUT/go.json"
