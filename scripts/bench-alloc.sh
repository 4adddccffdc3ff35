#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, memory part: what --alloc adds per allocator call. Measures,
# prints, writes .output/bench/alloc.json; asserts nothing.
#
#   BENCH_REPS=N   repetitions of each case, interleaved (default 5)
#
# Workload: tests/integration/prog_alloc (per stage_alloc() call: 19
# allocations - malloc, 12 realloc, 5 posix_memalign, calloc - and 7 free
# calls, 26 allocator calls). pipetrace's reported mean latency of
# stage_alloc under each mode, minus the same without --alloc, divided by
# the allocator calls, is the added cost per call:
#   probes     --alloc-sample 1000000: the uprobes fire, nothing is recorded
#   recorded   --alloc: also the user stack and the map entry, per allocation
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUTPUT:-.output}
pt=$out/pipetrace
prog=$out/tests/integration/prog_alloc
reps=${BENCH_REPS:-5}
calls=2000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$prog" ] || make -s "$prog" >/dev/null
if [ "$(id -u)" != 0 ]; then
	echo "bench-alloc: skipped: needs root to load BPF" >&2
	exit 0
fi

# Mean stage_alloc latency (ns) of one traced run with options "$@".
mean_ns() {
	"$pt" "$@" -j "$tmp/r.json" -- "$prog" "$calls" >/dev/null 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; return 1; }
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["stages"][0]["latency_ns"]["mean"])' "$tmp/r.json" 2>/dev/null ||
		awk -F: '/"mean"/ {gsub(/[ ,]/, "", $2); print $2; exit}' "$tmp/r.json"
}
med() { sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }

for _ in $(seq "$reps"); do
	mean_ns >>"$tmp/none"
	mean_ns --alloc-sample 1000000 >>"$tmp/probes"
	mean_ns --alloc >>"$tmp/recorded"
done
none=$(med <"$tmp/none")
probes=$(med <"$tmp/probes")
recorded=$(med <"$tmp/recorded")
per_call=$(awk -v a="$none" -v b="$probes" 'BEGIN {printf "%.0f", (b - a) / 26}')
per_alloc=$(awk -v a="$probes" -v b="$recorded" 'BEGIN {printf "%.0f", (b - a) / 19}')
total=$(awk -v a="$none" -v b="$recorded" 'BEGIN {printf "%.0f", (b - a) / 26}')

printf 'alloc    stage_alloc mean: %s ns without --alloc, %s ns with the probes only, %s ns with --alloc (medians of %s runs)\n' \
	"$none" "$probes" "$recorded" "$reps"
printf 'alloc    added per allocator call (probes): %s ns; per recorded allocation (stack + map): %s ns; --alloc in all: %s ns per allocator call\n' \
	"$per_call" "$per_alloc" "$total"
mkdir -p .output/bench
cat >.output/bench/alloc.json <<JSON
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": "$(uname -r), $(nproc) CPUs",
  "reps": $reps,
  "workload": "prog_alloc $calls: per call 19 allocations, 7 frees",
  "stage_mean_ns": {"no_alloc": $none, "alloc_probes_only": $probes, "alloc": $recorded},
  "added_ns_per_allocator_call_probes": $per_call,
  "added_ns_per_recorded_allocation": $per_alloc,
  "added_ns_per_allocator_call": $total
}
JSON
echo "bench-alloc: wrote .output/bench/alloc.json" >&2
