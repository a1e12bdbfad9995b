#!/usr/bin/env bash
# Node.js clients the integration tests drive regionsyncd with: the Redis
# client ioredis, installed once from the npm registry (pinned; 5.x runs on the
# machine's Node 20) into $RS_ROOT/.deps/ioredis. Later runs need no network.
#
# As a library (from another script):
#   source scripts/lib/node_clients.sh
#   rs_node_clients_install && export NODE_PATH="$RS_NODE_CLIENTS_PATH"
# As a command (what the integration tests run):
#   scripts/lib/node_clients.sh install   # exit 0 once installed
#   scripts/lib/node_clients.sh path      # prints the node_modules dir (exit 1 if not installed)

RS_NODE_CLIENTS_SH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RS_NODE_CLIENTS_ROOT="$(cd "$RS_NODE_CLIENTS_SH_DIR/../.." && pwd)"
RS_IOREDIS_VERSION="${RS_IOREDIS_VERSION:-5.11.1}"
RS_IOREDIS_PREFIX="${RS_IOREDIS_PREFIX:-$RS_NODE_CLIENTS_ROOT/.deps/ioredis}"
# What NODE_PATH must name so that `import "ioredis"` / require("ioredis") works.
RS_NODE_CLIENTS_PATH="$RS_IOREDIS_PREFIX/node_modules"

# True when the pinned ioredis is installed (another version counts as missing).
rs_node_clients_installed() {
  local pkg="$RS_NODE_CLIENTS_PATH/ioredis/package.json"
  [[ -f "$pkg" ]] && grep -q "\"version\": *\"$RS_IOREDIS_VERSION\"" "$pkg"
}

# Installs ioredis unless it is already there.
rs_node_clients_install() {
  if rs_node_clients_installed; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "node_clients.sh: node/npm not found; cannot install ioredis" >&2
    return 2
  fi
  mkdir -p "$RS_IOREDIS_PREFIX"
  # --save-exact keeps the pin in the prefix's package.json; npm's own lock
  # serializes concurrent installs into one prefix.
  npm install --prefix "$RS_IOREDIS_PREFIX" --no-audit --no-fund --loglevel=error --save-exact \
    "ioredis@$RS_IOREDIS_VERSION" >&2 || return 1
  rs_node_clients_installed
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    install) rs_node_clients_install ;;
    path) rs_node_clients_installed && printf '%s\n' "$RS_NODE_CLIENTS_PATH" ;;
    *) echo "usage: $0 install | path" >&2; exit 2 ;;
  esac
fi
