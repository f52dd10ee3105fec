#!/usr/bin/env python3
"""Slow and idle clients against `policybot serve` (hardening finding 5): prints one JSON object.

Starts BIN on a free loopback port with a temporary data dir (and any extra `[server]` lines given after
BIN, e.g. 'header_read_timeout_secs = 10'), then measures:

- slowloris_closed_s: 200 connections that send a request head one header line every 2 s; seconds until
  the last of them is closed by the server (capped at CAP seconds: "open" if still open);
- idle_closed_s: a keep-alive connection after one answered request; seconds until the server closes it;
- sigterm_exit_s: SIGTERM while one connection holds a half-sent request head; seconds until exit;
- fd_limit: the server under `prlimit --nofile=256`, 300 idle sockets opened, then 20 fresh /healthz
  requests (2 s timeout each) right away and again after the header timeout; how many were answered 200,
  and how many warn-level log lines mention accept errors.

    python3 scripts/slow_clients.py target/release/policybot
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

CAP = 40.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, extra, nofile=None):
    port = free_port()
    data = tempfile.mkdtemp()
    config = os.path.join(data, "config.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = "127.0.0.1:{port}"\ndata_dir = "{data}/db"\n' + "\n".join(extra) + "\n")
    cmd = [binary, "serve", "--config", config]
    if nofile:
        cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + cmd
    log = open(os.path.join(data, "log.txt"), "w")
    server = subprocess.Popen(cmd, stderr=log, env={**os.environ, "RUST_LOG": "policybot=info", "NO_COLOR": "1"})
    for _ in range(200):
        if healthz(port, 1.0) == 200:
            return server, port, os.path.join(data, "log.txt")
        time.sleep(0.05)
    raise SystemExit("server did not start")


def healthz(port, timeout):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            head = s.recv(64)
            return int(head.split()[1]) if head.startswith(b"HTTP/1.1") else None
    except (OSError, ValueError, IndexError):
        return None


def closed(sock):
    """True when the peer closed (EOF or reset); reads without blocking."""
    try:
        return sock.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def slowloris(port):
    socks = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /dingtalk/callback HTTP/1.1\r\nhost: x\r\n")
        socks.append(s)
    started, last_drip, open_socks = time.monotonic(), time.monotonic(), list(socks)
    while open_socks and time.monotonic() - started < CAP:
        if time.monotonic() - last_drip >= 2:
            for s in open_socks:
                try:
                    s.sendall(b"x-a: b\r\n")
                except OSError:
                    pass
            last_drip = time.monotonic()
        open_socks = [s for s in open_socks if not closed(s)]
        time.sleep(0.05)
    for s in socks:
        s.close()
    return round(time.monotonic() - started, 1) if not open_socks else f"open after {CAP:.0f}"


def idle(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    s.recv(4096)
    started = time.monotonic()
    while time.monotonic() - started < CAP:
        if closed(s):
            return round(time.monotonic() - started, 1)
        time.sleep(0.05)
    return f"open after {CAP:.0f}"


def sigterm(server, port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /dingtalk/callback HTTP/1.1\r\nhost: x\r\n")
    time.sleep(0.2)
    started = time.monotonic()
    server.terminate()
    try:
        server.wait(timeout=CAP)
        return round(time.monotonic() - started, 1)
    except subprocess.TimeoutExpired:
        server.kill()
        return f"running after {CAP:.0f}"


def fd_limit(binary, extra, header_timeout):
    server, port, log = start(binary, extra, nofile=256)
    idle_socks = []
    for _ in range(300):
        try:
            idle_socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    time.sleep(0.5)
    served_now = sum(healthz(port, 2.0) == 200 for _ in range(20))
    time.sleep(header_timeout + 2)
    served_later = sum(healthz(port, 2.0) == 200 for _ in range(20))
    for s in idle_socks:
        s.close()
    server.terminate()
    server.wait(timeout=CAP)
    warns = [l for l in open(log) if "WARN" in l and "accept" in l.lower()]
    return {"idle_sockets": len(idle_socks), "served_at_once_of_20": served_now,
            f"served_after_{header_timeout + 2:.0f}s_of_20": served_later, "accept_warn_lines": len(warns)}


def main():
    binary, extra = sys.argv[1], sys.argv[2:]
    header_timeout = next((float(e.split("=")[1]) for e in extra if e.startswith("header_read_timeout_secs")), 10.0)
    server, port, _ = start(binary, extra)
    report = {}
    threads = [threading.Thread(target=lambda: report.update(slowloris_closed_s=slowloris(port))),
               threading.Thread(target=lambda: report.update(idle_closed_s=idle(port)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report["sigterm_exit_s"] = sigterm(server, port)
    report["fd_limit"] = fd_limit(binary, extra, header_timeout)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
