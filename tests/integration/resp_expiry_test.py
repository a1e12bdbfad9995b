#!/usr/bin/env python3
"""Key expiry over the Redis port of a three-region local cluster, as
docs/redis.md ("Expiry") gives the rules, through redis-cli (subscribers
through the harness's RESP client):
  - SET k v EX 30 in one region: TTL, PTTL, EXPIRETIME and PEXPIRETIME agree
    in every region (the same absolute PEXPIRETIME once replicated);
  - the rate-limiter idiom (INCR k, EXPIRE k 2 NX) from every region: the
    counts add up, the key expires in every region (GET nil, TTL -2,
    EXISTS 0) with the `expired` keyspace event in each, and INCR after the
    expiry answers 1 and reads 1 everywhere, without an expiry;
  - EXPIRE || PERSIST (and EXPIRE || EXPIRE) in two regions made concurrent
    with /v1/admin/partition: after the heal every region answers the same
    PEXPIRETIME, one of the two writes' (last writer wins);
  - a set, a hash and a sorted set with EXPIRE (from another region than the
    one that wrote them) are gone everywhere, with the `expired` event in
    each region; a write after the expiry starts a new key of its own type.

usage: resp_expiry_test.py REGIONSYNCD
Fails (exit 1), never skips, when redis-cli is missing: scripts/test installs it."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, RespConnection, wait_until  # noqa: E402
from resp_cli_test import REGIONS, collect, lines, local_cluster, out, prerequisites, section  # noqa: E402
from resp_contract_test import alone, everywhere, partitioned  # noqa: E402

EXPIRED = "__keyevent@0__:expired"


def now_ms():
    return int(time.time() * 1000)


class ExpiredEvents:
    """One subscriber per region to the `expired` keyevent channel, set up as
    an application would (CONFIG SET notify-keyspace-events Ex first, which
    the port accepts and which changes nothing: events are always on).
    Keeps every message each region delivered, across sections."""

    def __init__(self, c, ports):
        self.subs = []
        self.got = [[] for _ in ports]
        for region, p in zip(REGIONS, ports):
            c.eq("CONFIG SET notify-keyspace-events Ex in %s" % region,
                 out(p, "CONFIG", "SET", "notify-keyspace-events", "Ex"), "OK")
            sub = RespConnection(p)
            self.subs.append(sub)
            c.eq("PSUBSCRIBE %s in %s" % (EXPIRED, region), sub.command("PSUBSCRIBE", EXPIRED),
                 ["psubscribe", EXPIRED, 1])

    def expect(self, c, key):
        """Checks that every region delivered the `expired` event of `key`."""
        want = ("pmessage", EXPIRED, EXPIRED, key)
        for region, sub, got in zip(REGIONS, self.subs, self.got):
            if want not in got:
                got.extend(collect(sub, [want], timeout=20))
            c.true("expired event of %s in %s" % (key, region), want in got,
                   "received %r" % [m for m in got if key in m or not isinstance(m, tuple)])
            c.true("expired event of %s in %s not repeated (so far)" % (key, region), got.count(want) <= 1,
                   "received %d" % got.count(want))

    def close(self):
        for sub in self.subs:
            sub.close()


def check_set_ex(c, d):
    east = d.resp_ports[0]
    before = now_ms()
    c.eq("SET k v EX 30", out(east, "SET", "exp:session", "v", "EX", "30"), "OK")
    at = int(out(east, "PEXPIRETIME", "exp:session"))
    c.true("PEXPIRETIME is 30 s after the SET", before + 30_000 <= at <= now_ms() + 30_000,
           "(%d, SET sent at %d)" % (at, before))
    c.eventually("the same PEXPIRETIME in every region", lambda: everywhere(d, "PEXPIRETIME", "exp:session"),
                 [str(at)] * 3)
    c.eq("the value in every region", everywhere(d, "GET", "exp:session"), ["v"] * 3)
    # Redis rounds EXPIRETIME and TTL to the nearest second.
    c.eq("EXPIRETIME in every region", everywhere(d, "EXPIRETIME", "exp:session"), [str((at + 500) // 1000)] * 3)
    for region, p in zip(REGIONS, d.resp_ports):
        lo = now_ms()
        pttl = int(out(p, "PTTL", "exp:session"))
        ttl = int(out(p, "TTL", "exp:session"))
        hi = now_ms()
        # This region's clock is the test's (one machine): PTTL is the time
        # left to PEXPIRETIME when the command ran, between lo and hi (give or
        # take a server that reads its clock once per event-loop round).
        lo, hi = lo - 50, hi + 50
        c.true("PTTL in %s is PEXPIRETIME - now" % region, at - hi <= pttl <= at - lo,
               "(PTTL %d, PEXPIRETIME - now in [%d, %d])" % (pttl, at - hi, at - lo))
        c.true("TTL in %s is that in seconds" % region, (at - hi + 500) // 1000 <= ttl <= (at - lo + 500) // 1000
               and 0 < ttl <= 30, "(TTL %d, PTTL %d)" % (ttl, pttl))


def check_rate_limiter(c, d, events):
    """INCR k; EXPIRE k 2 NX from every region: one window for all of them."""
    key = "exp:rate"
    hits = [2, 3, 1]
    expire_replies = []
    for region, p, n in zip(REGIONS, d.resp_ports, hits):
        for _ in range(n):
            c.true("INCR in %s" % region, out(p, "INCR", key).isdigit())
            expire_replies.append(out(p, "EXPIRE", key, "2", "NX"))
    c.eq("the first EXPIRE NX sets the window", expire_replies[0], "1")
    c.true("EXPIRE NX answers 0 or 1", set(expire_replies) <= {"0", "1"}, "(%r)" % expire_replies)
    # Read before the window closes: replication takes milliseconds here, the
    # window two seconds.
    c.eventually("the counts add up in every region, with one expiry",
                 lambda: (everywhere(d, "GET", key), len(set(everywhere(d, "PEXPIRETIME", key)))),
                 ([str(sum(hits))] * 3, 1), timeout=2)
    c.eventually("expired in every region: GET nil, TTL -2, EXISTS 0",
                 lambda: (everywhere(d, "GET", key), everywhere(d, "TTL", key), everywhere(d, "EXISTS", key)),
                 ([""] * 3, ["-2"] * 3, ["0"] * 3), timeout=20)
    events.expect(c, key)
    c.eq("INCR after the expiry starts a new count", out(d.resp_ports[1], "INCR", key), "1")
    c.eventually("the new count everywhere, without an expiry",
                 lambda: (everywhere(d, "GET", key), everywhere(d, "TTL", key)), (["1"] * 3, ["-1"] * 3))


def check_concurrent_expiry_writes(c, d):
    """Two expiry writes made concurrent by a partition: after the heal every
    region answers the same PEXPIRETIME, one of the two (last writer wins)."""
    east, west, _ = d.resp_ports
    cases = [
        ("EXPIRE in us-east-1 || PERSIST in us-west-2", ["EXPIRE", "500"], ["PERSIST"]),
        ("PERSIST in us-east-1 || EXPIRE in us-west-2", ["PERSIST"], ["EXPIRE", "500"]),
        ("EXPIRE in us-east-1 || EXPIRE in us-west-2", ["EXPIRE", "500"], ["EXPIRE", "700"]),
    ]
    for i, (name, east_write, west_write) in enumerate(cases):
        key = "exp:race%d" % i
        c.eq("%s: SET EX 1000" % name, out(east, "SET", key, "v", "EX", "1000"), "OK")
        setup_at = out(east, "PEXPIRETIME", key)
        c.eventually("%s: setup everywhere" % name, lambda: everywhere(d, "PEXPIRETIME", key), [setup_at] * 3)
        allowed = {}

        def writes():
            for region, p, cmd in (("us-east-1", east, east_write), ("us-west-2", west, west_write)):
                c.eq("%s: %s in %s" % (name, cmd[0], region), out(p, cmd[0], key, *cmd[1:]), "1")
                allowed[region] = out(p, "PEXPIRETIME", key)
        partitioned(c, d, alone(), writes)
        c.true("%s: each region's own write took effect" % name,
               setup_at not in allowed.values() and len(set(allowed.values())) == 2, "(%r)" % allowed)

        def agreed():
            got = everywhere(d, "PEXPIRETIME", key)
            return got[0] in allowed.values() and got.count(got[0]) == 3
        try:
            wait_until(agreed, timeout=20, what="one PEXPIRETIME everywhere")
            c.passed += 1
        except AssertionError:
            c.failed.append("%s: after the heal every region should answer the same PEXPIRETIME, one of %r; got %r"
                            % (name, allowed, everywhere(d, "PEXPIRETIME", key)))
            continue
        winner = out(east, "PEXPIRETIME", key)
        want_ttl = ["-1"] * 3 if winner == "-1" else None
        got_ttl = everywhere(d, "TTL", key)
        c.true("%s: the same TTL answer everywhere" % name,
               got_ttl == want_ttl if want_ttl else all(t.isdigit() and 400 <= int(t) <= 700 for t in got_ttl),
               "(PEXPIRETIME %s, TTL %r)" % (winner, got_ttl))
        c.eq("%s: the value stays everywhere" % name, everywhere(d, "GET", key), ["v"] * 3)


def check_every_type_expires(c, d, events):
    """A set, a hash and a sorted set, each written in one region and given an
    expiry by another: gone everywhere."""
    east, west, eu = d.resp_ports
    c.eq("SADD in us-east-1", out(east, "SADD", "exp:set", "a", "b"), "2")
    c.eq("HSET in us-west-2", out(west, "HSET", "exp:hash", "f", "1", "g", "2"), "2")
    c.eq("ZADD in eu-west-1", out(eu, "ZADD", "exp:zset", "1", "x", "2", "y"), "2")
    c.eventually("every key in every region",
                 lambda: (everywhere(d, "SCARD", "exp:set"), everywhere(d, "HLEN", "exp:hash"),
                          everywhere(d, "ZCARD", "exp:zset")), (["2"] * 3,) * 3)
    c.eq("EXPIRE the set in us-west-2", out(west, "EXPIRE", "exp:set", "2"), "1")
    c.eq("EXPIRE the hash in eu-west-1", out(eu, "EXPIRE", "exp:hash", "2"), "1")
    c.eq("EXPIRE the sorted set in us-east-1", out(east, "EXPIRE", "exp:zset", "2"), "1")
    for key, read in (("exp:set", ["SMEMBERS"]), ("exp:hash", ["HGETALL"]), ("exp:zset", ["ZRANGE", "0", "-1"])):
        c.eventually("%s gone everywhere: EXISTS, TYPE, TTL, %s" % (key, read[0]),
                     lambda key=key, read=read: [(out(p, "EXISTS", key), out(p, "TYPE", key), out(p, "TTL", key),
                                                  lines(p, read[0], key, *read[1:])) for p in d.resp_ports],
                     [("0", "none", "-2", [])] * 3, timeout=20)
        events.expect(c, key)
    c.eq("KEYS exp:* holds none of them", [sorted(k for k in lines(p, "KEYS", "exp:*")
                                                  if k in ("exp:set", "exp:hash", "exp:zset")) for p in d.resp_ports],
         [[]] * 3)
    # A write after the expiry starts the key's next incarnation, of the
    # write's own type (docs/redis.md, Expiry).
    c.eq("SET on the expired set", out(eu, "SET", "exp:set", "now-a-string"), "OK")
    c.eq("SADD on the expired hash", out(east, "SADD", "exp:hash", "m"), "1")
    c.eventually("the new incarnations everywhere",
                 lambda: [(out(p, "TYPE", "exp:set"), out(p, "GET", "exp:set"), out(p, "TYPE", "exp:hash"),
                           lines(p, "SMEMBERS", "exp:hash")) for p in d.resp_ports],
                 [("string", "now-a-string", "set", ["m"])] * 3)


def main():
    rc = prerequisites("resp_expiry_test.py")
    if rc is not None:
        return rc
    c = Checks()
    d = local_cluster(sys.argv[1])
    events = None
    try:
        d.start()
        events = ExpiredEvents(c, d.resp_ports)
        section(c, "SET EX", lambda: check_set_ex(c, d))
        section(c, "rate limiter", lambda: check_rate_limiter(c, d, events))
        section(c, "concurrent expiry writes", lambda: check_concurrent_expiry_writes(c, d))
        section(c, "every type expires", lambda: check_every_type_expires(c, d, events))
        events.close()
        events = None
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        if events is not None:
            events.close()
        if c.failed and d.proc is not None:
            print(d.read_log())
        d.cleanup()
    return c.finish("resp_expiry_test")


if __name__ == "__main__":
    sys.exit(main())
