# shellcheck shell=bash
# Prepares the real servers the integration tests talk to. The tests start and
# stop their own copies (one per fixture, on a free loopback port, by pid), so
# nothing shared is left running; this only makes sure the servers are
# installed before ctest runs tests in parallel, and says where they are:
#
#   fauxqs (SNS/SQS emulator, npm, pinned): installed by scripts/lib/fauxqs.sh
#   ioredis (Node Redis client, npm, pinned): installed by scripts/lib/node_clients.sh
#   REGIONSYNC_FAUXQS_BIN, REGIONSYNC_NODE_PATH (node_modules with ioredis),
#   REGIONSYNC_NATS_SERVER_BIN, REGIONSYNC_REDIS_SERVER_BIN
#
# Usage:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/peers.sh"
#   rs_prepare_peers    # never fails: a missing peer makes its tests skip

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rs_prepare_peers() {
  local fauxqs_sh="$RS_ROOT/scripts/lib/fauxqs.sh"
  if [[ -f "$fauxqs_sh" ]]; then
    # In a subshell: fauxqs.sh is sourced for its functions, and keeping its
    # variables out of this shell avoids clashes with ours.
    local bin
    # shellcheck source=fauxqs.sh
    if bin="$(source "$fauxqs_sh" && rs_fauxqs_install >&2 && printf '%s' "$RS_FAUXQS_BIN")"; then
      export REGIONSYNC_FAUXQS_BIN="$bin"
      rs_info "fauxqs: $REGIONSYNC_FAUXQS_BIN"
    else
      rs_warn "fauxqs could not be installed; SNS/SQS integration tests will skip or fail"
    fi
  fi
  local node_clients_sh="$RS_ROOT/scripts/lib/node_clients.sh"
  if [[ -f "$node_clients_sh" ]]; then
    local node_path
    # shellcheck source=node_clients.sh
    if node_path="$(source "$node_clients_sh" && rs_node_clients_install >&2 && printf '%s' "$RS_NODE_CLIENTS_PATH")"; then
      export REGIONSYNC_NODE_PATH="$node_path"
      rs_info "ioredis: $REGIONSYNC_NODE_PATH"
    else
      rs_warn "ioredis could not be installed; the Node RESP integration test will skip"
    fi
  fi
  if command -v nats-server >/dev/null 2>&1; then
    REGIONSYNC_NATS_SERVER_BIN="$(command -v nats-server)"
    export REGIONSYNC_NATS_SERVER_BIN
    rs_info "nats-server: $REGIONSYNC_NATS_SERVER_BIN"
  fi
  if command -v redis-server >/dev/null 2>&1; then
    REGIONSYNC_REDIS_SERVER_BIN="$(command -v redis-server)"
    export REGIONSYNC_REDIS_SERVER_BIN
    rs_info "redis-server: $REGIONSYNC_REDIS_SERVER_BIN"
  fi
  return 0
}
