#!/usr/bin/env bash
# Installs everything Vigil needs to build, test and run on Debian 12 (bookworm), from Debian's
# own archive only. Idempotent: running it again installs nothing new and changes nothing.
#
#   packaging/install-deps.sh            build + test dependencies (what the README commands use)
#   packaging/install-deps.sh --check    only report what is missing; exit 1 if anything is
#
# Why bookworm-backports: SQLCipher 4.6 (bookworm itself has 3.4, whose KDF and page HMAC
# defaults are weaker) and Catch2 3.x (bookworm has 2.13). Both are pinned to their backports
# versions below so a newer upload cannot change what we build against without a commit here.
set -euo pipefail

SQLCIPHER_VERSION="4.6.1-2~bpo12+1"
CATCH2_VERSION="3.7.1-0.4~bpo12+1"

# Packages from bookworm main. Keep sorted; say why next to anything surprising.
MAIN_PACKAGES=(
  build-essential
  ca-certificates
  ccache
  clang                     # libFuzzer targets (tests/fuzz)
  cmake
  dbus-bin                  # tests: dbus-send, to wait for the keyring on the private bus
  dbus-daemon               # tests: a private D-Bus session for the Secret Service key store test
  git
  gnome-keyring             # tests: a real Secret Service (desktop keyring) for the store key
  libboost1.81-dev          # Asio/Beast (1.81 set only: it conflicts with the unversioned 1.74 -dev)
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  libcli11-dev
  libexpected-dev           # tl::expected: g++ 12 has no std::expected in C++20
  libsecret-1-dev           # Secret Service key storage for the client store key
  libspdlog-dev
  libsqlite3-dev            # the server's storage (plain SQLite; the client uses SQLCipher)
  libssl-dev
  ninja-build
  nlohmann-json3-dev
  pkg-config
  python3                   # test helpers (crash-test driver, bench summaries)
)
BACKPORTS_PACKAGES=(
  "libsqlcipher-dev=${SQLCIPHER_VERSION}"
  "libsqlcipher1=${SQLCIPHER_VERSION}"
  "libcatch2-dev=${CATCH2_VERSION}"
)

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# --- 1. bookworm-backports source (added once) -----------------------------------------------
BACKPORTS_FILE=/etc/apt/sources.list.d/vigil-backports.sources
need_update=0
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [[ $check_only -eq 1 ]]; then
    echo "missing: bookworm-backports apt source"; exit 1
  fi
  echo "install-deps: adding bookworm-backports as ${BACKPORTS_FILE}"
  as_root tee "$BACKPORTS_FILE" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

# --- 2. what is missing? ---------------------------------------------------------------------
pkg_name() { local p=${1%%=*}; echo "${p%% *}"; }
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '/install ok installed/{print $4}'; }

missing=()
for p in "${MAIN_PACKAGES[@]}"; do
  [[ -n "$(installed_version "$p")" ]] || missing+=("$p")
done
for spec in "${BACKPORTS_PACKAGES[@]}"; do
  name=${spec%%=*}; want=${spec#*=}
  [[ "$(installed_version "$name")" == "$want" ]] || missing+=("$spec")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all Debian packages present"
else
  if [[ $check_only -eq 1 ]]; then
    printf 'missing: %s\n' "${missing[@]}"; exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # An apt cache that has never been filled (fresh machine) or lacks backports needs an update.
  if [[ $need_update -eq 1 ]] || ! apt-cache policy libsqlcipher-dev 2>/dev/null | grep -q bpo12; then
    as_root apt-get update -qq
  fi
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "install-deps: done"
