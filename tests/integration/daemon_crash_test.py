#!/usr/bin/env python3
"""Crash test of the real regionsyncd: a local cluster of three replicas takes
writes on every port while it is killed with SIGKILL at random moments (at
least 20 times, seeded); after each restart every acknowledged write is
present, and at the end all replicas agree. Writes go over HTTP, or with
--protocol resp over the Redis port, 16 pipelined commands at a time (INCR,
SADD and ZINCRBY of a sorted set every region increments).

Usage: daemon_crash_test.py <regionsyncd> [--seed N] [--rounds N] [--fsync always|every:<ms>] [--protocol http|resp]
Replay a failure with the seed it prints."""
import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, RespConnection, RespError, request, wait_until  # noqa: E402

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


class Writer(threading.Thread):
    """Writes to one replica over one keep-alive connection until it fails;
    records what was acknowledged (HTTP 200)."""

    def __init__(self, port, region, round_no, acked):
        super().__init__(daemon=True)
        self.port, self.region, self.round_no, self.acked = port, region, round_no, acked
        self.stop = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                if n % 2:
                    path, body, kind = "/v1/keys/count-%s/increment" % self.region, {"by": 1}, "inc"
                else:
                    elem = "r%d-%s-%d" % (self.round_no, self.region, n)
                    path, body, kind = "/v1/keys/elements/add", {"element": elem}, elem
                conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    if kind == "inc":
                        self.acked["inc"] += 1
                    else:
                        self.acked["elements"].add(kind)
        except (OSError, http.client.HTTPException):
            pass  # the daemon was killed
        finally:
            conn.close()


class RespWriter(Writer):
    """The same writes over the Redis port, 16 pipelined per round trip; a
    reply that is not an error acknowledges its command."""

    def run(self):
        n = 0
        try:
            conn = RespConnection(self.port, timeout=5)
            while not self.stop.is_set():
                batch, kinds = [], []
                for _ in range(16):
                    n += 1
                    if n % 3 == 1:
                        batch.append(conn.encode("INCR", "count-" + self.region))
                        kinds.append("inc")
                    elif n % 3 == 2:
                        batch.append(conn.encode("ZINCRBY", "board", "1", self.region))
                        kinds.append("zinc")
                    else:
                        elem = "r%d-%s-%d" % (self.round_no, self.region, n)
                        batch.append(conn.encode("SADD", "elements", elem))
                        kinds.append(elem)
                conn.send(b"".join(batch))
                for kind in kinds:
                    if isinstance(conn.read_reply(), RespError):
                        continue
                    if kind in ("inc", "zinc"):
                        self.acked[kind] += 1
                    else:
                        self.acked["elements"].add(kind)
        except (OSError, ConnectionError):
            pass  # the daemon was killed


def check_acked(c, d, acked, round_no):
    for i, region in enumerate(REGIONS):
        p = d.ports[i]
        r = request(p, "GET", "/v1/keys/count-" + region)
        # A counter written over HTTP is a number; over RESP it is a Redis
        # string holding the integer's text.
        got = int(r.json["value"] or 0) if r.status == 200 else 0
        c.true("round %d: %s keeps its %d acknowledged increments" % (round_no, region, acked[region]["inc"]),
               got >= acked[region]["inc"], "(has %r)" % got)
        r = request(p, "GET", "/v1/keys/board")  # a sorted set: [member, score] pairs
        score = dict((m, v) for m, v in r.json["value"]).get(region, 0) if r.status == 200 else 0
        c.true("round %d: %s keeps its %d acknowledged ZINCRBYs" % (round_no, region, acked[region]["zinc"]),
               score >= acked[region]["zinc"], "(has %r)" % score)
        r = request(p, "GET", "/v1/keys/elements")
        have = set(r.json["value"]) if r.status == 200 else set()
        missing = acked[region]["elements"] - have
        c.true("round %d: %s keeps its %d acknowledged adds" % (round_no, region, len(acked[region]["elements"])),
               not missing, "(missing %d, e.g. %s)" % (len(missing), sorted(missing)[:3]))


def snapshot(port):
    keys = request(port, "GET", "/v1/keys").json["keys"]
    return {k: request(port, "GET", "/v1/keys/" + k).json["value"] for k in keys}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default="build/bin/regionsyncd")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--fsync", default="always")
    ap.add_argument("--protocol", choices=["http", "resp"], default="http")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    print("daemon_crash_test seed=%d rounds=%d fsync=%s protocol=%s (replay: --seed %d)"
          % (seed, a.rounds, a.fsync, a.protocol, seed), flush=True)
    rng = random.Random(seed)
    c = Checks()
    d = Daemon(a.binary, ["--local-cluster", ",".join(REGIONS), "--fsync", a.fsync,
                          "--anti-entropy-interval-ms", "200", "--log-level", "warn"],
               ports=3, base_port=None)
    d.port = d.ports[0]
    acked = {r: {"inc": 0, "zinc": 0, "elements": set()} for r in REGIONS}
    try:
        d.start()
        store = request(d.port, "GET", "/v1/status").json["store"]
        if store == "memory":
            print("SKIP: this regionsyncd keeps state in memory; nothing survives kill -9")
            return 77
        for round_no in range(a.rounds):
            if a.protocol == "resp":
                writers = [RespWriter(d.resp_ports[i], REGIONS[i], round_no, acked[REGIONS[i]]) for i in range(3)]
            else:
                writers = [Writer(d.ports[i], REGIONS[i], round_no, acked[REGIONS[i]]) for i in range(3)]
            for w in writers:
                w.start()
            # A random moment: right after start up to ~0.6 s of writes.
            time.sleep(rng.uniform(0.0, 0.6))
            d.kill9()
            for w in writers:
                w.stop.set()
                w.join(10)
            d.start()
            check_acked(c, d, acked, round_no)
        # After sync, all replicas agree, and everyone holds every acknowledged write.
        def agree():
            snaps = [snapshot(p) for p in d.ports]
            return snaps if snaps[0] == snaps[1] == snaps[2] else None
        snaps = wait_until(agree, timeout=30, what="replicas agree after the last restart")
        c.passed += 1
        everything = set().union(*(acked[r]["elements"] for r in REGIONS))
        c.true("every acknowledged add is on every replica", everything <= set(snaps[0].get("elements", [])))
        board = dict((m, v) for m, v in snaps[0].get("board") or [])
        for r in REGIONS:
            c.true("every replica has %s's acknowledged increments" % r,
                   int(snaps[0].get("count-" + r) or 0) >= acked[r]["inc"])
            c.true("every replica has %s's acknowledged ZINCRBYs" % r, board.get(r, 0) >= acked[r]["zinc"])
        total = sum(acked[r]["inc"] + len(acked[r]["elements"]) for r in REGIONS)
        print("acknowledged writes: %d over %d kill -9 rounds" % (total, a.rounds))
        c.true("writes were acknowledged", total > 0)
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        d.cleanup()
    rc = c.finish("daemon_crash_test seed=%d" % seed)
    if rc:
        print("replay: %s %s --seed %d --rounds %d --fsync %s --protocol %s"
              % (sys.executable, __file__, seed, a.rounds, a.fsync, a.protocol))
    return rc


if __name__ == "__main__":
    sys.exit(main())
