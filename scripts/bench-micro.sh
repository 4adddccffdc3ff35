#!/usr/bin/env bash
# The per-call cost of tracing one function, pipetrace beside its peers.
# Run by `make bench` after scripts/bench.sh; can be run alone (as root,
# after `make`). Measures and prints; asserts nothing. Writes bench/micro.json.
#
#   BENCH_MICRO_REPS=N     interleaved repetitions of each tool (default 5)
#   BENCH_MICRO_N_f50ns=N  calls per run of a case (defaults below)
#
# bench/micro.c has three non-inlined stages that spin a fixed loop count of
# about 50 ns, 1 us and 20 us (calibrated once here and passed to every run
# in MICRO_LOOPS, so every run does the same work). `micro FUNC N` times its
# own N-call loop with CLOCK_MONOTONIC: a tracer's start-up, attach, detach
# and report are outside it, only what it adds to each call is counted.
#
# Tools, interleaved within each repetition:
#   none       the -O2 binary alone
#   pipetrace  pipetrace -s FUNC --json J -- micro FUNC N
#              (also: its reported mean latency vs. micro's truth_body_ns)
#   bpftrace   uprobe+uretprobe pair feeding a hist(), bpftrace -c
#   none-pg    the -pg build alone (uftrace's binary, for reference)
#   uftrace    uftrace record --no-libcall on the -pg build
# added_ns_per_call = median(tool) - median(none), per case.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PT=$ROOT/.output/pipetrace
OUT=$ROOT/.output/bench
MICRO=$OUT/micro
MICRO_PG=$OUT/micro-pg
reps=${BENCH_MICRO_REPS:-5}
cases=(f50ns f1us f20us)
# Calls per run. A uprobe+uretprobe pair costs several microseconds a call
# on the development VM, so N is sized for the traced runs (~1.5-3 s each;
# untraced: 50 ns case ~35 ms, 1 us ~0.2 s, 20 us ~0.6 s). Tracer start-up
# is outside the timed loop either way.
declare -A ncalls=([f50ns]=${BENCH_MICRO_N_f50ns:-400000}
	[f1us]=${BENCH_MICRO_N_f1us:-200000}
	[f20us]=${BENCH_MICRO_N_f20us:-30000})

[ "$(id -u)" -eq 0 ] || { echo "bench-micro: needs root to load BPF programs" >&2; exit 1; }
tmp=$(mktemp -d /tmp/pt-bench-micro.XXXXXX)
mounted_tracefs=
cleanup() {
	rm -rf "$tmp"
	if [ -n "$mounted_tracefs" ]; then
		umount /sys/kernel/tracing && echo "bench-micro: unmounted tracefs from /sys/kernel/tracing" >&2
	fi
}
trap cleanup EXIT

mkdir -p "$OUT" bench
cc -O2 -g -fno-omit-frame-pointer -Iinclude bench/micro.c -o "$MICRO"
cc -O2 -g -pg -fno-omit-frame-pointer -Iinclude bench/micro.c -o "$MICRO_PG"

# The probe class decides a uprobe's cost (README: push %rbp is emulated,
# anything else single-stepped); say which one these stages got.
objdump -d --no-show-raw-insn "$MICRO" >"$tmp/micro.dis"
for f in "${cases[@]}"; do
	insn=$(awk -v f="<$f>:" '$2 == f {getline; $1 = ""; print; exit}' "$tmp/micro.dis")
	case "$insn" in
	*"push"*"%rbp"*) ;;
	*) echo "bench-micro: warning: $f starts with '$insn', not push %rbp: probes are not on the emulated path" >&2 ;;
	esac
done

MICRO_LOOPS=$("$MICRO" --calibrate | sed -n 's/^MICRO_LOOPS=//p')
export MICRO_LOOPS
echo "bench-micro: $reps interleaved repetitions, loop counts (50ns,1us,20us) $MICRO_LOOPS" >&2

# Prints the median of the numbers on stdin.
calc() { awk "BEGIN {printf \"$1\", $2}"; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) exit; print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
nspc() { sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p' "$1" | head -n1; }
truth() { sed -n 's/.*truth_body_ns=\([-0-9.]*\).*/\1/p' "$1" | head -n1; }

run_pipetrace() { # FUNC N LOG
	"$PT" -s "$1" --json "$tmp/pt.json" -- "$MICRO" "$1" "$2" >"$3" 2>&1
}
run_bpftrace() {
	bpftrace -e "uprobe:$MICRO:$1 { @s[tid] = nsecs; } uretprobe:$MICRO:$1 /@s[tid]/ { @h = hist(nsecs - @s[tid]); delete(@s[tid]); }" \
		-c "$MICRO $1 $2" >"$3" 2>&1
}
run_uftrace() {
	rm -rf "$tmp/uft"
	# In $tmp: nothing of the -pg build (gmon.out) lands in the tree.
	(cd "$tmp" && uftrace record -d "$tmp/uft" --no-libcall "$MICRO_PG" "$1" "$2") >"$3" 2>&1
}
run_none_pg() { (cd "$tmp" && "$MICRO_PG" "$1" "$2") >"$3" 2>&1; }

# Which tools run; a tool that cannot run is skipped with its reason.
tools=(none)
declare -A skip=()
probe() { # TOOL: one short run of the 20 us case
	local log=$tmp/probe.log
	if "run_$1" f20us 100 "$log" && [ -n "$(nspc "$log")" ]; then
		tools+=("$2")
	else
		skip[$2]="$(grep -v '^ *$' "$log" | grep -vi 'ns_per_call\|^micro:' | head -n1 | tr -d '"\\' | cut -c1-160)"
		[ -n "${skip[$2]}" ] || skip[$2]="failed with no message"
		echo "bench-micro: $2 skipped: ${skip[$2]}" >&2
	fi
}
if [ -x "$PT" ]; then probe pipetrace pipetrace; else skip[pipetrace]="$PT not built (make)"; fi
if command -v bpftrace >/dev/null 2>&1; then
	# bpftrace may want tracefs; mount it only if it is not there already.
	if ! mountpoint -q /sys/kernel/tracing && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
		mounted_tracefs=1
		echo "bench-micro: mounted tracefs on /sys/kernel/tracing (unmounted at exit)" >&2
	fi
	probe bpftrace bpftrace
else
	skip[bpftrace]="bpftrace not installed (scripts/install-deps.sh --bench)"
fi
if command -v uftrace >/dev/null 2>&1; then
	tools+=(none-pg)
	probe uftrace uftrace
else
	skip[uftrace]="uftrace not installed (scripts/install-deps.sh --bench)"
fi
for t in pipetrace bpftrace uftrace; do
	[ -z "${skip[$t]:-}" ] || echo "bench-micro: $t skipped: ${skip[$t]}" >&2
done

# The runs: per case, per repetition, every tool in turn.
for f in "${cases[@]}"; do
	n=${ncalls[$f]}
	echo "bench-micro: $f, N=$n: ${tools[*]}" >&2
	for ((r = 0; r < reps; r++)); do
		for t in "${tools[@]}"; do
			log=$tmp/run.log
			case $t in
			none) "$MICRO" "$f" "$n" >"$log" 2>&1 ;;
			*) "run_${t//-/_}" "$f" "$n" "$log" || true ;;
			esac
			v=$(nspc "$log")
			if [ -z "$v" ]; then
				echo "bench-micro: $t $f run $r failed: $(head -c 200 "$log")" >&2
				continue
			fi
			echo "$v" >>"$tmp/$f.$t"
			case $t in
			none) truth "$log" >>"$tmp/$f.truth" ;;
			pipetrace)
				# Its mean against the truth pass of the same run (the
				# host's speed drifts between runs on this VM).
				pm=$(sed -n 's/.*"mean": *\([0-9.]*\).*/\1/p' "$tmp/pt.json" | head -n1)
				pt=$(truth "$log")
				echo "$pm" >>"$tmp/$f.pt_mean"
				echo "$pt" >>"$tmp/$f.pt_truth"
				sed -n 's/.*"p50": *\([0-9.]*\).*/\1/p' "$tmp/pt.json" | head -n1 >>"$tmp/$f.pt_p50"
				calc '%.2f\n' "($pm - $pt) / $pt * 100" >>"$tmp/$f.pt_err"
				;;
			esac
		done
	done
done

med() { [ -s "$1" ] && median <"$1" || true; }
minof() { [ -s "$1" ] && sort -g "$1" | head -n1 || true; }
jnum() { [ -n "$1" ] && echo "$1" || echo null; }

printf '\n%-8s %-10s %12s %12s %12s %12s\n' "case" "tool" "ns/call med" "added med" "ns/call min" "added min"
json_cases=""
for f in "${cases[@]}"; do
	none_med=$(med "$tmp/$f.none")
	none_min=$(minof "$tmp/$f.none")
	tjson=""
	declare -A added=()
	for t in none pipetrace bpftrace none-pg uftrace; do
		key=$t
		if [ -n "${skip[$t]:-}" ] || { [ "$t" = none-pg ] && [ -n "${skip[uftrace]:-}" ]; }; then
			[ "$t" = none-pg ] && continue
			printf '%-8s %-10s %12s\n' "$f" "$t" "skipped"
			tjson+="${tjson:+, }\"$key\": {\"skipped\": \"${skip[$t]}\"}"
			continue
		fi
		m=$(med "$tmp/$f.$t")
		if [ -z "$m" ]; then
			printf '%-8s %-10s %12s\n' "$f" "$t" "failed"
			tjson+="${tjson:+, }\"$key\": {\"skipped\": \"every run failed\"}"
			continue
		fi
		a=$(calc '%.1f' "$m - $none_med")
		mn=$(minof "$tmp/$f.$t")
		amn=$(calc '%.1f' "$mn - $none_min")
		added[$t]=$a
		printf '%-8s %-10s %12s %12s %12s %12s\n' "$f" "$t" "$m" "$a" "$mn" "$amn"
		tjson+="${tjson:+, }\"$key\": {\"ns_per_call\": $m, \"added_ns_per_call\": $a, \"min_ns_per_call\": $mn, \"added_ns_per_call_of_mins\": $amn, \"runs\": [$(paste -sd, "$tmp/$f.$t")]}"
	done
	ratio=null
	if [ -n "${added[pipetrace]:-}" ] && [ -n "${added[bpftrace]:-}" ]; then
		ratio=$(calc '%.3f' "${added[bpftrace]} != 0 ? ${added[pipetrace]} / ${added[bpftrace]} : 0")
	fi
	truth_med=$(med "$tmp/$f.truth")
	pt_mean=$(med "$tmp/$f.pt_mean")
	pt_truth=$(med "$tmp/$f.pt_truth")
	pt_p50=$(med "$tmp/$f.pt_p50")
	err=$(med "$tmp/$f.pt_err")
	err=${err:-null}
	if [ "$err" != null ]; then
		printf '%-8s %-10s reported mean %s ns (p50 %s) vs truth_body_ns %s ns: %+.2f%% (medians; error per run)\n' \
			"$f" pipetrace "$pt_mean" "$pt_p50" "$pt_truth" "$err"
	fi
	printf '%-8s %-10s added ns vs bpftrace: x%s\n' "$f" pipetrace "$ratio"
	json_cases+="${json_cases:+,
}    \"$f\": {\"calls\": ${ncalls[$f]}, \"truth_body_ns\": $(jnum "$truth_med"), \"tools\": {$tjson},
      \"pipetrace_vs_bpftrace\": $ratio,
      \"pipetrace_mean_ns\": $(jnum "$pt_mean"), \"pipetrace_p50_ns\": $(jnum "$pt_p50"), \"pipetrace_run_truth_body_ns\": $(jnum "$pt_truth"), \"pipetrace_mean_err_pct\": $err}"
	unset added
done

cat >bench/micro.json <<JSON
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": "$(uname -r), $(nproc) CPUs",
  "reps": $reps,
  "loops": "$MICRO_LOOPS",
  "note": "ns_per_call: median over reps of micro's own loop time / N; added_ns_per_call: tool minus none; pipetrace_vs_bpftrace: ratio of added ns; *_of_mins: minimum over reps, less the minimum of none (robust to the host slowing the VM for seconds at a time); pipetrace_mean_err_pct: median over runs of (pipetrace's reported mean latency, probe cost subtracted, minus the truth_body_ns of the same run) / that truth; truth_body_ns: median over the none runs",
  "cases": {
$json_cases
  }
}
JSON
echo "bench-micro: wrote bench/micro.json" >&2
