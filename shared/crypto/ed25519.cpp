#include "shared/crypto/ed25519.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "shared/crypto/raw_key.hpp"

namespace vigil::crypto {
namespace {

using raw_key::MdCtxPtr;
using raw_key::PkeyPtr;

constexpr raw_key::Algorithm k_ed25519{"ED25519", "Ed25519", "seed", k_ed25519_seed_size};

// OpenSSL rejects a null message pointer even with length 0 (RFC 8032 TEST 1 is empty).
const unsigned char* data_or_dummy(ByteView data) noexcept {
  static constexpr unsigned char k_dummy = 0;
  return data.empty() ? &k_dummy : data.data();
}

}  // namespace

Result<Ed25519KeyPair> ed25519_generate() { return raw_key::generate<Ed25519KeyPair>(k_ed25519); }

Result<Ed25519KeyPair> ed25519_from_seed(ByteView seed) { return raw_key::key_pair<Ed25519KeyPair>(k_ed25519, seed); }

Result<Bytes> ed25519_sign(ByteView seed, ByteView message) {
  VIGIL_ASSIGN(const PkeyPtr key, raw_key::load_private(k_ed25519, seed));
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return detail::openssl_fail(Errc::crypto, "out of memory creating a signing context");
  // No digest: Ed25519 hashes internally (SHA-512), and pure mode requires a null md.
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1) {
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
  const PkeyPtr key = raw_key::load_public(k_ed25519, public_key);
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
