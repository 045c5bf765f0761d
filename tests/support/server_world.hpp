#pragma once
// One server for tests and benchmarks, built by the composition root exactly as `vigil-server
// serve` builds it (server/app/composition.hpp): a fresh home (init_server_home) in a temp dir,
// its database, every repository, the issuer key, the device API and the staff API, on a
// ManualClock set to the real time (the device CA's validity starts at the real time). Requests
// go through the same dispatch as the listener's; staff sign in through the real endpoints,
// completing what a first sign-in owes (StaffSetup). No Catch2 here: failures throw, so the
// benchmarks use it too.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/app/composition.hpp"
#include "server/embedded/server_migrations.hpp"
#include "shared/results/scoring.hpp"
#include "shared/protocol/http.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/staff_setup.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::testing {

// Every test account's one-time password (StaffSetup replaces it at the first sign-in).
inline const std::string k_staff_password = "correct horse battery staple";
// Fast password hashing for tests; production uses the default (N = 2^15).
inline const crypto::ScryptParams k_test_scrypt{1u << 10, 8, 1};

// A score as score_sitting leaves one, for seeding: version 1, overall 7/10 against 60 %, every
// stage met with 7/10, item k1 answered (mark 1). Tests change what they are about.
inline results::ScoreReport sample_score(const std::string& window, results::Outcome outcome) {
  results::ScoreReport r;
  r.assessment_id = window;
  r.version = 1;
  r.outcome = outcome;
  r.overall = {7, 10};
  r.overall_threshold = 60;
  for (auto k : {results::SectionKind::knowledge, results::SectionKind::scenario, results::SectionKind::written}) {
    r.stages.push_back({k, results::StageStatus::met, {7, 10}, 60, {}});
  }
  r.items = {{"k1", results::SectionKind::knowledge, true, 1}};
  return r;
}

// The stored, unreleased row of a sitting's score.
inline server::ResultRow result_row(const std::string& sitting, const std::string& candidate,
                                          const results::ScoreReport& r, std::int64_t scored_wall_ms) {
  return {sitting, candidate, r.assessment_id, r.version, std::string(results::outcome_name(r.outcome)),
          results::to_json(r, true).dump(), scored_wall_ms, std::nullopt};
}

// A server database left at an older schema, for the test of a later migration: the first
// `version` embedded migrations, run by the server's own runner (sqlite::migrate), which also
// sets PRAGMA user_version. The test then writes rows as that older server would have, and opens
// the file with SqliteRepository::open to migrate it the rest of the way.
inline sqlite::Db server_db_at_schema(const std::filesystem::path& path, std::size_t version) {
  auto db = sqlite::Db::open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) throw std::runtime_error(db.error().message);
  const auto files = server::server_migrations();
  if (version > files.size()) throw std::runtime_error("no schema " + std::to_string(version));
  std::vector<std::string_view> sql;
  for (std::size_t i = 0; i < version; ++i) sql.push_back(files[i].text);
  if (auto st = sqlite::migrate(*db, sql); !st) throw std::runtime_error(st.error().message);
  return std::move(*db);
}

// A signed-in browser: its session cookie and CSRF token.
using Browser = StaffSetup::Session;

class ServerWorld {
 public:
  // The clock starts at start_ms. home_folder empty: a temp dir removed afterwards; otherwise that
  // folder (a benchmark's), made anew.
  explicit ServerWorld(server::app::ServerOptions options = {}, std::int64_t start_ms = time::system_clock().wall_ms(),
                       std::filesystem::path home_folder = {})
      : clock(start_ms),
        home_dir_(home_folder.empty() ? dir / "home" : std::move(home_folder)),
        server(open(std::move(options))) {}
  ServerWorld(const ServerWorld&) = delete;
  ServerWorld& operator=(const ServerWorld&) = delete;

  TempDir dir;
  time::ManualClock clock;
  std::vector<std::string> log;   // the staff API's log lines

 private:
  std::filesystem::path home_dir_;

  std::unique_ptr<server::app::Server> open(server::app::ServerOptions options) {
    options.staff.password_scrypt = k_test_scrypt;   // as add_user() hashes
    if (!options.staff.log) options.staff.log = [this](const std::string& line) { log.push_back(line); };
    std::filesystem::remove_all(home_dir_);
    if (auto st = server::init_server_home(home_dir_, "127.0.0.1", 8443); !st) {
      throw std::runtime_error(st.error().message);
    }
    return server::app::Server::open(home_dir_, clock, std::move(options)).value();
  }

 public:
  std::unique_ptr<server::app::Server> server;
  // The parts, by the names the tests use.
  server::ServerHome& home = server->data().home;
  server::SqliteRepository* repo = &server->data().repo;
  server::SqliteStaffRepository* staff = &server->data().staff;
  server::SqliteResultsRepository* results = &server->data().results;
  server::SqliteResitRepository* resits = &server->data().resits;
  server::SqliteMarkingRepository* marking = &server->data().marking;
  server::SqliteEqualitiesRepository* equalities = &server->data().equalities;
  server::Api* api = &server->api();
  server::StaffApi* staff_api = &server->staff_api();
  StaffSetup accounts{[this](const protocol::HttpRequest& r) { return handle(r); }, &clock,
                      [this] { return clock.wall_ms(); }};

  // Through the listener's dispatch, from a browser (no client certificate) on 127.0.0.1, or
  // from the given peer (a device).
  protocol::HttpResponse handle(const protocol::HttpRequest& r,
                                const protocol::PeerIdentity& peer = {false, "", "", "127.0.0.1"}) {
    return server->handle(r, peer);
  }

  // A request as a browser sends it: JSON unless told otherwise, with the session cookie (among
  // another cookie) and, for anything but GET, the CSRF token.
  protocol::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                              const Browser* b = nullptr, std::string content_type = "application/json") {
    protocol::HttpRequest r;
    r.method = method;
    r.target = target;
    if (!body.empty()) r.headers["Content-Type"] = std::move(content_type);
    r.body = body;
    if (b) {
      r.headers["Cookie"] = "other=1; vigil_staff=" + b->cookie;
      if (method != "GET") r.headers["X-CSRF-Token"] = b->csrf;
    }
    return handle(r);
  }
  protocol::HttpResponse call(const std::string& method, const std::string& target, const std::string& body,
                              const Browser& b) {
    return call(method, target, body, &b);
  }

  // One sign-in attempt, as the sign-in page sends it.
  protocol::HttpResponse try_login(const std::string& email, const std::string& password) {
    return call("POST", "/staff/api/login", nlohmann::json{{"email", email}, {"password", password}}.dump());
  }

  // A staff account with the test password; council for council managers.
  std::int64_t add_user(const std::string& email, const std::string& role, const std::string& council = "",
                        const std::string& name = "") {
    return server::create_staff_user(*repo, *staff, email, name.empty() ? "User " + email : name, role, council,
                                           k_staff_password, clock, k_test_scrypt)
        .value();
  }
  // Signs in through the real endpoints, completing the first sign-in (own password, TOTP set-up).
  Browser login(const std::string& email) { return accounts.sign_in(email, k_staff_password); }
  Browser add_and_login(const std::string& email, const std::string& role, const std::string& council = "") {
    add_user(email, role, council);
    return login(email);
  }

  // An endorsed candidate "cand-REF" of the council (email REF@COUNCIL.example.org).
  std::string endorse(const std::string& council, const std::string& name, const std::string& ref,
                      const std::string& exemptions = "") {
    server::EndorsementRow e;
    e.candidate = {"cand-" + ref, council, name, ref + "@" + council + ".example.org", "practitioner"};
    e.employee_ref = ref;
    e.exemptions = exemptions;
    if (auto st = staff->add_endorsement(e, 0, clock.wall_ms()); !st) throw std::runtime_error(st.error().message);
    return e.candidate.candidate_id;
  }
};

// The names the server tests use: `using namespace vigil::testing::server_test;`.
namespace server_test {
using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;
using protocol::PeerIdentity;
namespace srv = vigil::server;
using testing::Browser;
using testing::k_staff_password;
}  // namespace server_test

}  // namespace vigil::testing
