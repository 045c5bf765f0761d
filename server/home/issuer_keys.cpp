#include "server/home/issuer_keys.hpp"

#include <filesystem>
#include <system_error>

#include "server/home/server_home.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::server {

namespace fs = std::filesystem;

namespace {

fs::path seed_path(const fs::path& home, std::string_view key_id) {
  return home / "keys" / "issuer" / (std::string(key_id) + ".key");
}

// (3) Published files are world-readable but written like private ones: atomically.
Status write_published(const fs::path& path, const std::string& text) {
  VIGIL_TRY(write_file_atomically(path, as_bytes(text)));
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::replace, ec);
  if (ec) return fail(Errc::io, "setting permissions of " + path.string() + ": " + ec.message());
  return {};
}

Result<certificate::IssuerKey> new_key(const fs::path& home, std::int64_t now_ms) {
  VIGIL_ASSIGN(auto pair, crypto::ed25519_generate());
  std::error_code ec;
  fs::create_directories(home / "keys" / "issuer", ec);
  if (ec) return fail(Errc::io, "creating " + (home / "keys" / "issuer").string() + ": " + ec.message());
  fs::permissions(home / "keys" / "issuer", fs::perms::owner_all, fs::perm_options::replace, ec);
  const std::string key_id = protocol::key_id_of(pair.public_key);
  std::string hex = to_hex(crypto::view(pair.seed)) + "\n";
  auto st = write_file_atomically(seed_path(home, key_id), as_bytes(hex));
  crypto::wipe({reinterpret_cast<std::uint8_t*>(hex.data()), hex.size()});
  VIGIL_TRY(st);
  return certificate::IssuerKey{key_id, pair.public_key, true, now_ms, std::nullopt, std::nullopt};
}

}  // namespace

fs::path issuer_keys_file(const fs::path& home) { return home / "published" / "issuer-keys.json"; }
fs::path revocations_file(const fs::path& home) { return home / "published" / "revocations.json"; }

Result<certificate::IssuerKeySet> load_issuer_keys(const fs::path& home, std::int64_t now_ms) {
  std::error_code ec;
  if (!fs::exists(issuer_keys_file(home), ec)) {
    VIGIL_ASSIGN(auto key, new_key(home, now_ms));
    certificate::IssuerKeySet set{{std::move(key)}};
    VIGIL_TRY(write_published(issuer_keys_file(home), certificate::to_json(set).dump(2) + "\n"));
    return set;
  }
  VIGIL_ASSIGN(auto text, read_whole_file(issuer_keys_file(home)));
  auto set = certificate::parse_issuer_key_set(text);
  if (!set) return fail(std::move(set).error().context("reading " + issuer_keys_file(home).string()));
  if (!set->active()) return fail(Errc::invalid_argument, issuer_keys_file(home).string() + " has no active key");
  return set;
}

Result<IssuerSigner> active_issuer(const fs::path& home, std::int64_t now_ms) {
  VIGIL_ASSIGN(auto set, load_issuer_keys(home, now_ms));
  const auto* key = set.active();
  auto text = read_whole_file(seed_path(home, key->key_id));
  if (!text) return fail(Errc::not_found, "the seed of the active issuer key " + key->key_id + " is missing from " +
                                              (home / "keys" / "issuer").string() + ": restore it or rotate the key");
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  auto bytes = from_hex(*text);
  crypto::wipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
  if (!bytes) return fail(Errc::invalid_argument, "the issuer key file of " + key->key_id + " is not a hex-encoded key");
  IssuerSigner out{key->key_id, crypto::to_secret(*bytes), {}};
  crypto::wipe(*bytes);
  VIGIL_ASSIGN(auto pair, crypto::ed25519_from_seed(crypto::view(out.seed)));
  if (pair.public_key != key->public_key) {
    return fail(Errc::integrity, "the issuer key file of " + key->key_id + " does not match the published key");
  }
  out.public_key = pair.public_key;
  return out;
}

Result<certificate::IssuerKeySet> rotate_issuer_key(const fs::path& home, std::int64_t now_ms,
                                                   std::optional<std::int64_t> verify_until_ms) {
  VIGIL_ASSIGN(auto set, load_issuer_keys(home, now_ms));
  for (auto& k : set.keys) {
    if (!k.active) continue;
    k.active = false;  // (2)
    k.sign_until_ms = now_ms;
    k.verify_until_ms = verify_until_ms;
  }
  VIGIL_ASSIGN(auto fresh, new_key(home, now_ms));
  set.keys.insert(set.keys.begin(), std::move(fresh));
  VIGIL_TRY(write_published(issuer_keys_file(home), certificate::to_json(set).dump(2) + "\n"));
  return set;
}

Result<certificate::RevocationList> publish_revocations(const fs::path& home, const std::vector<CredentialRow>& revoked,
                                                        std::int64_t now_ms) {
  VIGIL_ASSIGN(auto signer, active_issuer(home, now_ms));
  certificate::RevocationList list;
  list.issued_wall_ms = now_ms;
  for (const auto& c : revoked) {
    if (c.revoked_wall_ms) list.revoked.push_back({c.credential_id, *c.revoked_wall_ms, c.revoked_reason});
  }
  VIGIL_TRY(certificate::sign_revocation_list(list, crypto::view(signer.seed), signer.public_key));
  VIGIL_TRY(write_published(revocations_file(home), certificate::to_json(list).dump(2) + "\n"));
  return list;
}

}  // namespace vigil::server
