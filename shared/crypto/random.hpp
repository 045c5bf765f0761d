#pragma once
// Cryptographically secure randomness from OpenSSL's DRBG (seeded from the OS). Failure means
// the generator could not be seeded; callers must not fall back to anything weaker.
#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto {

// Fills `out` entirely or fails with Errc::crypto (contents then unspecified). Empty is a no-op.
Status random_fill(std::span<std::uint8_t> out);

// n fresh random bytes, for public values (nonces, identifiers).
Result<Bytes> random_bytes(std::size_t n);

// n fresh random bytes in wiping storage, for keys.
Result<SecretBytes> random_secret(std::size_t n);

}  // namespace vigil::crypto
