#!/usr/bin/env bash
# Prints the pin-sha256 of a key: base64(SHA-256(DER SubjectPublicKeyInfo)), the HPKP form the
# client pins (the same value as vigil::crypto::spki_pin_of_certificate / _of_public_key).
#
#   certs/pin.sh FILE
#
# FILE may be a certificate (the pin of its public key), a certificate request, a public key or
# an unencrypted private key, all PEM; for a private key the pin is that of its public half, so
# the backup root key can be pinned before any certificate exists for it.
set -euo pipefail

# The comment block at the top of this file is the help text.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
die() { echo "$(basename "$0"): error: $*" >&2; exit 1; }

case ${1:-} in
  -h|--help) usage; exit 0 ;;
  '') usage >&2; exit 2 ;;
esac
(($# == 1)) || { usage >&2; exit 2; }
file=$1
[[ -r $file ]] || die "cannot read $file"

# The first PEM block decides how to get at the public key.
label=$(sed -n 's/^-----BEGIN \(.*\)-----[[:space:]]*$/\1/p' "$file" | head -n 1)
case $label in
  CERTIFICATE|"TRUSTED CERTIFICATE") spki() { openssl x509 -in "$file" -noout -pubkey; } ;;
  "CERTIFICATE REQUEST"|"NEW CERTIFICATE REQUEST") spki() { openssl req -in "$file" -noout -pubkey; } ;;
  "PUBLIC KEY") spki() { cat -- "$file"; } ;;
  "PRIVATE KEY"|"EC PRIVATE KEY") spki() { openssl pkey -in "$file" -pubout -passin pass: ; } ;;
  "ENCRYPTED PRIVATE KEY") die "$file is encrypted; pin its certificate or public key instead" ;;
  '') die "$file holds no PEM block" ;;
  *) die "$file holds a $label, not a certificate or key" ;;
esac

pin=$(spki 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | openssl dgst -sha256 -binary | openssl base64 -A) ||
  die "could not read the public key in $file"
[[ ${#pin} -eq 44 ]] || die "could not read the public key in $file"
printf '%s\n' "$pin"
