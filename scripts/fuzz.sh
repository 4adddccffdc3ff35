#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Coverage-guided fuzzing of the parsers that read hostile input:
# /proc/PID/maps (tests/fuzz/fuzz_procmaps.c), ELF objects
# (tests/fuzz/fuzz_elf.c), folded stacks and folded files, plain or gzip
# (tests/fuzz/fuzz_folded.c, which also checks the flame graph SVG is
# well-formed), /proc/kallsyms (fuzz_kallsyms.c), /proc/PID/cmdline,
# status and stat and a script's #! line (fuzz_procinfo.c), the command
# line and -s specs
# (fuzz_opts.c), the pipe graph's /proc/PID/fd links, fdinfo and
# schedstat (fuzz_pipes.c), the symbolizer on a hostile object and debug
# file mapped into the harness (fuzz_symbolize.c) and a Go binary's
# .gopclntab (fuzz_gopclntab.c). Builds each
# harness with clang + libFuzzer + ASan + UBSan into $OUTPUT/fuzz/, seeds
# its corpus from the fixtures, runs it for SECONDS (default 60) and exits
# non-zero if any target crashed.
#
#   scripts/fuzz.sh [SECONDS] [NAME...]
#
# With NAMEs (procmaps, elf, folded, kallsyms, procinfo, opts, pipes,
# symbolize, gopclntab)
# only those run.
# The corpora under $OUTPUT/fuzz/corpus/ are kept between runs; crashing
# inputs go to $OUTPUT/fuzz/artifacts/. Reproduce one with
#   $OUTPUT/fuzz/fuzz_elf $OUTPUT/fuzz/artifacts/elf-crash-...
set -euo pipefail

secs=${1:-60}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [NAME...]" >&2
	exit 2
	;;
esac
[ $# -gt 0 ] && shift
only=" $* "

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
output=${OUTPUT:-.output}
out=$output/fuzz
clang=${CLANG:-clang}
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -std=gnu11
	-Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -Isrc)

mkdir -p "$out/corpus/procmaps" "$out/corpus/elf" "$out/artifacts"

# libFuzzer's runtime comes with compiler-rt: install it only if missing.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' \
	>"$probe/probe.c"
if ! "$clang" -fsanitize=fuzzer "$probe/probe.c" -o "$probe/probe" 2>/dev/null; then
	if ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
		echo "fuzz: installing libclang-rt-14-dev" >&2
		sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get install -y libclang-rt-14-dev >/dev/null ||
			{ $sudo apt-get update >/dev/null &&
				$sudo apt-get install -y libclang-rt-14-dev >/dev/null; }
	fi
	"$clang" -fsanitize=fuzzer "$probe/probe.c" -o "$probe/probe"
fi

# The code a harness does not fuzz comes from the library (uninstrumented).
make -s "$output/libpipetrace-core.a" OUTPUT="$output"
core=("$output/libpipetrace-core.a" -lbpf -ldw -lelf -lz -ljson-c -liberty -lcapstone -lm -lpthread)

echo "  FUZZCC   $out/fuzz_procmaps"
"$clang" "${cflags[@]}" tests/fuzz/fuzz_procmaps.c src/symbols/procmaps.c src/util/readfile.c \
	-o "$out/fuzz_procmaps"
echo "  FUZZCC   $out/fuzz_elf"
"$clang" "${cflags[@]}" tests/fuzz/fuzz_elf.c src/symbols/elfsyms.c src/symbols/gopclntab.c \
	-lelf -ldw -lz -o "$out/fuzz_elf"
echo "  FUZZCC   $out/fuzz_folded"
"$clang" "${cflags[@]}" tests/fuzz/fuzz_folded.c src/output/folded.c \
	src/output/flamegraph.c "${core[@]}" -lexpat -o "$out/fuzz_folded"
echo "  FUZZCC   $out/fuzz_kallsyms" # /proc/kallsyms
"$clang" "${cflags[@]}" tests/fuzz/fuzz_kallsyms.c src/symbols/kallsyms.c src/util/readfile.c src/util/log.c \
	-lbpf -o "$out/fuzz_kallsyms"
echo "  FUZZCC   $out/fuzz_procinfo" # /proc/PID/cmdline, status, stat
"$clang" "${cflags[@]}" tests/fuzz/fuzz_procinfo.c src/collect/procinfo.c src/target/target.c \
	src/util/readfile.c "${core[@]}" -o "$out/fuzz_procinfo"
echo "  FUZZCC   $out/fuzz_opts" # trace and list options, -s specs
"$clang" "${cflags[@]}" tests/fuzz/fuzz_opts.c src/cli/opts.c src/cli/cmd_list.c \
	src/target/spec.c "${core[@]}" -o "$out/fuzz_opts"
echo "  FUZZCC   $out/fuzz_pipes" # /proc/PID/fd links, fdinfo, schedstat, sock_diag
"$clang" "${cflags[@]}" tests/fuzz/fuzz_pipes.c src/collect/pipes.c src/collect/unixdiag.c \
	src/util/readfile.c "${core[@]}" -o "$out/fuzz_pipes"
echo "  FUZZCC   $out/fuzz_symbolize" # symbolize.c on hostile objects
"$clang" "${cflags[@]}" tests/fuzz/fuzz_symbolize.c src/symbols/symbolize.c \
	src/symbols/procmaps.c src/symbols/gopclntab.c src/util/readfile.c "${core[@]}" \
	-o "$out/fuzz_symbolize"
echo "  FUZZCC   $out/fuzz_gopclntab" # a Go binary's function table
"$clang" "${cflags[@]}" tests/fuzz/fuzz_gopclntab.c src/symbols/gopclntab.c \
	-lelf -o "$out/fuzz_gopclntab"

# Seeds: the maps fixtures, and the ELF fixtures (built by make).
cp tests/fixtures/maps/*.txt "$out/corpus/procmaps/"
if make -s fixtures OUTPUT="$output" >/dev/null; then
	for f in "$output"/fixtures/*; do
		[ -f "$f" ] && cp "$f" "$out/corpus/elf/seed-$(basename "$f")"
	done
else
	echo "fuzz: could not build the ELF fixtures; seeding with /bin/true" >&2
	cp /bin/true "$out/corpus/elf/seed-true"
fi
# Seed for folded stacks: a few lines of each kind.
mkdir -p "$out/corpus/folded"
printf '%s\n' 'stage_read;read_batch;fread 240' \
	'stage_write;fsync;entry_SYSCALL_64_[k];do_fsync_[k];[io] 160' \
	'stage_features;pthread_mutex_lock;[lock] 220' \
	'stage_score;operator new(unsigned long) 7' ';;x 1' \
	'stage_read;read_batch;fread 18446744073709551375' \
	>"$out/corpus/folded/seed-lines"
mkdir -p "$out/corpus/kallsyms"
cp tests/fuzz/kallsyms_seed.txt "$out/corpus/kallsyms/seed-lines"
# A gzip-compressed folded file, whole and cut short.
printf 'a;b 1\nc 2\n' | gzip -c >"$out/corpus/folded/seed-gz"
head -c 20 "$out/corpus/folded/seed-gz" >"$out/corpus/folded/seed-gz-cut"
# /proc files of this shell, and a hostile command line.
mkdir -p "$out/corpus/procinfo" "$out/corpus/opts" "$out/corpus/symbolize"
# A Go binary's .gopclntab (a small program built here), if go is there.
mkdir -p "$out/corpus/gopclntab"
gotmp=$(mktemp -d)
if command -v go >/dev/null &&
	GOCACHE=$gotmp/cache GOPATH=$gotmp/path GO111MODULE=off GOFLAGS= \
		go build -ldflags='-s -w' -o "$gotmp/prog" tests/fixtures/fixture_go.go &&
	objcopy -O binary --only-section=.gopclntab "$gotmp/prog" \
		"$out/corpus/gopclntab/seed-go"; then
	head -c 4096 "$out/corpus/gopclntab/seed-go" >"$out/corpus/gopclntab/seed-go-cut"
else
	printf '\360\377\377\377\0\0\1\10' >"$out/corpus/gopclntab/seed-header"
fi
rm -rf "$gotmp"
cp /proc/self/status "$out/corpus/procinfo/seed-status"
cp /proc/self/stat "$out/corpus/procinfo/seed-stat"
printf 'a\0b c\0\033[2J\0' >"$out/corpus/procinfo/seed-cmdline"
# Pipe graph: a link, this shell's fdinfo and schedstat.
mkdir -p "$out/corpus/pipes"
printf 'pipe:[4026532]' >"$out/corpus/pipes/seed-link"
printf 'socket:[1]' >"$out/corpus/pipes/seed-socket"
cp /proc/self/fdinfo/0 "$out/corpus/pipes/seed-fdinfo"
cp /proc/self/schedstat "$out/corpus/pipes/seed-schedstat"
# Command lines, one argument a line.
printf '%s\n' -p 1 -s 'libc.so.6:write,items=s64' --max-threads 4 \
	>"$out/corpus/opts/seed-pid"
printf '%s\n' -s 'stage_*' -o json=x.json --alloc-sample 8 -- ls -l \
	>"$out/corpus/opts/seed-cmd"
printf '%s\n' /bin/true 'libc.so.6:w*' --sites >"$out/corpus/opts/seed-list"
# Objects: the ELF corpus's small fixtures; one with a debug file after it.
for f in "$out"/corpus/elf/seed-*; do
	[ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 65536 ] &&
		cp "$f" "$out/corpus/symbolize/"
done
fx=$output/fixtures
if [ -f "$fx/fixture_sym_stripped" ] && [ -f "$fx/fixture_sym.debug" ]; then
	{ cat "$fx/fixture_sym_stripped"; printf 'PTDBG!'; cat "$fx/fixture_sym.debug"; } \
		>"$out/corpus/symbolize/seed-with-debug"
fi

status=0
run() {
	local name=$1 dict=$2
	shift 2
	[ "$only" = "  " ] || [[ $only == *" $name "* ]] || return 0
	local args=(-max_total_time="$secs" -timeout=20 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$name-")
	[ -n "$dict" ] && args+=(-dict="$dict")
	echo "  FUZZ     $name for ${secs}s"
	if ! "$out/fuzz_$name" "${args[@]}" "$out/corpus/$name" \
		>"$out/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; see $out/$name.log and $out/artifacts/" >&2
		tail -n 40 "$out/$name.log" >&2
		status=1
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
		"$out/$name.log" | sed "s/^/  $name: /" || true
}

UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Full malloc stacks through uninstrumented libraries (libdw), for the
# suppressions to match.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0
# Leaks inside system libraries, each explained there.
LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS ASAN_OPTIONS LSAN_OPTIONS
run procmaps tests/fuzz/procmaps.dict
run elf ""
run folded ""
run kallsyms ""
run procinfo ""
run opts ""
run pipes ""
run symbolize ""
run gopclntab ""
exit $status
