#!/usr/bin/env bash
# Regenerate the CO-RE header from the running kernel's BTF.
#   scripts/gen-vmlinux.sh [OUT]   (default: vmlinux/<arch>/vmlinux.h)
# With no /sys/kernel/btf/vmlinux (or no bpftool) the committed header for
# the architecture is copied to OUT instead, so builds work on any kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
committed="$here/vmlinux/$arch/vmlinux.h"
out=${1:-$committed}
btf=/sys/kernel/btf/vmlinux
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)

if [ -r "$btf" ] && [ -x "$bpftool" ]; then
	tmp=$(mktemp "${out}.XXXXXX")
	if "$bpftool" btf dump file "$btf" format c >"$tmp" 2>/dev/null && [ -s "$tmp" ]; then
		chmod 0644 "$tmp"
		mv "$tmp" "$out"
		exit 0
	fi
	rm -f "$tmp"
	echo "gen-vmlinux: bpftool could not dump $btf; using $committed" >&2
fi
if [ "$out" != "$committed" ]; then
	[ -r "$committed" ] || { echo "gen-vmlinux: no BTF and no committed header $committed" >&2; exit 1; }
	cp "$committed" "$out"
fi
