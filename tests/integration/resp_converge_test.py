#!/usr/bin/env python3
"""One convergence check per write command's conflict rule (docs/redis.md,
"What each command does under concurrent writes") that the family tests do
not already make (resp_contract_test: DEL, FLUSHDB, INCR || SET, SETNX,
APPEND; resp_set_test: SMOVE, *STORE, SPOP, SETRANGE; resp_hash_test:
HINCRBY, HSET || HINCRBY, HDEL/DEL || HINCRBY, HSETNX; resp_tx_test:
RENAME, COPY, EXEC).

Each case runs its setup in us-east-1 and waits until every region reads
it, splits the three-region local cluster with /v1/admin/partition so each
region is alone, makes one write in us-east-1 and one in us-west-2 (neither
sees the other's), heals, and waits until every region reads the value the
rule gives. A rule that is last-writer-wins between two regions has two
allowed outcomes; then every region must read the same one of them.

usage: resp_converge_test.py REGIONSYNCD"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, RespConnection, RespError, request, wait_until  # noqa: E402
from resp_cli_test import local_cluster, section  # noqa: E402

# (name, setup, write in us-east-1, write in us-west-2, read, allowed results
# after the heal: one value, or several for a last-writer-wins race).
CASES = [
    ("SET || SET: last writer wins", [], ["SET", "s1", "east"], ["SET", "s1", "west"],
     ["GET", "s1"], ["east", "west"]),
    ("DEL || SET: the SET survives", [["SET", "s2", "a"]], ["DEL", "s2"], ["SET", "s2", "b"],
     ["GET", "s2"], ["b"]),
    ("GETSET || GETSET: last writer wins", [["SET", "s3", "0"]], ["GETSET", "s3", "east"],
     ["GETSET", "s3", "west"], ["GET", "s3"], ["east", "west"]),
    ("GETDEL || INCRBY: the unobserved increment survives", [["SET", "s4", "10"]], ["GETDEL", "s4"],
     ["INCRBY", "s4", "3"], ["GET", "s4"], ["3"]),
    ("MSET || INCRBY: the increment adds to the new base", [["SET", "s5", "5"]],
     ["MSET", "s5", "100", "s5b", "x"], ["INCRBY", "s5", "3"], ["MGET", "s5", "s5b"], [["103", "x"]]),
    ("MSETNX in two regions: each key by last writer wins", [],
     ["MSETNX", "s6a", "east", "s6b", "east"], ["MSETNX", "s6a", "west", "s6b", "west"],
     ["MGET", "s6a", "s6b"], [["east", "east"], ["west", "west"], ["east", "west"], ["west", "east"]]),
    ("INCRBYFLOAT || INCR: a SET of the sum, the INCR on top", [["SET", "s7", "10"]],
     ["INCRBYFLOAT", "s7", "2"], ["INCR", "s7"], ["GET", "s7"], ["13"]),
    ("INCRBYFLOAT || INCRBYFLOAT: last writer wins", [["SET", "s8", "1"]],
     ["INCRBYFLOAT", "s8", "0.5"], ["INCRBYFLOAT", "s8", "0.25"], ["GET", "s8"], ["1.5", "1.25"]),
    ("SETRANGE || INCR on an integer: a SET, the INCR on top", [["SET", "s9", "10"]],
     ["SETRANGE", "s9", "0", "2"], ["INCR", "s9"], ["GET", "s9"], ["21"]),
    ("GETDEL || GETDEL: gone, not negative", [["INCRBY", "s10", "7"]], ["GETDEL", "s10"], ["GETDEL", "s10"],
     ["EXISTS", "s10"], [0]),
    ("SADD || SREM of one member: add wins", [["SADD", "t1", "m", "n"]], ["SREM", "t1", "m"],
     ["SADD", "t1", "m"], ["SMEMBERS", "t1"], [["m", "n"]]),
    ("SREM || SREM: removed once", [["SADD", "t2", "m", "n"]], ["SREM", "t2", "m"], ["SREM", "t2", "m", "n"],
     ["SMEMBERS", "t2"], [[]]),
    ("DEL || SADD: the unobserved member survives", [["SADD", "t3", "a"]], ["DEL", "t3"], ["SADD", "t3", "b"],
     ["SMEMBERS", "t3"], [["b"]]),
    ("HSET || HSET of one field: last writer wins", [], ["HSET", "h1", "f", "east"], ["HSET", "h1", "f", "west"],
     ["HGET", "h1", "f"], ["east", "west"]),
    ("HSET || HSET of other fields: both", [], ["HSET", "h2", "a", "1"], ["HMSET", "h2", "b", "2"],
     ["HGETALL", "h2"], [["a", "1", "b", "2"]]),
    ("HDEL || HSET: the HSET wins", [["HSET", "h3", "f", "1"]], ["HDEL", "h3", "f"], ["HSET", "h3", "f", "2"],
     ["HGET", "h3", "f"], ["2"]),
    ("HINCRBYFLOAT || HINCRBY: an HSET of the sum, the HINCRBY on top", [["HSET", "h4", "n", "10"]],
     ["HINCRBYFLOAT", "h4", "n", "2"], ["HINCRBY", "h4", "n", "3"], ["HGET", "h4", "n"], ["15"]),
    ("DEL || HSET of another field: only that field", [["HSET", "h5", "a", "1"]], ["DEL", "h5"],
     ["HSET", "h5", "b", "2"], ["HGETALL", "h5"], [["b", "2"]]),
]


def normalised(read, v):
    # Set members come sorted; a hash as (field, value) pairs sorted by field.
    if read[0] == "HGETALL" and isinstance(v, list):
        return [x for pair in sorted(zip(v[0::2], v[1::2])) for x in pair]
    if read[0] == "SMEMBERS" and isinstance(v, list):
        return sorted(v)
    return v


def reads(conns, read):
    return [normalised(read, c.command(*read)) for c in conns]


def run_case(c, d, conns, case):
    name, setup, east_write, west_write, read, allowed = case
    east, west, _ = conns
    for cmd in setup:
        east.command(*cmd)
    want_setup = reads(conns[:1], read)
    c.eventually("%s: setup everywhere" % name, lambda: reads(conns, read), want_setup * 3)
    r = request(d.ports[0], "POST", "/v1/admin/partition", {"groups": [["us-east-1"], ["us-west-2"], ["eu-west-1"]]})
    c.eq("%s: partition" % name, r.status, 200)
    try:
        for conn, cmd in ((east, east_write), (west, west_write)):
            reply = conn.command(*cmd)
            c.true("%s: %s answered %r" % (name, cmd, reply), not isinstance(reply, RespError))
    finally:
        c.eq("%s: heal" % name, request(d.ports[0], "POST", "/v1/admin/heal", {}).status, 200)

    def agreed():
        got = reads(conns, read)
        return got[0] in allowed and got.count(got[0]) == 3
    try:
        wait_until(agreed, timeout=20, what="one allowed value everywhere")
        c.passed += 1
    except AssertionError:
        c.failed.append("%s: after the heal every region should read the same one of %r, got %r" %
                        (name, allowed, reads(conns, read)))


def main():
    if len(sys.argv) < 2:
        print("usage: resp_converge_test.py REGIONSYNCD")
        return 2
    c = Checks()
    d = local_cluster(sys.argv[1])
    try:
        d.start()
        conns = [RespConnection(p) for p in d.resp_ports]
        for case in CASES:
            section(c, case[0], lambda case=case: run_case(c, d, conns, case))
        for conn in conns:
            conn.close()
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        if c.failed and d.proc is not None:
            print(d.read_log())
        d.cleanup()
    return c.finish("resp_converge_test")


if __name__ == "__main__":
    sys.exit(main())
