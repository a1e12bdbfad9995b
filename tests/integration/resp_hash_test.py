#!/usr/bin/env python3
"""The hash commands of the Redis port on a three-region local cluster:
  - redis-cli prints byte-for-byte the same as against a real redis-server
    for every hash command (fields are written in sorted order, so Redis's
    insertion order and regionsyncd's sorted order agree);
  - HSCAN of a hash too big for one reply pages through every field once;
  - each conflict rule of docs/redis.md "Hashes", with the writes made
    concurrent by /v1/admin/partition and checked in every region after
    /v1/admin/heal: HINCRBY || HINCRBY adds up; HSET || HINCRBY keeps the
    increment on top of the new base; HDEL || HINCRBY and DEL || HINCRBY
    keep only the increment; HSETNX in two regions: one value everywhere.

usage: resp_hash_test.py REGIONSYNCD"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, request  # noqa: E402
from resp_cli_test import REDIS_SERVER, RedisServer, cli, lines, local_cluster, out, prerequisites, section  # noqa: E402
from resp_contract_test import alone, everywhere, partitioned  # noqa: E402

# Run in this order on an empty database, against both servers.
SAME_AS_REDIS = [
    ["HSET", "h", "a", "1", "b", "two", "c", "3"],
    ["HGETALL", "h"],
    ["HMGET", "h", "a", "nope", "c"],
    ["HMGET", "missing", "a"],
    ["HKEYS", "h"],
    ["HVALS", "h"],
    ["HKEYS", "missing"],
    ["HVALS", "missing"],
    ["HEXISTS", "h", "a"],
    ["HEXISTS", "h", "nope"],
    ["HEXISTS", "missing", "a"],
    ["HSTRLEN", "h", "b"],
    ["HSTRLEN", "h", "nope"],
    ["HSTRLEN", "missing", "b"],
    ["HSETNX", "h", "a", "x"],
    ["HSETNX", "h", "d", "4"],
    ["HSETNX", "new", "f", "v"],
    ["HGET", "h", "d"],
    ["HINCRBY", "h", "a", "10"],
    ["HINCRBY", "h", "a", "-20"],
    ["HGET", "h", "a"],
    ["HINCRBY", "h", "e", "5"],
    ["HINCRBY", "h", "b", "1"],
    ["HINCRBY", "h", "a", "x"],
    ["HINCRBY", "h", "a", "1.5"],
    ["HINCRBY", "h", "a"],
    ["HSET", "big", "n", "9223372036854775800"],
    ["HINCRBY", "big", "n", "7"],
    ["HINCRBY", "big", "n", "1"],
    ["HINCRBY", "big", "n", "-9223372036854775808"],
    ["HSET", "big", "m", "-9223372036854775800"],
    ["HINCRBY", "big", "m", "-9"],
    ["HSET", "h", "a", "100"],
    ["HINCRBY", "h", "a", "1"],
    ["HGETALL", "h"],
    ["HLEN", "h"],
    ["HINCRBYFLOAT", "h", "a", "0.5"],
    ["HINCRBYFLOAT", "h", "a", "1e2"],
    ["HINCRBYFLOAT", "h", "f", "10.50"],
    ["HINCRBYFLOAT", "h", "f", "-10.5"],
    ["HINCRBYFLOAT", "h", "b", "1"],
    ["HINCRBYFLOAT", "h", "a", "abc"],
    ["HINCRBYFLOAT", "h", "a", "inf"],
    ["HINCRBY", "h", "a", "1"],
    ["HGET", "h", "f"],
    ["HSCAN", "h", "0"],
    ["HSCAN", "h", "0", "MATCH", "[a-c]"],
    ["HSCAN", "h", "0", "COUNT", "1"],
    ["HSCAN", "h", "0", "COUNT", "0"],
    ["HSCAN", "h", "0", "COUNT", "x"],
    ["HSCAN", "h", "0", "BOGUS", "1"],
    ["HSCAN", "h", "0", "MATCH"],
    ["HSCAN", "h", "x"],
    ["HSCAN", "missing", "0"],
    ["HSCAN", "missing", "0", "COUNT", "0"],
    ["HSET", "one", "only", "v"],
    ["HRANDFIELD", "one"],
    ["HRANDFIELD", "missing"],
    ["HRANDFIELD", "one", "3"],
    ["HRANDFIELD", "one", "-3"],
    ["HRANDFIELD", "one", "-2", "WITHVALUES"],
    ["HRANDFIELD", "one", "0"],
    ["HRANDFIELD", "h", "10", "WITHVALUES"],
    ["HRANDFIELD", "missing", "3"],
    ["HRANDFIELD", "one", "x"],
    ["HRANDFIELD", "one", "1", "BOGUS"],
    ["HRANDFIELD", "one", "1", "WITHVALUES", "x"],
    ["HRANDFIELD", "one", "-9223372036854775808"],
    ["HRANDFIELD", "one", "9223372036854775807", "WITHVALUES"],
    ["HRANDFIELD", "one", "-4611686018427387904", "WITHVALUES"],
    ["SET", "str", "x"],
    ["HSETNX", "str", "f", "v"],
    ["HMGET", "str", "f"],
    ["HKEYS", "str"],
    ["HVALS", "str"],
    ["HEXISTS", "str", "f"],
    ["HSTRLEN", "str", "f"],
    ["HINCRBY", "str", "f", "1"],
    ["HINCRBYFLOAT", "str", "f", "1"],
    ["HSCAN", "str", "0"],
    ["HRANDFIELD", "str"],
    ["HRANDFIELD", "str", "2"],
    ["HINCRBY", "h", "a", "1", "2"],
    ["HSETNX", "h", "a"],
    ["HSCAN", "h"],
    ["HRANDFIELD"],
    ["HDEL", "h", "a", "b", "c", "d", "e", "f"],
    ["EXISTS", "h"],
    ["HGETALL", "h"],
]


def compare_with_redis(c, rs_port, redis_port):
    for cmd in SAME_AS_REDIS:
        want = cli(redis_port, *cmd)
        got = cli(rs_port, *cmd)
        c.eq("redis-cli %s: output as redis-server's" % " ".join(cmd), got, want)
    # RESP3: HRANDFIELD WITHVALUES answers [field, value] pairs.
    for cmd in (["HRANDFIELD", "one", "2", "WITHVALUES"], ["HRANDFIELD", "one", "-2", "WITHVALUES"]):
        c.eq("redis-cli -3 %s" % " ".join(cmd), cli(rs_port, "-3", *cmd), cli(redis_port, "-3", *cmd))


def check_paged_scan(c, port, seed):
    """A hash past Redis's listpack size is paged; every field comes back."""
    rng = random.Random(seed)
    fields = ["f%03d" % i for i in range(300)]
    args = []
    for f in fields:
        args += [f, str(rng.randrange(1000))]
    c.eq("HSET 300 fields", out(port, "HSET", "paged", *args), "300")
    seen, cursor, calls = [], "0", 0
    while True:
        got = lines(port, "HSCAN", "paged", cursor, "COUNT", str(rng.randrange(5, 40)))
        cursor, page = got[0], got[1:]
        seen += page[0::2]
        calls += 1
        if cursor == "0" or calls > 400:
            break
    c.true("HSCAN pages (more than one call)", calls > 1, "%d calls" % calls)
    c.eq("HSCAN returns every field once", sorted(seen), fields)
    some = lines(port, "HRANDFIELD", "paged", "5")
    c.true("HRANDFIELD 5: five distinct fields", len(set(some)) == 5 and set(some) <= set(fields), some)
    rep = lines(port, "HRANDFIELD", "paged", "-400")
    c.true("HRANDFIELD -400: 400 fields, repeats allowed", len(rep) == 400 and set(rep) <= set(fields), len(rep))


def check_incr_races(c, d):
    east, west, third = d.resp_ports

    def set_base(key, field, value):
        c.eq("HSET %s %s %s" % (key, field, value), out(east, "HSET", key, field, value), "1")
        c.eventually("%s everywhere" % value, lambda: everywhere(d, "HGET", key, field), [value] * 3)

    # HINCRBY || HINCRBY: both add up.
    set_base("race:add", "n", "10")

    def adds():
        c.eq("HINCRBY +5 in us-east-1", out(east, "HINCRBY", "race:add", "n", "5"), "15")
        c.eq("HINCRBY +7 in us-west-2", out(west, "HINCRBY", "race:add", "n", "7"), "17")
        c.eq("HINCRBY -1 in eu-west-1", out(third, "HINCRBY", "race:add", "n", "-1"), "9")
    partitioned(c, d, alone(), adds)
    c.eventually("HINCRBY || HINCRBY: 21 everywhere", lambda: everywhere(d, "HGET", "race:add", "n"), ["21"] * 3,
                 timeout=20)

    # HSET || HINCRBY: the increment survives and adds to the new base, even
    # from a region that had incremented before (its earlier amount was seen).
    set_base("race:set", "n", "10")
    c.eq("HINCRBY +1 in us-west-2 before", out(west, "HINCRBY", "race:set", "n", "1"), "11")
    c.eventually("11 everywhere", lambda: everywhere(d, "HGET", "race:set", "n"), ["11"] * 3)

    def set_vs_incr():
        c.eq("HSET 100 in us-east-1", out(east, "HSET", "race:set", "n", "100"), "0")
        c.eq("HINCRBY +5 in us-west-2", out(west, "HINCRBY", "race:set", "n", "5"), "16")
    partitioned(c, d, alone(), set_vs_incr)
    c.eventually("HSET || HINCRBY: 100 + the increment everywhere",
                 lambda: everywhere(d, "HGET", "race:set", "n"), ["106"] * 3, timeout=20)

    # HDEL || HINCRBY: only the unseen increment is left.
    set_base("race:hdel", "n", "10")
    c.eq("HSET another field", out(east, "HSET", "race:hdel", "keep", "k"), "1")

    def hdel_vs_incr():
        c.eq("HDEL in us-east-1", out(east, "HDEL", "race:hdel", "n"), "1")
        c.eq("HINCRBY +3 in eu-west-1", out(third, "HINCRBY", "race:hdel", "n", "3"), "13")
    partitioned(c, d, alone(), hdel_vs_incr)
    c.eventually("HDEL || HINCRBY: the increment alone everywhere",
                 lambda: everywhere(d, "HGET", "race:hdel", "n"), ["3"] * 3, timeout=20)

    # DEL || HINCRBY: the key lives on with the increment only.
    set_base("race:del", "n", "10")
    c.eq("HSET another field", out(east, "HSET", "race:del", "gone", "g"), "1")

    def del_vs_incr():
        c.eq("DEL in us-east-1", out(east, "DEL", "race:del"), "1")
        c.eq("HINCRBY +4 in us-west-2", out(west, "HINCRBY", "race:del", "n", "4"), "14")
    partitioned(c, d, alone(), del_vs_incr)
    c.eventually("DEL || HINCRBY: only the incremented field, at 4, everywhere",
                 lambda: everywhere(d, "HGETALL", "race:del"), ["n\n4"] * 3, timeout=20)

    # HSETNX in two regions: both succeed locally, one value wins everywhere.
    def setnx():
        c.eq("HSETNX in us-east-1", out(east, "HSETNX", "race:nx", "f", "east"), "1")
        c.eq("HSETNX in us-west-2", out(west, "HSETNX", "race:nx", "f", "west"), "1")
    partitioned(c, d, alone(), setnx)
    c.eventually("HSETNX race: one value everywhere",
                 lambda: len(set(everywhere(d, "HGET", "race:nx", "f"))) == 1 and
                 out(east, "HGET", "race:nx", "f") in ("east", "west"), True, timeout=20)
    c.eq("HSETNX after the heal sees the field", out(third, "HSETNX", "race:nx", "f", "late"), "0")

    # HINCRBYFLOAT is a HSET of the sum: one of two concurrent ones wins.
    set_base("race:fl", "x", "1.5")

    def floats():
        c.eq("HINCRBYFLOAT +1 in us-east-1", out(east, "HINCRBYFLOAT", "race:fl", "x", "1"), "2.5")
        c.eq("HINCRBYFLOAT +2 in us-west-2", out(west, "HINCRBYFLOAT", "race:fl", "x", "2"), "3.5")
    partitioned(c, d, alone(), floats)
    c.eventually("HINCRBYFLOAT race: one sum everywhere",
                 lambda: len(set(everywhere(d, "HGET", "race:fl", "x"))) == 1 and
                 out(east, "HGET", "race:fl", "x") in ("2.5", "3.5"), True, timeout=20)


def main():
    rc = prerequisites("resp_hash_test.py")
    if rc is not None:
        return rc
    seed = int(os.environ.get("RESP_HASH_TEST_SEED", random.randrange(1 << 30)))
    print("resp_hash_test: seed %d (RESP_HASH_TEST_SEED replays it)" % seed)
    c = Checks()
    d = local_cluster(sys.argv[1])
    redis = None
    try:
        d.start()
        east = d.resp_ports[0]
        if REDIS_SERVER is None:
            c.failed.append("redis-server not found (Debian package redis-server; scripts/test installs it)")
        else:
            redis = RedisServer()
            section(c, "answers as Redis does", lambda: compare_with_redis(c, east, redis.port))
        out(east, "FLUSHDB")
        section(c, "paged HSCAN", lambda: check_paged_scan(c, east, seed))
        section(c, "conflict rules", lambda: check_incr_races(c, d))
        for p in d.ports:
            c.true("daemon still healthy on %d" % p, request(p, "GET", "/healthz").status == 200)
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        if c.failed and d.proc is not None:
            print(d.read_log())
        if redis is not None:
            redis.stop()
        d.cleanup()
    return c.finish("resp_hash_test")


if __name__ == "__main__":
    sys.exit(main())
