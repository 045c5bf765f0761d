#!/usr/bin/env bash
# Packs the built Windows client into a signed per-user installer with Debian's nsis and
# osslsigncode (run by packaging/windows/build.sh --installer, after the build).
#
#   packaging/windows/installer.sh
#
# Output: build/windows/packages/vigil-client-setup-<version>.exe. Both vigil-client.exe and the
# installer carry an Authenticode signature. Without VIGIL_SIGNING_CERT/VIGIL_SIGNING_KEY (PEM) it
# signs with a TEST certificate (certs/make-codesign-test-cert.sh) and checks the signature
# against that test root; docs/PLATFORMS.md says how production signing works.
set -euo pipefail
{  # read whole before it runs (an edit during a run cannot change the running script)
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=build/windows
version=$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "installer: no version in CMakeLists.txt" >&2; exit 1; }
for tool in makensis osslsigncode; do
  command -v "$tool" >/dev/null || { echo "installer: $tool is missing (packaging/install-deps.sh --windows)" >&2; exit 1; }
done
[ -f "$build/client/vigil-client.exe" ] || { echo "installer: build the client first (packaging/windows/build.sh)" >&2; exit 1; }

# Signing material: the production certificate when given, else a test one under build/.
cert=${VIGIL_SIGNING_CERT:-}
key=${VIGIL_SIGNING_KEY:-}
ca=
if [ -z "$cert" ]; then
  certs/make-codesign-test-cert.sh "$build/signing"
  cert=$build/signing/codesign-test.pem key=$build/signing/codesign-test.key ca=$build/signing/codesign-test-ca.pem
fi
sign() {  # sign FILE: in place, SHA-256, with the description the consent dialogs show
  osslsigncode sign -certs "$cert" -key "$key" -h sha256 -n "Vigil assessment client" \
    -in "$1" -out "$1.signed" > /dev/null
  mv "$1.signed" "$1"
  if [ -n "$ca" ]; then
    osslsigncode verify -CAfile "$ca" -in "$1" > "$1.verify.log" 2>&1 ||
      { cat "$1.verify.log" >&2; echo "installer: the signature of $1 does not verify" >&2; exit 1; }
  fi
}

# Stage exactly what is installed.
stage=$build/stage
rm -rf "$stage"
mkdir -p "$stage" "$build/packages"
cp "$build/client/vigil-client.exe" "$build/client/Vigil.exe" "$stage/"
# Symbols stay in the build's copies (for crash reports); the installed ones are stripped.
x86_64-w64-mingw32-strip "$stage/vigil-client.exe" "$stage/Vigil.exe"
# The model and the Haar cascades, laid out beside the build's executable by client/CMakeLists.txt.
cp -r "$build/client/models" "$build/client/haarcascades" "$stage/"
cp "$build/licenses/LICENSES.txt" "$stage/LICENSES.txt"
sign "$stage/vigil-client.exe"
sign "$stage/Vigil.exe"

out=$build/packages/vigil-client-setup-$version.exe
makensis -V2 -DVERSION="$version" -DSTAGE="$root/$stage" \
  -DOUTFILE="$root/$out" packaging/windows/vigil-client.nsi
sign "$out"
echo "installer: $out ($(du -k "$out" | cut -f1) KiB), signed$([ -n "$ca" ] && echo ' with the TEST certificate, verified')"
exit
}
