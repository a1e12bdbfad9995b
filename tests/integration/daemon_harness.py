"""Shared helpers for the regionsyncd integration tests: start the real binary
on free ports with a temporary data folder, talk HTTP with the standard
library only, and wait on conditions with deadlines (never fixed sleeps)."""
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time


def free_ports(count, rng=None):
    """A base port with `count` consecutive free ports after it."""
    rng = rng or random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - count)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def wait_until(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


def request(port, method, path, body=None, token=None, headers=None, raw=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    resp = Response(r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace"))
    conn.close()
    return resp


class Daemon:
    """One regionsyncd process. `args` are extra flags."""

    def __init__(self, binary, args=(), ports=1, env=None, data_dir=None, base_port=None):
        self.binary = binary
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="regionsyncd-test-")
            data_dir = self.tmp.name
        self.data_dir = data_dir
        self.port = base_port or free_ports(ports)
        self.ports = list(range(self.port, self.port + ports))
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("REGIONSYNC_API_TOKENS", None)
        self.env.pop("REGIONSYNC_SIGNING_KEYS", None)
        self.env.update(env or {})
        self.proc = None
        self.log_path = os.path.join(data_dir, "daemon.log")

    def start(self, wait=True):
        cmd = [self.binary, "--data-dir", self.data_dir, "--http-port", str(self.port)] + self.args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            for p in self.ports:
                wait_until(lambda: self.alive() and request(p, "GET", "/healthz").status == 200,
                           timeout=20, what="regionsyncd on port %d (log %s)" % (p, self.log_path))
        return self

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("regionsyncd exited with %s; log:\n%s" % (self.proc.returncode, self.read_log()))
        return True

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("regionsyncd did not stop within %ss after %s" % (timeout, sig))
        self.log.close()
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def cleanup(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        finally:
            if self.tmp:
                self.tmp.cleanup()


class Checks:
    """Counts checks and collects failures so one run reports all of them."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed.append("%s: got %r, want %r" % (what, got, want))

    def true(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed.append("%s %s" % (what, detail))

    def status(self, what, resp, code, error=None):
        ok = resp.status == code
        if ok and code >= 400:
            ok = resp.json is not None and "error" in resp.json and "message" in resp.json
            if ok and error:
                ok = resp.json["error"] == error
        self.true(what, ok, "-> %r (want %d %s)" % (resp, code, error or ""))

    def finish(self, name):
        for f in self.failed:
            print("FAIL", f)
        print("%s: %d checks passed, %d failed" % (name, self.passed, len(self.failed)))
        return 0 if not self.failed else 1
