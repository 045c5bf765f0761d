#!/usr/bin/env bash
# Builds the compiled libraries the Windows client links, with Debian 12's MinGW-w64, from the
# upstream source tarballs Debian's archive holds, into a cache outside the work tree.
#
#   packaging/windows/deps.sh OUT_FILE     build what is missing, then write OUT_FILE: a CMake
#                                          file setting VIGIL_WINDOWS_PREFIXES (the toolchain
#                                          file reads it)
#   packaging/windows/deps.sh --list       print each library, its version and cache folder
#
# Sources: the `.orig` tarball of each Debian source package, located and hashed through apt's
# signed index (a private deb-src list under the cache, so the system's apt setup is untouched);
# the SHA-256 apt's index gives is checked before anything is unpacked. Nothing is downloaded
# from anywhere but deb.debian.org. Debian's own patches are not applied: they adapt the
# libraries to Debian's layout, and the versions taken (security uploads included) are upstream
# releases.
#
# Cache: ${VIGIL_WINDOWS_CACHE:-~/.cache/vigil/windows}. Each library is installed into its own
# folder named <name>-<version>-<key>, where the key hashes the tarball's SHA-256, the recipe
# below, the toolchain file and the keys of the libraries it links; a folder that exists is
# reused as it is. Changing a recipe rebuilds that library and those built on it, nothing else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VIGIL_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/windows}
jobs=${VIGIL_JOBS:-$(nproc)}
triple=x86_64-w64-mingw32
toolchain=$here/mingw-w64.cmake
mkdir -p "$cache/src" "$cache/apt/lists/partial" "$cache/apt/cache"

say() { printf 'windows deps: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in $triple-gcc-posix $triple-g++-posix cmake ninja protoc tclsh curl apt-get sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (packaging/install-deps.sh --windows installs it)"
done

# ---- sources, through apt's signed index --------------------------------------------------------
apt_opts=(-o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
          -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache"
          -o Debug::NoLocking=1 -o APT::Get::Only-Source=true -o APT::Sandbox::User=root)
write_sources() {
  local key=/usr/share/keyrings/debian-archive-keyring.gpg line
  : > "$cache/apt/sources.list"
  for line in "debian bookworm" "debian bookworm-updates" "debian-security bookworm-security" \
              "debian bookworm-backports"; do
    set -- $line
    echo "deb-src [signed-by=$key] http://deb.debian.org/$1 $2 main" >> "$cache/apt/sources.list"
  done
}
index_fresh=0
refresh_index() {
  [ "$index_fresh" = 1 ] && return
  write_sources
  # A day-old index is fine: the cache key is the tarball's hash, so a new upload is a new key.
  if [ -z "$(find "$cache/apt/lists" -name '*Sources*' -mmin -1440 2>/dev/null | head -1)" ]; then
    say "updating the deb-src index"
    apt-get "${apt_opts[@]}" -q update >&2 || die "apt-get update of the deb-src index failed"
  fi
  index_fresh=1
}

# orig SOURCE_PACKAGE [VERSION_PREFIX]: sets ORIG_URL, ORIG_FILE, ORIG_SHA, ORIG_VERSION for the
# newest upload of SOURCE_PACKAGE (the first `.orig` tarball; `orig-*` components are skipped).
orig() {
  refresh_index
  local spec=$1 uris line
  uris=$(apt-get "${apt_opts[@]}" source --print-uris "$spec" 2>/dev/null | grep "^'") ||
    die "apt has no source package $spec"
  line=$(grep -E "\.orig\.tar\.(gz|xz|bz2)' " <<<"$uris" | head -1)
  [ -n "$line" ] || die "no .orig tarball for $spec"
  ORIG_URL=$(cut -d"'" -f2 <<<"$line")
  ORIG_FILE=$(awk '{print $2}' <<<"$line")
  ORIG_SHA=$(grep -o 'SHA256:[0-9a-f]*' <<<"$line" | cut -d: -f2)
  [ -n "$ORIG_SHA" ] || die "apt gave no SHA-256 for $ORIG_FILE"
  ORIG_VERSION=$(sed -E 's/^[^_]*_([^-]*)\.orig.*/\1/' <<<"$ORIG_FILE")
}

fetch_orig() {  # downloads ORIG_FILE into the cache once, and checks its hash every time
  local file=$cache/src/$ORIG_FILE
  if [ ! -f "$file" ]; then
    say "downloading $ORIG_FILE"
    # The same .orig tarball sits in the main pool and the security pool; a mirror may carry it in
    # only one. The hash check below is what makes either acceptable.
    local url ok=0
    for url in "$ORIG_URL" "${ORIG_URL/debian-security\/pool\/updates/debian\/pool}" \
               "${ORIG_URL/debian\/pool/debian-security\/pool\/updates}"; do
      curl -fsSL --retry 3 -o "$file.part" "$url" 2>/dev/null && { ok=1; break; }
    done
    [ "$ok" = 1 ] || die "download of $ORIG_FILE failed (tried $ORIG_URL and the other pool)"
    mv "$file.part" "$file"
  fi
  echo "$ORIG_SHA  $file" | sha256sum -c --quiet - ||
    { rm -f "$file"; die "$ORIG_FILE does not match the SHA-256 in Debian's signed index"; }
}

unpack() {  # unpack DIR: a fresh copy of ORIG_FILE's tree in DIR
  rm -rf "$1" && mkdir -p "$1"
  tar -xf "$cache/src/$ORIG_FILE" -C "$1" --strip-components=1
}

# ---- one library ----------------------------------------------------------------------------------
declare -A KEY DIR
tc_hash=$(sha256sum "$toolchain" | cut -c1-16)

# library NAME SOURCE_PACKAGE DEPS...: makes sure DIR[NAME] holds NAME built by build_NAME.
library() {
  local name=$1 pkg=$2; shift 2
  local deps_keys="" d
  for d in "$@"; do deps_keys+="${KEY[$d]} "; done
  orig "$pkg"
  local key
  key=$(printf '%s\n' "$ORIG_SHA" "$(declare -f "build_$name")" "$tc_hash" "$deps_keys" |
        sha256sum | cut -c1-12)
  KEY[$name]=$key
  DIR[$name]=$cache/$name-$ORIG_VERSION-$key
  TARBALL[$name]=$cache/src/$ORIG_FILE
  fetch_orig  # kept in the cache: the licence files come from it
  if [ -f "${DIR[$name]}/.complete" ]; then
    if [ "$LIST" = 1 ]; then echo "$name $ORIG_VERSION ${DIR[$name]} (built)"; fi
    return 0
  fi
  if [ "$LIST" = 1 ]; then echo "$name $ORIG_VERSION ${DIR[$name]} (to build)"; return 0; fi
  local work=$cache/build/$name
  unpack "$work/src"
  rm -rf "${DIR[$name]}"
  say "building $name $ORIG_VERSION (log: $work/build.log)"
  local start=$SECONDS
  # Not in an `if`: there `set -e` would be off inside the recipe and a failed step ignored.
  local rc=0
  set +e
  ( set -e; cd "$work/src"; PREFIX=${DIR[$name]} build_"$name" ) > "$work/build.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" != 0 ]; then
    tail -40 "$work/build.log" >&2
    die "$name failed to build; the whole log is $work/build.log"
  fi
  touch "${DIR[$name]}/.complete"
  say "built $name in $((SECONDS - start)) s"
  rm -rf "$work"
}

cmake_lib() {  # a CMake project, static, release, into $PREFIX
  cmake -S . -B _build -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=OFF "$@"
  cmake --build _build -j "$jobs"
  cmake --install _build
}

# ---- recipes --------------------------------------------------------------------------------------
build_zlib() {
  # The static library alone: Debian's +dfsg tarball drops win32/, which the DLL's resource needs.
  cmake -S . -B _build -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release
  cmake --build _build -j "$jobs" --target zlibstatic
  mkdir -p "$PREFIX/lib" "$PREFIX/include"
  cp _build/libzlibstatic.a "$PREFIX/lib/libz.a"
  cp zlib.h _build/zconf.h "$PREFIX/include/"
}
build_jpeg() {
  cmake_lib -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_TURBOJPEG=OFF -DWITH_SIMD=ON \
    -DCMAKE_ASM_NASM_COMPILER=nasm
}
build_png() {
  cmake_lib -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF -DPNG_EXECUTABLES=OFF \
    -DZLIB_ROOT="${DIR[zlib]}" -DZLIB_LIBRARY="${DIR[zlib]}/lib/libz.a" \
    -DZLIB_INCLUDE_DIR="${DIR[zlib]}/include"
}
build_protobuf() {
  # Only the runtime library, for OpenCV's ONNX importer; Debian's protoc (the same 3.21.12)
  # regenerates OpenCV's .pb.cc files to match it.
  cmake_lib -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_SHARED_LIBS=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF
}
build_openssl() {
  # Static libcrypto and libssl only (build_libs: no apps or docs; 3.0 has no no-apps). mingw64 is OpenSSL's own target for
  # 64-bit MinGW; it links ws2_32, crypt32 and bcrypt itself.
  CC=$triple-gcc-posix AR=$triple-ar RANLIB=$triple-ranlib RC=$triple-windres \
    ./Configure mingw64 no-shared no-tests no-module no-legacy no-engine \
      --prefix="$PREFIX" --libdir=lib --openssldir="$PREFIX/ssl"
  make -j "$jobs" build_libs
  make install_dev
}
build_sqlcipher() {
  # The amalgamation is generated on Linux (it needs tclsh and host tools), then compiled for
  # Windows with the same options Debian's build uses that matter here, and SQLCipher's
  # OpenSSL provider. SQLite's own win32 VFS does the durable writes (FlushFileBuffers).
  ./configure --disable-tcl --enable-tempstore=yes CFLAGS="-DSQLITE_HAS_CODEC" > /dev/null
  make sqlite3.c
  local cflags=(-O2 -DSQLITE_HAS_CODEC -DSQLCIPHER_CRYPTO_OPENSSL -DSQLITE_TEMP_STORE=2
                -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS3
                -DSQLITE_ENABLE_RTREE -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_UNLOCK_NOTIFY
                -DSQLITE_OMIT_LOAD_EXTENSION -I"${DIR[openssl]}/include")
  $triple-gcc-posix "${cflags[@]}" -c sqlite3.c -o sqlite3.o
  mkdir -p "$PREFIX/lib" "$PREFIX/include/sqlcipher"
  $triple-ar rcs "$PREFIX/lib/libsqlcipher.a" sqlite3.o
  cp sqlite3.h "$PREFIX/include/sqlcipher/"
}
build_catch2() {
  # -O1: the test framework's own speed does not matter. At -O3 it took 520 s beside other builds;
  # at -O1, 22 s on a bare root (docs/PLATFORMS.md).
  cmake_lib -DCATCH_INSTALL_DOCS=OFF -DCATCH_INSTALL_EXTRAS=ON -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
}
build_opencv() {
  # Only the modules the client uses. Debian's tarball has no 3rdparty/ (it is +dfsg), so every
  # codec comes from the folders above; IPP, ITT, OpenCL, quirc and the rest that would download
  # or need 3rdparty/ are off. Video from DirectShow (webcams) and OpenCV's own MJPEG reader
  # (video files for the system check and the fixtures); Media Foundation is off, as MinGW's
  # headers for it are incomplete.
  # SIMD: the SSE3 baseline plus one dispatched AVX2 path (every Windows 10/11 laptop of the last
  # ten years has SSE3; most have AVX2). OpenCV's default also compiles SSE4.1, SSE4.2, AVX, FP16
  # and AVX-512 variants of each dispatched kernel, which roughly doubled the build for no gain
  # the webcam checks need (they run at a few frames a second).
  cmake_lib \
    -DCPU_BASELINE=SSE3 -DCPU_DISPATCH=AVX2 \
    -DBUILD_LIST=core,imgproc,imgcodecs,videoio,dnn,objdetect \
    -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_opencv_apps=OFF \
    -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF -DBUILD_DOCS=OFF -DOPENCV_GENERATE_PKGCONFIG=OFF \
    -DBUILD_ZLIB=OFF -DBUILD_JPEG=OFF -DBUILD_PNG=OFF -DBUILD_PROTOBUF=OFF \
    -DWITH_PROTOBUF=ON -DPROTOBUF_UPDATE_FILES=ON -DProtobuf_PROTOC_EXECUTABLE="$(command -v protoc)" \
    -DProtobuf_INCLUDE_DIR="${DIR[protobuf]}/include" \
    -DProtobuf_LIBRARY="${DIR[protobuf]}/lib/libprotobuf.a" \
    -DZLIB_LIBRARY="${DIR[zlib]}/lib/libz.a" -DZLIB_INCLUDE_DIR="${DIR[zlib]}/include" \
    -DJPEG_LIBRARY="${DIR[jpeg]}/lib/libjpeg.a" -DJPEG_INCLUDE_DIR="${DIR[jpeg]}/include" \
    -DPNG_LIBRARY="${DIR[png]}/lib/libpng16.a" -DPNG_PNG_INCLUDE_DIR="${DIR[png]}/include" \
    -DWITH_JPEG=ON -DWITH_PNG=ON -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF \
    -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF \
    -DWITH_IMGCODEC_PFM=OFF -DWITH_IMGCODEC_PXM=ON \
    -DWITH_DSHOW=ON -DWITH_MSMF=OFF -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_OBSENSOR=OFF \
    -DWITH_IPP=OFF -DWITH_ITT=OFF -DWITH_OPENCL=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF \
    -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_ADE=OFF \
    -DWITH_QUIRC=OFF -DWITH_CAROTENE=OFF -DWITH_WIN32UI=OFF -DWITH_DIRECTX=OFF \
    -DWITH_OPENVX=OFF -DWITH_HALIDE=OFF -DWITH_VULKAN=OFF -DWITH_CUDA=OFF -DWITH_1394=OFF \
    -DCV_TRACE=OFF -DOPENCV_DNN_OPENCL=OFF -DBUILD_WITH_STATIC_CRT=OFF \
    -DOPENCV_SKIP_VISIBILITY_HIDDEN=OFF -DINSTALL_CREATE_DISTRIB=OFF
}

# What the installer ships as LICENSES.txt: each compiled library's own licence file from its
# tarball, and Debian's copyright file for each header-only library and the MinGW runtime that
# are linked in.
declare -A TARBALL
licence_member() {  # the top-level licence file of a tarball, by preference
  local listing candidate
  listing=$(tar -tf "$1")
  for candidate in LICENSE LICENSE.txt LICENSE.md COPYING README; do
    grep -E "^[^/]+/${candidate//./\\.}\$" <<<"$listing" && return 0
  done
  return 1
}
licences() {
  local out=$1 name member pkg
  {
    echo "Vigil for Windows includes the following software, under the licences below."
    for name in zlib jpeg png protobuf openssl sqlcipher opencv; do
      member=$(licence_member "${TARBALL[$name]}") || die "no licence file in ${TARBALL[$name]}"
      printf '\n===== %s (%s) =====\n' "$name" "$(basename "${TARBALL[$name]}")"
      tar -xOf "${TARBALL[$name]}" "$member"
    done
    for pkg in libboost1.81-dev nlohmann-json3-dev libcli11-dev libexpected-dev libfmt-dev libspdlog-dev \
               mingw-w64-common gcc-mingw-w64-base; do
      printf '\n===== %s (Debian copyright file) =====\n' "$pkg"
      cat "/usr/share/doc/$pkg/copyright" 2>/dev/null || die "/usr/share/doc/$pkg/copyright is missing"
    done
  } > "$out.tmp"
  mv "$out.tmp" "$out"
}

headers() {  # links to the header-only libraries in Debian's /usr/include, and nothing else
  local dir=$cache/headers-only d
  mkdir -p "$dir/include"
  for d in boost nlohmann CLI tl fmt spdlog; do
    [ -e "/usr/include/$d" ] || die "/usr/include/$d is missing (packaging/install-deps.sh installs it)"
    ln -sfn "/usr/include/$d" "$dir/include/$d"
  done
  DIR[headers]=$dir
}

# ---- main -----------------------------------------------------------------------------------------
# One function called from the last line, so bash has read the whole file before anything runs
# (editing the script during a long build then cannot change what the running one does).
LIST=0
main() {
  case "${1:-}" in
    --list) LIST=1 ;;
    ""|-*) echo "usage: $0 OUT_FILE | --list" >&2; return 2 ;;
  esac
  headers
  library zlib zlib
  library jpeg libjpeg-turbo
  library png libpng1.6 zlib
  library protobuf protobuf
  library openssl openssl
  library sqlcipher sqlcipher openssl
  library catch2 catch2
  library opencv opencv zlib jpeg png protobuf
  if [ "$LIST" = 1 ]; then return 0; fi

  out=$1
  mkdir -p "$(dirname "$out")"
  {
    echo "# Written by packaging/windows/deps.sh; the toolchain file includes it."
    printf 'set(VIGIL_WINDOWS_PREFIXES'
    for n in headers zlib jpeg png protobuf openssl sqlcipher catch2 opencv; do printf '\n  "%s"' "${DIR[$n]}"; done
    printf ')\n'
  } > "$out.tmp"
  mv "$out.tmp" "$out"
  mkdir -p "$(dirname "$out")/licenses"
  licences "$(dirname "$out")/licenses/LICENSES.txt"
  say "prefixes written to $out"
}
main "$@"; exit $?
