#pragma once
// The server's home directory: configuration, keys and certificates, made by `vigil-server init`
// and read by `vigil-server serve` and the admin commands.
//
//   DIR/config.json              listen address, port, server name, limits (edit freely)
//   DIR/vigil.db                 the database (SQLite, WAL)
//   DIR/pki/root-ca.pem|.key     development root CA (production: keep the key offline)
//   DIR/pki/root-ca-backup.key   the backup root key whose pin clients also carry (move offline)
//   DIR/pki/device-ca.pem|.key   issues device certificates at enrolment
//   DIR/pki/server.pem|.key      the TLS server certificate (ECDSA P-256) and key
//   DIR/keys/receipt.key         Ed25519 seed that signs receipts
//   DIR/keys/evidence.key        X25519 private key that opens evidence (proctor views only)
//   DIR/keys/package.key         Ed25519 seed that signs assessment packages and sitting grants
//                                (made on first load if a home predates it)
//   DIR/published/               what clients and verifiers may have: client-trust.json (server
//                                address, root CA, pins), receipt-public.key, evidence-public.key,
//                                package-public.key
// Private keys are 0600 in 0700 directories.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "server/home/server_keys.hpp"
#include "shared/core/file.hpp"
#include "shared/core/result.hpp"

namespace vigil::server {

// The staff pages on a listener of their own, with the operator's publicly trusted certificate
// (for example the files certbot writes, copied where the service can read them by its deploy
// hook: docs/OPERATIONS.md). Reloaded on SIGHUP. Absent: the staff pages share the device listener
// and its certificate from Vigil's private root, which a browser does not trust.
struct StaffListenerConfig {
  std::string address = "0.0.0.0";
  std::uint16_t port = 443;                  // 0: the OS picks (tests)
  std::filesystem::path certificate_chain;   // PEM: the certificate, then its intermediates
  std::filesystem::path private_key;         // PEM
};

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string server_name = "127.0.0.1";   // in the server certificate and the client's trust file
  std::size_t body_limit = 2 * 1024 * 1024;
  double device_rate_per_second = 50.0;
  double device_rate_burst = 200.0;
  unsigned threads = 2;
  // How long a candidate has to appeal a void or withheld result, in days after the day of the
  // decision (issue 16 part 4; shared/results/appeal.hpp invariant 3; docs/SERVER.md).
  std::int64_t appeal_window_days = 28;
  // Targets for proctors' work (the staff API's StaffApiConfig, docs/STAFF.md "Workload"), in
  // hours from arrival: a flagged session's review, an identity check.
  std::int64_t review_target_hours = 48;
  std::int64_t identity_target_hours = 24;
  std::optional<StaffListenerConfig> staff_listener;
};

struct ServerHome {
  std::filesystem::path dir;
  ServerConfig config;
  ServerKeys keys;
  std::filesystem::path database() const { return dir / "vigil.db"; }
  std::filesystem::path server_chain() const { return dir / "pki" / "server.pem"; }
  std::filesystem::path server_key() const { return dir / "pki" / "server.key"; }
  std::filesystem::path device_ca() const { return dir / "pki" / "device-ca.pem"; }
  std::filesystem::path client_trust() const { return dir / "published" / "client-trust.json"; }
};

// Creates a new home in dir (which must not hold one). server_name is a host name or IP address.
Status init_server_home(const std::filesystem::path& dir, const std::string& server_name, std::uint16_t port);
Result<ServerHome> load_server_home(const std::filesystem::path& dir);


}  // namespace vigil::server
