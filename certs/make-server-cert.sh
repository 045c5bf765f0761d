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

DAYS=365
CSR=
rest=()
while (($#)); do
  case $1 in
    --csr) (($# >= 2)) || die "--csr needs a file"; CSR=$2; shift 2 ;;
    --csr=*) CSR=${1#--csr=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
parse_args "${rest[@]}"
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
EXTENSIONS=(
  "basicConstraints = critical, CA:FALSE"
  "keyUsage = critical, digitalSignature"
  "extendedKeyUsage = serverAuth"
  "subjectKeyIdentifier = hash"
  "authorityKeyIdentifier = keyid:always"
  "subjectAltName = $san"
)

root_cert=$OUT/root-ca.pem
root_key=$OUT/root-ca.key
key=$OUT/server.key
cert=$OUT/server.pem
[[ -r $root_cert ]] || die "$root_cert is missing; run certs/make-dev-ca.sh $OUT first"

# Everything needed to sign, checked before --force moves anything aside.
require_root() {
  [[ -r $root_key ]] || die "$root_key is missing: the root key must be present to sign (see docs/CERTIFICATES.md)"
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
  sign_request "$CSR" "$cert" "$DAYS" "$HOST" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  note "signed the server certificate for $san from $CSR; the key stays with the request's owner"
  echo "server certificate: $cert ($san)"
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
    openssl verify -x509_strict -purpose sslserver -CAfile "$root_cert" "$cert" >/dev/null 2>&1 ||
      die "$cert does not verify under $root_cert (replaced root, or expired?); use --force to re-issue"
    openssl x509 -in "$cert" -noout -checkhost "$HOST" | grep -q 'does match' ||
      die "$cert is not for $HOST; use --force to replace it"
    if [[ -n $IP ]]; then
      openssl x509 -in "$cert" -noout -checkip "$IP" | grep -q 'does match' ||
        die "$cert is not for $IP; use --force to replace it"
    fi
    openssl x509 -in "$cert" -noout -checkend $((30 * 86400)) >/dev/null ||
      note "warning: $cert expires within 30 days; renew it with --force"
    note "the server certificate in $OUT is already in place; kept it (--force replaces it)"
  else
    note "issuing the server certificate for the existing key $key"
    require_root
    issue_cert "$key" "$cert" "$DAYS" "$HOST" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  fi
else
  [[ ! -e $cert ]] || die "$cert exists without $key; refusing to replace it without --force"
  require_root
  new_key "$key"
  issue_cert "$key" "$cert" "$DAYS" "$HOST" "$root_cert" "$root_key" "${EXTENSIONS[@]}"
  note "created the server certificate for $san in $OUT"
fi

echo "server certificate: $cert ($san)"
