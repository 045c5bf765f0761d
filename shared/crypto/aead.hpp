#pragma once
// AES-256-GCM with a 96-bit nonce and a full 128-bit tag. A (key, nonce) pair must never be
// used for two different messages: that reveals the XOR of the plaintexts and lets an attacker
// forge tags. Callers either derive a fresh key per message or use random/counter nonces with
// a bound on messages per key.
#include <cstddef>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::crypto {

inline constexpr std::size_t k_aead_key_size = 32;
inline constexpr std::size_t k_aead_nonce_size = 12;
inline constexpr std::size_t k_aead_tag_size = 16;

// Returns ciphertext || tag (plaintext.size() + 16 bytes). The AAD is authenticated, not
// encrypted. Wrong key or nonce size gives Errc::invalid_argument.
Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);

// Inverse of aes256gcm_seal. Returns the plaintext only if the tag verifies; otherwise
// Errc::auth_failed and no plaintext at all. Input shorter than a tag, or wrong key or nonce
// size, gives Errc::invalid_argument.
Result<Bytes> aes256gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed);

}  // namespace vigil::crypto
