#!/usr/bin/env python3
"""Presence leases over HTTP on a three-region local cluster of the real
regionsyncd: join, renew, list and count in every region, joins and leaves on
the change feed, a member whose renewals stop (its region cut off) gone from
the others at its lease end, a member kept alive by renewals never gone, and
bad input refused. Usage: daemon_presence_test.py <regionsyncd>"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request  # noqa: E402
from daemon_http_test import Sse  # noqa: E402

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def members(port, group):
    r = request(port, "GET", "/v1/presence/" + group)
    assert r.status == 200, r
    return [(m["member"], m["replica"]) for m in r.json["members"]]


def count(port, group):
    return request(port, "GET", "/v1/presence/%s/count" % group).json["count"]


def join(port, group, member, ttl_ms, meta=None):
    body = {"ttl_ms": ttl_ms}
    if meta is not None:
        body["meta"] = meta
    return request(port, "PUT", "/v1/presence/%s/%s" % (group, member), body)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/regionsyncd"
    c = Checks()
    d = Daemon(binary, ["--local-cluster", ",".join(REGIONS), "--presence-renewal-ms", "200",
                        "--anti-entropy-interval-ms", "300"], ports=3)
    try:
        d.start()
        east, west, eu = d.ports

        # A join is listed, with its meta and lease end, in every region; the
        # feed of another region says so.
        feed = Sse(west, query="?presence=room")
        r = join(east, "room", "alice", 60_000, {"device": "phone"})
        c.status("join", r, 200)
        c.eq("join answer", {k: r.json[k] for k in ("group", "member", "replica", "meta", "joined")},
             {"group": "room", "member": "alice", "replica": "us-east-1/a", "meta": {"device": "phone"},
              "joined": True})
        lease_end = r.json["expires_at_ms"]
        c.true("lease end ahead", lease_end > time.time() * 1000 + 50_000)
        for p in d.ports:
            c.eventually("alice listed on %d" % p, lambda p=p: members(p, "room"), [("alice", "us-east-1/a")])
        got = request(eu, "GET", "/v1/presence/room").json["members"][0]
        c.eq("remote entry", (got["meta"], got["expires_at_ms"]), ({"device": "phone"}, lease_end))
        ev = feed.next_event("presence")["json"]
        c.eq("join event", (ev["group"], ev["member"], ev["replica"], ev["action"], ev["local"], ev["meta"]),
             ("room", "alice", "us-east-1/a", "join", False, {"device": "phone"}))

        # One member tracked in two regions counts once.
        c.status("bob joins in eu", join(eu, "room", "bob", 60_000), 200)
        c.status("alice also in west", join(west, "room", "alice", 60_000), 200)
        for p in d.ports:
            c.eventually("count on %d" % p, lambda p=p: count(p, "room"), 2)
        c.eq("list order", members(west, "room"),
             [("alice", "us-east-1/a"), ("alice", "us-west-2/a"), ("bob", "eu-west-1/a")])

        # A renewal is no join; its new lease end reaches the other regions
        # with the next batch of renewals.
        r = join(east, "room", "alice", 90_000, {"device": "phone"})
        c.eq("renewal answer", (r.status, r.json.get("joined")), (200, False))
        renewed_end = r.json["expires_at_ms"]
        c.eventually("renewal reaches eu", lambda: [m["expires_at_ms"] for m in
                                                   request(eu, "GET", "/v1/presence/room").json["members"]
                                                   if m["replica"] == "us-east-1/a"], [renewed_end])

        # Leave: gone everywhere; the feed says so.
        r = request(eu, "DELETE", "/v1/presence/room/bob")
        c.eq("leave", (r.status, r.json.get("left")), (200, True))
        c.eq("leave again", request(eu, "DELETE", "/v1/presence/room/bob").json.get("left"), False)
        for p in d.ports:
            c.eventually("bob gone on %d" % p, lambda p=p: [m for m, _ in members(p, "room") if m == "bob"], [])
        ev = feed.next_event("presence")["json"]
        while ev["member"] != "bob" or ev["action"] != "leave":
            ev = feed.next_event("presence")["json"]
        c.eq("leave event", (ev["replica"], ev["action"]), ("eu-west-1/a", "leave"))
        feed.close()

        # Cut east off: nothing it sends arrives, so its member is not renewed
        # anywhere else and goes at its lease end; carol, renewed by her
        # client in west more often than her TTL, never goes.
        c.status("carol joins in west", join(west, "lobby", "carol", 3000), 200)
        c.status("dave joins in east", join(east, "lobby", "dave", 3000), 200)
        for p in d.ports:
            c.eventually("lobby on %d" % p, lambda p=p: count(p, "lobby"), 2)
        c.status("partition", request(east, "POST", "/v1/admin/partition",
                                      {"groups": [["us-east-1"], ["us-west-2", "eu-west-1"]]}), 200)
        dave_end = request(west, "GET", "/v1/presence/lobby").json["members"]
        dave_end = [m["expires_at_ms"] for m in dave_end if m["member"] == "dave"][0]
        seen_carol = True
        while time.time() * 1000 < dave_end + 1500:
            c.status("carol renews", join(west, "lobby", "carol", 3000), 200)
            for p in (west, eu):
                seen_carol = seen_carol and ("carol", "us-west-2/a") in members(p, "lobby")
            time.sleep(0.5)  # pacing: carol's client renews twice a second (no effect is awaited)
        c.true("carol present throughout in west and eu", seen_carol)
        for p in (west, eu):
            c.eq("dave gone on %d" % p, [m for m, _ in members(p, "lobby")], ["carol"])
        c.status("heal", request(east, "POST", "/v1/admin/heal"), 200)

        # Bad input is refused and changes nothing.
        c.status("ttl missing", request(east, "PUT", "/v1/presence/room/eve", {"meta": {}}), 400)
        c.status("ttl zero", join(east, "room", "eve", 0), 400)
        c.status("ttl too long", join(east, "room", "eve", 86_400_001), 400)
        c.status("meta not an object", join(east, "room", "eve", 1000, ["x"]), 400)
        c.status("group with a colon", join(east, "ro:om", "eve", 1000), 400)
        c.status("bad group in list", request(east, "GET", "/v1/presence/ro:om"), 400)
        c.eq("eve never joined", [m for m, _ in members(east, "room") if m == "eve"], [])
    finally:
        d.stop()
        d.cleanup()
    return c.finish("daemon_presence_test")


if __name__ == "__main__":
    sys.exit(main())
