#pragma once
// HttpsTransport: the real Transport. TLS 1.3 only; trusts only Vigil's root CA (never the
// system store), checks the server certificate against `host` (a DNS name, or an IP address
// literal matched against the certificate's IP addresses), and additionally requires that the
// public key (SPKI SHA-256) of some certificate in the verified chain, normally the root, is one
// of the pinned keys (primary and backup); presents the device certificate when it has one. Keeps
// one keep-alive connection and reconnects when it breaks; a GET, HEAD, PUT, DELETE or OPTIONS
// that finds its reused connection closed before any response byte is sent once more on a new
// connection (never a POST). Blocking with timeouts: the sync engine calls it from its own
// thread; one thread at a time.
//
// Errors of roundtrip(): Errc::unavailable as Transport says, with a message for people ("could
// not connect to 127.0.0.1:8443: connection refused", "TLS: certificate is not signed by Vigil's
// CA", "TLS: server key is not pinned", "timed out after 15 s waiting for the response from ...",
// "connection closed mid-response from ..."); Errc::invalid_argument when the configuration
// cannot work (no pins: they are mandatory; unreadable root, certificate or key PEM; a
// certificate without its key) or the request is malformed (method, target, header with CR/LF).
// These are reported before any network traffic and repeat on every call.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/sync/transport.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::client::sync {

struct TransportConfig {
  std::string host = "127.0.0.1";       // also the name checked against the server certificate
  std::uint16_t port = 0;
  std::string root_ca_pem;              // Vigil's root CA certificate (PEM)
  std::vector<std::string> spki_pins;   // base64 SHA-256 of trusted root public keys
  std::string client_cert_pem;          // device certificate chain; empty before enrolment
  crypto::SecretBytes client_key_pem;   // device private key (PEM); empty before enrolment
  std::chrono::milliseconds connect_timeout{5'000};  // name lookup + TCP connect + TLS handshake
  std::chrono::milliseconds io_timeout{15'000};      // sending the request; receiving the response
  std::size_t response_limit = 4 * 1024 * 1024;      // response body bytes
};

class HttpsTransport final : public Transport {
 public:
  explicit HttpsTransport(TransportConfig config);
  ~HttpsTransport() override;
  Result<protocol::HttpResponse> roundtrip(const protocol::HttpRequest& request) override;
  // Drop the current connection (next roundtrip reconnects).
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::client::sync
