// Packages end to end: the real vigil-server (TLS on 127.0.0.1, SQLite) builds a package from a
// content folder, schedules sittings and issues start codes through its admin commands; the
// real client (SQLCipher store, HTTPS transport with the device certificate) downloads and
// unlocks, online at the start by the server's clock, or offline with the start code.
#include <fstream>

#include <catch2/catch_test_macros.hpp>

#include "client/package/packages.hpp"
#include "client/store/store.hpp"
#include "client/sync/enrol.hpp"
#include "shared/time/format.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

using namespace vigil;
namespace store = vigil::client::store;
namespace cpkg = vigil::client::package;
using vigil::testing::TempDir;
using vigil::testing::TestServer;

namespace {

const std::string k_assessment = "practitioner-test";

std::string parse_start_code(const testing::RunResult& r) {
  const auto at = r.output.find("start code: ");
  if (r.exit_code != 0 || at == std::string::npos) FAIL("no start code: " + r.output);
  return r.output.substr(at + 12, 14);
}

struct Device {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<client::sync::HttpsTransport> transport;

  Device(TestServer& server, const std::string& candidate) {
    store::StoreOptions so;
    so.dir = dir.path();
    so.key_storage = store::KeyStorePreference::file;
    store = store::Store::open(std::move(so)).value();
    auto e = client::sync::enrol(*store, server.trust(), server.enrolment_code(candidate));
    if (!e) FAIL(e.error().describe());
    transport = client::sync::transport_for(*store).value();
  }
};

}  // namespace

TEST_CASE("a package built from a content folder is downloaded and unlocked online at the start or offline with the start code") {
  TestServer server;
  const std::string home = server.dir().string();
  TempDir content;
  testing::ContentFiles::sample().write(content.path());
  auto built = testing::run({VIGIL_SERVER_EXE, "package", "build", content.path().string(), "--home", home});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  CHECK(built.output.find("signed, encrypted and stored") != std::string::npos);

  const std::int64_t now = time::system_clock().wall_ms();
  Device first(server, "c-1");
  Device second(server, "c-2");

  // c-1: scheduled two hours from now. c-2: started ten minutes ago, with extra time.
  const std::int64_t future_start = now + 2 * 3'600'000;
  REQUIRE(server.admin({"schedule", "--candidate", "c-1", "--assessment", k_assessment, "--start", vigil::time::utc_iso8601(future_start)}).exit_code == 0);
  REQUIRE(server.admin({"schedule", "--candidate", "c-2", "--assessment", k_assessment, "--start", vigil::time::utc_iso8601(now - 600'000),
                        "--window-hours", "4"}).exit_code == 0);
  REQUIRE(server.admin({"set-accommodations", "--candidate", "c-2", "--extra-time-percent", "25", "--knowledge-only"}).exit_code == 0);
  const std::string code = parse_start_code(server.admin({"start-code", "--candidate", "c-1", "--assessment", k_assessment}));
  parse_start_code(server.admin({"start-code", "--candidate", "c-2", "--assessment", k_assessment}));

  auto got = cpkg::download(*first.transport, *first.store, first.dir.path());
  if (!got) FAIL(got.error().describe());
  REQUIRE(got->size() == 1);
  const auto sitting = (*got)[0];
  CHECK(sitting.assessment_id == k_assessment);
  CHECK(std::filesystem::exists(sitting.package_file));

  // Online before the start: the server's clock says not yet.
  auto early = cpkg::unlock_online(*first.transport, *first.store, first.dir.path(), sitting.sitting_id);
  REQUIRE_FALSE(early);
  CHECK(early.error().code == Errc::forbidden);
  CHECK(early.error().message.find("not yet") != std::string::npos);

  // Offline at the start (by the device clock) with the code from `admin start-code`.
  const time::ManualClock at_start{future_start};
  auto wrong = cpkg::unlock_offline(*first.store, first.dir.path(), sitting.sitting_id, "ACDE-FGHJ-KMNP", at_start);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::auth_failed);
  auto offline = cpkg::unlock_offline(*first.store, first.dir.path(), sitting.sitting_id, code, at_start);
  if (!offline) FAIL(offline.error().describe());
  CHECK(offline->assessment.sections.size() == 3);
  CHECK(offline->assessment.total_minutes() == 240);

  // c-2's sitting has started: the server releases the key online.
  auto got2 = cpkg::download(*second.transport, *second.store, second.dir.path());
  REQUIRE(got2);
  REQUIRE(got2->size() == 1);
  auto online = cpkg::unlock_online(*second.transport, *second.store, second.dir.path(), (*got2)[0].sitting_id);
  if (!online) FAIL(online.error().describe());
  CHECK(online->assessment.id == k_assessment);
  CHECK(online->sitting.accommodations == assessment::Accommodations{25, 0, true});
  // Each device sees only its own candidate's sitting.
  CHECK((*got2)[0].sitting_id != sitting.sitting_id);

  // After a restart of the client (store reopened), no code and no server are needed.
  second.transport.reset();
  second.store.reset();
  store::StoreOptions so;
  so.dir = second.dir.path();
  so.key_storage = store::KeyStorePreference::file;
  auto reopened_store = store::Store::open(std::move(so)).value();
  server.stop();
  auto again = cpkg::reopen(*reopened_store, second.dir.path(), (*got2)[0].sitting_id);
  REQUIRE(again);
  CHECK(again->assessment.title == online->assessment.title);
}

TEST_CASE("the sample practitioner assessment goes from package build to vigil-client unlock with a start code") {
  TestServer server;
  const std::string home = server.dir().string();
  const std::string sample = (std::filesystem::path(VIGIL_SOURCE_DIR) / "server" / "content" / "practitioner").string();
  auto built = testing::run({VIGIL_SERVER_EXE, "package", "build", sample, "--home", home});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);

  TempDir data;
  const auto trust_file = data / "trust.json";
  std::ofstream(trust_file) << protocol::to_json(server.trust()).dump();
  const std::vector<std::string> client{VIGIL_CLIENT_EXE, "--data", (data / "store").string(), "--key-storage", "file"};
  const auto vigil_client = [&](std::vector<std::string> args) {
    args.insert(args.begin(), client.begin(), client.end());
    return testing::run(args);
  };
  REQUIRE(vigil_client({"enrol", "--trust", trust_file.string(), "--code", server.enrolment_code("c-1")}).exit_code == 0);
  const std::int64_t now = time::system_clock().wall_ms();
  REQUIRE(server.admin({"schedule", "--candidate", "c-1", "--assessment", "practitioner-demo", "--start", vigil::time::utc_iso8601(now - 60'000)}).exit_code == 0);
  const std::string code = parse_start_code(server.admin({"start-code", "--candidate", "c-1", "--assessment", "practitioner-demo"}));

  auto download = vigil_client({"download"});
  INFO(download.output);
  REQUIRE(download.exit_code == 0);
  CHECK(download.output.find("1 assessment(s) on this device") != std::string::npos);
  CHECK(download.output.find("locked until the start") != std::string::npos);

  auto wrong = vigil_client({"unlock", "--start-code", "ACDE-FGHJ-KMNP"});
  CHECK(wrong.exit_code != 0);
  CHECK(wrong.output.find("start code is not right") != std::string::npos);
  auto typo = vigil_client({"unlock", "--start-code", "ACDE"});
  CHECK(typo.exit_code == 64);

  // Offline: the server is gone; the code alone (with this device) unlocks.
  server.stop();
  auto unlocked = vigil_client({"unlock", "--start-code", code});
  INFO(unlocked.output);
  REQUIRE(unlocked.exit_code == 0);
  CHECK(unlocked.output.find("unlocked: ") != std::string::npos);
  CHECK(unlocked.output.find("240 minutes") != std::string::npos);
}
