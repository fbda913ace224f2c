#!/usr/bin/env python3
"""tests/fault/checker.py: judge a history of a slog cluster under faults.

Usage: checker.py [--json FILE] [--around N] [--show N] H

H is a directory of JSON-lines histories (H/*.jsonl, written by
tests/fault/workload.py and nemesis_note; the event format is in
workload.py), with H/final.jsonl from workload.py's final read.  The
checker prints what the history holds, a table of anomalies, and for each
anomaly (the first --show of each kind) the history lines around it (--around
before and after, with their times from the start of the history), then
exits 1 if any anomaly of a failing kind was found, else 0.

Outcomes: a write is acknowledged when one of its attempts is ok; it
failed when every attempt failed definitely; otherwise (an info, or an
invoke without an answer: its writer died) it is indeterminate and may or
may not be in the log, once or more.

The anomalies (all fail the run but "duplicated"):
  lost        an acknowledged value is not at its acknowledged offset in the
              final read of its partition (offsets below the final log
              start offset excepted: retention removed them).
  reordered   a writer's acknowledgements for one partition, in the order
              they came, give a value a lower offset than an earlier one.
  two-valued  an offset seen holding two values, across acknowledgements,
              every read over time, the final read and the in-sync
              replicas' logs below the high watermark.
  vanished    a consumer read a value at an offset (only committed records
              are read) and the final read has another value there, or none.
  regressed   a group's committed offset, as fetched, is lower than one an
              earlier fetch answered or an earlier commit was acknowledged
              for (earlier: answered before this fetch was sent), or is gone.
  acked-after-fsync-failure
              a produce acknowledged by broker N (its ok names the "node"
              that answered) that was sent after a nemesis event
              {"fault":"fsync-fail","phase":"start","nodes":[N]} and before
              the matching "end".  slog-produce's acknowledgements do not
              name the broker and are judged by "lost" alone.
  failed-write-present
              a value whose every attempt was refused definitely (nothing
              was written, said the broker) is in the log.
  unchecked   the final read of a partition failed: nothing in it was checked.
  gap         the final read skipped offsets between the log start and the
              high watermark (no topic here is compacted: offsets follow on).
  duplicated  (counted only) a value at more than one offset: a retry of an
              indeterminate write, as without an idempotent producer.
"""

import argparse
import glob
import json
import os
import sys

KINDS = [("lost", "acknowledged writes lost", True),
         ("reordered", "acknowledgements out of offset order", True),
         ("two-valued", "offsets that held two values", True),
         ("vanished", "reads that later vanished", True),
         ("regressed", "group offsets that went backwards", True),
         ("acked-after-fsync-failure", "acknowledgements after a failed fsync", True),
         ("failed-write-present", "refused writes found in the log", True),
         ("unchecked", "partitions the final read missed", True),
         ("gap", "offsets below the high watermark not read", True),
         ("duplicated", "values written more than once", False)]


def load(directory):
    """Every event of every history file, in time order; each gets _file,
    _line (its place in its file) and _i (its place in time)."""
    events, bad = [], 0
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        name = os.path.basename(path)
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                try:
                    e = json.loads(line)
                    float(e["t"])
                except (ValueError, KeyError, TypeError):
                    bad += 1  # a writer killed mid-line
                    continue
                e["_file"], e["_line"] = name, n
                events.append(e)
    events.sort(key=lambda e: e["t"])
    for i, e in enumerate(events):
        e["_i"] = i
    return events, bad


def pair(events):
    """Link each answer to its invoke (_invoke): the last open invoke of the
    same writer, operation and value (produces of one writer overlap; its
    other operations are one at a time).  Returns the invokes left open."""
    open_ = {}
    for e in sorted(events, key=lambda e: (e["_file"], e["_line"])):
        if e.get("f") in ("read", "final", "replica", "nemesis"):
            continue
        key = (e["proc"], e["f"], e.get("value"))
        if e["type"] == "invoke":
            open_.setdefault(key, []).append(e)
        elif open_.get(key):
            e["_invoke"] = open_[key].pop()
    return [e for stack in open_.values() for e in stack]


class Checker:
    def __init__(self, events):
        self.events = events
        self.found = {k: [] for k, _, _ in KINDS}
        self.pending = pair(events)
        self.final = {}  # (topic, partition) -> final event
        self.log = {}  # (topic, partition) -> {offset: value}
        self.spots = {}  # (topic, value) -> {(partition, offset): first read there}
        for e in events:
            if e.get("f") == "read" and e["type"] == "ok":
                self.spots.setdefault((e["topic"], e["value"]), {}).setdefault(
                    (e["partition"], e["offset"]), e)
            if e.get("f") == "final" and e.get("partition") is not None:
                self.final[(e["topic"], e["partition"])] = e
            elif e.get("f") == "read" and e.get("final") and e["type"] == "ok":
                self.log.setdefault((e["topic"], e["partition"]), {})[e["offset"]] = e["value"]

    def add(self, kind, message, *keys):
        self.found[kind].append((message, [k for k in keys if k is not None]))

    def checked(self, topic, partition, offset):
        """Whether the final read speaks for this offset."""
        fin = self.final.get((topic, partition))
        return fin is not None and fin["type"] == "ok" and offset >= fin["log_start_offset"]

    def writes(self):
        """value -> (ok event or None, every answer, open invokes)."""
        by = {}
        for e in self.events:
            if e.get("f") == "produce" and e["type"] != "invoke":
                by.setdefault((e["topic"], e["value"]), []).append(e)
        for e in self.pending:
            if e["f"] == "produce":
                by.setdefault((e["topic"], e["value"]), [])
        return by

    def check_writes(self):
        opened = {(e["topic"], e["value"]) for e in self.pending if e["f"] == "produce"}
        for (topic, value), answers in self.writes().items():
            oks = [a for a in answers if a["type"] == "ok"]
            if oks:
                self.check_ack(oks[0])
            elif answers and all(a["type"] == "fail" for a in answers) and \
                    (topic, value) not in opened:
                where = sorted(self.spots.get((topic, value), {}).items(), key=lambda kv: kv[0])
                if where:
                    (p, o), read = where[0]
                    self.add("failed-write-present", "%r was refused on every attempt, yet is in %s-%d at %d"
                             % (value, topic, p, o), answers[-1].get("_invoke"), answers[-1], read)

    def check_ack(self, ok):
        key = (ok["topic"], ok["partition"])
        if not self.checked(ok["topic"], ok["partition"], ok["offset"]):
            return
        got = self.log.get(key, {}).get(ok["offset"])
        if got != ok["value"]:
            self.add("lost", "%r acknowledged at %s-%d offset %d; the final read has %s there (high watermark %d)"
                     % (ok["value"], ok["topic"], ok["partition"], ok["offset"],
                        "nothing" if got is None else repr(got), self.final[key]["high_watermark"]),
                     ok.get("_invoke"), ok)

    def check_order(self):
        last = {}
        for e in sorted(self.events, key=lambda e: (e["_file"], e["_line"])):
            if e.get("f") != "produce" or e["type"] != "ok":
                continue
            key = (e["proc"], e["topic"], e["partition"])
            prev = last.get(key)
            if prev is not None and e["offset"] < prev["offset"]:
                self.add("reordered", "%s: %r acknowledged after %r, at offset %d below its %d (%s-%d)"
                         % (e["proc"], e["value"], prev["value"], e["offset"], prev["offset"],
                            e["topic"], e["partition"]), prev, e)
            if prev is None or e["offset"] > prev["offset"]:
                last[key] = e

    def observations(self):
        """(topic, partition, offset) -> {value: first event that showed it}."""
        obs = {}
        for e in self.events:
            f = e.get("f")
            if e["type"] != "ok":
                continue
            if f in ("produce", "read"):
                obs.setdefault((e["topic"], e["partition"], e["offset"]), {}).setdefault(e["value"], e)
            elif f == "replica":
                for offset, value in e["records"]:
                    obs.setdefault((e["topic"], e["partition"], offset), {}).setdefault(value, e)
        return obs

    def check_offsets(self):
        for (topic, p, o), values in sorted(self.observations().items()):
            if len(values) > 1:
                self.add("two-valued", "%s-%d offset %d held %s" % (topic, p, o, " and ".join(
                    "%r (%s)" % (v, describe(e)) for v, e in values.items())), *values.values())
        for (topic, value), where in sorted(self.spots.items(), key=lambda kv: str(kv[0])):
            if len(where) > 1:
                self.add("duplicated", "%r is in %s at %s" % (value, topic, ", ".join(
                    "%d/%d" % w for w in sorted(where))), *where.values())

    def check_reads(self):
        seen = set()
        for e in self.events:
            if e.get("f") != "read" or e["type"] != "ok" or e.get("final"):
                continue
            key = (e["topic"], e["partition"], e["offset"], e["value"])
            if key in seen or not self.checked(*key[:3]):
                continue
            seen.add(key)
            got = self.log.get(key[:2], {}).get(e["offset"])
            if got != e["value"]:
                self.add("vanished", "%s read %r at %s-%d offset %d; the final read has %s there"
                         % (e["proc"], e["value"], e["topic"], e["partition"], e["offset"],
                            "nothing" if got is None else repr(got)), e)

    def check_groups(self):
        """Walk time: a fetch is judged against what was known when it was
        sent (checks at its invoke's time), and adds to what is known when
        answered, as an acknowledged commit does."""
        steps = []
        for e in self.events:
            if e["type"] != "ok" or e.get("f") not in ("commit", "committed"):
                continue
            if e["f"] == "commit":
                steps.append((e["t"], 1, e, [(e["topic"], e["partition"], e["offset"])]))
                continue
            got = [(o["topic"], o["partition"], o["offset"]) for o in e["offsets"]]
            sent = e["_invoke"]["t"] if "_invoke" in e else e["t"]
            steps.append((sent, 0, e, got))
            steps.append((e["t"], 1, e, got))
        known = {}  # (group, topic, partition) -> (offset, event)
        for _, update, e, got in sorted(steps, key=lambda s: (s[0], s[1])):
            g = e["group"]
            if update:
                for topic, p, o in got:
                    if (g, topic, p) not in known or o > known[(g, topic, p)][0]:
                        known[(g, topic, p)] = (o, e)
                continue
            answer = {(topic, p): o for topic, p, o in got}
            for (kg, topic, p), (o, why) in sorted(known.items(), key=lambda kv: str(kv[0])):
                now = answer.get((topic, p))
                if kg == g and (now is None or now < o):
                    self.add("regressed", "group %s %s-%d: fetched %s after %s %d"
                             % (g, topic, p, "nothing" if now is None else now,
                                "a commit acknowledged" if why["f"] == "commit" else "a fetch answered",
                                o), why, e)

    def check_fsync(self):
        windows = []  # (node, start event, end event or None)
        for e in self.events:
            if e.get("f") != "nemesis" or e.get("fault") != "fsync-fail":
                continue
            for n in e.get("nodes", []):
                if e.get("phase") == "start":
                    windows.append([n, e, None])
                else:
                    for w in windows:
                        if w[0] == n and w[2] is None:
                            w[2] = e
        for e in self.events:
            if e.get("f") != "produce" or e["type"] != "ok" or "node" not in e:
                continue
            sent = e["_invoke"]["t"] if "_invoke" in e else e["t"]
            for node, start, end in windows:
                if e["node"] == node and sent > start["t"] and (end is None or sent < end["t"]):
                    self.add("acked-after-fsync-failure",
                             "broker %s acknowledged %r (%s-%d offset %d), sent after its fsync failed"
                             % (node, e["value"], e["topic"], e["partition"], e["offset"]),
                             start, e.get("_invoke"), e)

    def check_final(self):
        for e in self.events:
            if e.get("f") == "final" and e["type"] != "ok":
                self.add("unchecked", "the final read of %s-%s failed: %s"
                         % (e["topic"], e.get("partition"), e.get("error")), e)
        for (topic, p), fin in sorted(self.final.items()):
            if fin["type"] != "ok":
                continue
            log = self.log.get((topic, p), {})
            missing = [o for o in range(fin["log_start_offset"], fin["high_watermark"]) if o not in log]
            if missing:
                self.add("gap", "the final read of %s-%d lacks %d offsets below the high watermark %d, from %d"
                         % (topic, p, len(missing), fin["high_watermark"], missing[0]), fin)

    def run(self):
        self.check_final()
        self.check_writes()
        self.check_order()
        self.check_offsets()
        self.check_reads()
        self.check_groups()
        self.check_fsync()
        return self.found


def describe(e):
    if e.get("f") == "replica":
        return "replica %s's log" % e["replica"]
    if e.get("f") == "produce":
        return "acknowledged to %s" % e["proc"]
    return "final read" if e.get("final") else "read by %s" % e["proc"]


def show(e, t0):
    """One history line for people: its time from the start, its writer,
    what it says; long fields cut."""
    fields = {k: v for k, v in e.items() if not k.startswith("_") and k not in ("t", "proc", "type", "f")}
    text = json.dumps(fields, separators=(",", ":"))
    if len(text) > 160:
        text = text[:157] + "..."
    return "%+10.3f %-8s %-6s %-9s %s  (%s:%d)" % (e["t"] - t0, e["proc"], e["type"], e["f"], text,
                                                e["_file"], e["_line"])


def around(events, keys, n, t0, out):
    """The events within n places of each key event, key events marked,
    and the last fault before the first of them."""
    marks = {k["_i"] for k in keys}
    lines = sorted({i for k in keys for i in range(max(0, k["_i"] - n), min(len(events), k["_i"] + n + 1))})
    prev = None
    for i in lines:
        if prev is not None and i != prev + 1:
            print("      ...", file=out)
        print("   %s %s" % (">" if i in marks else " ", show(events[i], t0)), file=out)
        prev = i
    first = min(marks) if marks else len(events)
    faults = [e for e in events[:first] if e.get("f") == "nemesis"]
    if faults:
        print("     last fault before: %s" % show(faults[-1], t0), file=out)


def summary(events, bad, out):
    t0 = events[0]["t"] if events else 0.0
    span = events[-1]["t"] - t0 if events else 0.0
    procs = sorted({e["proc"] for e in events})
    print("history: %d events from %d writers over %.1f s%s" % (
        len(events), len(procs), span, ", %d unreadable lines skipped" % bad if bad else ""), file=out)
    counts = {}
    for e in events:
        if e.get("final") or e.get("f") in ("final", "replica"):
            continue
        counts.setdefault(e.get("f"), {}).setdefault(e["type"], 0)
        counts[e.get("f")][e["type"]] += 1
    print("  %-10s %8s %8s %8s %8s" % ("operation", "invoke", "ok", "fail", "info"), file=out)
    for f in sorted(counts, key=str):
        c = counts[f]
        print("  %-10s %8d %8d %8d %8d" % (f, c.get("invoke", 0), c.get("ok", 0), c.get("fail", 0),
                                           c.get("info", 0)), file=out)
    faults = [e for e in events if e.get("f") == "nemesis" and e.get("phase") == "start"]
    if faults:
        kinds = {}
        for e in faults:
            kinds[e.get("fault")] = kinds.get(e.get("fault"), 0) + 1
        print("  faults: %d (%s)" % (len(faults), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))),
              file=out)
    return t0


def main():
    ap = argparse.ArgumentParser(description="judge a slog fault-suite history")
    ap.add_argument("history")
    ap.add_argument("--json", help="also write the counts here, as one JSON object")
    ap.add_argument("--around", type=int, default=3, help="history lines shown before and after")
    ap.add_argument("--show", type=int, default=5, help="anomalies shown of each kind")
    args = ap.parse_args()
    events, bad = load(args.history)
    out = sys.stdout
    t0 = summary(events, bad, out)
    checker = Checker(events)
    if not checker.final:
        print("  no final read in %s: lost and vanished reads not checked" % args.history, file=out)
    found = checker.run()
    acked = sum(1 for e in events if e.get("f") == "produce" and e["type"] == "ok")
    print("\n  %-26s %7s  %-7s  %s" % ("anomaly", "count", "verdict", "what"), file=out)
    failed = []
    for kind, label, fails in KINDS:
        n = len(found[kind])
        verdict = ("FAIL" if n else "ok") if fails else "counted"
        if fails and n:
            failed.append(kind)
        print("  %-26s %7d  %-7s  %s" % (kind, n, verdict, label), file=out)
    for kind, _, fails in KINDS:
        for message, keys in found[kind][:args.show]:
            print("\n%s: %s" % (kind.upper() if fails else kind, message), file=out)
            around(events, keys, args.around, t0, out)
        if len(found[kind]) > args.show:
            print("\n%s: %d more" % (kind, len(found[kind]) - args.show), file=out)
    if args.json:
        with open(args.json, "w") as f:
            faults = sum(1 for e in events if e.get("f") == "nemesis" and e.get("phase") == "start")
            json.dump(dict({k: len(v) for k, v in found.items()}, acknowledged=acked, faults=faults,
                           events=len(events), failed=failed), f)
            f.write("\n")
    print("\nresult: %s" % ("FAIL (%s)" % ", ".join(failed) if failed else "pass"), file=out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
