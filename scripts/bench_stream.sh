#!/usr/bin/env bash
# Throughput of DingTalk Stream mode: one stream connection, many groups, on this machine only.
#
#   scripts/bench_stream.sh                      (defaults below; run from anywhere)
#   RATE=6000 DURATION=10 CONVERSATIONS=20000 scripts/bench_stream.sh
#   CONVERSATIONS=50 scripts/bench_stream.sh            (few groups: most replies wait for the 20-a-minute limit)
#   TMPDIR=/dev/shm scripts/bench_stream.sh      (data_dir on tmpfs: shows what the fsyncs cost)
#
# Starts examples/stream_load.rs (the fake gateway and the session webhooks) on a free loopback port, writes
# a temp config (stream mode with api_base at the fake, the fake's host allowed, temp data_dir, JSON logs,
# no officer webhooks), starts target/release/policybot serve, and lets the generator push robot messages
# the FAQ answers at RATE per second for DURATION s after WARMUP s, round-robin over CONVERSATIONS groups.
# Every message is matched and its reply posted to the group's session webhook before its ack (within 20 a
# minute per group; a reply that has to wait is queued in the outbox and committed before the ack).
# Prints the generator's report, the server's CPU time per message, its outbox and metrics, and stops it.
# Targets: ≥ 5,000 messages/s matched and acked, ack p99 ≤ 10 ms, replies within the rate limits.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RATE=${RATE:-5000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONVERSATIONS=${CONVERSATIONS:-20000}
DRAIN=${DRAIN:-5}

cargo build --release --quiet --bin policybot --example stream_load
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/policybot
GEN=$TARGET/release/examples/stream_load

TMP=$(mktemp -d "${TMPDIR:-/tmp}/policybot-stream.XXXXXX")
SERVER_PID=
GEN_PID=
cleanup() {
    for pid in $SERVER_PID $GEN_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

KEY=bench-app-key
SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$GEN" --app-key "$KEY" --app-secret "$SECRET" --addr-file "$TMP/gateway_addr" --rate "$RATE" \
    --duration "$DURATION" --warmup "$WARMUP" --groups "$CONVERSATIONS" --drain "$DRAIN" \
    --faq "$ROOT/faq" --questions "$ROOT/tests/questions" >"$TMP/report.txt" 2>"$TMP/gen.log" &
GEN_PID=$!
for _ in $(seq 200); do
    [ -s "$TMP/gateway_addr" ] && break
    kill -0 "$GEN_PID" 2>/dev/null || { echo "generator exited:" >&2; cat "$TMP/gen.log" >&2; exit 1; }
    sleep 0.05
done
GW=$(cat "$TMP/gateway_addr")

cat >"$TMP/config.toml" <<CONF
[server]
listen = "127.0.0.1:0"
data_dir = "$TMP/data"
faq_dir = "$ROOT/faq"
log_format = "json"
allowed_outbound_hosts = ["$GW"]

[dingtalk]
mode = "stream"
app_key = "$KEY"
app_secret = "$SECRET"
api_base = "http://$GW"

[officers]
notify_webhooks = []
CONF

"$BIN" serve --config "$TMP/config.toml" 2>"$TMP/server.log" &
SERVER_PID=$!
ADDR=
for _ in $(seq 200); do
    ADDR=$(grep -o '"addr":"[^"]*"' "$TMP/server.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
    [ -n "$ADDR" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.05
done
echo "server: pid $SERVER_PID on $ADDR; gateway and webhooks on $GW; $CONVERSATIONS groups at $RATE messages/s"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
CPU0=$(cpu_s "$SERVER_PID")
wait "$GEN_PID" || { echo "generator failed:" >&2; cat "$TMP/gen.log" >&2; exit 1; }
GEN_PID=
CPU1=$(cpu_s "$SERVER_PID")
cat "$TMP/report.txt"
PUSHED=$(awk '/frames pushed:/ { print $3 }' "$TMP/report.txt")
awk -v a="$CPU0" -v b="$CPU1" -v n="$PUSHED" 'BEGIN {
    printf "server CPU: %.2f s, ~%.0f µs per message (match, reply posted or queued, ack)\n",
        b - a, (b - a) * 1e6 / n }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "server metrics (excerpt):"
curl -fsS "http://$ADDR/metrics" | grep -Ev '^#' | grep -E 'questions|outbound|outbox|transport' | head -20 || true
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
grep -E '"level":"(ERROR|WARN)"' "$TMP/server.log" | head -5 || true
echo "server stopped"
