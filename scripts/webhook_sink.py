#!/usr/bin/env python3
"""A stand-in for the platforms' webhooks when trying policybot locally (README, "Try the callbacks
locally"): prints every POST it receives (officer notifications, answers posted to a group's reply URL)
and answers as DingTalk and WeCom do, {"errcode":0,"errmsg":"ok"}.

Usage: python3 scripts/webhook_sink.py [PORT]   (default 9009; listens on 127.0.0.1 only)"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

OK = b'{"errcode":0,"errmsg":"ok"}'


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            shown = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
        except ValueError:
            shown = body.decode("utf-8", "replace")
        print(f"--- POST {self.path}\n{shown}", flush=True)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(OK)))
        self.end_headers()
        self.wfile.write(OK)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9009
    print(f"webhook sink on http://127.0.0.1:{port}/ (Ctrl-C stops it)", flush=True)
    HTTPServer(("127.0.0.1", port), Sink).serve_forever()
