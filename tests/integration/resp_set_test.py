#!/usr/bin/env python3
"""The set commands (and SETRANGE) of the Redis port, against a real
redis-server and on a three-region local cluster:
  - SAME_AS_REDIS_SETS: redis-cli prints the same lines (sorted: Redis leaves
    the order of set members open) for SMISMEMBER, SINTER/SUNION/SDIFF and
    their STORE forms (empty results, dest == a source), SINTERCARD, SMOVE,
    SPOP/SRANDMEMBER where the answer is determined, SSCAN of a small set,
    SETRANGE, and every error of those commands;
  - SRANDMEMBER / SPOP on a 200-member set: counts, distinct members, all
    members of the set, popped members gone (seeded members; the seed is printed);
  - SSCAN of a 300-member set: a full walk returns the whole set (as Redis's
    walk does), also with MATCH, and while members come and go during the walk;
  - all or nothing: a *STORE, SMOVE or SETRANGE refused by a size limit
    changes nothing;
  - convergence after a partition heals: SMOVE || SREM, SMOVE || SMOVE of one
    member, SINTERSTORE || SADD to the destination, an empty SDIFFSTORE ||
    SADD, SPOP in two regions, SETRANGE || SETRANGE (docs/redis.md, Sets).

usage: resp_set_test.py REGIONSYNCD"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, request  # noqa: E402
from resp_cli_test import (REDIS_SERVER, REGIONS, RedisServer, cli, lines, local_cluster, out,  # noqa: E402
                           prerequisites, section)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
# Small limits, so that the all-or-nothing checks need few bytes.
LIMITS = ["--max-value-bytes", "1024", "--max-state-bytes", "65536"]

# Run in this order on an empty database, on both servers; output lines compared sorted.
SAME_AS_REDIS_SETS = [
    ["SADD", "st:a", "a", "b", "c", "d", "e"],
    ["SADD", "st:b", "c", "d", "e", "f", "g"],
    ["SADD", "st:c", "e", "f", "x"],
    ["SET", "st:str", "hello"],
    ["HSET", "st:h", "f", "v"],
    # SMISMEMBER
    ["SMISMEMBER", "st:a", "a", "z", "e"],
    ["SMISMEMBER", "st:missing", "a", "b"],
    ["SMISMEMBER", "st:str", "a"],
    ["SMISMEMBER", "st:a"],
    # SINTER / SUNION / SDIFF
    ["SINTER", "st:a", "st:b"],
    ["SINTER", "st:a", "st:b", "st:c"],
    ["SINTER", "st:a"],
    ["SINTER", "st:a", "st:a"],
    ["SINTER", "st:a", "st:missing"],
    ["SINTER", "st:missing", "st:str"],
    ["SINTER", "st:a", "st:h"],
    ["SINTER"],
    ["SUNION", "st:a", "st:b", "st:c"],
    ["SUNION", "st:missing"],
    ["SUNION", "st:a", "st:missing", "st:c"],
    ["SUNION", "st:a", "st:str"],
    ["SDIFF", "st:a", "st:b"],
    ["SDIFF", "st:b", "st:a", "st:c"],
    ["SDIFF", "st:a", "st:a"],
    ["SDIFF", "st:a", "st:missing"],
    ["SDIFF", "st:missing", "st:a"],
    ["SDIFF", "st:str"],
    ["SDIFF", "st:missing", "st:str"],
    # The STORE forms: replace the destination, delete it on an empty result.
    ["SINTERSTORE", "st:d", "st:a", "st:b"],
    ["SMEMBERS", "st:d"],
    ["SINTERSTORE", "st:d", "st:a", "st:b", "st:c"],
    ["SMEMBERS", "st:d"],
    ["SINTERSTORE", "st:d", "st:a", "st:missing"],
    ["EXISTS", "st:d"],
    ["SINTERSTORE", "st:d", "st:missing"],
    ["SINTERSTORE", "st:d", "st:a", "st:str"],
    ["SINTERSTORE", "st:d"],
    ["SUNIONSTORE", "st:e", "st:a", "st:c"],
    ["SCARD", "st:e"],
    ["SUNIONSTORE", "st:e", "st:e", "st:b"],
    ["SMEMBERS", "st:e"],
    ["SDIFFSTORE", "st:e", "st:e", "st:c"],
    ["SMEMBERS", "st:e"],
    ["SDIFFSTORE", "st:e", "st:e", "st:e"],
    ["EXISTS", "st:e"],
    ["SDIFFSTORE", "st:f", "st:b", "st:missing"],
    ["SMEMBERS", "st:f"],
    ["SUNIONSTORE", "st:f", "st:missing"],
    ["TYPE", "st:f"],
    ["SUNIONSTORE", "st:f", "st:h"],
    # SINTERCARD
    ["SINTERCARD", "2", "st:a", "st:b"],
    ["SINTERCARD", "2", "st:a", "st:b", "LIMIT", "2"],
    ["SINTERCARD", "2", "st:a", "st:b", "limit", "0"],
    ["SINTERCARD", "2", "st:a", "st:b", "LIMIT", "100"],
    ["SINTERCARD", "1", "st:missing"],
    ["SINTERCARD", "2", "st:a", "st:missing"],
    ["SINTERCARD", "0", "st:a"],
    ["SINTERCARD", "-1", "st:a"],
    ["SINTERCARD", "abc", "st:a"],
    ["SINTERCARD", "3", "st:a", "st:b"],
    ["SINTERCARD", "1", "st:a", "LIMIT", "-1"],
    ["SINTERCARD", "1", "st:a", "LIMIT", "x"],
    ["SINTERCARD", "1", "st:a", "LIMIT"],
    ["SINTERCARD", "1", "st:a", "st:b"],
    ["SINTERCARD", "2", "st:a", "st:str"],
    ["SINTERCARD", "1"],
    # SMOVE
    ["SMOVE", "st:b", "st:a", "g"],
    ["SMOVE", "st:b", "st:a", "nothere"],
    ["SMOVE", "st:b", "st:a", "c"],
    ["SMEMBERS", "st:a"],
    ["SMEMBERS", "st:b"],
    ["SMOVE", "st:missing", "st:a", "x"],
    ["SMOVE", "st:missing", "st:str", "x"],
    ["SMOVE", "st:b", "st:str", "d"],
    ["SMOVE", "st:str", "st:a", "x"],
    ["SMOVE", "st:b", "st:b", "d"],
    ["SMOVE", "st:b", "st:b", "zz"],
    ["SMOVE", "st:c", "st:new", "x"],
    ["SMEMBERS", "st:new"],
    ["SMOVE", "st:new", "st:new2", "x"],
    ["EXISTS", "st:new", "st:new2"],
    ["SMOVE", "st:a", "st:b"],
    # SPOP / SRANDMEMBER where the answer is determined
    ["SPOP", "st:missing"],
    ["SPOP", "st:missing", "2"],
    ["SPOP", "st:str"],
    ["SPOP", "st:str", "0"],
    ["SPOP", "st:a", "-1"],
    ["SPOP", "st:a", "abc"],
    ["SPOP", "st:a", "1", "2"],
    ["SPOP", "st:a", "0"],
    ["SPOP", "st:new2"],
    ["EXISTS", "st:new2"],
    ["SPOP", "st:c", "100"],
    ["EXISTS", "st:c"],
    ["SRANDMEMBER", "st:missing"],
    ["SRANDMEMBER", "st:missing", "5"],
    ["SRANDMEMBER", "st:missing", "-5"],
    ["SRANDMEMBER", "st:str"],
    ["SRANDMEMBER", "st:str", "1"],
    ["SRANDMEMBER", "st:a", "abc"],
    ["SRANDMEMBER", "st:a", "-9223372036854775808"],
    ["SRANDMEMBER", "st:a", "9223372036854775808"],
    ["SRANDMEMBER", "st:a", "0"],
    ["SRANDMEMBER", "st:a", "1", "2"],
    ["SRANDMEMBER", "st:a", "100"],
    ["SRANDMEMBER", "st:a", "9223372036854775807"],
    ["SADD", "st:one", "only"],
    ["SRANDMEMBER", "st:one"],
    ["SRANDMEMBER", "st:one", "-3"],
    ["SPOP", "st:one"],
    ["EXISTS", "st:one"],
    # SSCAN (a small set comes back whole, in one call)
    ["SSCAN", "st:a", "0"],
    ["SSCAN", "st:a", "0", "MATCH", "[a-c]*"],
    ["SSCAN", "st:a", "0", "count", "100", "match", "*"],
    ["SSCAN", "st:missing", "0"],
    ["SSCAN", "st:missing", "0", "BOGUS"],
    ["SSCAN", "st:missing", "abc"],
    ["SSCAN", "st:str", "0"],
    ["SSCAN", "st:a", "abc"],
    ["SSCAN", "st:a", " 1"],
    ["SSCAN", "st:a", "18446744073709551616"],
    ["SSCAN", "st:a", "0", "COUNT", "0"],
    ["SSCAN", "st:a", "0", "COUNT", "x"],
    ["SSCAN", "st:a", "0", "COUNT"],
    ["SSCAN", "st:a", "0", "TYPE", "set"],
    ["SSCAN", "st:a"],
    # SETRANGE
    ["SETRANGE", "sr:k", "0", "hello"],
    ["SETRANGE", "sr:k", "6", "World"],
    ["GET", "sr:k"],
    ["STRLEN", "sr:k"],
    ["SETRANGE", "sr:k", "1", "EL"],
    ["GET", "sr:k"],
    ["SETRANGE", "sr:pad", "3", "abc"],
    ["GET", "sr:pad"],
    ["SETRANGE", "sr:k", "-1", "x"],
    ["SETRANGE", "sr:k", "abc", "x"],
    ["SETRANGE", "sr:k", "1.5", "x"],
    ["SETRANGE", "sr:none", "5", ""],
    ["EXISTS", "sr:none"],
    ["SETRANGE", "sr:k", "100", ""],
    ["SETRANGE", "st:a", "0", "x"],
    ["SETRANGE", "st:a", "0", ""],
    ["SETRANGE", "sr:big", "536870912", "x"],
    ["SETRANGE", "sr:big", "9223372036854775807", "x"],
    ["EXISTS", "sr:big"],
    ["SET", "sr:n", "12345"],
    ["SETRANGE", "sr:n", "1", "9"],
    ["INCR", "sr:n"],
    ["INCR", "sr:ctr"],
    ["SETRANGE", "sr:ctr", "1", "0"],
    ["GET", "sr:ctr"],
    ["SETRANGE", "sr:k", "0"],
]


def sorted_lines(port, *args):
    stdout, stderr, _ = cli(port, *args)
    return sorted((stdout + stderr).split(b"\n"))


def compare_with_redis(c, rs_port, redis_port):
    for cmd in SAME_AS_REDIS_SETS:
        c.eq("redis-cli %s: lines as redis-server's" % " ".join(cmd),
             sorted_lines(rs_port, *cmd), sorted_lines(redis_port, *cmd))


def members(port, *args):
    return sorted(lines(port, *args))


def check_random(c, ports, rng):
    """SRANDMEMBER / SPOP on a set in its big (hashed) form, on both servers."""
    names = ["m%d-%d" % (i, rng.randrange(10 ** 6)) for i in range(200)]
    for port in ports:
        label = "redis-server" if port == ports[-1] else "regionsyncd"
        out(port, "DEL", "rnd")
        c.eq("%s: SADD 200" % label, out(port, "SADD", "rnd", *names), "200")
        got = lines(port, "SRANDMEMBER", "rnd")
        c.true("%s: SRANDMEMBER is a member" % label, len(got) == 1 and got[0] in names, got)
        for n in (1, 5, 66, 67, 150, 199):
            got = lines(port, "SRANDMEMBER", "rnd", str(n))
            c.true("%s: SRANDMEMBER %d: %d distinct members" % (label, n, n),
                   len(got) == n and len(set(got)) == n and set(got) <= set(names), got[:5])
        got = lines(port, "SRANDMEMBER", "rnd", "-500")
        c.true("%s: SRANDMEMBER -500: 500 members" % label, len(got) == 500 and set(got) <= set(names))
        c.eq("%s: SRANDMEMBER 200 is the whole set" % label, members(port, "SRANDMEMBER", "rnd", "200"),
             sorted(names))
        c.eq("%s: SRANDMEMBER 1000 is the whole set" % label, members(port, "SRANDMEMBER", "rnd", "1000"),
             sorted(names))
        popped = lines(port, "SPOP", "rnd", "30")
        c.true("%s: SPOP 30: 30 distinct members" % label,
               len(popped) == 30 and len(set(popped)) == 30 and set(popped) <= set(names))
        one = lines(port, "SPOP", "rnd")
        c.true("%s: SPOP: one more member" % label, len(one) == 1 and one[0] in names and one[0] not in popped)
        gone = popped + one
        c.eq("%s: SCARD after the pops" % label, out(port, "SCARD", "rnd"), "169")
        c.eq("%s: the popped members are gone" % label, lines(port, "SMISMEMBER", "rnd", *gone), ["0"] * 31)
        c.eq("%s: SPOP 160 of 169 (most of the set)" % label, len(set(lines(port, "SPOP", "rnd", "160"))), 160)
        rest = sorted(set(names) - set(gone))
        left = members(port, "SMEMBERS", "rnd")
        c.true("%s: 9 left, all of them members" % label, len(left) == 9 and set(left) <= set(rest))
        c.eq("%s: SPOP 100 pops the rest" % label, members(port, "SPOP", "rnd", "100"), left)
        c.eq("%s: and the key is gone" % label, out(port, "EXISTS", "rnd"), "0")


def full_scan(c, port, key, *opts, between=None):
    cursor, seen, calls = "0", [], 0
    while True:
        got = lines(port, "SSCAN", key, cursor, *opts)
        cursor, page = got[0], got[1:]
        seen += page
        calls += 1
        if between is not None:
            between(calls)
        if cursor == "0" or calls > 1000:
            c.eq("port %d: SSCAN %s %s ends" % (port, key, " ".join(opts)), cursor, "0")
            return seen, calls


def check_sscan(c, ports, rng):
    names = ["s%d-%d" % (i, rng.randrange(10 ** 6)) for i in range(300)]
    for port in ports:
        label = "redis-server" if port == ports[-1] else "regionsyncd"
        out(port, "DEL", "scan")
        c.eq("%s: SADD 300" % label, out(port, "SADD", "scan", *names), "300")
        seen, calls = full_scan(c, port, "scan", "COUNT", "7")
        c.true("%s: a walk of COUNT 7 takes many calls" % label, calls > 10, calls)
        c.eq("%s: the walk returns the whole set" % label, sorted(set(seen)), sorted(names))
        seen, _ = full_scan(c, port, "scan", "MATCH", "s1*", "COUNT", "20")
        c.eq("%s: MATCH s1*" % label, sorted(set(seen)), sorted(n for n in names if n.startswith("s1")))

        def churn(call):  # members come and go, and the table grows, early in the walk
            if call <= 8:
                out(port, "SADD", "scan", *["new%d-%d" % (call, i) for i in range(40)])
                out(port, "SREM", "scan", "new%d-0" % (call - 1))
        seen, _ = full_scan(c, port, "scan", "COUNT", "10", between=churn)
        c.true("%s: every member present through the walk is returned" % label, set(names) <= set(seen),
               sorted(set(names) - set(seen))[:5])


def check_all_or_nothing(c, port):
    """Writes refused by a size limit (LIMITS) change nothing."""
    first = ["u%04d-%s" % (i, "x" * 22) for i in range(600)]  # 600 * (28 + 32) bytes: fits 64 KiB
    second = ["v%04d-%s" % (i, "x" * 22) for i in range(600)]  # the union does not
    c.eq("SADD 600", out(port, "SADD", "big1", *first), "600")
    c.eq("SADD 600 more", out(port, "SADD", "big2", *second), "600")
    c.eq("SADD dest", out(port, "SADD", "bigdest", "keep"), "1")
    got = out(port, "SUNIONSTORE", "bigdest", "big1", "big2")
    c.true("SUNIONSTORE over --max-state-bytes is refused", got.startswith("ERR state too large"), got)
    c.eq("and the destination is unchanged", lines(port, "SMEMBERS", "bigdest"), ["keep"])
    c.eq("SUNIONSTORE that fits", out(port, "SUNIONSTORE", "bigdest", "big1"), "600")
    c.eq("SISMEMBER keep after it", out(port, "SISMEMBER", "bigdest", "keep"), "0")
    member = "m" * 1000
    c.eq("SADD a 1000-byte member", out(port, "SADD", "s", member), "1")
    long_key = "d" * 100
    got = out(port, "SMOVE", "s", long_key, member)
    c.true("SMOVE whose key + member is over --max-value-bytes is refused", got.startswith("ERR value too large"), got)
    c.eq("and the member is still in the source", out(port, "SISMEMBER", "s", member), "1")
    c.eq("and the destination was not created", out(port, "EXISTS", long_key), "0")
    c.eq("SET sr:lim", out(port, "SET", "sr:lim", "abc"), "OK")
    got = out(port, "SETRANGE", "sr:lim", "5000", "x")
    c.true("SETRANGE past --max-value-bytes is refused", got.startswith("ERR value too large"), got)
    c.eq("and the value is unchanged", out(port, "GET", "sr:lim"), "abc")
    c.eq("a *STORE onto a string answers WRONGTYPE (the key keeps its type)",
         out(port, "SINTERSTORE", "sr:lim", "big1"), WRONGTYPE)
    c.eq("and the string is unchanged", out(port, "GET", "sr:lim"), "abc")
    got = out(port, "SRANDMEMBER", "big1", "-2000000")
    c.true("SRANDMEMBER with more than 2^20 repeats is refused", got.startswith("ERR SRANDMEMBER count is too large"),
           got)
    for k in ("big1", "big2", "bigdest", "s", "sr:lim"):
        out(port, "DEL", k)


def partitioned(c, d, writes):
    """Runs `writes` with every region alone, then heals."""
    r = request(d.ports[0], "POST", "/v1/admin/partition", {"groups": [[r] for r in REGIONS]})
    c.eq("partition", r.status, 200)
    try:
        writes()
    finally:
        c.eq("heal", request(d.ports[0], "POST", "/v1/admin/heal", {}).status, 200)


def everywhere(d, *args):
    return [members(p, *args) for p in d.resp_ports]


def check_convergence(c, d):
    east, west, eu = d.resp_ports
    out(east, "SADD", "cv:src", "m", "other")
    out(east, "SADD", "cv:two", "m")
    out(east, "SADD", "cv:a", "x", "y", "z")
    out(east, "SADD", "cv:b", "y", "z", "w")
    out(east, "SADD", "cv:dest", "old1", "old2")
    out(east, "SADD", "cv:dd", "old")
    out(east, "SADD", "cv:pop", "p1", "p2", "p3", "p4", "p5", "p6")
    out(east, "SET", "cv:sr", "aaaa")
    c.eventually("the starting sets everywhere",
                 lambda: [everywhere(d, "SMEMBERS", k) for k in ("cv:src", "cv:two", "cv:a", "cv:b", "cv:dest", "cv:dd",
                                                                 "cv:pop")] + [everywhere(d, "GET", "cv:sr")],
                 [[m] * 3 for m in (["m", "other"], ["m"], ["x", "y", "z"], ["w", "y", "z"], ["old1", "old2"],
                                    ["old"], ["p1", "p2", "p3", "p4", "p5", "p6"], ["aaaa"])])
    popped = {}

    def writes():
        c.eq("SMOVE in us-east-1", out(east, "SMOVE", "cv:src", "cv:dst", "m"), "1")
        c.eq("SREM in us-west-2", out(west, "SREM", "cv:src", "m"), "1")
        c.eq("SMOVE m to d1 in us-east-1", out(east, "SMOVE", "cv:two", "cv:d1", "m"), "1")
        c.eq("SMOVE m to d2 in us-west-2", out(west, "SMOVE", "cv:two", "cv:d2", "m"), "1")
        c.eq("SINTERSTORE in us-east-1", out(east, "SINTERSTORE", "cv:dest", "cv:a", "cv:b"), "2")
        c.eq("SADD to its destination in us-west-2", out(west, "SADD", "cv:dest", "new"), "1")
        c.eq("an empty SDIFFSTORE in us-east-1", out(east, "SDIFFSTORE", "cv:dd", "cv:a", "cv:a"), "0")
        c.eq("SADD to its destination in eu-west-1", out(eu, "SADD", "cv:dd", "q"), "1")
        popped["east"] = lines(east, "SPOP", "cv:pop", "2")
        popped["west"] = lines(west, "SPOP", "cv:pop", "2")
        c.eq("SETRANGE in us-east-1", out(east, "SETRANGE", "cv:sr", "0", "b"), "4")
        c.eq("SETRANGE in us-west-2", out(west, "SETRANGE", "cv:sr", "1", "c"), "4")
    partitioned(c, d, writes)
    c.eventually("SMOVE || SREM: gone from the source, in the destination",
                 lambda: (everywhere(d, "SMEMBERS", "cv:src"), everywhere(d, "SMEMBERS", "cv:dst")),
                 ([["other"]] * 3, [["m"]] * 3), timeout=20)
    c.eventually("SMOVE || SMOVE of one member: in both destinations (add wins)",
                 lambda: (everywhere(d, "EXISTS", "cv:two"), everywhere(d, "SMEMBERS", "cv:d1"),
                          everywhere(d, "SMEMBERS", "cv:d2")),
                 ([["0"]] * 3, [["m"]] * 3, [["m"]] * 3), timeout=20)
    c.eventually("SINTERSTORE || SADD dest: the result plus the concurrent add",
                 lambda: everywhere(d, "SMEMBERS", "cv:dest"), [["new", "y", "z"]] * 3, timeout=20)
    c.eventually("empty SDIFFSTORE || SADD dest: the concurrent add survives the delete",
                 lambda: everywhere(d, "SMEMBERS", "cv:dd"), [["q"]] * 3, timeout=20)
    east_pop, west_pop = popped["east"], popped["west"]
    c.true("each SPOP returned 2 members", len(east_pop) == 2 and len(west_pop) == 2, popped)
    left = sorted({"p1", "p2", "p3", "p4", "p5", "p6"} - set(east_pop) - set(west_pop))
    c.eventually("SPOP in two regions: what either popped is gone everywhere",
                 lambda: everywhere(d, "SMEMBERS", "cv:pop"), [left] * 3, timeout=20)
    c.eventually("SETRANGE || SETRANGE: one of them everywhere (last writer wins)",
                 lambda: (lambda v: len(set(map(tuple, v))) == 1 and v[0][0] in ("baaa", "acaa"))(
                     everywhere(d, "GET", "cv:sr")), True, timeout=20)


def main():
    rc = prerequisites("resp_set_test.py")
    if rc is not None:
        return rc
    seed = int(os.environ.get("RESP_SET_TEST_SEED") or random.randrange(2 ** 32))
    print("resp_set_test seed %d (RESP_SET_TEST_SEED=%d replays the members)" % (seed, seed))
    rng = random.Random(seed)
    c = Checks()
    d = local_cluster(sys.argv[1])
    d.args += LIMITS
    redis = None
    try:
        d.start()
        east = d.resp_ports[0]
        if REDIS_SERVER is None:
            c.failed.append("redis-server not found (Debian package redis-server; scripts/test installs it)")
        else:
            redis = RedisServer()
            section(c, "answers as Redis does", lambda: compare_with_redis(c, east, redis.port))
            section(c, "SRANDMEMBER / SPOP", lambda: check_random(c, [east, redis.port], rng))
            section(c, "SSCAN", lambda: check_sscan(c, [east, redis.port], rng))
        section(c, "all or nothing", lambda: check_all_or_nothing(c, east))
        section(c, "convergence", lambda: check_convergence(c, d))
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        if c.failed and d.proc is not None:
            print(d.read_log())
        if redis is not None:
            redis.stop()
        d.cleanup()
    return c.finish("resp_set_test")


if __name__ == "__main__":
    sys.exit(main())
