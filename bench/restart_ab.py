#!/usr/bin/env python3
"""Restart after kill -9, side by side: one store, opened by each build.

    bench/restart_ab.py [--keys 1000000] [--rounds 3] BIN [BIN ...]

Loads --keys string keys (SET key:N value-N, through redis-cli --pipe) into
a one-region local cluster run by the first BIN with --fsync every:1000,
kills it with SIGKILL (its log then holds the writes since the last apply,
as after a crash), and keeps that data directory. Then, --rounds times,
each BIN in turn starts on a fresh copy of it: the time until it answers
PING, and a check that DBSIZE is every acknowledged key. Opening copies of
one store takes the load's timing out of the comparison, which
`keyspace_bench.py --only restart` (a new store per run) cannot.
"""
import argparse
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keyspace_bench as kb  # noqa: E402  (the servers and helpers it starts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("bins", nargs="+", help="regionsyncd binaries; the first one writes the store")
    args = ap.parse_args()
    for b in args.bins:
        if not os.access(b, os.X_OK):
            sys.exit(f"regionsyncd not found at {b}")
    try:
        p, _, resp, data = kb.regionsyncd(args.bins[0], ["us-east-1"])
        for lo in range(0, args.keys, 100_000):
            kb.pipe(resp, [["SET", f"key:{i:08d}", f"value-{i:010d}"] for i in range(lo, min(args.keys, lo + 100_000))])
        acked = int(kb.cli(resp, "DBSIZE"))
        kb.stop(p, signal.SIGKILL)
        log_bytes = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(data)
                        for f in files if ".log." in f)
        print(f"restart after kill -9: {acked:,} keys, {log_bytes / 1e6:.1f} MB of log left")
        print("| round | binary | answers PING after | every key back |")
        print("|---:|---|---:|---|")
        for r in range(1, args.rounds + 1):
            for b in args.bins:
                copy = data + ".copy"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(data, copy)
                t0 = time.time()
                p, _, resp, _ = kb.regionsyncd(b, ["us-east-1"], data=copy)
                answered = time.time() - t0
                back = int(kb.cli(resp, "DBSIZE") or 0) == acked
                kb.stop(p)
                print(f"| {r} | {b} | {answered:.2f} s | {'yes' if back else 'NO'} |", flush=True)
                if not back:
                    sys.exit(1)
    finally:
        for p in kb.PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(kb.TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
