#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, part calib: how near refpipe's own clock (--self-report) the
# calibrated stage means come with two CPU hogs running (issue 12), single-
# threaded and --threads, over BENCH_REPS runs of each (interleaved).
# Per stage and run: mean - truth in ns and percent; per case: the median
# and the worst of the absolute errors, how many stage means fell within
# 5% or 300 ns (the larger) and within 10% or 500 ns, how many runs had
# every stage within 5% or 300 ns, and each run's shared offset (the
# median of its stages' errors: what the run's calls paid for their
# probes beyond the calibration, common to all stages; a single stage far
# from it is that stage's own error). Measures and prints; asserts
# nothing.
#
#   scripts/bench-calib.sh   -> .output/bench/calib.json
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${BENCH_REPS:-7}
out=.output
make -s $out/pipetrace $out/refpipe
tmp=$(mktemp -d /tmp/bench-calib.XXXXXX)
hogs=()
cleanup() {
	local p
	for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Runs case $1 (single|threads) once under two hogs; appends one JSON
# line per stage to $tmp/$1.jsonl.
one() {
	local c=$1 extra=() p
	[ "$c" = threads ] && extra=(--threads)
	hogs=()
	for _ in 1 2; do
		sh -c 'while :; do :; done' &
		hogs+=($!)
	done
	$out/pipetrace -s 'stage_*' --json "$tmp/r.json" -- $out/refpipe \
		--batch 16 --records 20000 --self-report "$tmp/s.json" \
		"${extra[@]}" >/dev/null 2>"$tmp/err" || {
		echo "bench-calib: $c run failed: $(tail -n1 "$tmp/err")" >&2
	}
	for p in "${hogs[@]}"; do
		kill "$p"
		wait "$p" 2>/dev/null || true
	done
	hogs=()
	[ -s "$tmp/r.json" ] && [ -s "$tmp/s.json" ] || return 0
	jq -c --argjson run "$2" --slurpfile s "$tmp/s.json" '
		.stages[] | .name as $n | .latency_ns.mean as $m |
		($s[0].stages[] | select(.name == $n)) as $t |
		($t.wall_ns / $t.calls) as $truth |
		{run: $run, stage: $n, mean: $m, truth: ($truth | round),
		 err_ns: (($m - $truth) | round),
		 err_pct: ((($m - $truth) / $truth * 10000 | round) / 100),
		 bias_ns: .probe_bias_ns, tail_ns: .probe_tail_ns}' \
		"$tmp/r.json" >>"$tmp/$c.jsonl"
	rm -f "$tmp/r.json" "$tmp/s.json"
}

for ((i = 0; i < reps; i++)); do
	one single "$i"
	one threads "$i"
done

summary() {
	jq -s '
	def ok($pct; $ns): (.err_ns | fabs) <= ([.truth * $pct / 100, $ns] | max);
	def within($pct; $ns): map(select(ok($pct; $ns))) | length;
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	(map(.err_ns | fabs) | sort) as $a |
	(group_by(.run) | map({run: .[0].run,
		shared_ns: (map(.err_ns) | median),
		all_within_5pct_300ns: all(ok(5; 300))})) as $r |
	{stage_means: length,
	 median_abs_err_ns: (if length > 0 then $a[(length / 2 | floor)] else null end),
	 worst_err_ns: (max_by(.err_ns | fabs) // {} | .err_ns),
	 worst_err_pct: (max_by(.err_pct | fabs) // {} | .err_pct),
	 within_5pct_300ns: within(5; 300),
	 within_10pct_500ns: within(10; 500),
	 runs_all_within_5pct_300ns: ($r | map(select(.all_within_5pct_300ns)) | length),
	 runs_n: ($r | length),
	 shared_offsets_ns: ($r | map(.shared_ns)),
	 shared_offset_median_ns: ($r | map(.shared_ns) | median),
	 runs: .}' "$tmp/$1.jsonl"
}

for c in single threads; do
	[ -s "$tmp/$c.jsonl" ] || echo -n >"$tmp/$c.jsonl"
	summary $c >"$tmp/$c.sum"
	jq -r --arg c "$c" '"calib refpipe_\($c) (2 hogs): \(.stage_means) stage means, |error| median \(.median_abs_err_ns) ns, worst \(.worst_err_ns) ns / \(.worst_err_pct)%, within 5%/300 ns: \(.within_5pct_300ns), within 10%/500 ns: \(.within_10pct_500ns); runs with every stage within 5%/300 ns: \(.runs_all_within_5pct_300ns) of \(.runs_n); runs'"'"' shared offsets (median stage error) \(.shared_offsets_ns | map(round) | sort)"' "$tmp/$c.sum"
done
mkdir -p $out/bench
jq -n --argjson reps "$reps" --slurpfile s "$tmp/single.sum" --slurpfile t "$tmp/threads.sum" '{
	reps: $reps,
	command: "two `sh -c \"while :; do :; done\"` hogs; pipetrace -s stage_* --json R -- refpipe --batch 16 --records 20000 --self-report S [--threads]",
	note: "err: the report'"'"'s stage mean less refpipe'"'"'s own (wall_ns / calls)",
	refpipe_single: $s[0], refpipe_threads: $t[0]}' >$out/bench/calib.json
echo "bench: wrote $out/bench/calib.json" >&2
