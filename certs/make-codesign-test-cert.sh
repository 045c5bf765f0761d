#!/usr/bin/env bash
# Creates a TEST code-signing chain for the Windows installer: a test root CA and an Authenticode
# leaf certificate (extendedKeyUsage codeSigning) it signs, so that packaging/windows/installer.sh
# can sign and `osslsigncode verify` can check the signature against that root. Windows itself
# does not trust this root: production signing uses the programme's certificate from a public CA,
# kept in a hardware token (docs/PLATFORMS.md, "Signing").
#
#   certs/make-codesign-test-cert.sh OUTDIR
#
# Writes OUTDIR/codesign-test-ca.pem, OUTDIR/codesign-test.pem and OUTDIR/codesign-test.key
# (0600). Re-running keeps what is there until it is a day from expiry.
set -euo pipefail
(($# == 1)) || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
out=$1
mkdir -p "$out"
# Kept while it has more than a day to run (it lives 30 days), else made afresh.
if [ -f "$out/codesign-test.pem" ] && [ -f "$out/codesign-test.key" ] && [ -f "$out/codesign-test-ca.pem" ] &&
   openssl x509 -checkend 86400 -noout -in "$out/codesign-test.pem" > /dev/null; then
  exit 0
fi
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:3072 -nodes -days 30 -subj "/CN=Vigil TEST code signing root (not for release)" \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=Vigil TEST publisher/O=Vigil (test)" \
  -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=codeSigning" > "$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -days 30 \
  -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/leaf.ext" -out "$tmp/leaf.pem" 2>/dev/null
chmod 0644 "$tmp/ca.pem" "$tmp/leaf.pem"
mv "$tmp/leaf.key" "$out/codesign-test.key"
mv "$tmp/leaf.pem" "$out/codesign-test.pem"
mv "$tmp/ca.pem" "$out/codesign-test-ca.pem"
