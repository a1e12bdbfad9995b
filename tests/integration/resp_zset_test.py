#!/usr/bin/env python3
"""The sorted-set commands of the Redis port, against a real redis-server and
on a three-region local cluster:
  - SAME_AS_REDIS_ZSETS: redis-cli prints the same lines, in the same order
    (a sorted set's order is defined), for every sorted-set command and its
    errors, RESP2 and (through HELLO 3 in RespConnection) RESP3;
  - ZRANDMEMBER / ZPOPMIN on a 200-member set: counts, distinct members,
    scores right (seeded members; the seed is printed);
  - ZSCAN of a 300-member set: a full walk returns every member once, also
    with MATCH, and every member present through the walk while others come
    and go;
  - TYPE, OBJECT ENCODING, COPY, RENAME, keyspace events, WATCH;
  - convergence after a partition heals, one case per conflict rule of
    docs/redis.md's "Sorted sets": ZADD || ZADD of one member (last writer
    wins), ZINCRBY || ZINCRBY (they add up), ZADD || ZINCRBY (the reset keeps
    the unobserved increment), ZREM || ZADD and ZREM || ZINCRBY (add wins),
    DEL || ZADD, ZADD || SET of the key (the string wins), ZUNIONSTORE ||
    ZADD to a source, ZPOPMIN in two regions.

usage: resp_zset_test.py REGIONSYNCD"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, RespConnection, request  # noqa: E402
from resp_cli_test import (REDIS_SERVER, REGIONS, RedisServer, cli, collect, lines, local_cluster, out,  # noqa: E402
                           prerequisites, section)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

# Run in this order on an empty database, on both servers; output compared line by line.
SAME_AS_REDIS_ZSETS = [
    ["ZADD", "z:a", "1", "one", "2", "two", "3", "three"],
    ["ZADD", "z:b", "1.5", "b1", "2.5", "b2", "-inf", "lo", "+inf", "hi"],
    ["ZADD", "z:lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g"],
    ["SET", "z:str", "hello"],
    ["SADD", "z:set", "one", "two", "x"],
    ["HSET", "z:h", "f", "v"],
    # ZADD options and errors
    ["ZADD", "z:a", "NX", "10", "one", "4", "four"],
    ["ZADD", "z:a", "XX", "10", "one", "5", "five"],
    ["ZADD", "z:a", "XX", "CH", "1", "one", "20", "two"],
    ["ZADD", "z:a", "CH", "2", "two", "3", "three"],
    ["ZADD", "z:a", "GT", "CH", "0", "one", "5", "one"],
    ["ZADD", "z:a", "LT", "CH", "0", "one", "0", "two"],
    ["ZADD", "z:a", "GT", "XX", "CH", "100", "three", "100", "nope"],
    ["ZRANGE", "z:a", "0", "-1", "WITHSCORES"],
    ["ZADD", "z:a", "INCR", "2.5", "one"],
    ["ZADD", "z:a", "INCR", "NX", "1", "one"],
    ["ZADD", "z:a", "INCR", "XX", "1", "missing"],
    ["ZADD", "z:a", "INCR", "GT", "-1", "one"],
    ["ZADD", "z:a", "INCR", "LT", "-1", "one"],
    ["ZADD", "z:a", "NX", "XX", "1", "x"],
    ["ZADD", "z:a", "GT", "LT", "1", "x"],
    ["ZADD", "z:a", "NX", "GT", "1", "x"],
    ["ZADD", "z:a", "INCR", "1", "x", "2", "y"],
    ["ZADD", "z:a", "1", "x", "2"],
    ["ZADD", "z:a", "nx"],
    ["ZADD", "z:a", "abc", "x"],
    ["ZADD", "z:a", "nan", "x"],
    ["ZADD", "z:a", "1e400", "x"],
    ["ZADD", "z:a", " 1", "x"],
    ["ZADD", "z:a", "1 ", "x"],
    ["ZADD", "z:a", "", "x"],
    ["ZADD", "z:a", "1", "ok", "bad", "x"],
    ["ZSCORE", "z:a", "ok"],
    ["ZADD", "z:str", "1", "x"],
    ["ZADD", "z:str", "abc", "x"],
    ["ZADD", "z:xx", "XX", "1", "x"],
    ["EXISTS", "z:xx"],
    ["ZADD", "z:xx", "XX", "INCR", "1", "x"],
    ["EXISTS", "z:xx"],
    ["ZADD", "z:f", "0x10", "hex", "1e3", "exp", "-0", "negzero", "0.1", "tenth", "1e17", "big",
     "123456789012345678", "bigger", "4611686018427387904", "edge", "-1.5e-7", "small", "inf", "top"],
    ["ZRANGE", "z:f", "0", "-1", "WITHSCORES"],
    ["ZSCAN", "z:f", "0"],
    ["ZADD", "z:inf", "inf", "m"],
    ["ZADD", "z:inf", "INCR", "-inf", "m"],
    ["ZINCRBY", "z:inf", "-inf", "m"],
    ["ZSCORE", "z:inf", "m"],
    ["ZADD", "z:a", "1", "dup", "2", "dup"],
    ["ZSCORE", "z:a", "dup"],
    # ZINCRBY
    ["ZINCRBY", "z:a", "5", "one"],
    ["ZINCRBY", "z:a", "-2.25", "newbie"],
    ["ZINCRBY", "z:a", "0", "newbie"],
    ["ZINCRBY", "z:a", "x", "one"],
    ["ZINCRBY", "z:a", "nx", "one"],
    ["ZINCRBY", "z:str", "1", "one"],
    ["ZINCRBY", "z:new", "3", "m"],
    ["ZINCRBY", "z:a", "1"],
    # ZREM
    ["ZREM", "z:a", "dup", "dup", "nothere"],
    ["ZREM", "z:a", "nothere"],
    ["ZREM", "z:missing", "a"],
    ["ZREM", "z:str", "a"],
    ["ZREM", "z:new", "m"],
    ["EXISTS", "z:new"],
    ["ZREM", "z:a"],
    # ZSCORE ZMSCORE ZCARD ZRANK ZREVRANK
    ["ZSCORE", "z:a", "one"],
    ["ZSCORE", "z:a", "nothere"],
    ["ZSCORE", "z:missing", "one"],
    ["ZSCORE", "z:str", "one"],
    ["ZMSCORE", "z:a", "one", "nothere", "two"],
    ["ZMSCORE", "z:missing", "one", "two"],
    ["ZMSCORE", "z:str", "one"],
    ["ZMSCORE", "z:a"],
    ["ZCARD", "z:a"],
    ["ZCARD", "z:missing"],
    ["ZCARD", "z:str"],
    ["ZRANK", "z:a", "one"],
    ["ZRANK", "z:a", "two"],
    ["ZREVRANK", "z:a", "two"],
    ["ZRANK", "z:a", "nothere"],
    ["ZRANK", "z:missing", "a"],
    ["ZRANK", "z:str", "a"],
    ["ZRANK", "z:a", "one", "WITHSCORE"],
    # ZCOUNT ZLEXCOUNT
    ["ZCOUNT", "z:b", "-inf", "+inf"],
    ["ZCOUNT", "z:b", "(1.5", "2.5"],
    ["ZCOUNT", "z:b", "(1.5", "(2.5"],
    ["ZCOUNT", "z:b", "2.5", "1.5"],
    ["ZCOUNT", "z:b", "(2.5", "2.5"],
    ["ZCOUNT", "z:b", "-inf", "-inf"],
    ["ZCOUNT", "z:b", "", ""],
    ["ZCOUNT", "z:b", "abc", "1"],
    ["ZCOUNT", "z:b", "1", "nan"],
    ["ZCOUNT", "z:b", "((1", "2"],
    ["ZCOUNT", "z:missing", "0", "1"],
    ["ZCOUNT", "z:str", "0", "1"],
    ["ZCOUNT", "z:str", "x", "1"],
    ["ZLEXCOUNT", "z:lex", "-", "+"],
    ["ZLEXCOUNT", "z:lex", "[b", "(e"],
    ["ZLEXCOUNT", "z:lex", "(b", "[e"],
    ["ZLEXCOUNT", "z:lex", "+", "-"],
    ["ZLEXCOUNT", "z:lex", "[e", "[b"],
    ["ZLEXCOUNT", "z:lex", "b", "e"],
    ["ZLEXCOUNT", "z:lex", "-x", "+"],
    ["ZLEXCOUNT", "z:missing", "-", "+"],
    ["ZLEXCOUNT", "z:str", "-", "+"],
    # ZRANGE and its older forms
    ["ZRANGE", "z:b", "0", "-1"],
    ["ZRANGE", "z:b", "0", "-1", "WITHSCORES"],
    ["ZRANGE", "z:b", "1", "2", "REV", "WITHSCORES"],
    ["ZRANGE", "z:b", "-2", "100"],
    ["ZRANGE", "z:b", "-100", "-3"],
    ["ZRANGE", "z:b", "3", "1"],
    ["ZRANGE", "z:b", "9223372036854775807", "-9223372036854775808"],
    ["ZRANGE", "z:b", "0", "9223372036854775808"],
    ["ZRANGE", "z:b", "(1", "3", "BYSCORE", "WITHSCORES"],
    ["ZRANGE", "z:b", "+inf", "-inf", "BYSCORE", "REV"],
    ["ZRANGE", "z:b", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
    ["ZRANGE", "z:b", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"],
    ["ZRANGE", "z:b", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
    ["ZRANGE", "z:b", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"],
    ["ZRANGE", "z:b", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
    ["ZRANGE", "z:lex", "[b", "(f", "BYLEX"],
    ["ZRANGE", "z:lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "3"],
    ["ZRANGE", "z:lex", "-", "+", "BYLEX", "WITHSCORES"],
    ["ZRANGE", "z:b", "0", "-1", "LIMIT", "0", "1"],
    ["ZRANGE", "z:b", "0", "-1", "BYSCORE", "BYLEX"],
    ["ZRANGE", "z:b", "0", "-1", "REV", "REV"],
    ["ZRANGE", "z:b", "0", "-1", "LIMIT", "0"],
    ["ZRANGE", "z:b", "0", "-1", "LIMIT", "x", "1", "BYSCORE"],
    ["ZRANGE", "z:b", "0", "-1", "BOGUS"],
    ["ZRANGE", "z:b", "a", "-1"],
    ["ZRANGE", "z:b", "a", "1", "BYSCORE"],
    ["ZRANGE", "z:b", "a", "1", "BYLEX"],
    ["ZRANGE", "z:missing", "0", "-1"],
    ["ZRANGE", "z:missing", "x", "-1"],
    ["ZRANGE", "z:str", "0", "-1"],
    ["ZRANGE", "z:b", "0"],
    ["ZREVRANGE", "z:b", "0", "1", "WITHSCORES"],
    ["ZREVRANGE", "z:b", "0", "1", "REV"],
    ["ZREVRANGE", "z:b", "0", "1", "BYSCORE"],
    ["ZRANGEBYSCORE", "z:b", "-inf", "2", "WITHSCORES", "LIMIT", "1", "5"],
    ["ZRANGEBYSCORE", "z:b", "(-inf", "(inf"],
    ["ZRANGEBYSCORE", "z:b", "0", "10", "REV"],
    ["ZREVRANGEBYSCORE", "z:b", "2", "-inf", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z:b", "-inf", "2"],
    ["ZRANGEBYLEX", "z:lex", "[c", "+", "LIMIT", "1", "2"],
    ["ZRANGEBYLEX", "z:lex", "[c", "+", "WITHSCORES"],
    ["ZREVRANGEBYLEX", "z:lex", "(e", "-"],
    ["ZRANGEBYLEX", "z:lex", "c", "+"],
    # ZRANGESTORE
    ["ZRANGESTORE", "z:dst", "z:b", "0", "1"],
    ["ZRANGE", "z:dst", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "z:dst", "z:lex", "[b", "[d", "BYLEX", "REV", "LIMIT", "0", "2"],
    ["ZRANGE", "z:dst", "0", "-1"],
    ["ZRANGESTORE", "z:dst", "z:b", "10", "20"],
    ["EXISTS", "z:dst"],
    ["ZRANGESTORE", "z:dst", "z:b", "0", "1", "WITHSCORES"],
    ["ZRANGESTORE", "z:dst", "z:missing", "0", "1"],
    ["ZRANGESTORE", "z:dst", "z:str", "0", "1"],
    # ZREMRANGEBY*
    ["ZADD", "z:r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
    ["ZREMRANGEBYRANK", "z:r", "0", "0"],
    ["ZREMRANGEBYRANK", "z:r", "-1", "-1"],
    ["ZREMRANGEBYRANK", "z:r", "3", "1"],
    ["ZREMRANGEBYRANK", "z:r", "x", "1"],
    ["ZREMRANGEBYSCORE", "z:r", "(2", "3"],
    ["ZREMRANGEBYSCORE", "z:r", "10", "20"],
    ["ZREMRANGEBYSCORE", "z:r", "x", "20"],
    ["ZRANGE", "z:r", "0", "-1", "WITHSCORES"],
    ["ZREMRANGEBYLEX", "z:lex", "[a", "(c"],
    ["ZREMRANGEBYLEX", "z:lex", "a", "c"],
    ["ZRANGE", "z:lex", "0", "-1"],
    ["ZREMRANGEBYRANK", "z:r", "0", "-1"],
    ["EXISTS", "z:r"],
    ["ZREMRANGEBYRANK", "z:missing", "0", "-1"],
    ["ZREMRANGEBYSCORE", "z:str", "0", "1"],
    # ZPOPMIN / ZPOPMAX
    ["ZADD", "z:p", "1", "a", "1", "b", "2", "c", "3", "d"],
    ["ZPOPMIN", "z:p"],
    ["ZPOPMAX", "z:p", "2"],
    ["ZPOPMIN", "z:p", "0"],
    ["ZPOPMIN", "z:p", "-1"],
    ["ZPOPMIN", "z:p", "x"],
    ["ZPOPMIN", "z:p", "1", "2"],
    ["ZPOPMIN", "z:p", "10"],
    ["EXISTS", "z:p"],
    ["ZPOPMIN", "z:missing"],
    ["ZPOPMAX", "z:str"],
    # ZRANDMEMBER where the answer is determined
    ["ZRANDMEMBER", "z:missing"],
    ["ZRANDMEMBER", "z:missing", "3"],
    ["ZRANDMEMBER", "z:str"],
    ["ZRANDMEMBER", "z:str", "3"],
    ["ZRANDMEMBER", "z:b", "0"],
    ["ZRANDMEMBER", "z:b", "100"],
    ["ZRANDMEMBER", "z:b", "4", "WITHSCORES"],
    ["ZRANDMEMBER", "z:b", "x"],
    ["ZRANDMEMBER", "z:b", "1", "BOGUS"],
    ["ZRANDMEMBER", "z:b", "1", "WITHSCORES", "x"],
    ["ZRANDMEMBER", "z:b", "-9223372036854775808"],
    ["ZRANDMEMBER", "z:b", "4611686018427387904", "WITHSCORES"],
    ["ZRANDMEMBER", "z:b", "-4611686018427387904", "WITHSCORES"],
    ["ZADD", "z:one", "7", "only"],
    ["ZRANDMEMBER", "z:one"],
    ["ZRANDMEMBER", "z:one", "-3", "WITHSCORES"],
    # ZSCAN of a small set: whole, in rank order
    ["ZSCAN", "z:b", "0"],
    ["ZSCAN", "z:b", "0", "MATCH", "b*"],
    ["ZSCAN", "z:b", "0", "COUNT", "1"],
    ["ZSCAN", "z:missing", "0"],
    ["ZSCAN", "z:str", "0"],
    ["ZSCAN", "z:b", "abc"],
    ["ZSCAN", "z:b", "0", "COUNT", "0"],
    ["ZSCAN", "z:b", "0", "TYPE", "zset"],
    ["ZSCAN", "z:b", "0", "COUNT"],
    # ZUNION / ZINTER / ZDIFF and their STORE forms; sets count as scores of 1
    ["ZUNION", "2", "z:a", "z:b", "WITHSCORES"],
    ["ZUNION", "2", "z:a", "z:set", "WEIGHTS", "2", "3", "WITHSCORES"],
    ["ZUNION", "2", "z:a", "z:set", "AGGREGATE", "MAX", "WITHSCORES"],
    ["ZUNION", "2", "z:a", "z:set", "AGGREGATE", "min", "WITHSCORES"],
    ["ZUNION", "2", "z:b", "z:b", "WEIGHTS", "0", "1", "WITHSCORES"],
    ["ZUNION", "2", "z:b", "z:b", "WEIGHTS", "1", "-1", "WITHSCORES"],
    ["ZUNION", "1", "z:missing"],
    ["ZUNION", "0", "z:a"],
    ["ZUNION", "-1", "z:a"],
    ["ZUNION", "x", "z:a"],
    ["ZUNION", "3", "z:a", "z:b"],
    ["ZUNION", "2", "z:a", "z:str"],
    ["ZUNION", "2", "z:a", "z:h"],
    ["ZUNION", "1", "z:a", "WEIGHTS"],
    ["ZUNION", "1", "z:a", "WEIGHTS", "x"],
    ["ZUNION", "1", "z:a", "AGGREGATE", "AVG"],
    ["ZUNION", "1", "z:a", "BOGUS"],
    ["ZINTER", "2", "z:a", "z:set", "WITHSCORES"],
    ["ZINTER", "2", "z:a", "z:set", "WEIGHTS", "1", "10", "AGGREGATE", "SUM", "WITHSCORES"],
    ["ZINTER", "2", "z:a", "z:missing"],
    ["ZINTER", "2", "z:a", "z:a", "WITHSCORES"],
    ["ZDIFF", "2", "z:a", "z:set", "WITHSCORES"],
    ["ZDIFF", "1", "z:a"],
    ["ZDIFF", "2", "z:missing", "z:a"],
    ["ZDIFF", "2", "z:a", "z:a", "WEIGHTS", "1", "1"],
    ["ZINTERCARD", "2", "z:a", "z:set"],
    ["ZINTERCARD", "2", "z:a", "z:set", "LIMIT", "1"],
    ["ZINTERCARD", "2", "z:a", "z:set", "LIMIT", "-1"],
    ["ZINTERCARD", "2", "z:a", "z:set", "LIMIT", "x"],
    ["ZINTERCARD", "2", "z:a", "z:set", "WITHSCORES"],
    ["ZINTERCARD", "0", "z:a"],
    ["ZUNIONSTORE", "z:u", "2", "z:a", "z:b"],
    ["ZRANGE", "z:u", "0", "-1", "WITHSCORES"],
    ["ZUNIONSTORE", "z:u", "2", "z:u", "z:set", "WEIGHTS", "1", "100"],
    ["ZRANGE", "z:u", "0", "-1", "WITHSCORES"],
    ["ZUNIONSTORE", "z:u", "2", "z:u", "z:set", "WITHSCORES"],
    ["ZINTERSTORE", "z:i", "2", "z:a", "z:set", "AGGREGATE", "MAX"],
    ["ZRANGE", "z:i", "0", "-1", "WITHSCORES"],
    ["ZINTERSTORE", "z:i", "2", "z:a", "z:missing"],
    ["EXISTS", "z:i"],
    ["ZDIFFSTORE", "z:d", "2", "z:a", "z:set"],
    ["ZRANGE", "z:d", "0", "-1", "WITHSCORES"],
    ["ZDIFFSTORE", "z:d", "1", "z:missing"],
    ["EXISTS", "z:d"],
    ["ZINTERSTORE", "z:i", "0", "z:a"],
    ["ZUNIONSTORE", "z:u", "1"],
    ["ZUNIONSTORE", "z:u", "1", "z:str"],
    ["TYPE", "z:u"],
    ["OBJECT", "ENCODING", "z:u"],
    ["ZADD", "z:long", "1", "m" * 65],
    ["OBJECT", "ENCODING", "z:long"],
    ["COPY", "z:a", "z:copy"],
    ["ZRANGE", "z:copy", "0", "-1", "WITHSCORES"],
    ["RENAME", "z:copy", "z:renamed"],
    ["ZRANGE", "z:renamed", "0", "-1", "WITHSCORES"],
    ["EXISTS", "z:copy", "z:renamed"],
    ["DEL", "z:renamed"],
    ["ZCARD", "z:renamed"],
]


def compare_with_redis(c, rs_port, redis_port):
    for cmd in SAME_AS_REDIS_ZSETS:
        ours, theirs = cli(rs_port, *cmd), cli(redis_port, *cmd)
        c.eq("redis-cli %s: as redis-server" % " ".join(cmd)[:120], ours[0] + ours[1], theirs[0] + theirs[1])


def compare_resp3(c, rs_port, redis_port):
    """The replies whose RESP3 shape differs from RESP2 (pairs, doubles, nulls)."""
    conns = [RespConnection(p) for p in (rs_port, redis_port)]
    try:
        for conn in conns:
            conn.command("HELLO", "3")
            conn.command("DEL", "z3")
            conn.command("ZADD", "z3", "1.5", "a", "2", "b", "inf", "c")
        for cmd in (["ZRANGE", "z3", "0", "-1", "WITHSCORES"], ["ZSCORE", "z3", "a"], ["ZSCORE", "z3", "c"],
                    ["ZSCORE", "z3", "zz"], ["ZMSCORE", "z3", "a", "zz"], ["ZINCRBY", "z3", "1", "a"],
                    ["ZUNION", "1", "z3", "WITHSCORES"], ["ZRANDMEMBER", "z3", "5", "WITHSCORES"],
                    ["ZPOPMIN", "z3"], ["ZPOPMAX", "z3", "1"], ["ZRANK", "z3", "zz"], ["ZADD", "z3", "INCR", "1", "a"]):
            got = [conn.command(*cmd) for conn in conns]
            c.eq("RESP3 %s: as redis-server" % " ".join(cmd), got[0], got[1])
    finally:
        for conn in conns:
            conn.close()


def check_random(c, ports, rng):
    names = ["m%d-%d" % (i, rng.randrange(10 ** 6)) for i in range(200)]
    scores = {n: str(rng.randrange(-50, 50)) for n in names}
    args = [x for n in names for x in (scores[n], n)]
    for port in ports:
        label = "redis-server" if port == ports[-1] else "regionsyncd"
        out(port, "DEL", "rnd")
        c.eq("%s: ZADD 200" % label, out(port, "ZADD", "rnd", *args), "200")
        got = lines(port, "ZRANDMEMBER", "rnd")
        c.true("%s: ZRANDMEMBER is a member" % label, len(got) == 1 and got[0] in names, got)
        for n in (1, 5, 66, 67, 150, 199):
            got = lines(port, "ZRANDMEMBER", "rnd", str(n))
            c.true("%s: ZRANDMEMBER %d: %d distinct members" % (label, n, n),
                   len(got) == n and len(set(got)) == n and set(got) <= set(names), got[:5])
        got = lines(port, "ZRANDMEMBER", "rnd", "40", "WITHSCORES")
        c.true("%s: ZRANDMEMBER 40 WITHSCORES: members with their scores" % label,
               len(got) == 80 and all(scores.get(m) == s for m, s in zip(got[0::2], got[1::2])), got[:6])
        got = lines(port, "ZRANDMEMBER", "rnd", "-500", "WITHSCORES")
        c.true("%s: ZRANDMEMBER -500 WITHSCORES: 500 pairs" % label,
               len(got) == 1000 and all(scores.get(m) == s for m, s in zip(got[0::2], got[1::2])))
        popped = lines(port, "ZPOPMIN", "rnd", "30")
        want = sorted(names, key=lambda n: (int(scores[n]), n))[:30]
        c.eq("%s: ZPOPMIN 30: the 30 lowest, in order" % label, popped[0::2], want)
        c.eq("%s: ZCARD after" % label, out(port, "ZCARD", "rnd"), "170")


def full_scan(c, port, key, *opts, between=None):
    cursor, seen, calls = "0", [], 0
    while True:
        got = lines(port, "ZSCAN", key, cursor, *opts)
        cursor, page = got[0], got[1:]
        seen += page[0::2]
        calls += 1
        if between is not None:
            between(calls)
        if cursor == "0" or calls > 1000:
            c.eq("port %d: ZSCAN %s %s ends" % (port, key, " ".join(opts)), cursor, "0")
            return seen, calls


def check_zscan(c, ports, rng):
    names = ["s%d-%d" % (i, rng.randrange(10 ** 6)) for i in range(300)]
    args = [x for i, n in enumerate(names) for x in (str(i), n)]
    for port in ports:
        label = "redis-server" if port == ports[-1] else "regionsyncd"
        out(port, "DEL", "scan")
        c.eq("%s: ZADD 300" % label, out(port, "ZADD", "scan", *args), "300")
        c.eq("%s: OBJECT ENCODING of 300 members" % label, out(port, "OBJECT", "ENCODING", "scan"), "skiplist")
        seen, calls = full_scan(c, port, "scan", "COUNT", "7")
        c.true("%s: a walk of COUNT 7 takes many calls" % label, calls > 10, calls)
        c.eq("%s: the walk returns the whole set" % label, sorted(set(seen)), sorted(names))
        if port != ports[-1]:
            c.eq("regionsyncd: ... each member once", len(seen), len(names))
        got = lines(port, "ZSCAN", "scan", "0", "COUNT", "5")
        c.true("%s: a member's score comes with it" % label,
               all(names.index(m) == int(s) for m, s in zip(got[1::2], got[2::2])), got)
        seen, _ = full_scan(c, port, "scan", "MATCH", "s1*", "COUNT", "20")
        c.eq("%s: MATCH s1*" % label, sorted(set(seen)), sorted(n for n in names if n.startswith("s1")))

        def churn(call):
            if call <= 8:
                out(port, "ZADD", "scan", *[x for i in range(40) for x in ("1", "new%d-%d" % (call, i))])
                out(port, "ZREM", "scan", "new%d-0" % (call - 1))
        seen, _ = full_scan(c, port, "scan", "COUNT", "10", between=churn)
        c.true("%s: every member present through the walk is returned" % label, set(names) <= set(seen),
               sorted(set(names) - set(seen))[:5])


def check_keyspace(c, port):
    """Events, WATCH, TYPE."""
    ke = "__keyevent@0__:"
    sub = RespConnection(port)
    try:
        sub.command("PSUBSCRIBE", ke + "*")
        out(port, "ZADD", "ev", "1", "a", "2", "b", "3", "c", "4", "d")
        out(port, "ZADD", "ev", "1", "a")  # changes nothing: no event
        out(port, "ZINCRBY", "ev", "1", "a")
        out(port, "ZREM", "ev", "zz")  # nothing removed: no event
        out(port, "ZREM", "ev", "a")
        out(port, "ZREMRANGEBYSCORE", "ev", "2", "2")
        out(port, "ZREMRANGEBYRANK", "ev", "0", "0")
        out(port, "ZADD", "ev", "4", "x", "4", "y")  # the same score as d: a lex range is defined
        out(port, "ZREMRANGEBYLEX", "ev", "[x", "[x")
        out(port, "ZPOPMIN", "ev")
        out(port, "ZADD", "ev", "1", "p", "2", "q")
        out(port, "ZPOPMAX", "ev", "5")
        out(port, "ZADD", "ev2", "1", "a")
        out(port, "ZUNIONSTORE", "ev3", "1", "ev2")
        out(port, "ZINTERSTORE", "ev3", "1", "ev2")
        out(port, "ZDIFFSTORE", "ev3", "1", "ev2")
        out(port, "ZRANGESTORE", "ev3", "ev2", "0", "-1")
        out(port, "DEL", "ev3")
        out(port, "SET", "end", "1")
        got = [m[3] + " " + m[2][len(ke):] for m in collect(sub, [("pmessage", ke + "*", ke + "set", "end")])
               if isinstance(m, tuple) and len(m) == 4]
        c.eq("keyspace events of the sorted-set writes", got, [
            "ev zadd", "ev zincr", "ev zrem", "ev zremrangebyscore", "ev zremrangebyrank", "ev zadd",
            "ev zremrangebylex", "ev zpopmin", "ev zadd", "ev zpopmax", "ev del", "ev2 zadd",
            "ev3 zunionstore", "ev3 zinterstore", "ev3 zdiffstore", "ev3 zrangestore", "ev3 del", "end set"])
    finally:
        sub.close()
    c.eq("TYPE", out(port, "TYPE", "ev2"), "zset")
    w = RespConnection(port)
    try:
        for write, touches in ((["ZADD", "ev2", "1", "a"], False), (["ZREM", "ev2", "zz"], False),
                               (["ZADD", "ev2", "2", "a"], True), (["ZINCRBY", "ev2", "1", "a"], True)):
            w.command("WATCH", "ev2")
            w.command("MULTI")
            w.command("PING")
            out(port, *write)
            got = w.command("EXEC")
            c.eq("WATCH, then %s: EXEC %s" % (" ".join(write), "aborts" if touches else "runs"),
                 got is None, touches)
    finally:
        w.close()


def check_limits(c, port):
    member = "m" * 1100
    got = out(port, "ZADD", "lim", "1", "ok", "2", member)
    c.true("ZADD with a member over --max-value-bytes is refused", got.startswith("ERR value too large"), got)
    c.eq("and nothing of it was added", out(port, "EXISTS", "lim"), "0")
    out(port, "SET", "lim:str", "abc")
    out(port, "ZADD", "lim:z", "1", "a")
    c.eq("a ZUNIONSTORE onto a string answers WRONGTYPE (the key keeps its type)",
         out(port, "ZUNIONSTORE", "lim:str", "1", "lim:z"), WRONGTYPE)
    c.eq("and the string is unchanged", out(port, "GET", "lim:str"), "abc")
    got = out(port, "ZRANDMEMBER", "lim:z", "-2000000")
    c.true("ZRANDMEMBER with more than 2^20 repeats is refused", got.startswith("ERR ZRANDMEMBER count is too large"),
           got)


def partitioned(c, d, writes):
    r = request(d.ports[0], "POST", "/v1/admin/partition", {"groups": [[r] for r in REGIONS]})
    c.eq("partition", r.status, 200)
    try:
        writes()
    finally:
        c.eq("heal", request(d.ports[0], "POST", "/v1/admin/heal", {}).status, 200)


def everywhere(d, *args):
    return [lines(p, *args) for p in d.resp_ports]


def same_everywhere(d, *args):
    got = everywhere(d, *args)
    return got[0] if all(g == got[0] for g in got) else ("differ", got)


def check_convergence(c, d):
    east, west, eu = d.resp_ports
    out(east, "ZADD", "cv:incr", "10", "m")
    out(east, "ZADD", "cv:reset", "10", "m")
    out(east, "ZADD", "cv:rem", "1", "a", "1", "b")
    out(east, "ZADD", "cv:del", "1", "old")
    out(east, "ZADD", "cv:src1", "1", "x", "2", "y")
    out(east, "ZADD", "cv:src2", "10", "y")
    out(east, "ZADD", "cv:dst", "5", "stale")
    out(east, "ZADD", "cv:pop", "1", "p1", "2", "p2", "3", "p3", "4", "p4")
    keys = ("cv:incr", "cv:reset", "cv:rem", "cv:del", "cv:src1", "cv:src2", "cv:dst", "cv:pop")
    start = [everywhere(d, "ZRANGE", k, "0", "-1", "WITHSCORES") for k in keys]
    c.eventually("the starting sets everywhere",
                 lambda: [everywhere(d, "ZRANGE", k, "0", "-1", "WITHSCORES") for k in keys],
                 [[s[0]] * 3 for s in start])
    popped = {}

    def writes():
        c.eq("ZADD m 1 in us-east-1", out(east, "ZADD", "cv:lww", "1", "m"), "1")
        c.eq("ZADD m 2 in us-west-2 (later)", out(west, "ZADD", "cv:lww", "2", "m"), "1")
        c.eq("ZINCRBY 5 in us-east-1", out(east, "ZINCRBY", "cv:incr", "5", "m"), "15")
        c.eq("ZINCRBY 2 in us-west-2", out(west, "ZINCRBY", "cv:incr", "2", "m"), "12")
        c.eq("ZINCRBY 0.5 in eu-west-1", out(eu, "ZINCRBY", "cv:incr", "0.5", "m"), "10.5")
        c.eq("ZADD m 100 in us-east-1", out(east, "ZADD", "cv:reset", "100", "m"), "0")
        c.eq("ZINCRBY 3 in us-west-2", out(west, "ZINCRBY", "cv:reset", "3", "m"), "13")
        c.eq("ZREM a b in us-east-1", out(east, "ZREM", "cv:rem", "a", "b"), "2")
        c.eq("ZADD a in us-west-2", out(west, "ZADD", "cv:rem", "7", "a"), "0")
        c.eq("ZINCRBY b in eu-west-1", out(eu, "ZINCRBY", "cv:rem", "4", "b"), "5")
        c.eq("DEL in us-east-1", out(east, "DEL", "cv:del"), "1")
        c.eq("ZADD new in us-west-2", out(west, "ZADD", "cv:del", "2", "new"), "1")
        c.eq("ZADD in us-east-1", out(east, "ZADD", "cv:type", "1", "m"), "1")
        c.eq("SET in us-west-2", out(west, "SET", "cv:type", "v"), "OK")
        c.eq("ZUNIONSTORE in us-east-1", out(east, "ZUNIONSTORE", "cv:dst", "2", "cv:src1", "cv:src2"), "2")
        c.eq("ZADD to a source in us-west-2", out(west, "ZADD", "cv:src1", "3", "z"), "1")
        c.eq("ZADD to the destination in eu-west-1", out(eu, "ZADD", "cv:dst", "9", "w"), "1")
        popped["east"] = lines(east, "ZPOPMIN", "cv:pop", "2")
        popped["west"] = lines(west, "ZPOPMIN", "cv:pop")
    partitioned(c, d, writes)
    c.eventually("ZADD || ZADD of one member: the later one everywhere (last writer wins)",
                 lambda: same_everywhere(d, "ZSCORE", "cv:lww", "m"), ["2"], timeout=20)
    c.eventually("ZINCRBY || ZINCRBY || ZINCRBY: they add up",
                 lambda: same_everywhere(d, "ZSCORE", "cv:incr", "m"), ["17.5"], timeout=20)
    c.eventually("ZADD || ZINCRBY: the reset keeps the unobserved increment",
                 lambda: same_everywhere(d, "ZSCORE", "cv:reset", "m"), ["103"], timeout=20)
    c.eventually("ZREM || ZADD, ZREM || ZINCRBY: add wins (the increment's own dot alone survives)",
                 lambda: same_everywhere(d, "ZRANGE", "cv:rem", "0", "-1", "WITHSCORES"),
                 ["b", "4", "a", "7"], timeout=20)
    c.eventually("DEL || ZADD: the concurrent add survives the delete",
                 lambda: same_everywhere(d, "ZRANGE", "cv:del", "0", "-1", "WITHSCORES"), ["new", "2"], timeout=20)
    c.eventually("ZADD || SET of the key: the string wins (type conflict)",
                 lambda: (same_everywhere(d, "TYPE", "cv:type"), same_everywhere(d, "GET", "cv:type")),
                 (["string"], ["v"]), timeout=20)
    c.eventually("ZUNIONSTORE || ZADD to a source || ZADD to the destination: the union as stored, plus "
                 "the concurrent add to the destination; the source keeps its add",
                 lambda: (same_everywhere(d, "ZRANGE", "cv:dst", "0", "-1", "WITHSCORES"),
                          same_everywhere(d, "ZRANGE", "cv:src1", "0", "-1", "WITHSCORES")),
                 (["x", "1", "w", "9", "y", "12"], ["x", "1", "y", "2", "z", "3"]), timeout=20)
    c.eq("ZPOPMIN in two regions: both popped the lowest", (popped["east"][0::2], popped["west"][0::2]),
         (["p1", "p2"], ["p1"]))
    c.eventually("ZPOPMIN in two regions: what either popped is gone everywhere",
                 lambda: same_everywhere(d, "ZRANGE", "cv:pop", "0", "-1"), ["p3", "p4"], timeout=20)


def main():
    rc = prerequisites("resp_zset_test.py")
    if rc is not None:
        return rc
    seed = int(os.environ.get("RESP_ZSET_TEST_SEED") or random.randrange(2 ** 32))
    print("resp_zset_test seed %d (RESP_ZSET_TEST_SEED=%d replays the members)" % (seed, seed))
    rng = random.Random(seed)
    c = Checks()
    d = local_cluster(sys.argv[1])
    d.args += ["--max-value-bytes", "1024"]
    redis = None
    try:
        d.start()
        east = d.resp_ports[0]
        if REDIS_SERVER is None:
            c.failed.append("redis-server not found (Debian package redis-server; scripts/test installs it)")
        else:
            redis = RedisServer()
            section(c, "answers as Redis does", lambda: compare_with_redis(c, east, redis.port))
            section(c, "RESP3", lambda: compare_resp3(c, east, redis.port))
            section(c, "ZRANDMEMBER / ZPOPMIN", lambda: check_random(c, [east, redis.port], rng))
            section(c, "ZSCAN", lambda: check_zscan(c, [east, redis.port], rng))
        section(c, "keyspace", lambda: check_keyspace(c, east))
        section(c, "limits", lambda: check_limits(c, east))
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
    return c.finish("resp_zset_test")


if __name__ == "__main__":
    sys.exit(main())
