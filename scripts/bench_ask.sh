#!/usr/bin/env bash
# Throughput of `policybot ask --json` on a batch of questions, and its start-up time.
#
#   scripts/bench_ask.sh [N]        (N questions, default 20000; run from anywhere)
#
# Builds target/release/policybot, writes N questions (the `q` fields of tests/questions/*.jsonl, cycled)
# to a temp file, then times
#   policybot ask --json < questions > /dev/null      (batch)
#   policybot ask --json < /dev/null                  (start-up only: load faq/ + build the matcher)
# with hyperfine when installed (else /usr/bin/time -v, 5 runs), and reports the max RSS of one batch run.
# Target: N = 20,000 questions in < 1 s after start-up (batch median − start-up median).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-20000}
RUNS=${RUNS:-10}
BIN=${CARGO_TARGET_DIR:-target}/release/policybot

cargo build --release --quiet --bin policybot

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
Q="$TMP/questions.txt"

# One question per line; ask reads stdin line by line.
if command -v jq >/dev/null; then
    cat tests/questions/*.jsonl | jq -r '.q' >"$TMP/base.txt"
else
    sed -n 's/.*"q": *"\([^"]*\)".*/\1/p' tests/questions/*.jsonl >"$TMP/base.txt"
fi
BASE=$(wc -l <"$TMP/base.txt")
[ "$BASE" -gt 0 ] || { echo "no questions in tests/questions" >&2; exit 1; }
awk -v n="$N" '{ q[NR] = $0 } END { for (i = 0; i < n; i++) print q[(i % NR) + 1] }' "$TMP/base.txt" >"$Q"
echo "questions: $(wc -l <"$Q") lines ($BASE distinct from tests/questions, cycled), $(du -h "$Q" | cut -f1)"
echo "machine: $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"

median_of() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

if command -v hyperfine >/dev/null; then
    # Through sh for the redirections (hyperfine subtracts the shell's own start-up).
    hyperfine --warmup 2 --runs "$RUNS" --export-json "$TMP/startup.json" \
        -n "startup: ask --json < /dev/null" "$BIN ask --json < /dev/null > /dev/null"
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$TMP/batch.json" \
        -n "batch: ask --json < $N questions" "$BIN ask --json < $Q > /dev/null"
    START_S=$(jq '.results[0].median' "$TMP/startup.json")
    BATCH_S=$(jq '.results[0].median' "$TMP/batch.json")
else
    for _ in $(seq 5); do
        /usr/bin/time -f '%e' -o "$TMP/t" "$BIN" ask --json </dev/null >/dev/null
        cat "$TMP/t"
    done | median_of >"$TMP/start"
    for _ in $(seq 5); do
        /usr/bin/time -f '%e' -o "$TMP/t" "$BIN" ask --json <"$Q" >/dev/null
        cat "$TMP/t"
    done | median_of >"$TMP/batch"
    START_S=$(cat "$TMP/start")
    BATCH_S=$(cat "$TMP/batch")
fi

# Memory (and a plain timing) of one run each, from GNU time.
/usr/bin/time -v "$BIN" ask --json <"$Q" >/dev/null 2>"$TMP/batch.time"
/usr/bin/time -v "$BIN" ask --json </dev/null >/dev/null 2>"$TMP/start.time"
RSS_BATCH=$(awk -F': ' '/Maximum resident/ { print $2 }' "$TMP/batch.time")
RSS_START=$(awk -F': ' '/Maximum resident/ { print $2 }' "$TMP/start.time")

awk -v n="$N" -v s="$START_S" -v b="$BATCH_S" -v rb="$RSS_BATCH" -v rs="$RSS_START" 'BEGIN {
    after = b - s
    printf "\nresult (medians):\n"
    printf "  start-up (ask --json < /dev/null):   %7.1f ms   max RSS %.1f MB\n", s * 1000, rs / 1024
    printf "  batch (%d questions):             %7.1f ms   max RSS %.1f MB\n", n, b * 1000, rb / 1024
    printf "  batch after start-up:               %7.1f ms   = %.1f µs/question, %.0f questions/s\n", after * 1000, after * 1e6 / n, n / after
    printf "  target: %d questions in < 1000 ms after start-up: %s\n", n, (after < 1.0 ? "met" : "MISSED")
}'
