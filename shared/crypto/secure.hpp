#pragma once
// Memory hygiene for secrets: a vector that wipes its storage when it lets go of it, a
// constant-time comparison, and an explicit wipe. Key material, derived keys and shared secrets
// live in SecretBytes so that a stray copy left in freed heap memory cannot outlive its use.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::crypto {

namespace detail {
// OPENSSL_cleanse, kept out of this header so that including it does not pull in OpenSSL.
void cleanse(void* p, std::size_t n) noexcept;
// An Error whose message is `what` plus OpenSSL's reason for the most recent failure (never
// key material). Drains the calling thread's OpenSSL error queue so that stale entries cannot be
// mistaken for the cause of a later, unrelated failure.
tl::unexpected<Error> openssl_fail(Errc code, std::string what);
}  // namespace detail

// std::allocator that wipes every block before returning it to the heap. Covers the copies a
// vector leaves behind when it grows. It does not wipe elements removed by resize()/pop_back()
// while the block is still owned; those bytes go when the block is freed.
template <class T>
struct SecureAllocator {
  using value_type = T;

  SecureAllocator() noexcept = default;
  template <class U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT: allocator rebinding

  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    if (p != nullptr) detail::cleanse(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
};

// Stateless: any instance can free what another allocated.
template <class T, class U>
constexpr bool operator==(const SecureAllocator<T>&, const SecureAllocator<U>&) noexcept {
  return true;
}
template <class T, class U>
constexpr bool operator!=(const SecureAllocator<T>&, const SecureAllocator<U>&) noexcept {
  return false;
}

using SecretBytes = std::vector<std::uint8_t, SecureAllocator<std::uint8_t>>;

// Compares contents in time that depends only on the lengths. Lengths are treated as public:
// different lengths return false at once.
bool ct_equal(ByteView a, ByteView b) noexcept;

// Overwrites the bytes with zeros in a way the compiler may not optimise away.
void wipe(std::span<std::uint8_t> data) noexcept;

inline ByteView view(const SecretBytes& s) noexcept { return {s.data(), s.size()}; }

// Copies into wiping storage. The source is not wiped: that is the caller's business.
SecretBytes to_secret(ByteView data);

}  // namespace vigil::crypto
