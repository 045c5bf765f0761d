#pragma once
// Internal to shared/crypto: the OpenSSL EVP plumbing the Ed25519 and X25519 wrappers share. Both
// keep 32-byte raw keys, which OpenSSL loads by algorithm name; only the operation on the loaded
// key (sign and verify, or key agreement) differs. Not for use elsewhere.
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include <openssl/evp.h>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto::raw_key {

struct Deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }  // wipes the private key
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter>;

// One raw-key algorithm: OpenSSL's name for it, and the words our messages use
// ({"ED25519", "Ed25519", "seed", 32} gives "Ed25519 seed must be 32 bytes").
struct Algorithm {
  const char* openssl_name;
  std::string_view label;
  std::string_view private_noun;
  std::size_t size;  // of the private and of the public key
};

// A private key from its raw bytes; the wrong size is Errc::invalid_argument.
Result<PkeyPtr> load_private(const Algorithm& alg, ByteView raw);
// A public key from its raw bytes, or null when OpenSSL refuses it (its error queue is left to
// the caller, who decides whether that is an error or an expected "no").
PkeyPtr load_public(const Algorithm& alg, ByteView raw) noexcept;

// The public key OpenSSL derives from `raw`, a private key.
Result<Bytes> public_of(const Algorithm& alg, ByteView raw);

// `raw` (a private key) with its public key, as {private, public}.
template <class KeyPair>
Result<KeyPair> key_pair(const Algorithm& alg, ByteView raw) {
  VIGIL_ASSIGN(auto pub, public_of(alg, raw));
  return KeyPair{to_secret(raw), std::move(pub)};
}

// A fresh key pair from the system random generator. Any 32 random bytes are a valid Ed25519
// seed or X25519 private key (X25519 clamps them); going through key_pair keeps one code path.
template <class KeyPair>
Result<KeyPair> generate(const Algorithm& alg) {
  VIGIL_ASSIGN(const auto raw, random_secret(alg.size));
  return key_pair<KeyPair>(alg, view(raw));
}

}  // namespace vigil::crypto::raw_key
