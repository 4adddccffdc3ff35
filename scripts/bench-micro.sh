#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The per-call cost of tracing one function: pipetrace beside the kernel
# floor and its peers. Run by `make bench` (scripts/bench.sh); can be run
# alone (as root, after `make all .output/bench/floor`; it makes micro).
# Measures and prints; asserts nothing. Writes .output/bench/micro.json, which
# scripts/bench.sh merges into .output/bench/results.json.
#
#   BENCH_MICRO_REPS=N     repetitions (default BENCH_REPS, else 7)
#   BENCH_MICRO_N_f50ns=N  calls per run of a case (defaults below; the a*
#                          twin of a case makes as many calls)
#   BENCH_MICRO_PT_B=PATH  another pipetrace binary (say, main's) run as the
#                          tool pipetrace_b beside pipetrace: a before/after
#                          of pipetrace itself in one session
#   MICRO_LOOPS=a,b,c      loop counts to use instead of calibrating
#
#   scripts/bench-micro.sh --calibrate   print the loop counts (a,b,c)
#
# tests/bench/micro.c has three non-inlined stages that spin a fixed loop count of
# about 50 ns, 1 us and 20 us (f50ns, f1us, f20us; calibrated once here and
# passed to every run in MICRO_LOOPS, so every run does the same work), and,
# where <pipetrace/stage.h> has PIPETRACE_ENTER, their annotated twins
# a50ns, a1us, a20us (5-byte-nop probe sites at entry and every exit).
#
# Each run is an in-process A/B: `micro --ab FUNC N` calls FUNC and an
# identical unprobed twin (same body, another symbol no tracer probes) N
# times each, alternating in blocks, and prints added_ns_per_call: the
# median over block pairs of FUNC's time per call less the twin's. A host
# slow-down hits both sides of a pair, so it cancels instead of landing in
# one tool's run. A tracer's start-up, attach, detach and report are
# outside the timed loop.
#
# Tools (f*: plain functions, a*: the annotated twins):
#   none              the binary alone (added should be ~0: the     f*, a*
#                     method's own error)
#   floor             empty uprobe + uretprobe at the entry         f*
#                     (.output/bench/floor -e): the kernel floor
#   floor_nop5        empty plain uprobes at every nop5 site        a*
#                     (floor -u; sites from `pipetrace list --sites`)
#   pipetrace         pipetrace -s FUNC --json J (latency mode,     f*, a*
#                     the full time split; on a*, --sites); also
#                     its reported mean vs. micro's truth_body_ns
#   pipetrace_stream  the same with --events FILE (every call a     f*, a*
#                     line): lost events, events/s (1e9 / ns_per_call)
#   pipetrace_b       BENCH_MICRO_PT_B, as pipetrace (if set)       f*, a*
#   bpftrace          uprobe+uretprobe pair feeding a hist(), -c    f*
#   uftrace           uftrace record --no-libcall on the -pg build  f*
#                     (its twins have no mcount call)
#
# Order: repetition by repetition, every case in turn, every tool in turn
# (the tools' order rotated each repetition). Ratios are taken pairwise:
# repetition i of one tool against repetition i of the other (they cannot
# run at once), then the median and spread (min, max, quartiles) of those
# ratios; every raw figure is in micro.json.
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
plain_tools=(none floor pipetrace pipetrace_stream pipetrace_b bpftrace uftrace)
annot_tools=(none floor_nop5 pipetrace pipetrace_stream pipetrace_b)
PT_B=${BENCH_MICRO_PT_B:-}
# Calls per run (of FUNC, and as many of its twin). A uprobe+uretprobe pair
# costs several microseconds a call on the development VM, so N is sized
# for the traced runs (~0.15 s each when the host is idle; over a thousand
# block pairs). Tracer start-up is outside the timed loop either way.
declare -A ncalls=([f50ns]=${BENCH_MICRO_N_f50ns:-20000}
	[f1us]=${BENCH_MICRO_N_f1us:-15000}
	[f20us]=${BENCH_MICRO_N_f20us:-5000})
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
# A key=value figure of micro's line in log $2 (added_ns_per_call may be
# negative).
fig() { sed -n "s/.*[ ]$1=\([-0-9.]*\).*/\1/p; s/^$1=\([-0-9.]*\).*/\1/p" "$2" | head -n1; }

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

run_none() { "$MICRO" --ab "$1" "$2" >"$3" 2>&1; }
run_floor() { # FUNC N LOG
	# shellcheck disable=SC2086 # floor_args holds several options
	"$FLOOR" ${floor_args[$1]} "$MICRO" -- "$MICRO" --ab "$1" "$2" >"$3" 2>&1
}
run_floor_nop5() { run_floor "$@"; }
# pipetrace's options for FUNC: --sites on an annotated twin where
# pipetrace has that option (probe the nop5 sites, not entry and return).
pt_opts() {
	echo "-s $1"
	case $1 in a*) [ -z "$sites_opt" ] || echo "$sites_opt" ;; esac
}
run_pipetrace() { # FUNC N LOG [PIPETRACE]
	# shellcheck disable=SC2046 # pt_opts prints one option a line
	"${4:-$PT}" $(pt_opts "$1") --json "$tmp/pt.json" -- "$MICRO" --ab "$1" "$2" >"$3" 2>&1
}
run_pipetrace_b() { run_pipetrace "$1" "$2" "$3" "$PT_B"; }
run_pipetrace_stream() {
	rm -f "$tmp/ev.tsv"
	# shellcheck disable=SC2046
	"$PT" $(pt_opts "$1") --events "$tmp/ev.tsv" --json "$tmp/pts.json" -- "$MICRO" --ab "$1" "$2" >"$3" 2>&1
}
run_bpftrace() {
	bpftrace -e "uprobe:$MICRO:$1 { @s[tid] = nsecs; } uretprobe:$MICRO:$1 /@s[tid]/ { @h = hist(nsecs - @s[tid]); delete(@s[tid]); }" \
		-c "$MICRO --ab $1 $2" >"$3" 2>&1
}
run_uftrace() {
	rm -rf "$tmp/uft"
	# In $tmp: nothing of the -pg build (gmon.out) lands in the tree.
	(cd "$tmp" && uftrace record -d "$tmp/uft" --no-libcall "$MICRO_PG" --ab "$1" "$2") >"$3" 2>&1
}

# pipetrace's options, read whole first: `pipetrace --help | grep -q` under
# pipefail fails at random (grep exits at the first match, and pipetrace's
# next write takes SIGPIPE), which dropped --sites from the a* runs.
pt_help=
if [ -x "$PT" ]; then pt_help=$("$PT" --help 2>&1 || true); fi
sites_opt=
if grep -qE '^ +--sites' <<<"$pt_help"; then sites_opt=--sites; fi

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
	if "run_$1" "$2" 100 "$log" && [ -n "$(fig added_ns_per_call "$log")" ]; then
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
elif ! grep -q -- --events <<<"$pt_help"; then
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
if [ -z "$PT_B" ]; then
	skip[pipetrace_b]="BENCH_MICRO_PT_B not set"
elif [ ! -x "$PT_B" ]; then
	skip[pipetrace_b]="$PT_B is not an executable"
else
	probe pipetrace_b f20us
fi
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

# The runs: repetition by repetition, every case, every tool (rotated).
for f in "${cases[@]}"; do
	mapfile -t tools < <(tools_of "$f")
	echo "bench-micro: $f, N=${ncalls[$f]}: ${tools[*]}" >&2
done
for ((r = 0; r < reps; r++)); do
	echo "bench-micro: repetition $((r + 1))/$reps" >&2
	for f in "${cases[@]}"; do
		n=${ncalls[$f]}
		mapfile -t tools < <(tools_of "$f")
		k=$((r % ${#tools[@]}))
		for t in "${tools[@]:k}" "${tools[@]:0:k}"; do
			log=$tmp/run.log
			"run_$t" "$f" "$n" "$log" || true
			a=$(fig added_ns_per_call "$log")
			if [ -z "$a" ]; then
				echo "bench-micro: $t $f run $r failed: $(head -c 200 "$log")" >&2
				continue
			fi
			# rep added ns_per_call twin_ns_per_call added_mean_ns
			echo "$r $a $(fig ns_per_call "$log") $(fig twin_ns_per_call "$log") $(fig added_mean_ns "$log")" >>"$tmp/$f.$t"
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

# Median and maximum of a file of numbers, as JSON (null when empty).
med() { [ -s "$1" ] && median <"$1" || echo null; }
maxof() { [ -s "$1" ] && sort -g "$1" | tail -n1 || echo null; }
arr() { [ -s "$1" ] && printf '[%s]' "$(paste -sd, "$1")" || echo '[]'; }
# Column k of a run file.
col() { awk -v k="$2" '{print $k}' "$1"; }
# {median, min, max, q1, q3, n} of the numbers on standard input (null:
# none); quartiles interpolated between the sorted values.
stats() {
	sort -g | awk '{v[NR] = $1}
		function q(p,  h, l) { h = 1 + (NR - 1) * p; l = int(h); return (l >= NR) ? v[NR] : v[l] + (h - l) * (v[l + 1] - v[l]) }
		END { if (NR == 0) { print "null"; exit }
			printf "{\"median\": %.4g, \"min\": %.4g, \"max\": %.4g, \"q1\": %.4g, \"q3\": %.4g, \"n\": %d}\n", q(0.5), v[1], v[NR], q(0.25), q(0.75), NR }'
}
# The pairwise ratios of added ns per call, repetition i of run file $1
# over repetition i of run file $2, as stats with the ratios themselves.
ratio() {
	local r
	if [ ! -s "$1" ] || [ ! -s "$2" ]; then
		echo null
		return
	fi
	r=$(awk 'NR == FNR {a[$1] = $2; next} ($1 in a) && $2 != 0 {printf "%.4f\n", a[$1] / $2}' "$1" "$2")
	[ -n "$r" ] || { echo null; return; }
	jq -n --argjson s "$(stats <<<"$r")" --argjson runs "[$(paste -sd, <<<"$r")]" '$s + {runs: $runs}'
}

printf '\n%-6s %-17s %12s %21s %12s %12s\n' "case" "tool" "added med" "added q1..q3" "ns/call med" "twin med"
echo '{}' >"$tmp/cases.json"
for f in "${plain_cases[@]}" "${annot_cases[@]}"; do
	if [ -n "${case_skip[$f]:-}" ]; then
		jq --arg f "$f" --arg why "${case_skip[$f]}" '.[$f] = {skipped: $why}' \
			"$tmp/cases.json" >"$tmp/c.json" && mv "$tmp/c.json" "$tmp/cases.json"
		printf '%-6s %-17s %12s\n' "$f" "-" "skipped"
		continue
	fi
	case $f in f*) all=("${plain_tools[@]}") ;; *) all=("${annot_tools[@]}") ;; esac
	echo '{}' >"$tmp/tools.json"
	for t in "${all[@]}"; do
		rf=$tmp/$f.$t
		if [ -n "${skip[$t]:-}" ]; then
			o=$(jq -n --arg why "${skip[$t]}" '{skipped: $why}')
			printf '%-6s %-17s %12s\n' "$f" "$t" "skipped"
		elif [ ! -s "$rf" ]; then
			o='{"skipped": "every run failed"}'
			printf '%-6s %-17s %12s\n' "$f" "$t" "failed"
		else
			st=$(col "$rf" 2 | stats)
			o=$(jq -n --argjson st "$st" --argjson ns "$(col "$rf" 3 | median)" \
				--argjson tw "$(col "$rf" 4 | median)" --argjson am "$(col "$rf" 5 | median)" \
				--argjson runs "$(awk '{printf "%s{\"rep\": %d, \"added_ns_per_call\": %s, \"ns_per_call\": %s, \"twin_ns_per_call\": %s, \"added_mean_ns\": %s}", (NR > 1 ? "," : "["), $1, $2, $3, $4, $5} END {print "]"}' "$rf")" \
				'{added_ns_per_call: $st.median, added: $st, ns_per_call: $ns,
				  twin_ns_per_call: $tw, added_mean_ns: $am, runs: $runs}')
			printf '%-6s %-17s %12s %21s %12s %12s\n' "$f" "$t" "$(jq -r .median <<<"$st")" \
				"$(jq -r '"\(.q1)..\(.q3)"' <<<"$st")" "$(jq -r .ns_per_call <<<"$o")" \
				"$(jq -r .twin_ns_per_call <<<"$o")"
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

# The pairwise ratios: NAME CASE NUM_CASE.NUM_TOOL DEN_CASE.DEN_TOOL.
echo '{}' >"$tmp/ratios.json"
add_ratio() {
	local v
	v=$(ratio "$tmp/$3" "$tmp/$4")
	jq --arg n "$1" --arg c "$2" --argjson v "$v" '.[$n][$c] = $v' "$tmp/ratios.json" >"$tmp/r.json"
	mv "$tmp/r.json" "$tmp/ratios.json"
}
for f in "${plain_cases[@]}"; do
	a=a${f#f}
	for p in pipetrace pipetrace_b; do
		add_ratio "${p}_vs_floor" "$f" "$f.$p" "$f.floor"
		add_ratio "${p}_vs_floor" "$a" "$a.$p" "$a.floor_nop5"
		add_ratio "${p}_vs_bpftrace" "$f" "$f.$p" "$f.bpftrace"
		add_ratio "${p}_nop5_vs_bpftrace" "$a" "$a.$p" "$f.bpftrace"
	done
	add_ratio floor_vs_bpftrace "$f" "$f.floor" "$f.bpftrace"
	add_ratio floor_nop5_vs_bpftrace "$a" "$a.floor_nop5" "$f.bpftrace"
	for c in "$f" "$a"; do
		add_ratio streaming_vs_latency "$c" "$c.pipetrace_stream" "$c.pipetrace"
		add_ratio pipetrace_vs_pipetrace_b "$c" "$c.pipetrace" "$c.pipetrace_b"
	done
done
echo
echo "pairwise ratios of added ns per call: median [min..max] (q1..q3)"
jq -r 'to_entries[] | .key as $n | .value | to_entries[] | select(.value != null) |
	"  \($n) \(.key): \(.value.median) [\(.value.min)..\(.value.max)] (\(.value.q1)..\(.value.q3)), n=\(.value.n)"' "$tmp/ratios.json"

jq -n --argjson reps "$reps" --arg loops "$MICRO_LOOPS" --slurpfile cases "$tmp/cases.json" \
	--slurpfile ratios "$tmp/ratios.json" --arg ptb "$PT_B" '{
  reps: $reps,
  loops: $loops,
  pipetrace_b: (if $ptb == "" then null else $ptb end),
  note: "Every run an in-process A/B (micro --ab FUNC N): FUNC and an identical unprobed twin alternating in blocks in one process. added_ns_per_call: median over the repetitions of each run'\''s added ns per call (the median over its block pairs of FUNC'\''s ns per call less the twin'\''s); added: its median, min, max and quartiles over the repetitions; ns_per_call, twin_ns_per_call, added_mean_ns (difference of the run'\''s totals): medians over the repetitions; runs: every run. ratios: of added ns per call, taken pairwise (repetition i of one tool over repetition i of the other), then median, min, max and quartiles of the ratios. mean_err_pct: median over runs of (pipetrace'\''s reported mean latency, probe cost subtracted, minus the truth_body_ns of the same run) / that truth; truth_body_ns: median over the none runs; events_per_s: calls per second of FUNC in the timed loop; lost_events_max: the report'\''s lost.events, max over runs (null: no such key)",
  cases: $cases[0],
  ratios: $ratios[0]
}' >.output/bench/micro.json
echo "bench-micro: wrote .output/bench/micro.json" >&2
