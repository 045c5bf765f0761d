// Linux implementation of client/platform/secret.hpp: the Secret Service through libsecret.
#include "client/platform/secret.hpp"

#include <cstdlib>

#include <libsecret/secret.h>

namespace vigil::client::platform {

namespace {

const SecretSchema* vigil_schema() {
  static const SecretSchema schema = {
      "uk.org.vigil.StoreKey",
      SECRET_SCHEMA_NONE,
      {{"store", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
      0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &schema;
}

}  // namespace

bool keyring_available() {
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (bus == nullptr || *bus == '\0') return false;
  GError* error = nullptr;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, &error);
  if (error != nullptr) g_error_free(error);
  if (service == nullptr) return false;
  g_object_unref(service);
  return true;
}

Result<std::optional<crypto::SecretBytes>> keyring_load(const std::string& label) {
  GError* error = nullptr;
  gchar* text = secret_password_lookup_sync(vigil_schema(), nullptr, &error, "store", label.c_str(), nullptr);
  if (error != nullptr) {
    std::string msg = error->message;
    g_error_free(error);
    return fail(Errc::unavailable, "the desktop keyring could not be read: " + msg);
  }
  if (text == nullptr) return std::optional<crypto::SecretBytes>{};
  const std::string_view view(text);
  crypto::SecretBytes out(view.begin(), view.end());
  secret_password_free(text);  // wipes the copy libsecret made
  return std::optional<crypto::SecretBytes>{std::move(out)};
}

Status keyring_save(const std::string& label, const crypto::SecretBytes& secret) {
  crypto::SecretBytes text(secret.begin(), secret.end());
  text.push_back(0);  // libsecret takes a C string
  GError* error = nullptr;
  const gboolean ok = secret_password_store_sync(vigil_schema(), SECRET_COLLECTION_DEFAULT, "Vigil store key",
                                                 reinterpret_cast<const gchar*>(text.data()), nullptr, &error, "store",
                                                 label.c_str(), nullptr);
  if (error != nullptr) {
    std::string msg = error->message;
    g_error_free(error);
    return fail(Errc::unavailable, "the desktop keyring refused the store key: " + msg);
  }
  if (!ok) return fail(Errc::unavailable, "the desktop keyring refused the store key");
  return {};
}

bool protection_available() { return false; }

Result<Bytes> protect_for_user(const crypto::SecretBytes&) {
  return fail(Errc::unavailable, "DPAPI exists only on Windows");
}

Result<crypto::SecretBytes> unprotect_for_user(ByteView) {
  return fail(Errc::unavailable, "DPAPI exists only on Windows");
}

}  // namespace vigil::client::platform
