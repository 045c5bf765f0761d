// Issue 16 part 2, "an identity check by a person, for every sitting": the rules
// (server/results/identity.hpp) on their own, then the staff API in process
// (tests/support/server_world.hpp) with sessions submitted through the device API, so that the
// schema's trigger makes each check as production does: assignment to the least-loaded proctor,
// the queue with its age, photos opened only for the check's proctors (every view audited),
// two proctors for a mismatch or a doubt, and release refusing what the identity check holds back.
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/packages/packages.hpp"
#include "server/results/identity.hpp"
#include "server/results/resits.hpp"
#include "server/results/results.hpp"
#include "server/staff/staff_api.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using testing::Device;

namespace {

// ---- the rules ----

TEST_CASE("identity rules: matches decides at once, a mismatch or a doubt waits for a second, different proctor") {
  srv::IdentityCheckState open{"open", 7, 0, "", 0};
  auto m = srv::identity_step(open, "matches", "", "", 7);
  REQUIRE(m);
  CHECK(m->state == "decided");
  CHECK(m->decision == "matches");
  CHECK(srv::identity_step(open, "matches", "", "", 8).error().code == Errc::forbidden);   // not theirs
  CHECK(srv::identity_step(open, "does_not_match", "  ", "", 7).error().field == "note");   // reasons needed
  CHECK(srv::identity_step(open, "maybe", "x", "", 7).error().field == "decision");
  auto d = srv::identity_step(open, "does_not_match", "The ID shows someone else.", "The ID is not the candidate's.", 7);
  REQUIRE(d);
  CHECK(d->state == "awaiting_second");
  CHECK(d->proposed_decision == "does_not_match");
  CHECK(d->decision.empty());

  srv::IdentityCheckState waiting{"awaiting_second", 7, 9, "cannot_tell", 7};
  CHECK(srv::identity_step(waiting, "matches", "", "", 7).error().code == Errc::conflict);      // the first cannot confirm
  CHECK(srv::identity_step(waiting, "matches", "", "", 8).error().code == Errc::forbidden);     // not the second
  CHECK(srv::identity_step(waiting, "cannot_tell", "still unsure", "", 9).error().field == "decision");
  auto second = srv::identity_step(waiting, "does_not_match", "Different person.", "The ID is someone else's.", 9);
  REQUIRE(second);
  CHECK(second->state == "decided");
  CHECK(second->decision == "does_not_match");
  CHECK(second->stage == 2);
  CHECK(srv::identity_step({"decided", 7, 9, "", 0}, "matches", "", "", 9).error().code == Errc::conflict);
  // Issue 16 part 3: "does not match" needs a public reason, from either proctor; nothing else takes one.
  CHECK(srv::identity_step(open, "does_not_match", "The ID shows someone else.", "  ", 7).error().field == "public_reason");
  CHECK(srv::identity_step(waiting, "does_not_match", "Different person.", "", 9).error().field == "public_reason");
  CHECK(srv::identity_step(open, "cannot_tell", "Blurred.", "A reason.", 7).error().field == "public_reason");
  CHECK(srv::identity_step(open, "matches", "", "A reason.", 7).error().field == "public_reason");
  CHECK(srv::identity_step(open, "does_not_match", "x", std::string(301, 'a'), 7).error().field == "public_reason");
  CHECK(srv::identity_step(open, "does_not_match", "x", "two\nlines", 7).error().field == "public_reason");
  CHECK(d->public_reason == "The ID is not the candidate's.");

  CHECK(srv::may_see_identity(open, 7));
  CHECK_FALSE(srv::may_see_identity(open, 9));
  CHECK_FALSE(srv::may_see_identity({"open", 0, 0, "", 0}, 0));   // unassigned: nobody
  CHECK(srv::may_see_identity(waiting, 9));
  CHECK(srv::may_see_identity(waiting, 7));
}

// ---- the staff API ----

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

// Two proctors (A has more open work, so B is the least loaded), an admin and a council manager;
// candidates of council "own", each sitting on their own device.
struct World : testing::ServerWorld {
  Browser admin, manager, proctor_a, proctor_b, proctor_c;
  std::int64_t a = 0, b = 0, c = 0;

  World() {
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    // Window "w1" is a package row only (scheduling reads its level; nothing decrypts it).
    REQUIRE(repo->add_package({"w1", 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4),
                               clock.wall_ms()},
                              "{}"));
    admin = add_and_login("admin@example.org", "programme_admin");
    manager = add_and_login("manager@own.example.org", "council_manager", "own");
    a = add_user("a@proctors.example.org", "proctor");
    proctor_a = login("a@proctors.example.org");
  }
  void add_proctors_b_and_c() {
    b = add_user("b@proctors.example.org", "proctor");
    proctor_b = login("b@proctors.example.org");
    c = add_user("c@proctors.example.org", "proctor");
    proctor_c = login("c@proctors.example.org");
  }

  // A candidate's sitting of w1, sat on its own device with both photos and a thumbnail, submitted,
  // and scored "met" (the session is the sitting).
  struct Sat {
    std::unique_ptr<Device> device;
    std::string candidate, path;
  };
  Sat sit(const std::string& ref, char device_char) {
    Sat s;
    s.candidate = endorse("own", "Candidate " + ref, ref);
    s.device = testing::sitting_device(*this, s.candidate, "w1", device_char);
    auto& d = *s.device;
    const auto identity = d.identity_checked(ref);
    const auto thumb = d.evidence("\xFF\xD8\xFF thumbnail of " + ref);
    d.send({{"session.started", "{}"},
            {"identity.checked", identity},
            {"thumbnail.taken", json{{"sha256", thumb}, {"width", 160}, {"height", 120}}.dump()},
            {"session.submitted", R"({"v":1,"blobs":[]})"}});
    REQUIRE(results->put_result(testing::result_row(d.session, s.candidate, testing::sample_score("w1", results::Outcome::met),
                                                    clock.wall_ms())));
    s.path = "/staff/api/identity/" + d.id + "/" + d.session;
    return s;
  }

  std::int64_t audits(const std::string& action) {
    return staff->audit_entries(0, 1000).map([&](const auto& v) {
      return static_cast<std::int64_t>(std::count_if(v.begin(), v.end(), [&](const auto& e) { return e.action == action; }));
    }).value();
  }
  // A "does not match" carries a public reason (issue 16 part 3).
  HttpResponse decide(const Browser& who, const Sat& s, const std::string& decision, const std::string& note = "Reasons.",
                      const std::string& public_reason = "The photos do not show the endorsed candidate.") {
    json body{{"decision", decision}, {"note", note}};
    if (decision == "does_not_match") body["public_reason"] = public_reason;
    return call("POST", s.path + "/decision", body.dump(), who);
  }
  srv::ReleaseCounts release() {
    return srv::release_results(*repo, *results, "w1", nullptr, clock).value().counts;
  }
  bool released(const Sat& s) { return results->result(s.device->session).value()->released_wall_ms.has_value(); }
};

TEST_CASE("every submitted sitting gets an identity check for the least-loaded proctor, whose queue shows it with its age") {
  World w;
  auto first = w.sit("c1", 'a');   // only A is active: A's
  w.add_proctors_b_and_c();
  auto second = w.sit("c2", 'b');  // B and C have none: B's (the lower id)
  CHECK(w.staff->identity_check(first.device->id, first.device->session).value()->proctor_id == w.a);
  CHECK(w.staff->identity_check(second.device->id, second.device->session).value()->proctor_id == w.b);
  w.clock.advance_ms(20 * 60'000);   // within the staff idle timeout
  const auto queue = body_of(w.call("GET", "/staff/api/identity", "", w.proctor_a));
  INFO(queue.dump());
  REQUIRE(queue["checks"].size() == 1);
  CHECK(queue["checks"][0]["session_id"] == first.device->session);
  CHECK(queue["checks"][0]["full_name"] == "Candidate c1");
  CHECK(queue["checks"][0]["age_ms"].get<std::int64_t>() >= 20 * 60'000);
  // The admin sees every check not decided, and reassigns one.
  CHECK(body_of(w.call("GET", "/staff/api/identity", "", w.admin))["checks"].size() == 2);
  CHECK(w.call("POST", first.path + "/assign", json{{"proctor_id", w.c}}.dump(), w.admin).status == 200);
  CHECK(body_of(w.call("GET", "/staff/api/identity", "", w.proctor_a))["checks"].empty());
  CHECK(w.call("GET", first.path, "", w.proctor_a).status == 403);   // no longer A's
  CHECK(w.call("POST", first.path + "/assign", json{{"proctor_id", w.c}}.dump(), w.proctor_c).status == 403);
  CHECK(w.call("GET", "/staff/api/identity", "", w.manager).status == 403);
}

TEST_CASE("the photos open only for the check's proctor; anyone else gets 403, nothing is opened, and every view is audited") {
  World w;
  w.add_proctors_b_and_c();
  auto s = w.sit("c1", 'a');   // A has none open, nor B, nor C: A's (the lowest id)
  REQUIRE(w.staff->identity_check(s.device->id, s.device->session).value()->proctor_id == w.a);
  for (const Browser* who : {&w.proctor_b, &w.manager, &w.admin}) {
    for (const std::string& target : {s.path, s.path + "/photos/face", s.path + "/photos/id"}) {
      // Issue 16 part 3: an admin follows the check from a withheld result (below), never its photos.
      if (who == &w.admin && target == s.path) continue;
      const auto r = w.call("GET", target, "", *who);
      INFO(target << " " << r.body);
      CHECK(r.status == 403);
      CHECK(r.body.find("face of") == std::string::npos);
    }
  }
  CHECK(w.audits("identity.photo") == 0);
  CHECK(w.audits("identity.view") == 0);
  const auto followed = body_of(w.call("GET", s.path, "", w.admin));
  CHECK(followed["full_name"] == "Candidate c1");
  CHECK(followed["photos_for_you"] == false);
  CHECK(followed["thumbnails"].empty());   // not even which blobs
  CHECK(w.audits("identity.view") == 1);   // and the view is audited
  CHECK(w.call("POST", s.path + "/decision", R"({"decision":"matches"})", w.admin).status == 403);

  const auto view = body_of(w.call("GET", s.path, "", w.proctor_a));
  CHECK(view["full_name"] == "Candidate c1");
  CHECK(view["level"] == "practitioner");
  CHECK(view["face_photo"] == true);
  REQUIRE(view["thumbnails"].size() == 1);
  const auto face = w.call("GET", s.path + "/photos/face", "", w.proctor_a);
  CHECK(face.status == 200);
  CHECK(face.header("Content-Type") == "image/jpeg");
  CHECK(face.header("Cache-Control") == "no-store");
  CHECK(face.body == "\xFF\xD8\xFF face of c1");
  CHECK(w.call("GET", s.path + "/photos/id", "", w.proctor_a).body == "\xFF\xD8\xFF ID card of c1");
  CHECK(w.call("GET", s.path + "/photos/" + view["thumbnails"][0].get<std::string>(), "", w.proctor_a).body ==
        "\xFF\xD8\xFF thumbnail of c1");
  // A blob of the same device that is not this check's photo is not served through it.
  const auto other = s.device->evidence("\xFF\xD8\xFF something else");
  CHECK(w.call("GET", s.path + "/photos/" + other, "", w.proctor_a).status == 404);
  CHECK(w.audits("identity.view") == 2);
  CHECK(w.audits("identity.photo") == 3);   // face, id, thumbnail (the refused blob opened nothing)
}

TEST_CASE("a photo the same device sealed for another sitting, or for no sitting, does not open in this sitting's check") {
  World w;
  auto first = w.sit("c1", 'a');   // A's
  auto& d = *first.device;
  const auto earlier = w.staff->identity_evidence(d.id, d.session, 0).value();
  // The same laptop sits a second window. Its identity step names the first sitting's face photo
  // (a genuine photo of the candidate, already on the server) and an ID photo sealed with no
  // session, as clients sealed identity photos before this follow-up.
  REQUIRE(w.repo->add_package({"w2", 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4),
                               w.clock.wall_ms()},
                              "{}"));
  auto sitting = srv::schedule_attempt(*w.repo, *w.results, *w.resits, first.candidate, "w2", std::nullopt,
                                       w.clock.wall_ms(), 8, w.clock);
  REQUIRE(sitting);
  d.session = sitting->sitting.sitting_id;
  d.chain = journal::chain_id_for(d.id, d.session);
  d.app = journal::Appender(d.chain, journal::Head::genesis(d.chain));
  const auto unbound = d.evidence("\xFF\xD8\xFF ID card sealed for no sitting", false);
  d.send({{"session.started", "{}"},
          {"identity.checked", json{{"consent", "human"}, {"face_photo", earlier.face_photo}, {"id_photo", unbound}}.dump()},
          {"session.submitted", R"({"v":1,"blobs":[]})"}});
  const std::string second = "/staff/api/identity/" + d.id + "/" + d.session;
  REQUIRE(w.staff->identity_check(d.id, d.session).value()->proctor_id == w.a);
  for (const std::string which : {"face", "id"}) {
    const auto r = w.call("GET", second + "/photos/" + which, "", w.proctor_a);
    INFO(which << " " << r.body);
    CHECK(r.status == 422);
    CHECK(r.body.find("face of c1") == std::string::npos);
    CHECK(r.body.find("sealed for no sitting") == std::string::npos);
  }
  // The photo still opens in the sitting it was taken in.
  CHECK(w.call("GET", first.path + "/photos/face", "", w.proctor_a).body == "\xFF\xD8\xFF face of c1");
}

TEST_CASE("a mismatch confirmed by a second proctor withholds the result; release refuses the undecided sitting and releases the one that matched") {
  World w;
  w.add_proctors_b_and_c();
  auto matched = w.sit("c1", 'a');     // A's
  auto mismatched = w.sit("c2", 'b');  // B's
  auto undecided = w.sit("c3", 'c');   // C's
  // The early release: nothing is decided yet, so nothing goes.
  auto early = w.release();
  CHECK(early.released == 0);
  CHECK(early.awaiting_identity == 3);
  // Nor a certificate by the side door.
  CHECK_FALSE(w.released(matched));

  CHECK(body_of(w.decide(w.proctor_a, matched, "matches"))["state"] == "decided");
  const auto proposed = body_of(w.decide(w.proctor_b, mismatched, "does_not_match", "The ID photo shows someone else."));
  CHECK(proposed["state"] == "awaiting_second");
  const std::int64_t second = proposed["second_proctor_id"];
  CHECK(second != w.b);
  const Browser& second_proctor = second == w.a ? w.proctor_a : w.proctor_c;
  // The first proctor cannot confirm their own proposal, and the second sees it in their queue.
  CHECK(w.decide(w.proctor_b, mismatched, "does_not_match").status == 409);
  const auto queue = body_of(w.call("GET", "/staff/api/identity", "", second_proctor));
  CHECK(std::any_of(queue["checks"].begin(), queue["checks"].end(),
                    [&](const json& c) { return c["session_id"] == mismatched.device->session && c["your_part"] == "second"; }));
  CHECK(w.call("GET", mismatched.path + "/photos/face", "", second_proctor).status == 200);
  CHECK(body_of(w.decide(second_proctor, mismatched, "does_not_match", "Agreed: not the candidate."))["withheld"] == true);

  const auto counts = w.release();
  CHECK(counts.released == 1);
  CHECK(counts.withheld_identity == 1);
  CHECK(counts.awaiting_identity == 1);
  CHECK(w.released(matched));
  CHECK_FALSE(w.released(mismatched));
  CHECK_FALSE(w.released(undecided));
  CHECK(w.results->identity_hold(mismatched.device->session).value() == srv::IdentityHold::withheld);
  // The withheld record cannot be deleted, and the decisions cannot be rewritten.
  CHECK_FALSE(w.repo->db().exec("DELETE FROM withheld_results"));
  CHECK_FALSE(w.repo->db().exec("UPDATE identity_decisions SET decision = 'matches'"));
  CHECK(w.audits("identity.decide") == 3);
}

TEST_CASE("'cannot tell' goes to a second proctor whose 'matches' decides it, and the result is then released") {
  World w;
  w.add_proctors_b_and_c();
  auto s = w.sit("c1", 'a');   // A's
  CHECK(w.decide(w.proctor_a, s, "cannot_tell", "").status == 400);   // a doubt needs a note
  const auto proposed = body_of(w.decide(w.proctor_a, s, "cannot_tell", "The ID photo is blurred."));
  REQUIRE(proposed["state"] == "awaiting_second");
  // An admin gives it to C as the second proctor (not A: the two are different people).
  CHECK(w.call("POST", s.path + "/assign", json{{"proctor_id", w.a}, {"second", true}}.dump(), w.admin).status == 409);
  REQUIRE(w.call("POST", s.path + "/assign", json{{"proctor_id", w.c}, {"second", true}}.dump(), w.admin).status == 200);
  CHECK(w.release().awaiting_identity == 1);
  CHECK(w.decide(w.proctor_b, s, "matches").status == 403);   // not theirs any more (or never)
  CHECK(w.decide(w.proctor_c, s, "cannot_tell", "no").status == 400);
  CHECK(body_of(w.decide(w.proctor_c, s, "matches"))["decision"] == "matches");
  CHECK(w.release().released == 1);
  CHECK(w.released(s));
  const auto view = body_of(w.call("GET", s.path, "", w.proctor_a));
  CHECK(view["decisions"].size() == 2);
}

}  // namespace

namespace {

TEST_CASE("the identity-check migration gives every submitted, unreleased sitting a check, and none to a released one") {
  testing::TempDir dir;
  const auto path = dir / "vigil.db";
  {
    // A database at schema 10: three sessions of three candidates; two submitted, of which one's
    // result was released before the upgrade; the third still in progress.
    auto db = testing::server_db_at_schema(path, 10);
    std::string sql =
        "INSERT INTO councils VALUES ('north', 'North', 1);"
        "INSERT INTO packages VALUES ('w1', 1, 'practitioner', 'T', 'k', x'01', x'02', x'03', x'04', 1);";
    for (const std::string c : {"a", "b", "c"}) {
      sql += "INSERT INTO candidates VALUES ('cand-" + c + "', 'north', 'Cand " + c + "', '', 'practitioner', 1);"
             "INSERT INTO devices VALUES ('dev-" + c + "', 'cand-" + c + "', 'serial-" + c + "', x'05', 1, NULL, NULL);"
             "INSERT INTO sittings VALUES ('sit-" + c + "', 'cand-" + c + "', 'w1', 1, 1, 2, 1);"
             "INSERT INTO sessions(device_id, session_id, candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, "
             "head_wall_ms, submitted_seq, first_seen_wall_ms, last_seen_wall_ms) VALUES ('dev-" + c + "', 'sit-" + c +
             "', 'cand-" + c + "', 5, x'06', 'boot', 1, 1, " + (c == "c" ? "NULL" : "5") + ", 10, 20);";
    }
    sql += "INSERT INTO results VALUES ('sit-b', 'cand-b', 'w1', 1, 'met', '{}', 30, 40);";
    REQUIRE(db.exec(sql));
  }
  auto repo = srv::SqliteRepository::open(path).value();
  srv::SqliteStaffRepository staff(*repo);
  const auto a = staff.identity_check("dev-a", "sit-a").value();
  REQUIRE(a);
  CHECK(a->state == "open");
  CHECK(a->proctor_id == 0);   // no proctor yet: the first to read the queue gets it
  CHECK(a->created_wall_ms == 20);
  CHECK_FALSE(staff.identity_check("dev-b", "sit-b").value());   // released before: nothing to hold
  CHECK_FALSE(staff.identity_check("dev-c", "sit-c").value());   // not submitted yet: the trigger makes it then
  REQUIRE(repo->db().exec("UPDATE sessions SET submitted_seq = 5 WHERE session_id = 'sit-c'"));
  CHECK(staff.identity_check("dev-c", "sit-c").value().has_value());
}

}  // namespace
