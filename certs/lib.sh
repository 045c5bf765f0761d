# shellcheck shell=bash disable=SC2034  # FORCE, CN, CSR, CA_EXTENSIONS are used by the scripts that source this
# Shared by the make-*.sh scripts in this folder (sourced, not run). Bash, openssl CLI only.
#
# Conventions every script follows:
#  - ECDSA P-256 keys as unencrypted PKCS#8 PEM, mode 0600; certificates PEM, mode 0644.
#  - Every file appears under its final name only once complete (written to a temporary file in
#    the same folder, then renamed), so an interrupted run never leaves half a key.
#  - Existing keys are never overwritten without --force; with --force the old files are kept
#    beside the new ones as NAME.replaced-YYYYmmddTHHMMSSZ.
#  - Re-running without --force changes nothing when everything is in place, and finishes the
#    job when a key exists but its certificate does not (an interrupted run, or a key you put
#    there on purpose, e.g. the backup root key during a root rollover).
#  - Serial numbers are 128 random bits; extensions match shared/crypto/pki.cpp exactly.

FORCE=0
ARGS=()
TMPFILES=()
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

cleanup_tmpfiles() { rm -f -- "${TMPFILES[@]}"; }
trap cleanup_tmpfiles EXIT

die() { echo "$(basename "$0"): error: $*" >&2; exit 1; }
note() { echo "$(basename "$0"): $*" >&2; }

# parse_args "$@": --force and -h/--help anywhere, the rest positional into ARGS. A script that
# takes --cn NAME (into CN) or --csr REQUEST (into CSR), either also as --opt=VALUE, lists them in
# OPTIONS before calling this; any other option is refused.
OPTIONS=()
CSR=
parse_args() {
  while (($#)); do
    case $1 in
      --force) FORCE=1 ;;
      -h|--help) usage; exit 0 ;;
      --cn|--csr)
        takes_option "$1"
        (($# >= 2)) || die "$1 needs $([[ $1 == --cn ]] && echo 'a value' || echo 'a file')"
        set_option "$1" "$2"
        shift ;;
      --cn=*|--csr=*) takes_option "${1%%=*}" "$1"; set_option "${1%%=*}" "${1#*=}" ;;
      --) shift; ARGS+=("$@"); break ;;
      -*) usage >&2; die "unknown option $1" ;;
      *) ARGS+=("$1") ;;
    esac
    shift
  done
}
# takes_option --NAME [AS-GIVEN]: refused (as AS-GIVEN) unless the script lists NAME in OPTIONS.
takes_option() { [[ " ${OPTIONS[*]} " == *" ${1#--} "* ]] || { usage >&2; die "unknown option ${2:-$1}"; }; }
set_option() { if [[ $1 == --cn ]]; then CN=$2; else CSR=$2; fi; }

command -v openssl >/dev/null || die "openssl is not installed"

# check_cn NAME: 1..64 bytes, no control characters and no '/' or backslash (which -subj parses).
check_cn() {
  local LC_ALL=C
  [[ -n $1 && ${#1} -le 64 ]] || die "the common name must be 1 to 64 bytes long"
  [[ $1 != *[[:cntrl:]/\\]* ]] || die "the common name must not contain control characters, '/' or '\\'"
}

# prepare_outdir DIR: creates DIR (0700) if needed.
prepare_outdir() {
  local dir=$1
  if [[ ! -d $dir ]]; then
    (umask 077 && mkdir -p -- "$dir") || die "cannot create $dir"
  fi
  [[ -w $dir ]] || die "$dir is not writable"
}

# tmpfile FINAL: sets REPLY to a new empty 0600 file in FINAL's folder, removed on exit unless
# renamed. (Not called as $(tmpfile ...): a subshell could not record the file for clean-up.)
tmpfile() {
  REPLY=$(umask 077 && mktemp -- "$1.tmp.XXXXXX") || die "cannot create a temporary file beside $1"
  TMPFILES+=("$REPLY")
}

# install_file TMP FINAL MODE: flushed to disk, then renamed into place (same folder).
install_file() {
  chmod "$3" -- "$1"
  sync -- "$1" 2>/dev/null || true
  mv -f -- "$1" "$2"
}

# retire FILE: with --force, moves an existing FILE aside instead of deleting it.
retire() {
  if [[ -e $1 ]]; then
    [[ ! -e $1.replaced-$STAMP ]] || die "$1.replaced-$STAMP already exists; try again in a second"
    mv -- "$1" "$1.replaced-$STAMP"
    note "kept the old $(basename "$1") as $(basename "$1").replaced-$STAMP"
  fi
}

# new_key PATH: a fresh P-256 key (PKCS#8 PEM, 0600).
new_key() {
  local t
  tmpfile "$1"; t=$REPLY
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
    -out "$t" 2>/dev/null || die "key generation failed for $1"
  install_file "$t" "$1" 600
}

# random_serial: 128 random bits in the 0x... form that -set_serial takes (always positive).
random_serial() { printf '0x%s' "$(openssl rand -hex 16)"; }

# key_matches_cert KEY CERT: true when CERT carries KEY's public key.
key_matches_cert() {
  local a b
  a=$(openssl pkey -in "$1" -pubout 2>/dev/null) || return 1
  b=$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null) || return 1
  [[ -n $a && $a == "$b" ]]
}

# require_p256_key KEY: refuses keys Vigil does not use (e.g. a hand-placed RSA key).
require_p256_key() {
  openssl pkey -in "$1" -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256' ||
    die "$1 is not an unencrypted ECDSA P-256 private key"
}

# require_lifetime CERT DAYS: the issuer must stay valid for the whole life of what it signs.
require_lifetime() {
  openssl x509 -in "$1" -noout -checkend $(($2 * 86400)) >/dev/null ||
    die "$(basename "$1") expires within $2 days, so it cannot sign a certificate valid that long; rotate it first (docs/CERTIFICATES.md)"
}

# extensions_file LINES...: sets REPLY to an openssl config file holding [ext] with the given
# lines and the minimal [req] section `openssl req` insists on, so that no defaults from the
# system's openssl.cnf leak into our certificates.
extensions_file() {
  tmpfile "${TMPDIR:-/tmp}/vigil-ext"
  {
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n[ext]\n'
    printf '%s\n' "$@"
  } >"$REPLY"
}

CA_EXTENSIONS=(
  "keyUsage = critical, keyCertSign, cRLSign"
  "subjectKeyIdentifier = hash"
  "authorityKeyIdentifier = keyid:always"
)

# issue_cert KEY CERT DAYS SUBJECT_CN ISSUER_CERT ISSUER_KEY EXTENSION-LINES...
# ISSUER_CERT empty = self-signed by KEY.
issue_cert() {
  local key=$1 cert=$2 days=$3 cn=$4 issuer_cert=$5 issuer_key=$6
  shift 6
  local ext t
  if [[ -z $issuer_cert ]]; then
    extensions_file "$@"; ext=$REPLY
    tmpfile "$cert"; t=$REPLY
    openssl req -new -x509 -config "$ext" -extensions ext -key "$key" -subj "/CN=$cn" -utf8 \
      -sha256 -days "$days" -set_serial "$(random_serial)" -out "$t" 2>/dev/null ||
      die "could not create the certificate $cert"
    install_file "$t" "$cert" 644
  else
    tmpfile "$cert.csr"; t=$REPLY
    openssl req -new -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n') -key "$key" -subj "/CN=$cn" \
      -utf8 -sha256 -out "$t" 2>/dev/null || die "could not create a request for $cert"
    sign_request "$t" "$cert" "$days" "$cn" "$issuer_cert" "$issuer_key" "$@"
  fi
}

# require_p256_request CSR: a PEM request whose self-signature verifies, for an EC P-256 key.
require_p256_request() {
  [[ -r $1 ]] || die "cannot read $1"
  openssl req -in "$1" -noout -verify >/dev/null 2>&1 || die "$1 is not a certificate request whose signature verifies"
  openssl req -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -noout -text 2>/dev/null |
    grep -q 'NIST CURVE: P-256' || die "$1 is not for an ECDSA P-256 key"
}

# sign_request CSR CERT DAYS SUBJECT_CN ISSUER_CERT ISSUER_KEY EXTENSION-LINES...
# The subject is set to SUBJECT_CN whatever the request asked for, and none of the request's
# extensions are copied: only the public key is taken from it.
sign_request() {
  local csr=$1 cert=$2 days=$3 cn=$4 issuer_cert=$5 issuer_key=$6
  shift 6
  local ext t
  extensions_file "$@"; ext=$REPLY
  tmpfile "$cert"; t=$REPLY
  openssl x509 -req -in "$csr" -subj "/CN=$cn" -CA "$issuer_cert" -CAkey "$issuer_key" \
    -extfile "$ext" -extensions ext -sha256 -days "$days" -set_serial "$(random_serial)" \
    -out "$t" 2>/dev/null || die "could not sign the certificate $cert"
  install_file "$t" "$cert" 644
}

# pin_of FILE: pin-sha256 of a certificate, request, public or private key PEM.
pin_of() { "$(dirname "${BASH_SOURCE[0]}")/pin.sh" "$1"; }

# make_certificate NAME DAYS SUBJECT_CN WHAT LABEL CERT_NAME EXTENSION-LINES...
# The whole of a make-*.sh run once its arguments are checked, in one place so that the root, the
# device CA and the server certificate are kept, renewed and replaced alike. Makes OUT/NAME.key and
# OUT/NAME.pem (also left in KEY and CERT for the script), issued by ROOT_CERT and ROOT_KEY
# (use_root), or self-signed when ROOT_CERT is empty. WHAT, LABEL and CERT_NAME word the messages:
# "the device CA", "\"NAME\"" and "device CA certificate" give 'created the device CA "NAME" in
# OUT' and 'issuing the device CA certificate for the existing key ...'. A script may define
# check_kept, which vets a certificate about to be kept (its key matches already). With CSR set
# (never for the root), only the certificate is written, from the request's public key.
ROOT_CERT=
ROOT_KEY=
make_certificate() {
  KEY=$OUT/$1.key CERT=$OUT/$1.pem DAYS=$2
  local subject=$3 what=$4 label=$5 cert_name=$6
  shift 6
  if [[ -n $CSR ]]; then
    require_p256_request "$CSR"
    [[ ! -e $CERT ]] || ((FORCE)) || die "$CERT exists; use --force to replace it"
    require_issuer
    if ((FORCE)); then
      retire "$KEY"  # a local key would not match the new certificate
      retire "$CERT"
    fi
    sign_request "$CSR" "$CERT" "$DAYS" "$subject" "$ROOT_CERT" "$ROOT_KEY" "$@"
    note "signed $what $label from $CSR; the key stays with the request's owner"
    return
  fi

  if ((FORCE)); then
    require_issuer
    retire "$KEY"
    retire "$CERT"
  fi
  if [[ -e $KEY ]]; then
    require_p256_key "$KEY"
    if [[ -e $CERT ]]; then
      key_matches_cert "$KEY" "$CERT" || die "$CERT does not belong to $KEY; move both away or use --force"
      if declare -F check_kept >/dev/null; then check_kept; fi
      note "$what in $OUT is already in place; kept it (--force replaces it)"
    else
      note "issuing the $cert_name for the existing key $KEY"
      require_issuer
      issue_cert "$KEY" "$CERT" "$DAYS" "$subject" "$ROOT_CERT" "$ROOT_KEY" "$@"
    fi
  else
    local hint=
    [[ -n $ROOT_CERT ]] || hint=" (is the key kept offline?)"
    [[ ! -e $CERT ]] || die "$CERT exists without $KEY$hint; refusing to replace it without --force"
    require_issuer
    new_key "$KEY"
    issue_cert "$KEY" "$CERT" "$DAYS" "$subject" "$ROOT_CERT" "$ROOT_KEY" "$@"
    note "created $what $label in $OUT"
  fi
}

# require_issuer: everything needed to sign under ROOT_CERT, checked before --force moves anything
# aside. Nothing to check for the self-signed root.
require_issuer() {
  [[ -n $ROOT_CERT ]] || return 0
  [[ -r $ROOT_KEY ]] || die "$ROOT_KEY is missing: the root key must be present to sign (see docs/CERTIFICATES.md for the offline procedure)"
  key_matches_cert "$ROOT_KEY" "$ROOT_CERT" || die "$ROOT_KEY does not belong to $ROOT_CERT"
  require_lifetime "$ROOT_CERT" "$DAYS"
}

# use_root OUT: the issuer for the certificates the root signs.
use_root() {
  ROOT_CERT=$1/root-ca.pem
  ROOT_KEY=$1/root-ca.key
  [[ -r $ROOT_CERT ]] || die "$ROOT_CERT is missing; run certs/make-dev-ca.sh $1 first"
}
