#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The per-call cost of tracing one function: pipetrace beside the kernel
# floor and its peers. Run by `make bench` (scripts/bench.sh); can be run
# alone (as root, after `make all .output/bench/floor`; it makes micro).
# Measures and prints; asserts nothing. Writes .output/bench/micro.json, which
# scripts/bench.sh merges into .output/bench/results.json.
#
#   BENCH_MICRO_REPS=N     interleaved repetitions of each tool (default
#                          BENCH_REPS, else 7)
#   BENCH_MICRO_N_f50ns=N  calls per run of a case (defaults below; the a*
#                          twin of a case makes as many calls)
#   MICRO_LOOPS=a,b,c      loop counts to use instead of calibrating
#
#   scripts/bench-micro.sh --calibrate   print the loop counts (a,b,c)
#
# tests/bench/micro.c has three non-inlined stages that spin a fixed loop count of
# about 50 ns, 1 us and 20 us (f50ns, f1us, f20us; calibrated once here and
# passed to every run in MICRO_LOOPS, so every run does the same work), and,
# where <pipetrace/stage.h> has PIPETRACE_ENTER, their annotated twins
# a50ns, a1us, a20us (5-byte-nop probe sites at entry and every exit).
# `micro FUNC N` times its own N-call loop with CLOCK_MONOTONIC: a tracer's
# start-up, attach, detach and report are outside it; only what it adds to
# each call is counted.
#
# Tools, interleaved within each repetition (f*: plain functions, a*: the
# annotated twins):
#   none              the -O2 binary alone                          f*, a*
#   floor             empty uprobe + uretprobe at the entry         f*
#                     (.output/bench/floor -e): the kernel floor
#   floor_nop5        empty plain uprobes at every nop5 site        a*
#                     (floor -u; sites from `pipetrace list --sites`)
#   pipetrace         pipetrace -s FUNC --json J (latency mode;     f*, a*
#                     on a*, --sites where pipetrace has it); also
#                     its reported mean vs. micro's truth_body_ns
#   pipetrace_stream  the same with --events FILE (every call a     f*, a*
#                     line): lost events, events/s (1e9 / ns_per_call)
#   bpftrace          uprobe+uretprobe pair feeding a hist(), -c    f*
#   none_pg           the -pg build alone (uftrace's binary)        f*
#   uftrace           uftrace record --no-libcall on the -pg build  f*
# added_ns_per_call = median(tool) - median(none) of the same case.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PT=$ROOT/.output/pipetrace
FLOOR=$ROOT/.output/bench/floor
OUT=$ROOT/.output/bench
MICRO=$OUT/micro
MICRO_PG=$OUT/micro-pg
reps=${BENCH_MICRO_REPS:-${BENCH_REPS:-7}}
plain_cases=(f50ns f1us f20us)
annot_cases=(a50ns a1us a20us)
plain_tools=(none floor pipetrace pipetrace_stream bpftrace none_pg uftrace)
annot_tools=(none floor_nop5 pipetrace pipetrace_stream)
# Calls per run. A uprobe+uretprobe pair costs several microseconds a call
# on the development VM, so N is sized for the traced runs (~1-2 s each;
# untraced: 50 ns case ~15 ms, 1 us ~0.15 s, 20 us ~0.6 s). Tracer start-up
# is outside the timed loop either way.
declare -A ncalls=([f50ns]=${BENCH_MICRO_N_f50ns:-200000}
	[f1us]=${BENCH_MICRO_N_f1us:-150000}
	[f20us]=${BENCH_MICRO_N_f20us:-30000})
for f in "${plain_cases[@]}"; do ncalls[a${f#f}]=${ncalls[$f]}; done

# The loop counts: the largest of 5 calibrations 0.2 s apart (the fastest
# the host ran them; a slow spell of the VM during a single calibration
# would make every function shorter than its name).
calibrate() {
	local i
	for ((i = 0; i < 5; i++)); do
		"$MICRO" --calibrate | sed -n 's/^MICRO_LOOPS=//p' | tr , ' '
		sleep 0.2
	done | awk '{for (k = 1; k <= 3; k++) if ($k > m[k]) m[k] = $k} END {print m[1] "," m[2] "," m[3]}'
}
if [ "${1:-}" = --calibrate ]; then
	make -s "${MICRO#"$ROOT"/}"
	calibrate
	exit 0
fi

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

mkdir -p "$OUT" .output/bench
make -s "${MICRO#"$ROOT"/}" "${MICRO_PG#"$ROOT"/}"

# The probe class decides a uprobe's cost (README: push %rbp is emulated,
# anything else single-stepped); say which one the plain stages got.
objdump -d --no-show-raw-insn "$MICRO" >"$tmp/micro.dis"
for f in "${plain_cases[@]}"; do
	insn=$(awk -v f="<$f>:" '$2 == f {getline; $1 = ""; print; exit}' "$tmp/micro.dis")
	case "$insn" in
	*"push"*"%rbp"*) ;;
	*) echo "bench-micro: warning: $f starts with '$insn', not push %rbp: probes are not on the emulated path" >&2 ;;
	esac
done

[ -n "${MICRO_LOOPS:-}" ] || MICRO_LOOPS=$(calibrate)
export MICRO_LOOPS
echo "bench-micro: $reps interleaved repetitions, loop counts (50ns,1us,20us) $MICRO_LOOPS" >&2

calc() { awk "BEGIN {printf \"$1\", $2}"; }
. scripts/bench-lib.sh
truth() { sed -n 's/.*truth_body_ns=\([-0-9.]*\).*/\1/p' "$1" | head -n1; }

# File offset of SYMBOL in ELF BINARY: its value, moved from the PT_LOAD
# segment that contains it to that segment's file offset.
file_off() { # BINARY SYMBOL
	local v typ off va fsz rest
	v=$(nm "$1" | awk -v s="$2" '$3 == s {print $1; exit}')
	[ -n "$v" ] || return 1
	v=$((16#$v))
	while read -r typ off va _ fsz rest; do
		[ "$typ" = LOAD ] || continue
		if ((v >= va && v < va + fsz)); then
			printf '0x%x\n' $((v - va + off))
			return 0
		fi
	done < <(readelf -lW "$1")
	return 1
}

# floor's probe options per case: -e at a plain stage's entry, -u at each
# nop5 site of an annotated one.
declare -A floor_args=()
for f in "${plain_cases[@]}"; do
	if o=$(file_off "$MICRO" "$f"); then floor_args[$f]="-e $o"; fi
done

run_none() { "$MICRO" "$1" "$2" >"$3" 2>&1; }
run_floor() { # FUNC N LOG
	# shellcheck disable=SC2086 # floor_args holds several options
	"$FLOOR" ${floor_args[$1]} "$MICRO" -- "$MICRO" "$1" "$2" >"$3" 2>&1
}
run_floor_nop5() { run_floor "$@"; }
# pipetrace's options for FUNC: --sites on an annotated twin where
# pipetrace has that option (probe the nop5 sites, not entry and return).
pt_opts() {
	echo "-s $1"
	case $1 in a*) [ -z "$sites_opt" ] || echo "$sites_opt" ;; esac
}
run_pipetrace() {
	# shellcheck disable=SC2046 # pt_opts prints one option a line
	"$PT" $(pt_opts "$1") --json "$tmp/pt.json" -- "$MICRO" "$1" "$2" >"$3" 2>&1
}
run_pipetrace_stream() {
	rm -f "$tmp/ev.tsv"
	# shellcheck disable=SC2046
	"$PT" $(pt_opts "$1") --events "$tmp/ev.tsv" --json "$tmp/pts.json" -- "$MICRO" "$1" "$2" >"$3" 2>&1
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

sites_opt=
if [ -x "$PT" ] && "$PT" --help 2>&1 | grep -qE '^ +--sites'; then sites_opt=--sites; fi

# Which cases and tools run; what cannot run is skipped with its reason.
declare -A skip=() case_skip=()
cases=("${plain_cases[@]}")
if "$MICRO" --list | grep -qx a1us; then
	cases+=("${annot_cases[@]}")
else
	for a in "${annot_cases[@]}"; do
		case_skip[$a]="not built: include/pipetrace/stage.h has no PIPETRACE_ENTER yet"
	done
	echo "bench-micro: ${annot_cases[*]} skipped: ${case_skip[a1us]}" >&2
fi
probe() { # TOOL CASE: one short run
	local log=$tmp/probe.log
	if "run_$1" "$2" 100 "$log" && [ -n "$(nspc "$log")" ]; then
		return 0
	fi
	skip[$1]="$(grep -v '^ *$' "$log" | grep -vi 'ns_per_call\|^micro:' | head -n1 | cut -c1-160)"
	[ -n "${skip[$1]}" ] || skip[$1]="failed with no message"
}
if [ ! -x "$PT" ]; then
	skip[pipetrace]="$PT not built (make)"
else
	probe pipetrace f20us
fi
if [ -n "${skip[pipetrace]:-}" ]; then
	skip[pipetrace_stream]=${skip[pipetrace]}
elif ! "$PT" --help 2>&1 | grep -q -- --events; then
	skip[pipetrace_stream]="this pipetrace has no --events option yet"
else
	probe pipetrace_stream f20us
fi
if [ ! -x "$FLOOR" ]; then
	skip[floor]="$FLOOR not built (make .output/bench/floor)"
elif [ -z "${floor_args[f20us]:-}" ]; then
	skip[floor]="no file offsets for the micro functions (nm, readelf)"
else
	probe floor f20us
fi
if [ -n "${case_skip[a1us]:-}" ]; then
	skip[floor_nop5]=${case_skip[a1us]}
elif [ -n "${skip[floor]:-}" ]; then
	skip[floor_nop5]=${skip[floor]}
elif ! "$PT" list --sites "$MICRO" >"$tmp/sites" 2>&1; then
	skip[floor_nop5]="pipetrace list --sites failed: $(head -n1 "$tmp/sites" | cut -c1-120)"
else
	# Lines "site  entry|exit  0xFILEOFF  FUNC".
	for a in "${annot_cases[@]}"; do
		o=$(awk -v f="$a" '$1 == "site" && $4 == f {printf " -u %s", $3}' "$tmp/sites")
		if [ -n "$o" ]; then floor_args[$a]=$o; fi
	done
	if [ -z "${floor_args[a20us]:-}" ]; then
		skip[floor_nop5]="pipetrace list --sites shows no site of a20us"
	else
		probe floor_nop5 a20us
	fi
fi
if command -v bpftrace >/dev/null 2>&1; then
	# bpftrace may want tracefs; mount it only if it is not there already.
	if ! mountpoint -q /sys/kernel/tracing && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
		mounted_tracefs=1
		echo "bench-micro: mounted tracefs on /sys/kernel/tracing (unmounted at exit)" >&2
	fi
	probe bpftrace f20us
else
	skip[bpftrace]="bpftrace not installed (scripts/install-deps.sh --bench)"
fi
if command -v uftrace >/dev/null 2>&1; then
	probe uftrace f20us
else
	skip[uftrace]="uftrace not installed (scripts/install-deps.sh --bench)"
fi
[ -z "${skip[uftrace]:-}" ] || skip[none_pg]="uftrace skipped: ${skip[uftrace]}"
for t in "${!skip[@]}"; do
	echo "bench-micro: $t skipped: ${skip[$t]}" >&2
done

tools_of() { # CASE: the tools that run on it
	local t all
	case $1 in f*) all=("${plain_tools[@]}") ;; *) all=("${annot_tools[@]}") ;; esac
	for t in "${all[@]}"; do
		[ -n "${skip[$t]:-}" ] || echo "$t"
	done
}

# The runs: per case, per repetition, every tool in turn.
for f in "${cases[@]}"; do
	n=${ncalls[$f]}
	mapfile -t tools < <(tools_of "$f")
	echo "bench-micro: $f, N=$n: ${tools[*]}" >&2
	for ((r = 0; r < reps; r++)); do
		for t in "${tools[@]}"; do
			log=$tmp/run.log
			"run_$t" "$f" "$n" "$log" || true
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
				pm=$(jq -r '.stages[0].latency_ns.mean' "$tmp/pt.json")
				pt=$(truth "$log")
				echo "$pm" >>"$tmp/$f.pt_mean"
				echo "$pt" >>"$tmp/$f.pt_truth"
				jq -r '.stages[0].latency_ns.p50' "$tmp/pt.json" >>"$tmp/$f.pt_p50"
				jq -r '.stages[0].probe_class // "?"' "$tmp/pt.json" >>"$tmp/$f.pipetrace.class"
				calc '%.2f\n' "($pm - $pt) / $pt * 100" >>"$tmp/$f.pt_err"
				;;
			pipetrace_stream)
				jq -r '.lost.events // "null"' "$tmp/pts.json" >>"$tmp/$f.st_lost"
				jq -r '.stages[0].calls' "$tmp/pts.json" >>"$tmp/$f.st_calls"
				jq -r '.stages[0].probe_class // "?"' "$tmp/pts.json" >>"$tmp/$f.pipetrace_stream.class"
				if [ -f "$tmp/ev.tsv" ]; then wc -l <"$tmp/ev.tsv"; else echo null; fi >>"$tmp/$f.st_lines"
				rm -f "$tmp/ev.tsv"
				;;
			esac
		done
	done
done

# Median and minimum of a file of numbers, as JSON (null when empty).
med() { [ -s "$1" ] && sort -g "$1" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}' || echo null; }
minof() { [ -s "$1" ] && sort -g "$1" | head -n1 || echo null; }
maxof() { [ -s "$1" ] && sort -g "$1" | tail -n1 || echo null; }
arr() { [ -s "$1" ] && printf '[%s]' "$(paste -sd, "$1")" || echo '[]'; }

printf '\n%-6s %-17s %12s %12s %12s %12s\n' "case" "tool" "ns/call med" "added med" "ns/call min" "added min"
echo '{}' >"$tmp/cases.json"
for f in "${plain_cases[@]}" "${annot_cases[@]}"; do
	if [ -n "${case_skip[$f]:-}" ]; then
		jq --arg f "$f" --arg why "${case_skip[$f]}" '.[$f] = {skipped: $why}' \
			"$tmp/cases.json" >"$tmp/c.json" && mv "$tmp/c.json" "$tmp/cases.json"
		printf '%-6s %-17s %12s\n' "$f" "-" "skipped"
		continue
	fi
	none_med=$(med "$tmp/$f.none")
	none_min=$(minof "$tmp/$f.none")
	case $f in f*) all=("${plain_tools[@]}") ;; *) all=("${annot_tools[@]}") ;; esac
	echo '{}' >"$tmp/tools.json"
	for t in "${all[@]}"; do
		if [ -n "${skip[$t]:-}" ]; then
			o=$(jq -n --arg why "${skip[$t]}" '{skipped: $why}')
			printf '%-6s %-17s %12s\n' "$f" "$t" "skipped"
		elif [ ! -s "$tmp/$f.$t" ]; then
			o='{"skipped": "every run failed"}'
			printf '%-6s %-17s %12s\n' "$f" "$t" "failed"
		else
			m=$(med "$tmp/$f.$t")
			mn=$(minof "$tmp/$f.$t")
			o=$(jq -n --argjson m "$m" --argjson mn "$mn" --argjson nm "$none_med" \
				--argjson nmn "$none_min" --argjson runs "$(arr "$tmp/$f.$t")" --arg t "$t" \
				'{ns_per_call: $m, min_ns_per_call: $mn, runs: $runs}
				 + if $t == "none" or $t == "none_pg" then {} else
				   {added_ns_per_call: (($m - $nm) * 10 | round / 10),
				    added_ns_per_call_of_mins: (($mn - $nmn) * 10 | round / 10)} end')
			printf '%-6s %-17s %12s %12s %12s %12s\n' "$f" "$t" "$m" \
				"$(jq -r '.added_ns_per_call // "-"' <<<"$o")" "$mn" \
				"$(jq -r '.added_ns_per_call_of_mins // "-"' <<<"$o")"
			case $t in
			pipetrace)
				o=$(jq --argjson mean "$(med "$tmp/$f.pt_mean")" --argjson p50 "$(med "$tmp/$f.pt_p50")" \
					--argjson tr "$(med "$tmp/$f.pt_truth")" --argjson err "$(med "$tmp/$f.pt_err")" \
					'. + {mean_ns: $mean, p50_ns: $p50, run_truth_body_ns: $tr, mean_err_pct: $err}' <<<"$o")
				printf '%-6s %-17s reported mean %s ns (p50 %s) vs truth_body_ns %s ns: %s%% (medians; error per run)\n' \
					"$f" "$t" "$(med "$tmp/$f.pt_mean")" "$(med "$tmp/$f.pt_p50")" \
					"$(med "$tmp/$f.pt_truth")" "$(med "$tmp/$f.pt_err")"
				;;
			pipetrace_stream)
				lost=null
				grep -qx null "$tmp/$f.st_lost" || lost=$(maxof "$tmp/$f.st_lost")
				o=$(jq --argjson lost "$lost" --argjson calls "$(arr "$tmp/$f.st_calls")" \
					--argjson lines "$(arr "$tmp/$f.st_lines")" \
					'. + {lost_events_max: $lost, events_per_s: (1e9 / .ns_per_call | round),
					      calls_reported: $calls, event_lines: $lines}' <<<"$o")
				printf '%-6s %-17s %s events/s in the timed loop, lost events (max over runs): %s\n' \
					"$f" "$t" "$(jq -r .events_per_s <<<"$o")" "$lost"
				;;
			esac
		fi
		if [ -s "$tmp/$f.$t.class" ]; then
			# The probe classes pipetrace reported (nop5 on an a* case with --sites).
			o=$(jq --arg c "$(sort -u "$tmp/$f.$t.class" | paste -sd,)" '. + {probe_class: $c}' <<<"$o")
		fi
		jq --arg t "$t" --argjson o "$o" '.[$t] = $o' "$tmp/tools.json" >"$tmp/t.json"
		mv "$tmp/t.json" "$tmp/tools.json"
	done
	jq --arg f "$f" --argjson n "${ncalls[$f]}" --argjson tr "$(med "$tmp/$f.truth")" \
		--slurpfile tools "$tmp/tools.json" \
		'.[$f] = {calls: $n, truth_body_ns: $tr, tools: $tools[0]}' \
		"$tmp/cases.json" >"$tmp/c.json" && mv "$tmp/c.json" "$tmp/cases.json"
done

jq -n --argjson reps "$reps" --arg loops "$MICRO_LOOPS" --slurpfile cases "$tmp/cases.json" '{
  reps: $reps,
  loops: $loops,
  note: "ns_per_call: median over reps of micro'\''s own timed loop / N (start-up, attach and detach outside it); added_ns_per_call: tool minus none of the same case; *_of_mins: minimum over reps less the minimum of none (robust to the host slowing the VM for seconds at a time); mean_err_pct: median over runs of (pipetrace'\''s reported mean latency, probe cost subtracted, minus the truth_body_ns of the same run) / that truth; truth_body_ns: median over the none runs; events_per_s: calls per second in the timed loop; lost_events_max: the report'\''s lost.events, max over runs (null: no such key)",
  cases: $cases[0]
}' >.output/bench/micro.json
echo "bench-micro: wrote .output/bench/micro.json" >&2
