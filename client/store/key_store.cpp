#include "client/store/key_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "shared/core/bytes.hpp"

namespace vigil::client::store {

namespace {

constexpr std::string_view k_key_file_magic = "vigil-store-key-v1 ";

std::string errno_text(int e) { return std::strerror(e); }

Errc errc_from_errno(int e) {
  switch (e) {
    case ENOSPC:
    case EDQUOT: return Errc::disk_full;
    case EROFS:
    case EACCES:
    case EPERM: return Errc::read_only;
    default: return Errc::io;
  }
}

// Writes all of data to fd, retrying on short writes and EINTR.
bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

Status fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(errc_from_errno(errno), "opening " + dir.string() + ": " + errno_text(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return fail(errc_from_errno(e), "syncing " + dir.string() + ": " + errno_text(e));
  return {};
}

const SecretSchema* vigil_schema() {
  static const SecretSchema schema = {
      "uk.org.vigil.StoreKey",
      SECRET_SCHEMA_NONE,
      {{"store", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
      0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &schema;
}

}  // namespace

std::string FileKeyStore::description() const { return "key file " + path_.string() + " (0600)"; }
std::string FileKeyStore::kind() const { return "a key file only your user account can read"; }

Result<std::optional<crypto::SecretBytes>> FileKeyStore::load() {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<crypto::SecretBytes>{};
    return fail(errc_from_errno(errno), "reading the store key " + path_.string() + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::not_a_store, "the store key " + path_.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return fail(Errc::invalid_argument, "the store key " + path_.string() +
                                            " can be read by other users; run: chmod 600 " + path_.string());
  }
  crypto::SecretBytes buf(128);
  ssize_t n = 0;
  do {
    n = ::read(fd, buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n < 0) return fail(Errc::io, "reading the store key " + path_.string() + ": " + errno_text(errno));
  const std::string_view text(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
  const std::size_t hex_len = 2 * k_store_key_size;
  if (text.size() != k_key_file_magic.size() + hex_len + 1 || text.substr(0, k_key_file_magic.size()) != k_key_file_magic ||
      text.back() != '\n') {
    return fail(Errc::not_a_store, "the store key " + path_.string() + " is damaged or not a Vigil key file");
  }
  auto key = from_hex(text.substr(k_key_file_magic.size(), hex_len));
  if (!key) return fail(Errc::not_a_store, "the store key " + path_.string() + " is damaged");
  crypto::SecretBytes out(key->begin(), key->end());
  crypto::wipe(*key);
  return std::optional<crypto::SecretBytes>{std::move(out)};
}

Status FileKeyStore::save(const crypto::SecretBytes& key) {
  // Write a temporary file, sync it, then link it into place: a crash leaves either no key file
  // or a complete one, and link() refuses to replace a key that appeared meanwhile.
  const auto dir = path_.parent_path();
  const auto tmp = path_.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc_from_errno(errno), "creating the store key in " + dir.string() + ": " + errno_text(errno));
  // Built in wiping memory: no copy of the key's hex survives in freed heap.
  static constexpr char k_hex_digits[] = "0123456789abcdef";
  crypto::SecretBytes text(k_key_file_magic.begin(), k_key_file_magic.end());
  for (std::uint8_t b : key) {
    text.push_back(static_cast<std::uint8_t>(k_hex_digits[b >> 4]));
    text.push_back(static_cast<std::uint8_t>(k_hex_digits[b & 0x0f]));
  }
  text.push_back('\n');
  const bool ok = write_all(fd, reinterpret_cast<const char*>(text.data()), text.size()) && ::fsync(fd) == 0;
  const int e = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(errc_from_errno(e), "writing the store key in " + dir.string() + ": " + errno_text(e));
  }
  if (::link(tmp.c_str(), path_.c_str()) != 0) {
    const int le = errno;
    ::unlink(tmp.c_str());
    if (le == EEXIST) return fail(Errc::already_exists, "a store key already exists at " + path_.string());
    return fail(errc_from_errno(le), "installing the store key " + path_.string() + ": " + errno_text(le));
  }
  ::unlink(tmp.c_str());
  return fsync_dir(dir);
}

std::string SecretServiceKeyStore::kind() const { return "your desktop keyring"; }

std::string SecretServiceKeyStore::description() const {
  return "desktop keyring (Secret Service), entry \"Vigil store key\" for " + label_;
}

bool SecretServiceKeyStore::available() {
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (bus == nullptr || *bus == '\0') return false;
  GError* error = nullptr;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, &error);
  if (error != nullptr) g_error_free(error);
  if (service == nullptr) return false;
  g_object_unref(service);
  return true;
}

Result<std::optional<crypto::SecretBytes>> SecretServiceKeyStore::load() {
  GError* error = nullptr;
  gchar* hex = secret_password_lookup_sync(vigil_schema(), nullptr, &error, "store", label_.c_str(), nullptr);
  if (error != nullptr) {
    std::string msg = error->message;
    g_error_free(error);
    return fail(Errc::unavailable, "the desktop keyring could not be read: " + msg);
  }
  if (hex == nullptr) return std::optional<crypto::SecretBytes>{};
  auto key = from_hex(hex);
  secret_password_free(hex);  // wipes the copy libsecret made
  if (!key || key->size() != k_store_key_size) {
    if (key) crypto::wipe(*key);
    return fail(Errc::not_a_store, "the desktop keyring holds a damaged Vigil store key");
  }
  crypto::SecretBytes out(key->begin(), key->end());
  crypto::wipe(*key);
  return std::optional<crypto::SecretBytes>{std::move(out)};
}

Status SecretServiceKeyStore::save(const crypto::SecretBytes& key) {
  std::string hex = to_hex(crypto::view(key));
  GError* error = nullptr;
  const gboolean ok = secret_password_store_sync(vigil_schema(), SECRET_COLLECTION_DEFAULT, "Vigil store key",
                                                 hex.c_str(), nullptr, &error, "store", label_.c_str(), nullptr);
  crypto::wipe({reinterpret_cast<std::uint8_t*>(hex.data()), hex.size()});
  if (error != nullptr) {
    std::string msg = error->message;
    g_error_free(error);
    return fail(Errc::unavailable, "the desktop keyring refused the store key: " + msg);
  }
  if (!ok) return fail(Errc::unavailable, "the desktop keyring refused the store key");
  return {};
}

Result<KeyStorePreference> parse_key_store_preference(std::string_view text) {
  if (text == "auto") return KeyStorePreference::automatic;
  if (text == "file") return KeyStorePreference::file;
  if (text == "secret-service") return KeyStorePreference::secret_service;
  return fail(Errc::invalid_argument, "key storage must be auto, file or secret-service");
}

std::unique_ptr<KeyStore> choose_key_store(const std::filesystem::path& dir, KeyStorePreference pref) {
  const auto key_file = dir / "store.key";
  switch (pref) {
    case KeyStorePreference::file: return std::make_unique<FileKeyStore>(key_file);
    case KeyStorePreference::secret_service:
      return std::make_unique<SecretServiceKeyStore>(std::filesystem::absolute(dir).string());
    case KeyStorePreference::automatic: break;
  }
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec)) return std::make_unique<FileKeyStore>(key_file);
  if (SecretServiceKeyStore::available()) {
    return std::make_unique<SecretServiceKeyStore>(std::filesystem::absolute(dir).string());
  }
  return std::make_unique<FileKeyStore>(key_file);
}

}  // namespace vigil::client::store
