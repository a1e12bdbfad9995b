#!/usr/bin/env bash
# HTTP benchmark of regionsyncd: increments/s and latency (p50/p99) through
# the HTTP API with keep-alive, using wrk (Debian package `wrk`), for 1 and 8
# connections, with fsync `always` and `every:100`, against a baseline
# (GET /healthz: the HTTP stack alone) measured in the same run.
#
#   bench/http_bench.sh [path/to/regionsyncd] [seconds per run, default 10]
#
# Each write is acknowledged only after its group commit (the writer commits
# at once; writers arriving meanwhile share the next commit), so one
# connection is bounded by commit latency; more connections share commits.
set -euo pipefail
BIN=${1:-build/bin/regionsyncd}
DUR=${2:-10}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)"; exit 2; }
[ -x "$BIN" ] || { echo "regionsyncd not found at $BIN"; exit 2; }
TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

cat > "$TMP/inc.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"by": 1}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
sed -e '/wrk.method/d' -e '/wrk.body/d' -e '/Content-Type/d' "$TMP/inc.lua" > "$TMP/get.lua"

start() {  # $1 = fsync policy
  rm -rf "$TMP/data"
  "$BIN" --data-dir "$TMP/data" --http-port "$PORT" --fsync "$1" --log-level warn --http-threads 16 &
  PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "regionsyncd did not start"; exit 1
}
stop() { kill "$PID"; wait "$PID" || true; PID=""; }
run() {  # $1 label, $2 script, $3 path, $4 connections
  local out
  out=$(wrk -t1 -c"$4" -d"${DUR}s" -s "$TMP/$2" "http://127.0.0.1:$PORT$3" | grep '^RESULT')
  printf "%-34s conns=%d %s\n" "$1" "$4" "${out#RESULT }"
}

echo "regionsyncd HTTP benchmark, ${DUR}s per run, $(nproc) cores, $(date -u +%FT%TZ)"
for fsync in always every:100; do
  start "$fsync"
  for c in 1 8; do
    run "baseline GET /healthz" get.lua /healthz "$c"
    run "POST increment fsync=$fsync" inc.lua /v1/keys/bench/increment "$c"
  done
  stop
done
