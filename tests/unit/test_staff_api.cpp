// The staff API as a pure function (srv::StaffApi::handle) on a real SqliteRepository in a temp
// dir: the authorisation matrix (every endpoint x every role x own/other council or
// assigned/unassigned session), CSRF, endorsement upload with bad input,
// completion status, the two-person rule, evidence opened only on view, and the audit log.
// Flagged sessions arrive the way they do in production: a device posts journal records through
// srv::Api, and the schema's triggers turn flag.raised records into the review queue. Sign-in,
// throttling, TOTP and the first sign-in are in test_staff_accounts.cpp.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "server/staff/staff_api.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

// The server of every server test (tests/support/server_world.hpp) with two councils, "own" and
// "other"; remembers each account's id.
struct World : testing::ServerWorld {
  std::map<std::string, std::int64_t> user_ids;

  World() {
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    REQUIRE(repo->add_council("other", "Other Council", clock.wall_ms()));
  }

  std::int64_t add_user(const std::string& email, const std::string& role, const std::string& council = "") {
    return user_ids[email] = ServerWorld::add_user(email, role, council);
  }
};

using testing::Device;   // tests/support/staff_device.hpp

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

// A world with two councils, one of each role (plus a second proctor), a flagged session
// assigned to proctor A and one assigned to nobody.
struct Seeded : World {
  std::string own_candidate, other_candidate;
  std::unique_ptr<Device> assigned, unassigned;
  std::string evidence_sha, other_evidence_sha;
  Browser admin, manager, proctor_a, proctor_b;

  Seeded() {
    add_user("admin@example.org", "programme_admin");
    add_user("manager@own.example.org", "council_manager", "own");
    add_user("a@proctors.example.org", "proctor");
    add_user("b@proctors.example.org", "proctor");
    own_candidate = endorse("own", "Olive Own", "OWN1");
    other_candidate = endorse("other", "Otto Other", "OTH1");
    assigned = std::make_unique<Device>(*this, own_candidate, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sess-assigned");
    unassigned = std::make_unique<Device>(*this, other_candidate, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "sess-unassigned");
    evidence_sha = assigned->evidence("JPEG-ish evidence bytes for the assigned session");
    assigned->send({{"session.started", R"({"assessment_id":"a"})"}});
    assigned->flag("f1", "multi_face", "high", 0.9, {evidence_sha});
    other_evidence_sha = unassigned->evidence("other evidence bytes");
    unassigned->flag("f1", "look_away", "low", 0.4, {other_evidence_sha});
    REQUIRE(staff->assign(assigned->id, assigned->session, user_ids["a@proctors.example.org"], 1, clock.wall_ms()));
    REQUIRE(staff->assign(assigned->id, assigned->session, user_ids["b@proctors.example.org"], 1, clock.wall_ms()));
    admin = login("admin@example.org");
    manager = login("manager@own.example.org");
    proctor_a = login("a@proctors.example.org");
    proctor_b = login("b@proctors.example.org");
  }

  std::int64_t flag_row(Device& d) {
    const auto rows = staff->review_flags(d.id, d.session).value();
    REQUIRE(!rows.empty());
    return rows.front().flag_row;
  }
};

}  // namespace

TEST_CASE("every staff endpoint allows exactly the roles and scopes in the authorisation table, with no leaks") {
  Seeded w;
  // The one table: each endpoint with its two targets (own/other council, or assigned/unassigned
  // session) and, per role, what is expected for each target: A allow, D deny.
  //   columns: admin(own, other)  manager(own, other)  proctor(assigned, unassigned)
  struct Row {
    const char* method;
    const char* path;   // {c} council, {k} candidate, {s} device/session, {f} flag row, {e} evidence
    std::string body;
    const char* admin;
    const char* manager;
    const char* proctor;
  };
  const std::string csv_body = "name,work_email,employee_ref,level\nNew Person,new@x.example.org,NEW1,practitioner\n";
  const std::vector<Row> table = {
      {"GET", "/staff/api/me", "", "AA", "AA", "AA"},
      {"GET", "/staff/api/users", "", "AA", "DD", "DD"},
      {"POST", "/staff/api/users", R"({"email":"x@y.example.org","display_name":"X","role":"proctor","password":"long enough password"})", "AA", "DD", "DD"},
      {"POST", "/staff/api/users/{u}/unlock", "", "AA", "DD", "DD"},
      // Results (an allowed call on a window with nothing in it answers 404 or 409: still not a denial).
      {"GET", "/staff/api/results/windows", "", "AA", "DD", "DD"},
      {"POST", "/staff/api/results/windows/w1/score", "", "AA", "DD", "DD"},
      {"GET", "/staff/api/results/windows/w1/thresholds", "", "AA", "DD", "DD"},
      {"PUT", "/staff/api/results/windows/w1/thresholds", R"({"v":1})", "AA", "DD", "DD"},
      {"POST", "/staff/api/results/windows/w1/release", R"({"confirm":true})", "AA", "DD", "DD"},
      {"GET", "/staff/api/results/windows/w1/results.csv", "", "AA", "DD", "DD"},
      {"GET", "/staff/api/councils/{c}/results", "", "AA", "AD", "DD"},
      {"GET", "/staff/api/councils/{c}/results.csv?assessment=w1", "", "AA", "AD", "DD"},
      {"POST", "/staff/api/councils/{c}/candidates/{k}/reendorse", R"({"confirm":true})", "AA", "AD", "DD"},
      {"GET", "/staff/api/councils", "", "AA", "AA", "DD"},
      {"POST", "/staff/api/councils", R"({"council_id":"new","name":"New"})", "AA", "DD", "DD"},
      {"GET", "/staff/api/audit", "", "AA", "DD", "DD"},
      {"GET", "/staff/api/audit.csv", "", "AA", "DD", "DD"},
      {"GET", "/staff/api/councils/{c}/candidates", "", "AA", "AD", "DD"},
      {"GET", "/staff/api/councils/{c}/candidates.csv", "", "AA", "AD", "DD"},
      {"GET", "/staff/api/councils/{c}/summary", "", "AA", "AD", "DD"},
      {"POST", "/staff/api/councils/{c}/candidates", R"({"name":"N","work_email":"n@z.example.org","employee_ref":"Z1","level":"practitioner"})", "AA", "AD", "DD"},
      {"POST", "/staff/api/councils/{c}/import", csv_body, "AA", "AD", "DD"},
      {"POST", "/staff/api/councils/{c}/candidates/{k}/withdraw", R"({"reason":"left the council"})", "AA", "AD", "DD"},
      {"POST", "/staff/api/councils/{c}/codes", "", "AA", "AD", "DD"},
      {"PUT", "/staff/api/councils/{c}/headcount", R"({"eligible":10})", "AA", "AD", "DD"},
      {"GET", "/staff/api/queue", "", "AA", "DD", "AA"},
      // Assigns proctor B: proctor A (the one in the matrix) stays unassigned from the second session.
      {"POST", "/staff/api/sessions/{s}/assign", json{{"proctor_id", w.user_ids["b@proctors.example.org"]}}.dump(), "AA", "DD", "DD"},
      {"GET", "/staff/api/sessions/{s}", "", "AA", "DD", "AD"},
      {"GET", "/staff/api/sessions/{s}/evidence/{e}", "", "DD", "DD", "AD"},
      {"POST", "/staff/api/sessions/{s}/flags/{f}", R"({"decision":"note","note":"seen"})", "DD", "DD", "AD"},
      {"POST", "/staff/api/sessions/{s}/decision", R"({"decision":"concerns","note":"two faces"})", "DD", "DD", "AD"},
      // Workload (issue 16 part 5): a proctor's own work; the admins' view and reassignment (to proctor B,
      // who already waits on both sessions: allowed, and answered 409 without changing anything).
      {"GET", "/staff/api/my-work", "", "DD", "DD", "AA"},
      {"GET", "/staff/api/workload", "", "AA", "DD", "DD"},
      {"POST", "/staff/api/sessions/{s}/reassign", json{{"proctor_id", w.user_ids["b@proctors.example.org"]}, {"reason", "leave"}}.dump(), "AA", "DD", "DD"},
      {"POST", "/staff/api/identity/{s}/reassign", json{{"proctor_id", w.user_ids["b@proctors.example.org"]}, {"reason", "leave"}}.dump(), "AA", "DD", "DD"},
  };
  const auto fill = [&](std::string path, bool first_target) {
    auto put = [&](const std::string& key, const std::string& value) {
      for (auto at = path.find(key); at != std::string::npos; at = path.find(key)) path.replace(at, key.size(), value);
    };
    Device& d = first_target ? *w.assigned : *w.unassigned;
    put("{c}", first_target ? "own" : "other");
    put("{k}", first_target ? w.own_candidate : w.other_candidate);
    put("{s}", d.id + "/" + d.session);
    put("{f}", std::to_string(w.flag_row(d)));
    put("{u}", std::to_string(w.user_ids["b@proctors.example.org"]));
    put("{e}", first_target ? w.evidence_sha : w.other_evidence_sha);
    return path;
  };
  struct Who {
    const char* name;
    Browser* browser;
    const char* Row::*expect;
  };
  const std::vector<Who> roles = {{"programme_admin", &w.admin, &Row::admin},
                                  {"council_manager", &w.manager, &Row::manager},
                                  {"proctor", &w.proctor_a, &Row::proctor}};
  int checked = 0, leaks = 0, wrong_denials = 0;
  std::vector<std::string> failures;
  for (const auto& row : table) {
    for (const auto& who : roles) {
      for (int target = 0; target < 2; ++target) {
        const std::string path = fill(row.path, target == 0);
        const bool expect_allow = (row.*who.expect)[target] == 'A';
        const auto content = std::string(row.path).find("import") != std::string::npos ? "text/csv" : "application/json";
        const auto r = w.call(row.method, path, row.body, who.browser, content);
        const bool denied = r.status == 401 || r.status == 403;
        ++checked;
        if (expect_allow && denied) {
          ++wrong_denials;
          failures.push_back(std::string(who.name) + " " + row.method + " " + path + " -> " + std::to_string(r.status) + " " + r.body);
        }
        if (!expect_allow) {
          // A denial is 403 and says nothing about the target.
          const bool leaked = !denied || r.body.find("Otto") != std::string::npos ||
                              r.body.find("Olive") != std::string::npos || r.body.find("evidence bytes") != std::string::npos;
          if (leaked) {
            ++leaks;
            failures.push_back("LEAK " + std::string(who.name) + " " + row.method + " " + path + " -> " + std::to_string(r.status));
          }
        }
      }
    }
  }
  // Without a sign-in every endpoint answers 401; without the CSRF token every change answers 403.
  int unauthenticated_leaks = 0, csrf_leaks = 0;
  for (const auto& row : table) {
    const std::string path = fill(row.path, true);
    if (w.call(row.method, path, row.body).status != 401) ++unauthenticated_leaks;
    if (std::string_view(row.method) != "GET") {
      Browser no_csrf{w.admin.cookie, ""};
      if (w.call(row.method, path, row.body, &no_csrf).status != 403) ++csrf_leaks;
      Browser wrong_csrf{w.admin.cookie, w.manager.csrf};
      if (w.call(row.method, path, row.body, &wrong_csrf).status != 403) ++csrf_leaks;
    }
  }
  CHECK(unauthenticated_leaks == 0);
  CHECK(csrf_leaks == 0);
  // Lists filtered by scope: a manager's council list, a proctor's queue, a manager's candidates.
  const auto councils = body_of(w.call("GET", "/staff/api/councils", "", &w.manager));
  if (councils.at("councils").size() != 1 || councils["councils"][0]["council_id"] != "own") ++leaks;
  const auto queue = body_of(w.call("GET", "/staff/api/queue?state=", "", &w.proctor_a));
  if (queue.at("sessions").size() != 1) ++leaks;
  for (const auto& s : queue.at("sessions")) {
    if (s.at("session_id") != "sess-assigned") ++leaks;
  }
  const auto own = w.call("GET", "/staff/api/councils/own/candidates", "", &w.manager);
  if (own.body.find("Otto") != std::string::npos) ++leaks;
  INFO("checked " << checked << " endpoint x role x target cells");
  for (const auto& f : failures) std::cerr << f << "\n";
  CHECK(checked == static_cast<int>(table.size()) * 3 * 2);
  CHECK(wrong_denials == 0);
  CHECK(leaks == 0);
}

TEST_CASE("an endorsement upload with any bad row reports every problem and imports nothing") {
  Seeded w;
  const auto upload = [&](const std::string& body) {
    return w.call("POST", "/staff/api/councils/own/import", body, &w.manager, "text/csv");
  };
  const auto total = [&] { return body_of(w.call("GET", "/staff/api/councils/own/candidates", "", &w.manager))["total"].get<int>(); };
  const int before = total();

  SECTION("wrong encoding") {
    const auto r = upload("name,work_email,employee_ref,level\nJos\xe9 Smith,j@own.example.org,E1,practitioner\n");
    CHECK(r.status == 422);
    CHECK(body_of(r)["error"]["code"] == "bad_encoding");
    CHECK(body_of(r)["error"]["message"].get<std::string>().find("line 2") != std::string::npos);
  }
  SECTION("missing columns") {
    const auto r = upload("name,email\nA,a@own.example.org\n");
    CHECK(r.status == 422);
    CHECK(body_of(r)["missing"] == json::array({"work_email", "employee_ref", "level"}));
  }
  SECTION("duplicates in the file and against what the council holds, and bad values, all reported") {
    const auto r = upload(
        "name,work_email,employee_ref,level,extra_time_percent\n"
        "Good One,g1@own.example.org,G1,practitioner,25\n"
        "Dup Ref,g2@own.example.org,G1,practitioner,0\n"
        "Dup Held,olive@own.example.org,OWN1,practitioner,0\n"
        "Bad Level,g3@own.example.org,G3,expert,0\n"
        "Bad Time,g4@own.example.org,G4,practitioner,400\n"
        "Short,g5@own.example.org\n");
    REQUIRE(r.status == 422);
    const auto problems = body_of(r)["problems"];
    std::vector<int> lines;
    for (const auto& p : problems) lines.push_back(p["line"].get<int>());
    CHECK(std::count(lines.begin(), lines.end(), 3) == 1);
    CHECK(std::count(lines.begin(), lines.end(), 4) == 1);
    CHECK(std::count(lines.begin(), lines.end(), 5) == 1);
    CHECK(std::count(lines.begin(), lines.end(), 6) == 1);
    CHECK(std::count(lines.begin(), lines.end(), 7) == 1);
    CHECK(std::count(lines.begin(), lines.end(), 2) == 0);
  }
  SECTION("an unterminated quote") {
    CHECK(body_of(upload("name,work_email,employee_ref,level\n\"Open,a@b.example.org,E1,practitioner\n"))["error"]["code"] == "bad_csv");
  }
  SECTION("a 50 MB file is refused by size") {
    std::string big = "name,work_email,employee_ref,level\n";
    big.resize(50 * 1024 * 1024, 'a');
    const auto r = upload(big);
    CHECK(r.status == 413);
    CHECK(body_of(r)["error"]["message"].get<std::string>().find("Nothing was imported") != std::string::npos);
  }
  CHECK(total() == before);
}

TEST_CASE("cells that a spreadsheet would run as formulas are neutralised in the status export") {
  Seeded w;
  const auto r = w.call("POST", "/staff/api/councils/own/import",
                        "name,work_email,employee_ref,level\n"
                        "\"=HYPERLINK(\"\"http://x\"\")\",f1@own.example.org,F1,practitioner\n"
                        "+SUM(A1),f2@own.example.org,F2,practitioner\n"
                        "-2+3,f3@own.example.org,F3,practitioner\n"
                        "@cmd,f4@own.example.org,F4,practitioner\n",
                        &w.manager, "text/csv");
  REQUIRE(r.status == 201);
  CHECK(body_of(r)["imported"] == 4);
  const auto csv = w.call("GET", "/staff/api/councils/own/candidates.csv", "", &w.manager);
  REQUIRE(csv.status == 200);
  CHECK(csv.header("Content-Type").find("text/csv") == 0);
  CHECK(csv.body.find("\"'=HYPERLINK(\"\"http://x\"\")\"") != std::string::npos);
  CHECK(csv.body.find("\"'+SUM(A1)\"") != std::string::npos);
  CHECK(csv.body.find("\"'-2+3\"") != std::string::npos);
  CHECK(csv.body.find("\"'@cmd\"") != std::string::npos);
  CHECK(csv.body.find(",=") == std::string::npos);
}

TEST_CASE("completion status follows the candidate from endorsement to review, and withdrawal ends their codes") {
  Seeded w;
  const auto status_of = [&](const std::string& council, const std::string& candidate, Browser& b) {
    const auto list = body_of(w.call("GET", "/staff/api/councils/" + council + "/candidates?limit=500", "", &b));
    for (const auto& c : list["candidates"]) {
      if (c["candidate_id"] == candidate) return c["status"].get<std::string>();
    }
    return std::string("missing");
  };
  const auto fresh = w.endorse("own", "Fresh Person", "FR1");
  CHECK(status_of("own", fresh, w.manager) == "endorsed");
  // The client's session is its sitting (the journal's session id is the sitting id).
  Device d(w, fresh, "cccccccccccccccccccccccccccccccc", "sitting-fresh");
  CHECK(status_of("own", fresh, w.manager) == "enrolled");
  // The device asks for a scheduled sitting's grant: the package is downloaded.
  srv::PackageRow pkg;
  pkg.assessment_id = "practitioner";
  pkg.version = 1;
  pkg.level = "practitioner";
  pkg.title = "Practitioner";
  pkg.key_id = "k";
  pkg.content_key_wrapped = Bytes(44, 1);
  pkg.plaintext_sha256 = Bytes(32, 2);
  pkg.package = Bytes(10, 3);
  pkg.package_sha256 = Bytes(32, 4);
  REQUIRE(w.repo->add_package(pkg, "{}"));
  const auto sitting = w.repo->put_sitting({"sitting-fresh", fresh, "practitioner", 1, w.clock.wall_ms(), w.clock.wall_ms() + 3'600'000},
                                           w.clock.wall_ms()).value();
  REQUIRE(w.repo->put_sitting_device(sitting.sitting_id, d.id, Bytes(32, 5), w.clock.wall_ms()));
  CHECK(status_of("own", fresh, w.manager) == "package_downloaded");
  d.send({{"session.started", "{}"}});
  CHECK(status_of("own", fresh, w.manager) == "in_progress");
  d.flag("f1", "dark", "low", 0.3);
  CHECK(status_of("own", fresh, w.manager) == "in_progress");   // flagged while still sitting
  d.send({{"session.submitted", R"({"reason":"candidate","blobs":[]})"}});
  CHECK(status_of("own", fresh, w.manager) == "under_review");

  // Filters and search.
  const auto filtered = body_of(w.call("GET", "/staff/api/councils/own/candidates?status=under_review&q=Fresh", "", &w.manager));
  CHECK(filtered["total"] == 1);
  CHECK(body_of(w.call("GET", "/staff/api/councils/own/candidates?status=under_review&q=Olive", "", &w.manager))["total"] == 0);
  CHECK(w.call("GET", "/staff/api/councils/own/candidates?status=bogus", "", &w.manager).status == 400);

  // Codes and withdrawal.
  const auto pending = w.endorse("own", "Pending Person", "PE1");
  const auto codes = body_of(w.call("POST", "/staff/api/councils/own/codes", "", &w.manager));
  REQUIRE(codes["codes"].size() == 1);
  CHECK(codes["codes"][0]["candidate_id"] == pending);
  const std::string code = codes["codes"][0]["code"];
  const auto handle = code.substr(0, 4);
  const auto withdrawn = w.call("POST", "/staff/api/councils/own/candidates/" + pending + "/withdraw", R"({"reason":"left"})", &w.manager);
  CHECK(withdrawn.status == 200);
  CHECK(body_of(withdrawn)["codes_ended"] == 1);
  CHECK(w.repo->enrolment_code(handle).value()->expires_wall_ms <= w.clock.wall_ms());
  CHECK(status_of("own", pending, w.manager) == "withdrawn");
  // A candidate of another council cannot be withdrawn through this council's path.
  CHECK(w.call("POST", "/staff/api/councils/own/candidates/" + w.other_candidate + "/withdraw", R"({"reason":"x"})", &w.manager).status == 404);

  // Summary against the eligible headcount.
  CHECK(w.call("PUT", "/staff/api/councils/own/headcount", R"({"eligible":40})", &w.manager).status == 200);
  const auto summary = body_of(w.call("GET", "/staff/api/councils/own/summary", "", &w.manager));
  CHECK(summary["eligible_headcount"] == 40);
  CHECK(summary["by_status"]["withdrawn"] == 1);
  CHECK(summary["endorsed"] == 2);   // Olive and Fresh; the withdrawn one is not counted
}

TEST_CASE("an adverse session decision needs a second, different proctor to agree") {
  Seeded w;
  const std::string base = "/staff/api/sessions/" + w.assigned->id + "/" + w.assigned->session;
  // Every flag is decided before the session.
  CHECK(w.call("POST", base + "/decision", R"({"decision":"breach","note":"phone visible","public_reason":"A phone was used."})",
               &w.proctor_a).status == 409);
  CHECK(w.call("POST", base + "/flags/" + std::to_string(w.flag_row(*w.assigned)), R"({"decision":"concern"})", &w.proctor_a).status == 400);
  CHECK(w.call("POST", base + "/flags/" + std::to_string(w.flag_row(*w.assigned)), R"({"decision":"concern","note":"second face at 10:02"})", &w.proctor_a).status == 200);
  CHECK(w.call("POST", base + "/decision", R"({"decision":"breach","public_reason":"A phone was used."})", &w.proctor_a).status == 400);   // no reasons
  // Issue 16 part 3: and no public reason, or one that is not a short line of text.
  for (const char* body : {R"({"decision":"breach","note":"second person visible"})",
                           R"({"decision":"breach","note":"second person visible","public_reason":"   "})",
                           R"({"decision":"breach","note":"second person visible","public_reason":"line one\nline two"})"}) {
    const auto r = w.call("POST", base + "/decision", body, &w.proctor_a);
    CHECK(r.status == 400);
    CHECK(body_of(r)["error"]["field"] == "public_reason");
  }
  auto first = w.call("POST", base + "/decision",
                      R"({"decision":"breach","note":"second person visible","public_reason":"Another person helped during the assessment."})",
                      &w.proctor_a);
  REQUIRE(first.status == 200);
  CHECK(body_of(first)["state"] == "awaiting_second");
  // The second proctor is shown the proposal's public reason, to confirm it.
  CHECK(body_of(w.call("GET", base, "", &w.proctor_b))["session"]["proposed_public_reason"] ==
        "Another person helped during the assessment.");
  // The same proctor cannot confirm their own proposal.
  CHECK(w.call("POST", base + "/decision", R"({"decision":"breach","note":"still","public_reason":"Helped."})", &w.proctor_a).status == 409);
  // A disagreeing second proctor sends it back for review.
  auto disagree = w.call("POST", base + "/decision", R"({"decision":"concerns","note":"unclear","public_reason":"Unclear conduct."})", &w.proctor_b);
  CHECK(body_of(disagree)["state"] == "open");
  CHECK(body_of(disagree)["disputed"] == true);
  // After the disagreement neither of the two may decide alone: a third proctor must (issue 13).
  CHECK(w.call("POST", base + "/decision", R"({"decision":"breach","note":"agreed evidence","public_reason":"Helped."})", &w.proctor_b).status == 409);
  CHECK(w.call("POST", base + "/decision", R"({"decision":"no_concerns"})", &w.proctor_a).status == 409);
  // No concerns takes no public reason.
  CHECK(body_of(w.call("POST", base + "/decision", R"({"decision":"no_concerns","public_reason":"x"})", &w.proctor_a))["error"]["field"] ==
        "public_reason");
  const auto session = body_of(w.call("GET", base, "", &w.proctor_a));
  CHECK(session["decisions"].size() == 2);
  CHECK(session["session"]["state"] == "open");
  CHECK(session["session"]["disputed"] == true);
  // A no-concerns decision needs no second proctor.
  Device d(w, w.own_candidate, "dddddddddddddddddddddddddddddddd", "sess-clear");
  d.flag("f1", "dark", "low", 0.2);
  REQUIRE(w.staff->assign(d.id, d.session, w.user_ids["a@proctors.example.org"], 1, w.clock.wall_ms()));
  const std::string clear = "/staff/api/sessions/" + d.id + "/" + d.session;
  CHECK(w.call("POST", clear + "/flags/" + std::to_string(w.flag_row(d)), R"({"decision":"dismiss"})", &w.proctor_a).status == 200);
  CHECK(body_of(w.call("POST", clear + "/decision", R"({"decision":"no_concerns"})", &w.proctor_a))["state"] == "decided");
  // A flag that arrives afterwards (the device synced late) reopens the session.
  d.flag("f2", "multi_face", "high", 0.8);
  const auto reopened = body_of(w.call("GET", clear, "", &w.proctor_a));
  CHECK(reopened["session"]["state"] == "open");
  CHECK(reopened["decisions"].size() == 1);
}

TEST_CASE("evidence is opened only when an assigned proctor views it, and every view is audited") {
  Seeded w;
  const std::string base = "/staff/api/sessions/" + w.assigned->id + "/" + w.assigned->session;
  const auto r = w.call("GET", base + "/evidence/" + w.evidence_sha, "", &w.proctor_a);
  REQUIRE(r.status == 200);
  CHECK(r.body == "JPEG-ish evidence bytes for the assigned session");
  CHECK(r.header("Cache-Control") == "no-store");
  // Evidence of another session (even of an assigned proctor's own device) is not served by sha.
  CHECK(w.call("GET", base + "/evidence/" + w.other_evidence_sha, "", &w.proctor_a).status == 404);
  CHECK(w.call("GET", base + "/evidence/zz", "", &w.proctor_a).status == 404);
  const auto audit = w.staff->audit_entries(0, 100).value();
  CHECK(std::count_if(audit.begin(), audit.end(), [](const srv::AuditEntry& e) { return e.action == "evidence.view"; }) == 1);
  // The timeline shows the journal events of the session.
  const auto session = body_of(w.call("GET", base, "", &w.proctor_a));
  CHECK(session["timeline"].size() == 2);
  CHECK(session["timeline"][1]["type"] == "flag.raised");
  CHECK(session["flags"][0]["check"] == "multi_face");
  CHECK(session["flags"][0]["severity"] == "high");
}

TEST_CASE("the audit log refuses changes and deletions, and an admin can export it") {
  Seeded w;
  auto& db = w.repo->db();
  CHECK_FALSE(db.exec("UPDATE audit_log SET action = 'x'"));
  CHECK_FALSE(db.exec("DELETE FROM audit_log"));
  const auto csv = w.call("GET", "/staff/api/audit.csv", "", &w.admin);
  REQUIRE(csv.status == 200);
  CHECK(csv.body.find("\"login\"") != std::string::npos);
  CHECK(csv.header("Content-Disposition").find("attachment") == 0);
}

TEST_CASE("the review queue is ordered by severity, then confidence, then age") {
  Seeded w;
  Device low(w, w.own_candidate, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "sess-low");
  low.flag("f1", "dark", "low", 0.99);
  Device high_old(w, w.own_candidate, "ffffffffffffffffffffffffffffffff", "sess-high-old");
  high_old.flag("f1", "covered", "high", 0.5);
  w.clock.advance_ms(60'000);
  Device high_new(w, w.own_candidate, "99999999999999999999999999999999", "sess-high-new");
  high_new.clock.advance_ms(60'000);
  high_new.flag("f1", "covered", "high", 0.5);
  Device malformed(w, w.own_candidate, "88888888888888888888888888888888", "sess-bad");
  malformed.send({{"flag.raised", "not json at all"}});   // accepted from the device, not queued
  const auto q = body_of(w.call("GET", "/staff/api/queue", "", &w.admin))["sessions"];
  std::vector<std::string> order;
  for (const auto& s : q) order.push_back(s["session_id"]);
  const std::vector<std::string> expected = {"sess-assigned", "sess-high-old", "sess-high-new", "sess-low", "sess-unassigned"};
  CHECK(order == expected);
}

TEST_CASE("the staff pages are served from the binary with a strict content security policy") {
  World w;
  for (const char* page : {"/staff/", "/staff/council.html", "/staff/review.html", "/staff/session.html", "/staff/admin.html",
                           "/staff/staff.css", "/staff/staff.js"}) {
    const auto r = w.call("GET", page);
    CHECK(r.status == 200);
    CHECK(r.body.size() > 100);
    CHECK(r.header("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  }
  CHECK(w.call("GET", "/staff/../vigil.db").status == 404);
  CHECK(w.call("GET", "/staff/nothing.html").status == 404);
  CHECK(w.call("GET", "/v1/health").status == 200);   // the device API is still reached
}

TEST_CASE("an admin can unlock a locked account and disable one (ending its sign-ins)") {
  Seeded w;
  const auto b_password = w.accounts.password("b@proctors.example.org");
  for (int i = 0; i < 5; ++i) w.try_login("b@proctors.example.org", "wrong");
  CHECK(w.try_login("b@proctors.example.org", b_password).status == 429);
  const auto b_id = std::to_string(w.user_ids["b@proctors.example.org"]);
  CHECK(w.call("POST", "/staff/api/users/" + b_id + "/unlock", "", &w.admin).status == 200);
  CHECK(w.try_login("b@proctors.example.org", b_password).status == 200);
  CHECK(w.call("POST", "/staff/api/users/" + b_id + "/disable", "", &w.admin).status == 200);
  CHECK(w.call("GET", "/staff/api/me", "", &w.proctor_b).status == 401);
  CHECK(w.try_login("b@proctors.example.org", b_password).status == 401);
  CHECK(w.call("POST", "/staff/api/users/" + std::to_string(w.user_ids["admin@example.org"]) + "/disable", "", &w.admin).status == 409);
  // Releasing results (per window, from the results table) is tested in test_staff_results.cpp.
}

TEST_CASE("accommodations and exemptions from an endorsement reach the candidate's sittings") {
  Seeded w;
  const auto bad = w.call("POST", "/staff/api/councils/own/import",
                          "name,work_email,employee_ref,level,exemptions,extra_time_percent,extra_break_minutes\n"
                          "Ex Empt,ex@own.example.org,X1,practitioner,everything,25,10\n", &w.manager, "text/csv");
  REQUIRE(bad.status == 422);
  CHECK(body_of(bad)["problems"][0]["field"] == "exemptions");
  const auto ok = w.call("POST", "/staff/api/councils/own/import",
                         "name,work_email,employee_ref,level,exemptions,extra_time_percent,extra_break_minutes\n"
                         "Ex Empt,ex@own.example.org,X1,practitioner,Knowledge_Only,25,10\n"
                         "No Adjust,na@own.example.org,X2,practitioner,none,,\n", &w.manager, "text/csv");
  REQUIRE(ok.status == 201);
  const auto ids = body_of(ok)["candidate_ids"];
  const auto a = w.repo->accommodations(ids[0].get<std::string>()).value();
  CHECK(a.extra_time_percent == 25);
  CHECK(a.extra_break_minutes == 10);
  CHECK(a.knowledge_only);
  const auto b = w.repo->accommodations(ids[1].get<std::string>()).value();
  CHECK(b.extra_time_percent == 0);
  CHECK_FALSE(b.knowledge_only);
}

TEST_CASE("an admin's reset gives a one-time password that its owner must replace, and keeps the owner's TOTP") {
  Seeded w;
  const auto a_email = "a@proctors.example.org";
  const auto a_id = std::to_string(w.user_ids[a_email]);
  const auto reset = [&](const std::string& pw) {
    return w.call("POST", "/staff/api/users/" + a_id + "/reset-password", json{{"password", pw}}.dump(), &w.admin);
  };
  CHECK(reset("letmein").status == 400);
  REQUIRE(reset("admin knows this one").status == 200);
  CHECK(w.call("GET", "/staff/api/me", "", &w.proctor_a).status == 401);   // every session ended
  // The admin, knowing the one-time password, still needs the proctor's authenticator.
  auto r = w.try_login(a_email, "admin knows this one");
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["pending"] == "mfa_required");
  // The proctor signs in with it, gives a code, and must choose their own password.
  const auto secret = w.accounts.totp_secret(a_email);
  const auto c = r.header("Set-Cookie");
  Browser b{c.substr(c.find('=') + 1, c.find(';') - c.find('=') - 1), body_of(r)["csrf_token"]};
  w.clock.advance_ms(30'000);
  const auto mfa = w.call("POST", "/staff/api/login/mfa", json{{"code", srv::totp_code(secret, w.clock.wall_ms() / 1000).value()}}.dump(), &b);
  CHECK(body_of(mfa)["pending"] == "password_change_required");
  CHECK(w.call("POST", "/staff/api/me/password",
               json{{"current_password", "admin knows this one"}, {"new_password", "only the proctor knows"}}.dump(), &b).status == 200);
  CHECK(w.try_login(a_email, "admin knows this one").status == 401);
  // Audited without the password.
  const auto audit = w.staff->audit_entries(0, 50).value();
  CHECK(std::any_of(audit.begin(), audit.end(), [](const srv::AuditEntry& e) { return e.action == "user.password_reset"; }));
  CHECK(std::none_of(audit.begin(), audit.end(), [](const srv::AuditEntry& e) { return e.detail.find("admin knows") != std::string::npos; }));
}

TEST_CASE("a session ends after 30 idle minutes, and sensitive endpoints need a re-authentication within 5 minutes") {
  Seeded w;
  w.clock.advance_ms(29 * 60'000);
  CHECK(w.call("GET", "/staff/api/me", "", &w.manager).status == 200);   // activity keeps it alive
  w.clock.advance_ms(29 * 60'000);
  CHECK(w.call("GET", "/staff/api/me", "", &w.manager).status == 200);
  w.clock.advance_ms(31 * 60'000);
  const auto idle = w.call("GET", "/staff/api/me", "", &w.manager);
  CHECK(idle.status == 401);
  CHECK(body_of(idle)["error"]["code"] == "session_idle");
  // Re-authentication: the admin signed in > 5 minutes ago (the clock moved on).
  CHECK(w.call("GET", "/staff/api/users", "", &w.admin).status == 401);   // idle too by now
  w.admin = w.login("admin@example.org");
  w.clock.advance_ms(6 * 60'000);
  const auto create = json{{"email", "new@example.org"}, {"display_name", "N"}, {"role", "proctor"}, {"password", "a fine one-time pass"}}.dump();
  const auto refused = w.call("POST", "/staff/api/users", create, &w.admin);
  CHECK(refused.status == 401);
  CHECK(body_of(refused)["error"]["code"] == "reauth_required");
  CHECK(w.staff->user_by_email("new@example.org").value() == std::nullopt);
  CHECK(w.call("GET", "/staff/api/users", "", &w.admin).status == 200);   // reading needs no re-authentication
  const auto pw = w.accounts.password("admin@example.org");
  CHECK(w.call("POST", "/staff/api/me/reauth", json{{"password", pw}}.dump(), &w.admin).status == 400);   // code missing
  const auto code = w.accounts.next_code("admin@example.org");
  CHECK(w.call("POST", "/staff/api/me/reauth", json{{"password", pw}, {"code", code}}.dump(), &w.admin).status == 200);
  CHECK(w.call("POST", "/staff/api/users", create, &w.admin).status == 201);
  // An adverse decision needs it too; a no-concerns one does not.
  w.clock.advance_ms(6 * 60'000);
  w.proctor_a = w.login("a@proctors.example.org");
  w.clock.advance_ms(6 * 60'000);
  const std::string base = "/staff/api/sessions/" + w.assigned->id + "/" + w.assigned->session;
  CHECK(w.call("POST", base + "/flags/" + std::to_string(w.flag_row(*w.assigned)), R"({"decision":"concern","note":"x"})", &w.proctor_a).status == 200);
  const auto adverse = w.call("POST", base + "/decision", R"({"decision":"breach","note":"phone","public_reason":"A phone was used."})", &w.proctor_a);
  CHECK(body_of(adverse)["error"]["code"] == "reauth_required");
}

TEST_CASE("staff bodies are read strictly: a wrong-typed or unknown member is a 400 naming it, and a malformed escape in the path is a 400") {
  Seeded w;
  const auto headcount = "/staff/api/councils/own/headcount";
  struct Bad {
    std::string body;
    std::string field;
  };
  for (const auto& c : std::vector<Bad>{{R"({"eligible":"12"})", "eligible"},
                                        {R"({"eligible":1.5})", "eligible"},
                                        {R"({"eligible":12,"eligble":13})", "eligble"},
                                        {R"({"eligible":12,"eligible":13})", "eligible"}}) {
    const auto r = w.call("PUT", headcount, c.body, &w.manager);
    INFO(c.body << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(body_of(r)["error"]["code"] == "invalid_argument");
    CHECK(body_of(r)["error"].value("field", "") == c.field);
  }
  CHECK(w.call("PUT", headcount, R"({"eligible":12})", &w.manager).status == 200);
  // A proctor's decision with a note that is not text.
  const auto path = "/staff/api/sessions/" + w.assigned->id + "/" + w.assigned->session + "/flags/" +
                    std::to_string(w.flag_row(*w.assigned));
  const auto r = w.call("POST", path, R"({"decision":"dismiss","note":42})", &w.proctor_a);
  CHECK(r.status == 400);
  CHECK(body_of(r)["error"]["field"] == "note");
  // Malformed %-escapes in the path or the query are refused, not passed through.
  for (const std::string target : {"/staff/api/councils/own%zz/candidates", "/staff/api/councils/%4/candidates",
                                   "/staff/api/audit?limit=%zz", "/staff/%"}) {
    const auto bad = w.call("GET", target, "", &w.admin);
    INFO(target << " -> " << bad.body);
    CHECK(bad.status == 400);
    CHECK(body_of(bad)["error"]["code"] == "invalid_argument");
  }
  // A well-formed escape decodes to an id the table then matches (or refuses when odd).
  CHECK(w.call("GET", "/staff/api/councils/%6Fwn/candidates", "", &w.manager).status == 200);
  CHECK(w.call("GET", "/staff/api/councils/o%2Fwn/candidates", "", &w.manager).status == 404);
}
