#!/usr/bin/env bash
# Instructions per `Matcher::decide` call, counted by callgrind: a figure that does not move with the
# host's load, for comparing two versions of the matcher on a noisy machine (time them as well:
# instructions are not time, a cache miss costs more than an add).
#
#   scripts/bench_instructions.sh [--max N] [BIN]
#       BIN: a built match_latency example (default: build this checkout's)
#       --max N: fail (exit 1) when a call takes more than N instructions on average; CI guards the
#                matcher's cost this way, with room for other CPUs' code paths (memchr and aho-corasick
#                pick their SIMD routines at run time)
#
# Runs `match_latency --calls 5000` under `valgrind --tool=callgrind`, collecting only inside
# `Matcher::decide_in` (start-up excluded), and divides by the calls made: one warm-up pass over the
# labelled questions plus the 5,000 timed ones. Needs valgrind (Debian: `apt-get install valgrind`).
# A 2-core machine takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
MAX=
if [ "${1:-}" = "--max" ]; then
    MAX=${2:?--max needs a number}
    shift 2
fi
BIN=${1:-}
if [ -z "$BIN" ]; then
    cargo build --release --quiet --example match_latency
    BIN=${CARGO_TARGET_DIR:-target}/release/examples/match_latency
fi
CALLS=5000

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
valgrind --tool=callgrind --toggle-collect='*Matcher::decide_in*' \
    --callgrind-out-file="$TMP/out" "$BIN" --calls "$CALLS" >"$TMP/stdout" 2>/dev/null
# "questions: N" in match_latency's first line: the warm-up pass decides each once.
WARM=$(sed -n 's/.*questions: \([0-9]*\).*/\1/p' "$TMP/stdout" | head -1)
TOTAL=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$TMP/out" | tail -1)
[ -n "$WARM" ] && [ -n "$TOTAL" ] || { echo "could not read callgrind's or match_latency's output" >&2; exit 1; }
PER_CALL=$((TOTAL / (WARM + CALLS)))
echo "decide: $PER_CALL instructions per call ($TOTAL over $WARM warm-up + $CALLS calls)"
if [ -n "$MAX" ] && [ "$PER_CALL" -gt "$MAX" ]; then
    echo "over the ceiling of $MAX instructions per call: the matcher got costlier" >&2
    exit 1
fi
