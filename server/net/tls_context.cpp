#include "server/net/tls_context.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "shared/core/bytes.hpp"

namespace vigil::server::net {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

// Mozilla "modern" (server side, TLS 1.3 only): the three TLS 1.3 suites, the client chooses.
constexpr const char* tls13_ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* tls_groups = "X25519:P-256";

std::string openssl_reason() {
  unsigned long err = ERR_peek_last_error();
  std::string out;
  if (err != 0) {
    const char* reason = ERR_reason_error_string(err);
    out = reason != nullptr ? reason : "unknown OpenSSL error";
  } else {
    out = "unknown OpenSSL error";
  }
  ERR_clear_error();
  return out;
}

}  // namespace

std::string serial_hex(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int len = ASN1_STRING_length(serial);
  if (len <= 0) return {};
  return to_hex(ByteView(ASN1_STRING_get0_data(serial), static_cast<std::size_t>(len)));
}

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const TlsFiles& files) {
  namespace fs = std::filesystem;
  for (const fs::path* p : {&files.certificate_chain_pem, &files.private_key_pem, &files.client_ca_pem}) {
    if (p->empty() && p == &files.client_ca_pem) continue;
    std::error_code fs_ec;
    if (!fs::is_regular_file(*p, fs_ec)) return fail(Errc::not_found, "TLS file not found: " + p->string());
  }
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = tls->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_set_ciphersuites(ctx, tls13_ciphersuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, tls_groups) != 1) {
    return fail(Errc::crypto, "TLS settings rejected by OpenSSL: " + openssl_reason());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  // No session resumption: no tickets, no cache. A device keeps one long-lived keep-alive
  // connection, so a full handshake per reconnect costs little; resumption would let a session
  // outlive a certificate's revocation without re-verifying it, and ticket keys would need
  // rotating and sharing between server processes.
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

  error_code ec;
  tls->use_certificate_chain_file(files.certificate_chain_pem.string(), ec);
  if (ec) {
    return fail(Errc::invalid_argument,
                "cannot load the server certificate chain " + files.certificate_chain_pem.string() + ": " + ec.message());
  }
  tls->use_private_key_file(files.private_key_pem.string(), ssl::context::pem, ec);
  if (ec) {
    return fail(Errc::invalid_argument, "cannot load the server private key " + files.private_key_pem.string() + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(Errc::invalid_argument, "the server private key does not match its certificate: " + openssl_reason());
  }
  if (files.client_ca_pem.empty()) {
    tls->set_verify_mode(ssl::verify_none);
    return tls;
  }

  // Client certificates: asked for, verified against the device CA, but optional (no
  // fail_if_no_peer_cert) because a device enrols before it has one. A presented certificate
  // that does not verify fails the handshake (OpenSSL's behaviour under verify_peer). The device
  // CA is a trust anchor by itself (partial chain), so trusting it does not mean trusting every
  // certificate its root issued. OpenSSL checks the "TLS client" purpose (extendedKeyUsage).
  const std::string ca = files.client_ca_pem.string();
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    return fail(Errc::invalid_argument, "cannot load the device CA " + ca + ": " + openssl_reason());
  }
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
  if (names == nullptr) return fail(Errc::invalid_argument, "cannot read the device CA names from " + ca + ": " + openssl_reason());
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  tls->set_verify_mode(ssl::verify_peer);
  return tls;
}

TlsCertificateInfo certificate_info(ssl::context& context) {
  TlsCertificateInfo info;
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return info;
  info.serial_hex = serial_hex(cert);
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr && ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0) info.not_after.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return info;
}

}  // namespace vigil::server::net
