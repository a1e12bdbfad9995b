#!/usr/bin/env bash
# Redis-protocol benchmark of regionsyncd against a real redis-server measured
# in the same run, with redis-benchmark (Debian package `redis-tools`).
#
#   bench/resp_bench.sh [path/to/regionsyncd] [requests per run, default 200000] [fsync, default every:1000]
#
# redis-server runs with no persistence (--save '' --appendonly no), default
# config otherwise. regionsyncd runs as a three-region local cluster (sync on:
# every write also travels to the two other regions) with --fsync <fsync>
# (every:1000 is the counterpart of Redis's appendfsync everysec; `always`
# fsyncs each group commit); the benchmark talks to the first region. Extra
# regionsyncd flags may be given in $REGIONSYNCD_FLAGS (e.g. "--commit-interval-ms 2").
# REDIS_AOF=everysec (or always) runs redis-server with its append-only file
# instead, the same durability class as regionsyncd's every:<ms> (or always).
# For INCR, SET, GET, SADD, the sorted-set commands (ZADD of random members to
# one key and to many keys, ZSCORE, ZRANGE of 10 with scores, over a set ZADD
# filled first) and each of (-c 8) and (-c 50 -P 16) the two servers
# are measured one after the other, alternating which goes first, so machine
# noise hits both. Prints a Markdown table; ratio = regionsyncd / redis-server.
#
# RESP_BENCH_TESTS picks the groups (default "incr set get sadd zset"), e.g.
# RESP_BENCH_TESTS=zset bench/resp_bench.sh build/bin/regionsyncd 50000.
#
# Each write is acknowledged only after its group commit: the port commits once
# per event-loop round, for every command of every client served in that round,
# so pipelining and more clients share each commit.
set -euo pipefail
BIN=${1:-build/bin/regionsyncd}
N=${2:-200000}
FSYNC=${3:-every:1000}
for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server redis-tools python3)"; exit 2; }
done
[ -x "$BIN" ] || { echo "regionsyncd not found at $BIN"; exit 2; }
[[ "$N" =~ ^[0-9]+$ ]] || { echo "requests must be a whole number, got '$N'"; exit 2; }
"$BIN" --help | grep -- --resp-port >/dev/null || { echo "$BIN has no --resp-port (no Redis protocol port)"; exit 2; }
TMP=$(mktemp -d)
REDIS_PID=""
RS_PID=""
cleanup() {
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  [ -n "$RS_PID" ] && kill "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# free_base COUNT: a loopback port with COUNT consecutive free ports from it.
free_base() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
else:
    sys.exit("no free port range")
PY
}

# wait_ping PORT PID NAME: waits (30 s deadline) until PORT answers PING.
wait_ping() {
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    kill -0 "$2" 2>/dev/null || { echo "$3 exited; log:"; tail -n 20 "$TMP/$3.log"; exit 1; }
    [ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "$3 did not answer PING on port $1 within 30 s; log:"; tail -n 20 "$TMP/$3.log"; exit 1
}

REDIS_PORT=$(free_base 1)
REDIS_AOF=${REDIS_AOF:-no}
if [ "$REDIS_AOF" = no ]; then
  REDIS_PERSISTENCE=(--appendonly no); REDIS_MODE="no persistence"
else
  REDIS_PERSISTENCE=(--appendonly yes --appendfsync "$REDIS_AOF"); REDIS_MODE="appendfsync $REDIS_AOF"
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' "${REDIS_PERSISTENCE[@]}" --dir "$TMP" \
  >"$TMP/redis-server.log" 2>&1 &
REDIS_PID=$!
wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server

HTTP_BASE=$(free_base 6)
RESP_BASE=$((HTTP_BASE + 3))
# shellcheck disable=SC2086  # REGIONSYNCD_FLAGS is a list of flags
"$BIN" --local-cluster us-east-1,us-west-2,eu-west-1 --data-dir "$TMP/data" --http-port "$HTTP_BASE" \
  --resp-port "$RESP_BASE" --fsync "$FSYNC" --log-level warn ${REGIONSYNCD_FLAGS:-} >"$TMP/regionsyncd.log" 2>&1 &
RS_PID=$!
for i in 0 1 2; do wait_ping $((RESP_BASE + i)) "$RS_PID" regionsyncd; done

# rps PORT TEST ARGS...: requests per second redis-benchmark reports.
rps() {
  local port=$1 test=$2 out
  shift 2
  out=$(redis-benchmark -h 127.0.0.1 -p "$port" -t "$test" -n "$N" "$@" --csv -q 2>&1) || {
    echo "redis-benchmark failed against port $port: $out" >&2; echo "error"; return; }
  # CSV: "test","rps",...; the row's name is the upper-case test name.
  awk -F, -v t="\"${test^^}\"" '$1 == t { gsub(/"/, "", $2); printf "%.0f\n", $2; found = 1 } END { if (!found) print "error" }' <<<"$out"
}

# rps_cmd PORT OPTIONS... COMMAND...: requests per second of one custom
# command (redis-benchmark names its CSV row after the command).
rps_cmd() {
  local port=$1 out
  shift
  out=$(redis-benchmark -h 127.0.0.1 -p "$port" -n "$N" --csv -q "$@" 2>&1) || {
    echo "redis-benchmark failed against port $port: $out" >&2; echo "error"; return; }
  awk -F, '$1 != "\"test\"" && NF > 1 { gsub(/"/, "", $2); printf "%.0f\n", $2; found = 1; exit } END { if (!found) print "error" }' <<<"$out"
}

TESTS=${RESP_BENCH_TESTS:-incr set get sadd zset}
# The sorted-set lines: "label|redis-benchmark options and command".
ZSET_LINES=(
  "ZADD (1 key, random members)|-r 100000 ZADD zbench __rand_int__ m:__rand_int__"
  "ZADD (10000 keys)|-r 10000 ZADD zbench:__rand_int__ __rand_int__ m:__rand_int__"
  "ZSCORE|-r 100000 ZSCORE zbench m:__rand_int__"
  "ZRANGE 0 9 WITHSCORES|ZRANGE zbench 0 9 WITHSCORES"
)

echo "regionsyncd RESP benchmark: $N requests per run, regionsyncd --fsync $FSYNC ${REGIONSYNCD_FLAGS:-}(3-region local cluster, sync on), redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') ($REDIS_MODE), $(nproc) cores, $(date -u +%FT%TZ)"
echo
echo "| command | clients/pipeline | redis-server req/s | regionsyncd req/s | ratio |"
echo "|---|---|---:|---:|---:|"
turn=0
incr_runs=0
for test in incr set get sadd; do
  [[ " $TESTS " == *" $test "* ]] || continue
  for conc in "-c 8" "-c 50 -P 16"; do
    # shellcheck disable=SC2086  # $conc is two or four words on purpose
    if ((turn % 2 == 0)); then
      r=$(rps "$REDIS_PORT" "$test" $conc); s=$(rps "$RESP_BASE" "$test" $conc)
    else
      s=$(rps "$RESP_BASE" "$test" $conc); r=$(rps "$REDIS_PORT" "$test" $conc)
    fi
    turn=$((turn + 1))
    [ "$test" = incr ] && incr_runs=$((incr_runs + 1))
    ratio=$(awk -v r="$r" -v s="$s" 'BEGIN { if (r + 0 > 0 && s + 0 > 0) printf "%.2f", s / r; else print "-" }')
    printf "| %s | %s | %s | %s | %s |\n" "${test^^}" "$conc" "$r" "$s" "$ratio"
  done
done

if [[ " $TESTS " == *" zset "* ]]; then
  for line in "${ZSET_LINES[@]}"; do
    label=${line%%|*}
    read -r -a cmd <<<"${line#*|}"
    for conc in "-c 8" "-c 50 -P 16"; do
      # shellcheck disable=SC2086  # $conc is two or four words on purpose
      if ((turn % 2 == 0)); then
        r=$(rps_cmd "$REDIS_PORT" $conc "${cmd[@]}"); s=$(rps_cmd "$RESP_BASE" $conc "${cmd[@]}")
      else
        s=$(rps_cmd "$RESP_BASE" $conc "${cmd[@]}"); r=$(rps_cmd "$REDIS_PORT" $conc "${cmd[@]}")
      fi
      turn=$((turn + 1))
      ratio=$(awk -v r="$r" -v s="$s" 'BEGIN { if (r + 0 > 0 && s + 0 > 0) printf "%.2f", s / r; else print "-" }')
      printf "| %s | %s | %s | %s | %s |\n" "$label" "$conc" "$r" "$s" "$ratio"
    done
  done
  echo
  echo "ZCARD zbench: redis-server $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ZCARD zbench)," \
       "regionsyncd $(redis-cli -h 127.0.0.1 -p "$RESP_BASE" ZCARD zbench)"
fi

((incr_runs > 0)) || exit 0
# Sanity: every INCR counted, on redis-server and on every region after sync.
want=$((incr_runs * N))
echo
echo "INCR counter on redis-server: $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" GET 'counter:__rand_int__') (want $want)"
deadline=$((SECONDS + 60))
while :; do
  got=""
  for i in 0 1 2; do got+="$(redis-cli -h 127.0.0.1 -p $((RESP_BASE + i)) GET 'counter:__rand_int__') "; done
  if [ "$got" = "$want $want $want " ] || ((SECONDS >= deadline)); then break; fi
  sleep 0.2
done
echo "INCR counter on the three regionsyncd regions: ${got}(want $want everywhere)"
