#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up of two pipetrace binaries, A/B interleaved (issue 15): per run,
# from -v's own lines, start to "attached" (wall and pipetrace's CPU, all
# threads, process start included) and "detached in"; from outside
# (/usr/bin/time), the whole run's wall and CPU. Each pair runs A and B back
# to back, the order alternating; the ratios are taken per pair (B over A),
# then their median with [min-max], so that a host slowing down for a few
# seconds hits both sides of a pair. Measures and prints; asserts nothing.
#
#   scripts/bench-start.sh PT_A PT_B [pipetrace options and -- command]
#   BENCH_REPS=N   pairs (default 7)
#   Default options: refpipe's 10 stages of the bench's attach case.
# Writes .output/bench/start.json (every run and ratio).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUTPUT:-.output}
a=${1:?usage: bench-start.sh PT_A PT_B [options -- command]}
b=${2:?usage: bench-start.sh PT_A PT_B [options -- command]}
shift 2
reps=${BENCH_REPS:-7}
tmp=$(mktemp -d /tmp/bench-start.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
	set -- -s stage_ingest -s stage_parse -s stage_filter -s stage_normalize \
		-s stage_features -s stage_sink -s batch_new -s pwrite_all \
		-s rp_should_stop -s rp_inject -- "$out/refpipe" --records 1000
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench-start: skipped: needs root to load BPF" >&2
	exit 0
fi

# One run of binary $1: a JSON object of its figures.
run_once() {
	local pt=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$pt" -v "$@" \
		>/dev/null 2>"$tmp/err" || { tail -3 "$tmp/err" >&2; return 1; }
	local att cpu det wall user sys
	att=$(sed -n 's/.*start: attached at \([0-9.]*\) ms.*/\1/p' "$tmp/err")
	cpu=$(sed -n 's/.*start: attached at [0-9.]* ms (CPU \([0-9.]*\) ms).*/\1/p' "$tmp/err")
	det=$(sed -n 's/.*end: detached in \([0-9.]*\) ms.*/\1/p' "$tmp/err")
	read -r wall user sys <"$tmp/time"
	jq -n --argjson att "${att:-null}" --argjson cpu "${cpu:-null}" \
		--argjson det "${det:-null}" --argjson wall "$wall" \
		--argjson user "$user" --argjson sys "$sys" \
		'{attached_ms: $att, attached_cpu_ms: $cpu, detach_ms: $det,
		  run_wall_ms: ($wall * 1000), run_cpu_ms: (($user + $sys) * 1000 | round)}'
}

: >"$tmp/pairs"
for ((i = 0; i < reps; i++)); do
	if ((i % 2)); then
		rb=$(run_once "$b" "$@"); ra=$(run_once "$a" "$@")
	else
		ra=$(run_once "$a" "$@"); rb=$(run_once "$b" "$@")
	fi
	jq -nc --argjson a "$ra" --argjson b "$rb" '{a: $a, b: $b}' >>"$tmp/pairs"
	printf 'bench-start: pair %d: A %s ms (CPU %s), B %s ms (CPU %s)\n' "$((i + 1))" \
		"$(jq -r .attached_ms <<<"$ra")" "$(jq -r .attached_cpu_ms <<<"$ra")" \
		"$(jq -r .attached_ms <<<"$rb")" "$(jq -r .attached_cpu_ms <<<"$rb")" >&2
done

mkdir -p "$out/bench"
jq -s --arg a "$a" --arg b "$b" --arg cmd "$*" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '
	def med: sort | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r3: . * 1000 | round / 1000;
	def fig(k): {a: (map(.a[k]) | med), b: (map(.b[k]) | med),
		a_range: [(map(.a[k]) | min), (map(.a[k]) | max)],
		b_range: [(map(.b[k]) | min), (map(.b[k]) | max)],
		ratio: (map(.b[k] / .a[k]) | med | r3),
		ratio_range: [(map(.b[k] / .a[k]) | min | r3), (map(.b[k] / .a[k]) | max | r3)]};
	{a: $a, b: $b, options: $cmd, pairs: length, load_after: $load,
	 attached_ms: fig("attached_ms"), attached_cpu_ms: fig("attached_cpu_ms"),
	 detach_ms: fig("detach_ms"), run_wall_ms: fig("run_wall_ms"),
	 run_cpu_ms: fig("run_cpu_ms"), runs: .}' "$tmp/pairs" >"$out/bench/start.json"
jq -r '"pairs \(.pairs), load after \(.load_after)",
	(["attached_ms", "attached_cpu_ms", "detach_ms", "run_wall_ms", "run_cpu_ms"][] as $k |
	 "\($k): A \(.[$k].a) [\(.[$k].a_range | join("-"))], B \(.[$k].b) [\(.[$k].b_range | join("-"))], B/A \(.[$k].ratio) [\(.[$k].ratio_range | join("-"))]")' \
	"$out/bench/start.json"
