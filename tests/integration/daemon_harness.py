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


def port_open(port, host="127.0.0.1"):
    """True when something accepts TCP connections on host:port."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


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


def request_without_length(port, method, path, token=None, timeout=10):
    """A request with no body and neither Content-Length nor Transfer-Encoding
    (what `curl -X POST url` sends); request() always sends a length."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.putrequest(method, path)
    if token:
        conn.putheader("Authorization", "Bearer " + token)
    conn.endheaders()
    r = conn.getresponse()
    resp = Response(r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace"))
    conn.close()
    return resp


class RespError(str):
    """An error reply ("-ERR ..."): returned as a value, not raised, so a test
    can compare it like any other reply."""


class Push(list):
    """A RESP3 push message (">"); a RESP2 subscriber gets plain lists."""


class RespIncomplete(Exception):
    pass


class RespConnection:
    """A Redis-protocol client on one socket that speaks RESP2 and RESP3, kept
    minimal on purpose: it sends exactly the bytes a test builds (so a test can
    pipeline any number of commands in one write) and parses replies without
    interpreting them. Bulk strings come back as str (UTF-8, invalid bytes
    escaped), errors as RespError, nil as None, maps as dict, RESP3 sets as
    sorted lists, pushes as Push. `last_raw` holds the bytes of the last reply
    read, for tests that compare replies byte for byte."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        self.last_raw = b""

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode("utf-8")
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def send(self, data):
        self.sock.sendall(data)

    def command(self, *args):
        self.send(self.encode(*args))
        return self.read_reply()

    def read_reply(self, timeout=None):
        """The next reply; raises socket.timeout (an OSError) when none is
        complete within `timeout` seconds (default: the connection's), keeping
        any partial reply for the next call."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                value, pos = self._parse(0)
                self.last_raw, self.buf = self.buf[:pos], self.buf[pos:]
                return value
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

    def _line(self, pos):
        end = self.buf.find(b"\r\n", pos)
        if end < 0:
            raise RespIncomplete()
        return self.buf[pos:end].decode("utf-8", "surrogateescape"), end + 2

    def _parse(self, pos):
        if pos >= len(self.buf):
            raise RespIncomplete()
        kind = self.buf[pos:pos + 1]
        line, pos = self._line(pos + 1)
        if kind == b"+":
            return line, pos
        if kind == b"-":
            return RespError(line), pos
        if kind == b":":
            return int(line), pos
        if kind in (b"$", b"=", b"!"):
            n = int(line)
            if n < 0:
                return None, pos
            if len(self.buf) < pos + n + 2:
                raise RespIncomplete()
            data = self.buf[pos:pos + n].decode("utf-8", "surrogateescape")
            return (RespError(data) if kind == b"!" else data), pos + n + 2
        if kind in (b"*", b"~", b">"):
            n = int(line)
            if n < 0:
                return None, pos
            items = []
            for _ in range(n):
                item, pos = self._parse(pos)
                items.append(item)
            if kind == b">":
                return Push(items), pos
            return (sorted(items, key=repr) if kind == b"~" else items), pos
        if kind == b"%" or kind == b"|":
            d = {}
            for _ in range(int(line)):
                k, pos = self._parse(pos)
                v, pos = self._parse(pos)
                d[k] = v
            if kind == b"|":  # an attribute precedes the real reply
                return self._parse(pos)
            return d, pos
        if kind == b"_":
            return None, pos
        if kind == b"#":
            return line == "t", pos
        if kind == b",":
            return float(line), pos
        if kind == b"(":
            return int(line), pos
        raise ValueError("not a RESP reply: %r" % self.buf[pos - len(line) - 3:pos + 20])

    def close(self):
        self.sock.close()


class Daemon:
    """One regionsyncd process. `args` are extra flags.

    HTTP listens on `ports` consecutive free ports (self.ports, self.port is the
    first) and the Redis protocol on as many more (self.resp_ports,
    self.resp_port): --resp-port is always passed, so tests running in parallel
    never meet on the daemon's default RESP port. A caller that passes its own
    --resp-port in `args` keeps it (0: RESP off, resp_ports is empty)."""

    def __init__(self, binary, args=(), ports=1, env=None, data_dir=None, base_port=None):
        self.binary = binary
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="regionsyncd-test-")
            data_dir = self.tmp.name
        self.data_dir = data_dir
        self.args = list(args)
        own_resp = None
        if "--resp-port" in self.args:
            own_resp = int(self.args[self.args.index("--resp-port") + 1])
        if base_port:
            self.port = base_port
            resp_base = free_ports(ports) if own_resp is None else own_resp
        else:
            # One range for both protocols: lower half HTTP, upper half RESP.
            self.port = free_ports(2 * ports if own_resp is None else ports)
            resp_base = self.port + ports if own_resp is None else own_resp
        self.ports = list(range(self.port, self.port + ports))
        self.resp_ports = list(range(resp_base, resp_base + ports)) if resp_base else []
        self.resp_port = self.resp_ports[0] if self.resp_ports else None
        if own_resp is None:
            self.args += ["--resp-port", str(resp_base)]
        self.env = dict(os.environ)
        self.env.pop("REGIONSYNC_API_TOKENS", None)
        self.env.pop("REGIONSYNC_SIGNING_KEYS", None)
        self.env.update(env or {})
        self.proc = None
        self.log_path = os.path.join(data_dir, "daemon.log")
        # Ports this object chose itself may be taken by another test between
        # free_ports() and the daemon's bind: the first start then moves.
        self.ports_chosen_here = not base_port and own_resp is None
        self.started = False

    def _move_ports(self):
        n = len(self.ports)
        self.port = free_ports(2 * n)
        self.ports = list(range(self.port, self.port + n))
        self.resp_ports = list(range(self.port + n, self.port + 2 * n))
        self.resp_port = self.resp_ports[0]
        self.args[self.args.index("--resp-port") + 1] = str(self.port + n)

    def start(self, wait=True):
        for attempt in range(3):
            try:
                return self._start(wait)
            except AssertionError as e:
                lost_race = "cannot listen" in str(e) and self.ports_chosen_here and not self.started
                if not lost_race or attempt == 2:
                    raise
                self.log.close()
                self._move_ports()

    def _start(self, wait):
        cmd = [self.binary, "--data-dir", self.data_dir, "--http-port", str(self.port)] + self.args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            for p in self.ports:
                wait_until(lambda: self.alive() and request(p, "GET", "/healthz").status == 200,
                           timeout=20, what="regionsyncd on port %d (log %s)" % (p, self.log_path))
            for p in self.resp_ports:
                wait_until(lambda: self.alive() and port_open(p),
                           timeout=20, what="regionsyncd RESP on port %d (log %s)" % (p, self.log_path))
            self.started = True
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

    def eventually(self, what, fn, want, timeout=15.0):
        """Polls fn() until it returns `want` (a deadline, not a sleep); on
        timeout records a failure with the last value seen."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = fn()
            except OSError as e:
                got = e
            if got == want:
                self.passed += 1
                return True
            if time.monotonic() >= deadline:
                self.failed.append("%s: got %r, want %r (after %.0f s)" % (what, got, want, timeout))
                return False
            time.sleep(0.02)

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
