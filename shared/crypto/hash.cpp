#include "shared/crypto/hash.hpp"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <openssl/evp.h>

namespace vigil::crypto {
namespace {

// Aborts in every build type: a silently skipped hash would look like a valid digest.
[[noreturn]] void die(const char* what) noexcept {
  std::fprintf(stderr, "vigil: fatal: %s\n", what);
  assert(false && "OpenSSL SHA-256 failed");
  std::abort();
}

// Fetching resolves the provider by name and takes locks; doing it once keeps short hashes
// cheap. The pointer is deliberately never freed: another static's destructor may still hash
// during exit, and the OS reclaims it anyway.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (md == nullptr) die("SHA-256 is not available from OpenSSL");
  return md;
}

// OpenSSL wants a non-null pointer even for zero bytes.
const void* data_or_dummy(ByteView data) noexcept {
  static constexpr std::uint8_t k_dummy = 0;
  return data.empty() ? &k_dummy : data.data();
}

}  // namespace

Digest sha256(ByteView data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data_or_dummy(data), data.size(), out.data(), &len, sha256_md(), nullptr) != 1 ||
      len != out.size()) {
    die("SHA-256 computation failed");
  }
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) {
    die("SHA-256 context setup failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::update(ByteView data) {
  assert(ctx_ != nullptr && "Sha256 used after move");
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) die("SHA-256 update failed");
}

Digest Sha256::finish() {
  assert(ctx_ != nullptr && "Sha256 used after move");
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) {
    die("SHA-256 finalisation failed");
  }
  if (EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) die("SHA-256 reset failed");
  return out;
}

}  // namespace vigil::crypto
