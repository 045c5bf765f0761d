#pragma once
// SHA-256, one-shot and streaming. Hashing cannot fail for valid input, so these return the
// digest directly; an OpenSSL failure here is a broken installation and aborts the process
// rather than hand back a digest that was never computed.
#include <array>
#include <cstdint>

#include "shared/core/bytes.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept opaque so this header stays OpenSSL-free

namespace vigil::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(ByteView data);

// Incremental SHA-256 for data that arrives in pieces. Movable, not copyable. A moved-from
// object may only be destroyed or assigned to.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(ByteView data);
  // Returns the digest of everything passed to update() and resets to the empty state, so the
  // object can hash a new message.
  Digest finish();

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

}  // namespace vigil::crypto
