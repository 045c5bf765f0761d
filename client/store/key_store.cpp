#include "client/store/key_store.hpp"

#include <string_view>

#include "client/platform/secret.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/file.hpp"

namespace vigil::client::store {

namespace {

constexpr std::string_view k_key_file_magic = "vigil-store-key-v1 ";
constexpr std::string_view k_protected_magic = "vigil-store-key-dpapi-v1\n";

// A key as hex digits, built in wiping memory: no copy of the key's hex survives in freed heap.
crypto::SecretBytes key_hex(const crypto::SecretBytes& key) {
  static constexpr char k_hex_digits[] = "0123456789abcdef";
  crypto::SecretBytes text;
  text.reserve(2 * key.size());
  for (std::uint8_t b : key) {
    text.push_back(static_cast<std::uint8_t>(k_hex_digits[b >> 4]));
    text.push_back(static_cast<std::uint8_t>(k_hex_digits[b & 0x0f]));
  }
  return text;
}

// The key from its hex digits, or nullopt when they are not exactly one key's worth.
std::optional<crypto::SecretBytes> key_from_hex(std::string_view hex) {
  auto key = from_hex(hex);
  if (!key || key->size() != k_store_key_size) {
    if (key) crypto::wipe(*key);
    return std::nullopt;
  }
  crypto::SecretBytes out(key->begin(), key->end());
  crypto::wipe(*key);
  return out;
}

// Reads a private key file into wiping memory: nullopt when it does not exist.
Result<std::optional<crypto::SecretBytes>> read_key_file(const std::filesystem::path& path, std::size_t max) {
  crypto::SecretBytes buf(max);
  auto n = read_private_file(path, buf);
  if (!n) {
    const Error& e = n.error();
    if (e.code == Errc::not_a_store) return fail(Errc::not_a_store, "the store key " + path.string() + " is not a regular file");
    if (e.code == Errc::forbidden) {
      return fail(Errc::invalid_argument,
                  "the store key " + path.string() + " can be read by other users; run: chmod 600 " + path.string());
    }
    return fail(e.code, "reading the store key " + path.string() + ": " + e.message);
  }
  if (!*n) return std::optional<crypto::SecretBytes>{};
  buf.resize(**n);
  return std::optional<crypto::SecretBytes>{std::move(buf)};
}

// Writes a new key file: a crash leaves either no key file or a complete one, and an existing key
// is never replaced.
Status write_key_file(const std::filesystem::path& path, ByteView data) {
  if (auto w = write_new_file(path, data); !w) {
    if (w.error().code == Errc::already_exists) return fail(Errc::already_exists, "a store key already exists at " + path.string());
    return fail(w.error().code, "writing the store key in " + path.parent_path().string() + ": " + w.error().message);
  }
  return {};
}

}  // namespace

std::string FileKeyStore::description() const {
  if (protection_ == KeyFileProtection::user_protected)
    return "key file " + path_.string() + " (protected for this Windows user by DPAPI)";
  return "key file " + path_.string() + " (0600)";
}

std::string FileKeyStore::kind() const {
  return protection_ == KeyFileProtection::user_protected ? "a key file only your Windows account can unlock"
                                                           : "a key file only your user account can read";
}

Result<std::optional<crypto::SecretBytes>> FileKeyStore::load() {
  const bool is_protected = protection_ == KeyFileProtection::user_protected;
  VIGIL_ASSIGN(auto buf, read_key_file(path_, is_protected ? 4096 : 128));
  if (!buf) return std::optional<crypto::SecretBytes>{};
  const std::string_view text(reinterpret_cast<const char*>(buf->data()), buf->size());
  const std::string_view magic = is_protected ? k_protected_magic : k_key_file_magic;
  const std::size_t hex_len = 2 * k_store_key_size;
  const bool well_formed = text.substr(0, magic.size()) == magic &&
                           (is_protected ? text.size() > magic.size()
                                         : text.size() == magic.size() + hex_len + 1 && text.back() == '\n');
  if (!well_formed) return fail(Errc::not_a_store, "the store key " + path_.string() + " is damaged or not a Vigil key file");
  if (is_protected) {
    auto key = platform::unprotect_for_user(crypto::view(*buf).subspan(magic.size()));
    if (!key) return fail(std::move(key).error().context("reading the store key " + path_.string()));
    if (key->size() != k_store_key_size) return fail(Errc::not_a_store, "the store key " + path_.string() + " is damaged");
    return std::optional<crypto::SecretBytes>{std::move(*key)};
  }
  auto key = key_from_hex(text.substr(magic.size(), hex_len));
  if (!key) return fail(Errc::not_a_store, "the store key " + path_.string() + " is damaged");
  return std::optional<crypto::SecretBytes>{std::move(*key)};
}

Status FileKeyStore::save(const crypto::SecretBytes& key) {
  if (protection_ == KeyFileProtection::user_protected) {
    auto blob = platform::protect_for_user(key);
    if (!blob) return fail(blob.error());
    Bytes file(k_protected_magic.begin(), k_protected_magic.end());
    file.insert(file.end(), blob->begin(), blob->end());
    return write_key_file(path_, file);
  }
  crypto::SecretBytes text(k_key_file_magic.begin(), k_key_file_magic.end());
  const auto hex = key_hex(key);
  text.insert(text.end(), hex.begin(), hex.end());
  text.push_back('\n');
  return write_key_file(path_, crypto::view(text));
}

std::string SecretServiceKeyStore::kind() const { return "your desktop keyring"; }

std::string SecretServiceKeyStore::description() const {
  return "desktop keyring (Secret Service), entry \"Vigil store key\" for " + label_;
}

bool SecretServiceKeyStore::available() { return platform::keyring_available(); }

Result<std::optional<crypto::SecretBytes>> SecretServiceKeyStore::load() {
  VIGIL_ASSIGN(auto hex, platform::keyring_load(label_));
  if (!hex) return std::optional<crypto::SecretBytes>{};
  auto key = key_from_hex(std::string_view(reinterpret_cast<const char*>(hex->data()), hex->size()));
  if (!key) return fail(Errc::not_a_store, "the desktop keyring holds a damaged Vigil store key");
  return std::optional<crypto::SecretBytes>{std::move(*key)};
}

Status SecretServiceKeyStore::save(const crypto::SecretBytes& key) { return platform::keyring_save(label_, key_hex(key)); }

Result<KeyStorePreference> parse_key_store_preference(std::string_view text) {
  if (text == "auto") return KeyStorePreference::automatic;
  if (text == "file") return KeyStorePreference::file;
  if (text == "secret-service") return KeyStorePreference::secret_service;
  return fail(Errc::invalid_argument, "key storage must be auto, file or secret-service");
}

std::unique_ptr<KeyStore> choose_key_store(const std::filesystem::path& dir, KeyStorePreference pref) {
  const auto key_file = dir / "store.key";
  const auto protected_file = dir / "store.key.dpapi";
  switch (pref) {
    case KeyStorePreference::file: return std::make_unique<FileKeyStore>(key_file);
    case KeyStorePreference::secret_service:
      return std::make_unique<SecretServiceKeyStore>(std::filesystem::absolute(dir).string());
    case KeyStorePreference::automatic: break;
  }
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec)) return std::make_unique<FileKeyStore>(key_file);
  if (std::filesystem::exists(protected_file, ec) || platform::protection_available())
    return std::make_unique<FileKeyStore>(protected_file, KeyFileProtection::user_protected);
  if (SecretServiceKeyStore::available()) {
    return std::make_unique<SecretServiceKeyStore>(std::filesystem::absolute(dir).string());
  }
  return std::make_unique<FileKeyStore>(key_file);
}

}  // namespace vigil::client::store
