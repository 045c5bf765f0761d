#!/usr/bin/env bash
# Creates the sync server's TLS certificate: an ECDSA P-256 key and a certificate signed by the
# root CA in the same folder, for serverAuth, with the host name (and optionally an IP address) in
# subjectAltName, valid for 1 year.
#
#   certs/make-server-cert.sh [--force] OUTDIR HOSTNAME [IP]
#   certs/make-server-cert.sh [--force] --csr REQUEST OUTDIR HOSTNAME [IP]
#
# Needs OUTDIR/root-ca.pem and OUTDIR/root-ca.key (certs/make-dev-ca.sh). Writes
# OUTDIR/server.key (0600) and OUTDIR/server.pem. For local development:
#   certs/make-server-cert.sh dev-certs localhost 127.0.0.1
#
# With --csr, the key stays on the server that made REQUEST and only server.pem is written (the
# production procedure with an offline root). The names always come from HOSTNAME and IP, never
# from the request.
#
# Safe to re-run: an existing certificate is kept if it verifies under the root and matches
# HOSTNAME and IP (a warning is printed within 30 days of expiry). --force replaces key and
# certificate (old files kept as *.replaced-<time>): the yearly renewal.
set -euo pipefail

# The comment block at the top of this file is the help text.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPTIONS=(csr)
parse_args "$@"
((${#ARGS[@]} == 2 || ${#ARGS[@]} == 3)) || { usage >&2; exit 2; }
OUT=${ARGS[0]}
HOST=${ARGS[1]}
IP=${ARGS[2]:-}

label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
[[ ${#HOST} -le 253 && $HOST =~ ^$label(\.$label)*$ ]] || die "\"$HOST\" is not a valid host name"
if [[ -n $IP ]]; then
  [[ $IP =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || ($IP == *:* && $IP =~ ^[0-9A-Fa-f:.]+$) ]] ||
    die "\"$IP\" is not an IPv4 or IPv6 address"
fi
san="DNS:$HOST${IP:+, IP:$IP}"
use_root "$OUT"

check_kept() {
  openssl verify -x509_strict -purpose sslserver -CAfile "$ROOT_CERT" "$CERT" >/dev/null 2>&1 ||
    die "$CERT does not verify under $ROOT_CERT (replaced root, or expired?); use --force to re-issue"
  openssl x509 -in "$CERT" -noout -checkhost "$HOST" | grep -q 'does match' ||
    die "$CERT is not for $HOST; use --force to replace it"
  if [[ -n $IP ]]; then
    openssl x509 -in "$CERT" -noout -checkip "$IP" | grep -q 'does match' ||
      die "$CERT is not for $IP; use --force to replace it"
  fi
  openssl x509 -in "$CERT" -noout -checkend $((30 * 86400)) >/dev/null ||
    note "warning: $CERT expires within 30 days; renew it with --force"
}

make_certificate server 365 "$HOST" "the server certificate" "for $san" "server certificate" \
  "basicConstraints = critical, CA:FALSE" \
  "keyUsage = critical, digitalSignature" \
  "extendedKeyUsage = serverAuth" \
  "subjectKeyIdentifier = hash" \
  "authorityKeyIdentifier = keyid:always" \
  "subjectAltName = $san"

echo "server certificate: $CERT ($san)"
