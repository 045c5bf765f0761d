#include "shared/crypto/sealed_box.hpp"

#include <string>

#include "shared/crypto/aead.hpp"
#include "shared/crypto/kdf.hpp"

namespace vigil::crypto {
namespace {

constexpr std::size_t k_key_size = k_x25519_key_size;
constexpr std::string_view k_info = "vigil sealed box v1";

static_assert(k_sealed_box_overhead == 1 + k_key_size + k_aead_tag_size);

// The AES-256-GCM key and nonce of one box, derived as documented in the header.
struct BoxKey {
  SecretBytes okm;  // key (32) || nonce (12)
  ByteView key() const { return view(okm).first(k_aead_key_size); }
  ByteView nonce() const { return view(okm).subspan(k_aead_key_size, k_aead_nonce_size); }
};

Result<BoxKey> box_key(ByteView shared, ByteView ephemeral_public, ByteView recipient_public) {
  Bytes salt;
  salt.reserve(2 * k_key_size);
  salt.insert(salt.end(), ephemeral_public.begin(), ephemeral_public.end());
  salt.insert(salt.end(), recipient_public.begin(), recipient_public.end());
  VIGIL_ASSIGN(auto okm, hkdf_sha256(shared, salt, as_bytes(k_info), k_aead_key_size + k_aead_nonce_size));
  return BoxKey{std::move(okm)};
}

}  // namespace

Result<Bytes> seal(ByteView recipient_public, ByteView plaintext, ByteView aad) {
  if (recipient_public.size() != k_key_size) {
    return fail(Errc::invalid_argument, "sealed box recipient key must be 32 bytes");
  }
  auto ephemeral = x25519_generate();
  if (!ephemeral) return fail(std::move(ephemeral).error().context("sealing"));
  auto shared = x25519(view(ephemeral->private_key), recipient_public);
  if (!shared) return fail(std::move(shared).error().context("sealing"));
  auto box = box_key(view(*shared), ephemeral->public_key, recipient_public);
  if (!box) return fail(std::move(box).error().context("sealing"));

  auto ct = aes256gcm_seal(box->key(), box->nonce(), aad, plaintext);
  if (!ct) return fail(std::move(ct).error().context("sealing"));
  Bytes out;
  out.reserve(1 + k_key_size + ct->size());
  out.push_back(k_sealed_box_version);
  out.insert(out.end(), ephemeral->public_key.begin(), ephemeral->public_key.end());
  out.insert(out.end(), ct->begin(), ct->end());
  return out;
}

Result<Bytes> open_sealed(const X25519KeyPair& recipient, ByteView sealed, ByteView aad) {
  if (recipient.private_key.size() != k_key_size || recipient.public_key.size() != k_key_size) {
    return fail(Errc::invalid_argument, "sealed box recipient key pair must hold two 32-byte keys");
  }
  if (sealed.empty()) return fail(Errc::invalid_argument, "sealed box is empty");
  if (sealed[0] != k_sealed_box_version) {
    return fail(Errc::unsupported_version,
                "sealed box has format version " + std::to_string(sealed[0]) + "; this build reads version 1");
  }
  if (sealed.size() < k_sealed_box_overhead) {
    return fail(Errc::invalid_argument, "sealed box is truncated: " + std::to_string(sealed.size()) +
                                            " bytes, at least " + std::to_string(k_sealed_box_overhead) +
                                            " expected");
  }
  const ByteView ephemeral_public = sealed.subspan(1, k_key_size);
  const ByteView ciphertext = sealed.subspan(1 + k_key_size);

  auto shared = x25519(view(recipient.private_key), ephemeral_public);
  if (!shared) {
    // The only input we did not check is the ephemeral key, which came from the box: a
    // small-order point there means the box was forged or damaged.
    return fail(Errc::auth_failed, "opening sealed box: authentication failed: the ephemeral key is invalid");
  }
  auto box = box_key(view(*shared), ephemeral_public, recipient.public_key);
  if (!box) return fail(std::move(box).error().context("opening sealed box"));

  auto plain = aes256gcm_open(box->key(), box->nonce(), aad, ciphertext);
  if (!plain) return fail(std::move(plain).error().context("opening sealed box"));
  return plain;
}

}  // namespace vigil::crypto
