#include "shared/crypto/aead.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "shared/crypto/secure.hpp"

namespace vigil::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }  // also wipes the key schedule
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// Fetched once, like the digest in hash.cpp, and for the same reasons (cost per call; exit
// order). A null result is reported by each call rather than cached as a crash.
const EVP_CIPHER* aes256gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

// EVP update calls take an int length; GCM is a stream mode, so chunking changes nothing.
constexpr std::size_t k_chunk = 1u << 30;

Status check_sizes(ByteView key, ByteView nonce) {
  if (key.size() != k_aead_key_size) return fail(Errc::invalid_argument, "AES-256-GCM key must be 32 bytes");
  if (nonce.size() != k_aead_nonce_size) return fail(Errc::invalid_argument, "AES-256-GCM nonce must be 12 bytes");
  return {};
}

Result<CtxPtr> make_ctx(ByteView key, ByteView nonce, bool encrypt) {
  const EVP_CIPHER* cipher = aes256gcm();
  if (cipher == nullptr) return detail::openssl_fail(Errc::crypto, "AES-256-GCM is not available");
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return detail::openssl_fail(Errc::crypto, "out of memory creating a cipher context");
  // The default GCM IV length is 12 bytes, which is what we pass.
  const int ok = encrypt ? EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr)
                         : EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr);
  if (ok != 1) return detail::openssl_fail(Errc::crypto, "AES-256-GCM setup failed");
  return ctx;
}

// Feeds AAD (out == nullptr) or data through the cipher. Returns false on library failure.
bool feed(EVP_CIPHER_CTX* ctx, bool encrypt, ByteView in, std::uint8_t* out) {
  std::size_t done = 0;
  while (done < in.size()) {
    const std::size_t n = std::min(k_chunk, in.size() - done);
    int outl = 0;
    std::uint8_t* dst = out == nullptr ? nullptr : out + done;
    const int ok = encrypt ? EVP_EncryptUpdate(ctx, dst, &outl, in.data() + done, static_cast<int>(n))
                           : EVP_DecryptUpdate(ctx, dst, &outl, in.data() + done, static_cast<int>(n));
    if (ok != 1 || (out != nullptr && static_cast<std::size_t>(outl) != n)) return false;
    done += n;
  }
  return true;
}

}  // namespace

Result<Bytes> aes256gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  VIGIL_TRY(check_sizes(key, nonce));
  auto ctx = make_ctx(key, nonce, true);
  if (!ctx) return fail(std::move(ctx).error());

  Bytes out(plaintext.size() + k_aead_tag_size);
  if (!feed(ctx->get(), true, aad, nullptr) || !feed(ctx->get(), true, plaintext, out.data())) {
    return detail::openssl_fail(Errc::crypto, "AES-256-GCM encryption failed");
  }
  std::uint8_t* tag = out.data() + plaintext.size();
  int outl = 0;
  // GCM emits no bytes at finalisation; the tag buffer is only a valid place to point at.
  if (EVP_EncryptFinal_ex(ctx->get(), tag, &outl) != 1 || outl != 0) {
    return detail::openssl_fail(Errc::crypto, "AES-256-GCM encryption failed");
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, k_aead_tag_size),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_get_params(ctx->get(), params) != 1) {
    return detail::openssl_fail(Errc::crypto, "AES-256-GCM could not produce a tag");
  }
  return out;
}

Result<Bytes> aes256gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed) {
  VIGIL_TRY(check_sizes(key, nonce));
  if (sealed.size() < k_aead_tag_size) {
    return fail(Errc::invalid_argument, "encrypted data is too short to hold an authentication tag");
  }
  const ByteView ciphertext = sealed.first(sealed.size() - k_aead_tag_size);
  // set_params takes a non-const pointer, so the tag is copied out of the read-only input.
  std::array<std::uint8_t, k_aead_tag_size> tag{};
  std::copy(sealed.end() - k_aead_tag_size, sealed.end(), tag.begin());

  auto ctx = make_ctx(key, nonce, false);
  if (!ctx) return fail(std::move(ctx).error());

  Bytes out(ciphertext.size());
  // Unauthenticated plaintext must not escape, not even in freed memory: wipe it on failure.
  auto reject = [&out](tl::unexpected<Error> e) {
    wipe(out);
    out.clear();
    return e;
  };
  if (!feed(ctx->get(), false, aad, nullptr) || !feed(ctx->get(), false, ciphertext, out.data())) {
    return reject(detail::openssl_fail(Errc::crypto, "AES-256-GCM decryption failed"));
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag.data(), tag.size()),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_set_params(ctx->get(), params) != 1) {
    return reject(detail::openssl_fail(Errc::crypto, "AES-256-GCM could not accept the tag"));
  }
  int outl = 0;
  std::uint8_t scratch[16];
  if (EVP_DecryptFinal_ex(ctx->get(), scratch, &outl) != 1) {
    // Tag verification is the only way this fails once setup succeeded; OpenSSL's reason
    // would add nothing for the reader, so the queue is just cleared.
    ERR_clear_error();
    return reject(fail(Errc::auth_failed, "authentication failed: the data was modified or the key is wrong"));
  }
  return out;
}

}  // namespace vigil::crypto
