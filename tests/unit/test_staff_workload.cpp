// Issue 16 part 5, "proctor workload", against a real SQLite home (tests/support/server_world.hpp):
// flagged sessions and submitted sittings arrive through the device API, so the schema's triggers
// (migrations/013_proctor_workload.sql) assign them as production does. The one rule: each review
// and identity check goes to the least-loaded active proctor (reviews and identity checks count
// alike; ties by the lower user id); a proctor added later takes what waited; disabling a proctor
// passes their open work on; a proctor who took part in an item is never given its next step; an
// admin reassigns with a reason, audited with from, to and why; a proctor cannot; and the age,
// target and "overdue" of every item follow the clock (the ManualClock seam, docs/ARCHITECTURE.md).
#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/staff/staff_api.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using testing::Device;

namespace {

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

constexpr std::int64_t k_hour_ms = 3'600'000;

// An admin and a council; proctors are added by each test, in the order that gives their ids.
struct World : testing::ServerWorld {
  Browser admin;

  World() {
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    REQUIRE(repo->add_package({"w1", 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4),
                               clock.wall_ms()},
                              "{}"));
    admin = add_and_login("admin@example.org", "programme_admin");
  }

  struct Proctor {
    std::int64_t id = 0;
    std::string email;
    Browser browser;
  };
  Proctor proctor(const std::string& name) {
    Proctor p;
    p.email = name + "@proctors.example.org";
    p.id = add_user(p.email, "proctor", "", "Proctor " + name);
    p.browser = login(p.email);
    return p;
  }

  // A candidate's sitting of w1 on its own device: the identity photos, optionally a flag (which
  // makes the session's review), then the submission (which makes its identity check).
  struct Sat {
    std::unique_ptr<Device> device;
    std::string candidate;
    std::string review() const { return "/staff/api/sessions/" + device->id + "/" + device->session; }
    std::string identity() const { return "/staff/api/identity/" + device->id + "/" + device->session; }
  };
  Sat sit(const std::string& ref, char device_char, bool flagged) {
    Sat s;
    s.candidate = endorse("own", "Candidate " + ref, ref);
    s.device = testing::sitting_device(*this, s.candidate, "w1", device_char);
    auto& d = *s.device;
    d.send({{"session.started", "{}"}, {"identity.checked", d.identity_checked(ref)}});
    if (flagged) d.flag("f1", "multi_face", "high", 0.9);
    d.send({{"session.submitted", R"({"v":1,"blobs":[]})"}});
    return s;
  }

  // The active proctor the item waits on now (0: nobody). A disabled proctor's assignment to a
  // review stays on record (they were assigned), but nothing waits on them.
  std::int64_t waiting(srv::WorkKind kind, const Sat& s) {
    auto on = staff->waiting_on(kind, s.device->id, s.device->session).value();
    on.erase(std::remove_if(on.begin(), on.end(), [&](std::int64_t id) { return staff->user(id).value()->disabled; }),
             on.end());
    REQUIRE(on.size() <= 1);
    return on.empty() ? 0 : on.front();
  }
  std::int64_t review_proctor(const Sat& s) { return waiting(srv::WorkKind::review, s); }
  std::int64_t identity_proctor(const Sat& s) { return waiting(srv::WorkKind::identity, s); }

  json workload() {
    const auto r = call("GET", "/staff/api/workload", "", admin);
    REQUIRE(r.status == 200);
    return body_of(r);
  }
  // One active proctor's row of the admin's workload.
  json load_of(std::int64_t id) {
    const auto w = workload();
    for (const auto& p : w["proctors"]) {
      if (p["proctor_id"] == id) return p;
    }
    FAIL("proctor " << id << " is not in the workload: " << w.dump());
    return {};
  }
  json my_work(const Proctor& p) {
    const auto r = call("GET", "/staff/api/my-work", "", p.browser);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return body_of(r)["items"];
  }

  std::vector<srv::AuditLine> audits(const std::string& action) {
    auto all = staff->audit_entries(0, 1000).value();
    std::vector<srv::AuditLine> out;
    std::copy_if(all.begin(), all.end(), std::back_inserter(out), [&](const auto& e) { return e.action == action; });
    return out;
  }

  // The assigned proctor decides the session's one flag as a concern, then the session.
  HttpResponse review_decide(const Proctor& p, const Sat& s, const std::string& decision) {
    const auto flags = staff->review_flags(s.device->id, s.device->session).value();
    REQUIRE(flags.size() == 1);
    if (flags.front().decision.empty()) {
      REQUIRE(call("POST", s.review() + "/flags/" + std::to_string(flags.front().flag_row),
                   R"({"decision":"concern","note":"a second face"})", p.browser)
                  .status == 200);
    }
    json body{{"decision", decision}, {"note", "Reasons."}};
    if (decision != "no_concerns") body["public_reason"] = "Another person was present.";
    return call("POST", s.review() + "/decision", body.dump(), p.browser);
  }
  HttpResponse reassign(const std::string& path, std::int64_t to, const std::string& reason, const Browser& who) {
    return call("POST", path + "/reassign", json{{"proctor_id", to}, {"reason", reason}}.dump(), who);
  }
};

}  // namespace

TEST_CASE("each new review and identity check goes to the least-loaded active proctor, reviews and checks counted alike, ties to the lower id") {
  World w;
  auto a = w.proctor("a");
  auto b = w.proctor("b");
  auto c = w.proctor("c");
  REQUIRE(a.id < b.id);
  REQUIRE(b.id < c.id);

  auto s1 = w.sit("c1", '1', false);   // identity: all at 0, A (the lowest id)
  CHECK(w.identity_proctor(s1) == a.id);
  auto s2 = w.sit("c2", '2', true);    // review: B and C at 0, B; identity: C, the only one at 0
  CHECK(w.review_proctor(s2) == b.id);
  CHECK(w.identity_proctor(s2) == c.id);
  auto s3 = w.sit("c3", '3', true);    // review: all at 1, A; identity: B and C at 1, B
  CHECK(w.review_proctor(s3) == a.id);
  CHECK(w.identity_proctor(s3) == b.id);

  // The admin's view: each active proctor's load and every open item with whom it waits on.
  const auto load = w.workload();
  INFO(load.dump());
  REQUIRE(load["proctors"].size() == 3);
  CHECK(w.load_of(a.id)["open_reviews"] == 1);
  CHECK(w.load_of(a.id)["open_identity_checks"] == 1);
  CHECK(w.load_of(b.id)["open_reviews"] == 1);
  CHECK(w.load_of(b.id)["open_identity_checks"] == 1);
  CHECK(w.load_of(c.id)["open_reviews"] == 0);
  CHECK(w.load_of(c.id)["open_identity_checks"] == 1);
  CHECK(w.load_of(c.id)["display_name"] == "Proctor c");
  CHECK(load["items"].size() == 5);
  CHECK(std::all_of(load["items"].begin(), load["items"].end(), [](const json& i) { return i["proctor_id"] != 0; }));
  CHECK(load["targets"]["review_hours"] == 48);
  CHECK(load["targets"]["identity_hours"] == 24);

  // Each proctor's own page shows what waits on them, and nothing else.
  const auto mine = w.my_work(b);
  INFO(mine.dump());
  REQUIRE(mine.size() == 2);
  for (const auto& item : mine) {
    CHECK(item["proctor_id"] == b.id);
    CHECK(item["part"] == "first");
  }
  CHECK(std::count_if(mine.begin(), mine.end(), [&](const json& i) {
          return i["kind"] == "review" && i["session_id"] == s2.device->session;
        }) == 1);
  CHECK(std::count_if(mine.begin(), mine.end(), [&](const json& i) {
          return i["kind"] == "identity" && i["session_id"] == s3.device->session && i["full_name"] == "Candidate c3";
        }) == 1);
  // A decided item leaves the proctor's load.
  CHECK(w.call("POST", s1.identity() + "/decision", R"({"decision":"matches"})", a.browser).status == 200);
  CHECK(w.load_of(a.id)["open_identity_checks"] == 0);
  CHECK(w.my_work(a).size() == 1);
}

TEST_CASE("work that arrives while no proctor is active waits, and the first proctor added takes it") {
  World w;
  auto s = w.sit("c1", '1', true);
  CHECK(w.review_proctor(s) == 0);
  CHECK(w.identity_proctor(s) == 0);
  auto load = w.workload();
  CHECK(load["proctors"].empty());
  REQUIRE(load["items"].size() == 2);
  for (const auto& item : load["items"]) {
    CHECK(item["proctor_id"] == 0);
    CHECK_FALSE(item.contains("proctor_name"));
  }

  // The admin adds a proctor on the Administration page: the waiting work is theirs at once.
  const auto added = w.call("POST", "/staff/api/users",
                            json{{"email", "late@proctors.example.org"}, {"display_name", "Late Proctor"},
                                 {"role", "proctor"}, {"password", "a fine one-time pass"}}
                                .dump(),
                            w.admin);
  INFO(added.body);
  REQUIRE(added.status == 201);
  const auto late = w.staff->user_by_email("late@proctors.example.org").value();
  REQUIRE(late);
  CHECK(w.review_proctor(s) == late->user_id);
  CHECK(w.identity_proctor(s) == late->user_id);
  load = w.workload();
  REQUIRE(load["items"].size() == 2);
  for (const auto& item : load["items"]) CHECK(item["proctor_name"] == "Late Proctor");
  // Another proctor added now finds nothing waiting: nothing moves.
  auto other = w.proctor("other");
  CHECK(w.my_work(other).empty());
  CHECK(w.review_proctor(s) == late->user_id);
}

TEST_CASE("disabling a proctor passes their open work to the least-loaded active proctors") {
  World w;
  auto a = w.proctor("a");
  auto b = w.proctor("b");
  auto s1 = w.sit("c1", '1', true);    // review: A; identity: B
  auto s2 = w.sit("c2", '2', false);   // identity: A (A 1, B 1: the lower id)
  REQUIRE(w.review_proctor(s1) == a.id);
  REQUIRE(w.identity_proctor(s1) == b.id);
  REQUIRE(w.identity_proctor(s2) == a.id);
  auto c = w.proctor("c");             // nothing waits: C starts with nothing
  CHECK(w.my_work(c).empty());

  const auto r = w.call("POST", "/staff/api/users/" + std::to_string(a.id) + "/disable", "", w.admin);
  INFO(r.body);
  REQUIRE(r.status == 200);
  // A's two items, oldest first: the identity check (its time is the server's, when the sitting
  // arrived) before the review (its time is the flag's on the device, seconds later) goes to C
  // (0, the least loaded); then the review to B or C, whoever has fewer (B 1, C 1: B, the lower
  // id). Nothing waits on A any more.
  CHECK(w.identity_proctor(s2) == c.id);
  CHECK(w.review_proctor(s1) == b.id);
  CHECK(w.load_of(b.id)["open_reviews"] == 1);
  CHECK(w.load_of(b.id)["open_identity_checks"] == 1);
  CHECK(w.load_of(c.id)["open_identity_checks"] == 1);
  const auto load = w.workload();
  CHECK(load["proctors"].size() == 2);   // A is not an active proctor
  for (const auto& item : load["items"]) CHECK(item["proctor_id"] != a.id);
  // The proctors open what they were given.
  CHECK(w.call("GET", s1.review(), "", b.browser).status == 200);
  CHECK(w.call("GET", s2.identity(), "", c.browser).status == 200);
}

TEST_CASE("a proctor who took part in a review or an identity check is never given its confirming or deciding step") {
  World w;
  auto a = w.proctor("a");
  auto b = w.proctor("b");
  auto s = w.sit("c1", '1', true);   // review: A; identity: B
  REQUIRE(w.review_proctor(s) == a.id);
  REQUIRE(w.identity_proctor(s) == b.id);

  // Identity: B cannot tell. B is then the least loaded of all (0 open), but took part: A confirms.
  auto doubt = body_of(w.call("POST", s.identity() + "/decision", R"({"decision":"cannot_tell","note":"Blurred."})", b.browser));
  REQUIRE(doubt["state"] == "awaiting_second");
  CHECK(doubt["second_proctor_id"] == a.id);
  CHECK(w.identity_proctor(s) == a.id);

  // Review: A proposes a breach; B (least loaded, 0) confirms, never A.
  auto proposed = w.review_decide(a, s, "breach");
  INFO(proposed.body);
  REQUIRE(proposed.status == 200);
  CHECK(body_of(proposed)["state"] == "awaiting_second");
  CHECK(body_of(proposed)["next_proctor_id"] == b.id);
  CHECK(w.review_proctor(s) == b.id);
  // An admin cannot give the confirming step to the proctor who proposed it either.
  const auto refused = w.reassign(s.review(), a.id, "A knows the case", w.admin);
  CHECK(refused.status == 409);
  CHECK(body_of(refused)["error"]["field"] == "proctor_id");

  // B disagrees: a third proctor must decide. A and B took part, and there is nobody else: it
  // waits, shown to the admin as waiting on nobody, and the next proctor added takes it.
  auto disagreed = w.review_decide(b, s, "concerns");
  REQUIRE(disagreed.status == 200);
  CHECK(body_of(disagreed)["state"] == "open");
  CHECK_FALSE(body_of(disagreed).contains("next_proctor_id"));
  CHECK(w.review_proctor(s) == 0);
  const auto load = w.workload();
  CHECK(std::any_of(load["items"].begin(), load["items"].end(), [&](const json& i) {
    return i["kind"] == "review" && i["session_id"] == s.device->session && i["proctor_id"] == 0;
  }));
  CHECK(w.my_work(a).size() == 1);   // the identity check's second step only
  auto c = w.proctor("c");
  CHECK(w.review_proctor(s) == c.id);
  REQUIRE(w.my_work(c).size() == 1);
  CHECK(w.review_decide(c, s, "concerns").status == 200);
}

TEST_CASE("only an admin reassigns, with a reason, to an active proctor; each reassignment is audited with from, to and why") {
  World w;
  auto a = w.proctor("a");
  auto b = w.proctor("b");
  auto manager = w.add_and_login("manager@own.example.org", "council_manager", "own");
  auto s = w.sit("c1", '1', true);   // review: A; identity: B
  REQUIRE(w.review_proctor(s) == a.id);

  // A proctor cannot reassign, not even their own work; nor can a council manager.
  CHECK(w.reassign(s.review(), b.id, "I am busy", a.browser).status == 403);
  CHECK(w.reassign(s.identity(), a.id, "swap", b.browser).status == 403);
  CHECK(w.reassign(s.review(), b.id, "swap", manager).status == 403);
  CHECK(w.call("GET", "/staff/api/workload", "", a.browser).status == 403);
  CHECK(w.call("GET", "/staff/api/workload", "", manager).status == 403);
  CHECK(w.call("GET", "/staff/api/my-work", "", manager).status == 403);
  CHECK(w.call("GET", "/staff/api/my-work", "", w.admin).status == 403);

  // The admin: a reason is required (one line), and the new proctor must be an active proctor.
  for (const std::string reason : {"", "   ", "two\nlines"}) {
    const auto r = w.reassign(s.review(), b.id, reason, w.admin);
    CHECK(r.status == 400);
    CHECK(body_of(r)["error"]["field"] == "reason");
  }
  CHECK(body_of(w.call("POST", s.review() + "/reassign", json{{"proctor_id", b.id}}.dump(), w.admin))["error"]["field"] ==
        "reason");
  const auto admin_id = w.staff->user_by_email("admin@example.org").value()->user_id;
  CHECK(body_of(w.reassign(s.review(), admin_id, "why not", w.admin))["error"]["field"] == "proctor_id");
  CHECK(w.reassign("/staff/api/sessions/" + std::string(32, '9') + "/nope", b.id, "r", w.admin).status == 404);
  CHECK(w.audits("review.reassign").empty());
  CHECK(w.review_proctor(s) == a.id);

  const auto moved = w.reassign(s.review(), b.id, "Proctor a is on leave this week", w.admin);
  INFO(moved.body);
  REQUIRE(moved.status == 200);
  CHECK(w.review_proctor(s) == b.id);
  CHECK(w.call("GET", s.review(), "", a.browser).status == 403);   // no longer A's
  CHECK(w.call("GET", s.review(), "", b.browser).status == 200);
  CHECK(w.my_work(a).empty());
  CHECK(w.my_work(b).size() == 2);
  auto lines = w.audits("review.reassign");
  REQUIRE(lines.size() == 1);
  INFO(lines.front().detail);
  CHECK(lines.front().detail.find("from proctor " + std::to_string(a.id)) != std::string::npos);
  CHECK(lines.front().detail.find("to proctor " + std::to_string(b.id) + " (Proctor b)") != std::string::npos);
  CHECK(lines.front().detail.find("Proctor a is on leave this week") != std::string::npos);
  CHECK(lines.front().target == "session/" + s.device->id + "/" + s.device->session);

  const auto back = w.reassign(s.identity(), a.id, "Balance the queue", w.admin);
  REQUIRE(back.status == 200);
  CHECK(w.identity_proctor(s) == a.id);
  lines = w.audits("identity.reassign");
  REQUIRE(lines.size() == 1);
  CHECK(lines.front().detail.find("from proctor " + std::to_string(b.id)) != std::string::npos);
  CHECK(lines.front().detail.find("Balance the queue") != std::string::npos);

  // To a disabled proctor: refused. A decided item cannot be reassigned.
  auto c = w.proctor("c");
  REQUIRE(w.call("POST", "/staff/api/users/" + std::to_string(c.id) + "/disable", "", w.admin).status == 200);
  CHECK(body_of(w.reassign(s.identity(), c.id, "r", w.admin))["error"]["field"] == "proctor_id");
  REQUIRE(w.call("POST", s.identity() + "/decision", R"({"decision":"matches"})", a.browser).status == 200);
  CHECK(w.reassign(s.identity(), b.id, "too late", w.admin).status == 409);
  CHECK(w.audits("identity.reassign").size() == 1);
}

TEST_CASE("each item's age, target, due time and overdue follow the clock: identity checks in 24 hours, reviews in 48") {
  World w;
  auto a = w.proctor("a");
  const std::int64_t start = w.clock.wall_ms();
  auto s = w.sit("c1", '1', true);   // both A's
  auto find = [](const json& items, const std::string& kind) {
    const auto it = std::find_if(items.begin(), items.end(), [&](const json& i) { return i["kind"] == kind; });
    REQUIRE(it != items.end());
    return *it;
  };
  auto items = w.my_work(a);
  REQUIRE(items.size() == 2);
  auto review = find(items, "review");
  auto identity = find(items, "identity");
  CHECK(review["target_ms"] == 48 * k_hour_ms);
  CHECK(identity["target_ms"] == 24 * k_hour_ms);
  CHECK(review["due_wall_ms"].get<std::int64_t>() == review["since_wall_ms"].get<std::int64_t>() + 48 * k_hour_ms);
  CHECK(identity["due_wall_ms"].get<std::int64_t>() == identity["since_wall_ms"].get<std::int64_t>() + 24 * k_hour_ms);
  CHECK(review["since_wall_ms"].get<std::int64_t>() >= start);
  CHECK(review["age_ms"].get<std::int64_t>() >= 0);
  CHECK(review["overdue"] == false);
  CHECK(identity["overdue"] == false);

  // 25 hours on (a new sign-in: the old session is long idle): the identity check is overdue.
  w.clock.advance_ms(25 * k_hour_ms);
  a.browser = w.login(a.email);
  items = w.my_work(a);
  identity = find(items, "identity");
  review = find(items, "review");
  CHECK(identity["age_ms"].get<std::int64_t>() == w.clock.wall_ms() - identity["since_wall_ms"].get<std::int64_t>());
  CHECK(identity["age_ms"].get<std::int64_t>() > 24 * k_hour_ms);
  CHECK(identity["overdue"] == true);
  CHECK(review["overdue"] == false);
  // The queues say the same.
  auto queue = body_of(w.call("GET", "/staff/api/identity", "", a.browser));
  REQUIRE(queue["checks"].size() == 1);
  CHECK(queue["checks"][0]["overdue"] == true);
  queue = body_of(w.call("GET", "/staff/api/queue", "", a.browser));
  REQUIRE(queue["sessions"].size() == 1);
  CHECK(queue["sessions"][0]["overdue"] == false);
  CHECK(queue["sessions"][0]["target_ms"] == 48 * k_hour_ms);

  // 24 hours more: the review too. The admin's view shows the oldest wait per proctor.
  w.clock.advance_ms(24 * k_hour_ms);
  a.browser = w.login(a.email);
  w.admin = w.login("admin@example.org");
  CHECK(find(w.my_work(a), "review")["overdue"] == true);
  const auto load = w.workload();
  CHECK(std::all_of(load["items"].begin(), load["items"].end(), [](const json& i) { return i["overdue"] == true; }));
  CHECK(w.load_of(a.id)["oldest_age_ms"].get<std::int64_t>() > 48 * k_hour_ms);
}
