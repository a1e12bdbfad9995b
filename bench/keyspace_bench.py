#!/usr/bin/env python3
"""A realistic keyspace, side by side with redis-server (issue #14's figures).

    bench/keyspace_bench.py [--bin build/bin/regionsyncd] [--keys 1000000]
                            [--requests 1000000] [--only repair,throughput,memory,restart]

Every part starts its own servers on 127.0.0.1 (free ports), stops them, and
prints a Markdown table; ratio = regionsyncd / redis-server.

  repair      3-region local cluster (--fsync every:1000), 20 s of INCR over
              100 000 keys (redis-benchmark -r 100000 -c 8): anti-entropy
              repair states and resent messages per delta entry published,
              and digests compared/skipped.
  throughput  redis-benchmark -r 100000 and -r 1000000 for SET, GET, INCR,
              SADD, HSET at -c 8 and -c 50 -P 16, 16-byte values (SADD and
              HSET write one set / hash of random members: 1/20 of the
              requests, see part_throughput): one replica
              with its publisher running (--local-cluster of one region) and
              a 3-region local cluster, against redis-server with
              appendfsync everysec (regionsyncd --fsync every:1000).
  memory      RSS after 1 M string keys of 16 bytes, a 1 M-member set, and
              100 000 hashes of 10 fields, one replica vs redis-server
              (no persistence for the measurement, after the writes settle).
  restart     one replica with --keys keys, kill -9, time until it answers
              again with every key (DBSIZE), every acknowledged write present.

Needs redis-server, redis-benchmark and redis-cli (Debian redis-server,
redis-tools); scripts/test installs them.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TMP = tempfile.mkdtemp(prefix="keyspace-bench-")
PROCS = []


def free_base(n):
    for _ in range(200):
        base = random.randrange(20000, 60000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    sys.exit("no free port range")


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True)
    return out.stdout.strip()


def wait_until(what, pred, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}")


def start(cmd, name, ports):
    log = open(os.path.join(TMP, name + ".log"), "w")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    PROCS.append(p)
    for port in ports:
        wait_until(f"{name} on {port}", lambda: p.poll() is None and cli(port, "PING") == "PONG")
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        p.wait(timeout=120)


def redis(aof="everysec"):
    port = free_base(1)
    d = tempfile.mkdtemp(dir=TMP)
    persistence = ["--appendonly", "no"] if aof == "no" else ["--appendonly", "yes", "--appendfsync", aof]
    p = start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d, *persistence],
              "redis", [port])
    return p, port


def regionsyncd(bin_, regions, fsync="every:1000", data=None, extra=()):
    base = free_base(2 * len(regions))
    data = data or tempfile.mkdtemp(dir=TMP)
    cmd = [bin_, "--local-cluster", ",".join(regions), "--data-dir", data, "--http-port", str(base),
           "--resp-port", str(base + len(regions)), "--fsync", fsync, "--log-level", "warn", *extra]
    p = start(cmd, "regionsyncd", [base + len(regions) + i for i in range(len(regions))])
    return p, base, base + len(regions), data


def status(http_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/status", timeout=10) as r:
        return json.loads(r.read())


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def settled_rss(pid, deadline_s=60):
    """RSS once it has stopped moving (the store's background apply and the
    outbox have drained): two readings a second apart within 0.5 %."""
    last, end = rss_bytes(pid), time.time() + deadline_s
    while time.time() < end:
        time.sleep(1)
        now = rss_bytes(pid)
        if abs(now - last) <= last * 0.005:
            return now
        last = now
    return last


def bench_rps(port, args):
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "--csv", "-q", *args],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        parts = line.replace('"', "").split(",")
        if len(parts) > 1 and parts[0] != "test":
            try:
                return float(parts[1])
            except ValueError:
                pass
    sys.exit(f"redis-benchmark failed: {out.stdout} {out.stderr}")


def pipe(port, commands):
    """Sends RESP commands through redis-cli --pipe (fast bulk load)."""
    data = bytearray()
    for c in commands:
        data += b"*%d\r\n" % len(c)
        for a in c:
            a = a if isinstance(a, bytes) else str(a).encode()
            data += b"$%d\r\n%s\r\n" % (len(a), a)
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--pipe"], input=bytes(data),
                         capture_output=True)
    if b"errors: 0" not in out.stdout:
        sys.exit(f"bulk load failed: {out.stdout[-300:]}")


# ---------------------------------------------------------------- parts

def part_repair(args):
    p, http, resp, _ = regionsyncd(args.bin, ["us-east-1", "us-west-2", "eu-west-1"])
    time.sleep(4)  # past the first digests of the new cluster (every store starts empty)
    before = [status(http + i) for i in range(3)]
    t0 = time.time()
    n = 0
    while time.time() - t0 < 20:
        subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(resp), "-t", "incr", "-r", "100000",
                        "-n", "200000", "-c", "8", "-q"], capture_output=True)
        n += 200000
    elapsed = time.time() - t0
    wait_until("outboxes empty", lambda: all(status(http + i)["outbox_keys"] == 0 for i in range(3)))
    time.sleep(3)
    after = [status(http + i) for i in range(3)]
    stop(p)

    def d(field, sub):
        return sum(a[field].get(sub, 0) - b[field].get(sub, 0) for a, b in zip(after, before))

    entries = d("publisher", "entries")
    states = d("anti_entropy", "states_sent")
    resent = d("anti_entropy", "messages_resent")
    print(f"\n### Anti-entropy under load: {n} INCR over 100 000 keys in {elapsed:.0f} s, 3 regions\n")
    print("| figure | value |\n|---|---:|")
    print(f"| entries published (deltas + repair states) | {entries} |")
    print(f"| repair states sent | {states} |")
    print(f"| messages resent on request | {resent} |")
    print(f"| repair states per delta entry | {100.0 * states / max(1, entries - states):.2f} % |")
    print(f"| digests received / compared / skipped as unsettled | {d('anti_entropy', 'digests_received')} / "
          f"{d('anti_entropy', 'digests_received') - d('anti_entropy', 'unsettled_digests')} / "
          f"{d('anti_entropy', 'unsettled_digests')} |")


def part_throughput(args):
    rows = []
    r_proc, r_port = redis("everysec")
    configs = [("1 replica", ["us-east-1"]), ("3 regions", ["us-east-1", "us-west-2", "eu-west-1"])]
    tests = [("SET", ["-t", "set", "-d", "16"]), ("GET", ["-t", "get"]), ("INCR", ["-t", "incr"]),
             ("SADD", ["-t", "sadd"]), ("HSET", ["-t", "hset", "-d", "16"])]
    for label, regions in configs:
        p, _, resp, _ = regionsyncd(args.bin, regions)
        for keyspace in (100_000, 1_000_000):
            for name, t in tests:
                for conc in (["-c", "8"], ["-c", "50", "-P", "16"]):
                    # SADD and HSET of redis-benchmark write one key (myset, myhash)
                    # whose members are random: a state of up to -r members. Fewer
                    # requests, as before delta commits, so the runs compare.
                    n = args.requests // 20 if name in ("SADD", "HSET") else args.requests
                    common = ["-r", str(keyspace), "-n", str(n), *conc, *t]
                    s = bench_rps(resp, common)
                    r = bench_rps(r_port, common)
                    rows.append((label, name, keyspace, " ".join(conc), r, s))
        stop(p)
    stop(r_proc)
    print("\n### Throughput over a keyspace (regionsyncd --fsync every:1000 vs appendfsync everysec)\n")
    print("| regionsyncd | command | keys (-r) | clients/pipeline | redis-server req/s | regionsyncd req/s | ratio |")
    print("|---|---|---:|---|---:|---:|---:|")
    for label, name, keyspace, conc, r, s in rows:
        print(f"| {label} | {name} | {keyspace:,} | {conc} | {r:,.0f} | {s:,.0f} | {s / r:.2f} |")


def part_memory(args):
    print("\n### Memory (RSS), one replica vs redis-server\n")
    print("| data | redis-server | regionsyncd | ratio | regionsyncd bytes per item |")
    print("|---|---:|---:|---:|---:|")
    datasets = [
        ("1 M string keys, 16-byte values", 1_000_000,
         lambda i: ["SET", f"key:{i:07d}", f"value-{i:010d}"]),
        ("1 M-member set", 1_000_000, lambda i: ["SADD", "bigset", f"member:{i:07d}"]),
        ("100 000 hashes of 10 fields", 100_000,
         lambda i: ["HSET", f"hash:{i:06d}", *sum(([f"f{j}", f"value-{j:010d}"] for j in range(10)), [])]),
    ]
    for label, count, make in datasets:
        r_proc, r_port = redis("no")
        p, _, resp, _ = regionsyncd(args.bin, ["us-east-1"])
        base_r, base_s = rss_bytes(r_proc.pid), rss_bytes(p.pid)
        for lo in range(0, count, 100_000):
            cmds = [make(i) for i in range(lo, min(count, lo + 100_000))]
            pipe(r_port, cmds)
            pipe(resp, cmds)
        r, s = settled_rss(r_proc.pid), settled_rss(p.pid)
        print(f"| {label} | {r / 2**20:,.0f} MiB | {s / 2**20:,.0f} MiB | {s / r:.2f} | "
              f"{(s - base_s) / count:,.0f} (redis-server {(r - base_r) / count:,.0f}) |")
        stop(p)
        stop(r_proc)


def part_restart(args):
    p, _, resp, data = regionsyncd(args.bin, ["us-east-1"])
    for lo in range(0, args.keys, 100_000):
        pipe(resp, [["SET", f"key:{i:08d}", f"value-{i:010d}"] for i in range(lo, min(args.keys, lo + 100_000))])
    acked = int(cli(resp, "DBSIZE"))
    stop(p, signal.SIGKILL)
    t0 = time.time()
    p, _, resp, _ = regionsyncd(args.bin, ["us-east-1"], data=data)
    answered = time.time() - t0
    wait_until("every key back", lambda: int(cli(resp, "DBSIZE") or 0) >= acked)
    sample_ok = all(cli(resp, "GET", f"key:{i:08d}") == f"value-{i:010d}"
                    for i in random.Random(1).sample(range(args.keys), 1000))
    stop(p)
    print(f"\n### Restart after kill -9\n")
    print("| keys | answers PING after | every acknowledged key present | 1 000 sampled values right |")
    print("|---:|---:|---|---|")
    print(f"| {acked:,} | {answered:.2f} s | yes | {'yes' if sample_ok else 'NO'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/bin/regionsyncd")
    ap.add_argument("--keys", type=int, default=1_000_000, help="keys for the restart part")
    ap.add_argument("--requests", type=int, default=1_000_000, help="requests per throughput run")
    ap.add_argument("--only", default="repair,throughput,memory,restart")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (apt-get install redis-server redis-tools)")
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"regionsyncd not found at {args.bin}")
    print(f"keyspace benchmark, {os.cpu_count()} cores, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, "
          f"{subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}")
    try:
        for part in args.only.split(","):
            {"repair": part_repair, "throughput": part_throughput, "memory": part_memory,
             "restart": part_restart}[part](args)
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
