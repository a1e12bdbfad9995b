#!/usr/bin/env python3
"""Local-cluster integration test of the real regionsyncd: three replicas in
one process; writes on any port reach every replica; remote changes appear on
the change feed with their origin; partition, heal and faults via
/v1/admin/*; status shows peers. Usage: daemon_cluster_test.py <regionsyncd>"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request, request_without_length, wait_until  # noqa: E402
from daemon_http_test import Sse  # noqa: E402

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
TOKEN = "cluster-token-0123456789"


def value(port, key):
    r = request(port, "GET", "/v1/keys/" + key)
    return r.json["value"] if r.status == 200 else None


def converged(ports, key, want):
    return all(value(p, key) == want for p in ports)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/regionsyncd"
    c = Checks()
    d = Daemon(binary, ["--local-cluster", ",".join(REGIONS), "--anti-entropy-interval-ms", "200"],
               ports=3, env={"REGIONSYNC_API_TOKENS": TOKEN})
    try:
        d.start()
        east, west, eu = d.ports
        for i, p in enumerate(d.ports):
            c.eq("replica id on port %d" % p, request(p, "GET", "/v1/status").json["replica"], REGIONS[i] + "/a")

        # Writes anywhere converge everywhere; remote events carry their origin.
        feed = Sse(west)
        for p in d.ports:
            c.status("increment on %d" % p, request(p, "POST", "/v1/keys/hits/increment", {"by": 2}, token=TOKEN), 200)
        wait_until(lambda: converged(d.ports, "hits", 6), what="hits == 6 everywhere")
        c.passed += 1
        request(east, "POST", "/v1/keys/from-east/add", {"element": "e"}, token=TOKEN)
        ev = feed.next_event("change")
        while ev["json"]["key"] != "from-east":
            ev = feed.next_event("change")
        c.eq("remote event origin", (ev["json"]["origin"], ev["json"]["local"], ev["json"]["replica"]),
             ("us-east-1/a", False, "us-west-2/a"))
        feed.close()
        st = request(west, "GET", "/v1/status").json
        c.eq("peers heard", sorted(pe["replica"] for pe in st["peers"]), ["eu-west-1/a", "us-east-1/a"])
        c.true("peer fields", all({"last_heard_millis", "lag_millis", "epoch"} <= set(pe) for pe in st["peers"]))

        # Admin needs a token (it is a write) and validates its input.
        c.status("admin without token", request(east, "POST", "/v1/admin/heal"), 401)
        c.status("partition unknown name", request(east, "POST", "/v1/admin/partition", {"groups": [["mars-1"]]}, token=TOKEN), 400)
        c.status("partition malformed", request(east, "POST", "/v1/admin/partition", {"groups": "x"}, token=TOKEN), 400)
        c.status("faults bad drop", request(east, "POST", "/v1/admin/faults", {"drop": 2}, token=TOKEN), 400)
        c.status("faults unknown", request(east, "POST", "/v1/admin/faults", {"gremlins": 1}, token=TOKEN), 400)

        # Partition: east alone. A write on east does not reach eu while a later
        # write on west does; after heal, anti-entropy brings everyone together.
        r = request(east, "POST", "/v1/admin/partition", {"groups": [["us-east-1"], ["us-west-2", "eu-west-1"]]}, token=TOKEN)
        c.eq("partition", (r.status, r.json["partition"]), (200, [["us-east-1"], ["us-west-2", "eu-west-1"]]))
        request(east, "PUT", "/v1/keys/split", {"value": "east"}, token=TOKEN)
        wait_until(lambda: request(east, "GET", "/v1/status").json["outbox_keys"] == 0, what="east flushed")
        request(west, "POST", "/v1/keys/marker/enable", token=TOKEN)
        wait_until(lambda: value(eu, "marker") is True, what="marker reaches eu")
        c.eq("partitioned write not on eu", value(eu, "split"), None)
        # Heal as `curl -X POST` sends it: no body, no Content-Length (it used
        # to wait for a body until httplib's read timeout, then answer 400).
        r = request_without_length(eu, "POST", "/v1/admin/heal", token=TOKEN, timeout=3)
        c.eq("heal without a body", (r.status, r.json and r.json["partition"]), (200, []))
        wait_until(lambda: converged(d.ports, "split", "east"), timeout=15, what="split heals")
        c.passed += 1

        # Faults: drop and duplicate; after clearing them, repair converges.
        r = request(west, "POST", "/v1/admin/faults", {"drop": 0.3, "duplicate": 0.2, "max_delay_ms": 20}, token=TOKEN)
        c.eq("faults set", (r.status, r.json["drop"], r.json["duplicate"], r.json["max_delay_ms"]), (200, 0.3, 0.2, 20))
        c.eq("faults read back", request(east, "GET", "/v1/admin/faults").json["drop"], 0.3)
        for i in range(30):
            request(d.ports[i % 3], "POST", "/v1/keys/faulty/increment", {"by": 1}, token=TOKEN)
            request(d.ports[i % 3], "POST", "/v1/keys/faulty-set/add", {"element": "e%d" % i}, token=TOKEN)
        request(west, "POST", "/v1/admin/faults", {"drop": 0, "duplicate": 0, "max_delay_ms": 0}, token=TOKEN)
        wait_until(lambda: converged(d.ports, "faulty", 30), timeout=20, what="counter converges after faults")
        wait_until(lambda: converged(d.ports, "faulty-set", sorted("e%d" % i for i in range(30))), timeout=20,
                   what="set converges after faults")
        c.passed += 2
        c.eq("SIGTERM exits 0", d.stop(), 0)
        d.start()
        c.eq("cluster state after restart", [value(p, "faulty") for p in d.ports], [30, 30, 30])
        c.eq("stop", d.stop(), 0)
    finally:
        d.cleanup()
    return c.finish("daemon_cluster_test")


if __name__ == "__main__":
    sys.exit(main())
