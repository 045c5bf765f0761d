#include "shared/crypto/pki_detail.hpp"

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

namespace vigil::crypto::pki_detail {

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
  return pem_text([key](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key); }, "the public key");
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

}  // namespace vigil::crypto::pki_detail
