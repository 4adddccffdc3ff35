# SPDX-License-Identifier: MIT
# Sourced by the bench scripts: the helpers more than one of them uses.

# The ns_per_call=N that tests/bench's programs print, from log file $1.
nspc() { sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p' "$1" | head -n1; }
# The median of the numbers on standard input, one per line.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
