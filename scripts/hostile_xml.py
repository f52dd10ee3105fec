#!/usr/bin/env python3
"""Cost of unauthenticated, deeply nested XML posted to /wecom/callback (hardening finding 1).

Starts BIN (`policybot serve`) on a free loopback port with a temporary data dir, WeCom configured and
`max_body_bytes` = SIZE, posts CONCURRENCY bodies of SIZE bytes of balanced `<a>…</a>` nesting with a bogus signature at once,
and prints the server's CPU seconds, its peak RSS and the slowest /healthz answer while they run.

    python3 scripts/hostile_xml.py target/release/policybot 65536 16
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def post(url, body, results):
    req = urllib.request.Request(url, data=body, headers={"content-type": "text/xml"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except Exception as e:  # noqa: BLE001 - report whatever the attack did
        status = type(e).__name__
    results.append((status, time.monotonic() - started))


def main():
    binary, size, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    port = free_port()
    data = tempfile.mkdtemp()
    config = os.path.join(data, "config.toml")
    with open(config, "w") as f:
        f.write(
            f'[server]\nlisten = "127.0.0.1:{port}"\ndata_dir = "{data}/db"\n'
            f"max_body_bytes = {max(size, 1024)}\n"
            '[wecom]\ntoken = "QDG6eK"\nencoding_aes_key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"\n'
        )
    server = subprocess.Popen(
        [binary, "serve", "--config", config],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "off"},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    cpu_before = cpu_seconds(server.pid)
    depth = (size - 11) // 7
    body = b"<xml>" + b"<a>" * depth + b"</a>" * depth + b"</xml>"
    url = base + "/wecom/callback?msg_signature=00&timestamp=1700000000&nonce=1"
    results = []
    threads = [threading.Thread(target=post, args=(url, body, results)) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    worst_health = 0.0
    while any(t.is_alive() for t in threads):
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=60)
        except Exception:  # noqa: BLE001 - counted as slow
            pass
        worst_health = max(worst_health, time.monotonic() - t0)
        time.sleep(0.05)
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    report = {
        "body_bytes": len(body),
        "requests": concurrency,
        "statuses": sorted({str(s) for s, _ in results}),
        "wall_s": round(wall, 3),
        "server_cpu_s": round(cpu_seconds(server.pid) - cpu_before, 3),
        "server_peak_rss_mb": round(peak_rss_mb(server.pid), 1),
        "worst_healthz_s": round(worst_health, 3),
    }
    server.terminate()
    server.wait(timeout=30)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
