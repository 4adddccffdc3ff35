#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, detach part (issue 15): how long pipetrace takes to attach its
# uprobes and, once the target exits, to report, detach and exit, with the
# kernel's multi-uprobe links (one grace period per link, closed together)
# and with the fallback of one perf-event link per probe
# (PIPETRACE_UPROBE_MULTI=0: one grace period per probe). Measures, prints,
# writes .output/bench/detach.json; asserts nothing.
#
#   BENCH_REPS=N            runs of each case and path, interleaved
#                           (default 3)
#   BENCH_DETACH_SLOW=N     run the fallback only up to N stages (default
#                           64: with 255 it takes about a minute a run)
#
# Per run, from pipetrace -v's own timestamps: attach_ms ("start: attached
# at" minus "start: calibrated at": stages, --alloc and warm-up probes);
# detach_ms ("end: detached in": from the target's exit to the probes'
# removal, the report included); and exit_ms, from outside: pipetrace's
# wall time minus "attached at" and the traced duration_ns (the target's
# exit to pipetrace's). Medians and minimums over the runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUTPUT:-.output}
pt=$out/pipetrace
many=$out/tests/integration/prog_many
reps=${BENCH_REPS:-3}
slow=${BENCH_DETACH_SLOW:-64}
tmp=${BENCH_DETACH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT

[ -x "$many" ] && [ -x "$out/refpipe" ] ||
	make -s "$many" "$out/refpipe" all >/dev/null
if [ "$(id -u)" != 0 ]; then
	echo "bench-detach: skipped: needs root to load BPF" >&2
	exit 0
fi

# name stages options...: the cases (prog_many: fn_N called N+1 times).
cases=(
	"refpipe_7|7|-s stage_* -- $out/refpipe --records 1000"
	"refpipe_7_alloc|7|--alloc -s stage_* -- $out/refpipe --records 1000"
	"many_1|1|-s fn_000 -- $many"
	"many_10|10|-s fn_00? -- $many"
	"many_10_alloc|10|--alloc -s fn_00? -- $many"
	"many_64|64|-s fn_0[0-5]? -s fn_06[0-3] -- $many"
	"many_255|255|-s fn_* -- $many"
)

# One run: prints "attach_ms detach_ms exit_ms" (multi: 1 or 0).
run_once() {
	local multi=$1 t0 t1 att cal det dur
	shift
	t0=$(date +%s%N)
	PIPETRACE_UPROBE_MULTI=$multi "$pt" -v --json "$tmp/r.json" "$@" \
		>/dev/null 2>"$tmp/err" || { tail -3 "$tmp/err" >&2; return 1; }
	t1=$(date +%s%N)
	att=$(sed -n 's/.*start: attached at \([0-9.]*\) ms.*/\1/p' "$tmp/err")
	cal=$(sed -n 's/.*start: calibrated at \([0-9.]*\) ms.*/\1/p' "$tmp/err")
	det=$(sed -n 's/.*end: detached in \([0-9.]*\) ms.*/\1/p' "$tmp/err")
	dur=$(jq .duration_ns "$tmp/r.json")
	awk -v a="$att" -v c="$cal" -v d="$det" -v w=$(((t1 - t0) / 1000)) \
		-v n="$dur" 'BEGIN { printf "%.1f %.1f %.1f\n", a - c, d,
			w / 1000 - a - n / 1e6 }'
}

stat() { # column -> "median min"
	sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
		printf "%.1f %.1f\n", m, v[1]}'
}

: >"$tmp/runs"
for ((r = 1; r <= reps; r++)); do
	for c in "${cases[@]}"; do
		IFS='|' read -r name n args <<<"$c"
		for multi in 1 0; do
			[ "$multi" = 0 ] && [ "$n" -gt "$slow" ] && continue
			# shellcheck disable=SC2086 # args split on purpose
			v=$(set -f; run_once "$multi" $args) || continue
			echo "$name $multi $v" >>"$tmp/runs"
			echo "bench-detach: run $r $name multi=$multi: attach/detach/exit ms $v" >&2
		done
	done
done

printf '%-16s %-9s %7s %8s %8s %8s %8s %8s\n' case links attach min detach min exit min
json="{}"
for c in "${cases[@]}"; do
	IFS='|' read -r name n _ <<<"$c"
	for multi in 1 0; do
		kind=$([ "$multi" = 1 ] && echo multi || echo per_probe)
		grep -q "^$name $multi " "$tmp/runs" || continue
		read -r am an < <(awk -v c="$name" -v m=$multi '$1==c && $2==m {print $3}' "$tmp/runs" | stat)
		read -r dm dn < <(awk -v c="$name" -v m=$multi '$1==c && $2==m {print $4}' "$tmp/runs" | stat)
		read -r em en < <(awk -v c="$name" -v m=$multi '$1==c && $2==m {print $5}' "$tmp/runs" | stat)
		runs=$(awk -v c="$name" -v m=$multi '$1==c && $2==m' "$tmp/runs" | wc -l)
		printf '%-16s %-9s %7s %8s %8s %8s %8s %8s\n' "$name" "$kind" "$am" "$an" "$dm" "$dn" "$em" "$en"
		json=$(jq -c --arg c "$name" --arg k "$kind" --argjson n "$n" \
			--argjson runs "$runs" --argjson am "$am" --argjson an "$an" \
			--argjson dm "$dm" --argjson dn "$dn" --argjson em "$em" \
			--argjson en "$en" \
			'.[$c].stages = $n | .[$c][$k] = {runs: $runs,
			attach_ms: {median: $am, min: $an},
			detach_ms: {median: $dm, min: $dn},
			exit_ms: {median: $em, min: $en}}' <<<"$json")
	done
done
mkdir -p "$out/bench"
jq -n --argjson cases "$json" --argjson reps "$reps" \
	'{part: "detach", reps: $reps, cases: $cases}' >"$out/bench/detach.json"
echo "bench-detach: wrote $out/bench/detach.json" >&2
