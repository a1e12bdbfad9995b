#!/usr/bin/env python3
"""Key expiry over HTTP on a two-region local cluster of the real regionsyncd:
`ttl_ms` on writes, `PUT`/`DELETE /v1/keys/{key}/ttl`, `expires_at_ms` in
reads, the key gone in both regions at its expiry, a write after the expiry
starting afresh, and bad input refused. Usage: daemon_expiry_test.py <regionsyncd>"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request  # noqa: E402


def expires_at(port, key):
    r = request(port, "GET", "/v1/keys/" + key)
    return r.json["expires_at_ms"] if r.status == 200 else 404


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/regionsyncd"
    c = Checks()
    d = Daemon(binary, ["--local-cluster", "us-east-1,eu-west-1"], ports=2)
    try:
        d.start()
        east, eu = d.ports
        now_ms = lambda: int(time.time() * 1000)  # noqa: E731

        # A write with ttl_ms gives the key that expiry, in both regions.
        r = request(east, "PUT", "/v1/keys/session", {"value": "s1", "ttl_ms": 60_000})
        c.status("set with ttl", r, 200)
        at = r.json["expires_at_ms"]
        c.true("expiry about a minute ahead", abs(at - (now_ms() + 60_000)) < 5_000, "(%r)" % at)
        c.eventually("expiry replicated", lambda: expires_at(eu, "session"), at)
        # A write without ttl_ms keeps it; PUT /ttl moves it; DELETE /ttl clears it.
        c.eq("keeps expiry", request(east, "PUT", "/v1/keys/session", {"value": "s2"}).json["expires_at_ms"], at)
        r = request(east, "PUT", "/v1/keys/session/ttl", {"ttl_ms": 120_000})
        c.eq("ttl moved", (r.status, r.json.get("changed")), (200, True))
        c.eventually("moved expiry replicated", lambda: expires_at(eu, "session"), expires_at(east, "session"))
        r = request(eu, "DELETE", "/v1/keys/session/ttl")
        c.eq("persist", (r.status, r.json.get("changed")), (200, True))
        c.eventually("persist replicated", lambda: expires_at(east, "session"), None)
        c.eq("persist again", request(eu, "DELETE", "/v1/keys/session/ttl").json.get("changed"), False)

        # An expired key is gone in both regions; an increment after it starts at 0.
        c.status("counter with ttl", request(east, "POST", "/v1/keys/rate/increment", {"by": 5, "ttl_ms": 1500}), 200)
        c.eventually("counter replicated", lambda: request(eu, "GET", "/v1/keys/rate").json.get("value"), 5)
        for p in d.ports:
            c.eventually("expired on %d" % p, lambda p=p: request(p, "GET", "/v1/keys/rate").status, 404)
        r = request(eu, "POST", "/v1/keys/rate/increment", {"by": 1})
        c.eq("fresh after expiry", (r.status, r.json.get("value"), r.json.get("expires_at_ms")), (200, 1, None))
        c.eventually("fresh value everywhere", lambda: request(east, "GET", "/v1/keys/rate").json.get("value"), 1)

        # Bad input changes nothing.
        c.status("ttl on a missing key", request(east, "PUT", "/v1/keys/nope/ttl", {"ttl_ms": 1000}), 404)
        c.status("ttl zero", request(east, "PUT", "/v1/keys/session/ttl", {"ttl_ms": 0}), 400)
        c.status("ttl negative", request(east, "PUT", "/v1/keys/x", {"value": "v", "ttl_ms": -5}), 400)
        c.status("ttl text", request(east, "PUT", "/v1/keys/x", {"value": "v", "ttl_ms": "10"}), 400)
        c.status("ttl missing", request(east, "PUT", "/v1/keys/session/ttl", {}), 400)
        c.eq("refused write made nothing", request(east, "GET", "/v1/keys/x").status, 404)
        c.eq("refused ttl kept none", expires_at(east, "session"), None)
    finally:
        d.stop()
        d.cleanup()
    return c.finish("daemon_expiry_test")


if __name__ == "__main__":
    sys.exit(main())
