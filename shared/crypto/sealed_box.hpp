#pragma once
// Sealed box: anonymous public-key encryption to an X25519 key. The sender needs only the
// recipient's public key and keeps nothing that could decrypt the box afterwards, so a client
// can produce evidence (webcam frames) that it cannot read back, even if later compromised.
// There is no sender authentication: anyone with the public key can make a box. Sign the
// contents separately if the origin matters.
//
// Format v1:
//   0x01 || ephemeral_public (32) || AES-256-GCM ciphertext || tag (16)
// Key schedule:
//   shared      = X25519(ephemeral_private, recipient_public)
//   key || nonce = HKDF-SHA256(ikm = shared, salt = ephemeral_public || recipient_public,
//                              info = "vigil sealed box v1", length = 44)
//   key = first 32 bytes, nonce = last 12 bytes.
// A fixed derived nonce is safe because every box has a fresh ephemeral key, hence a fresh
// AES key. Both public keys are in the salt so a box is bound to this exact key pair.
// AAD = caller-supplied context (may be empty); opening requires the same bytes, so a box
// cannot be moved to a different context (another session, another field).
#include <cstddef>
#include <cstdint>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/x25519.hpp"

namespace vigil::crypto {

inline constexpr std::uint8_t k_sealed_box_version = 1;
// version + ephemeral public key + tag: the size of a box around an empty plaintext.
inline constexpr std::size_t k_sealed_box_overhead = 1 + 32 + 16;

// Errors: recipient key not 32 bytes -> invalid_argument; a small-order recipient key -> crypto.
Result<Bytes> seal(ByteView recipient_public, ByteView plaintext, ByteView aad = {});

// `recipient` must be a matching pair (from x25519_generate / x25519_from_private).
// Errors: input shorter than the overhead -> invalid_argument; a version byte other than 1 ->
// unsupported_version; modified box, wrong recipient or wrong aad -> auth_failed.
Result<Bytes> open_sealed(const X25519KeyPair& recipient, ByteView sealed, ByteView aad = {});

}  // namespace vigil::crypto
