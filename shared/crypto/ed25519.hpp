#pragma once
// Ed25519 signatures (RFC 8032, pure mode: the message is signed as is, no pre-hash). Keys are
// kept as the 32-byte seed, from which the signing scalar and public key are re-derived.
#include <cstddef>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto {

inline constexpr std::size_t k_ed25519_seed_size = 32;
inline constexpr std::size_t k_ed25519_public_size = 32;
inline constexpr std::size_t k_ed25519_signature_size = 64;

struct Ed25519KeyPair {
  SecretBytes seed;  // 32 bytes; the private key
  Bytes public_key;  // 32 bytes
};

// A fresh key pair from the system random generator.
Result<Ed25519KeyPair> ed25519_generate();
// The key pair for a given seed; a seed that is not 32 bytes gives Errc::invalid_argument.
Result<Ed25519KeyPair> ed25519_from_seed(ByteView seed);

// 64-byte signature of `message`. Deterministic: same seed and message, same signature.
Result<Bytes> ed25519_sign(ByteView seed, ByteView message);

// True only for a valid signature by `public_key` over exactly `message`. Any malformed input
// (wrong sizes, a public key that is not a curve point, a non-canonical signature) is false.
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept;

}  // namespace vigil::crypto
