#!/usr/bin/env python3
"""How far an OR-Set erase reads in its open-addressing table.

EntryTable (src/crdt/or_set_index.cc) uses linear probing with backward-shift
deletion, so erasing an element reads from its home slot to the empty slot
that ends its run. This simulates random hashes at a given load and prints
the average number of slots read and the share of elements whose run ends
within 3 and within 6 slots: what EntryTable::Prefetch's line count is
chosen against (one 64-byte entry per slot).

  python3 bench/probe_runs.py            # the 1 M-element table: load 0.48
  python3 bench/probe_runs.py 0.75       # just before a table grows
"""
import random
import sys


def main() -> None:
    load = float(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000 / 2**21
    slots = 1 << 18
    rng = random.Random(1)
    home = [None] * slots
    for _ in range(int(slots * load)):
        h = rng.randrange(slots)
        i = h
        while home[i] is not None:
            i = (i + 1) % slots
        home[i] = h
    reads = []
    for i, h in enumerate(home):
        if h is None:
            continue
        j = (i + 1) % slots
        while home[j] is not None:
            j = (j + 1) % slots
        reads.append((j - h) % slots + 1)  # home .. the empty slot, inclusive
    share = lambda k: sum(r <= k for r in reads) / len(reads)
    print(f"load {load:.2f}: an erase reads {sum(reads) / len(reads):.1f} slots on average; "
          f"within 3: {share(3):.0%}, within 6: {share(6):.0%}")


if __name__ == "__main__":
    main()
