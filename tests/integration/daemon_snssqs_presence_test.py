#!/usr/bin/env python3
"""Presence across two regionsyncd processes over SNS -> SQS (the fauxqs
emulator, set up as daemon_snssqs_test.py does) when the process tracking a
member dies without a word (kill -9), as docs/presence.md ("Failures") says:
  - process A (us-east-1) tracks alice with a 4 s lease, process B
    (eu-west-1) tracks bob; both are listed in both processes;
  - A is killed with kill -9 once B knows alice's last lease end; B's client
    keeps renewing bob;
  - B lists alice until her lease end and no longer after it (deadline: lease
    end + 5 s), bob throughout; the time from the kill to alice's
    disappearance in B is printed;
  - A restarted on the same data folder does not bring alice back (her lease
    ended), in A or in B, and lists bob.

usage: daemon_snssqs_presence_test.py REGIONSYNCD REGIONSYNC_CLI"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, request, wait_until  # noqa: E402
from daemon_presence_test import join, members  # noqa: E402
from daemon_snssqs_test import Fauxqs, aws_env, provision, snssqs_daemon, value  # noqa: E402

TTL_MS = 4000
RENEW_EVERY_S = TTL_MS / 4000  # a client renews four times per lease
ALICE = ("alice", "us-east-1/a")
BOB = ("bob", "eu-west-1/a")


def now_ms():
    return int(time.time() * 1000)


def lease_end(port, group, member, replica):
    """The lease end this process lists for (member, replica), None if unlisted."""
    r = request(port, "GET", "/v1/presence/" + group)
    assert r.status == 200, r
    ends = [m["expires_at_ms"] for m in r.json["members"] if (m["member"], m["replica"]) == (member, replica)]
    return ends[0] if ends else None


class Client:
    """A presence client that renews its member through one process whenever
    RENEW_EVERY_S has passed; tests call renew_if_due() from their polling
    loops, so waiting on something never lets the lease lapse."""

    def __init__(self, port, member):
        self.port, self.member = port, member
        self.last = None
        self.refused = []  # renewals not answered 200

    def renew(self):
        r = join(self.port, "room", self.member, TTL_MS)
        if r.status != 200:
            self.refused.append(r)
        self.last = time.monotonic()
        return r

    def renew_if_due(self):
        if self.last is None or time.monotonic() - self.last >= RENEW_EVERY_S:
            self.renew()


def wait_renewing(clients, cond, timeout, what):
    """wait_until(cond) with every client renewing meanwhile."""
    def step():
        for cl in clients:
            cl.renew_if_due()
        return cond()
    return wait_until(step, timeout=timeout, what=what)


def watch_until_gone(c, b, bob, alice_end):
    """Polls B (bob's client renewing) until alice is no longer listed, at
    most until her lease end + 5 s; checks every answer. Returns the
    monotonic time of the first answer without her."""
    early, bob_missing = [], []

    def alice_gone():
        listed = members(b, "room")
        answered = now_ms()  # the answer was made before this
        if BOB not in listed:
            bob_missing.append((answered, listed))
        if ALICE in listed:
            return None
        if answered < alice_end:
            early.append(answered)
        return time.monotonic()
    try:
        return wait_renewing([bob], alice_gone, timeout=(alice_end + 5000 - now_ms()) / 1000,
                             what="alice gone from eu-west-1 by her lease end %d + 5 s" % alice_end)
    finally:
        c.eq("alice listed in eu-west-1 until her lease end (answers without her before it)", early, [])
        c.eq("bob listed in eu-west-1 throughout (answers without him)", bob_missing, [])


def main():
    if len(sys.argv) < 3:
        print("usage: daemon_snssqs_presence_test.py REGIONSYNCD REGIONSYNC_CLI")
        return 2
    daemon_bin, cli = sys.argv[1], sys.argv[2]
    if not Fauxqs.install():
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="snssqs-presence-")
    fauxqs = Fauxqs(os.path.join(tmp.name, "fauxqs.log"))
    env = aws_env("daemon-snssqs-presence-test-secret")
    c = Checks()
    daemons = []
    try:
        replicas = ["us-east-1/a", "eu-west-1/a"]
        topics, queues = provision(cli, fauxqs.endpoint, replicas, env)
        c.eq("provisioned replicas", sorted(topics), sorted(replicas))

        def start(replica, data_dir=None):
            d = snssqs_daemon(daemon_bin, replica, topics, queues, fauxqs.endpoint, env, data_dir=data_dir)
            daemons.append(d)
            return d
        a_proc = start("us-east-1/a").start()
        b_proc = start("eu-west-1/a").start()
        a, b = a_proc.port, b_proc.port

        # alice joins through A, bob through B; both clients renew from now on.
        alice, bob = Client(a, "alice"), Client(b, "bob")
        r = alice.renew()
        c.eq("alice joins in us-east-1", (r.json.get("joined"), r.json.get("replica")), (True, "us-east-1/a"))
        r = bob.renew()
        c.eq("bob joins in eu-west-1", (r.json.get("joined"), r.json.get("replica")), (True, "eu-west-1/a"))
        for name, port in (("us-east-1", a), ("eu-west-1", b)):
            wait_renewing([alice, bob], lambda port=port: members(port, "room") == [ALICE, BOB], timeout=30,
                          what="alice and bob listed in %s" % name)
            c.passed += 1

        # alice's last renewal; once B lists its lease end, A dies.
        alice_end = alice.renew().json["expires_at_ms"]
        wait_renewing([bob], lambda: lease_end(b, "room", *ALICE) == alice_end, timeout=TTL_MS / 1000,
                      what="alice's last lease end %d in eu-west-1" % alice_end)
        a_proc.kill9()
        killed = time.monotonic()
        killed_ms = now_ms()
        print("killed us-east-1 (kill -9) %d ms before alice's lease end" % (alice_end - killed_ms))

        gone = watch_until_gone(c, b, bob, alice_end)
        print("alice gone from eu-west-1 %.3f s after the kill (her lease ended %.3f s after it)"
              % (gone - killed, (alice_end - killed_ms) / 1000))
        c.eq("count in eu-west-1 after alice's lease end",
             request(b, "GET", "/v1/presence/room/count").json["count"], 1)

        # A restarts on its data folder: alice's lease has ended, so she is
        # not listed anywhere; A learns bob from B.
        a_proc = start("us-east-1/a", data_dir=a_proc.data_dir).start(wait=False)
        a = a_proc.port
        try:
            wait_renewing([bob], lambda: a_proc.alive() and request(a, "GET", "/healthz").status == 200, timeout=30,
                          what="us-east-1 restarted (log %s)" % a_proc.log_path)
        except AssertionError as e:
            raise AssertionError("us-east-1 did not restart on its data folder: %s" % e)
        c.eq("alice not listed in the restarted us-east-1", ALICE in members(a, "room"), False)
        wait_renewing([bob], lambda: BOB in members(a, "room"), timeout=30,
                      what="bob listed in the restarted us-east-1")
        c.eq("the restarted us-east-1 lists bob only", members(a, "room"), [BOB])
        # A write A makes after its restart reaches B. What A's outbox still
        # held from before the kill was folded into the open generation at
        # restore (docs/daemon.md), so it is published with or before that
        # write: B's answers below come after A had sent all it had.
        c.status("marker write in us-east-1", request(a, "PUT", "/v1/keys/restart-marker", {"value": "up"}), 200)
        wait_renewing([bob], lambda: value(b, "restart-marker") == "up", timeout=30,
                      what="us-east-1's write after its restart in eu-west-1")
        c.eq("eu-west-1 lists bob only after us-east-1's restart", members(b, "room"), [BOB])
        c.eq("us-east-1 still lists bob only", members(a, "room"), [BOB])
        c.eq("every renewal answered 200", alice.refused + bob.refused, [])
    except AssertionError as e:
        c.failed.append(str(e))
    finally:
        if c.failed:
            for log in sorted(set(d.log_path for d in daemons)):  # a restart appends to its log
                with open(log, "rb") as f:
                    print("--- %s\n%s" % (log, f.read().decode("utf-8", "replace")[-4000:]))
        for d in daemons:
            if d.proc is not None and d.proc.poll() is None:
                c.eq("SIGTERM exits 0 (%s)" % d.data_dir, d.stop(), 0)
        for d in daemons:
            d.cleanup()
        fauxqs.stop()
        tmp.cleanup()
    return c.finish("daemon_snssqs_presence_test")


if __name__ == "__main__":
    sys.exit(main())
