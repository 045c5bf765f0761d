// The candidate's optional equalities declaration on the device: the UI endpoint
// (client/ui/ui_api.hpp: same cookie, Host, Origin and JSON checks as every change) keeps it in
// the encrypted store and never in the journal, and push_equalities (client/sync/equalities.hpp)
// sends it until the server acknowledges it, keeping it through failures. Real store in a temp
// dir; the network is the Transport seam, faked here (the real server is in
// tests/integration/test_equalities_e2e.cpp).
#include <deque>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "client/store/equalities.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/equalities.hpp"
#include "client/ui/ui_api.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client;
using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;
using vigil::testing::TempDir;

namespace {

constexpr std::uint16_t k_port = 40124;

struct Fixture {
  TempDir dir;
  time::ManualClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ui::UiApi> api;
  int sync_nudges = 0;
  std::string cookie;

  Fixture() {
    store::StoreOptions so;
    so.dir = dir.path();
    so.key_storage = store::KeyStorePreference::file;
    so.clock = &clock;
    store = std::move(store::Store::open(std::move(so)).value());
    ui::UiServices services;
    services.sync_now = [this] { ++sync_nudges; };
    api = std::make_unique<ui::UiApi>(*store, clock, dir.path(), services);
    api->set_port(k_port);
    HttpRequest launch{"GET", "/launch?token=" + api->issue_launch_token().value(), {{"Host", host()}}, {}};
    const auto res = api->handle(launch);
    REQUIRE(res.status == 303);
    const auto set = res.header("Set-Cookie");
    cookie = set.substr(0, set.find(';'));
  }

  static std::string host() { return "127.0.0.1:" + std::to_string(k_port); }

  HttpResponse call(const std::string& method, const std::string& body = "", std::string origin = "",
                    std::string content_type = "application/json", bool with_cookie = true) {
    HttpRequest r{method, "/api/equalities", {{"Host", host()}}, body};
    if (with_cookie) r.headers["Cookie"] = cookie;
    if (!content_type.empty() && method != "GET") r.headers["Content-Type"] = content_type;
    if (!origin.empty()) r.headers["Origin"] = origin;
    return api->handle(r);
  }
};

// The server, as the device sees it through its one network seam.
struct FakeServer : sync::Transport {
  std::deque<Result<HttpResponse>> answers;
  std::vector<HttpRequest> seen;
  Result<HttpResponse> roundtrip(const HttpRequest& r) override {
    seen.push_back(r);
    REQUIRE_FALSE(answers.empty());
    auto a = std::move(answers.front());
    answers.pop_front();
    return a;
  }
  void answer(int status, std::string body = R"({"v":1,"stored":true})") {
    HttpResponse r;
    r.status = status;
    r.headers["Content-Type"] = "application/json";
    r.body = std::move(body);
    answers.emplace_back(std::move(r));
  }
};

const std::string k_answers = R"({"v":1,"age_band":"35_44","ethnicity":"mixed","disability":null,"sex":"prefer_not_to_say"})";

}  // namespace

TEST_CASE("the candidate's answers are kept in the store, not the journal, and only from the UI's own page") {
  Fixture f;
  // Same protection as every change: cookie, Origin, JSON.
  CHECK(f.call("PUT", k_answers, "", "application/json", false).status == 403);
  CHECK(f.call("PUT", k_answers, "http://evil.example").status == 403);
  CHECK(f.call("PUT", k_answers, "", "text/plain").status == 403);
  // Unknown answers: refused naming the field; nothing kept.
  const auto bad = f.call("PUT", R"({"ethnicity":"martian"})");
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body).at("error").at("field") == "ethnicity");
  CHECK(f.call("PUT", R"({"candidate_id":"someone-else"})").status == 400);
  CHECK_FALSE(store::kept_equalities(*f.store).value());
  CHECK(f.sync_nudges == 0);

  // The form's vocabulary comes from the same list the server checks against.
  auto empty = json::parse(f.call("GET").body);
  CHECK(empty.at("declaration").is_null());
  CHECK(empty.at("vocabulary").size() == 4);
  CHECK(empty.at("vocabulary").at(1).at("field") == "ethnicity");

  const auto ok = f.call("PUT", k_answers, "http://127.0.0.1:40124");
  REQUIRE(ok.status == 200);
  CHECK(f.sync_nudges == 1);
  const auto kept = store::kept_equalities(*f.store).value();
  REQUIRE(kept);
  CHECK(*kept->ethnicity == "mixed");
  CHECK_FALSE(kept->disability);
  auto got = json::parse(f.call("GET").body);
  CHECK(got.at("declaration").at("age_band") == "35_44");
  CHECK(got.at("sent") == false);
  // Nothing was journalled: the journal reaches proctors, the declaration must not.
  CHECK(f.store->outbox_counts().value().records == 0);
  CHECK(f.store->sessions_with_pending_records().value().empty());
}

TEST_CASE("the declaration is sent until the server acknowledges it, and a later change is sent again") {
  Fixture f;
  FakeServer server;
  // Nothing to send: no request at all.
  CHECK(sync::push_equalities(*f.store, server).value());
  CHECK(server.seen.empty());

  REQUIRE(f.call("PUT", k_answers).status == 200);
  // Offline, then a failing server: kept, pending, the engine backs off and retries.
  server.answers.emplace_back(fail(Errc::unavailable, "connection refused"));
  auto offline = sync::push_equalities(*f.store, server);
  REQUIRE_FALSE(offline);
  CHECK(offline.error().code == Errc::unavailable);
  server.answer(503, R"({"v":1,"error":{"code":"unavailable","message":"busy","field":""}})");
  CHECK(sync::push_equalities(*f.store, server).error().code == Errc::unavailable);
  CHECK(store::pending_equalities(*f.store).value());

  server.answer(200);
  CHECK(sync::push_equalities(*f.store, server).value());
  REQUIRE(server.seen.size() == 3);
  const auto& put = server.seen.back();
  CHECK(put.method == "PUT");
  CHECK(put.target == "/v1/equalities");
  CHECK(json::parse(put.body) == json::parse(k_answers));
  CHECK_FALSE(store::pending_equalities(*f.store).value());
  CHECK(json::parse(f.call("GET").body).at("sent") == true);
  // Acknowledged: the next pass sends nothing.
  CHECK(sync::push_equalities(*f.store, server).value());
  CHECK(server.seen.size() == 3);

  // A change (here: withdrawing an answer) is pending again and sent whole.
  REQUIRE(f.call("PUT", R"({"v":1,"ethnicity":"prefer_not_to_say"})").status == 200);
  server.answer(200);
  CHECK(sync::push_equalities(*f.store, server).value());
  CHECK(json::parse(server.seen.back().body).at("age_band").is_null());
  // A server that does not collect declarations (404): kept and pending, nothing lost.
  REQUIRE(f.call("PUT", R"({"v":1,"sex":"female"})").status == 200);
  server.answer(404, R"({"v":1,"error":{"code":"not_found","message":"no","field":""}})");
  CHECK_FALSE(sync::push_equalities(*f.store, server).value());
  CHECK(store::pending_equalities(*f.store).value());
  // An unknown device: the server's refusal reaches the caller.
  server.answer(403, R"({"v":1,"error":{"code":"forbidden","message":"this device has been revoked","field":""}})");
  CHECK(sync::push_equalities(*f.store, server).error().code == Errc::forbidden);
}

TEST_CASE("the sync engine waits at least as long as a 429 or 5xx answer's Retry-After") {
  Fixture f;
  REQUIRE(f.store->begin_session("s-1", "a-1"));
  REQUIRE(f.store->record_event("s-1", "ui.focus_lost", "{}"));
  // Every request is refused for now, saying when to come back (shared/http/status.hpp).
  struct Limited : sync::Transport {
    std::atomic<int> calls{0};
    Result<HttpResponse> roundtrip(const HttpRequest&) override {
      ++calls;
      HttpResponse r;
      r.status = 429;
      r.headers["Content-Type"] = "application/json";
      r.headers["Retry-After"] = "120";
      r.body = R"({"v":1,"error":{"code":"rate_limited","message":"slow down"}})";
      return r;
    }
  } server;
  sync::SyncOptions options;
  options.backoff_initial = std::chrono::milliseconds(10);
  sync::SyncEngine engine(*f.store, server, options);
  engine.start();
  sync::SyncProgress p;
  for (int i = 0; i < 500; ++i) {
    p = engine.progress();
    if (p.state == sync::SyncState::offline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  engine.stop();
  CHECK(server.calls.load() == 1);   // one try, then the wait the server asked for
  CHECK(p.state == sync::SyncState::offline);
  CHECK(p.retry_in >= std::chrono::seconds(120));
  CHECK(p.last_error == "slow down");
}
