#!/usr/bin/env python3
"""http-conns.py: connections a browser or curl would not open, for tests.

  http-conns.py raw PORT [TIMEOUT_S]      send stdin as-is; print the answer
  http-conns.py hold PORT N [SRC_IP]      open N sockets, send stdin (may be
                                          empty) on each; print "open K" and
                                          hold them until killed
  http-conns.py slowloris PORT N EVERY_MS FOR_MS
                                          N sockets each send one header line
                                          every EVERY_MS; print how many the
                                          broker closed within FOR_MS
  http-conns.py slowbody PORT N EVERY_MS FOR_MS
                                          the same with a produce whose body
                                          comes one byte every EVERY_MS
  http-conns.py longpoll PORT N PATH      N GETs of PATH that wait; print
                                          "waiting K" and hold until killed

Each line printed is flushed, so a test can poll for it.
"""
import os
import socket
import sys
import time


def connect(port, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def raw(port, timeout=5.0):
    s = connect(port)
    s.settimeout(timeout)
    s.sendall(sys.stdin.buffer.read())
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
    except socket.timeout:
        out += b"\n<timeout>"
    except ConnectionResetError:
        out += b"\n<reset>"
    sys.stdout.buffer.write(out)


def hold_forever(socks, word):
    say("%s %d" % (word, len(socks)))
    while True:
        time.sleep(3600)


def hold(port, n, src=None):
    data, socks = sys.stdin.buffer.read(), []
    for _ in range(n):
        try:
            s = connect(port, src)
            if data:
                s.sendall(data)
            socks.append(s)
        except OSError:
            break
    hold_forever(socks, "open")


SLOW_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
SLOW_BODY = (b"POST /v1/topics/slow/partitions/0/records HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Length: 100000\r\n\r\n")


def trickle(port, n, every_ms, for_ms, first, nth):
    socks = [connect(port) for _ in range(n)]
    for s in socks:
        s.sendall(first)
        s.setblocking(False)
    closed, start, i = set(), time.monotonic(), 0
    while time.monotonic() - start < for_ms / 1000.0 and len(closed) < n:
        for k, s in enumerate(socks):
            if k in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed.add(k)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed.add(k)
                continue
            try:
                s.send(nth(i))
            except OSError:
                closed.add(k)
        i += 1
        time.sleep(every_ms / 1000.0)
    say("closed %d of %d after %d ms" % (len(closed), n, (time.monotonic() - start) * 1000))


def longpoll(port, n, path):
    socks = []
    for _ in range(n):
        s = connect(port)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
        socks.append(s)
    hold_forever(socks, "waiting")


def main(argv):
    mode, port = argv[1], int(argv[2])
    if mode == "raw":
        raw(port, float(argv[3]) if len(argv) > 3 else 5.0)
    elif mode == "hold":
        hold(port, int(argv[3]), argv[4] if len(argv) > 4 else None)
    elif mode == "slowloris":
        trickle(port, int(argv[3]), int(argv[4]), int(argv[5]), SLOW_HEADERS,
                lambda i: b"X-Slow-%d: 1\r\n" % i)
    elif mode == "slowbody":
        trickle(port, int(argv[3]), int(argv[4]), int(argv[5]), SLOW_BODY, lambda i: b"x")
    elif mode == "longpoll":
        longpoll(port, int(argv[3]), argv[4])
    else:
        sys.exit("http-conns.py: unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
