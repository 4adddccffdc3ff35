#!/usr/bin/env bash
# Checks a BPF object linked by `bpftool gen object`: no two variables of a
# data section (.maps, .rodata, .bss, .data, ...) at the same offset. libbpf
# 1.1's static linker leaves an extern map seen before its definition at
# offset 0 of .maps, which the skeleton then cannot open; the same mistake in
# a section of variables would give the skeleton a wrong layout silently.
#   scripts/check-bpf-link.sh OBJECT
set -euo pipefail
obj=$1
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)

"$bpftool" btf dump file "$obj" | awk -v obj="$obj" '
	/^\[[0-9]+\] DATASEC / { sec = $3; gsub(/\047/, "", sec); next }
	/^\[/ { sec = "" }
	sec != "" && /^\ttype_id=[0-9]+ offset=[0-9]+ size=[1-9]/ {
		name = $NF
		gsub(/[\047)]/, "", name)
		key = sec " " $2
		if (key in seen) {
			printf "pipetrace: error: %s: %s and %s both at %s in %s; " \
			       "link the object defining it first\n",
			       obj, seen[key], name, $2, sec > "/dev/stderr"
			bad = 1
		}
		seen[key] = name
	}
	END { exit bad }'
