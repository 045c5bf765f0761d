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
OPTIONS=(cn csr)
parse_args "$@"
((${#ARGS[@]} == 1)) || { usage >&2; exit 2; }
OUT=${ARGS[0]}
check_cn "$CN"
use_root "$OUT"

check_kept() {
  openssl verify -x509_strict -CAfile "$ROOT_CERT" "$CERT" >/dev/null 2>&1 ||
    die "$CERT does not verify under $ROOT_CERT (was the root replaced, or has it expired?); use --force to re-issue"
}

make_certificate device-ca 1826 "$CN" "the device CA" "\"$CN\"" "device CA certificate" \
  "basicConstraints = critical, CA:TRUE, pathlen:0" "${CA_EXTENSIONS[@]}"  # 5 years including leap days

echo "device CA certificate: $CERT"
