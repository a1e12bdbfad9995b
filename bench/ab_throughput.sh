#!/usr/bin/env bash
# Side by side throughput of two or more regionsyncd builds (or wrapper
# scripts that set an environment, e.g. MALLOC_ARENA_MAX): each binary in
# turn, ROUNDS times, runs one replica (--local-cluster of one region,
# --fsync every:1000, a fresh data directory) and redis-benchmark against it
# for each command, three runs each, printing req/s. Alternating the
# binaries spreads this VM's noise over all of them.
#
#   bench/ab_throughput.sh BIN [BIN ...]
#
# Knobs: COMMANDS (default "set"), KEYS (-r, default 100000), REQUESTS (-n,
# default 1000000), CLIENTS (default "-c 50 -P 16"), ROUNDS (default 2).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BIN [BIN ...]"; exit 2; }
for tool in redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-tools python3)"; exit 2; }
done
COMMANDS=${COMMANDS:-set}
KEYS=${KEYS:-100000}
REQUESTS=${REQUESTS:-1000000}
CLIENTS=${CLIENTS:--c 50 -P 16}
ROUNDS=${ROUNDS:-2}
PID=""
DIR=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "$DIR" ] && rm -rf "$DIR"
  return 0
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    DIR=$(mktemp -d)
    http=$(free_port)
    resp=$(free_port)
    "$bin" --local-cluster r1 --data-dir "$DIR" --http-port "$http" --resp-port "$resp" --fsync every:1000 \
      --log-level warn >"$DIR.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
      redis-cli -p "$resp" ping >/dev/null 2>&1 && break
      kill -0 "$PID" 2>/dev/null || { echo "$bin did not start:"; cat "$DIR.log"; exit 1; }
      sleep 0.1
    done
    line="round $round $bin:"
    for cmd in $COMMANDS; do
      for _ in 1 2 3; do
        # shellcheck disable=SC2086  # CLIENTS holds several flags
        rps=$(timeout 120 redis-benchmark -p "$resp" -t "$cmd" -r "$KEYS" -n "$REQUESTS" $CLIENTS -d 16 --csv -q \
          | awk -F'"' 'NR==2 {print $4}')
        line+=" $cmd ${rps:-failed}"
      done
    done
    echo "$line"
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
    rm -rf "$DIR" "$DIR.log"
    DIR=""
  done
done
