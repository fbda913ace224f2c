#!/usr/bin/env python3
"""tests/fault/workload.py: clients of a slog cluster that write down what
they were told, for tests/fault/checker.py to judge.

Each client is one process with one role and a name (its "proc"); it
appends one JSON line per event to H/<proc>.jsonl:

    {"t": <time.time()>, "proc": "h1", "type": "invoke"|"ok"|"fail"|"info",
     "f": "<operation>", ...fields}

Roles (tests/fault/history.bash starts them; each stops cleanly on SIGTERM:
the request in flight is finished, or becomes "info" if it times out):

  workload.py setup   --brokers B --topic T [--partitions N]
      create T if it does not exist (replication factor min(3, brokers),
      min.insync.replicas min(2, that)); wait until each partition leads.
  workload.py produce --via http|cli --history H --proc P --brokers B --topic T
                      [--rate R] [--count N] [--duration S]
      unique values "P-000001", ... with acks=all, round robin over the
      partitions.  http: one thread a partition, each sending one POST
      .../partitions/N/records?acks=all at a time, each attempt an invoke and its outcome: ok (offset, node: the
      broker that answered), fail (a refusal that wrote nothing:
      NOT_LEADER, NOT_ENOUGH_REPLICAS, a refused connection, any 4xx...)
      or info (a timeout, a broken connection, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      REQUEST_TIMED_OUT, a storage error, anything else).  A value is sent
      again after fail or info (so info may leave it twice in the log) until
      acknowledged or --value-timeout passes.  cli: the values go to
      slog-produce --acks all -J as {"partition","value"} lines; each report
      line "partition offset value" is an ok.  slog-produce tells per record
      only what was acknowledged (failures are counted on its stderr, kept
      in H/P.stderr), so every value it did not acknowledge becomes info.
  workload.py consume --history H --proc P --brokers B --topic T [--rescan]
      read every partition from its log start on, following its leader;
      each record given is an ok "read" (topic, partition, offset, value).
      --rescan: instead, again and again, a window of records from a random
      offset below the high watermark (old offsets read over time).
  workload.py group   --history H --proc P --brokers B --topic T --group G
      a member of consumer group G: it reads what it is assigned ("read"),
      commits its position after each read ("commit": group, topic,
      partition, offset), never a lower one, and fetches the group's
      offsets back ("committed": ok carries "offsets", a list of
      {"topic","partition","offset"}).
  workload.py admin   --history H --proc P --brokers B --topic T
      creates side topics T-side-K, sends each a record, deletes them
      ("create"/"delete": topic).
  workload.py final   --history H --brokers B [--wait S] [--node-dir ID=DIR]... TOPIC...
      the final read, into H/final.jsonl: waits (up to S seconds) until
      each partition's high watermark passes the highest offset the
      history acknowledged, then reads it whole from its current leader:
      ok "read" events with "final": true, then one "final" event for the
      partition (high_watermark, log_start_offset, leader) or a fail.
      With --node-dir, each in-sync replica's log files under DIR/T-P are
      decoded below the high watermark into one "replica" event (replica,
      records: [[offset, value], ...]).

Reads have no invoke: a record given is an ok, a fetch that failed a fail
or info with its offset.  Python 3 standard library only.
"""

import argparse
import glob
import http.client
import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

STOP = False


def on_term(_sig, _frame):
    global STOP
    STOP = True


def nap(seconds):
    """Sleep, waking every 0.1 s to notice a stop."""
    end = time.monotonic() + seconds
    while not STOP and time.monotonic() < end:
        time.sleep(min(0.1, max(0.0, end - time.monotonic())))


class History:
    """One writer's history file; lines are written whole, one at a time."""

    def __init__(self, directory, proc, name=None, mode="a"):
        self.proc = proc
        self.lock = threading.Lock()
        self.file = open(os.path.join(directory, name or proc + ".jsonl"), mode, buffering=1)

    def event(self, type_, f, **fields):
        e = {"t": round(time.time(), 6), "proc": self.proc, "type": type_, "f": f}
        e.update(fields)
        line = json.dumps(e, separators=(",", ":")) + "\n"
        with self.lock:
            self.file.write(line)


class Refused(Exception):
    """The request was never sent (the connection failed): nothing happened."""


class Ambiguous(Exception):
    """The request was sent and no answer came: it may have happened."""


def call(url, method, path, body=None, ctype=None, timeout=10.0):
    """One request on a fresh connection, so that a broken connection can
    be told apart: before sending (Refused) or after (Ambiguous).
    Returns (status, headers, parsed JSON or None, raw body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.connect()
    except OSError as e:
        conn.close()
        raise Refused("connect: %s" % e) from None
    try:
        headers = {"Content-Type": ctype} if ctype else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    except (OSError, http.client.HTTPException) as e:
        raise Ambiguous("%s: %s" % (type(e).__name__, e)) from None
    finally:
        conn.close()
    doc = None
    if raw and resp.getheader("Content-Type", "").startswith("application/json"):
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
    return resp.status, resp, doc, raw


def error_of(doc):
    """The error object of an answer, {} when none."""
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        return doc["error"]
    return {}


# Codes after which nothing was written (docs/http-api.md): a retry cannot
# duplicate.  Every other failure of a write is indeterminate.
DEFINITE = {"NOT_LEADER", "NOT_ENOUGH_REPLICAS", "UNKNOWN_TOPIC_OR_PARTITION",
            "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "BROKER_NOT_AVAILABLE",
            "NOT_CONTROLLER", "NOT_COORDINATOR", "STALE_MEMBER_EPOCH",
            "UNKNOWN_MEMBER_ID", "THROTTLING_QUOTA_EXCEEDED", "TOPIC_ALREADY_EXISTS"}


def outcome_of(status, doc):
    """ok, fail or info for a write's answer, and its error code."""
    if 200 <= status < 300:
        return "ok", None
    code = error_of(doc).get("code", "HTTP_%d" % status)
    if code in DEFINITE or 400 <= status < 500:
        return "fail", code
    return "info", code


def leader_id(n):
    """A leader's id; -1 for none (the answers say -1 or null)."""
    return n if isinstance(n, int) else -1


class Cluster:
    """Where each partition's leader is, as the brokers last said."""

    def __init__(self, brokers):
        self.boot = ["http://" + b.strip() for b in brokers.split(",") if b.strip()]
        self.turn = 0
        self.nodes = {}  # broker id -> url
        self.leaders = {}  # (topic, partition) -> (id, url)
        self.counts = {}  # topic -> partitions

    def any_url(self):
        urls = self.boot + [u for u in list(self.nodes.values()) if u not in self.boot]
        self.turn += 1
        return urls[self.turn % len(urls)]

    def refresh(self, topic):
        """Metadata of topic from the first broker that answers; True if
        it describes the topic."""
        for _ in range(len(self.boot)):
            try:
                status, _, doc, _ = call(self.any_url(), "GET",
                                         "/v1/metadata?topics=" + urllib.parse.quote(topic),
                                         timeout=2.0)
            except (Refused, Ambiguous):
                continue
            if status != 200 or not doc:
                continue
            for b in doc.get("brokers", []):
                if b.get("url"):
                    self.nodes[b["node_id"]] = b["url"]
            for t in doc.get("topics", []):
                if t.get("name") != topic or "error" in t:
                    continue
                self.counts[topic] = len(t["partitions"])
                for p in t["partitions"]:
                    key = (topic, p["partition"])
                    if leader_id(p.get("leader")) >= 0 and p.get("leader_url"):
                        self.leaders[key] = (p["leader"], p["leader_url"])
                    else:
                        self.leaders.pop(key, None)
                return True
        return False

    def leader(self, topic, partition):
        key = (topic, partition)
        if key not in self.leaders:
            self.refresh(topic)
        return self.leaders.get(key)

    def moved(self, topic, partition, doc):
        """A NOT_LEADER names the leader; anything else: ask again."""
        lead = error_of(doc).get("leader") or {}
        if lead.get("url") and leader_id(lead.get("id")) >= 0:
            self.leaders[(topic, partition)] = (lead["id"], lead["url"])
        else:
            self.leaders.pop((topic, partition), None)

    def partitions(self, topic, deadline):
        while topic not in self.counts and time.monotonic() < deadline and not STOP:
            if not self.refresh(topic):
                nap(0.2)
        return self.counts.get(topic, 0)


class Pacer:
    """At most rate events a second, without bursts after a stall."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self):
        now = time.monotonic()
        if self.next > now:
            nap(self.next - now)
        self.next = max(self.next + self.interval, time.monotonic() - 1.0)


def produce_once(hist, cluster, topic, p, value, timeout):
    """One attempt to write value to topic-p; returns ok, fail or info,
    or None when no leader is known (nothing sent, nothing noted)."""
    lead = cluster.leader(topic, p)
    if lead is None:
        return None
    node, url = lead
    hist.event("invoke", "produce", topic=topic, partition=p, value=value, node=node)
    path = "/v1/topics/%s/partitions/%d/records?acks=all" % (urllib.parse.quote(topic), p)
    try:
        status, _, doc, _ = call(url, "POST", path, value.encode(), "text/plain", timeout)
    except Refused as e:
        cluster.leaders.pop((topic, p), None)
        hist.event("fail", "produce", topic=topic, partition=p, value=value, node=node, error=str(e))
        return "fail"
    except Ambiguous as e:
        cluster.leaders.pop((topic, p), None)
        hist.event("info", "produce", topic=topic, partition=p, value=value, node=node, error=str(e))
        return "info"
    kind, code = outcome_of(status, doc)
    if kind == "ok" and not isinstance((doc or {}).get("base_offset"), int):
        kind, code = "info", "an answer without its offset"
    if kind == "ok":
        hist.event("ok", "produce", topic=topic, partition=p, value=value, node=node,
                   offset=doc["base_offset"])
    else:
        cluster.moved(topic, p, doc)
        hist.event(kind, "produce", topic=topic, partition=p, value=value, node=node, error=code)
    return kind


def values(args, nparts, lane=0, lanes=1):
    """(value, partition) to write next, paced, until the count, the
    duration or a stop: P-000001 to partition 0, P-000002 to 1, ...
    Of lanes writers sharing the values and the rate, this is number
    lane's part: the values n with n - 1 = lane modulo lanes."""
    deadline = time.monotonic() + args.duration
    pacer = Pacer(args.rate / lanes)
    n = lane + 1
    while not STOP and n <= args.count and time.monotonic() < deadline and nparts:
        pacer.wait()
        if STOP:
            return
        yield "%s-%06d" % (args.proc, n), (n - 1) % nparts
        n += lanes


def produce_value(hist, cluster, topic, p, value, args, patience):
    """Send value until acknowledged, patience seconds at most, pausing
    between attempts (50 ms, doubling up to 1 s) as slog-produce does."""
    give_up = time.monotonic() + patience
    pause = 0.05
    while not STOP and time.monotonic() < give_up:
        if produce_once(hist, cluster, topic, p, value, args.request_timeout) == "ok":
            return
        nap(pause)
        pause = min(1.0, pause * 2)


def produce_http(args, hist, cluster):
    """One thread a partition, each one request at a time: a partition's
    writes stay in order, and a slow partition does not hold the others."""
    nparts = cluster.partitions(args.topic, time.monotonic() + args.duration)

    def lane(p):
        for value, part in values(args, nparts, p, nparts):
            produce_value(hist, cluster, args.topic, part, value, args, args.value_timeout)

    threads = [threading.Thread(target=lane, args=(p,)) for p in range(nparts)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # the main thread stays free for SIGTERM


def produce_cli(args, hist, cluster):
    """Feed slog-produce; its -O report says what was acknowledged."""
    err = open(os.path.join(args.history, args.proc + ".stderr"), "ab")
    cmd = ["slog-produce", "-b", args.brokers, "-t", args.topic, "-J", "--acks", "all",
           "--linger-ms", "0", "--timeout-ms", str(int(args.value_timeout * 1000)),
           "--report-format", "%p %o %s\\n"]
    child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                             start_new_session=True)
    sent = {}  # value -> partition, until acknowledged

    def read_reports():
        for line in child.stdout:
            parts = line.decode(errors="replace").rstrip("\n").split(" ", 2)
            if len(parts) != 3:
                continue
            p, off, value = int(parts[0]), int(parts[1]), parts[2]
            hist.event("ok", "produce", topic=args.topic, partition=p, value=value, offset=off)
            sent.pop(value, None)

    reader = threading.Thread(target=read_reports)
    reader.start()
    try:
        for value, p in values(args, cluster.partitions(args.topic, time.monotonic() + args.duration)):
            sent[value] = p
            hist.event("invoke", "produce", topic=args.topic, partition=p, value=value)
            child.stdin.write(json.dumps({"partition": p, "value": value}).encode() + b"\n")
            child.stdin.flush()
    except BrokenPipeError:
        pass
    try:
        child.stdin.close()
    except BrokenPipeError:
        pass
    # slog-produce now sends what it has read and waits for its answers
    # until their --timeout-ms.
    status = child.wait()
    reader.join()
    for value, p in sorted(sent.items()):
        hist.event("info", "produce", topic=args.topic, partition=p, value=value,
                   error="not acknowledged by slog-produce (exit status %d)" % status)


def fetch(cluster, hist, topic, p, offset, max_wait_ms, max_bytes, final=False):
    """One fetch from the leader; notes each record read (as ok events)
    unless final, and returns (records, next offset, high watermark,
    log start), or None after a noted failure."""
    lead = cluster.leader(topic, p)
    if lead is None:
        return None
    q = "max_wait_ms=%d&max_bytes=%d" % (max_wait_ms, max_bytes)
    if offset is not None:
        q += "&offset=%d" % offset
    path = "/v1/topics/%s/partitions/%d/records?%s" % (urllib.parse.quote(topic), p, q)
    try:
        status, resp, doc, raw = call(lead[1], "GET", path, timeout=max_wait_ms / 1000 + 5)
    except (Refused, Ambiguous) as e:
        cluster.leaders.pop((topic, p), None)
        if not final:
            hist.event("fail", "read", topic=topic, partition=p, offset=offset, error=str(e))
        return None
    if status != 200:
        err = error_of(doc)
        if err.get("code") == "OFFSET_OUT_OF_RANGE" and offset is not None and \
                offset < err.get("log_start_offset", 0):
            return [], err["log_start_offset"], err.get("high_watermark"), err["log_start_offset"]
        cluster.moved(topic, p, doc)
        if not final:
            hist.event("fail", "read", topic=topic, partition=p, offset=offset,
                       error=err.get("code", "HTTP_%d" % status))
        return None
    records = []
    for line in raw.decode(errors="replace").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        value = r.get("value") if "value" in r else "b64:" + str(r.get("value_b64"))
        records.append((r["offset"], value))
        if not final:
            hist.event("ok", "read", topic=topic, partition=p, offset=r["offset"], value=value)
    nxt = int(resp.getheader("Slog-Next-Offset", offset or 0))
    return (records, nxt, int(resp.getheader("Slog-High-Watermark", nxt)),
            int(resp.getheader("Slog-Log-Start-Offset", 0)))


def consume(args, hist, cluster):
    deadline = time.monotonic() + args.duration
    nparts = cluster.partitions(args.topic, deadline)
    position = {p: None for p in range(nparts)}
    bounds = {p: (0, 0) for p in range(nparts)}  # log start, high watermark
    rng = random.Random(args.proc)
    while not STOP and time.monotonic() < deadline and nparts:
        for p in range(nparts):
            if STOP:
                break
            if args.rescan:
                start, hw = bounds[p]
                offset = rng.randrange(start, hw) if hw > start else None
                got = fetch(cluster, hist, args.topic, p, offset, 0, 4096)
            else:
                got = fetch(cluster, hist, args.topic, p, position[p], 100, 262144)
            if got is None:
                nap(0.1)
                continue
            position[p] = got[1]
            bounds[p] = (got[3], max(got[2] or 0, got[3]))
        if args.rescan:
            nap(0.5)


class Member:
    """A consumer group member that commits what it read."""

    def __init__(self, args, hist, cluster):
        self.args, self.hist, self.cluster = args, hist, cluster
        self.coord = None
        self.member_id, self.epoch = "", 0
        self.assigned = []
        self.position = {}  # partition -> next offset to read; kept across rejoins
        self.committed = {}  # partition -> highest offset a commit was tried for
        self.last_heartbeat = 0.0

    def send(self, method, path, body=None):
        """A group request to the coordinator (any broker until known);
        follows a NOT_COORDINATOR for the next request."""
        url = self.coord or self.cluster.any_url()
        data = json.dumps(body).encode() if body is not None else None
        try:
            status, _, doc, _ = call(url, method, path, data, "application/json" if data else None,
                                     self.args.request_timeout)
        except (Refused, Ambiguous):
            self.coord = None
            raise
        err = error_of(doc)
        if err.get("code") == "NOT_COORDINATOR" and err.get("coordinator"):
            c = err["coordinator"]
            self.coord = "http://%s:%d" % (c["host"], c["port"])
        elif err.get("code") in ("COORDINATOR_NOT_AVAILABLE", "BROKER_NOT_AVAILABLE"):
            self.coord = None
        return status, doc

    def heartbeat(self):
        g = urllib.parse.quote(self.args.group, safe="")
        body = {"member_id": self.member_id, "member_epoch": self.epoch}
        if not self.member_id:
            body.update(topics=[self.args.topic], session_timeout_ms=10000)
        else:
            body["owned"] = [{"topic": self.args.topic, "partitions": self.assigned}]
        try:
            status, doc = self.send("POST", "/v1/groups/%s/heartbeat" % g, body)
        except (Refused, Ambiguous):
            return
        self.last_heartbeat = time.monotonic()
        if status == 200 and doc:
            self.member_id, self.epoch = doc["member_id"], doc["member_epoch"]
            self.assigned = sorted(p for a in doc.get("assignment", [])
                                   if a["topic"] == self.args.topic for p in a["partitions"])
        elif error_of(doc).get("code") in ("UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH"):
            self.member_id, self.epoch, self.assigned = "", 0, []

    def commit(self, p, offset):
        g, topic = self.args.group, self.args.topic
        fields = dict(group=g, topic=topic, partition=p, offset=offset)
        body = {"member_id": self.member_id, "member_epoch": self.epoch,
                "offsets": [{"topic": topic, "partition": p, "offset": offset}]}
        self.committed[p] = offset
        self.hist.event("invoke", "commit", **fields)
        try:
            status, doc = self.send("POST", "/v1/groups/%s/offsets" % urllib.parse.quote(g, safe=""), body)
        except Refused as e:
            self.hist.event("fail", "commit", error=str(e), **fields)
            return
        except Ambiguous as e:
            self.hist.event("info", "commit", error=str(e), **fields)
            return
        kind, code = outcome_of(status, doc)
        self.hist.event(kind, "commit", **({"error": code} if code else {}), **fields)

    def fetch_committed(self):
        g = self.args.group
        self.hist.event("invoke", "committed", group=g)
        path = "/v1/groups/%s/offsets?topics=%s" % (urllib.parse.quote(g, safe=""),
                                                   urllib.parse.quote(self.args.topic))
        try:
            status, doc = self.send("GET", path)
        except (Refused, Ambiguous) as e:
            self.hist.event("fail", "committed", group=g, error=str(e))
            return None
        if status != 200:
            self.hist.event("fail", "committed", group=g,
                            error=error_of(doc).get("code", "HTTP_%d" % status))
            return None
        offsets = [{"topic": o["topic"], "partition": o["partition"], "offset": o["offset"]}
                   for o in (doc or {}).get("offsets", [])]
        self.hist.event("ok", "committed", group=g, offsets=offsets)
        return offsets

    def step(self):
        if not self.member_id or time.monotonic() - self.last_heartbeat > 1.0:
            self.heartbeat()
        for o in self.fetch_committed() or []:
            # A partition first read starts where the group left off.
            self.position.setdefault(o["partition"], o["offset"])
            self.committed.setdefault(o["partition"], o["offset"])
        for p in list(self.assigned):
            if STOP:
                return
            got = fetch(self.cluster, self.hist, self.args.topic, p, self.position.get(p), 0, 65536)
            if got is None:
                continue
            self.position[p] = got[1]
            if got[0] and got[1] > self.committed.get(p, -1):
                self.commit(p, got[1])


def group(args, hist, cluster):
    deadline = time.monotonic() + args.duration
    member = Member(args, hist, cluster)
    while not STOP and time.monotonic() < deadline:
        member.step()
        nap(0.2)
    if member.member_id:
        try:
            member.send("POST", "/v1/groups/%s/leave" % urllib.parse.quote(args.group, safe=""),
                        {"member_id": member.member_id})
        except (Refused, Ambiguous):
            pass


def admin_call(hist, cluster, f, topic, method, path, body=None):
    hist.event("invoke", f, topic=topic)
    data = json.dumps(body).encode() if body is not None else None
    try:
        status, _, doc, _ = call(cluster.any_url(), method, path, data,
                                 "application/json" if data else None, 20.0)
    except Refused as e:
        hist.event("fail", f, topic=topic, error=str(e))
        return False
    except Ambiguous as e:
        hist.event("info", f, topic=topic, error=str(e))
        return False
    kind, code = outcome_of(status, doc)
    hist.event(kind, f, topic=topic, **({"error": code} if code else {}))
    return kind == "ok"


def admin(args, hist, cluster):
    deadline = time.monotonic() + args.duration
    cluster.refresh(args.topic)
    rf = max(1, min(3, len(cluster.nodes)))
    k = 0
    while not STOP and time.monotonic() < deadline:
        k += 1
        side = "%s-side-%d" % (args.topic, k)
        if admin_call(hist, cluster, "create", side, "POST", "/v1/topics",
                      {"name": side, "partitions": 1, "replication_factor": rf}):
            until = time.monotonic() + 3
            while not STOP and time.monotonic() < until and cluster.leader(side, 0) is None:
                nap(0.1)
            produce_value(hist, cluster, side, 0, "%s-%06d" % (args.proc, k), args, 3.0)
        admin_call(hist, cluster, "delete", side, "DELETE", "/v1/topics/" + urllib.parse.quote(side))
        nap(args.interval)


def setup(args, cluster):
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if cluster.refresh(args.topic):
            break
        cluster.refresh("")  # learn the brokers
        rf = max(1, min(3, len(cluster.nodes)))
        body = {"name": args.topic, "partitions": args.partitions, "replication_factor": rf,
                "configs": {"min.insync.replicas": str(min(2, rf))}}
        try:
            call(cluster.any_url(), "POST", "/v1/topics", json.dumps(body).encode(),
                 "application/json", 20.0)
        except (Refused, Ambiguous):
            nap(0.2)
    while time.monotonic() < deadline:
        n = cluster.counts.get(args.topic, 0)
        if n and all((args.topic, p) in cluster.leaders for p in range(n)):
            print(n)
            return 0
        nap(0.1)
        cluster.refresh(args.topic)
    print("workload: topic %s has no leader for every partition" % args.topic, file=sys.stderr)
    return 1


def acked_tops(directory):
    """(topic, partition) -> the highest offset the history acknowledged."""
    top = {}
    for path in glob.glob(os.path.join(directory, "*.jsonl")):
        if os.path.basename(path) == "final.jsonl":
            continue
        with open(path, errors="replace") as f:
            for line in f:
                if '"ok","f":"produce"' not in line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                key = (e["topic"], e["partition"])
                top[key] = max(top.get(key, -1), e["offset"])
    return top


def read_whole(cluster, topic, p, need, deadline):
    """Every record of topic-p from its leader, once its high watermark
    reaches need (or the deadline passed: then what there is).  Returns
    (records, high watermark, log start, leader) or an error string."""
    last = "no leader known"
    while not STOP:
        lead = cluster.leader(topic, p)
        got = fetch(cluster, None, topic, p, None, 0, 1 << 20, final=True) if lead else None
        if got is None:
            if time.monotonic() > deadline:
                return last
            cluster.refresh(topic)
            nap(0.2)
            continue
        records, nxt, hw, start = got
        if hw < need and time.monotonic() < deadline:
            nap(0.2)
            continue
        while got is not None and nxt < hw:
            got = fetch(cluster, None, topic, p, nxt, 0, 1 << 20, final=True)
            if got is not None:
                if got[1] <= nxt:
                    got = None
                    break
                records += got[0]
                nxt = got[1]
        if got is not None:
            return records, hw, start, lead[0]
        last = "the read from the leader failed midway"
        if time.monotonic() > deadline:
            return last
    return "stopped"


def varint(buf, pos):
    """A zigzag varint of a Kafka record at pos: (value, next pos)."""
    shift = raw = 0
    while True:
        b = buf[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (raw >> 1) ^ -(raw & 1), pos


def batch_records(buf, pos, end, base):
    """(offset, value) of each record of an uncompressed batch's body."""
    out = []
    while pos < end:
        length, pos = varint(buf, pos)
        rec_end = pos + length
        pos += 1  # attributes
        _, pos = varint(buf, pos)  # timestamp delta
        delta, pos = varint(buf, pos)
        klen, pos = varint(buf, pos)
        pos += max(klen, 0)
        vlen, pos = varint(buf, pos)
        value = None if vlen < 0 else buf[pos:pos + vlen].decode(errors="replace")
        out.append((base + delta, value))
        pos = rec_end
    return out


def replica_records(directory, hw):
    """The records of a replica's log files below hw, as far as they can
    be decoded (a compressed batch is passed over: zstd is not in the
    standard library)."""
    data = b"".join(open(f, "rb").read() for f in sorted(glob.glob(os.path.join(directory, "*.log"))))
    out, pos = [], 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        attributes = struct.unpack_from(">h", data, pos + 21)[0]
        last = base + struct.unpack_from(">i", data, pos + 23)[0]
        end = pos + 12 + length
        if length < 49 or end > len(data) or last >= hw:
            break
        if attributes & 7 == 0:
            out += batch_records(data, pos + 61, end, base)
        pos = end
    return out


def final(args, cluster):
    """The final read of every partition of each topic into H/final.jsonl."""
    need = acked_tops(args.history)
    dirs = dict(d.split("=", 1) for d in args.node_dir)
    # Written aside and renamed: a checker never reads half a final read.
    hist = History(args.history, "final", "final.jsonl.tmp", "w")
    deadline = time.monotonic() + args.wait
    for topic in args.topics:
        nparts = cluster.partitions(topic, deadline)
        if not nparts:
            hist.event("fail", "final", topic=topic, partition=None, error="no metadata")
        for p in range(nparts):
            got = read_whole(cluster, topic, p, need.get((topic, p), -1) + 1, deadline)
            if isinstance(got, str):
                hist.event("fail", "final", topic=topic, partition=p, error=got)
                continue
            records, hw, start, leader = got
            for offset, value in records:
                hist.event("ok", "read", topic=topic, partition=p, offset=offset, value=value,
                           final=True)
            hist.event("ok", "final", topic=topic, partition=p, high_watermark=hw,
                       log_start_offset=start, leader=leader)
            final_replicas(hist, cluster, dirs, topic, p, hw)
    hist.file.close()
    os.rename(os.path.join(args.history, "final.jsonl.tmp"), os.path.join(args.history, "final.jsonl"))
    return 0


def final_replicas(hist, cluster, dirs, topic, p, hw):
    """Each in-sync replica's bytes below hw, decoded, as one event."""
    if not dirs:
        return
    try:
        _, _, doc, _ = call(cluster.any_url(), "GET", "/v1/metadata?topics=" + urllib.parse.quote(topic),
                            timeout=5.0)
        part = next(x for x in doc["topics"][0]["partitions"] if x["partition"] == p)
    except (Refused, Ambiguous, KeyError, IndexError, TypeError, StopIteration):
        return
    for rid in part.get("isr", []):
        d = dirs.get(str(rid))
        if d is None or not os.path.isdir(os.path.join(d, "%s-%d" % (topic, p))):
            continue
        records = replica_records(os.path.join(d, "%s-%d" % (topic, p)), hw)
        hist.event("ok", "replica", topic=topic, partition=p, replica=rid, high_watermark=hw,
                   records=records)


def main():
    ap = argparse.ArgumentParser(description="slog fault-suite clients that record a history")
    ap.add_argument("role", choices=["setup", "produce", "consume", "group", "admin", "final"])
    ap.add_argument("--history", default=".")
    ap.add_argument("--proc", default="w")
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic")
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--via", choices=["http", "cli"], default="http")
    ap.add_argument("--rate", type=float, default=50.0, help="writes a second")
    ap.add_argument("--count", type=int, default=10 ** 9)
    ap.add_argument("--duration", type=float, default=900.0, help="seconds at most")
    ap.add_argument("--value-timeout", type=float, default=20.0)
    ap.add_argument("--request-timeout", type=float, default=10.0)
    ap.add_argument("--rescan", action="store_true")
    ap.add_argument("--group")
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--wait", type=float, default=30.0)
    ap.add_argument("--node-dir", action="append", default=[])
    ap.add_argument("topics", nargs="*")
    args = ap.parse_intermixed_args()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    cluster = Cluster(args.brokers)
    if args.role == "setup":
        return setup(args, cluster)
    if args.role == "final":
        return final(args, cluster)
    hist = History(args.history, args.proc)
    role = {"consume": consume, "group": group, "admin": admin,
            "produce": produce_cli if args.via == "cli" else produce_http}[args.role]
    role(args, hist, cluster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
