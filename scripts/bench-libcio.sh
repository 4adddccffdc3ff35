#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, libc I/O part: what --syscalls light's uprobes on the traced
# program's own libc I/O wrappers add to each of its I/O calls. Measures,
# prints, writes .output/bench/libcio.json; asserts nothing.
#
#   BENCH_REPS=N   repetitions, each variant in turn (default 7, at least 5)
#
# Workload: tests/bench/iocall (N one-byte write()s to /dev/null through
# libc, then N through syscall(2), which no libc probe sees; blocks of
# each in turn; per call its thread CPU time, so run-queue waits on a busy
# host count in neither). Its libc-minus-raw difference under
#   none          no tracer
#   libc          pipetrace --syscalls libc -s main (the libc I/O probes)
#   light         pipetrace -s main (the default --syscalls light: none)
#   exact         pipetrace --syscalls exact -s main (tracepoints, no probes)
# less the difference under none is the cost per libc I/O call.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/bench-lib.sh
out=${OUTPUT:-.output}
pt=$out/pipetrace
prog=$out/bench/iocall
reps=${BENCH_REPS:-7}
[ "$reps" -ge 5 ] || reps=5
n=20000
blocks=11
tmp=$(mktemp -d /tmp/pt-bench-libcio.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

[ -x "$prog" ] || make -s "$prog" >/dev/null
if [ "$(id -u)" != 0 ]; then
	echo "bench-libcio: skipped: needs root to load BPF" >&2
	exit 0
fi

# Runs iocall under variant $1; appends its diff_ns to $tmp/$1 and its
# libc_ns to $tmp/$1.libc.
run() {
	local line
	case $1 in
	none) line=$("$prog" $n $blocks) ;;
	libc) line=$("$pt" --syscalls libc -s main -j "$tmp/r.json" -- "$prog" $n $blocks 2>"$tmp/err") ;;
	light) line=$("$pt" -s main -j "$tmp/r.json" -- "$prog" $n $blocks 2>"$tmp/err") ;;
	exact) line=$("$pt" --syscalls exact -s main -j "$tmp/r.json" -- "$prog" $n $blocks 2>"$tmp/err") ;;
	esac || { cat "$tmp/err" >&2; return 1; }
	sed -n 's/.*diff_ns=\([-0-9.]*\).*/\1/p' <<<"$line" >>"$tmp/$1"
	sed -n 's/.*libc_ns=\([-0-9.]*\).*/\1/p' <<<"$line" >>"$tmp/$1.libc"
}

variants="none libc light exact"
echo "bench-libcio: $reps rounds of $variants: iocall $n x $blocks blocks" >&2
for ((r = 0; r < reps; r++)); do
	for v in $variants; do run "$v"; done
done

# "median min max" of file $1's numbers.
stats() { sort -g "$1" | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; print m, v[1], v[NR]}'; }

read -r base _ _ < <(stats "$tmp/none")
json=$(jq -n --argjson reps "$reps" --argjson n $n --argjson b $blocks \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{reps: $reps, load_average: $load,
	command: "iocall \($n) \($b): blocks of \($n) write(fd, 1 byte) to /dev/null, libc wrapper vs syscall(2), per call thread CPU ns",
	note: "added_ns_per_io_call: median over the runs of (libc - raw) under the variant, less the median of the same untraced (none); min/max over the runs; libc_ns: the libc calls themselves", cases: {}}')
for v in $variants; do
	read -r dm dmin dmax < <(stats "$tmp/$v")
	read -r lm _ _ < <(stats "$tmp/$v.libc")
	json=$(jq --arg v "$v" --argjson dm "$dm" --argjson dmin "$dmin" --argjson dmax "$dmax" \
		--argjson lm "$lm" --argjson base "$base" \
		--argjson runs "[$(paste -sd, "$tmp/$v")]" \
		'.cases[$v] = {diff_ns: $dm, diff_ns_min: $dmin, diff_ns_max: $dmax, libc_ns: $lm, diff_runs: $runs,
		  added_ns_per_io_call: (($dm - $base) * 10 | round / 10)}' <<<"$json")
	printf 'libcio %-13s libc-raw %8.1f ns (%s..%s)  added per I/O call %+8.1f ns  (libc write %8.1f ns)\n' \
		"$v" "$dm" "$dmin" "$dmax" "$(jq ".cases.$v.added_ns_per_io_call" <<<"$json")" "$lm"
done
mkdir -p "$out/bench"
echo "$json" >"$out/bench/libcio.json"
echo "bench-libcio: wrote $out/bench/libcio.json" >&2
