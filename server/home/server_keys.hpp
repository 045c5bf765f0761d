#pragma once
// The server's own keys, loaded from its home (server_home.hpp) and handed to whatever signs,
// seals or issues: receipts, evidence, device certificates, packages and sitting grants.
#include <string>

#include "shared/core/bytes.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::server {

struct ServerKeys {
  crypto::SecretBytes receipt_seed;     // Ed25519
  Bytes receipt_public;
  Bytes evidence_public;                // X25519 (the private key is used only when a proctor views evidence)
  std::string device_ca_cert_pem;       // issues device certificates
  crypto::SecretBytes device_ca_key_pem;
  crypto::SecretBytes package_seed;     // Ed25519: signs packages and sitting grants
  Bytes package_public;
};

}  // namespace vigil::server
