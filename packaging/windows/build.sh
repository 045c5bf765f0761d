#!/usr/bin/env bash
# Builds the candidate client for x86-64 Windows 10/11 on Debian 12, with Debian's MinGW-w64.
#
#   packaging/windows/build.sh              vigil-client.exe and the Windows test executables
#   packaging/windows/build.sh --installer  the same, then the signed per-user installer
#                                           (build/windows/packages/vigil-client-setup-<version>.exe)
#   packaging/windows/build.sh --no-tests   the client alone
#
# Compiled libraries come from packaging/windows/deps.sh's cache (built once, from the source
# tarballs Debian's archive holds); the build itself is the `windows` CMake preset in
# build/windows. docs/PLATFORMS.md explains the whole of it.
set -euo pipefail
# One function called from the last line: bash has read the whole file before anything runs, so
# editing this script during a build cannot change what the running one does.
main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  cd "$root"
  tests=ON
  installer=0
  for arg in "$@"; do
    case "$arg" in
      --installer) installer=1 ;;
      --no-tests) tests=OFF ;;
      *) echo "usage: $0 [--installer] [--no-tests]" >&2; return 2 ;;
    esac
  done

  packaging/install-deps.sh --windows
  start=$SECONDS
  old_deps=$(cat build/windows/deps.cmake 2>/dev/null || true)
  packaging/windows/deps.sh build/windows/deps.cmake
  deps_s=$((SECONDS - start))
  # A rebuilt library lives in a new cache folder; CMake's cache still names the old one (find_library
  # and find_package results are cached), so it starts afresh whenever the prefixes changed.
  if [ "$old_deps" != "$(cat build/windows/deps.cmake)" ]; then
    rm -f build/windows/CMakeCache.txt
  fi
  cmake --preset windows -DVIGIL_BUILD_TESTS=$tests > build/windows-configure.log 2>&1 ||
    { tail -30 build/windows-configure.log; exit 1; }
  cmake --build --preset windows -j "${VIGIL_JOBS:-$(nproc)}"
  build_s=$((SECONDS - start - deps_s))
  exe=build/windows/client/vigil-client.exe
  file "$exe"
  echo "windows build: dependencies ${deps_s} s, client and tests ${build_s} s"
  if [ "$installer" = 1 ]; then
    packaging/windows/installer.sh
  fi
}
main "$@"; exit $?
