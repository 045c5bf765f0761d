#pragma once
// HttpsTransport: the real Transport. TLS 1.3 only; trusts only Vigil's root CA (never the
// system store) and additionally requires that the root's public key (SPKI SHA-256) is one of the
// pinned keys (primary and backup); presents the device certificate when it has one. Keeps one
// keep-alive connection and reconnects when it breaks. Blocking with timeouts: the sync engine
// calls it from its own thread.
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
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds io_timeout{15'000};
  std::size_t response_limit = 4 * 1024 * 1024;
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
