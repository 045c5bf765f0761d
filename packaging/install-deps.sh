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
  chromium                  # tests: the real browser that Playwright drives (tests/browser)
  clang                     # libFuzzer targets (tests/fuzz)
  cmake
  dbus-bin                  # tests: dbus-send, to wait for the keyring on the private bus
  dbus-daemon               # tests: a private D-Bus session for the Secret Service key store test
  fonts-dejavu-core         # chromium renders the candidate and staff pages with real glyphs
  git
  gnome-keyring             # tests: a real Secret Service (desktop keyring) for the store key
  libboost1.81-dev          # Asio/Beast (1.81 set only: it conflicts with the unversioned 1.74 -dev)
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  libcli11-dev
  libexpected-dev           # tl::expected: g++ 12 has no std::expected in C++20
  libopencv-contrib-dev     # the `face` module (identity-change hint, client/vision)
  libopencv-dev             # client/vision: dnn (BlazeFace), imgproc, videoio, objdetect
  libsecret-1-dev           # Secret Service key storage for the client store key
  libspdlog-dev
  libsqlite3-dev            # the server's storage (plain SQLite; the client uses SQLCipher)
  libssl-dev
  ninja-build
  nlohmann-json3-dev
  opencv-data               # Haar cascades: the fallback face detector and the speed reference
  pkg-config
  python3                   # test helpers (crash-test driver, bench summaries)
)
BACKPORTS_PACKAGES=(
  "libsqlcipher-dev=${SQLCIPHER_VERSION}"
  "libsqlcipher1=${SQLCIPHER_VERSION}"
  "libcatch2-dev=${CATCH2_VERSION}"
  "catch2=${CATCH2_VERSION}"      # libspdlog-dev depends on catch2; unpinned, apt picks bookworm 2.13, which libcatch2-dev 3.7 Breaks
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

# Node.js and npm run the browser tests and fetch the face model from the npm registry. Debian's
# nodejs 18 is enough (playwright-core is pinned to a release that supports it); a machine that
# already has a node and npm (e.g. a newer Node.js) keeps them: Debian's npm would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  MAIN_PACKAGES+=(nodejs npm)
fi

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

# --- 3. npm packages, from the lock files committed in the repository -------------------------
# `npm ci` installs exactly what package-lock.json names (with its integrity hashes) and nothing
# else; it runs again only when the lock file changed since the last install.
npm_ci() {
  local dir=$1 stamp="$1/node_modules/.vigil-lock.sha256"
  local want; want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  if [[ $check_only -eq 1 ]]; then echo "missing: npm packages in $dir"; exit 1; fi
  echo "install-deps: npm ci in ${dir#"$root"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}
root=$(cd "$(dirname "$0")/.." && pwd)
for lock in "$root"/tests/browser/package-lock.json "$root"/packaging/models/package-lock.json; do
  [[ -f "$lock" ]] && npm_ci "$(dirname "$lock")"
done

echo "install-deps: done"
