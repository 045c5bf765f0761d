#include "shared/crypto/pki.hpp"

#include <chrono>
#include <climits>
#include <ctime>
#include <memory>
#include <optional>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "shared/core/bytes.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"

namespace vigil::crypto {
namespace {

// --- RAII --------------------------------------------------------------------------------------

struct Deleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }  // wipes a private key
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }  // a secmem BIO wipes its buffer
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(X509_REQ* p) const noexcept { X509_REQ_free(p); }
  void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509)* p) const noexcept { sk_X509_pop_free(p, X509_free); }
  void operator()(GENERAL_NAME* p) const noexcept { GENERAL_NAME_free(p); }
  void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
  void operator()(ASN1_STRING* p) const noexcept { ASN1_STRING_free(p); }  // also IA5, INTEGER, OCTET
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
// Buffers OpenSSL allocates for us (i2d output, UTF-8 conversions).
struct OpensslFree {
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter>;
using BioPtr = std::unique_ptr<BIO, Deleter>;
using X509Ptr = std::unique_ptr<X509, Deleter>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), Deleter>;
using GenNamePtr = std::unique_ptr<GENERAL_NAME, Deleter>;
using GenNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter>;
using OsslBytesPtr = std::unique_ptr<unsigned char, OpensslFree>;

// --- limits ------------------------------------------------------------------------------------

constexpr std::size_t k_max_common_name = 64;  // RFC 5280 ub-common-name
constexpr std::size_t k_max_dns_name = 253;
constexpr std::size_t k_max_uri = 2048;
constexpr int k_max_path_length = 8;
constexpr std::size_t k_serial_bytes = 16;  // 128 random bits; DER adds a 0x00 when the top bit is set
// 9999-12-31T23:59:59Z, the last instant an RFC 5280 GeneralizedTime can name.
constexpr std::int64_t k_max_unix_time = 253'402'300'799;

// --- PEM in and out ----------------------------------------------------------------------------

// Never prompt on a terminal for a passphrase: encrypted PEM is simply unreadable here.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

// A read-only BIO over `text`; OpenSSL reads the caller's memory without copying it.
Result<BioPtr> read_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(Errc::invalid_argument, "PEM input is too large");
  }
  // BIO_new_mem_buf rejects a null pointer, which an empty string_view may carry.
  const char* data = text.empty() ? "" : text.data();
  BioPtr bio(BIO_new_mem_buf(data, static_cast<int>(text.size())));
  if (!bio) return detail::openssl_fail(Errc::crypto, "out of memory reading PEM");
  return bio;
}

Result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n < 0 || (n > 0 && data == nullptr)) {
    return detail::openssl_fail(Errc::crypto, "PEM output could not be read back");
  }
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::string> public_pem_of(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return detail::openssl_fail(Errc::crypto, "the public key could not be written as PEM");
  }
  return bio_text(bio.get());
}

Result<PkeyPtr> read_public_key(std::string_view pem, const std::string& what) {
  auto bio = read_bio(pem);
  if (!bio) return fail(std::move(bio).error());
  PkeyPtr key(PEM_read_bio_PUBKEY_ex(bio->get(), nullptr, no_passphrase, nullptr, nullptr, nullptr));
  if (!key) return detail::openssl_fail(Errc::invalid_argument, what + " is not a readable public key PEM");
  return key;
}

Result<PkeyPtr> read_private_key(const SecretBytes& pem, const std::string& what) {
  auto bio = read_bio(as_chars(view(pem)));
  if (!bio) return fail(std::move(bio).error());
  PkeyPtr key(PEM_read_bio_PrivateKey_ex(bio->get(), nullptr, no_passphrase, nullptr, nullptr, nullptr));
  if (!key) {
    return detail::openssl_fail(Errc::invalid_argument,
                                what + " is not a readable private key PEM (encrypted keys are not supported)");
  }
  return key;
}

Result<X509Ptr> read_first_certificate(std::string_view pem, const std::string& what) {
  auto bio = read_bio(pem);
  if (!bio) return fail(std::move(bio).error());
  X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, no_passphrase, nullptr));
  if (!cert) return detail::openssl_fail(Errc::invalid_argument, what + " is not a readable certificate PEM");
  return cert;
}

bool is_blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Every certificate in `pem`, in order. Blank input gives an empty stack; other input without a
// single certificate, or a damaged one among them, is an error.
Result<CertStackPtr> read_all_certificates(std::string_view pem, const std::string& what) {
  CertStackPtr certs(sk_X509_new_null());
  if (!certs) return detail::openssl_fail(Errc::crypto, "out of memory reading certificates");
  auto bio = read_bio(pem);
  if (!bio) return fail(std::move(bio).error());
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, no_passphrase, nullptr));
    if (!cert) {
      // Running out of PEM blocks is reported as "no start line"; anything else is damage.
      const unsigned long err = ERR_peek_last_error();
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      return detail::openssl_fail(Errc::invalid_argument, what + " contain a damaged certificate");
    }
    if (sk_X509_push(certs.get(), cert.get()) <= 0) return detail::openssl_fail(Errc::crypto, "out of memory");
    static_cast<void>(cert.release());  // the stack owns it now
  }
  if (sk_X509_num(certs.get()) == 0 && !is_blank(pem)) {
    return fail(Errc::invalid_argument, what + " contain no certificate PEM");
  }
  return certs;
}

// --- keys --------------------------------------------------------------------------------------

// Vigil uses one key type throughout; anything else is refused with its name in the message.
Status require_p256(const EVP_PKEY* key, const std::string& what) {
  if (EVP_PKEY_is_a(key, "EC") != 1) {
    const char* type = EVP_PKEY_get0_type_name(key);
    return fail(Errc::invalid_argument, what + " is " + (type != nullptr ? type : "of an unknown type") +
                                            "; Vigil requires an EC P-256 key");
  }
  char group[80] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 || OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
    ERR_clear_error();
    return fail(Errc::invalid_argument, what + " is an EC key on " +
                                            (group[0] != '\0' ? group : "explicit parameters") +
                                            "; Vigil requires the named curve P-256");
  }
  return {};
}

// Full public-key validation (point on the curve, not infinity, right order) for keys that
// arrive from outside.
Status require_valid_public(EVP_PKEY* key, const std::string& what) {
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return detail::openssl_fail(Errc::crypto, "out of memory checking a public key");
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    return detail::openssl_fail(Errc::invalid_argument, what + " is not a valid P-256 public key");
  }
  return {};
}

Result<Bytes> spki_der(EVP_PKEY* key) {
  unsigned char* raw = nullptr;
  const int n = i2d_PUBKEY(key, &raw);
  const OsslBytesPtr owned(raw);
  if (n <= 0) return detail::openssl_fail(Errc::crypto, "the public key could not be encoded");
  return Bytes(raw, raw + n);
}

std::string pin_of(ByteView spki) {
  const Digest digest = sha256(spki);
  return to_base64(digest);
}

Result<std::string> pin_of_certificate(X509* cert) {
  unsigned char* raw = nullptr;
  // The key bytes exactly as they appear in the certificate, as TLS libraries hash them.
  const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &raw);
  const OsslBytesPtr owned(raw);
  if (n <= 0) return detail::openssl_fail(Errc::crypto, "the certificate's public key could not be encoded");
  return pin_of(ByteView(raw, static_cast<std::size_t>(n)));
}

// --- names -------------------------------------------------------------------------------------

Status check_common_name(std::string_view cn) {
  if (cn.empty() || cn.size() > k_max_common_name) {
    return fail(Errc::invalid_argument, "the common name must be 1 to 64 bytes long");
  }
  for (const char c : cn) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return fail(Errc::invalid_argument, "the common name must not contain control characters");
    }
  }
  return {};
}

Result<NamePtr> cn_name(std::string_view cn) {
  VIGIL_TRY(check_common_name(cn));
  NamePtr name(X509_NAME_new());
  if (!name) return detail::openssl_fail(Errc::crypto, "out of memory building a name");
  if (X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()), static_cast<int>(cn.size()),
                                 -1, 0) != 1) {
    return detail::openssl_fail(Errc::invalid_argument, "the common name is not valid UTF-8");
  }
  return name;
}

// The common names in `name` (usually one), as UTF-8.
Result<std::vector<std::string>> common_names(const X509_NAME* name) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, data);
    const OsslBytesPtr owned(utf8);
    if (n < 0) return detail::openssl_fail(Errc::invalid_argument, "a common name could not be decoded");
    out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  }
  return out;
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Letters, digits and hyphens in dot-separated labels of 1..63 characters (no hyphen at either
// end); a wildcard only as the whole first label.
bool valid_dns_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > k_max_dns_name) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

// "scheme:rest": a scheme of letters, digits, '+', '-', '.' starting with a letter, then
// printable ASCII without spaces.
bool valid_uri(std::string_view uri) noexcept {
  if (uri.empty() || uri.size() > k_max_uri) return false;
  const std::size_t colon = uri.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == uri.size()) return false;
  const char first = uri.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = uri[i];
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (const char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

Status push_name(GENERAL_NAMES* names, int type, Asn1StringPtr value) {
  GenNamePtr name(GENERAL_NAME_new());
  if (!name) return detail::openssl_fail(Errc::crypto, "out of memory building subjectAltName");
  GENERAL_NAME_set0_value(name.get(), type, value.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return detail::openssl_fail(Errc::crypto, "out of memory");
  static_cast<void>(name.release());  // the stack owns it now
  return {};
}

Result<Asn1StringPtr> ia5(std::string_view text) {
  Asn1StringPtr s(ASN1_IA5STRING_new());
  if (!s || ASN1_STRING_set(s.get(), text.data(), static_cast<int>(text.size())) != 1) {
    return detail::openssl_fail(Errc::crypto, "out of memory building subjectAltName");
  }
  return s;
}

Status add_subject_alt_names(X509* cert, const CertificateSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty() && spec.uris.empty()) return {};
  const GenNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return detail::openssl_fail(Errc::crypto, "out of memory building subjectAltName");
  for (const std::string& dns : spec.dns_names) {
    if (!valid_dns_name(dns)) return fail(Errc::invalid_argument, "\"" + dns + "\" is not a valid DNS name");
    auto value = ia5(dns);
    if (!value) return fail(std::move(value).error());
    VIGIL_TRY(push_name(names.get(), GEN_DNS, std::move(*value)));
  }
  for (const std::string& ip : spec.ip_addresses) {
    Asn1StringPtr value(a2i_IPADDRESS(ip.c_str()));
    if (!value || ip.find('\0') != std::string::npos) {
      ERR_clear_error();
      return fail(Errc::invalid_argument, "\"" + ip + "\" is not an IPv4 or IPv6 address");
    }
    VIGIL_TRY(push_name(names.get(), GEN_IPADD, std::move(value)));
  }
  for (const std::string& uri : spec.uris) {
    if (!valid_uri(uri)) return fail(Errc::invalid_argument, "\"" + uri + "\" is not a valid URI");
    auto value = ia5(uri);
    if (!value) return fail(std::move(value).error());
    VIGIL_TRY(push_name(names.get(), GEN_URI, std::move(*value)));
  }
  // Not critical: the subject always carries a CN (RFC 5280 4.2.1.6).
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return detail::openssl_fail(Errc::crypto, "subjectAltName could not be added");
  }
  return {};
}

// An extension from OpenSSL's config syntax. Only fixed strings reach here (plus a pathlen
// number we formatted), never caller text, so nothing can be smuggled into the syntax.
Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  const ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return detail::openssl_fail(Errc::crypto,
                                std::string("the ") + OBJ_nid2sn(nid) + " extension could not be added");
  }
  return {};
}

// --- time --------------------------------------------------------------------------------------

std::optional<std::int64_t> unix_time_of(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  using namespace std::chrono;
  const sys_days day{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                     std::chrono::day{static_cast<unsigned>(tm.tm_mday)}};
  return duration_cast<seconds>(day.time_since_epoch()).count() + std::int64_t{tm.tm_hour} * 3600 +
         std::int64_t{tm.tm_min} * 60 + std::int64_t{tm.tm_sec};
}

Status set_time(ASN1_TIME* field, std::int64_t unix_time) {
  // ASN1_TIME_set picks UTCTime up to 2049 and GeneralizedTime after, as RFC 5280 requires.
  if (ASN1_TIME_set(field, static_cast<std::time_t>(unix_time)) == nullptr) {
    return detail::openssl_fail(Errc::crypto, "a validity time could not be set");
  }
  return {};
}

// --- serials -----------------------------------------------------------------------------------

Status set_random_serial(X509* cert) {
  BnPtr serial;
  do {  // zero is not a valid serial; 2^-128 odds, but cheap to rule out
    auto random = random_bytes(k_serial_bytes);
    if (!random) return fail(std::move(random).error());
    serial.reset(BN_bin2bn(random->data(), static_cast<int>(random->size()), nullptr));
    if (!serial) return detail::openssl_fail(Errc::crypto, "out of memory building a serial number");
  } while (BN_is_zero(serial.get()));
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return detail::openssl_fail(Errc::crypto, "the serial number could not be set");
  }
  return {};
}

std::string serial_hex_of(const ASN1_INTEGER* serial) {
  ByteView magnitude(ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial)));
  while (magnitude.size() > 1 && magnitude.front() == 0) magnitude = magnitude.subspan(1);
  std::string hex = magnitude.empty() ? "00" : to_hex(magnitude);
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) hex.insert(0, "-");
  return hex;
}

// --- issuing checks ----------------------------------------------------------------------------

Status check_spec(const CertificateSpec& spec) {
  VIGIL_TRY(check_common_name(spec.common_name));
  const bool wants_ca = spec.use == CertificateSpec::Use::ca;
  if (spec.is_ca != wants_ca) {
    return fail(Errc::invalid_argument, "is_ca must be true exactly when use is ca");
  }
  if (spec.path_length < -1 || spec.path_length > k_max_path_length) {
    return fail(Errc::invalid_argument, "path_length must be -1 (no limit) or 0 to 8");
  }
  if (!spec.is_ca && spec.path_length != -1) {
    return fail(Errc::invalid_argument, "path_length applies only to CA certificates");
  }
  if (spec.not_before_unix < 0 || spec.not_after_unix > k_max_unix_time) {
    return fail(Errc::invalid_argument, "validity must lie between 1970 and the end of 9999");
  }
  if (spec.not_after_unix <= spec.not_before_unix) {
    return fail(Errc::invalid_argument, "not_after must be later than not_before");
  }
  return {};
}

// The issuer certificate must be able to sign what we are about to issue, with this key.
Status check_issuer(X509* issuer, EVP_PKEY* issuer_key, const CertificateSpec& spec) {
  const std::uint32_t flags = X509_get_extension_flags(issuer);
  if ((flags & EXFLAG_INVALID) != 0) {
    return fail(Errc::invalid_argument, "the issuer certificate has invalid extensions");
  }
  if ((flags & EXFLAG_CA) == 0 || (X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN) == 0) {
    return fail(Errc::invalid_argument, "the issuer certificate is not a CA allowed to sign certificates");
  }
  if (spec.is_ca && X509_get_pathlen(issuer) == 0) {
    return fail(Errc::invalid_argument, "the issuer has path length 0 and cannot issue CA certificates");
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(issuer), issuer_key) != 1) {
    ERR_clear_error();
    return fail(Errc::invalid_argument, "the issuer private key does not belong to the issuer certificate");
  }
  const auto issuer_not_after = unix_time_of(X509_get0_notAfter(issuer));
  if (!issuer_not_after) {
    return detail::openssl_fail(Errc::invalid_argument, "the issuer certificate's notAfter is unreadable");
  }
  if (spec.not_after_unix > *issuer_not_after) {
    return fail(Errc::invalid_argument,
                "the certificate would outlive its issuer (not_after is after the issuer's notAfter)");
  }
  return {};
}

}  // namespace

// --- keys --------------------------------------------------------------------------------------

Result<KeyPairPem> p256_generate() {
  const PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return detail::openssl_fail(Errc::crypto, "P-256 key generation failed");
  // Secure-memory BIO: its buffer (and every buffer it outgrows) is wiped when freed.
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return detail::openssl_fail(Errc::crypto, "the private key could not be written as PEM");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  if (n <= 0 || data == nullptr) {
    return detail::openssl_fail(Errc::crypto, "the private key PEM could not be read back");
  }
  KeyPairPem out;
  out.private_pem = to_secret(as_bytes(std::string_view(data, static_cast<std::size_t>(n))));
  auto pub = public_pem_of(key.get());
  if (!pub) return fail(std::move(pub).error());
  out.public_pem = std::move(*pub);
  return out;
}

// --- certificate signing requests --------------------------------------------------------------

Result<std::string> make_csr(const SecretBytes& private_pem, std::string_view common_name) {
  auto key = read_private_key(private_pem, "the private key");
  if (!key) return fail(std::move(key).error());
  VIGIL_TRY(require_p256(key->get(), "the private key"));
  auto name = cn_name(common_name);
  if (!name) return fail(std::move(name).error());

  const ReqPtr req(X509_REQ_new_ex(nullptr, nullptr));
  if (!req) return detail::openssl_fail(Errc::crypto, "out of memory building a request");
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name->get()) != 1 || X509_REQ_set_pubkey(req.get(), key->get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the request could not be built");
  }
  if (X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) {
    return detail::openssl_fail(Errc::crypto, "the request could not be signed");
  }
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the request could not be written as PEM");
  }
  return bio_text(bio.get());
}

Result<CsrInfo> parse_csr(std::string_view pem, std::size_t max_len) {
  // 1. Bounded input: this arrives from the network before anyone is authenticated.
  if (pem.size() > max_len) {
    return fail(Errc::invalid_argument,
                "the certificate request is larger than " + std::to_string(max_len) + " bytes");
  }
  auto bio = read_bio(pem);
  if (!bio) return fail(std::move(bio).error());
  const ReqPtr req(PEM_read_bio_X509_REQ(bio->get(), nullptr, no_passphrase, nullptr));
  if (!req) {
    return detail::openssl_fail(Errc::invalid_argument, "the certificate request is not a readable PEM request");
  }
  if (X509_REQ_get_version(req.get()) != X509_REQ_VERSION_1) {
    return fail(Errc::invalid_argument, "the certificate request has an unknown version");
  }

  // 2. The key: EC P-256, a valid point.
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) {
    return detail::openssl_fail(Errc::invalid_argument, "the certificate request's public key is unreadable");
  }
  VIGIL_TRY(require_p256(key, "the certificate request's key"));
  VIGIL_TRY(require_valid_public(key, "the certificate request's key"));

  // 3. Proof of possession: ECDSA with a SHA-2 digest, verifying under the request's own key.
  const int sig_nid = X509_REQ_get_signature_nid(req.get());
  if (sig_nid != NID_ecdsa_with_SHA256 && sig_nid != NID_ecdsa_with_SHA384 && sig_nid != NID_ecdsa_with_SHA512) {
    return fail(Errc::invalid_argument, std::string("the certificate request is signed with ") +
                                            (sig_nid != NID_undef ? OBJ_nid2sn(sig_nid) : "an unknown algorithm") +
                                            "; ECDSA with SHA-256 is required");
  }
  if (X509_REQ_verify(req.get(), key) != 1) {
    return detail::openssl_fail(Errc::invalid_argument, "the certificate request's signature does not verify");
  }

  // 4. Exactly one common name, without control characters or embedded NULs.
  auto names = common_names(X509_REQ_get_subject_name(req.get()));
  if (!names) return fail(std::move(names).error());
  if (names->size() != 1) {
    return fail(Errc::invalid_argument, "the certificate request must name exactly one common name");
  }
  VIGIL_TRY(check_common_name(names->front()));

  auto public_pem = public_pem_of(key);
  if (!public_pem) return fail(std::move(public_pem).error());
  return CsrInfo{std::move(names->front()), std::move(*public_pem)};
}

// --- issuing -----------------------------------------------------------------------------------

Result<std::string> issue_certificate(const CertificateSpec& spec, std::string_view subject_public_pem,
                                      std::string_view issuer_cert_pem, const SecretBytes& issuer_private_pem) {
  VIGIL_TRY(check_spec(spec));
  auto subject_key = read_public_key(subject_public_pem, "the subject public key");
  if (!subject_key) return fail(std::move(subject_key).error());
  VIGIL_TRY(require_p256(subject_key->get(), "the subject public key"));
  VIGIL_TRY(require_valid_public(subject_key->get(), "the subject public key"));
  auto issuer_key = read_private_key(issuer_private_pem, "the issuer private key");
  if (!issuer_key) return fail(std::move(issuer_key).error());
  VIGIL_TRY(require_p256(issuer_key->get(), "the issuer private key"));

  const bool self_signed = issuer_cert_pem.empty();
  X509Ptr issuer;
  if (self_signed) {
    if (EVP_PKEY_eq(subject_key->get(), issuer_key->get()) != 1) {
      ERR_clear_error();
      return fail(Errc::invalid_argument, "a self-signed certificate needs the subject key's own private key");
    }
  } else {
    auto parsed = read_first_certificate(issuer_cert_pem, "the issuer certificate");
    if (!parsed) return fail(std::move(parsed).error());
    issuer = std::move(*parsed);
    VIGIL_TRY(check_issuer(issuer.get(), issuer_key->get(), spec));
  }
  auto subject = cn_name(spec.common_name);
  if (!subject) return fail(std::move(subject).error());

  const X509Ptr cert(X509_new_ex(nullptr, nullptr));
  if (!cert) return detail::openssl_fail(Errc::crypto, "out of memory building a certificate");
  // Version, serial, names, validity and key.
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return detail::openssl_fail(Errc::crypto, "the certificate version could not be set");
  }
  VIGIL_TRY(set_random_serial(cert.get()));
  if (X509_set_subject_name(cert.get(), subject->get()) != 1 ||
      X509_set_issuer_name(cert.get(), self_signed ? subject->get() : X509_get_subject_name(issuer.get())) != 1) {
    return detail::openssl_fail(Errc::crypto, "the certificate names could not be set");
  }
  VIGIL_TRY(set_time(X509_getm_notBefore(cert.get()), spec.not_before_unix));
  VIGIL_TRY(set_time(X509_getm_notAfter(cert.get()), spec.not_after_unix));
  if (X509_set_pubkey(cert.get(), subject_key->get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the certificate key could not be set");
  }

  // Extensions. The SKI must exist before the AKI: for a self-signed certificate the AKI copies it.
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, self_signed ? cert.get() : issuer.get(), cert.get(), nullptr, nullptr, 0);
  if (X509V3_set_issuer_pkey(&ctx, issuer_key->get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the issuer key could not be used for the extensions");
  }
  std::string basic = "critical,CA:FALSE";
  if (spec.is_ca) {
    basic = "critical,CA:TRUE";
    if (spec.path_length >= 0) basic += ",pathlen:" + std::to_string(spec.path_length);
  }
  VIGIL_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, basic));
  VIGIL_TRY(add_extension(cert.get(), &ctx, NID_key_usage,
                          spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  if (spec.use == CertificateSpec::Use::server) {
    VIGIL_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
  } else if (spec.use == CertificateSpec::Use::client) {
    VIGIL_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage, "clientAuth"));
  }
  VIGIL_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  VIGIL_TRY(add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  VIGIL_TRY(add_subject_alt_names(cert.get(), spec));

  if (X509_sign(cert.get(), issuer_key->get(), EVP_sha256()) <= 0) {
    return detail::openssl_fail(Errc::crypto, "the certificate could not be signed");
  }
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the certificate could not be written as PEM");
  }
  return bio_text(bio.get());
}

// --- reading certificates ----------------------------------------------------------------------

Result<CertificateInfo> parse_certificate(std::string_view pem) {
  auto cert = read_first_certificate(pem, "the certificate");
  if (!cert) return fail(std::move(cert).error());
  X509* x = cert->get();
  const std::uint32_t flags = X509_get_extension_flags(x);  // also decodes and caches the extensions
  if ((flags & EXFLAG_INVALID) != 0) return fail(Errc::invalid_argument, "the certificate has invalid extensions");

  CertificateInfo info;
  auto names = common_names(X509_get_subject_name(x));
  if (!names) return fail(std::move(names).error());
  if (!names->empty()) info.common_name = std::move(names->front());
  info.serial_hex = serial_hex_of(X509_get0_serialNumber(x));
  const auto not_before = unix_time_of(X509_get0_notBefore(x));
  const auto not_after = unix_time_of(X509_get0_notAfter(x));
  if (!not_before || !not_after) {
    return detail::openssl_fail(Errc::invalid_argument, "the certificate's validity is unreadable");
  }
  info.not_before_unix = *not_before;
  info.not_after_unix = *not_after;
  info.is_ca = (flags & EXFLAG_CA) != 0;

  int crit = 0;
  const GenNamesPtr alt(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &crit, nullptr)));
  if (!alt && crit != -1) {
    return detail::openssl_fail(Errc::invalid_argument, "the certificate's subjectAltName is unreadable");
  }
  for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt.get()); ++i) {
    int type = 0;
    const auto* value =
        static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(alt.get(), i), &type));
    if (type != GEN_DNS && type != GEN_URI) continue;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
    (type == GEN_DNS ? info.dns_names : info.uris).push_back(std::move(text));
  }

  auto pin = pin_of_certificate(x);
  if (!pin) return fail(std::move(pin).error());
  info.spki_pin = std::move(*pin);
  return info;
}

// --- pins --------------------------------------------------------------------------------------

std::string spki_pin_of_public_key(std::string_view public_pem) {
  auto key = read_public_key(public_pem, "the public key");
  if (!key) return {};
  auto der = spki_der(key->get());
  if (!der) return {};
  return pin_of(*der);
}

Result<std::string> spki_pin_of_certificate(std::string_view cert_pem) {
  auto cert = read_first_certificate(cert_pem, "the certificate");
  if (!cert) return fail(std::move(cert).error());
  return pin_of_certificate(cert->get());
}

// --- verification ------------------------------------------------------------------------------

Status verify_certificate_chain(std::string_view leaf_pem, std::string_view intermediates_pem,
                                std::string_view root_pem, std::int64_t at_unix, bool client_purpose) {
  auto leaf = read_first_certificate(leaf_pem, "the leaf certificate");
  if (!leaf) return fail(std::move(leaf).error());
  auto intermediates = read_all_certificates(intermediates_pem, "the intermediate certificates");
  if (!intermediates) return fail(std::move(intermediates).error());
  auto roots = read_all_certificates(root_pem, "the root certificates");
  if (!roots) return fail(std::move(roots).error());
  if (sk_X509_num(roots->get()) == 0) return fail(Errc::invalid_argument, "no root certificate was given");

  // A store holding only the given roots: never the system's default trust.
  const StorePtr store(X509_STORE_new());
  if (!store) return detail::openssl_fail(Errc::crypto, "out of memory building a trust store");
  for (int i = 0; i < sk_X509_num(roots->get()); ++i) {
    if (X509_STORE_add_cert(store.get(), sk_X509_value(roots->get(), i)) != 1) {
      return detail::openssl_fail(Errc::crypto, "a root certificate could not be added to the trust store");
    }
  }
  const StoreCtxPtr ctx(X509_STORE_CTX_new_ex(nullptr, nullptr));
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), intermediates->get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "the verification context could not be set up");
  }
  // Purpose also selects the matching trust setting, as a TLS handshake would.
  const int purpose = client_purpose ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER;
  if (X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    return detail::openssl_fail(Errc::crypto, "the verification purpose could not be set");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_time(param, static_cast<std::time_t>(at_unix));

  if (X509_verify_cert(ctx.get()) == 1) return {};

  const int err = X509_STORE_CTX_get_error(ctx.get());
  std::string message = "certificate chain does not verify: ";
  message += X509_verify_cert_error_string(err);
  message += " (depth " + std::to_string(X509_STORE_CTX_get_error_depth(ctx.get()));
  if (X509* current = X509_STORE_CTX_get_current_cert(ctx.get()); current != nullptr) {
    auto names = common_names(X509_get_subject_name(current));
    if (names && !names->empty()) message += ", CN \"" + names->front() + "\"";
  }
  message += ")";
  ERR_clear_error();
  return fail(Errc::integrity, std::move(message));
}

}  // namespace vigil::crypto
