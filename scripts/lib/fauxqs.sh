#!/usr/bin/env bash
# The SNS/SQS emulator fauxqs for tests and benchmarks that start their own
# copy: install it once (npm, pinned to 1.9.2, the last release that runs on
# Node 20) into $RS_ROOT/.deps/fauxqs, start it on 127.0.0.1 on a free port,
# stop it by pid.
#
# As a library (from another script):
#   source scripts/lib/fauxqs.sh
#   read -r port pid < <(rs_fauxqs_start /tmp/fauxqs.log)
#   ...; rs_fauxqs_stop "$pid"
# As a command (what the C++ integration tests and bench drivers run):
#   scripts/lib/fauxqs.sh install          # exit 0 once installed
#   scripts/lib/fauxqs.sh start [LOGFILE]  # prints "PORT PID" once it accepts connections
#   scripts/lib/fauxqs.sh stop PID         # SIGTERM, then SIGKILL after 5 s

RS_FAUXQS_SH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RS_FAUXQS_ROOT="$(cd "$RS_FAUXQS_SH_DIR/../.." && pwd)"
RS_FAUXQS_VERSION="${RS_FAUXQS_VERSION:-1.9.2}"
RS_FAUXQS_PREFIX="${RS_FAUXQS_PREFIX:-$RS_FAUXQS_ROOT/.deps/fauxqs}"
RS_FAUXQS_BIN="$RS_FAUXQS_PREFIX/node_modules/.bin/fauxqs"

# Installs fauxqs unless it is already there; later runs need no network.
rs_fauxqs_install() {
  if [[ -x "$RS_FAUXQS_BIN" ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "fauxqs.sh: node/npm not found; cannot install fauxqs" >&2
    return 2
  fi
  mkdir -p "$RS_FAUXQS_PREFIX"
  # npm's own lock serializes concurrent installs into one prefix.
  npm install --prefix "$RS_FAUXQS_PREFIX" --no-audit --no-fund --loglevel=error \
    "fauxqs@$RS_FAUXQS_VERSION" >&2 || return 1
  [[ -x "$RS_FAUXQS_BIN" ]]
}

rs_fauxqs_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# rs_fauxqs_start [LOGFILE]: starts fauxqs on a free loopback port, waits until
# it accepts connections (30 s deadline) and prints "PORT PID".
rs_fauxqs_start() {
  local log="${1:-/dev/null}" port pid attempt
  rs_fauxqs_install || return $?
  for attempt in 1 2 3 4 5; do
    # A random start spreads concurrent test binaries over different ports.
    port=$((20000 + RANDOM % 20000))
    while rs_fauxqs_port_open "$port"; do port=$((port + 1)); done
    FAUXQS_PORT="$port" FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false \
      setsid "$RS_FAUXQS_BIN" </dev/null >"$log" 2>&1 &
    pid=$!
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
      if ! kill -0 "$pid" 2>/dev/null; then
        break  # died (port taken in the meantime?): try another port
      fi
      if rs_fauxqs_port_open "$port"; then
        echo "$port $pid"
        return 0
      fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null
  done
  echo "fauxqs.sh: fauxqs did not start; see $log" >&2
  return 1
}

# rs_fauxqs_stop PID: stops the emulator started by rs_fauxqs_start.
rs_fauxqs_stop() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -CONT "$pid" 2>/dev/null  # a frozen process cannot handle SIGTERM
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    install) rs_fauxqs_install ;;
    start) rs_fauxqs_start "${2:-/dev/null}" ;;
    stop) rs_fauxqs_stop "${2:-}" ;;
    *) echo "usage: $0 install | start [LOGFILE] | stop PID" >&2; exit 2 ;;
  esac
fi
