#!/usr/bin/env python3
"""stub-broker.py: a broker that answers a fixed error, for client tests.

  stub-broker.py CODE STATUS      answer GET /v1/cluster as a one-broker
                                  cluster, and every other request with
                                  HTTP STATUS and {"error":{"code":CODE}};
                                  print "listening on PORT" and serve
                                  until killed

It lets a client's handling of an answer be tested before (or without)
the broker giving it: for instance a 404 UNKNOWN_TOPIC_OR_PARTITION to
a metadata request.
"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    code = "UNKNOWN"
    status = 500

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path.startswith("/v1/cluster"):
            self.answer(200, {"cluster_id": "stub", "controller": 1,
                              "brokers": [{"id": 1, "host": "127.0.0.1", "port": port}]})
        else:
            self.answer(self.status, {"error": {"code": self.code, "message": self.code}})

    do_POST = do_GET

    def log_message(self, *args):
        pass


def main():
    Handler.code, Handler.status = sys.argv[1], int(sys.argv[2])
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


main()
