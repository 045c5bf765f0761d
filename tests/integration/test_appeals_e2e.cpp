// Issue 16 part 4, appeals, against the real vigil-server over TLS with the real client store and
// sync engine (tests/support/integrity_world.hpp): the candidate's appeal waits on the device while
// the server is down and is sent once when it is back; another candidate's device is refused; two
// proctors who took no part in the decision overturn it, and the result is released with a
// certificate that verifies offline.
#include <fstream>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "client/store/appeals.hpp"
#include "shared/results/appeal.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/integrity_world.hpp"

using namespace vigil;
using namespace vigil::testing::integrity;

TEST_CASE("a candidate appeals offline and the engine sends it when the server is back; another candidate's device is refused; an overturn releases with a certificate (over TLS)") {
  TestServer server;
  build_window(server, "pr-appeal");
  auto s = scored_sittings(server, "pr-appeal", {"c-appeal", "c-other"}, [](const std::string& c) { return c == "c-appeal"; }, true);
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  const auto p1 = create_staff(server, *http, "p1@proctors.example.org", "proctor");
  const auto p2 = create_staff(server, *http, "p2@proctors.example.org", "proctor");
  const auto p3 = create_staff(server, *http, "p3@proctors.example.org", "proctor");
  const auto p4 = create_staff(server, *http, "p4@proctors.example.org", "proctor");
  for (const auto& x : s) vigil::testing::identity_matches(*http, admin, p1, x.device->store->device_id(), x.id);
  const auto review = session_path(*s[0].device, s[0].id);
  for (const auto& p : {p1, p2}) REQUIRE(staff_call(*http, admin, "POST", review + "/assign", json{{"proctor_id", p.user_id}}).status == 200);
  decide_flags(*http, p1, review);
  REQUIRE(decide(*http, p1, review, "breach").status == 200);
  REQUIRE(decide(*http, p2, review, "breach").status == 200);
  const auto release = server.admin({"release", "--assessment", "pr-appeal"});
  INFO(release.output);
  REQUIRE_THAT(release.output, ContainsSubstring("released 1 result(s)"));   // c-other's
  auto fetched = sync::fetch_results(*s[0].device->store, *s[0].device->transport);
  REQUIRE(fetched);
  REQUIRE(fetched->sittings.size() == 1);
  CHECK(fetched->sittings[0].state == results::OutcomeState::void_after_review);
  REQUIRE(fetched->sittings[0].appeal_until_wall_ms);

  // c-other's device tries to appeal c-appeal's sitting: refused, audited, nothing stored.
  const auto cross = device_call(*s[1].device, "POST", "/v1/sittings/" + s[0].id + "/appeal",
                                 results::to_json(results::AppealRequest{"abcdefabcdefabcdef", "Not mine.", 1}).dump());
  CHECK(cross.status == 403);
  CHECK(error_of(cross).field == "sitting");
  CHECK(db_int(server, "SELECT count(*) FROM appeals") == 0);
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'device.refused' AND detail LIKE '%appeal of sitting " + s[0].id + "%'") == 1);

  // The server is down: the appeal is kept on the device and the engine cannot send it.
  const auto port = server.port();
  server.stop();
  const auto kept = store::save_appeal(*s[0].device->store, s[0].id, "I was alone: the second face is a photograph.",
                                       time::SystemClock().wall_ms());
  REQUIRE(kept);
  {
    sync::SyncEngine engine(*s[0].device->store, *s[0].device->transport);
    auto offline = engine.run_once();
    REQUIRE_FALSE(offline);
    CHECK(offline.error().code == Errc::unavailable);
  }
  CHECK(store::kept_appeals(*s[0].device->store).value().at(0).status == "sent");
  // A second appeal of the same result is refused on the device while one waits.
  CHECK_FALSE(store::save_appeal(*s[0].device->store, s[0].id, "Again.", time::SystemClock().wall_ms()));
  // Back online: the engine sends it once; the server has exactly one appeal.
  server.start(port);
  auto synced = sync_all(*s[0].device);
  INFO((synced ? "" : synced.error().describe()));
  REQUIRE(synced);
  CHECK(*synced);
  CHECK(store::kept_appeals(*s[0].device->store).value().at(0).status == "received");
  CHECK(db_int(server, "SELECT count(*) FROM appeals WHERE sitting_id = '" + s[0].id + "' AND reason LIKE 'I was alone%'") == 1);
  REQUIRE(sync_all(*s[0].device));
  CHECK(db_int(server, "SELECT count(*) FROM appeals") == 1);

  // The admin assigns two proctors who took no part (p1 and p2 are refused); p3 overturns, p4 confirms.
  const auto id = db_int(server, "SELECT appeal_id FROM appeals");
  const std::string appeal = "/staff/api/appeals/" + std::to_string(id);
  CHECK(staff_call(*http, admin, "POST", appeal + "/assign", json{{"reviewer_id", p1.user_id}}).status == 409);
  REQUIRE(staff_call(*http, admin, "POST", appeal + "/assign", json{{"reviewer_id", p3.user_id}, {"second_reviewer_id", p4.user_id}})
              .status == 200);
  const std::string reason = "The second face is a photograph on the wall: the decision is overturned.";
  auto proposed = staff_call(*http, p3, "POST", appeal + "/decision",
                             json{{"outcome", "overturned"}, {"note", "Checked the snapshots."}, {"public_reason", reason}});
  INFO(proposed.body);
  REQUIRE(proposed.status == 200);
  CHECK(staff_call(*http, p3, "POST", appeal + "/decision",
                   json{{"outcome", "overturned"}, {"note", "Again."}, {"public_reason", reason}}).status == 409);
  auto confirmed = staff_call(*http, p4, "POST", appeal + "/decision",
                              json{{"outcome", "overturned"}, {"note", "Agreed."}, {"public_reason", reason}});
  INFO(confirmed.body);
  REQUIRE(confirmed.status == 200);
  CHECK(json::parse(confirmed.body).at("certificate_issued") == true);

  // The device is told: released after an appeal, with the result and its certificate, which
  // verifies offline against the published issuer keys.
  auto after = sync::fetch_results(*s[0].device->store, *s[0].device->transport);
  REQUIRE(after);
  REQUIRE(after->results.size() == 1);
  CHECK(after->sittings[0].state == results::OutcomeState::released_after_appeal);
  REQUIRE(after->sittings[0].appeal);
  CHECK(after->sittings[0].appeal->outcome == "overturned");
  REQUIRE(after->results[0].certificate);
  const TempDir work;
  const auto cert = work.path() / "cert.json";
  {
    std::ofstream out(cert);
    out << *after->results[0].certificate;
  }
  auto verified = testing::run({VIGIL_CLIENT_EXE, "verify-certificate", cert.string(), "--keys",
                                (server.dir() / "published" / "issuer-keys.json").string()});
  INFO(verified.output);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.output, ContainsSubstring("VALID"));
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action IN ('appeal.assign', 'appeal.decide', 'appeal.overturned', 'appeal.release')") == 5);
}
