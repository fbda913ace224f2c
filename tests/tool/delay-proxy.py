#!/usr/bin/env python3
"""delay-proxy.py: a TCP proxy that delays and stalls what passes through it.

    delay-proxy.py LISTEN TARGET CONTROL

LISTEN and TARGET are HOST:PORT (LISTEN's port 0: any free one).  Once
listening it prints "listening on HOST:PORT" on stdout.  Every connection
accepted is joined to a new connection to TARGET, and the bytes of each
direction pass on as they come, held back by the state that CONTROL (a
file; absent: no delay, no stall) sets, one word pair a line:

    delay MS     each chunk leaves MS milliseconds after it arrived
    stall on     nothing moves (new connections wait too) until "stall off"

The file is read again whenever it changes (it is polled every 20 ms, and
at once on SIGHUP; replace it whole, by a rename, so that no half-written
file is read), and a change applies to the bytes already held.  Each
state applied is said on stderr ("delay MS ms, stall on|off").

The fault tests need this where nftables cannot help: the kernel here has
no tc netem, so a slow link, or one that holds a request without losing
it (a stalled switch, a peer's full receive window), is made in user
space.  A stall keeps the sockets open: neither end sees an error, only
silence, and every byte arrives once it ends.  Each direction reads into
a bounded queue, so a long stall pushes back on the sender as a full
window would instead of buffering without end.
"""

import os
import signal
import socket
import sys
import threading
import time

CHUNK = 65536
QUEUE_CHUNKS = 64


class State:
    """The delay and stall every pipe obeys; cond wakes the waiters on a change."""

    def __init__(self):
        self.cond = threading.Condition()
        self.delay = 0.0
        self.stalled = False

    def set(self, delay, stalled):
        with self.cond:
            self.delay, self.stalled = delay, stalled
            self.cond.notify_all()

    def wait_due(self, arrived):
        """Block until a chunk that arrived at `arrived` may leave."""
        with self.cond:
            while True:
                if self.stalled:
                    self.cond.wait()
                    continue
                left = arrived + self.delay - time.monotonic()
                if left <= 0:
                    return
                self.cond.wait(left)

    def wait_flowing(self):
        with self.cond:
            self.cond.wait_for(lambda: not self.stalled)


def parse_control(text):
    """(delay in seconds, stalled) from the control file's text."""
    delay, stalled = 0.0, False
    for line in text.splitlines():
        words = line.split()
        if len(words) != 2:
            continue
        if words[0] == "delay":
            delay = max(0.0, float(words[1]) / 1000.0)
        elif words[0] == "stall":
            stalled = words[1] == "on"
    return delay, stalled


def control_key(path):
    """What tells a changed control file: its mtime and size (None: absent)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def apply_control(path, state):
    """Read the control file into state and say so on stderr."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    delay, stalled = parse_control(text)
    state.set(delay, stalled)
    print("delay %d ms, stall %s" % (delay * 1000, "on" if stalled else "off"),
          file=sys.stderr, flush=True)


def watch_control(path, state, wake, seen):
    """Apply the control file whenever it changes (or on SIGHUP).  Tests
    replace it whole (write, then rename), so no half file is read."""
    while True:
        wake.wait(0.02)
        key = control_key(path)
        if key != seen or wake.is_set():
            wake.clear()
            seen = key
            apply_control(path, state)


class Pipe:
    """One direction of a connection: a reader that queues what arrives,
    with its time, and a writer that sends it when the state allows."""

    def __init__(self, src, dst, state, closer):
        self.src, self.dst, self.state, self.closer = src, dst, state, closer
        self.items = []
        self.room = threading.Condition()

    def start(self):
        threading.Thread(target=self.read, daemon=True).start()
        threading.Thread(target=self.write, daemon=True).start()

    def put(self, item):
        with self.room:
            self.room.wait_for(lambda: len(self.items) < QUEUE_CHUNKS)
            self.items.append(item)
            self.room.notify_all()

    def take(self):
        with self.room:
            self.room.wait_for(lambda: self.items)
            item = self.items.pop(0)
            self.room.notify_all()
            return item

    def read(self):
        data = b""
        try:
            while True:
                data = self.src.recv(CHUNK)
                if not data:
                    break
                self.put((time.monotonic(), data))
        except OSError:
            pass
        self.put((time.monotonic(), b""))

    def write(self):
        try:
            while True:
                arrived, data = self.take()
                self.state.wait_due(arrived)
                if not data:
                    self.dst.shutdown(socket.SHUT_WR)
                    break
                self.dst.sendall(data)
        except OSError:
            pass
        self.closer()


def serve(conn, target, state):
    """Join conn to a new connection to target, once not stalled."""
    state.wait_flowing()
    try:
        up = socket.create_connection(target)
    except OSError:
        conn.close()
        return
    done = [0]
    lock = threading.Lock()

    def closer():
        # Both directions ended (or failed): close both sockets.
        with lock:
            done[0] += 1
            if done[0] == 2:
                conn.close()
                up.close()

    Pipe(conn, up, state, closer).start()
    Pipe(up, conn, state, closer).start()


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main(argv):
    if len(argv) != 4:
        print("usage: delay-proxy.py LISTEN TARGET CONTROL", file=sys.stderr)
        return 2
    listen, target, control = address(argv[1]), address(argv[2]), argv[3]
    state, wake = State(), threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: wake.set())
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(listen)
    server.listen(128)
    seen = control_key(control)
    apply_control(control, state)
    threading.Thread(target=watch_control, args=(control, state, wake, seen),
                     daemon=True).start()
    host, port = server.getsockname()
    print("listening on %s:%d" % (host, port), flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, target, state), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
