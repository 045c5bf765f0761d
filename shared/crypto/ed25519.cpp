#include "shared/crypto/ed25519.hpp"

#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "shared/crypto/random.hpp"

namespace vigil::crypto {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }  // wipes the private key
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter>;

// OpenSSL rejects a null message pointer even with length 0 (RFC 8032 TEST 1 is empty).
const unsigned char* data_or_dummy(ByteView data) noexcept {
  static constexpr unsigned char k_dummy = 0;
  return data.empty() ? &k_dummy : data.data();
}

Result<PkeyPtr> private_key(ByteView seed) {
  if (seed.size() != k_ed25519_seed_size) return fail(Errc::invalid_argument, "Ed25519 seed must be 32 bytes");
  PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size()));
  if (!key) return detail::openssl_fail(Errc::crypto, "Ed25519 private key could not be loaded");
  return key;
}

}  // namespace

Result<Ed25519KeyPair> ed25519_generate() {
  // Any 32 random bytes are a valid seed; going through from_seed keeps a single code path.
  auto seed = random_secret(k_ed25519_seed_size);
  if (!seed) return fail(std::move(seed).error());
  return ed25519_from_seed(view(*seed));
}

Result<Ed25519KeyPair> ed25519_from_seed(ByteView seed) {
  auto key = private_key(seed);
  if (!key) return fail(std::move(key).error());
  Bytes pub(k_ed25519_public_size);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), pub.data(), &len) != 1 || len != pub.size()) {
    return detail::openssl_fail(Errc::crypto, "Ed25519 public key could not be derived");
  }
  return Ed25519KeyPair{to_secret(seed), std::move(pub)};
}

Result<Bytes> ed25519_sign(ByteView seed, ByteView message) {
  auto key = private_key(seed);
  if (!key) return fail(std::move(key).error());
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return detail::openssl_fail(Errc::crypto, "out of memory creating a signing context");
  // No digest: Ed25519 hashes internally (SHA-512), and pure mode requires a null md.
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key->get(), nullptr) != 1) {
    return detail::openssl_fail(Errc::crypto, "Ed25519 signing setup failed");
  }
  Bytes sig(k_ed25519_signature_size);
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data_or_dummy(message), message.size()) != 1 ||
      len != sig.size()) {
    return detail::openssl_fail(Errc::crypto, "Ed25519 signing failed");
  }
  return sig;
}

bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept {
  if (public_key.size() != k_ed25519_public_size || signature.size() != k_ed25519_signature_size) return false;
  const PkeyPtr key(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      key && ctx &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data_or_dummy(message), message.size()) == 1;
  // A bad signature is an expected outcome, not an error worth keeping on the queue.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace vigil::crypto
