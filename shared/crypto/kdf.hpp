#pragma once
// Key derivation. HKDF turns an already-strong secret (a DH output, a master key) into keys
// bound to a purpose; scrypt stretches a weak secret (a passphrase) and is deliberately slow.
#include <cstddef>
#include <cstdint>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto {

// RFC 5869 HKDF-SHA256, extract then expand. Empty salt means HashLen zero bytes, as the RFC
// specifies. `info` names the purpose so that keys for different uses never coincide.
// length must be 1..8160 (255 * 32), else Errc::invalid_argument.
Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length);

// RFC 7914 scrypt. The defaults (N = 2^15, r = 8, p = 1) cost about 32 MiB and tens of
// milliseconds: acceptable once per unlock, too slow for an attacker's guess list.
struct ScryptParams {
  std::uint64_t n = 1u << 15;  // CPU/memory cost; a power of two > 1
  std::uint32_t r = 8;         // block size, >= 1
  std::uint32_t p = 1;         // parallelism, >= 1
};

// Needs about 128 * r * (n + p) bytes of memory. Invalid parameters or length 0 give
// Errc::invalid_argument; running out of memory gives Errc::crypto.
Result<SecretBytes> scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                           std::size_t length);

}  // namespace vigil::crypto
