// Windows implementation of client/platform/secret.hpp: DPAPI in user scope.
#include "client/platform/secret.hpp"

#include <windows.h>

#include <dpapi.h>

namespace vigil::client::platform {

namespace {

// Mixed into every blob, so a blob is Vigil's only (another program of the same user calling
// CryptUnprotectData without it gets nothing). Not a secret: it names the purpose.
constexpr char k_entropy[] = "uk.org.vigil.StoreKey/1";

DATA_BLOB entropy_blob() {
  return DATA_BLOB{static_cast<DWORD>(sizeof k_entropy - 1), reinterpret_cast<BYTE*>(const_cast<char*>(k_entropy))};
}

}  // namespace

bool keyring_available() { return false; }

Result<std::optional<crypto::SecretBytes>> keyring_load(const std::string&) {
  return fail(Errc::unavailable, "there is no Secret Service on Windows");
}

Status keyring_save(const std::string&, const crypto::SecretBytes&) {
  return fail(Errc::unavailable, "there is no Secret Service on Windows");
}

bool protection_available() { return true; }

Result<Bytes> protect_for_user(const crypto::SecretBytes& secret) {
  DATA_BLOB in{static_cast<DWORD>(secret.size()), const_cast<BYTE*>(secret.data())};
  DATA_BLOB entropy = entropy_blob();
  DATA_BLOB out{};
  if (!CryptProtectData(&in, L"Vigil store key", &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return fail(Errc::unavailable, "Windows could not protect the store key (DPAPI error " + std::to_string(GetLastError()) + ")");
  }
  Bytes blob(out.pbData, out.pbData + out.cbData);
  LocalFree(out.pbData);
  return blob;
}

Result<crypto::SecretBytes> unprotect_for_user(ByteView blob) {
  DATA_BLOB in{static_cast<DWORD>(blob.size()), const_cast<BYTE*>(blob.data())};
  DATA_BLOB entropy = entropy_blob();
  DATA_BLOB out{};
  if (!CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return fail(Errc::wrong_key, "Windows could not unprotect the store key: it was protected for another user or "
                                 "computer, or it is damaged (DPAPI error " + std::to_string(GetLastError()) + ")");
  }
  crypto::SecretBytes secret(out.pbData, out.pbData + out.cbData);
  SecureZeroMemory(out.pbData, out.cbData);
  LocalFree(out.pbData);
  return secret;
}

}  // namespace vigil::client::platform
