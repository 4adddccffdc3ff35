#!/usr/bin/env bash
# Install the Debian packages pipetrace needs to build and test, and only
# those that are missing. Safe to run repeatedly; needs root to install.
set -euo pipefail

# g++, rustc and golang-go build the C++, Rust and Go programs the tests
# trace (demangling, return-site probes, Go refused, Go's .gopclntab);
# linux-perf is what the stack tests check pipetrace's stacks against.
pkgs=(make gcc g++ rustc golang-go binutils clang llvm libbpf-dev bpftool
      libelf-dev libdw-dev zlib1g-dev libiberty-dev libcapstone-dev
      libcmocka-dev libexpat1-dev libjson-c-dev pkg-config util-linux
      xz-utils pigz sqlite3 man-db linux-perf)
# `make bench` also wants the peers it compares against.
if [ "${1:-}" = "--bench" ]; then
	pkgs+=(bpftrace uftrace linux-perf hyperfine jq time)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
