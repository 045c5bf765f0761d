#pragma once
// The composition root (issue 14): the one place that opens the server home, the database, every
// repository on it and both APIs, and wires them together. `vigil-server serve`, the results
// commands and the tests' world (tests/support/server_world.hpp) all build the server through it,
// so no dependency is optional: every repository the APIs take is a reference, always provided.
//
//   ServerData   the home (folder, config, keys), the database and the repositories sharing its
//                connection and lock: what the command-line tools need
//   Server       ServerData plus the issuer signer, the device API and the staff API: what
//                `serve` and the tests run
#include <filesystem>
#include <memory>
#include <optional>

#include "server/device/api.hpp"
#include "server/home/issuer_keys.hpp"
#include "server/home/server_home.hpp"
#include "server/staff/staff_api.hpp"
#include "server/storage/appeals_repository.hpp"
#include "server/storage/equalities_repository.hpp"
#include "server/storage/marking_sqlite_repository.hpp"
#include "server/storage/results_sqlite_repository.hpp"
#include "server/storage/sqlite_repository.hpp"
#include "server/storage/staff_sqlite_repository.hpp"
#include "shared/protocol/http.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server::app {

class ServerData {
 public:
  // Loads the home made by `vigil-server init` in dir and opens (and migrates) its database.
  // sqlite_vfs: the tests' fault-injection seam (SqliteRepository::open); nullptr = the default.
  static Result<std::unique_ptr<ServerData>> open(const std::filesystem::path& dir, const char* sqlite_vfs = nullptr);

  ServerData(ServerHome opened, std::unique_ptr<SqliteRepository> db)
      : home(std::move(opened)), db_(std::move(db)) {}
  ServerData(const ServerData&) = delete;
  ServerData& operator=(const ServerData&) = delete;

  ServerHome home;

 private:
  std::unique_ptr<SqliteRepository> db_;   // declared before the repositories that use it

 public:
  SqliteRepository& repo = *db_;   // devices, sessions, packages, sittings
  SqliteStaffRepository staff{*db_};
  SqliteResultsRepository results{*db_};
  SqliteResitRepository resits{*db_};
  SqliteMarkingRepository marking{*db_};
  SqliteEqualitiesRepository equalities{*db_};
  SqliteAppealRepository appeals{*db_};
};

// What differs between a real server and a test: the APIs' settings. The composition root fills
// in the rest (the evidence key from the home, the repositories).
struct ServerOptions {
  ApiConfig api;
  StaffApiConfig staff;
  const char* sqlite_vfs = nullptr;  // fault-injection seam for tests (power cuts); nullptr = default
};

class Server {
 public:
  // Opens dir as ServerData, loads the evidence key (DIR/keys/evidence.key, when the operator keeps
  // it there) and the issuer key active now, and builds both APIs on `clock`. An issuer key that
  // cannot be loaded is logged (options.staff.log) and release then issues no certificates.
  static Result<std::unique_ptr<Server>> open(const std::filesystem::path& dir, const time::Clock& clock,
                                              ServerOptions options = {});

  Server(std::unique_ptr<ServerData> data, std::optional<IssuerSigner> signer, const time::Clock& clock,
         ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The listener's one handler: /staff/... to the staff API, everything else to the device API.
  protocol::HttpResponse handle(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);

  ServerData& data() { return *data_; }
  const IssuerSigner* signer() const { return signer_ ? &*signer_ : nullptr; }
  Api& api() { return api_; }
  StaffApi& staff_api() { return staff_api_; }

 private:
  std::unique_ptr<ServerData> data_;
  std::optional<IssuerSigner> signer_;
  Api api_;
  StaffApi staff_api_;
};

}  // namespace vigil::server::app
