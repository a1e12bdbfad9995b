# shellcheck shell=bash
# Shared helpers for scripts/*: where the repository is, how to print a section,
# and the build-directory conventions every script follows.
#
# Usage (from a script in scripts/):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#   rs_section "Building"
#   rs_configure "$RS_ROOT/build" -DREGIONSYNC_BUILD_TESTS=ON
#   rs_build "$RS_ROOT/build" regionsync

# Guard against double sourcing (deps.sh and the scripts both source this file).
if [[ -n "${RS_COMMON_SH_LOADED:-}" ]]; then
  return 0
fi
RS_COMMON_SH_LOADED=1

RS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RS_JOBS="${JOBS:-2}"

# Colour only when talking to a terminal, so CI logs stay plain text.
if [[ -t 1 ]]; then
  RS_BOLD=$'\033[1m'; RS_RED=$'\033[31m'; RS_RESET=$'\033[0m'
else
  RS_BOLD=""; RS_RED=""; RS_RESET=""
fi

rs_section() {
  printf '\n%s==== %s ====%s\n' "$RS_BOLD" "$*" "$RS_RESET"
}

rs_info() {
  printf '%s\n' "-- $*"
}

rs_warn() {
  printf '%swarning:%s %s\n' "$RS_RED" "$RS_RESET" "$*" >&2
}

rs_die() {
  printf '%serror:%s %s\n' "$RS_RED" "$RS_RESET" "$*" >&2
  exit 1
}

# Runs "$@" as root: directly when we are root, through sudo otherwise.
rs_as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    rs_die "need root (or sudo) to run: $*"
  fi
}

# rs_configure BUILD_DIR [cmake args...]
# Configures BUILD_DIR with Ninja once; later calls reuse the cache so builds
# stay incremental (the arguments are still passed, so a changed option applies).
# Uses ccache when it is installed: CI runs in a fresh clone on a machine whose
# ccache directory survives, so a rerun recompiles little. Paths are hashed
# relative to the checkout, so a clone at another path still hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$RS_ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
rs_configure() {
  local dir="$1"
  shift
  local args=(-S "$RS_ROOT" -B "$dir" -G Ninja)
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  fi
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  cmake "${args[@]}" "$@"
}

# rs_build BUILD_DIR [targets...]  (no targets: everything)
rs_build() {
  local dir="$1"
  shift
  ninja -C "$dir" -j "$RS_JOBS" "$@"
}

# rs_has_target BUILD_DIR NAME: true when Ninja knows a target called NAME.
# (grep reads all its input, not -q: under pipefail an early exit would SIGPIPE
# ninja and turn a match into a failure.)
rs_has_target() {
  ninja -C "$1" -t targets all 2>/dev/null | grep "^$2: " >/dev/null
}
