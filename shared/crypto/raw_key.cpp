#include "shared/crypto/raw_key.hpp"

#include <string>

namespace vigil::crypto::raw_key {

Result<PkeyPtr> load_private(const Algorithm& alg, ByteView raw) {
  if (raw.size() != alg.size) {
    return fail(Errc::invalid_argument, std::string(alg.label) + " " + std::string(alg.private_noun) + " must be " +
                                            std::to_string(alg.size) + " bytes");
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(nullptr, alg.openssl_name, nullptr, raw.data(), raw.size()));
  if (!key) return detail::openssl_fail(Errc::crypto, std::string(alg.label) + " private key could not be loaded");
  return key;
}

PkeyPtr load_public(const Algorithm& alg, ByteView raw) noexcept {
  return PkeyPtr(EVP_PKEY_new_raw_public_key_ex(nullptr, alg.openssl_name, nullptr, raw.data(), raw.size()));
}

Result<Bytes> public_of(const Algorithm& alg, ByteView raw) {
  VIGIL_ASSIGN(const auto key, load_private(alg, raw));
  Bytes pub(alg.size);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return detail::openssl_fail(Errc::crypto, std::string(alg.label) + " public key could not be derived");
  }
  return pub;
}

}  // namespace vigil::crypto::raw_key
