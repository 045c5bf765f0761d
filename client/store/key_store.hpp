#pragma once
// Where the store's 256-bit encryption key lives. The store never decides this silently: the
// choice is reported by description() in `vigil-client status`, the UI and the logs.
//
//  - SecretServiceKeyStore: the desktop keyring over D-Bus (GNOME Keyring, KWallet via its
//    Secret Service bridge). Protected by the user's login; preferred when reachable.
//  - FileKeyStore, owner_only: a 0600 file beside the store (in a 0700 directory). Protects
//    against other users of the machine, not against someone who can read this user's files.
//  - FileKeyStore, user_protected (Windows): the key encrypted with DPAPI for this Windows user,
//    kept as a blob file beside the store. Someone who copies the file elsewhere, or another
//    user, cannot decrypt it.
//
// The operating-system calls are behind client/platform/secret.hpp and shared/core/file.hpp; the
// macOS Keychain is named in docs/PLATFORMS.md.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::client::store {

inline constexpr std::size_t k_store_key_size = 32;

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Human-readable: which mechanism and where, e.g. "key file /home/a/.local/share/vigil/store.key (0600)".
  virtual std::string description() const = 0;
  // The same without paths or names, for the candidate's pages and diagnostics.
  virtual std::string kind() const = 0;
  // The stored key, nullopt when none is stored, or an error if the key store cannot be read.
  virtual Result<std::optional<crypto::SecretBytes>> load() = 0;
  // Stores a key. REQUIRES: no key is stored yet (load() returned nullopt).
  virtual Status save(const crypto::SecretBytes& key) = 0;
};

enum class KeyFileProtection { owner_only, user_protected };

class FileKeyStore final : public KeyStore {
 public:
  explicit FileKeyStore(std::filesystem::path path, KeyFileProtection protection = KeyFileProtection::owner_only)
      : path_(std::move(path)), protection_(protection) {}
  std::string description() const override;
  std::string kind() const override;
  Result<std::optional<crypto::SecretBytes>> load() override;
  Status save(const crypto::SecretBytes& key) override;

 private:
  std::filesystem::path path_;
  KeyFileProtection protection_;
};

class SecretServiceKeyStore final : public KeyStore {
 public:
  // store_label identifies this store among several on one account (its absolute directory).
  explicit SecretServiceKeyStore(std::string store_label) : label_(std::move(store_label)) {}
  std::string description() const override;
  std::string kind() const override;
  Result<std::optional<crypto::SecretBytes>> load() override;
  Status save(const crypto::SecretBytes& key) override;

  // True when a Secret Service answers on the session bus (no D-Bus session: false, quickly).
  static bool available();

 private:
  std::string label_;
};

enum class KeyStorePreference { automatic, file, secret_service };

Result<KeyStorePreference> parse_key_store_preference(std::string_view text);

// automatic: an existing key file wins (the store was made with it), then an existing protected
// key (<dir>/store.key.dpapi); otherwise the OS's protection where there is one (Windows DPAPI),
// else the Secret Service if one answers (Linux), else a key file. The file is <dir>/store.key.
std::unique_ptr<KeyStore> choose_key_store(const std::filesystem::path& dir, KeyStorePreference pref);

}  // namespace vigil::client::store
