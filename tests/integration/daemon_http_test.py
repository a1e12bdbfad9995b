#!/usr/bin/env python3
"""HTTP integration test of the real regionsyncd: every route and every error
code (400, 401, 404, 409, 413, 503), the SSE change feed with Last-Event-ID
resume and reset, config file vs flags, secrets from env/files, SIGTERM.
Usage: daemon_http_test.py <path to regionsyncd>"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request, request_without_length, wait_until  # noqa: E402

TOKEN = "test-token-0123456789"


class Sse:
    """A minimal Server-Sent Events reader over http.client."""

    def __init__(self, port, last_id=None, token=None, query=""):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h = {"Accept": "text/event-stream"}
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        if token:
            h["Authorization"] = "Bearer " + token
        self.conn.request("GET", "/v1/events" + query, headers=h)
        self.resp = self.conn.getresponse()

    def next_event(self, kind=None):
        """The next event record (dict with id/event/data), skipping comments."""
        while True:
            ev = {}
            while True:
                line = self.resp.fp.readline().decode()
                if line == "":
                    raise AssertionError("event stream ended")
                line = line.rstrip("\n")
                if line == "":
                    break
                if line.startswith(":"):
                    continue
                k, _, v = line.partition(": ")
                ev[k] = v
            if "event" in ev and (kind is None or ev["event"] == kind):
                if "data" in ev:
                    ev["json"] = json.loads(ev["data"])
                return ev

    def close(self):
        self.conn.close()


def test_routes(binary, c):
    d = Daemon(binary, ["--replica-id", "us-east-1/a", "--max-body-bytes", "2048", "--event-buffer", "5"],
               env={"REGIONSYNC_API_TOKENS": TOKEN + ",other-token-abcdefgh"})
    try:
        d.start()
        p = d.port
        # Health, readiness, status, metrics.
        c.status("healthz", request(p, "GET", "/healthz"), 200)
        c.status("readyz", request(p, "GET", "/readyz"), 200)
        st = request(p, "GET", "/v1/status")
        c.status("status", st, 200)
        c.eq("status replica", st.json["replica"], "us-east-1/a")
        c.true("status epoch", st.json["epoch"] > 0)
        for field in ("peers", "outbox_keys", "dead_letters", "anti_entropy", "transport", "store", "fsync"):
            c.true("status has " + field, field in st.json, repr(st.json)[:200])

        # Auth: writes need a token, reads do not (no --auth-reads).
        c.status("write without token", request(p, "POST", "/v1/keys/n/increment", {"by": 1}), 401, "unauthorized")
        c.status("write with bad token", request(p, "POST", "/v1/keys/n/increment", {"by": 1}, token="nope"), 401)
        c.true("401 names the scheme", "Bearer" in request(p, "POST", "/v1/keys/n/increment", {}).headers.get("WWW-Authenticate", ""))

        # Counters.
        r = request(p, "POST", "/v1/keys/n/increment", {"by": 5}, token=TOKEN)
        c.status("increment", r, 200)
        c.eq("increment body", r.json, {"key": "n", "type": "pn_counter", "value": 5, "expires_at_ms": None})
        r = request(p, "POST", "/v1/keys/n/decrement", {"by": 2}, token="other-token-abcdefgh")
        c.eq("decrement", (r.status, r.json.get("value")), (200, 3))
        c.eq("increment default by", request(p, "POST", "/v1/keys/n/increment", token=TOKEN).json["value"], 4)
        c.eq("get counter", request(p, "GET", "/v1/keys/n").json, {"key": "n", "type": "pn_counter", "value": 4, "expires_at_ms": None})
        r = request(p, "POST", "/v1/keys/g/increment", {"by": 3, "type": "g_counter"}, token=TOKEN)
        c.eq("g_counter", (r.status, r.json.get("type"), r.json.get("value")), (200, "g_counter", 3))
        c.status("g_counter decrement", request(p, "POST", "/v1/keys/g/decrement", {"by": 1, "type": "g_counter"}, token=TOKEN), 400)
        c.status("by not integer", request(p, "POST", "/v1/keys/n/increment", {"by": "x"}, token=TOKEN), 400, "bad_request")
        c.status("by too big", request(p, "POST", "/v1/keys/n/increment", raw='{"by": 18446744073709551615}', token=TOKEN), 400)
        c.status("malformed json", request(p, "POST", "/v1/keys/n/increment", raw="{nope", token=TOKEN), 400, "bad_request")
        c.status("json not object", request(p, "POST", "/v1/keys/n/increment", raw="[1]", token=TOKEN), 400)

        # Registers.
        r = request(p, "PUT", "/v1/keys/reg", {"value": "hello"}, token=TOKEN)
        c.eq("put register", (r.status, r.json), (200, {"key": "reg", "type": "lww_register", "value": "hello", "expires_at_ms": None}))
        r = request(p, "PUT", "/v1/keys/reg", {"value": "old", "timestamp": 1}, token=TOKEN)
        c.eq("older client timestamp loses", r.json["value"], "hello")
        r = request(p, "PUT", "/v1/keys/reg", {"value": "future", "timestamp": 4102444800000}, token=TOKEN)
        c.eq("newer client timestamp wins", r.json["value"], "future")
        c.status("register value not string", request(p, "PUT", "/v1/keys/reg", {"value": 3}, token=TOKEN), 400)
        c.status("register bad timestamp", request(p, "PUT", "/v1/keys/reg", {"value": "a", "timestamp": -1}, token=TOKEN), 400)
        # The clock holds 48 bits of ms: beyond that a timestamp used to wrap silently.
        for ts in (99999999999999999, 1 << 48):
            r = request(p, "PUT", "/v1/keys/reg", {"value": "wrapped", "timestamp": ts}, token=TOKEN)
            c.status("timestamp %d refused" % ts, r, 400, "bad_request")
            c.true("400 names the allowed range", r.json is not None and "0 to 281474976710655 ms" in r.json["message"], repr(r))
        c.eq("refused timestamps changed nothing", request(p, "GET", "/v1/keys/reg").json["value"], "future")
        r = request(p, "PUT", "/v1/keys/reg", {"value": "last", "timestamp": (1 << 48) - 1}, token=TOKEN)
        c.eq("largest timestamp accepted", (r.status, r.json["value"]), (200, "last"))
        r = request(p, "PUT", "/v1/keys/mv", {"value": "a", "type": "mv_register"}, token=TOKEN)
        c.eq("mv register", (r.status, r.json["type"], r.json["value"]), (200, "mv_register", ["a"]))

        # Sets.
        r = request(p, "POST", "/v1/keys/s/add", {"element": "x"}, token=TOKEN)
        c.eq("add", (r.status, r.json["value"], r.json["changed"]), (200, ["x"], True))
        r = request(p, "POST", "/v1/keys/s/add", {"element": "x"}, token=TOKEN)
        c.eq("add again", r.json["changed"], False)
        request(p, "POST", "/v1/keys/s/add", {"element": "y"}, token=TOKEN)
        r = request(p, "POST", "/v1/keys/s/remove", {"element": "x"}, token=TOKEN)
        c.eq("remove", (r.status, r.json["value"], r.json["changed"]), (200, ["y"], True))
        c.status("add without element", request(p, "POST", "/v1/keys/s/add", {}, token=TOKEN), 400)
        c.eq("get set", request(p, "GET", "/v1/keys/s").json, {"key": "s", "type": "or_set", "value": ["y"], "expires_at_ms": None})

        # Flags.
        r = request(p, "POST", "/v1/keys/f/enable", token=TOKEN)
        c.eq("enable", (r.status, r.json["type"], r.json["value"]), (200, "ew_flag", True))
        r = request(p, "POST", "/v1/keys/f/disable", token=TOKEN)
        c.eq("disable", r.json["value"], False)
        # No body and no Content-Length (curl -X POST): an empty body, at once.
        r = request_without_length(p, "POST", "/v1/keys/f/enable", token=TOKEN, timeout=3)
        c.eq("enable without Content-Length", (r.status, r.json and r.json["value"]), (200, True))
        r = request_without_length(p, "POST", "/v1/keys/n/increment", token=TOKEN, timeout=3)
        c.eq("increment without Content-Length", (r.status, r.json and r.json["value"]), (200, 5))
        request(p, "POST", "/v1/keys/n/decrement", {"by": 1}, token=TOKEN)

        # Maps.
        r = request(p, "PUT", "/v1/keys/m/fields/color", {"value": "red"}, token=TOKEN)
        c.eq("map set", (r.status, r.json["type"], r.json["value"]), (200, "or_map", {"color": "red"}))
        c.eq("map get field", request(p, "GET", "/v1/keys/m/fields/color").json["value"], "red")
        c.status("map missing field", request(p, "GET", "/v1/keys/m/fields/size"), 404, "not_found")
        c.status("map field of non-map", request(p, "GET", "/v1/keys/n/fields/x"), 409, "type_mismatch")
        c.status("map kind mismatch", request(p, "POST", "/v1/keys/m/fields/hits/increment", {"by": 1}, token=TOKEN), 409)
        r = request(p, "DELETE", "/v1/keys/m/fields/color", token=TOKEN)
        c.eq("map remove", (r.status, r.json["value"]), (200, {}))
        r = request(p, "POST", "/v1/keys/mc/fields/hits/increment", {"by": 7}, token=TOKEN)
        r = request(p, "POST", "/v1/keys/mc/fields/hits/decrement", {"by": 2}, token=TOKEN)
        c.eq("map counter", (r.status, r.json["value"]), (200, {"hits": 5}))
        r = request(p, "POST", "/v1/keys/mf/fields/beta/enable", token=TOKEN)
        c.eq("map flag", r.json["value"], {"beta": True})
        r = request(p, "POST", "/v1/keys/mf/fields/beta/disable", token=TOKEN)
        # A disabled flag entry has no dots left: the map may drop it.
        c.eq("map flag off", r.json["value"].get("beta", False), False)
        request(p, "POST", "/v1/keys/ms/fields/tags/add", {"element": "a"}, token=TOKEN)
        r = request(p, "POST", "/v1/keys/ms/fields/tags/add", {"element": "b"}, token=TOKEN)
        r = request(p, "POST", "/v1/keys/ms/fields/tags/remove", {"element": "a"}, token=TOKEN)
        c.eq("map set-of-sets", r.json["value"], {"tags": ["b"]})

        # Type mismatch on every kind of write.
        c.status("409 increment on set", request(p, "POST", "/v1/keys/s/increment", {}, token=TOKEN), 409, "type_mismatch")
        c.status("409 put on counter", request(p, "PUT", "/v1/keys/n", {"value": "v"}, token=TOKEN), 409)
        c.status("409 add on counter", request(p, "POST", "/v1/keys/n/add", {"element": "e"}, token=TOKEN), 409)
        c.status("409 enable on counter", request(p, "POST", "/v1/keys/n/enable", token=TOKEN), 409)
        c.status("409 field on counter", request(p, "PUT", "/v1/keys/n/fields/a", {"value": "v"}, token=TOKEN), 409)

        # 404s.
        c.status("unknown key", request(p, "GET", "/v1/keys/nothing-here"), 404, "not_found")
        c.status("unknown route", request(p, "GET", "/v2/whatever"), 404, "not_found")
        c.status("unknown op", request(p, "POST", "/v1/keys/n/frobnicate", token=TOKEN), 404)
        c.status("admin only in local cluster", request(p, "POST", "/v1/admin/heal", token=TOKEN), 404)

        # 413.
        big = json.dumps({"element": "x" * 4096})
        c.status("body too large", request(p, "POST", "/v1/keys/s/add", raw=big, token=TOKEN), 413, "payload_too_large")

        # Listing.
        r = request(p, "GET", "/v1/keys")
        c.eq("list", r.json["keys"], sorted(["f", "g", "m", "mc", "mf", "ms", "mv", "n", "reg", "s"]))
        r = request(p, "GET", "/v1/keys?prefix=m&limit=2")
        c.eq("list prefix+limit", (r.json["keys"], r.json["count"], r.json["truncated"]), (["m", "mc"], 5, True))
        c.status("list bad limit", request(p, "GET", "/v1/keys?limit=x"), 400)

        # Keys with URL-encoded characters.
        r = request(p, "POST", "/v1/keys/user%3A42%20x/increment", {"by": 1}, token=TOKEN)
        c.eq("encoded key", (r.status, r.json["key"]), (200, "user:42 x"))

        # DELETE /v1/keys/{key}: Redis DEL semantics over HTTP (after the
        # listing above: a deleted key keeps its type).
        c.status("delete without token", request(p, "DELETE", "/v1/keys/n"), 401, "unauthorized")
        request(p, "POST", "/v1/keys/dc/increment", {"by": 5}, token=TOKEN)
        r = request(p, "DELETE", "/v1/keys/dc", token=TOKEN)
        c.eq("delete counter", (r.status, r.json), (200, {"key": "dc", "deleted": True}))
        r = request(p, "DELETE", "/v1/keys/dc", token=TOKEN)
        c.eq("delete again: nothing left", (r.status, r.json), (200, {"key": "dc", "deleted": False}))
        r = request(p, "POST", "/v1/keys/dc/increment", {"by": 1}, token=TOKEN)
        c.eq("the deleted 5 is gone", (r.status, r.json["value"]), (200, 1))
        for e in ("x", "y"):
            request(p, "POST", "/v1/keys/ds/add", {"element": e}, token=TOKEN)
        c.eq("delete set", request(p, "DELETE", "/v1/keys/ds", token=TOKEN).json, {"key": "ds", "deleted": True})
        r = request(p, "POST", "/v1/keys/ds/add", {"element": "z"}, token=TOKEN)
        c.eq("deleted members are gone", (r.status, r.json["value"]), (200, ["z"]))
        request(p, "PUT", "/v1/keys/dr", {"value": "v"}, token=TOKEN)
        c.eq("delete register", request(p, "DELETE", "/v1/keys/dr", token=TOKEN).json["deleted"], True)
        r = request(p, "GET", "/v1/keys/dr")
        c.true("deleted register has no value", r.status == 404 or (r.status == 200 and r.json["value"] is None), repr(r))
        r = request(p, "DELETE", "/v1/keys/never-written", token=TOKEN)
        c.eq("delete of a missing key", (r.status, r.json), (200, {"key": "never-written", "deleted": False}))
        c.eq("a missing key stays missing", request(p, "GET", "/v1/keys/never-written").status, 404)
        r = request(p, "DELETE", "/v1/keys/g", token=TOKEN)
        c.status("delete of a g_counter", r, 400, "bad_request")
        c.eq("refused delete changed nothing", request(p, "GET", "/v1/keys/g").json["value"], 3)
        c.eq("delete of a field still is the field route", request(p, "DELETE", "/v1/keys/mc/fields/hits", token=TOKEN).json["value"], {})

        # Metrics.
        m = request(p, "GET", "/metrics")
        c.true("metrics text", m.status == 200 and "regionsync_committed_writes_total{replica=\"us-east-1/a\"}" in m.body
               and "regionsync_http_requests_total" in m.body and "regionsync_http_write_seconds_bucket" in m.body, m.body[:300])

        # Change feed: live events, resume, reset.
        sse = Sse(p)
        request(p, "POST", "/v1/keys/ev/increment", {"by": 1}, token=TOKEN)
        e1 = sse.next_event("change")
        c.eq("sse event", {k: e1["json"][k] for k in ("key", "type", "value", "origin", "local")},
             {"key": "ev", "type": "pn_counter", "value": 1, "origin": "us-east-1/a", "local": True})
        request(p, "POST", "/v1/keys/ev/increment", {"by": 1}, token=TOKEN)
        e2 = sse.next_event("change")
        c.eq("sse ids increase", int(e2["id"]), int(e1["id"]) + 1)
        # A duplicate no-op (re-adding a present element) fires no event.
        request(p, "POST", "/v1/keys/s/add", {"element": "y"}, token=TOKEN)
        request(p, "POST", "/v1/keys/ev/increment", {"by": 1}, token=TOKEN)
        e3 = sse.next_event("change")
        c.eq("no event for a no-op", (e3["json"]["key"], int(e3["id"])), ("ev", int(e2["id"]) + 1))
        sse.close()
        resumed = Sse(p, last_id=e1["id"])
        c.eq("resume replays from Last-Event-ID", int(resumed.next_event("change")["id"]), int(e2["id"]))
        resumed.close()
        for i in range(6):  # the ring keeps 5
            request(p, "POST", "/v1/keys/ev/increment", {"by": 1}, token=TOKEN)
        old = Sse(p, last_id=e1["id"])
        reset = old.next_event()
        c.eq("too old -> reset", reset["event"], "reset")
        old.close()
        bogus = Sse(p, last_id=1)
        c.eq("id from another run -> reset", bogus.next_event()["event"], "reset")
        bogus.close()
        c.status("bad Last-Event-ID", request(p, "GET", "/v1/events", headers={"Last-Event-ID": "abc"}), 400)
        filtered = Sse(p, query="?prefix=zz")
        request(p, "POST", "/v1/keys/ev/increment", {"by": 1}, token=TOKEN)
        request(p, "POST", "/v1/keys/zz1/increment", {"by": 1}, token=TOKEN)
        c.eq("prefix filter", filtered.next_event("change")["json"]["key"], "zz1")
        filtered.close()

        # SIGTERM: writes acknowledged before are there after restart; exit 0.
        c.eq("SIGTERM exits 0", d.stop(), 0)
        d.start()
        c.eq("state after restart", request(p, "GET", "/v1/keys/n").json["value"], 4)
        st2 = request(p, "GET", "/v1/status").json
        c.eq("epoch kept across restart", st2["epoch"], st.json["epoch"])
        c.eq("SIGINT exits 0", d.stop(signal.SIGINT), 0)
    finally:
        d.cleanup()


def test_auth_reads_and_files(binary, c):
    with tempfile.TemporaryDirectory() as tmp:
        tokens = os.path.join(tmp, "tokens")
        with open(tokens, "w") as f:
            f.write("# api tokens\nfile-token-0123456789\n")
        keys = os.path.join(tmp, "keys")
        with open(keys, "w") as f:
            f.write("k1:0123456789abcdef0123\n")
        d = Daemon(binary, ["--auth-reads", "--api-tokens-file", tokens, "--signing-keys-file", keys],
                   env={"REGIONSYNC_API_TOKENS": "env-token-is-overridden"})
        try:
            d.start()
            c.status("auth-reads: read without token", request(d.port, "GET", "/v1/keys"), 401)
            c.status("auth-reads: events without token", request(d.port, "GET", "/v1/events"), 401)
            c.status("auth-reads: read with token", request(d.port, "GET", "/v1/keys", token="file-token-0123456789"), 200)
            c.status("file wins over env", request(d.port, "GET", "/v1/keys", token="env-token-is-overridden"), 401)
            c.status("healthz needs no token", request(d.port, "GET", "/healthz"), 200)
            c.eq("stop", d.stop(), 0)
        finally:
            d.cleanup()


def run(binary, args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([binary] + args, capture_output=True, text=True, env=e, timeout=30)


def test_config(binary, c):
    r = run(binary, ["--help"])
    c.true("--help", r.returncode == 0 and all(f in r.stdout for f in (
        "--config", "--replica-id", "--broker", "--local-cluster", "--data-dir", "--store-path", "--fsync",
        "--listen-address", "--http-port", "--flush-interval-ms", "--anti-entropy-interval-ms",
        "--max-message-bytes", "--log-level", "--signing-keys-file", "--api-tokens-file", "--auth-reads",
        "REGIONSYNC_SIGNING_KEYS", "REGIONSYNC_API_TOKENS")), r.stdout[-500:])
    c.eq("bad fsync", run(binary, ["--fsync", "sometimes"]).returncode, 2)
    c.eq("bad replica id", run(binary, ["--replica-id", "Upper/A"]).returncode, 2)
    r = run(binary, ["--broker", "snssqs", "--http-port", "0"], env={"REGIONSYNC_SIGNING_KEYS": "k:0123456789abcdef0"})
    c.true("snssqs needs a topic and a queue", r.returncode != 0 and "--sns-topic-arn" in r.stdout + r.stderr,
           r.stdout + r.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "rs.toml")
        with open(cfg, "w") as f:
            f.write('[node]\nreplica_id = "eu-west-1/b"\n[http]\nmax_body_bytes = 100\n[store]\nfsync = "every:100"\n')
        d = Daemon(binary, ["--config", cfg, "--max-body-bytes", "5000"])
        try:
            d.start()
            st = request(d.port, "GET", "/v1/status").json
            c.eq("config file sets replica id", st["replica"], "eu-west-1/b")
            c.eq("config file sets fsync", st["fsync"], "every:100")
            r = request(d.port, "POST", "/v1/keys/s/add", {"element": "x" * 1000})
            c.eq("flag overrides file (max body)", r.status, 200)
            d.stop()
        finally:
            d.cleanup()
        with open(cfg, "w") as f:
            f.write('[http]\nprot = 1\n')
        r = run(binary, ["--config", cfg])
        c.true("unknown config key rejected", r.returncode == 2 and "http.prot" in r.stderr, r.stderr)
        with open(cfg, "w") as f:
            f.write('[http]\nport = "x"\n')
        c.eq("wrong config type rejected", run(binary, ["--config", cfg]).returncode, 2)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/regionsyncd"
    c = Checks()
    test_routes(binary, c)
    test_auth_reads_and_files(binary, c)
    test_config(binary, c)
    return c.finish("daemon_http_test")


if __name__ == "__main__":
    sys.exit(main())
