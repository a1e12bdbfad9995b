#!/usr/bin/env python3
"""Transactions and keyspace/server commands of regionsyncd's Redis port.

- The same scripts of commands (several connections, RESP2 and RESP3) run
  against a real redis-server and regionsyncd; every reply must be the same
  bytes: MULTI/EXEC/DISCARD with queueing errors and runtime errors, WATCH
  touched by another client, RENAME/COPY/TOUCH/OBJECT/MEMORY/CONFIG/CLIENT
  error texts, CLIENT REPLY OFF/SKIP, CLIENT KILL.
- On a three-region local cluster: RENAME and COPY converge; concurrent
  RENAMEs of one key across a partition leave the value under both names;
  a write to the source in another region after a RENAME stays on the source;
  the writes of one EXEC become visible in another region together (never a
  part of them); WATCH is not touched by a change merged from another region.
- redis-py (Debian python3-redis, run with /usr/bin/python3): pipeline() with
  transaction=True and False, WATCH with pipeline().watch() retried on a
  conflicting write.

usage: resp_tx_test.py REGIONSYNCD
Fails (exit 1), never skips, when redis-server, redis-cli or python3-redis is
missing: scripts/test installs them."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, RespConnection, RespIncomplete, request  # noqa: E402
from resp_cli_test import REDIS_SERVER, RedisServer, local_cluster, prerequisites, section  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-redis is importable


class RawConnection(RespConnection):
    """RespConnection that also returns each reply's exact bytes."""

    def raw(self, *args, timeout=None):
        self.send(self.encode(*args))
        return self.read_raw(timeout)

    def read_raw(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                _, pos = self._parse(0)
                data, self.buf = self.buf[:pos], self.buf[pos:]
                return data
            except RespIncomplete:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete RESP reply within the deadline")
            self.sock.settimeout(left)
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk


# Scripts run on an empty database: (connection, command). Connection 0..2;
# a step whose reply differs by design (HELLO names the server) is marked
# with "*" before the connection number and only checked to be a reply.
SCRIPTS = {
    "multi/exec": [
        (0, ["EXEC"]), (0, ["DISCARD"]), (0, ["MULTI"]), (0, ["MULTI"]), (0, ["WATCH", "tx:a"]),
        (0, ["SET", "tx:a", "1"]), (0, ["INCR", "tx:a"]), (0, ["SADD", "tx:a", "x"]), (0, ["GET", "tx:a"]),
        (1, ["GET", "tx:a"]), (0, ["EXEC"]), (1, ["GET", "tx:a"]),
        (0, ["MULTI"]), (0, ["SET", "tx:b", "1"]), (0, ["FOO", "x"]), (0, ["GET"]), (0, ["CLIENT", "NOPE"]),
        (0, ["OBJECT", "ENCODING"]), (0, ["EXEC"]), (0, ["GET", "tx:b"]),
        (0, ["EXEC", "x"]), (0, ["MULTI"]), (0, ["EXEC", "x"]), (0, ["EXEC"]),
        (0, ["MULTI"]), (0, ["SET", "tx:c", "1"]), (0, ["DISCARD", "x"]), (0, ["DISCARD"]), (0, ["GET", "tx:c"]),
        (0, ["MULTI"]), (0, ["EXEC"]),
        (0, ["MULTI"]), (0, ["HSET", "tx:h", "f", "v"]), (0, ["RENAME", "tx:h", "tx:h2"]),
        (0, ["HGETALL", "tx:h2"]), (0, ["UNWATCH"]), (0, ["EXEC"]),
    ],
    "watch": [
        (0, ["WATCH"]), (0, ["WATCH", "w:a", "w:b"]), (1, ["SET", "w:b", "1"]), (0, ["MULTI"]),
        (0, ["SET", "w:a", "x"]), (0, ["EXEC"]), (0, ["GET", "w:a"]),
        (0, ["WATCH", "w:a"]), (0, ["SET", "w:a", "mine"]), (0, ["MULTI"]), (0, ["EXEC"]),
        (0, ["WATCH", "w:a"]), (1, ["SET", "w:other", "1"]), (0, ["MULTI"]), (0, ["INCR", "w:n"]), (0, ["EXEC"]),
        (0, ["WATCH", "w:a"]), (1, ["DEL", "w:a"]), (0, ["UNWATCH"]), (0, ["MULTI"]), (0, ["EXEC"]),
        (0, ["WATCH", "w:gone"]), (1, ["DEL", "w:gone"]), (0, ["MULTI"]), (0, ["EXEC"]),
        (0, ["WATCH", "w:b"]), (1, ["FLUSHDB"]), (0, ["MULTI"]), (0, ["EXEC"]),
        (0, ["UNWATCH", "x"]),
        ("*2", ["HELLO", "3"]), (2, ["WATCH", "w:c"]), (1, ["SET", "w:c", "1"]), (2, ["MULTI"]), (2, ["EXEC"]),
        (2, ["MULTI"]), (2, ["SET", "w:c", "2"]), (2, ["SADD", "w:c", "m"]), (2, ["EXEC"]),
        (2, ["MULTI"]), ("*2", ["HELLO", "2"]), (2, ["GET", "w:c"]), ("*2", ["EXEC"]),
    ],
    "pubsub in a transaction": [
        (0, ["MULTI"]), (0, ["SUBSCRIBE", "tx-ch"]), (0, ["PING"]), (0, ["EXEC"]), (0, ["MULTI"]),
        (0, ["GET", "x"]), (0, ["UNSUBSCRIBE"]), (0, ["PING"]),
    ],
    "keyspace": [
        (0, ["SET", "ks:s", "hello"]), (0, ["SET", "ks:n", "12"]), (0, ["SADD", "ks:ints", "1", "2", "3"]),
        (0, ["SADD", "ks:words", "a", "b"]), (0, ["HSET", "ks:h", "f", "v"]),
        (0, ["SET", "ks:long", "x" * 45]), (0, ["SET", "ks:zero", "007"]),
        (0, ["RENAME", "ks:none", "x"]), (0, ["RENAMENX", "ks:none", "x"]), (0, ["RENAME", "ks:s", "ks:s"]),
        (0, ["RENAMENX", "ks:s", "ks:s"]), (0, ["RENAMENX", "ks:s", "ks:n"]), (0, ["RENAME", "ks:s", "ks:t"]),
        (0, ["GET", "ks:t"]), (0, ["EXISTS", "ks:s", "ks:t", "ks:t"]), (0, ["TYPE", "ks:s"]),
        (0, ["RENAMENX", "ks:t", "ks:u"]), (0, ["GET", "ks:u"]), (0, ["RENAME", "ks:u", "ks:n"]),
        (0, ["GET", "ks:n"]), (0, ["RENAME", "ks:words", "ks:words2"]), (0, ["SCARD", "ks:words2"]),
        (0, ["RENAME"]), (0, ["RENAME", "a"]),
        (0, ["COPY", "ks:n", "ks:n"]), (0, ["COPY", "ks:none", "ks:z"]), (0, ["COPY", "ks:n", "ks:c"]),
        (0, ["COPY", "ks:n", "ks:c"]), (0, ["SET", "ks:n", "other"]), (0, ["COPY", "ks:n", "ks:c", "REPLACE"]),
        (0, ["GET", "ks:c"]), (0, ["COPY", "ks:h", "ks:h2", "DB", "0"]), (0, ["HGETALL", "ks:h2"]),
        (0, ["COPY", "ks:h", "ks:h3", "DB", "x"]), (0, ["COPY", "ks:h", "ks:h3", "DB"]),
        (0, ["COPY", "ks:h", "ks:h3", "BOGUS"]), (0, ["COPY", "ks:ints", "ks:ints2"]), (0, ["SCARD", "ks:ints2"]),
        (0, ["COPY"]), (0, ["TOUCH", "ks:n", "ks:c", "ks:none"]), (0, ["TOUCH"]),
        (0, ["OBJECT", "ENCODING", "ks:c"]), (0, ["OBJECT", "ENCODING", "ks:ints"]),
        (0, ["OBJECT", "ENCODING", "ks:words2"]), (0, ["OBJECT", "ENCODING", "ks:h"]),
        (0, ["OBJECT", "ENCODING", "ks:long"]), (0, ["OBJECT", "ENCODING", "ks:zero"]),
        (0, ["SET", "ks:i", "42"]), (0, ["OBJECT", "ENCODING", "ks:i"]), (0, ["OBJECT", "REFCOUNT", "ks:i"]),
        (0, ["OBJECT", "REFCOUNT", "ks:c"]), (0, ["OBJECT", "ENCODING", "ks:none"]), (0, ["OBJECT", "FREQ", "ks:c"]),
        (0, ["OBJECT", "FOO"]), (0, ["OBJECT", "HELP"]), (0, ["OBJECT"]), (0, ["OBJECT", "ENCODING", "a", "b"]),
        (0, ["MEMORY", "USAGE", "ks:none"]), (0, ["MEMORY", "USAGE", "ks:c", "SAMPLES", "-1"]),
        (0, ["MEMORY", "USAGE", "ks:c", "SAMPLES", "x"]), (0, ["MEMORY", "USAGE", "ks:c", "FOO"]),
        (0, ["MEMORY", "USAGE"]), (0, ["MEMORY", "FOO"]), (0, ["TIME", "x"]), (0, ["LASTSAVE", "x"]),
        (0, ["RANDOMKEY", "x"]), (0, ["EXISTS"]),
    ],
    "server": [
        (0, ["CONFIG", "SET", "notify-keyspace-events", "KEA"]), (0, ["CONFIG", "SET", "notify-keyspace-events", "Q"]),
        (0, ["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"]), (0, ["CONFIG", "SET", "appendonly", "no", "x"]),
        (0, ["CONFIG", "SET", "appendonly"]), (0, ["CONFIG", "RESETSTAT"]), (0, ["CONFIG", "RESETSTAT", "x"]),
        (0, ["CONFIG", "GET"]), (0, ["CONFIG", "FOO"]), (0, ["CONFIG"]),
        (0, ["CLIENT", "KILL"]), (0, ["CLIENT", "KILL", "ID", "0"]), (0, ["CLIENT", "KILL", "ID", "x"]),
        (0, ["CLIENT", "KILL", "1.2.3.4:5"]), (0, ["CLIENT", "KILL", "ID", "999999"]),
        (0, ["CLIENT", "KILL", "TYPE", "foo"]), (0, ["CLIENT", "KILL", "USER", "nobody"]),
        (0, ["CLIENT", "KILL", "BOGUS", "x"]), (0, ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "maybe"]),
        (0, ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"]), (0, ["CLIENT", "KILL", "ID"]),
        (0, ["CLIENT", "NO-EVICT", "on"]), (0, ["CLIENT", "NO-EVICT", "off"]), (0, ["CLIENT", "NO-EVICT", "x"]),
        (0, ["CLIENT", "NO-EVICT"]), (0, ["CLIENT", "REPLY", "maybe"]), (0, ["CLIENT", "FOO"]),
        (0, ["CLIENT", "ID", "x"]), (0, ["CLIENT"]), (0, ["CLIENT", "LIST", "TYPE", "x"]),
        (0, ["CLIENT", "LIST", "x"]),
    ],
}


def run_script(steps, port):
    conns = {}
    replies = []
    try:
        for who, args in steps:
            n = int(str(who).lstrip("*"))
            if n not in conns:
                conns[n] = RawConnection(port)
            data = conns[n].raw(*args)
            replies.append(b"<any reply>" if str(who).startswith("*") else data)
    finally:
        for conn in conns.values():
            conn.close()
    return replies


def compare_scripts(c, rs_port, redis_port):
    for name, steps in SCRIPTS.items():
        for p in (redis_port, rs_port):
            RespConnection(p).command("FLUSHALL")
        want = run_script(steps, redis_port)
        got = run_script(steps, rs_port)
        for (who, args), g, w in zip(steps, got, want):
            c.eq("%s: [%s] %s" % (name, who, " ".join(args)), g, w)


def check_reply_modes(c, port, label):
    """CLIENT REPLY OFF and SKIP drop replies; ON answers +OK and brings them back."""
    conn = RawConnection(port)
    try:
        batch = [("CLIENT", "REPLY", "OFF"), ("SET", "rm:a", "1"), ("GET", "rm:a"), ("CLIENT", "REPLY", "ON"),
                 ("CLIENT", "REPLY", "SKIP"), ("GET", "rm:a"), ("INCR", "rm:a"), ("PING",)]
        conn.send(b"".join(conn.encode(*a) for a in batch))
        got = [conn.read_raw(), conn.read_raw(), conn.read_raw()]
        c.eq("%s: replies with CLIENT REPLY OFF/ON/SKIP" % label, got, [b"+OK\r\n", b":2\r\n", b"+PONG\r\n"])
    finally:
        conn.close()


def check_client_kill(c, port, label):
    killer, victim = RespConnection(port), RespConnection(port)
    try:
        victim_id = victim.command("CLIENT", "ID")
        c.true("%s: CLIENT LIST shows the victim" % label,
               ("id=%d " % victim_id) in killer.command("CLIENT", "LIST"))
        c.eq("%s: CLIENT KILL ID" % label, killer.command("CLIENT", "KILL", "ID", str(victim_id)), 1)
        try:
            victim.command("PING")
            closed = False
        except (ConnectionError, OSError):
            closed = True
        c.true("%s: the killed connection is closed" % label, closed)
        c.eq("%s: CLIENT KILL of itself (SKIPME no)" % label,
             killer.command("CLIENT", "KILL", "ID", str(killer.command("CLIENT", "ID")), "SKIPME", "no"), 1)
        try:
            killer.command("PING")
            closed = False
        except (ConnectionError, OSError):
            closed = True
        c.true("%s: a client that killed itself is closed after the reply" % label, closed)
    finally:
        killer.close()
        victim.close()


def get(port, *args):
    conn = RespConnection(port)
    try:
        return conn.command(*args)
    finally:
        conn.close()


def check_cluster(c, d):
    east, west, eu = d.resp_ports
    ports = d.resp_ports
    # RENAME and COPY converge.
    c.eq("SET before RENAME", get(east, "SET", "cl:a", "v1"), "OK")
    c.eventually("cl:a everywhere", lambda: [get(p, "GET", "cl:a") for p in ports], ["v1"] * 3)
    c.eq("RENAME in us-west-2", get(west, "RENAME", "cl:a", "cl:b"), "OK")
    c.eventually("RENAME converges", lambda: [(get(p, "EXISTS", "cl:a"), get(p, "GET", "cl:b")) for p in ports],
                 [(0, "v1")] * 3)
    c.eq("HSET before COPY", get(east, "HSET", "cl:h", "f", "1", "g", "2"), 2)
    c.eventually("cl:h everywhere", lambda: [get(p, "HLEN", "cl:h") for p in ports], [2] * 3)
    c.eq("COPY in eu-west-1", get(eu, "COPY", "cl:h", "cl:h2"), 1)
    c.eventually("COPY converges", lambda: [get(p, "HGETALL", "cl:h2") for p in ports], [["f", "1", "g", "2"]] * 3)
    # Races across a partition.
    c.eq("SADD before partition", get(east, "SADD", "cl:set", "a", "b"), 2)
    c.eq("SET before partition", get(east, "SET", "cl:x", "shared"), "OK")
    c.eventually("before partition", lambda: [(get(p, "SCARD", "cl:set"), get(p, "GET", "cl:x")) for p in ports],
                 [(2, "shared")] * 3)
    r = request(d.ports[0], "POST", "/v1/admin/partition", {"groups": [["us-east-1"], ["us-west-2", "eu-west-1"]]})
    c.eq("partition", r.status, 200)
    try:
        c.eq("RENAME set in us-east-1", get(east, "RENAME", "cl:set", "cl:set2"), "OK")
        c.eq("SADD to the source in us-west-2", get(west, "SADD", "cl:set", "late"), 1)
        c.eq("RENAME in us-east-1", get(east, "RENAME", "cl:x", "cl:x-east"), "OK")
        c.eq("RENAME of the same key in us-west-2", get(west, "RENAME", "cl:x", "cl:x-west"), "OK")
    finally:
        r = request(d.ports[1], "POST", "/v1/admin/heal")
        c.eq("heal", r.status, 200)
    c.eventually("after heal: the renamed set moved, the concurrent SADD stays on the source",
                 lambda: [(sorted(get(p, "SMEMBERS", "cl:set")), sorted(get(p, "SMEMBERS", "cl:set2")))
                          for p in ports], [(["late"], ["a", "b"])] * 3, timeout=20)
    c.eventually("after heal: concurrent RENAMEs leave the value under both names",
                 lambda: [(get(p, "EXISTS", "cl:x"), get(p, "GET", "cl:x-east"), get(p, "GET", "cl:x-west"))
                          for p in ports], [(0, "shared", "shared")] * 3, timeout=20)
    # One EXEC's writes are seen together in another region.
    keys = ["cl:tx:%d" % i for i in range(40)]
    conn = RespConnection(east)
    reader = RespConnection(eu)
    try:
        batch = [conn.encode("MULTI")] + [conn.encode("SET", k, "v") for k in keys] + \
                [conn.encode("SADD", "cl:tx:set", *keys), conn.encode("EXEC")]
        conn.send(b"".join(batch))
        replies = [conn.read_reply() for _ in range(len(keys) + 3)]
        c.eq("EXEC of 41 writes", replies[-1], ["OK"] * len(keys) + [len(keys)])
        partial = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            # Both reads in one EXEC: a delta applied between two separate
            # reads would look like a torn transaction.
            reader.send(reader.encode("MULTI") + reader.encode("MGET", *keys) +
                        reader.encode("SCARD", "cl:tx:set") + reader.encode("EXEC"))
            got, card = [reader.read_reply() for _ in range(4)][-1]
            seen = sum(v is not None for v in got)
            if seen not in (0, len(keys)) or (seen == 0) != (card == 0):
                partial.append((seen, card))
            if seen == len(keys):
                break
        c.eq("another region saw the transaction whole or not at all", (seen, partial), (len(keys), []))
        # WATCH is not touched by a change merged from another region.
        c.eq("WATCH in us-east-1", conn.command("WATCH", "cl:tx:0"), "OK")
        c.eq("SET in eu-west-1", reader.command("SET", "cl:tx:0", "remote"), "OK")
        c.eventually("the remote SET arrives", lambda: get(east, "GET", "cl:tx:0"), "remote")
        conn.command("MULTI")
        conn.command("GET", "cl:tx:0")
        c.eq("EXEC after a merged change runs", conn.command("EXEC"), ["remote"])
    finally:
        conn.close()
        reader.close()


REDIS_PY_CLIENT = r'''
import sys
import redis
port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
other = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
out = {}
p = r.pipeline()  # transaction=True: MULTI ... EXEC
p.set("py:a", "1").incr("py:a").sadd("py:s", "x", "y").get("py:a")
out["transaction"] = p.execute()
p = r.pipeline(transaction=False)
p.set("py:b", "v").get("py:b").scard("py:s")
out["plain pipeline"] = p.execute()
p = r.pipeline()
p.set("py:c", "1").sadd("py:c", "x").get("py:c")
res = p.execute(raise_on_error=False)
out["runtime error inside EXEC"] = [res[0], type(res[1]).__name__, str(res[1]), res[2]]
try:
    r.pipeline().set("py:d", "1").execute_command("NOSUCHCOMMAND").execute()
    out["queueing error"] = "no error"
except redis.exceptions.ResponseError as e:
    out["queueing error"] = str(e).split(":")[0]
out["py:d after EXECABORT"] = r.get("py:d")
tries = 0
with r.pipeline() as p:  # WATCH / MULTI / EXEC, retried when another client wrote the key
    while True:
        try:
            p.watch("py:counter")
            value = int(p.get("py:counter") or 0)
            if tries == 0:
                other.set("py:counter", "100")  # a conflicting write before EXEC
            tries += 1
            p.multi()
            p.set("py:counter", str(value + 1))
            p.execute()
            break
        except redis.WatchError:
            continue
out["watch retries"] = tries
out["counter"] = r.get("py:counter")
print(repr(out))
'''


def check_redis_py(c, port, label):
    if not os.path.exists(SYSTEM_PYTHON):
        c.failed.append("%s not found (redis-py is Debian's python3-redis)" % SYSTEM_PYTHON)
        return
    r = subprocess.run([SYSTEM_PYTHON, "-c", REDIS_PY_CLIENT, str(port)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        c.failed.append("%s: redis-py client failed (python3-redis installed? scripts/test installs it): %s"
                        % (label, r.stderr[-2000:]))
        return
    return eval(r.stdout.strip(), {})


def compare_redis_py(c, rs_port, redis_port):
    want = check_redis_py(c, redis_port, "redis-server")
    got = check_redis_py(c, rs_port, "regionsyncd")
    if want is None or got is None:
        return
    c.eq("redis-py on redis-server (checks the test)", want["counter"], "101")
    for k in want:
        c.eq("redis-py: %s" % k, got.get(k), want[k])


def main():
    rc = prerequisites("resp_tx_test.py")
    if rc is not None:
        return rc
    c = Checks()
    d = local_cluster(sys.argv[1])
    redis = None
    started = time.monotonic()
    try:
        d.start()
        east = d.resp_ports[0]
        if REDIS_SERVER is None:
            c.failed.append("redis-server not found (Debian package redis-server; scripts/test installs it)")
        else:
            redis = RedisServer()
            section(c, "scripts answer as Redis does", lambda: compare_scripts(c, east, redis.port))
            section(c, "CLIENT REPLY (redis-server)", lambda: check_reply_modes(c, redis.port, "redis-server"))
            section(c, "CLIENT KILL (redis-server)", lambda: check_client_kill(c, redis.port, "redis-server"))
            section(c, "redis-py", lambda: compare_redis_py(c, east, redis.port))
        section(c, "CLIENT REPLY", lambda: check_reply_modes(c, east, "regionsyncd"))
        section(c, "CLIENT KILL", lambda: check_client_kill(c, east, "regionsyncd"))
        section(c, "three regions", lambda: check_cluster(c, d))
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
    print("resp_tx_test took %.1f s" % (time.monotonic() - started))
    return c.finish("resp_tx_test")


if __name__ == "__main__":
    sys.exit(main())
