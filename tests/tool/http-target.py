#!/usr/bin/env python3
"""http-target.py: an HTTP endpoint for sink tests, answering a script.

  http-target.py PORT LOG [--script LIST] [--then STATUS]

Listens on 127.0.0.1:PORT and answers each request (any method, any
path) with the next status of LIST, a comma list such as 500,400,200;
an item STATUS@SECS adds Retry-After: SECS (503@2), and STATUS~SECS
answers only after SECS (200~30: a slow server).  Once LIST is spent
every answer is --then (default 200).  Every request is logged to LOG
as one JSON line, flushed before the answer leaves:

  {"time": 1700000000.123, "status": 500, "method": "POST", "path": "/x",
   "headers": {"idempotency-key": "...", ...}, "body": "..."}

The body of an error answer says which request it was ("request 2").
Prints "listening PORT" once bound.  Started and stopped by PID.
"""
import argparse
import http.server
import json
import sys
import threading
import time


class Target(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv = self.server
        with srv.lock:
            srv.count += 1
            n = srv.count
            item = srv.script.pop(0) if srv.script else srv.then
        item, _, delay = item.partition("~")
        status, _, after = item.partition("@")
        entry = {
            "time": time.time(),
            "status": int(status),
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with srv.lock:
            srv.log.write(json.dumps(entry) + "\n")
            srv.log.flush()
        if delay:
            time.sleep(float(delay))
        reply = b"ok\n" if status.startswith("2") else ("request %d: no\n" % n).encode()
        self.send_response(int(status))
        if after:
            self.send_header("Retry-After", after)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = answer
    do_PUT = answer
    do_GET = answer

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("log")
    ap.add_argument("--script", default="")
    ap.add_argument("--then", default="200")
    args = ap.parse_args()
    http.server.HTTPServer.allow_reuse_address = True
    srv = http.server.HTTPServer(("127.0.0.1", args.port), Target)
    srv.lock = threading.Lock()
    srv.count = 0
    srv.script = [s.strip() for s in args.script.split(",") if s.strip()]
    srv.then = args.then
    srv.log = open(args.log, "a")
    print("listening %d" % args.port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
