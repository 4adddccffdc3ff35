#!/usr/bin/env bash
# Runs cmocka test binaries one after another, from the repository root, and
# closes with one line that sums them all: "N passed, N failed, N skipped".
# Exits non-zero when a test failed or a binary crashed.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0 crashed=0
for t in "$@"; do
	echo "=== $t"
	out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ -z "$p" ] && [ -z "$f" ] || { [ "$rc" -ne 0 ] && [ -z "$f" ]; }; then
		echo "!!! $t exited $rc without a cmocka summary (crash?)"
		crashed=$((crashed + 1))
	fi
done
failed=$((failed + crashed))
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
