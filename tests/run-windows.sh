#!/usr/bin/env bash
# The Windows client, tested under Wine on Debian 12 (issue 15; docs/PLATFORMS.md):
#
#   tests/run-windows.sh             build (packaging/windows/build.sh --installer), then all below
#   tests/run-windows.sh unit        the client's and shared/'s unit tests as Windows executables
#   tests/run-windows.sh installer   silent install of the signed installer; the installed client
#                                    passes `vigil-client check`; silent uninstall keeps the data
#   tests/run-windows.sh journey     the candidate journey in Playwright (Debian's chromium, on
#                                    Linux) against vigil-client.exe under Wine and the Linux
#                                    vigil-server (needs the dev build: tests/run-all.sh builds it)
#
# Wine's prefix is kept in ${VIGIL_WINE_PREFIX:-~/.cache/vigil/wine} (its first start takes about
# 20 s); each run uses a fresh copy of it, so nothing one run installs is seen by the next.
set -euo pipefail
{  # read whole before it runs (an edit during a run cannot change the running script)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  packaging/windows/build.sh --installer
  parts=(unit installer journey)
fi
build=build/windows
version=$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# ---- Wine -------------------------------------------------------------------------------------------
export WINEDEBUG=-all
export WINEARCH=win64
export WINEDLLOVERRIDES="mscoree=;mshtml="  # no Mono or Gecko install prompts: nothing here needs them
template=${VIGIL_WINE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/wine}
if [ ! -f "$template/system.reg" ]; then
  echo "=== windows: creating Wine's prefix in $template (once)"
  rm -rf "$template"
  WINEPREFIX=$template wine wineboot --init > /dev/null 2>&1
  WINEPREFIX=$template wineserver --wait
fi
WINEPREFIX=$(mktemp -d /tmp/vigil-wine.XXXXXX)
export WINEPREFIX
cp -a "$template/." "$WINEPREFIX/"
wineserver -p 900   # one server for the whole run, not one start per test process
cleanup() { wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"; }
trap cleanup EXIT
winuser=$(WINEPREFIX=$WINEPREFIX wine cmd /c 'echo %USERNAME%' 2>/dev/null | tr -d '\r')
local_appdata=$WINEPREFIX/drive_c/users/$winuser/AppData/Local

t0=$SECONDS
phase() { echo "=== windows: $1 ($((SECONDS - t0)) s so far, load $(cut -d' ' -f1-3 /proc/loadavg))"; }

unit() {
  phase "unit tests under Wine"
  # CTest runs each test through CMAKE_CROSSCOMPILING_EMULATOR (wine), as it lists them.
  local n_win n_linux=""
  ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --timeout 900 --repeat until-pass:2
  n_win=$(ctest --test-dir "$build" -N | sed -n 's/^Total Tests: //p')
  if [ -d build/dev ]; then n_linux=$(ctest --test-dir build/dev -N | sed -n 's/^Total Tests: //p'); fi
  echo "=== windows: ${n_win} tests ran as Windows executables under Wine (Linux dev build: ${n_linux:-not built} in all)"
}

installer() {
  phase "installer"
  local setup=$build/packages/vigil-client-setup-$version.exe
  [ -f "$setup" ] || { echo "no installer: run packaging/windows/build.sh --installer" >&2; return 1; }
  osslsigncode verify -CAfile "$build/signing/codesign-test-ca.pem" -in "$setup" > /dev/null
  wine "$setup" /S
  local inst=$local_appdata/Programs/Vigil
  for f in vigil-client.exe Vigil.exe uninstall.exe LICENSES.txt models/face_detection_front_128x128_barracuda.onnx \
           haarcascades/haarcascade_frontalface_default.xml; do
    [ -f "$inst/$f" ] || { echo "the installer did not install $f" >&2; return 1; }
  done
  [ -f "$WINEPREFIX/drive_c/users/$winuser/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Vigil/Vigil assessment.lnk" ] ||
    { echo "no Start-menu entry" >&2; return 1; }
  wine "$inst/vigil-client.exe" --version
  # The installed client, as a candidate's computer would run it: default data folder
  # (%LOCALAPPDATA%\Vigil), the store key under DPAPI, the model beside the executable.
  wine "$inst/vigil-client.exe" check
  # The webcam checks on a fixture clip: the installed client uses the model installed beside it.
  local fixtures=${VIGIL_FACE_FIXTURES:-$root/../shared/fixtures/faces} seen
  seen=$(wine "$inst/vigil-client.exe" check-camera --file "$fixtures/clip_steady_one_face.avi" --seconds 2)
  echo "$seen"
  grep -q "Face detector: BlazeFace front model (C:.*Programs.Vigil.models" <<<"$seen" ||
    { echo "the installed client did not use its installed face model" >&2; return 1; }
  grep -q "^Result: We can see your face clearly" <<<"$seen" || { echo "the camera check saw no clear face" >&2; return 1; }
  # Something waiting to sync: a silent uninstall must keep the data folder.
  wine "$inst/vigil-client.exe" demo > /dev/null
  local rc=0
  wine "$inst/vigil-client.exe" pending || rc=$?
  [ "$rc" = 3 ] || { echo "pending exited $rc after a demo session, not 3 (work waiting)" >&2; return 1; }
  wine "$inst/uninstall.exe" /S _?="$(winepath -w "$inst")"
  [ ! -f "$inst/vigil-client.exe" ] || { echo "the uninstaller left vigil-client.exe" >&2; return 1; }
  [ -d "$local_appdata/Vigil" ] || { echo "the uninstaller removed data that had not reached the server" >&2; return 1; }
  echo "=== windows: installer $(du -k "$setup" | cut -f1) KiB: installed, checked, uninstalled; unsent data kept"
}

journey() {
  phase "candidate journey against vigil-client.exe under Wine"
  local server=build/dev/server/vigil-server
  [ -x "$server" ] || { echo "the journey needs the Linux vigil-server: cmake --build --preset dev" >&2; return 1; }
  # The harness starts VIGIL_CLIENT_EXE with its arguments; this runs the Windows build instead.
  local wrapper=$build/vigil-client-wine
  printf '#!/bin/sh\nexec wine %q "$@"\n' "$root/$build/client/vigil-client.exe" > "$wrapper"
  chmod +x "$wrapper"
  VIGIL_CLIENT_EXE=$root/$wrapper VIGIL_SERVER_EXE=$root/$server VIGIL_SOURCE_DIR=$root \
    VIGIL_BINARY_DIR=$root/build/dev VIGIL_FACE_FIXTURES=${VIGIL_FACE_FIXTURES:-$root/../shared/fixtures/faces} \
    node --test tests/browser/candidate_journey.test.js
}

for part in "${parts[@]}"; do
  case "$part" in
    unit|installer|journey) "$part" ;;
    *) echo "unknown part: $part (unit, installer, journey)" >&2; exit 2 ;;
  esac
done
phase "done"
exit
}
