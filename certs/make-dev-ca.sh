#!/usr/bin/env bash
# Creates the root CA: an ECDSA P-256 key and a self-signed certificate valid for 10 years, plus a
# backup root key (no certificate) whose pin ships in the client beside the primary one.
#
#   certs/make-dev-ca.sh [--force] [--cn NAME] OUTDIR
#
# Writes OUTDIR/root-ca.key (0600), OUTDIR/root-ca.pem, OUTDIR/root-ca-backup.key (0600) and
# prints both pins. NAME defaults to "Vigil Development Root CA".
#
# Safe to re-run: an existing root is kept (and checked); a root-ca.key without a certificate gets
# one (this is also how a root rollover promotes the backup key, see docs/CERTIFICATES.md).
# --force replaces the root key and certificate (old files kept as *.replaced-<time>); the backup
# key is never replaced by this script. Everything signed by the old root must then be re-issued.
set -euo pipefail

# The comment block at the top of this file is the help text.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CN="Vigil Development Root CA"
DAYS=3652  # 10 years including leap days
rest=()
while (($#)); do
  case $1 in
    --cn) (($# >= 2)) || die "--cn needs a value"; CN=$2; shift 2 ;;
    --cn=*) CN=${1#--cn=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
parse_args "${rest[@]}"
((${#ARGS[@]} == 1)) || { usage >&2; exit 2; }
OUT=${ARGS[0]}
check_cn "$CN"
prepare_outdir "$OUT"

key=$OUT/root-ca.key
cert=$OUT/root-ca.pem
backup=$OUT/root-ca-backup.key

if ((FORCE)); then
  retire "$key"
  retire "$cert"
fi
if [[ -e $key ]]; then
  require_p256_key "$key"
  if [[ -e $cert ]]; then
    key_matches_cert "$key" "$cert" || die "$cert does not belong to $key; move both away or use --force"
    note "the root CA in $OUT is already in place; kept it (--force replaces it)"
  else
    note "issuing the root certificate for the existing key $key"
    issue_cert "$key" "$cert" "$DAYS" "$CN" "" "" "basicConstraints = critical, CA:TRUE" "${CA_EXTENSIONS[@]}"
  fi
else
  [[ ! -e $cert ]] || die "$cert exists without $key (is the key kept offline?); refusing to replace it without --force"
  new_key "$key"
  issue_cert "$key" "$cert" "$DAYS" "$CN" "" "" "basicConstraints = critical, CA:TRUE" "${CA_EXTENSIONS[@]}"
  note "created the root CA \"$CN\" in $OUT"
fi

if [[ ! -e $backup ]]; then
  new_key "$backup"
  note "created the backup root key $backup: move it to separate offline storage"
fi
require_p256_key "$backup"

echo "root certificate: $cert"
echo "pin-sha256 (primary): $(pin_of "$cert")"
echo "pin-sha256 (backup):  $(pin_of "$backup")"
