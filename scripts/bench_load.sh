#!/usr/bin/env bash
# HTTP load test of `policybot serve`: signed DingTalk callbacks from examples/load.rs, on this machine only.
#
#   scripts/bench_load.sh                  (defaults below; run from anywhere)
#   DURATION=10 CONNS=32 THREADS=1 ESC_CONNS=32 scripts/bench_load.sh
#   MODES="healthz smalltalk answer escalate" scripts/bench_load.sh   (HTTP stack alone, callback path
#                                           without the matcher's scoring, then the two measured modes)
#   TMPDIR=/dev/shm scripts/bench_load.sh   (data_dir on tmpfs: fsync ~free; shows what the fsyncs cost)
#   RELOAD_EVERY=1 MODES=answer scripts/bench_load.sh   (a SIGHUP reload of faq/ every second under load:
#                                           compare p99/max and errors with a run without it)
#
# Writes a temp config (listen on a free loopback port, temp data_dir, a random app_secret, no officer
# webhooks so nothing is posted out, JSON logs), starts target/release/policybot serve, waits for /healthz,
# runs the load generator for DURATION s in answer mode, then in escalate mode (every request opens a new
# ticket, committed with a group-commit fsync before the 200), stops the server and prints the results,
# the server's CPU time per request and the machine load.
# Targets: answer ≥ 10,000 req/s with p99 ≤ 10 ms; escalate ≥ 1,000 req/s (2 cores, generator included).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-32}
ESC_CONNS=${ESC_CONNS:-$CONNS}
THREADS=${THREADS:-1}
MODES=${MODES:-answer escalate}   # also: smalltalk healthz (for comparison)
RELOAD_EVERY=${RELOAD_EVERY:-0}   # seconds between SIGHUP reloads of faq/ during each mode; 0: none

cargo build --release --quiet --bin policybot --example load
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/policybot
LOAD=$TARGET/release/examples/load

TMP=$(mktemp -d "${TMPDIR:-/tmp}/policybot-bench.XXXXXX")
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$TMP/config.toml" <<EOF
[server]
listen = "127.0.0.1:0"
data_dir = "$TMP/data"
faq_dir = "$ROOT/faq"
log_format = "json"
# Unique signed timestamps run ahead of the clock at load rates.
signature_window_secs = 3600
dedupe_ttl_secs = 7200

[dingtalk]
app_secret = "$SECRET"

[officers]
notify_webhooks = []
# Every escalate-mode request is a new ticket from one of CONNS senders: lift the flood limits.
max_new_tickets_per_sender_per_hour = 10000
max_new_tickets_per_group_per_hour = 10000
EOF

"$BIN" serve --config "$TMP/config.toml" 2>"$TMP/server.log" &
SERVER_PID=$!

ADDR=
for _ in $(seq 200); do
    ADDR=$(grep -o '"addr":"[^"]*"' "$TMP/server.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
    [ -n "$ADDR" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.05
done
[ -n "$ADDR" ] || { echo "server did not log its address" >&2; cat "$TMP/server.log" >&2; exit 1; }
for _ in $(seq 100); do
    curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -fsS "http://$ADDR/healthz" >/dev/null
echo "server: pid $SERVER_PID on $ADDR, data_dir $TMP/data"

# utime + stime of the server in seconds.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SERVER_PID/stat"; }

for MODE in $MODES; do
    C=$CONNS
    [ "$MODE" = escalate ] && C=$ESC_CONNS
    echo
    echo "== $MODE: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    CPU0=$(cpu_s)
    RELOADER=
    if [ "$RELOAD_EVERY" != 0 ]; then
        (while sleep "$RELOAD_EVERY"; do kill -HUP "$SERVER_PID" 2>/dev/null || exit 0; done) &
        RELOADER=$!
    fi
    "$LOAD" --url "http://$ADDR/dingtalk/callback" --secret "$SECRET" --mode "$MODE" \
        --connections "$C" --threads "$THREADS" --duration "$DURATION" --warmup "$WARMUP" \
        --faq "$ROOT/faq" --questions "$ROOT/tests/questions" --ts-file "$TMP/last_ts" | tee "$TMP/$MODE.out"
    CPU1=$(cpu_s)
    if [ -n "$RELOADER" ]; then
        kill "$RELOADER" 2>/dev/null || true
        wait "$RELOADER" 2>/dev/null || true
        echo "  reloads: snapshot version $(curl -fsS "http://$ADDR/metrics" | awk '/^policybot_faq_snapshot_version/ { print $2 }'), refused $(curl -fsS "http://$ADDR/metrics" | awk '/^policybot_faq_reload_failures_total/ { print $2 }')"
    fi
    REQS=$(awk '/requests:/ { print $2 }' "$TMP/$MODE.out")
    awk -v a="$CPU0" -v b="$CPU1" -v n="$REQS" -v d="$DURATION" -v w="$WARMUP" 'BEGIN {
        printf "  server CPU: %.2f s over %.1f s (%.2f cores busy); ~%.0f µs CPU per request\n",
            b - a, d + w, (b - a) / (d + w), (b - a) * 1e6 / (n * (d + w) / d)
    }'
    echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done

echo
echo "server metrics (excerpt):"
curl -fsS "http://$ADDR/metrics" | grep -Ev '^#' | grep -E 'question|match|commit|reject|duplicate|outbox' | head -30 || true
echo "data_dir size: $(du -sh "$TMP/data" | cut -f1)"
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status"), threads: $(ls "/proc/$SERVER_PID/task" | wc -l)"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
grep -E '"level":"(ERROR|WARN)"' "$TMP/server.log" | head -5 || true
echo "server stopped"
