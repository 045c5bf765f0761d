#pragma once
// X25519 Diffie-Hellman (RFC 7748). Private keys are 32 raw bytes, clamped when used, so any
// 32 bytes are a valid private key. The raw shared secret is not uniformly random: always pass
// it through a KDF (see sealed_box.cpp) before use as a key.
#include <cstddef>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto {

inline constexpr std::size_t k_x25519_key_size = 32;

struct X25519KeyPair {
  SecretBytes private_key;  // 32 bytes
  Bytes public_key;         // 32 bytes: X25519(private_key, 9)
};

Result<X25519KeyPair> x25519_generate();
// Wrong size gives Errc::invalid_argument.
Result<X25519KeyPair> x25519_from_private(ByteView private_key);

// X25519(private_key, peer_public): the 32-byte shared secret. Wrong sizes give
// Errc::invalid_argument. A peer point of small order yields the all-zero secret, which an
// attacker can force regardless of our key; that is refused with Errc::crypto.
Result<SecretBytes> x25519(ByteView private_key, ByteView peer_public);

}  // namespace vigil::crypto
