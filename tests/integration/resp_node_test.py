#!/usr/bin/env python3
"""Runs resp_node_test.mjs (ioredis against the Redis-protocol port) on a
three-region local cluster started here.

usage: resp_node_test.py REGIONSYNCD
ioredis comes from $REGIONSYNC_NODE_PATH (set by scripts/lib/peers.sh, which
scripts/test runs) or, failing that, from the pinned copy that
scripts/lib/node_clients.sh installed in .deps/. Fails (exit 1), never skips,
when node or ioredis is missing: `scripts/lib/node_clients.sh install` fixes that."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Checks, Daemon, request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def node_path():
    path = os.environ.get("REGIONSYNC_NODE_PATH")
    if not path:
        r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "lib", "node_clients.sh"), "path"],
                           capture_output=True, text=True)
        path = r.stdout.strip() if r.returncode == 0 else None
    if path and os.path.isfile(os.path.join(path, "ioredis", "package.json")):
        return path
    return None


def main():
    if len(sys.argv) < 2:
        print("usage: resp_node_test.py REGIONSYNCD")
        return 2
    node = shutil.which("node")
    modules = node_path()
    if node is None or modules is None:
        print("FAIL %s not found: $REGIONSYNC_NODE_PATH is unset and .deps/ioredis is not installed "
              "(run scripts/lib/node_clients.sh install; scripts/test does)" % ("node" if node is None else "ioredis"))
        return 1
    c = Checks()
    d = Daemon(sys.argv[1], ["--local-cluster", ",".join(REGIONS), "--anti-entropy-interval-ms", "200"], ports=3)
    try:
        d.start()
        r = subprocess.run([node, os.path.join(HERE, "resp_node_test.mjs")] + [str(p) for p in d.resp_ports],
                           env=dict(os.environ, NODE_PATH=modules), capture_output=True, text=True, timeout=300)
        sys.stdout.write(r.stdout)
        sys.stdout.write(r.stderr)
        c.eq("resp_node_test.mjs exit code", r.returncode, 0)
        for p in d.ports:
            c.true("daemon still healthy on %d" % p, request(p, "GET", "/healthz").status == 200)
        c.eq("SIGTERM exits 0", d.stop(), 0)
    except (AssertionError, OSError, subprocess.SubprocessError) as e:
        c.failed.append("%s: %s" % (type(e).__name__, e))
    finally:
        if c.failed and d.proc is not None:
            print(d.read_log())
        d.cleanup()
    return c.finish("resp_node_test")


if __name__ == "__main__":
    sys.exit(main())
