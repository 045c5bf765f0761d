#pragma once
// The operating system's own per-user protection for the store key (client/store/key_store.hpp
// builds its key stores on these).
//  - Linux: the Secret Service (the desktop keyring) over D-Bus, through libsecret
//    (secret_linux.cpp). It keeps the secret itself, found by a label.
//  - Windows: DPAPI in user scope (secret_windows.cpp). It encrypts the secret to this user's
//    logon credentials; the caller keeps the encrypted blob, in a file beside the store.
// Every function exists on every OS; where the mechanism does not exist it reports so
// (keyring_available() / protection_available() false, the others Errc::unavailable).
#include <optional>
#include <string>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::client::platform {

// True when a Secret Service answers on the session bus (no D-Bus session: false, quickly).
bool keyring_available();
// The secret stored under label (the bytes given to keyring_save), nullopt when there is none.
Result<std::optional<crypto::SecretBytes>> keyring_load(const std::string& label);
// Stores secret (text without NUL bytes) under label, named "Vigil store key" in the keyring.
Status keyring_save(const std::string& label, const crypto::SecretBytes& secret);

// True where protect_for_user works (Windows).
bool protection_available();
// DPAPI CryptProtectData, user scope, with Vigil's own entropy: only this Windows user, on this
// machine, can unprotect the blob.
Result<Bytes> protect_for_user(const crypto::SecretBytes& secret);
// The secret back; Errc::wrong_key when the blob belongs to another user or machine, or is damaged.
Result<crypto::SecretBytes> unprotect_for_user(ByteView blob);

}  // namespace vigil::client::platform
