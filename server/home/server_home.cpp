#include "server/home/server_home.hpp"

#include <cerrno>
#include <cstring>
#include <iterator>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/crypto/x25519.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::server {

namespace fs = std::filesystem;

namespace {

std::int64_t now_unix() { return static_cast<std::int64_t>(::time(nullptr)); }

// Certificates, published keys and config.json: not secret, but written like the keys (temporary
// file, fsync, rename, directory fsync) so that a power cut during or just after `init` leaves
// each file whole or absent, never empty. config.json is written last, so a home without it is an
// unfinished init that `init` may run again over.
Status write_public_file(const fs::path& path, std::string_view text) {
  return write_file_atomically(path, as_bytes(text));
}

Result<crypto::SecretBytes> read_secret_hex(const fs::path& path) {
  VIGIL_ASSIGN(auto text, read_whole_file(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto bytes = from_hex(text);
  crypto::wipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  if (!bytes) return fail(Errc::invalid_argument, path.string() + " is not a hex-encoded key");
  crypto::SecretBytes out(bytes->begin(), bytes->end());
  crypto::wipe(*bytes);
  return out;
}

Status write_secret_hex(const fs::path& path, const crypto::SecretBytes& key) {
  std::string hex = to_hex(crypto::view(key)) + "\n";
  auto st = write_file_atomically(path, as_bytes(hex));
  crypto::wipe({reinterpret_cast<std::uint8_t*>(hex.data()), hex.size()});
  return st;
}

// The package-signing key, made on first use so that homes created before packages existed
// keep working; its public half is published for clients and auditors.
Status load_package_key(const fs::path& dir, ServerKeys& keys) {
  const fs::path path = dir / "keys" / "package.key";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    // Written under a private name, then hard-linked into place: link() fails if another process
    // (serve and an admin command starting together) got there first, and then both use its key.
    VIGIL_ASSIGN(auto fresh, crypto::ed25519_generate());
    const fs::path mine = path.string() + "." + std::to_string(::getpid());
    VIGIL_TRY(write_secret_hex(mine, fresh.seed));
    const bool linked = ::link(mine.c_str(), path.c_str()) == 0;
    const int link_errno = errno;
    ::unlink(mine.c_str());
    if (!linked && link_errno != EEXIST) return fail(Errc::io, "installing " + path.string() + ": " + std::strerror(link_errno));
  }
  VIGIL_ASSIGN(keys.package_seed, read_secret_hex(path));
  VIGIL_ASSIGN(auto pair, crypto::ed25519_from_seed(crypto::view(keys.package_seed)));
  keys.package_public = pair.public_key;
  const fs::path published = dir / "published" / "package-public.key";
  if (!fs::exists(published, ec)) VIGIL_TRY(write_public_file(published, to_base64(pair.public_key) + "\n"));
  return {};
}

}  // namespace

Status init_server_home(const fs::path& dir, const std::string& server_name, std::uint16_t port) {
  std::error_code ec;
  if (fs::exists(dir / "config.json", ec)) {
    return fail(Errc::already_exists, dir.string() + " already holds a Vigil server; nothing was changed");
  }
  for (const char* sub : {"", "pki", "keys", "published"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return fail(Errc::io, "creating " + (dir / sub).string() + ": " + ec.message());
  }
  // The home holds the database (names, answers): readable by the server's account only.
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::permissions(dir / "pki", fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::permissions(dir / "keys", fs::perms::owner_all, fs::perm_options::replace, ec);
  // The new folders' entries are made durable before anything is written into them.
  VIGIL_TRY(sync_directory(dir / ".."));
  VIGIL_TRY(sync_directory(dir));

  const std::int64_t now = now_unix();
  using Use = crypto::CertificateSpec::Use;
  // Root CA (10 years) and a backup root key for the second pin.
  VIGIL_ASSIGN(auto root_key, crypto::p256_generate());
  VIGIL_ASSIGN(auto backup_key, crypto::p256_generate());
  crypto::CertificateSpec root{"Vigil development root CA", {}, {}, {}, true, 1, Use::ca, now - 300, now + 10 * 365 * 86'400};
  VIGIL_ASSIGN(auto root_pem, crypto::issue_certificate(root, root_key.public_pem, "", root_key.private_pem));
  // Device-issuing CA (5 years) and the server certificate (1 year + a month).
  VIGIL_ASSIGN(auto dca_key, crypto::p256_generate());
  crypto::CertificateSpec dca{"Vigil device CA", {}, {}, {}, true, 0, Use::ca, now - 300, now + 5 * 365 * 86'400};
  VIGIL_ASSIGN(auto dca_pem, crypto::issue_certificate(dca, dca_key.public_pem, root_pem, root_key.private_pem));
  VIGIL_ASSIGN(auto srv_key, crypto::p256_generate());
  crypto::CertificateSpec srv;
  srv.common_name = server_name;
  const bool is_ip = server_name.find_first_not_of("0123456789.") == std::string::npos || server_name.find(':') != std::string::npos;
  if (is_ip) {
    srv.ip_addresses = {server_name};
  } else {
    srv.dns_names = {server_name};
  }
  srv.use = Use::server;
  srv.not_before_unix = now - 300;
  srv.not_after_unix = now + 395 * 86'400;
  VIGIL_ASSIGN(auto srv_pem, crypto::issue_certificate(srv, srv_key.public_pem, root_pem, root_key.private_pem));

  VIGIL_ASSIGN(auto receipt, crypto::ed25519_generate());
  VIGIL_ASSIGN(auto evidence, crypto::x25519_generate());

  VIGIL_TRY(write_file_atomically(dir / "pki" / "root-ca.key", crypto::view(root_key.private_pem)));
  VIGIL_TRY(write_file_atomically(dir / "pki" / "root-ca-backup.key", crypto::view(backup_key.private_pem)));
  VIGIL_TRY(write_public_file(dir / "pki" / "root-ca.pem", root_pem));
  VIGIL_TRY(write_file_atomically(dir / "pki" / "device-ca.key", crypto::view(dca_key.private_pem)));
  VIGIL_TRY(write_public_file(dir / "pki" / "device-ca.pem", dca_pem));
  VIGIL_TRY(write_file_atomically(dir / "pki" / "server.key", crypto::view(srv_key.private_pem)));
  VIGIL_TRY(write_public_file(dir / "pki" / "server.pem", srv_pem));
  VIGIL_TRY(write_secret_hex(dir / "keys" / "receipt.key", receipt.seed));
  VIGIL_TRY(write_secret_hex(dir / "keys" / "evidence.key", evidence.private_key));

  protocol::ClientTrust trust{server_name, port, root_pem,
                              {crypto::spki_pin_of_public_key(root_key.public_pem),
                               crypto::spki_pin_of_public_key(backup_key.public_pem)}};
  VIGIL_TRY(write_public_file(dir / "published" / "client-trust.json", protocol::to_json(trust).dump(2) + "\n"));
  VIGIL_TRY(write_public_file(dir / "published" / "receipt-public.key", to_base64(receipt.public_key) + "\n"));
  VIGIL_TRY(write_public_file(dir / "published" / "evidence-public.key", to_base64(evidence.public_key) + "\n"));
  VIGIL_TRY(write_public_file(dir / "published" / "root-ca.pem", root_pem));
  ServerKeys package_keys;
  VIGIL_TRY(load_package_key(dir, package_keys));

  const nlohmann::json config{{"v", 1},
                              {"listen_address", server_name == "localhost" ? "127.0.0.1" : (is_ip ? server_name : "0.0.0.0")},
                              {"port", port},
                              {"server_name", server_name},
                              {"body_limit", 2 * 1024 * 1024},
                              {"device_rate_per_second", 50.0},
                              {"device_rate_burst", 200.0},
                              {"threads", 2},
                              {"review_target_hours", 48},
                              {"identity_target_hours", 24},
                              {"appeal_window_days", 28}};
  return write_public_file(dir / "config.json", config.dump(2) + "\n");
}

Result<ServerHome> load_server_home(const fs::path& dir) {
  ServerHome home;
  home.dir = dir;
  auto text = read_whole_file(dir / "config.json");
  if (!text) return fail(Errc::not_found, dir.string() + " is not a Vigil server home (no config.json): run vigil-server init " + dir.string());
  VIGIL_ASSIGN(auto j, protocol::parse_json(*text));
  auto cfg = protocol::decode_top<ServerConfig>(j, [&dir](protocol::ObjectReader& r) -> Result<ServerConfig> {
    VIGIL_TRY(r.version(1));
    ServerConfig c;
    VIGIL_ASSIGN(c.listen_address, r.non_empty_string("listen_address", 253));
    VIGIL_ASSIGN(auto port, r.uint("port"));
    if (port > 65535) return fail(r.error("port", "expected 0 to 65535"));
    c.port = static_cast<std::uint16_t>(port);
    VIGIL_ASSIGN(c.server_name, r.non_empty_string("server_name", 253));
    VIGIL_ASSIGN(auto body_limit, r.optional_uint("body_limit"));
    if (body_limit) c.body_limit = static_cast<std::size_t>(*body_limit);
    if (c.body_limit < 64 * 1024 || c.body_limit > 64 * 1024 * 1024) return fail(r.error("body_limit", "expected 64 KiB to 64 MiB"));
    VIGIL_ASSIGN(auto threads, r.optional_uint("threads"));
    if (threads) c.threads = static_cast<unsigned>(std::clamp<std::uint64_t>(*threads, 1, 64));
    for (const char* name : {"review_target_hours", "identity_target_hours"}) {
      VIGIL_ASSIGN(auto hours, r.optional_uint(name));
      if (!hours) continue;
      if (*hours < 1 || *hours > 24 * 366) return fail(r.error(name, "expected 1 to 8784 hours"));
      (std::string_view(name) == "review_target_hours" ? c.review_target_hours : c.identity_target_hours) =
          static_cast<std::int64_t>(*hours);
    }
    VIGIL_ASSIGN(auto appeal_days, r.optional_uint("appeal_window_days"));
    if (appeal_days) {
      if (*appeal_days < 1 || *appeal_days > 365) return fail(r.error("appeal_window_days", "expected 1 to 365 days"));
      c.appeal_window_days = static_cast<std::int64_t>(*appeal_days);
    }
    // Rates are numbers that may have fractions: read them directly.
    for (const char* name : {"device_rate_per_second", "device_rate_burst"}) {
      auto it = r.value().find(name);
      if (it == r.value().end()) continue;
      if (!it->is_number() || it->get<double>() <= 0) return fail(r.error(name, "expected a positive number"));
      (std::string_view(name) == "device_rate_burst" ? c.device_rate_burst : c.device_rate_per_second) = it->get<double>();
    }
    VIGIL_ASSIGN(auto staff, r.optional_object("staff_listener"));
    if (staff) {
      StaffListenerConfig sl;
      VIGIL_ASSIGN(sl.address, staff->non_empty_string("address", 253));
      VIGIL_ASSIGN(auto staff_port, staff->uint("port"));
      if (staff_port > 65535) return fail(staff->error("port", "expected 0 to 65535"));
      sl.port = static_cast<std::uint16_t>(staff_port);
      VIGIL_ASSIGN(auto chain, staff->non_empty_string("certificate_chain", 4096));
      VIGIL_ASSIGN(auto key, staff->non_empty_string("private_key", 4096));
      VIGIL_TRY(staff->finish());
      // Relative paths are inside the home.
      sl.certificate_chain = fs::path(chain).is_absolute() ? fs::path(chain) : dir / chain;
      sl.private_key = fs::path(key).is_absolute() ? fs::path(key) : dir / key;
      c.staff_listener = std::move(sl);
    }
    return c;
  });
  if (!cfg) return fail(std::move(cfg).error().context("reading " + (dir / "config.json").string()));
  home.config = *cfg;

  VIGIL_ASSIGN(home.keys.receipt_seed, read_secret_hex(dir / "keys" / "receipt.key"));
  VIGIL_ASSIGN(auto receipt, crypto::ed25519_from_seed(crypto::view(home.keys.receipt_seed)));
  home.keys.receipt_public = receipt.public_key;
  // Only the public half: the evidence private key is needed where a proctor views evidence,
  // not on a host that only receives it.
  VIGIL_ASSIGN(auto evidence_b64, read_whole_file(dir / "published" / "evidence-public.key"));
  while (!evidence_b64.empty() && (evidence_b64.back() == '\n' || evidence_b64.back() == '\r')) evidence_b64.pop_back();
  auto evidence_public = from_base64(evidence_b64);
  if (!evidence_public || evidence_public->size() != 32) {
    return fail(Errc::invalid_argument, (dir / "published" / "evidence-public.key").string() + " is not an X25519 public key");
  }
  home.keys.evidence_public = std::move(*evidence_public);
  VIGIL_TRY(load_package_key(dir, home.keys));
  VIGIL_ASSIGN(home.keys.device_ca_cert_pem, read_whole_file(dir / "pki" / "device-ca.pem"));
  VIGIL_ASSIGN(auto dca_key, read_whole_file(dir / "pki" / "device-ca.key"));
  home.keys.device_ca_key_pem = crypto::SecretBytes(dca_key.begin(), dca_key.end());
  crypto::wipe({reinterpret_cast<std::uint8_t*>(dca_key.data()), dca_key.size()});
  return home;
}

}  // namespace vigil::server
