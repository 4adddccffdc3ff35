#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nested stages (issue 16): how far pipetrace's figures of an outer stage
# that makes INNER cheap stage calls per call lie from its untraced time.
# prog_nestcost ROUNDS INNER (tests/integration/prog_nestcost.c) times its
# own outer() and, in the same process, an unprobed twin of it (CPU time
# and wall clock). Per repetition, interleaved: the program alone (A),
# then under pipetrace -s outer -s inner (B), for each class:
#   push     .output/tests/integration/prog_nestcost (a uprobe+uretprobe pair)
#   retsite  .output/bench/nestcost-cxx (the same code linked with
#            libstdc++: probed at its return instructions)
# and each load: rest, and hogs (two busy loops of this script's own for
# the repetition's runs). Per run it derives, in percent:
#   mean_vs_untraced   pipetrace's outer mean against run A's outer wall
#                      mean (the issue's goal: within 10%)
#   oncpu_vs_twin      pipetrace's outer on-CPU time per call (mean less
#                      the outer's and inner's off-CPU time per call)
#                      against the traced run's twin CPU time
#   oncpu_of_probes    the same difference in percent of what the inner
#                      probes cost the outer (its CPU time less the twin's)
#   self_vs_twin       the outer's own on-CPU time per call against the
#                      twin's CPU time (untraced: the loop's own share of
#                      the twin, a few percent)
#   nest_figure_err    pipetrace's mean figure per nested pair (the
#                      calibration_nested_ns and _tail_ns of the class)
#                      against the target's own (its outer CPU time less
#                      the twin's, per inner call)
# and prints each one's median, min and max over the repetitions. Measures
# and prints; asserts nothing. Needs root, after `make all`. Writes
# .output/bench/nest.json.
#
#   BENCH_REPS=N          repetitions (default 7)
#   BENCH_NEST_ROUNDS=N   outer calls per run (default 40; retsite a third)
#   BENCH_NEST_INNER=N    inner calls per outer call (default 1000)
#   BENCH_NEST_CLASSES=L  classes (default "push retsite")
#   BENCH_NEST_LOADS=L    loads (default "rest hogs")
#   BENCH_NEST_PT_B=PATH  another pipetrace to run beside (as "b"), e.g. an
#                         older build, interleaved with this one
set -euo pipefail
cd "$(dirname "$0")/.."
PT=$PWD/.output/pipetrace
OUT=$PWD/.output/bench
reps=${BENCH_REPS:-7}
rounds=${BENCH_NEST_ROUNDS:-40}
inner=${BENCH_NEST_INNER:-1000}
classes=${BENCH_NEST_CLASSES:-push retsite}
loads=${BENCH_NEST_LOADS:-rest hogs}
ptb=${BENCH_NEST_PT_B:-}

[ "$(id -u)" -eq 0 ] || { echo "bench-nest: needs root to load BPF programs" >&2; exit 1; }
make -s .output/pipetrace .output/tests/integration/prog_nestcost .output/bench/nestcost-cxx
tmp=$(mktemp -d /tmp/pt-bench-nest.XXXXXX)
hogs=()
stop_hogs() {
	local h
	for h in "${hogs[@]}"; do kill "$h" 2>/dev/null || true; done
	for h in "${hogs[@]}"; do wait "$h" 2>/dev/null || true; done
	hogs=()
}
trap 'stop_hogs; rm -rf "$tmp"' EXIT
. scripts/bench-lib.sh

declare -A prog=([push]=$PWD/.output/tests/integration/prog_nestcost
	[retsite]=$PWD/.output/bench/nestcost-cxx)
tools=(a)
[ -z "$ptb" ] || tools+=(b)
declare -A ptof=([a]=$PT [b]=$ptb)

# field NAME LINE: the number after NAME in prog_nestcost's line.
field() { sed -n "s/.* $1 \\(-\\?[0-9]*\\).*/\\1/p" <<<"$2"; }
nestline() { grep -m1 '^nestcost: ' "$1"; }

# One traced run's figures, appended as a line of JSON to $tmp/rows.
traced() {
	local tool=$1 cls=$2 load=$3 n=$4 untraced=$5 json=$tmp/run.json line
	if ! "${ptof[$tool]}" -s outer -s inner --json "$json" -- "${prog[$cls]}" "$n" "$inner" \
		>/dev/null 2>"$tmp/run.err"; then
		echo "bench-nest: a traced run failed ($tool $cls $load), left out:" >&2
		tail -n 3 "$tmp/run.err" >&2
		return 0
	fi
	line=$(nestline "$tmp/run.err")
	jq -c --arg tool "$tool" --arg cls "$cls" --arg load "$load" --argjson n "$n" --argjson inner "$inner" \
		--argjson untraced "$untraced" \
		--argjson twin_cpu "$(field twin_cpu "$line")" --argjson outer_cpu "$(field outer_cpu "$line")" '
		def st(n): .stages[] | select(.name == n);
		def off(s): s.self_ns - s.breakdown_ns.on_cpu;
		st("outer") as $o | st("inner") as $i |
		($o.latency_ns.mean - (off($o) + off($i)) / $n) as $oncpu |
		($outer_cpu - $twin_cpu) as $probes |
		((.calibration_nested_ns[$cls] // 0) + (.calibration_nested_tail_ns[$cls] // 0)) as $fig |
		{tool: $tool, class: $cls, load: $load, probe_class: $o.probe_class,
		 outer_mean: $o.latency_ns.mean, untraced_mean: $untraced, twin_cpu: $twin_cpu,
		 probes_per_call: $probes, oncpu: $oncpu,
		 self_oncpu: ($o.breakdown_ns.on_cpu / $n),
		 nest_figure: $fig, nest_target: ($probes / $inner),
		 mean_vs_untraced: (100 * ($o.latency_ns.mean - $untraced) / $untraced),
		 oncpu_vs_twin: (100 * ($oncpu - $twin_cpu) / $twin_cpu),
		 oncpu_of_probes: (100 * ($oncpu - $twin_cpu) / $probes),
		 self_vs_twin: (100 * ($o.breakdown_ns.on_cpu / $n) / $twin_cpu),
		 nest_figure_err: (100 * ($fig - $probes / $inner) / ($probes / $inner))}' "$json" >>"$tmp/rows"
}

echo "bench-nest: $reps repetitions; $rounds outer calls of $inner inner calls (retsite: $((rounds / 3 + 1)));" \
	"classes $classes; loads $loads; pipetrace ${tools[*]}" >&2
for ((r = 0; r < reps; r++)); do
	for load in $loads; do
		[ "$load" = rest ] || for h in 1 2; do
			sh -c 'while :; do :; done' &
			hogs+=($!)
		done
		for cls in $classes; do
			n=$rounds
			[ "$cls" = push ] || n=$((rounds / 3 + 1))
			"${prog[$cls]}" "$n" "$inner" 2>"$tmp/alone.err"
			untraced=$(field outer_mean "$(nestline "$tmp/alone.err")")
			for tool in "${tools[@]}"; do traced "$tool" "$cls" "$load" "$n" "$untraced"; done
		done
		stop_hogs
	done
	echo "bench-nest: repetition $((r + 1)) of $reps done" >&2
done

metrics=(mean_vs_untraced oncpu_vs_twin oncpu_of_probes self_vs_twin nest_figure_err)
printf '%-5s %-8s %-5s' tool class load
for m in "${metrics[@]}"; do printf ' %26s' "$m% med [min,max]"; done
echo
for tool in "${tools[@]}"; do
	for cls in $classes; do
		for load in $loads; do
			printf '%-5s %-8s %-5s' "$tool" "$cls" "$load"
			for m in "${metrics[@]}"; do
				jq -r --arg t "$tool" --arg c "$cls" --arg l "$load" \
					'select(.tool == $t and .class == $c and .load == $l) | .'"$m" \
					"$tmp/rows" >"$tmp/v"
				printf ' %26s' "$(median <"$tmp/v" | xargs printf '%+.1f') [$(sort -g "$tmp/v" | head -n1 | xargs printf '%+.1f'),$(sort -g "$tmp/v" | tail -n1 | xargs printf '%+.1f')]"
			done
			echo
		done
	done
done
mkdir -p "$OUT"
jq -s --argjson reps "$reps" --argjson rounds "$rounds" --argjson inner "$inner" '
	def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def spread(k): [.[][k]] | {median: med, min: min, max: max};
	{reps: $reps, rounds: $rounds, inner_calls: $inner,
	 summary: [group_by([.tool, .class, .load])[] |
		{tool: .[0].tool, class: .[0].class, load: .[0].load,
		 mean_vs_untraced: spread("mean_vs_untraced"), oncpu_vs_twin: spread("oncpu_vs_twin"),
		 oncpu_of_probes: spread("oncpu_of_probes"), self_vs_twin: spread("self_vs_twin"),
		 nest_figure_err: spread("nest_figure_err"),
		 goal_met: ((spread("mean_vs_untraced").median | fabs) <= 10)}],
	 runs: .,
	 note: "percent; see scripts/bench-nest.sh for each figure; goal (issue 16): mean_vs_untraced within 10"}' \
	"$tmp/rows" >"$OUT/nest.json"
echo "bench-nest: wrote $OUT/nest.json" >&2
