// The candidate UI's API (client/ui/ui_api.hpp) fed one request per input, over a real
// SQLCipher store in TMPDIR, with an assessment unlocked (tests/support/sample_assessment.hpp)
// and the identity step done, so the answer, flag, navigation and submission bodies reach the
// runner. The world is made anew after a submission and every k_inputs_per_world inputs.
//
// Input: byte 0 = route (low nibble, k_routes) and who asks (high nibble modulo 5: the launched
// window; no cookie; a wrong Host; a foreign Origin; a body that is not declared JSON); the rest
// is the body. The raw route takes "METHOD TARGET" from the body's first line; the launch route
// sends the body as the launch token.
//
// Oracles (any failure aborts: libFuzzer keeps the input):
//  - no 500 and no exception; every /api/ answer is JSON, every error {"error":{code,message}};
//  - invariants 1 and 2: without the cookie, from another Host or Origin, or with a body not
//    declared JSON, a request is refused (403/421) and the store's answers are unchanged; no
//    input opens the UI with a guessed launch token;
//  - invariant 3: "saved" is answered only with the revision and journal seq that the store now
//    holds for that item.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "client/ui/ui_api.hpp"
#include "tests/fuzz/fuzz_checks.hpp"
#include "tests/support/sample_assessment.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client;
using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

namespace {

constexpr std::uint16_t k_port = 40123;
constexpr std::string_view k_session = "fz-sitting";
constexpr std::uint64_t k_inputs_per_world = 5'000;

enum Who : unsigned { window = 0, no_cookie = 1, wrong_host = 2, foreign_origin = 3, not_json = 4, k_whos = 5 };

struct Route {
  const char* method;
  const char* target;   // nullptr: raw ("METHOD TARGET" on the body's first line)
};
constexpr Route k_routes[] = {
    {"PUT", "/api/answers/k-1"},       {"PUT", "/api/answers/k-2"},  {"PUT", "/api/answers/w-1"},
    {"POST", "/api/flag"},             {"POST", "/api/navigate"},    {"POST", "/api/section/finish"},
    {"POST", "/api/break/end"},        {"POST", "/api/events"},      {"POST", "/api/submit"},
    {"POST", "/api/identity"},         {"PUT", "/api/equalities"},   {"POST", "/api/enrol"},
    {"POST", "/api/unlock"},           {"POST", "/api/camera/capture"},
    {nullptr, nullptr},                {"GET", "/launch?token="},
};
static_assert(sizeof(k_routes) / sizeof(k_routes[0]) == 16);

ui::UiServices services() {
  ui::UiServices s;
  s.enrol = [](std::string_view code) -> Status {
    if (code.size() > 32) return fail(Errc::invalid_argument, "That is not an enrolment code.", "code");
    return {};
  };
  s.download = []() -> Status { return {}; };
  s.unlock = [](std::string_view) -> Result<runner::RunnerOptions> {
    runner::RunnerOptions o;
    o.session_id = std::string(k_session);
    o.assessment = testing::small_assessment();
    return o;
  };
  s.resume = []() -> Result<std::optional<runner::RunnerOptions>> { return std::nullopt; };
  s.package_info = [] { return std::string(R"({"downloaded":true})"); };
  s.sync_info = [] { return std::string(R"({"online":false})"); };
  s.sync_now = [] {};
  s.extra_checks = [] { return std::vector<ui::Check>{}; };
  s.capture_photo = [](std::string_view) -> Result<Bytes> { return Bytes{0xFF, 0xD8, 0xFF, 0xD9}; };
  s.on_phase = [](const std::string&, const runner::Snapshot&) {};
  s.results = []() -> Result<std::string> { return std::string(R"({"v":1,"results":[],"offline":true})"); };
  return s;
}

HttpRequest request(std::string method, std::string target, std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers["Host"] = "127.0.0.1:" + std::to_string(k_port);
  r.headers["Content-Type"] = "application/json";
  r.body = std::move(body);
  return r;
}

[[noreturn]] void die(const std::string& what, const HttpRequest& req, const HttpResponse* res = nullptr) {
  std::fprintf(stderr, "\nfuzz_client_ui: %s\nrequest: %s %s (%zu bytes)\n", what.c_str(), req.method.c_str(),
               req.target.c_str(), req.body.size());
  if (res) std::fprintf(stderr, "response: %d %s\n", res->status, res->body.substr(0, 2000).c_str());
  std::abort();
}

struct World {
  testing::TempDir dir;
  time::ManualClock clock{1'790'000'000'000};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ui::UiApi> api;
  std::string cookie;   // "vigil_ui=..."
  std::uint64_t inputs = 0;

  World() {
    store::StoreOptions so;
    so.dir = dir.path();
    so.key_storage = store::KeyStorePreference::file;
    so.clock = &clock;
    store = store::Store::open(std::move(so)).value();
    api = std::make_unique<ui::UiApi>(*store, clock, dir.path(), services());
    api->set_port(k_port);
    const auto launched = api->handle(request("GET", "/launch?token=" + api->issue_launch_token().value()));
    const std::string set = launched.header("Set-Cookie");
    cookie = set.substr(0, set.find(';'));
    // Unlocked, identity done by a person: the first section is open.
    for (const auto& [target, body] : {std::pair{"/api/unlock", "{}"}, std::pair{"/api/identity", "{}"},
                                       std::pair{"/api/identity", R"({"consent":"human"})"}}) {
      auto r = request("POST", target, body);
      r.headers["Cookie"] = cookie;
      const auto res = api->handle(r);
      if (res.status != 200) die("the world could not be set up", r, &res);
    }
  }
  ~World() {
    if (api) api->shutdown();
  }

  // What the store holds for the sitting: (item, revision, seq) of every answer.
  std::string answers() {
    std::string out;
    const auto all = store->answers(k_session).value();
    for (const auto& a : all) {
      out += a.item_id + ":" + std::to_string(a.revision) + ":" + std::to_string(a.seq) + ";";
    }
    return out;
  }
};

std::unique_ptr<World> g_world;

World& world() {
  if (!g_world || g_world->inputs >= k_inputs_per_world) {
    g_world.reset();
    g_world = std::make_unique<World>();
  }
  return *g_world;
}

void check_api_body(const HttpRequest& req, const HttpResponse& res) {
  if (req.path().rfind("/api/", 0) != 0) return;
  const auto j = json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) die("an API answer that is not a JSON object", req, &res);
  if (res.status >= 400 && !fuzz::is_error_body(j)) die("an error that is not {\"error\":{code,message}}", req, &res);
}

}  // namespace

// The runner's timer thread (ui_api.hpp) first touches OpenSSL while libFuzzer is measuring some
// input, and OpenSSL's per-thread state (CRYPTO_zalloc, freed at thread exit) then reads as that
// input's leak. This target does not judge OpenSSL's allocations; the single-threaded targets and
// the asan unit tests still do.
extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }

// The first world is made before fuzzing starts, as in fuzz_staff_api.
extern "C" int LLVMFuzzerInitialize(int*, char***) { return (world(), 0); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_api_input(data, size, k_whos);
  if (!input) return 0;
  World& w = world();
  ++w.inputs;
  const Route& route = k_routes[input->route];
  const auto who = static_cast<Who>(input->who);
  std::string_view body = input->body;

  HttpRequest req;
  if (route.target == nullptr) {
    auto line = fuzz::take_request_line(body);
    if (!line) return 0;
    req = request(std::move(line->method), std::move(line->target), std::string(body));
  } else if (std::string_view(route.target).starts_with("/launch")) {
    req = request(route.method, route.target + std::string(body));
  } else {
    req = request(route.method, route.target, std::string(body));
  }
  if (who != no_cookie) req.headers["Cookie"] = "theme=dark; " + w.cookie;
  if (who == wrong_host) req.headers["Host"] = "attacker.example:" + std::to_string(k_port);
  if (who == foreign_origin) req.headers["Origin"] = "http://attacker.example";
  if (who == not_json) req.headers["Content-Type"] = "text/plain";

  const bool launching = req.path() == "/launch";
  const bool refused_by_who = !launching && (who == no_cookie || who == wrong_host ||
                                             (req.method != "GET" && req.method != "HEAD" && who != window));
  const std::string before = refused_by_who ? w.answers() : std::string();
  const HttpResponse res = w.api->handle(req);
  if (res.status >= 500 && res.status != 503) die("a server error", req, &res);
  check_api_body(req, res);
  if (launching && res.status == 303) die("a guessed launch token opened the UI", req, &res);
  if (refused_by_who) {
    if (res.status != 403 && res.status != 421) die("not refused without the window's cookie, host, origin or JSON", req, &res);
    if (w.answers() != before) die("a refused request changed the answers", req, &res);
  }

  const std::string_view path = req.path();
  if (!refused_by_who && req.method == "PUT" && path.starts_with("/api/answers/") && res.status == 200) {
    const auto j = json::parse(res.body);
    const std::string item(path.substr(std::string_view("/api/answers/").size()));
    const auto stored = w.store->answer(k_session, item).value();
    if (!j.value("saved", false) || !stored || stored->revision != j.value("revision", std::uint64_t{0}) ||
        stored->seq != j.value("seq", std::uint64_t{0})) {
      die("\"saved\" without the store holding that revision", req, &res);
    }
  }
  if (auto* r = w.api->runner(); r != nullptr && r->snapshot().phase == runner::Phase::submitted) g_world.reset();
  return 0;
}
