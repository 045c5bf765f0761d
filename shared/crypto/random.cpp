#include "shared/crypto/random.hpp"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

namespace vigil::crypto {

Status random_fill(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length, so very large requests go in chunks.
  constexpr std::size_t k_chunk = 1u << 30;
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t n = std::min(k_chunk, out.size() - done);
    if (RAND_bytes(out.data() + done, static_cast<int>(n)) != 1) {
      return detail::openssl_fail(Errc::crypto, "the system random number generator failed");
    }
    done += n;
  }
  return {};
}

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  VIGIL_TRY(random_fill(out));
  return out;
}

Result<SecretBytes> random_secret(std::size_t n) {
  SecretBytes out(n);
  VIGIL_TRY(random_fill(out));
  return out;
}

}  // namespace vigil::crypto
