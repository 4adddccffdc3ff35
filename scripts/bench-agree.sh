#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Whether several `make bench` runs agree: for every headline ratio of the
# micro part (results.json .ratios: pipetrace_vs_floor, pipetrace_vs_bpftrace,
# pipetrace_nop5_vs_bpftrace, streaming_vs_latency, pipetrace_vs_pipetrace_b),
# its value in each run and how far apart they lie: (max - min) / min, in
# percent, against a tolerance (default 10%). Measures nothing itself and
# asserts nothing: prints a table and a count.
#
#   scripts/bench-agree.sh [--tol PCT] RESULTS.json RESULTS.json...
set -euo pipefail
tol=10
if [ "${1:-}" = --tol ]; then
	tol=$2
	shift 2
fi
[ $# -ge 2 ] || { echo "usage: bench-agree.sh [--tol PCT] RESULTS.json RESULTS.json..." >&2; exit 2; }

jq -rn --argjson tol "$tol" '
[inputs | .ratios] as $runs |
["pipetrace_vs_floor", "pipetrace_vs_bpftrace", "pipetrace_nop5_vs_bpftrace",
 "streaming_vs_latency", "pipetrace_vs_pipetrace_b"] as $names |
[$names[] as $n | ($runs[0][$n] // {}) | keys_unsorted[] as $c |
  {name: "\($n) \($c)", v: [$runs[] | .[$n][$c]]} |
  select(all(.v[]; . != null)) |
  . + {spread: (if (.v | min) > 0 then ((.v | max) / (.v | min) - 1) * 100 else null end)}] as $rows |
($rows[] | "\(.name): \(.v | map(tostring) | join(" ")) spread \(if .spread == null then "—" else "\(.spread * 10 | round / 10)%" end)\(if .spread != null and .spread <= $tol then "" else " (over \($tol)%)" end)"),
"\([$rows[] | select(.spread != null and .spread <= $tol)] | length) of \($rows | length) headline ratios agree within \($tol)% across \($runs | length) runs"
' "$@"
