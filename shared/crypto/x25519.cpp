#include "shared/crypto/x25519.hpp"

#include <array>

#include <openssl/evp.h>

#include "shared/crypto/raw_key.hpp"

namespace vigil::crypto {
namespace {

using raw_key::PkeyCtxPtr;
using raw_key::PkeyPtr;

constexpr raw_key::Algorithm k_x25519{"X25519", "X25519", "private key", k_x25519_key_size};

}  // namespace

Result<X25519KeyPair> x25519_generate() { return raw_key::generate<X25519KeyPair>(k_x25519); }

Result<X25519KeyPair> x25519_from_private(ByteView private_key) {
  return raw_key::key_pair<X25519KeyPair>(k_x25519, private_key);
}

Result<SecretBytes> x25519(ByteView private_key, ByteView peer_public) {
  if (peer_public.size() != k_x25519_key_size) {
    return fail(Errc::invalid_argument, "X25519 public key must be 32 bytes");
  }
  VIGIL_ASSIGN(const PkeyPtr key, raw_key::load_private(k_x25519, private_key));
  const PkeyPtr peer = raw_key::load_public(k_x25519, peer_public);
  if (!peer) return detail::openssl_fail(Errc::crypto, "X25519 public key could not be loaded");

  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return detail::openssl_fail(Errc::crypto, "X25519 key agreement setup failed");
  }
  SecretBytes shared(k_x25519_key_size);
  std::size_t len = shared.size();
  // OpenSSL itself fails here for small-order points; either way the caller sees Errc::crypto.
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != shared.size()) {
    return detail::openssl_fail(Errc::crypto,
                                "X25519 key agreement failed: the peer public key is invalid or of small order");
  }
  // Checked again here so the guarantee does not hinge on one library version's behaviour.
  static constexpr std::array<std::uint8_t, k_x25519_key_size> k_zero{};
  if (ct_equal(view(shared), k_zero)) {
    return fail(Errc::crypto, "X25519 key agreement failed: the peer public key is of small order");
  }
  return shared;
}

}  // namespace vigil::crypto
