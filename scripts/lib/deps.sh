# shellcheck shell=bash
# Debian packages the scripts need, and a function that installs only the
# missing ones. When nothing is missing apt is never touched, so a second run is
# fast and works offline.
#
# Usage:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/deps.sh"
#   rs_ensure_packages "${RS_BUILD_PACKAGES[@]}"
#   rs_missing_packages "${RS_TEST_PACKAGES[@]}"   # prints the missing ones

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# shellcheck disable=SC2034  # used by the scripts that source this file
# What compiling the library, the tools and the demo needs (Debian 12 names).
RS_BUILD_PACKAGES=(
  build-essential cmake ninja-build g++ pkg-config ccache
  libprotobuf-dev protobuf-compiler libssl-dev libcurl4-openssl-dev
  libsqlite3-dev libzstd-dev libpugixml-dev nlohmann-json3-dev libspdlog-dev
  libcli11-dev libtoml11-dev prometheus-cpp-dev libcpp-httplib-dev libboost-dev
  libnats-dev libxxhash-dev libabsl-dev
)

# What the whole test suite needs on top: test frameworks, clang + libFuzzer
# runtime, benchmark library, and the real servers the integration tests and
# side-by-side benchmarks talk to.
# shellcheck disable=SC2034  # used by the scripts that source this file
RS_TEST_PACKAGES=(
  "${RS_BUILD_PACKAGES[@]}"
  clang libclang-rt-14-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  nodejs npm redis-server redis-tools python3-redis nats-server wrk curl
)

# rs_is_installed PKG: true when dpkg says PKG is installed ("ii").
rs_is_installed() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" || return 1
  [[ "$status" == ii* ]]
}

# rs_missing_packages PKG...: prints, one per line, the packages not installed.
# nodejs and npm count as present when `node` and `npm` are on PATH: a Node from
# another source (e.g. NodeSource) already bundles npm, and Debian's npm package
# would conflict with it.
rs_missing_packages() {
  local pkg
  for pkg in "$@"; do
    case "$pkg" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    rs_is_installed "$pkg" || printf '%s\n' "$pkg"
  done
}

# rs_ensure_packages PKG...: installs the missing packages, nothing else.
rs_ensure_packages() {
  local missing
  mapfile -t missing < <(rs_missing_packages "$@")
  if [[ ${#missing[@]} -eq 0 ]]; then
    rs_info "all ${#} required Debian packages are installed"
    return 0
  fi
  rs_info "installing missing Debian packages: ${missing[*]}"
  # A failed update (offline, one mirror down) is not fatal: the lists already
  # on disk may be enough, and install will say clearly if they are not.
  rs_as_root apt-get update || rs_warn "apt-get update failed; trying with the package lists on disk"
  rs_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}
