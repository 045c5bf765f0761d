#pragma once
// The certificate issuer keys of a server home (docs/CREDENTIALS.md):
//
//   DIR/keys/issuer/<key_id>.key    Ed25519 seed (hex, 0600) of each issuer key, old ones kept
//                                   only as long as an operator chooses (verification needs only
//                                   the published public half)
//   DIR/published/issuer-keys.json  the issuer key set verifiers use (certificate::IssuerKeySet)
//   DIR/published/revocations.json  the signed revocation list (certificate::RevocationList)
//
// Invariants:
//  (1) The key set has exactly one active key once loaded; the first load makes one.
//  (2) Rotation retires the active key (sign_until = now, kept for verification) before the new
//      key signs anything, so certificates signed by the old key keep verifying.
//  (3) Published files are replaced atomically (temp file, fsync, rename).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/storage/results_repository.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::server {

struct IssuerSigner {
  std::string key_id;
  crypto::SecretBytes seed;
  Bytes public_key;
};

std::filesystem::path issuer_keys_file(const std::filesystem::path& home);
std::filesystem::path revocations_file(const std::filesystem::path& home);

// The published key set; (1) creates the first key when there is none.
Result<certificate::IssuerKeySet> load_issuer_keys(const std::filesystem::path& home, std::int64_t now_ms);
// The active key with its seed. Fails (not_found) when its seed file is missing.
Result<IssuerSigner> active_issuer(const std::filesystem::path& home, std::int64_t now_ms);
// (2) Makes a new active key; the old one becomes retired. verify_until_ms, when given, limits
// how long the retired key verifies (absent: for ever). Returns the new key set.
Result<certificate::IssuerKeySet> rotate_issuer_key(const std::filesystem::path& home, std::int64_t now_ms,
                                                   std::optional<std::int64_t> verify_until_ms = std::nullopt);
// Signs and writes published/revocations.json listing every revoked credential.
Result<certificate::RevocationList> publish_revocations(const std::filesystem::path& home,
                                                        const std::vector<CredentialRow>& revoked, std::int64_t now_ms);

}  // namespace vigil::server
