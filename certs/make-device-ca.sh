#!/usr/bin/env bash
# Creates the device-issuing CA: an ECDSA P-256 key and a certificate signed by the root CA in the
# same folder, CA with path length 0 (it can sign device certificates, never another CA), valid
# for 5 years. The sync server holds this key and issues device certificates from enrolment CSRs.
#
#   certs/make-device-ca.sh [--force] [--cn NAME] OUTDIR
#   certs/make-device-ca.sh [--force] [--cn NAME] --csr REQUEST OUTDIR
#
# Needs OUTDIR/root-ca.pem and OUTDIR/root-ca.key (certs/make-dev-ca.sh). Writes
# OUTDIR/device-ca.key (0600) and OUTDIR/device-ca.pem. NAME defaults to "Vigil Development
# Device CA". The server trusts device-ca.pem alone for client certificates (as a partial-chain
# anchor), so a certificate the root issued directly never authenticates a device.
#
# With --csr, the key stays where the request was made (the server) and only device-ca.pem is
# written, from REQUEST's public key: the production procedure with an offline root.
#
# Safe to re-run: an existing device CA is kept if it still verifies under the root. --force
# replaces key and certificate (old files kept as *.replaced-<time>).
set -euo pipefail

# The comment block at the top of this file is the help text.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CN="Vigil Development Device CA"
CSR=
DAYS=1826  # 5 years including leap days
EXTENSIONS=("basicConstraints = critical, CA:TRUE, pathlen:0" "${CA_EXTENSIONS[@]}")
rest=()
while (($#)); do
  case $1 in
    --cn) (($# >= 2)) || die "--cn needs a value"; CN=$2; shift 2 ;;
    --cn=*) CN=${1#--cn=}; shift ;;
    --csr) (($# >= 2)) || die "--csr needs a file"; CSR=$2; shift 2 ;;
    --csr=*) CSR=${1#--csr=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
parse_args "${rest[@]}"
((${#ARGS[@]} == 1)) || { usage >&2; exit 2; }
OUT=${ARGS[0]}
check_cn "$CN"

root_cert=$OUT/root-ca.pem
root_key=$OUT/root-ca.key
key=$OUT/device-ca.key
cert=$OUT/device-ca.pem
[[ -r $root_cert ]] || die "$root_cert is missing; run certs/make-dev-ca.sh $OUT first"

# Everything needed to sign, checked before --force moves anything aside.
require_root() {
  [[ -r $root_key ]] || die "$root_key is missing: the root key must be present to sign (see docs/CERTIFICATES.md for the offline procedure)"
  key_matches_cert "$root_key" "$root_cert" || die "$root_key does not belong to $root_cert"
  require_lifetime "$root_cert" "$DAYS"
}

if [[ -n $CSR ]]; then
  require_p256_request "$CSR"
  [[ ! -e $cert ]] || ((FORCE)) || die "$cert exists; use --force to replace it"
  require_root
  if ((FORCE)); then
    retire "$key"  # a local key would not match the new certificate
    retire "$cert"
  fi
  sign_request "$CSR" "$cert" "$DAYS" "$CN" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  note "signed the device CA \"$CN\" from $CSR; the key stays with the request's owner"
  echo "device CA certificate: $cert"
  exit 0
fi

if ((FORCE)); then
  require_root
  retire "$key"
  retire "$cert"
fi
if [[ -e $key ]]; then
  require_p256_key "$key"
  if [[ -e $cert ]]; then
    key_matches_cert "$key" "$cert" || die "$cert does not belong to $key; move both away or use --force"
    openssl verify -x509_strict -CAfile "$root_cert" "$cert" >/dev/null 2>&1 ||
      die "$cert does not verify under $root_cert (was the root replaced, or has it expired?); use --force to re-issue"
    note "the device CA in $OUT is already in place; kept it (--force replaces it)"
  else
    note "issuing the device CA certificate for the existing key $key"
    require_root
    issue_cert "$key" "$cert" "$DAYS" "$CN" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  fi
else
  [[ ! -e $cert ]] || die "$cert exists without $key; refusing to replace it without --force"
  require_root
  new_key "$key"
  issue_cert "$key" "$cert" "$DAYS" "$CN" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  note "created the device CA \"$CN\" in $OUT"
fi

echo "device CA certificate: $cert"
