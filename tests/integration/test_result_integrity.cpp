// Issue 13, "answers belong to their candidate and are final at submission" (and, last, issue 16
// part 3: the proctors' notes never leave the review pages): every server-side
// attack from the security review, performed against the real vigil-server (TLS 1.3 on 127.0.0.1,
// SQLite) with real device certificates from real enrolment and the real client store. Each
// TEST_CASE is named for the guarantee it checks; each asserts the status, the error code and
// field, the flag a proctor sees, and that nothing was half-written (the database rows and the
// score are what they were). The server's database is read directly (SQLCipher opens a plain
// SQLite file when no key is given) only to check what was stored.
#include <cstdlib>
#include <sstream>
#include <tuple>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/https_transport.hpp"
#include "client/sync/results.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/integrity_world.hpp"
#include "tests/support/staff_tls.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

using namespace vigil;
using namespace vigil::testing::integrity;   // the helpers, and the names they use (json, TestServer, Staff, ...)

TEST_CASE("a device cannot write answers into another candidate's sitting, and scoring reads only the candidate's own devices") {
  TestServer server;
  build_window(server, "pr-own");
  const auto [sitting, victim] = begin_sitting(server, "victim", "pr-own");
  REQUIRE(victim->store->save_answer(sitting, "k-001", k_wrong));  // the candidate got k-001 wrong
  REQUIRE(victim->store->save_answer(sitting, "k-002", R"({"choices":[3,0]})"));
  REQUIRE(victim->store->submit_session(sitting));
  REQUIRE(sync_all(*victim).value());
  const int before = knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting}));
  CHECK(before == 1);

  // The helper: any enrolled device (another candidate's), given the sitting id.
  auto helper = enrol_device(server, "helper");
  const std::string helper_id = helper->store->device_id();
  REQUIRE(helper->store->begin_session(sitting, "pr-own"));
  REQUIRE(helper->store->record_event(sitting, "answer.saved", answer_payload("k-001", 1'000'000'000, k_right),
                                      store::OutboxPriority::answers));
  REQUIRE(helper->store->submit_session(sitting));
  const auto records_before = db_int(server, "SELECT count(*) FROM records");

  auto r = post_pending(*helper, sitting);
  CHECK(r.status == 403);
  const auto e = error_of(r);
  CHECK(e.code == "forbidden");
  CHECK(e.field == "session");
  CHECK_THAT(e.message, ContainsSubstring("another candidate"));
  // Nothing stored for the helper: no record, no session row; the attempt is a flag for a proctor.
  CHECK(db_int(server, "SELECT count(*) FROM records") == records_before);
  CHECK(db_int(server, "SELECT count(*) FROM sessions WHERE device_id = '" + helper_id + "'") == 0);
  CHECK(db_int(server, "SELECT count(*) FROM integrity_flags WHERE device_id = '" + helper_id +
                           "' AND kind = 'foreign_sitting' AND session_id = '" + sitting + "'") == 1);
  // The real engine gets the same refusal (and stops: 403 is not "try again now").
  auto engine = sync_all(*helper);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().code == Errc::forbidden);
  CHECK(db_int(server, "SELECT count(*) FROM records") == records_before);

  // Records another device wrote into the sitting before this fix (put there directly): scoring,
  // "submitted" and the review hold read only the sitting's own candidate's devices.
  db_exec(server, "INSERT INTO sessions(device_id, session_id, candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, "
                  "head_wall_ms, submitted_seq, first_seen_wall_ms, last_seen_wall_ms) VALUES ('" + helper_id + "', '" +
                  sitting + "', 'helper', 1, x'00', 'b', 0, 0, 2, 0, 0)");
  db_exec(server, "INSERT INTO records(device_id, session_id, seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash, "
                  "payload, received_wall_ms) VALUES ('" + helper_id + "', '" + sitting + "', 1, x'00', 'b', 0, 0, "
                  "'answer.saved', x'00', CAST('" + answer_payload("k-001", 1'000'000'000, k_right) + "' AS BLOB), 0)");
  CHECK(knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting})) == before);
}

TEST_CASE("answers saved after the submission are kept for review, flagged, never scored, and the client does not retry") {
  TestServer server;
  build_window(server, "pr-final");
  const auto [sitting, d] = begin_sitting(server, "c-final", "pr-final");
  const std::string device_id = d->store->device_id();
  REQUIRE(d->store->save_answer(sitting, "k-001", k_wrong));
  REQUIRE(d->store->submit_session(sitting));
  REQUIRE(sync_all(*d).value());
  CHECK(knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting})) == 0);

  // A modified client, having seen the questions, appends higher-revision answers after submitting.
  CHECK_FALSE(d->store->save_answer(sitting, "k-001", k_right));  // the real store refuses
  REQUIRE(d->store->record_event(sitting, "answer.saved", answer_payload("k-001", 99, k_right), store::OutboxPriority::answers));
  REQUIRE(d->store->record_event(sitting, "answer.saved", answer_payload("k-002", 99, R"({"choices":[3,0]})"),
                                 store::OutboxPriority::answers));
  // Accepted (the journal stays whole and exactly-once holds: the outbox empties, no retry loop) ...
  auto synced = sync_all(*d);
  INFO((synced ? "" : synced.error().describe()));
  REQUIRE(synced);
  CHECK(*synced);
  CHECK(d->store->outbox_counts().value().records == 0);
  CHECK(db_int(server, "SELECT count(*) FROM records WHERE device_id = '" + device_id + "' AND session_id = '" + sitting +
                           "' AND type = 'answer.saved'") == 3);
  // ... flagged for a proctor ...
  CHECK(db_int(server, "SELECT count(*) FROM integrity_flags WHERE kind = 'answer_after_submission' AND session_id = '" +
                           sitting + "'") == 1);
  CHECK(db_int(server, "SELECT count(*) FROM review_sessions WHERE session_id = '" + sitting + "' AND state = 'open'") == 1);
  // ... and never scored.
  CHECK(knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting})) == 0);

  // A second device of the same candidate, enrolled after the submission, adds nothing either.
  auto late = enrol_device(server, "c-final");
  REQUIRE(late->store->begin_session(sitting, "pr-final"));
  REQUIRE(late->store->save_answer(sitting, "k-001", k_right));
  REQUIRE(sync_all(*late).value());
  CHECK(knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting})) == 0);
  CHECK(db_int(server, "SELECT count(*) FROM integrity_flags WHERE kind = 'answer_after_submission' AND session_id = '" +
                           sitting + "'") == 2);
}

TEST_CASE("a replacement device's answers win over an older device's whatever the revisions, each device up to its own submission") {
  TestServer server;
  build_window(server, "pr-merge");
  // The first device saves k-001 many times (revision 6, wrong at the end) and breaks down.
  const auto [sitting, old_device] = begin_sitting(server, "c-merge", "pr-merge");
  for (int i = 0; i < 5; ++i) REQUIRE(old_device->store->save_answer(sitting, "k-001", k_right));
  REQUIRE(old_device->store->save_answer(sitting, "k-001", k_wrong));
  REQUIRE(old_device->store->save_answer(sitting, "k-002", R"({"choices":[3,0]})"));  // answered only here
  REQUIRE(sync_all(*old_device).value());
  // The replacement answers k-001 once (revision 1, right) and submits.
  auto replacement = enrol_device(server, "c-merge");
  REQUIRE(replacement->store->begin_session(sitting, "pr-merge"));
  REQUIRE(replacement->store->save_answer(sitting, "k-001", k_right));
  REQUIRE(replacement->store->submit_session(sitting));
  REQUIRE(sync_all(*replacement).value());
  // k-001 from the replacement (newer enrolment), k-002 from the old device: 2 of 2.
  CHECK(knowledge_raw(server_cmd(server, {"results", "score", "--sitting", sitting})) == 2);
}

TEST_CASE("release withholds sittings under review or decided adverse, issues them no certificate, and a later flag cannot erase a decision") {
  TestServer server;
  build_window(server, "pr-rel");
  auto s = scored_sittings(server, "pr-rel", {"c-review", "c-breach", "c-clean"}, [](const std::string& c) { return c != "c-clean"; }, false);
  // Two proctors confirm a breach on c-breach; c-review's review is still open.
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  const auto p1 = create_staff(server, *http, "p1@proctors.example.org", "proctor");
  const auto p2 = create_staff(server, *http, "p2@proctors.example.org", "proctor");
  const auto path = session_path(*s[1].device, s[1].id);
  for (const auto& p : {p1, p2}) REQUIRE(staff_call(*http, admin, "POST", path + "/assign", json{{"proctor_id", p.user_id}}).status == 200);
  decide_flags(*http, p1, path);
  CHECK(json::parse(decide(*http, p1, path, "breach").body).at("state") == "awaiting_second");
  CHECK(json::parse(decide(*http, p2, path, "breach").body).at("state") == "decided");
  // c-clean's identity check matches (issue 16: nothing is released before it is decided).
  vigil::testing::identity_matches(*http, admin, p1, s[2].device->store->device_id(), s[2].id);

  const auto certificates_before = db_int(server, "SELECT count(*) FROM credentials");
  auto release = server.admin({"release", "--assessment", "pr-rel"});
  INFO(release.output);
  REQUIRE(release.exit_code == 0);
  CHECK_THAT(release.output, ContainsSubstring("released 1 result(s)"));
  CHECK_THAT(release.output, ContainsSubstring("withheld by proctor review: 1 under review, 1 with an adverse decision"));
  CHECK_THAT(release.output, ContainsSubstring("certificates issued: 1"));
  CHECK(db_int(server, "SELECT count(*) FROM credentials") == certificates_before + 1);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(db_int(server, "SELECT count(*) FROM results WHERE sitting_id = '" + s[i].id + "' AND released_wall_ms IS NULL") == 1);
    CHECK(db_int(server, "SELECT count(*) FROM credentials WHERE sitting_id = '" + s[i].id + "'") == 0);
  }
  CHECK(db_int(server, "SELECT count(*) FROM credentials WHERE sitting_id = '" + s[2].id + "'") == 1);
  // The staff page's release is the same path and says the same.
  auto again = staff_call(*http, admin, "POST", "/staff/api/results/windows/pr-rel/release", json{{"confirm", true}});
  INFO(again.body);
  REQUIRE(again.status == 200);
  const auto counts = json::parse(again.body);
  CHECK(counts.at("released") == 0);
  CHECK(counts.at("withheld_under_review") == 1);
  CHECK(counts.at("withheld_adverse") == 1);
  // No certificate by the side door either.
  auto side = server_cmd(server, {"certificate", "issue", "--sitting", s[1].id});
  CHECK(side.exit_code != 0);

  // A late flag from the breach device opens round 2; the breach stays on record and keeps the result back.
  REQUIRE(s[1].device->store->record_event(s[1].id, "flag.raised", flag_payload("f-late"), store::OutboxPriority::events));
  REQUIRE(sync_all(*s[1].device).value());
  CHECK(db_int(server, "SELECT count(*) FROM review_sessions WHERE session_id = '" + s[1].id + "' AND state = 'open' AND round = 2") == 1);
  CHECK(db_int(server, "SELECT count(*) FROM review_outcomes WHERE session_id = '" + s[1].id + "' AND round = 1 AND decision = 'breach'") == 1);
  // The outcome table refuses to be changed even by the operator's SQL.
  auto db = sqlite::Db::open((server.dir() / "vigil.db").string(), SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  CHECK_FALSE(db->exec("UPDATE review_outcomes SET decision = 'no_concerns'"));
  CHECK_FALSE(db->exec("DELETE FROM review_outcomes"));
  // Even a "no concerns" in round 2 leaves the confirmed breach standing.
  decide_flags(*http, p1, path);
  CHECK(json::parse(decide(*http, p1, path, "no_concerns").body).at("state") == "decided");
  auto third = server.admin({"release", "--assessment", "pr-rel"});
  CHECK_THAT(third.output, ContainsSubstring("released 0 result(s)"));
  CHECK_THAT(third.output, ContainsSubstring("1 with an adverse decision"));
}

TEST_CASE("after two proctors disagree, only a third proctor who took no part can decide the session") {
  TestServer server;
  build_window(server, "pr-third");
  const std::string sitting = schedule(server, "c-third", "pr-third");
  auto d = enrol_device(server, "c-third");
  sit_and_submit(*d, sitting, "pr-third", true);
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  const auto p1 = create_staff(server, *http, "p1@proctors.example.org", "proctor");
  const auto p2 = create_staff(server, *http, "p2@proctors.example.org", "proctor");
  const auto p3 = create_staff(server, *http, "p3@proctors.example.org", "proctor");
  const auto path = session_path(*d, sitting);
  for (const auto& p : {p1, p2, p3}) REQUIRE(staff_call(*http, admin, "POST", path + "/assign", json{{"proctor_id", p.user_id}}).status == 200);
  decide_flags(*http, p1, path);
  CHECK(json::parse(decide(*http, p1, path, "breach").body).at("state") == "awaiting_second");
  auto disagree = json::parse(decide(*http, p2, path, "no_concerns").body);
  CHECK(disagree.at("state") == "open");
  CHECK(disagree.at("disputed") == true);
  const auto decisions = db_int(server, "SELECT count(*) FROM review_decisions");
  // Neither of the two may now settle it alone.
  for (const auto* who : {&p2, &p1}) {
    auto r = decide(*http, *who, path, "no_concerns");
    CHECK(r.status == 409);
    CHECK(error_of(r).field == "decision");
    CHECK_THAT(error_of(r).message, ContainsSubstring("third proctor"));
  }
  CHECK(db_int(server, "SELECT count(*) FROM review_decisions") == decisions);
  CHECK(db_int(server, "SELECT count(*) FROM review_sessions WHERE session_id = '" + sitting + "' AND state = 'open'") == 1);
  // The third proctor decides.
  auto settled = json::parse(decide(*http, p3, path, "no_concerns").body);
  CHECK(settled.at("state") == "decided");
  CHECK(db_int(server, "SELECT count(*) FROM review_outcomes WHERE session_id = '" + sitting + "' AND decision = 'no_concerns'") == 1);
}

TEST_CASE("a device cannot crash a proctor's session view: deep payloads are refused at ingest and the timeline is paged") {
  TestServer server;
  auto d = enrol_device(server, "c-deep");
  const std::string device_id = d->store->device_id();
  const std::string session = "deep-1";
  REQUIRE(d->store->begin_session(session, "demo"));
  REQUIRE(d->store->record_event(session, "flag.raised", flag_payload("f-1"), store::OutboxPriority::events));
  REQUIRE(sync_all(*d).value());
  const auto records_before = db_int(server, "SELECT count(*) FROM records");

  // 500,000 levels of nesting in one payload (under the 1 MiB limit): the same nlohmann calls the
  // view made (parse, copy into the response) overflow an 8 MiB thread stack (SIGSEGV).
  std::string deep(500'000, '[');
  deep += std::string(500'000, ']');
  REQUIRE(d->store->record_event(session, "note.deep", deep, store::OutboxPriority::events));
  auto r = post_pending(*d, session);
  CHECK(r.status == 422);
  CHECK(error_of(r).code == "integrity");
  CHECK(error_of(r).field == "records");
  CHECK(db_int(server, "SELECT count(*) FROM records") == records_before);
  CHECK(db_int(server, "SELECT count(*) FROM integrity_flags WHERE kind = 'payload_too_deep' AND device_id = '" + device_id + "'") == 1);
  // The engine parks the refused session instead of looping on it.
  auto engine = sync_all(*d);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().code == Errc::integrity);

  // A second session: many large (shallow) payloads. The view comes in bounded pages.
  const std::string big_session = "big-1";
  REQUIRE(d->store->begin_session(big_session, "demo"));
  REQUIRE(d->store->record_event(big_session, "flag.raised", flag_payload("f-2"), store::OutboxPriority::events));
  const std::string big = json{{"text", std::string(700'000, 'x')}}.dump();
  for (int i = 0; i < 8; ++i) REQUIRE(d->store->record_event(big_session, "note.big", big, store::OutboxPriority::events));
  CHECK_FALSE(sync_all(*d));  // the deep session stays refused; the big one goes through
  const auto shown = db_int(server, "SELECT count(*) FROM records WHERE session_id = '" + big_session +
                                        "' AND type NOT IN ('answer.saved', 'item.viewed')");
  CHECK(shown >= 9);

  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  std::uint64_t after = 0;
  std::size_t events = 0;
  int pages = 0;
  for (; pages < 20; ++pages) {
    auto view = staff_call(*http, admin, "GET", session_path(*d, big_session) + "?after_seq=" + std::to_string(after));
    REQUIRE(view.status == 200);
    CHECK(view.body.size() < 3u * 1024 * 1024);
    const auto j = json::parse(view.body);
    events += j.at("timeline").size();
    if (!j.at("timeline_truncated").get<bool>()) break;
    after = j.at("timeline_next_after_seq").get<std::uint64_t>();
  }
  CHECK(pages >= 2);
  CHECK(static_cast<std::int64_t>(events) == shown);
  CHECK(server.stop() == 0);  // still running, and stops cleanly
}

TEST_CASE("a withdrawn candidate's devices can no longer download, unlock or submit, and each refusal is audited") {
  TestServer server;
  build_window(server, "pr-wd");
  REQUIRE(server.admin({"add-council", "--council", "leeds", "--name", "Leeds"}).exit_code == 0);
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  auto endorsed = staff_call(*http, admin, "POST", "/staff/api/councils/leeds/candidates",
                             json{{"name", "Wendy Drawn"}, {"work_email", "wendy@leeds.example.org"}, {"employee_ref", "E-1"},
                                  {"level", "practitioner"}});
  INFO(endorsed.body);
  REQUIRE(endorsed.status == 201);
  const std::string candidate = json::parse(endorsed.body).at("candidate_ids").at(0);
  const std::string sitting = schedule(server, candidate, "pr-wd");
  auto d = enrol_device(server, candidate);
  REQUIRE(device_call(*d, "GET", "/v1/packages").status == 200);
  REQUIRE(d->store->begin_session(sitting, "pr-wd"));
  REQUIRE(d->store->save_answer(sitting, "k-001", k_right));
  REQUIRE(sync_all(*d).value());

  REQUIRE(staff_call(*http, admin, "POST", "/staff/api/councils/leeds/candidates/" + candidate + "/withdraw",
                     json{{"reason", "left the council"}}).status == 200);
  const auto audits = db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'device.refused'");
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/v1/packages", ""},
           {"GET", "/v1/packages/pr-wd/1", ""},
           {"POST", "/v1/sittings/" + sitting + "/grant", json{{"v", 1}, {"kx_public", std::string(43, 'A') + "="}}.dump()},
           {"POST", "/v1/sittings/" + sitting + "/key", ""}}) {
    auto r = device_call(*d, method, target, body);
    INFO(method << " " << target << ": " << r.body);
    CHECK(r.status == 403);
    CHECK(error_of(r).code == "forbidden");
    CHECK(error_of(r).field == "candidate");
  }
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'device.refused'") == audits + 4);

  // Submission: refused with nothing stored, audited, and the engine parks the session.
  const auto records_before = db_int(server, "SELECT count(*) FROM records");
  REQUIRE(d->store->submit_session(sitting));
  auto r = post_pending(*d, sitting);
  CHECK(r.status == 409);
  CHECK(error_of(r).code == "conflict");
  CHECK(error_of(r).field == "candidate");
  CHECK(db_int(server, "SELECT count(*) FROM records") == records_before);
  CHECK(db_int(server, "SELECT count(*) FROM sessions WHERE session_id = '" + sitting + "' AND submitted_seq IS NOT NULL") == 0);
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'device.refused'") == audits + 5);
  auto engine = sync_all(*d);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().code == Errc::conflict);
  auto scored = server_cmd(server, {"results", "score", "--sitting", sitting});
  CHECK(scored.exit_code != 0);
  CHECK_THAT(scored.output, ContainsSubstring("has not been submitted"));
}

TEST_CASE("identity photos open only for the check's proctor, and a result waits for its identity check (attacks over TLS)") {
  TestServer server;
  build_window(server, "pr-id");
  auto s = scored_sittings(server, "pr-id", {"c-id-match", "c-id-waiting"}, [](const std::string&) { return false; }, true);
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  const auto p1 = create_staff(server, *http, "p1@proctors.example.org", "proctor");
  const auto p2 = create_staff(server, *http, "p2@proctors.example.org", "proctor");
  const auto manager = create_staff(server, *http, "manager@leeds.example.org", "council_manager", "leeds");
  std::vector<std::string> paths;
  for (const auto& x : s) {
    paths.push_back(vigil::testing::identity_path(x.device->store->device_id(), x.id));
    REQUIRE(staff_call(*http, admin, "POST", paths.back() + "/assign", json{{"proctor_id", p1.user_id}}).status == 200);
  }
  // The early release: no identity check is decided, so nothing is released.
  auto early = server.admin({"release", "--assessment", "pr-id"});
  INFO(early.output);
  CHECK_THAT(early.output, ContainsSubstring("released 0 result(s)"));
  CHECK_THAT(early.output, ContainsSubstring("withheld by the identity check: 2 not decided yet"));

  // Another proctor, the candidates' council manager and an admin: 403, and nothing opened (the
  // handler audits before it opens anything; no audit row means it never ran). An admin may follow
  // the check itself (issue 16 part 3: the link from a withheld result), never its photos.
  for (const Staff* who : {&p2, &manager, &admin}) {
    for (const std::string tail : {"", "/photos/face", "/photos/id"}) {
      if (who == &admin && tail.empty()) continue;
      auto r = staff_call(*http, *who, "GET", paths[0] + tail);
      INFO(tail << " " << r.body);
      CHECK(r.status == 403);
      CHECK(r.body.find(" of ") == std::string::npos);
    }
    CHECK(staff_call(*http, *who, "POST", paths[0] + "/decision", json{{"decision", "matches"}}).status == 403);
  }
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action IN ('identity.view', 'identity.photo')") == 0);
  auto followed = staff_call(*http, admin, "GET", paths[0]);
  INFO(followed.body);
  CHECK(followed.status == 200);
  CHECK(json::parse(followed.body).at("thumbnails").empty());
  CHECK(followed.body.find(" of ") == std::string::npos);
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'identity.view'") == 1);
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'identity.photo'") == 0);

  // The assigned proctor sees both photos, opened by the server for this view only, and audited.
  auto face = staff_call(*http, p1, "GET", paths[0] + "/photos/face");
  CHECK(face.status == 200);
  CHECK(face.body == "\xFF\xD8\xFF face of " + s[0].id);
  CHECK(face.header("Cache-Control") == "no-store");
  CHECK(staff_call(*http, p1, "GET", paths[0] + "/photos/id").body == "\xFF\xD8\xFF id of " + s[0].id);
  CHECK(db_int(server, "SELECT count(*) FROM audit_log WHERE action = 'identity.photo' AND target LIKE '%" + s[0].id + "'") == 2);
  REQUIRE(staff_call(*http, p1, "POST", paths[0] + "/decision", json{{"decision", "matches"}}).status == 200);

  // Release goes ahead for the sitting that matched and refuses the one still waiting.
  auto release = server.admin({"release", "--assessment", "pr-id"});
  INFO(release.output);
  CHECK_THAT(release.output, ContainsSubstring("released 1 result(s)"));
  CHECK_THAT(release.output, ContainsSubstring("1 not decided yet"));
  CHECK(db_int(server, "SELECT count(*) FROM results WHERE sitting_id = '" + s[0].id + "' AND released_wall_ms IS NOT NULL") == 1);
  CHECK(db_int(server, "SELECT count(*) FROM results WHERE sitting_id = '" + s[1].id + "' AND released_wall_ms IS NULL") == 1);
  CHECK(server_cmd(server, {"certificate", "issue", "--sitting", s[1].id}).exit_code != 0);
}

TEST_CASE("proctors' notes never reach the candidate's device or the council: only the decision's public reason does (over TLS)") {
  TestServer server;
  build_window(server, "pr-void");
  auto s = scored_sittings(server, "pr-void", {"c-void", "c-ident"}, [](const std::string& c) { return c == "c-void"; }, true);
  auto http = staff_transport(server);
  const auto admin = create_staff(server, *http, "admin@programme.example.org", "programme_admin");
  const auto p1 = create_staff(server, *http, "p1@proctors.example.org", "proctor");
  const auto p2 = create_staff(server, *http, "p2@proctors.example.org", "proctor");
  const auto manager = create_staff(server, *http, "manager@leeds.example.org", "council_manager", "leeds");
  const std::string secret = "PRIVATE NOTE: seen at 10:02 on camera 2";
  const std::string void_reason = "Another person answered questions during the assessment.";
  const std::string identity_reason = "The ID document shows someone other than the endorsed candidate.";
  const auto ok = [](const protocol::HttpResponse& r) {
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  };

  // c-void: its identity matches; two proctors find a breach, each with a private note.
  vigil::testing::identity_matches(*http, admin, p1, s[0].device->store->device_id(), s[0].id);
  const auto review = session_path(*s[0].device, s[0].id);
  for (const auto& p : {p1, p2}) REQUIRE(staff_call(*http, admin, "POST", review + "/assign", json{{"proctor_id", p.user_id}}).status == 200);
  decide_flags(*http, p1, review);
  CHECK(ok(staff_call(*http, p1, "POST", review + "/decision",
                      json{{"decision", "breach"}, {"note", secret + " (first)"}, {"public_reason", "Someone helped."}}))
            .at("state") == "awaiting_second");
  CHECK(ok(staff_call(*http, p2, "POST", review + "/decision",
                      json{{"decision", "breach"}, {"note", secret + " (second)"}, {"public_reason", void_reason}}))
            .at("state") == "decided");
  // c-ident: two proctors find that the photos do not match, each with a private note.
  const auto check = vigil::testing::identity_path(s[1].device->store->device_id(), s[1].id);
  REQUIRE(staff_call(*http, admin, "POST", check + "/assign", json{{"proctor_id", p1.user_id}}).status == 200);
  ok(staff_call(*http, p1, "POST", check + "/decision",
                json{{"decision", "does_not_match"}, {"note", secret + " (third)"}, {"public_reason", "Not the candidate."}}));
  REQUIRE(staff_call(*http, admin, "POST", check + "/assign", json{{"proctor_id", p2.user_id}, {"second", true}}).status == 200);
  CHECK(ok(staff_call(*http, p2, "POST", check + "/decision",
                      json{{"decision", "does_not_match"}, {"note", secret + " (fourth)"}, {"public_reason", identity_reason}}))
            .at("withheld") == true);
  // The notes are where they belong: on the review pages.
  CHECK(staff_call(*http, p1, "GET", review, {}).body.find(secret) != std::string::npos);
  CHECK_THAT(server.admin({"release", "--assessment", "pr-void"}).output, ContainsSubstring("released 0 result(s)"));

  // Each candidate's device: the state and the public reason, never a note, kept for offline.
  const std::vector<std::pair<std::string, std::string>> expected{{"void_after_review", void_reason},
                                                                  {"withheld_identity", identity_reason}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto raw = device_call(*s[i].device, "GET", "/v1/results?v=2");
    INFO(raw.body);
    CHECK(raw.status == 200);
    CHECK(raw.body.find("PRIVATE NOTE") == std::string::npos);
    CHECK(device_call(*s[i].device, "GET", "/v1/results").body.find("PRIVATE NOTE") == std::string::npos);
    auto fetched = sync::fetch_results(*s[i].device->store, *s[i].device->transport);
    REQUIRE(fetched);
    CHECK(fetched->results.empty());
    REQUIRE(fetched->sittings.size() == 1);
    CHECK(results::outcome_state_name(fetched->sittings[0].state) == expected[i].first);
    CHECK(fetched->sittings[0].public_reason == expected[i].second);
    CHECK(sync::kept_results(*s[i].device->store).value().value() == *fetched);
  }

  // The council: every view and export of its candidates has the public reasons and no note.
  for (const std::string target : {"/staff/api/councils/leeds/candidates", "/staff/api/councils/leeds/candidates.csv",
                                   "/staff/api/councils/leeds/summary", "/staff/api/councils/leeds/results",
                                   "/staff/api/councils/leeds/results.csv?assessment=pr-void"}) {
    auto r = staff_call(*http, manager, "GET", target);
    INFO(target << ": " << r.body);
    CHECK(r.status == 200);
    CHECK(r.body.find("PRIVATE NOTE") == std::string::npos);
    if (target.find("summary") == std::string::npos) {
      CHECK(r.body.find(void_reason) != std::string::npos);
      CHECK(r.body.find(identity_reason) != std::string::npos);
    }
  }
  // Nor does the admin's withheld list (it links to the review pages instead).
  auto withheld = staff_call(*http, admin, "GET", "/staff/api/results/windows/pr-void/withheld");
  CHECK(withheld.body.find("PRIVATE NOTE") == std::string::npos);
  CHECK(json::parse(withheld.body).at("sittings").size() == 2);

  // `vigil-client result` offline, from the kept copy: the state and its public reason, no result.
  const auto data = s[0].device->dir.path();
  s[0].device->transport.reset();
  s[0].device->store.reset();   // the command opens the same store (the folder stays)
  auto shown = testing::run({VIGIL_CLIENT_EXE, "--data", data.string(), "--key-storage", "file", "result", "--offline"});
  INFO(shown.output);
  CHECK(shown.exit_code == 3);   // no released result
  CHECK_THAT(shown.output, ContainsSubstring("Void following a review: " + void_reason));
  CHECK(shown.output.find("PRIVATE NOTE") == std::string::npos);
}
