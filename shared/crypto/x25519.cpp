#include "shared/crypto/x25519.hpp"

#include <array>
#include <memory>

#include <openssl/evp.h>

#include "shared/crypto/random.hpp"

namespace vigil::crypto {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }  // wipes the private key
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter>;

Result<PkeyPtr> load_private(ByteView private_key) {
  if (private_key.size() != k_x25519_key_size) {
    return fail(Errc::invalid_argument, "X25519 private key must be 32 bytes");
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, private_key.data(), private_key.size()));
  if (!key) return detail::openssl_fail(Errc::crypto, "X25519 private key could not be loaded");
  return key;
}

}  // namespace

Result<X25519KeyPair> x25519_generate() {
  auto priv = random_secret(k_x25519_key_size);
  if (!priv) return fail(std::move(priv).error());
  return x25519_from_private(view(*priv));
}

Result<X25519KeyPair> x25519_from_private(ByteView private_key) {
  auto key = load_private(private_key);
  if (!key) return fail(std::move(key).error());
  Bytes pub(k_x25519_key_size);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), pub.data(), &len) != 1 || len != pub.size()) {
    return detail::openssl_fail(Errc::crypto, "X25519 public key could not be derived");
  }
  return X25519KeyPair{to_secret(private_key), std::move(pub)};
}

Result<SecretBytes> x25519(ByteView private_key, ByteView peer_public) {
  if (peer_public.size() != k_x25519_key_size) {
    return fail(Errc::invalid_argument, "X25519 public key must be 32 bytes");
  }
  auto key = load_private(private_key);
  if (!key) return fail(std::move(key).error());
  const PkeyPtr peer(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer_public.data(), peer_public.size()));
  if (!peer) return detail::openssl_fail(Errc::crypto, "X25519 public key could not be loaded");

  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
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
