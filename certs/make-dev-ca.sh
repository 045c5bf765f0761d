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
OPTIONS=(cn)
parse_args "$@"
((${#ARGS[@]} == 1)) || { usage >&2; exit 2; }
OUT=${ARGS[0]}
check_cn "$CN"
prepare_outdir "$OUT"

make_certificate root-ca 3652 "$CN" "the root CA" "\"$CN\"" "root certificate" \
  "basicConstraints = critical, CA:TRUE" "${CA_EXTENSIONS[@]}"  # 10 years including leap days

backup=$OUT/root-ca-backup.key
if [[ ! -e $backup ]]; then
  new_key "$backup"
  note "created the backup root key $backup: move it to separate offline storage"
fi
require_p256_key "$backup"

echo "root certificate: $CERT"
echo "pin-sha256 (primary): $(pin_of "$CERT")"
echo "pin-sha256 (backup):  $(pin_of "$backup")"
