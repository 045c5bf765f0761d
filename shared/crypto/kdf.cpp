#include "shared/crypto/kdf.hpp"

#include <limits>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace vigil::crypto {
namespace {

struct KdfDeleter {
  void operator()(EVP_KDF* k) const noexcept { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const noexcept { EVP_KDF_CTX_free(c); }
};
using KdfPtr = std::unique_ptr<EVP_KDF, KdfDeleter>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfDeleter>;

// OSSL_PARAM wants a non-null pointer even for an empty octet string (RFC vectors use empty
// salts and passwords), and takes void* although it only reads.
OSSL_PARAM octets(const char* name, ByteView data) noexcept {
  static std::uint8_t dummy = 0;
  void* p = data.empty() ? &dummy : const_cast<std::uint8_t*>(data.data());
  return OSSL_PARAM_construct_octet_string(name, p, data.size());
}

Result<SecretBytes> derive(const char* algorithm, const OSSL_PARAM* params, std::size_t length) {
  // Fetched per call: both KDFs are used rarely enough that the lookup cost does not matter.
  const KdfPtr kdf(EVP_KDF_fetch(nullptr, algorithm, nullptr));
  if (!kdf) return detail::openssl_fail(Errc::crypto, std::string(algorithm) + " is not available");
  const KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return detail::openssl_fail(Errc::crypto, "out of memory creating a KDF context");
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return detail::openssl_fail(Errc::crypto, std::string(algorithm) + " key derivation failed");
  }
  return out;
}

}  // namespace

Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t length) {
  if (length == 0 || length > 255 * 32) {
    return fail(Errc::invalid_argument, "HKDF-SHA256 output length must be between 1 and 8160 bytes");
  }
  char digest[] = "SHA2-256";
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      octets(OSSL_KDF_PARAM_KEY, ikm),
      octets(OSSL_KDF_PARAM_SALT, salt),
      octets(OSSL_KDF_PARAM_INFO, info),
      OSSL_PARAM_construct_end(),
  };
  return derive("HKDF", params, length);
}

Result<SecretBytes> scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                           std::size_t length) {
  std::uint64_t n = params.n;
  std::uint32_t r = params.r;
  std::uint32_t p = params.p;
  if (n < 2 || (n & (n - 1)) != 0) {
    return fail(Errc::invalid_argument, "scrypt N must be a power of two greater than 1");
  }
  if (r == 0 || p == 0) return fail(Errc::invalid_argument, "scrypt r and p must be at least 1");
  // RFC 7914 bounds: p <= (2^32 - 1) * 32 / (128 * r), i.e. r * p < 2^30, and N < 2^(16 r).
  if (std::uint64_t{r} * p >= (std::uint64_t{1} << 30)) {
    return fail(Errc::invalid_argument, "scrypt r * p must be below 2^30");
  }
  if (r < 4 && n >= (std::uint64_t{1} << (16 * r))) {
    return fail(Errc::invalid_argument, "scrypt N is too large for this r");
  }
  if (length == 0) return fail(Errc::invalid_argument, "scrypt output length must be at least 1");

  // OpenSSL refuses to run when B (128 r p bytes) plus V (128 r (N + 2) bytes) exceeds maxmem,
  // whose default (32 MiB) is below what common parameter sets need. Set it to exactly what
  // these parameters need plus slack, so the cap never rejects a valid request.
  constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t block = 128 * std::uint64_t{r};
  if (n > k_max / block - 2 - p) return fail(Errc::invalid_argument, "scrypt parameters need more memory than exists");
  const std::uint64_t need = block * (n + 2 + p);
  if (need > std::numeric_limits<std::size_t>::max() / 2) {
    return fail(Errc::invalid_argument, "scrypt parameters need more memory than this system can address");
  }
  std::uint64_t maxmem = need + (std::uint64_t{1} << 20);

  const OSSL_PARAM ossl_params[] = {
      octets(OSSL_KDF_PARAM_PASSWORD, password),
      octets(OSSL_KDF_PARAM_SALT, salt),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  return derive("SCRYPT", ossl_params, length);
}

}  // namespace vigil::crypto
