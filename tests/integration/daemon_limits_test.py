#!/usr/bin/env python3
"""Write size limits of the real regionsyncd (issue 13: `SET blob <70 MiB>` was
answered +OK and the replica then never started again). With small limits
(--max-value-bytes, --max-state-bytes): a value over the limit is refused over
RESP (-ERR value too large ...) and HTTP (413) and changes nothing; a value
just under it is accepted; a set grows until "state too large"; after kill -9
the daemon starts again and serves every accepted value. Limits that could not
be replicated or restored are refused at startup.

Usage: daemon_limits_test.py <path to regionsyncd>"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, RespConnection, RespError, request  # noqa: E402

VALUE_LIMIT = 4096
STATE_LIMIT = 65536
FLAGS = ["--replica-id", "us-east-1/a", "--fsync", "always", "--log-level", "warn",
         "--max-value-bytes", str(VALUE_LIMIT), "--max-state-bytes", str(STATE_LIMIT)]
VALUE_TOO_LARGE = "ERR value too large (limit %d bytes; --max-value-bytes)" % VALUE_LIMIT
STATE_TOO_LARGE = "ERR state too large (limit %d bytes; --max-state-bytes)" % STATE_LIMIT


def is_error(reply, prefix):
    return isinstance(reply, RespError) and reply.startswith(prefix)


def write_and_restart(binary, c):
    d = Daemon(binary, FLAGS)
    try:
        d.start()
        if request(d.port, "GET", "/v1/status").json["store"] == "memory":
            print("SKIP: this regionsyncd keeps state in memory; nothing survives kill -9")
            return 77
        r = RespConnection(d.resp_port)
        # "blob" (4 bytes) + value is the unit: 4092 fits, 4093 does not.
        fits = "v" * (VALUE_LIMIT - 4)
        reply = r.command("SET", "blob", fits + "x")
        c.true("SET over the limit refused", is_error(reply, VALUE_TOO_LARGE), "-> %r" % reply[:200])
        c.eq("refused SET created nothing", r.command("GET", "blob"), None)
        c.eq("refused SET: no key", r.command("EXISTS", "blob"), 0)
        c.eq("SET just under the limit accepted", r.command("SET", "blob", fits), "OK")
        reply = r.command("SET", "blob", "w" * 100_000)
        c.true("bigger SET refused", is_error(reply, VALUE_TOO_LARGE), "-> %r" % reply[:200])
        c.eq("refused SET kept the old value", r.command("GET", "blob"), fits)
        reply = r.command("MSET", "a", "1", "b", "x" * VALUE_LIMIT)
        c.true("MSET with one value over the limit refused", is_error(reply, VALUE_TOO_LARGE), "-> %r" % reply[:200])
        c.eq("MSET refused whole", r.command("GET", "a"), None)
        reply = r.command("HSET", "h", "f", "x" * VALUE_LIMIT)
        c.true("HSET over the limit refused", is_error(reply, VALUE_TOO_LARGE), "-> %r" % reply[:200])

        # HTTP: 413, same message, nothing written.
        resp = request(d.port, "PUT", "/v1/keys/doc", {"value": "x" * VALUE_LIMIT})
        c.status("HTTP PUT over the limit", resp, 413, "payload_too_large")
        c.true("HTTP 413 says why", resp.json is not None and resp.json.get("message", "").startswith(
            "value too large (limit %d bytes" % VALUE_LIMIT), "-> %r" % resp)
        c.status("HTTP refused PUT wrote nothing", request(d.port, "GET", "/v1/keys/doc"), 404)
        c.status("HTTP PUT under the limit", request(d.port, "PUT", "/v1/keys/doc", {"value": "d" * 3000}), 200)

        # A set grows until its state would pass the limit.
        members = []
        reply = None
        for i in range(100):
            member = "%04d" % i + "m" * 3000
            reply = r.command("SADD", "s", member)
            if reply != 1:
                break
            members.append(member)
        c.true("SADD refused at the state limit", is_error(reply, STATE_TOO_LARGE), "-> %r" % str(reply)[:200])
        c.true("the set filled up to the limit", STATE_LIMIT - 2 * 3100 < len(members) * 3000 <= STATE_LIMIT,
               "%d members" % len(members))
        c.eq("refused SADD added nothing", r.command("SCARD", "s"), len(members))
        c.eq("a full set can shrink", r.command("SREM", "s", members[0]), 1)
        members = members[1:]
        r.close()

        d.kill9()
        d.start()  # waits for /healthz and the RESP port: the replica started again
        r = RespConnection(d.resp_port)
        c.eq("blob served after kill -9", r.command("GET", "blob"), fits)
        c.eq("set served after kill -9", sorted(r.command("SMEMBERS", "s")), sorted(members))
        c.eq("refused keys still absent", [r.command("EXISTS", k) for k in ("a", "b", "h")], [0, 0, 0])
        got = request(d.port, "GET", "/v1/keys/doc")
        c.eq("HTTP value served after kill -9", got.json and got.json.get("value"), "d" * 3000)
        r.close()
        d.stop()
    finally:
        d.cleanup()
    return None


def limits_checked_at_startup(binary, c):
    def run(args):
        return subprocess.run([binary, "--data-dir", "/nonexistent/never-used"] + args, capture_output=True,
                              timeout=30)
    p = run(["--max-value-bytes", "200000"])
    err = p.stderr.decode("utf-8", "replace")
    c.eq("value limit over the message size: exit code", p.returncode, 2)
    c.true("...and the error names the flags", "--max-value-bytes 200000" in err and "--max-message-bytes" in err,
           "-> %r" % err)
    p = run(["--max-state-bytes", str(64 * 1024 * 1024 + 1)])
    c.eq("state limit over the read-back cap: exit code", p.returncode, 2)
    c.true("...and the error names the flag", "--max-state-bytes" in p.stderr.decode("utf-8", "replace"))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/regionsyncd"
    c = Checks()
    if write_and_restart(binary, c) == 77:
        return 77
    limits_checked_at_startup(binary, c)
    return c.finish("daemon_limits_test")


if __name__ == "__main__":
    sys.exit(main())
