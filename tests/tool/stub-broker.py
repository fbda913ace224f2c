#!/usr/bin/env python3
"""stub-broker.py: a broker that answers a fixed error, for client tests.

  stub-broker.py CODE STATUS [--times N] [--leader URL] [--forward URL]
                 [--metadata-leader URL,...]
  stub-broker.py --silent

Answers GET /v1/cluster as a one-broker cluster (itself), and every other
request with HTTP STATUS and {"error":{"code":CODE}}; prints
"listening on PORT", then one line "METHOD PATH STATUS" per request, and
serves until killed.

  --times N       only the first N requests (other than /v1/cluster and
                  /v1/metadata) get the error; later ones are forwarded
  --leader URL    the error object names URL as the leader and the
                  controller: {"leader":{"id":2,"url":URL}, ...}
  --forward URL   a real broker behind the stub: GET /v1/metadata and the
                  requests past --times go there, as a broker forwards to
                  the controller
  --metadata-leader URL,...
                  the Nth metadata answer names the Nth URL (the last one
                  from then on) as every partition's "leader_url" ("self":
                  the stub); by default every answer names the stub itself
  --only REGEX    only requests whose "METHOD PATH" matches REGEX get the
                  error; the others are forwarded
  --leader-epoch E,...
                  the Nth metadata answer gives every partition the Nth
                  leader_epoch (the last one from then on)
  --end-offset N  answers GET .../epochs/E/end-offset itself with
                  {"epoch":E,"end_offset":N}, as a new leader whose epoch E
                  ended at N
  --silent        a broker that takes no connection: it listens, never
                  accepts, and its queue is full, so that a connection to
                  it waits until the client gives up (a host that is down)

It lets a client's handling of an answer be tested before (or without)
a broker giving it: for instance a 404 UNKNOWN_TOPIC_OR_PARTITION to a
metadata request, a NOT_LEADER that names where the leader is, or a
NOT_CONTROLLER while a controller is elected.
"""
import argparse
import http.client
import http.server
import json
import re
import signal
import socket
import urllib.parse

FORWARDED_HEADERS = ("Content-Type", "Slog-High-Watermark", "Slog-Log-Start-Offset",
                     "Slog-Next-Offset", "Slog-Leader-Epoch", "Slog-Log-End-Offset")


class Handler(http.server.BaseHTTPRequestHandler):
    opts = None
    errors_left = None   # None: every request
    metadata_answers = 0

    def answer(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if not headers or "Content-Type" not in headers:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print("%s %s %d" % (self.command, self.path, status), flush=True)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def forward(self, body):
        url = urllib.parse.urlsplit(self.opts.forward)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {k: self.headers[k] for k in ("Content-Type", "Accept") if self.headers[k]}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        kept = {k: r.getheader(k) for k in FORWARDED_HEADERS if r.getheader(k)}
        conn.close()
        return r.status, data, kept

    def metadata(self, body):
        status, data, headers = self.forward(body)
        # The stub stands in for the leader of every partition unless told
        # otherwise: the real broker names itself, and a client would
        # then go around the stub.
        me = "http://127.0.0.1:%d" % self.server.server_address[1]
        urls = [me if u == "self" else u for u in self.opts.metadata_leader or ["self"]]
        epochs = self.opts.leader_epoch
        if status == 200:
            url = urls[min(Handler.metadata_answers, len(urls) - 1)]
            meta = json.loads(data)
            for t in meta.get("topics", []):
                for p in t.get("partitions", []):
                    p["leader_url"] = url
                    if epochs:
                        p["leader_epoch"] = epochs[min(Handler.metadata_answers, len(epochs) - 1)]
            data = json.dumps(meta).encode()
        Handler.metadata_answers += 1
        self.answer(status, data, headers)

    def error(self):
        err = {"code": self.opts.code, "message": self.opts.code}
        if self.opts.leader:
            err["leader"] = {"id": 2, "url": self.opts.leader}
            err["controller"] = {"id": 2, "url": self.opts.leader}
        self.answer(self.opts.status, {"error": err})

    def handle_any(self):
        body = self.body()
        port = self.server.server_address[1]
        if self.path.startswith("/v1/cluster"):
            self.answer(200, {"cluster_id": "stub", "controller": 1,
                              "brokers": [{"id": 1, "host": "127.0.0.1", "port": port}]})
        elif self.path.startswith("/v1/metadata") and self.opts.forward:
            self.metadata(body)
        elif self.opts.end_offset is not None and "/end-offset" in self.path:
            epoch = int(re.search(r"/epochs/(-?\d+)/", self.path).group(1))
            self.answer(200, {"epoch": epoch, "end_offset": self.opts.end_offset})
        elif self.opts.only and not re.search(self.opts.only, "%s %s" % (self.command, self.path)):
            self.answer(*self.forward(body))
        elif Handler.errors_left is None or Handler.errors_left > 0 or not self.opts.forward:
            if Handler.errors_left:
                Handler.errors_left -= 1
            self.error()
        else:
            self.answer(*self.forward(body))

    do_GET = do_POST = do_DELETE = do_PATCH = handle_any

    def log_message(self, *args):
        pass


def silent():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    # Connections of our own fill the accept queue: the kernel drops the
    # SYNs of every later one, which then waits as for a host that is down.
    queued = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        queued.append(c)
    print("listening on %d" % port, flush=True)
    signal.pause()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("code", nargs="?", default="UNKNOWN")
    ap.add_argument("status", nargs="?", type=int, default=500)
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--times", type=int)
    ap.add_argument("--leader")
    ap.add_argument("--forward")
    ap.add_argument("--metadata-leader", type=lambda s: s.split(","))
    ap.add_argument("--only")
    ap.add_argument("--leader-epoch", type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--end-offset", type=int)
    Handler.opts = ap.parse_args()
    if Handler.opts.silent:
        return silent()
    Handler.errors_left = Handler.opts.times
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


main()
