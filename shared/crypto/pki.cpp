#include "shared/crypto/pki.hpp"
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

namespace vigil::crypto {
using namespace pki_detail;

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
  return pem_text([&req](BIO* bio) { return PEM_write_bio_X509_REQ(bio, req.get()); }, "the request");
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
  return pem_text([&cert](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); }, "the certificate");
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
