#include "shared/crypto/secure.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>

namespace vigil::crypto {

namespace detail {

void cleanse(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

tl::unexpected<Error> openssl_fail(Errc code, std::string what) {
  // The earliest entry is usually the root cause; later ones are callers reporting it.
  const unsigned long err = ERR_get_error();
  if (err != 0) {
    char reason[256];
    ERR_error_string_n(err, reason, sizeof reason);
    what += " (";
    what += reason;
    what += ")";
  }
  ERR_clear_error();
  return fail(code, std::move(what));
}

}  // namespace detail

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::span<std::uint8_t> data) noexcept { detail::cleanse(data.data(), data.size()); }

SecretBytes to_secret(ByteView data) { return SecretBytes(data.begin(), data.end()); }

}  // namespace vigil::crypto
