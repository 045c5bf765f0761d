// Results and certificates end to end: the real vigil-server (TLS on 127.0.0.1, SQLite) scores a
// device's synced answers, an admin releases them, the real client fetches and keeps the result,
// and after the server is stopped the result is still there and the certificate verifies offline
// (and fails after a one-byte change, after revocation and against an unknown key).
#include <fstream>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/results.hpp"
#include "shared/certificate/credential.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/client_store.hpp"
#include "tests/support/staff_tls.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

#ifndef VIGIL_CLIENT_EXE
#error "VIGIL_CLIENT_EXE must name the vigil-client executable"
#endif

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::client;
using vigil::testing::RunResult;
using vigil::testing::TempDir;
using vigil::testing::TestServer;

namespace {

std::unique_ptr<store::Store> open_store(const TempDir& dir) { return testing::open_store(dir.path()); }

RunResult server_cmd(TestServer& server, std::vector<std::string> args) {
  // vigil-server GROUP SUB DIR ...: the home goes after the two command words.
  args.insert(args.begin() + 2, server.dir().string());
  args.insert(args.begin(), VIGIL_SERVER_EXE);
  return testing::run(args);
}

// "sitting ID: c-1 sits ..." from admin schedule.
std::string parse_sitting(const RunResult& r) {
  const auto at = r.output.find("sitting ");
  REQUIRE(r.exit_code == 0);
  REQUIRE(at != std::string::npos);
  const auto start = at + 8;
  return r.output.substr(start, r.output.find(':', start) - start);
}

void write_file(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

}  // namespace

TEST_CASE("a synced sitting is scored, released, fetched, kept offline and its certificate verifies after the server stops") {
  TestServer server;
  TempDir work;
  // The assessment: knowledge k-001 (P3, key 2) and k-002 (P8, multiple, key {0,3}); scenario
  // s1-001 (P1+P2, key 0); written w-001 (P6, P7).
  testing::ContentFiles::sample("pr-results", 1).write(work.path() / "content");
  auto built = testing::run({VIGIL_SERVER_EXE, "package", "build", (work.path() / "content").string(), "--home",
                             server.dir().string()});
  REQUIRE(built.exit_code == 0);
  const std::string code = server.enrolment_code("c-1");
  const std::string sitting = parse_sitting(server.admin({"schedule", "--candidate", "c-1", "--assessment", "pr-results",
                                                          "--start", "2026-01-05T09:00:00Z", "--window-hours", "8"}));

  TempDir device_dir;
  auto s = open_store(device_dir);
  REQUIRE(sync::enrol(*s, server.trust(), code));
  REQUIRE(s->begin_session(sitting, "pr-results"));
  REQUIRE(s->save_answer(sitting, "k-001", R"({"choice":1})"));
  REQUIRE(s->save_answer(sitting, "k-001", R"({"choice":2})"));  // revision 2 replaces the first: right
  REQUIRE(s->save_answer(sitting, "k-002", R"({"choices":[3,0]})"));
  REQUIRE(s->save_answer(sitting, "s1-001", R"({"choice":0})"));
  REQUIRE(s->save_answer(sitting, "w-001", R"({"text":"A case summary."})"));

  auto transport = sync::transport_for(*s).value();
  // Before submission the server refuses to score.
  {
    sync::SyncEngine engine(*s, *transport);
    for (int i = 0; i < 10; ++i) {
      auto r = engine.run_once();
      REQUIRE(r);
      if (*r) break;
    }
  }
  auto early = server_cmd(server, {"results", "score", "--sitting", sitting});
  CHECK(early.exit_code != 0);
  CHECK_THAT(early.output, ContainsSubstring("has not been submitted"));

  REQUIRE(s->submit_session(sitting));
  sync::SyncEngine engine(*s, *transport);
  bool done = false;
  for (int i = 0; i < 20 && !done; ++i) {
    auto r = engine.run_once();
    REQUIRE(r);
    done = *r;
  }
  REQUIRE(done);

  // Without written marks: incomplete, and release leaves it unreleased; the device sees nothing.
  auto scored = server_cmd(server, {"results", "score", "--sitting", sitting});
  INFO(scored.output);
  REQUIRE(scored.exit_code == 0);
  CHECK_THAT(scored.output, ContainsSubstring("outcome incomplete"));
  CHECK_THAT(scored.output, ContainsSubstring("awaiting_marking"));
  auto release0 = server.admin({"release", "--assessment", "pr-results"});
  REQUIRE(release0.exit_code == 0);
  CHECK_THAT(release0.output, ContainsSubstring("released 0 result(s)"));
  CHECK_THAT(release0.output, ContainsSubstring("1 still awaiting marking"));
  auto none = sync::fetch_results(*s, *transport);
  REQUIRE(none);
  CHECK(none->results.empty());
  // The device is told where the sitting stands: its identity check is not decided yet.
  REQUIRE(none->sittings.size() == 1);
  CHECK(none->sittings[0].sitting_id == sitting);
  CHECK(none->sittings[0].state == results::OutcomeState::under_review);

  // A mark for an area the written stage does not assess is refused.
  auto bad_mark = server_cmd(server, {"results", "mark-written", "--sitting", sitting, "--mark", "P1=5/10", "--mark", "P7=5/10"});
  CHECK(bad_mark.exit_code != 0);
  CHECK_THAT(bad_mark.output, ContainsSubstring("does not assess"));
  // knowledge 2/2, scenario 1/1, written 6/10 + 7/10 = 13/20 (65 %); overall 16/23 = 69 % -> met.
  REQUIRE(server_cmd(server, {"results", "mark-written", "--sitting", sitting, "--mark", "P6=6/10", "--mark", "P7=7/10"})
              .exit_code == 0);
  scored = server_cmd(server, {"results", "score", "--sitting", sitting});
  INFO(scored.output);
  REQUIRE(scored.exit_code == 0);
  CHECK_THAT(scored.output, ContainsSubstring("outcome met"));
  // A proctor finds that the identity photos match (nothing is released before: issue 16).
  {
    auto http = testing::staff_transport(server);
    const auto admin = testing::create_staff(server, *http, "admin@programme.example.org", "programme_admin");
    const auto proctor = testing::create_staff(server, *http, "proctor@programme.example.org", "proctor");
    testing::identity_matches(*http, admin, proctor, s->device_id(), sitting);
  }
  auto release = server.admin({"release", "--assessment", "pr-results"});
  INFO(release.output);
  REQUIRE(release.exit_code == 0);
  CHECK_THAT(release.output, ContainsSubstring("released 1 result(s)"));
  CHECK_THAT(release.output, ContainsSubstring("certificates issued: 1"));
  auto stats = server_cmd(server, {"results", "stats", "--assessment", "pr-results"});
  CHECK(stats.exit_code == 0);
  CHECK_THAT(stats.output, ContainsSubstring("k-002"));
  auto csv = server_cmd(server, {"results", "export", "--assessment", "pr-results"});
  CHECK(csv.exit_code == 0);
  CHECK_THAT(csv.output, ContainsSubstring(sitting + ",c-1,Test Candidate,leeds,1,met,"));
  // A released result never changes.
  auto rescore = server_cmd(server, {"results", "score", "--sitting", sitting});
  CHECK(rescore.exit_code != 0);
  CHECK_THAT(rescore.output, ContainsSubstring("released and cannot change"));

  // The device fetches it over mTLS and keeps it.
  auto fetched = sync::fetch_results(*s, *transport);
  REQUIRE(fetched);
  REQUIRE(fetched->results.size() == 1);
  REQUIRE(fetched->sittings.size() == 1);
  CHECK(fetched->sittings[0].state == results::OutcomeState::released);
  const auto& r = fetched->results.front();
  CHECK(r.sitting_id == sitting);
  CHECK(r.report.outcome == results::Outcome::met);
  CHECK(r.report.items.empty());  // no item detail reaches a device
  CHECK(r.report.overall == results::Marks{16, 23});
  REQUIRE(r.certificate);

  // Server gone: the kept copy is all there is, and it is enough.
  const auto keys_file = server.dir() / "published" / "issuer-keys.json";
  server.stop();
  auto offline = sync::fetch_results(*s, *transport);
  REQUIRE_FALSE(offline);
  CHECK(offline.error().code == Errc::unavailable);
  auto kept = sync::kept_results(*s).value();
  REQUIRE(kept);
  REQUIRE(kept->results.size() == 1);
  CHECK(kept->results.front() == r);
  CHECK(kept->sittings == fetched->sittings);
  const std::string cert_text = *kept->results.front().certificate;
  transport.reset();
  s.reset();  // the CLI below opens the same store

  auto shown = testing::run({VIGIL_CLIENT_EXE, "--data", device_dir.path().string(), "--key-storage", "file", "result", "--offline",
                             "--save-certificate", (work.path() / "cert.json").string(), "--print-certificate",
                             (work.path() / "cert.html").string()});
  INFO(shown.output);
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.output, ContainsSubstring("Outcome: MET"));
  CHECK_THAT(shown.output, ContainsSubstring("P6: "));
  CHECK_THAT(shown.output, ContainsSubstring("Next steps:"));
  CHECK_THAT(testing::read_text(work.path() / "cert.html"), ContainsSubstring("Test Candidate"));

  // Offline verification with the client and the server commands.
  const auto cert = work.path() / "cert.json";
  auto v = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", cert.string(), "--keys", keys_file.string()});
  INFO(v.output);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, ContainsSubstring("VALID"));
  CHECK_THAT(v.output, ContainsSubstring("Test Candidate"));
  CHECK_THAT(v.output, ContainsSubstring("not checked for revocation: no list given"));
  CHECK(testing::run({VIGIL_SERVER_EXE, "verify-certificate", cert.string(), "--keys", keys_file.string()}).exit_code == 0);

  // One byte changed: the candidate's name.
  std::string changed = cert_text;
  const auto at = changed.find("Test Candidate");
  REQUIRE(at != std::string::npos);
  changed[at] = 'B';
  write_file(work.path() / "changed.json", changed);
  v = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", (work.path() / "changed.json").string(), "--keys", keys_file.string()});
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.output, ContainsSubstring("NOT VALID: bad_signature"));

  // Rotation: the old certificate still verifies against the new key set.
  REQUIRE(testing::run({VIGIL_SERVER_EXE, "certificate", "keys", "rotate", server.dir().string()}).exit_code == 0);
  v = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", cert.string(), "--keys", keys_file.string()});
  CHECK(v.exit_code == 0);

  // An unknown key: a key set that lists only some other key.
  const auto set = certificate::parse_issuer_key_set(testing::read_text(keys_file)).value();
  REQUIRE(set.keys.size() == 2);
  certificate::IssuerKeySet only_new{{set.keys.front()}};
  write_file(work.path() / "other-keys.json", certificate::to_json(only_new).dump());
  v = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", cert.string(), "--keys", (work.path() / "other-keys.json").string()});
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.output, ContainsSubstring("NOT VALID: unknown_key"));

  // Revoked: the server re-signs published/revocations.json; the verifier uses it when given.
  const auto credential_id = certificate::parse_credential(cert_text).value().credential_id;
  auto revoked = server_cmd(server, {"certificate", "revoke", "--id", credential_id, "--reason", "issued in error"});
  INFO(revoked.output);
  REQUIRE(revoked.exit_code == 0);
  const auto revocations = server.dir() / "published" / "revocations.json";
  v = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", cert.string(), "--keys", keys_file.string(), "--revocations",
                    revocations.string()});
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.output, ContainsSubstring("NOT VALID: revoked"));
  CHECK_THAT(v.output, ContainsSubstring("issued in error"));
  v = testing::run({VIGIL_SERVER_EXE, "verify-certificate", cert.string(), "--home", server.dir().string(), "--revocations",
                    revocations.string()});
  CHECK(v.exit_code == 1);
}
