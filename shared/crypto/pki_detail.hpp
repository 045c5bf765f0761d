#pragma once
// Internal to shared/crypto/pki*.cpp: RAII owners of OpenSSL objects, the limits, and the
// helpers the PEM, CSR, certificate-building and verification code share. Not for use elsewhere.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "shared/crypto/pki.hpp"

namespace vigil::crypto::pki_detail {


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
int no_passphrase(char* buf, int size, int rwflag, void* userdata);

// A read-only BIO over `text`; OpenSSL reads the caller's memory without copying it.
Result<BioPtr> read_bio(std::string_view text);
Result<std::string> bio_text(BIO* bio);
// What write(BIO*) puts in a memory BIO (a PEM_write_bio_* call returning 1 on success), as text;
// on failure "<what> could not be written as PEM". Not for private keys (a secmem BIO is needed).
template <class Write>
Result<std::string> pem_text(Write&& write, const std::string& what) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return detail::openssl_fail(Errc::crypto, what + " could not be written as PEM");
  return bio_text(bio.get());
}
Result<std::string> public_pem_of(EVP_PKEY* key);
Result<PkeyPtr> read_public_key(std::string_view pem, const std::string& what);
Result<PkeyPtr> read_private_key(const SecretBytes& pem, const std::string& what);
Result<X509Ptr> read_first_certificate(std::string_view pem, const std::string& what);
bool is_blank(std::string_view text) noexcept;
// Every certificate in `pem`, in order. Blank input gives an empty stack; other input without a
// single certificate, or a damaged one among them, is an error.
Result<CertStackPtr> read_all_certificates(std::string_view pem, const std::string& what);

// --- keys --------------------------------------------------------------------------------------
// Vigil uses one key type throughout; anything else is refused with its name in the message.
Status require_p256(const EVP_PKEY* key, const std::string& what);
// Full public-key validation (point on the curve, not infinity, right order) for keys that
// arrive from outside.
Status require_valid_public(EVP_PKEY* key, const std::string& what);
Result<Bytes> spki_der(EVP_PKEY* key);
std::string pin_of(ByteView spki);
Result<std::string> pin_of_certificate(X509* cert);

// --- names -------------------------------------------------------------------------------------
Status check_common_name(std::string_view cn);
Result<NamePtr> cn_name(std::string_view cn);
// The common names in `name` (usually one), as UTF-8.
Result<std::vector<std::string>> common_names(const X509_NAME* name);
bool is_alnum(char c) noexcept;
// Letters, digits and hyphens in dot-separated labels of 1..63 characters (no hyphen at either
// end); a wildcard only as the whole first label.
bool valid_dns_name(std::string_view name) noexcept;
// "scheme:rest": a scheme of letters, digits, '+', '-', '.' starting with a letter, then
// printable ASCII without spaces.
bool valid_uri(std::string_view uri) noexcept;
Status push_name(GENERAL_NAMES* names, int type, Asn1StringPtr value);
Result<Asn1StringPtr> ia5(std::string_view text);
Status add_subject_alt_names(X509* cert, const CertificateSpec& spec);
// An extension from OpenSSL's config syntax. Only fixed strings reach here (plus a pathlen
// number we formatted), never caller text, so nothing can be smuggled into the syntax.
Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value);

// --- time --------------------------------------------------------------------------------------
std::optional<std::int64_t> unix_time_of(const ASN1_TIME* t);
Status set_time(ASN1_TIME* field, std::int64_t unix_time);

// --- serials -----------------------------------------------------------------------------------
Status set_random_serial(X509* cert);
std::string serial_hex_of(const ASN1_INTEGER* serial);

// --- issuing checks ----------------------------------------------------------------------------
Status check_spec(const CertificateSpec& spec);
// The issuer certificate must be able to sign what we are about to issue, with this key.
Status check_issuer(X509* issuer, EVP_PKEY* issuer_key, const CertificateSpec& spec);

}  // namespace vigil::crypto::pki_detail
