// The staff API (server/staff/staff_api.hpp) fed one request per input, through the listener's
// dispatch of a real server (tests/support/server_world.hpp: a fresh home, its database, every
// repository), from browsers that signed in through the real endpoints: a council manager of
// council "own", a programme admin and a proctor. Its untrusted decoders are the JSON bodies and
// the endorsement CSV import.
//
// Input: byte 0 = route (low nibble, k_routes) and who asks (high nibble modulo 5: manager, admin,
// proctor, nobody, the manager without the CSRF token); the rest is the body. The raw routes take
// "METHOD TARGET" from the body's first line.
//
// Oracles (any failure aborts: libFuzzer keeps the input):
//  - no 500 and no exception; every /staff/api/ error is {"error":{"code","message"}} JSON;
//  - an import or endorsement is all or nothing (staff_api.hpp invariant 6): refused, the council
//    holds as many candidates as before; accepted, exactly `imported` more, each of that council;
//  - without a session nothing but sign-in succeeds, and without the CSRF token nothing that
//    changes anything does (and the councils' rosters stay as they were).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/fuzz/fuzz_checks.hpp"
#include "tests/support/server_world.hpp"

using namespace vigil;
using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

namespace {

enum Who : unsigned { manager = 0, admin = 1, proctor = 2, nobody = 3, manager_no_csrf = 4, k_whos = 5 };

struct Route {
  const char* method;
  const char* target;   // nullptr: raw ("METHOD TARGET" on the body's first line)
  const char* content_type;
};
constexpr Route k_routes[] = {
    {"POST", "/staff/api/councils/own/import", "text/csv"},
    {"POST", "/staff/api/councils/own/candidates", "application/json"},
    {"POST", "/staff/api/councils/own/codes", "application/json"},
    {"PUT", "/staff/api/councils/own/headcount", "application/json"},
    {"POST", "/staff/api/councils/own/candidates/cand-OWN1/withdraw", "application/json"},
    {"POST", "/staff/api/councils/own/candidates/cand-OWN1/reendorse", "application/json"},
    {"POST", "/staff/api/users", "application/json"},
    {"POST", "/staff/api/councils", "application/json"},
    {"POST", "/staff/api/login", "application/json"},
    {"POST", "/staff/api/me/reauth", "application/json"},
    {"PUT", "/staff/api/results/windows/pr-demo/thresholds", "application/json"},
    {"POST", "/staff/api/marking/scripts/1/marks", "application/json"},
    {"POST", "/staff/api/sessions/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/sess/decision", "application/json"},
    {"POST", "/staff/api/councils/other/import", "text/csv"},
    {nullptr, nullptr, "application/json"},
    {nullptr, nullptr, "text/csv"},
};
constexpr std::size_t k_route_count = sizeof(k_routes) / sizeof(k_routes[0]);
static_assert(k_route_count == 16);

constexpr std::uint64_t k_inputs_per_world = 20'000;

struct World {
  testing::ServerWorld server;
  testing::Browser manager, admin, proctor;
  std::uint64_t inputs = 0;

  World() : server(options()) {
    for (const auto& [id, name] : {std::pair{"own", "Own Council"}, std::pair{"other", "Other Council"}}) {
      if (!server.repo->add_council(id, name, server.clock.wall_ms())) throw std::runtime_error("cannot add a council");
    }
    server.add_user("manager@own.example.org", "council_manager", "own");
    server.add_user("admin@example.org", "programme_admin");
    server.add_user("proctor@example.org", "proctor");
    server.endorse("own", "Olive Own", "OWN1");
    server.endorse("other", "Otto Other", "OTH1");
    sign_in();
  }
  static server::app::ServerOptions options() {
    server::app::ServerOptions o;
    o.staff.log = [](const std::string&) {};   // not kept: a long run would fill memory
    return o;
  }
  void sign_in() {
    manager = server.login("manager@own.example.org");
    admin = server.login("admin@example.org");
    proctor = server.login("proctor@example.org");
  }
  bool signed_in(const testing::Browser& b) { return server.call("GET", "/staff/api/me", "", &b).status == 200; }
};

std::unique_ptr<World> g_world;

World& world() {
  if (!g_world || g_world->inputs >= k_inputs_per_world) {
    g_world.reset();
    g_world = std::make_unique<World>();
  }
  return *g_world;
}

[[noreturn]] void die(const std::string& what, const HttpRequest& req, const HttpResponse* res = nullptr) {
  std::fprintf(stderr, "\nfuzz_staff_api: %s\nrequest: %s %s (%zu bytes)\n", what.c_str(), req.method.c_str(),
               req.target.c_str(), req.body.size());
  if (res) std::fprintf(stderr, "response: %d %s\n", res->status, res->body.substr(0, 2000).c_str());
  std::abort();
}

// The council's candidates, as the admin's page counts them (-1: the admin was signed out).
std::int64_t roster(World& w, const char* council) {
  const auto r = w.server.call("GET", std::string("/staff/api/councils/") + council + "/candidates", "", &w.admin);
  const auto j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.contains("total") || !j["total"].is_number_integer()) return -1;
  return j["total"].get<std::int64_t>();
}

void check_error_body(const HttpRequest& req, const HttpResponse& res) {
  if (res.status < 400 || req.path().rfind("/staff/api/", 0) != 0) return;
  if (!fuzz::is_error_body(json::parse(res.body, nullptr, false))) die("an error that is not {\"error\":{code,message}}", req, &res);
}

}  // namespace

// The first world is made before fuzzing starts: making one (keys, schema, sign-ins) is slow
// enough on a loaded machine to pass for a hung input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::split_api_input(data, size, k_whos);
  if (!input) return 0;
  World& w = world();
  ++w.inputs;
  const Route& route = k_routes[input->route];
  const auto who = static_cast<Who>(input->who);
  std::string_view body = input->body;

  HttpRequest req;
  if (route.target) {
    req.method = route.method;
    req.target = route.target;
  } else {
    auto line = fuzz::take_request_line(body);
    if (!line) return 0;
    req.method = std::move(line->method);
    req.target = std::move(line->target);
  }
  req.body = std::string(body);
  req.headers["Content-Type"] = route.content_type;
  const testing::Browser* browser = who == admin ? &w.admin : who == proctor ? &w.proctor : who == nobody ? nullptr : &w.manager;
  if (browser) {
    req.headers["Cookie"] = "vigil_staff=" + browser->cookie;
    if (who != manager_no_csrf) req.headers["X-CSRF-Token"] = browser->csrf;
  }

  const bool writes = req.method != "GET";
  const auto own_before = writes ? roster(w, "own") : 0;
  const auto other_before = writes ? roster(w, "other") : 0;
  const HttpResponse res = w.server.handle(req);
  if (res.status >= 500 && res.status != 503) die("a server error", req, &res);
  check_error_body(req, res);

  const bool api = req.path().rfind("/staff/api/", 0) == 0;
  if (who == nobody && api && req.path() != "/staff/api/login" && res.status < 400) {
    die("answered without a session", req, &res);
  }
  if (who == manager_no_csrf && api && req.method != "GET" && res.status < 400) die("a change without the CSRF token", req, &res);

  const auto own_after = writes ? roster(w, "own") : 0;
  const auto other_after = writes ? roster(w, "other") : 0;
  const bool counted = own_before >= 0 && other_before >= 0 && own_after >= 0 && other_after >= 0;
  const bool imports = route.target && std::string_view(route.target).find("/import") != std::string_view::npos;
  if (!counted) {
    // the admin signed out by this request: nothing to compare
  } else if (imports && res.status == 201) {
    const auto j = json::parse(res.body, nullptr, false);
    if (!j.contains("imported") || !j.contains("candidate_ids")) die("an import without its count", req, &res);
    const auto n = j["imported"].get<std::int64_t>();
    if (static_cast<std::int64_t>(j["candidate_ids"].size()) != n) die("an import that counts other than it lists", req, &res);
    const bool into_own = std::string_view(route.target).find("/own/") != std::string_view::npos;
    if ((into_own ? own_after - own_before : other_after - other_before) != n) die("an import that stored other than it said", req, &res);
    for (const auto& id : j["candidate_ids"]) {
      const auto e = w.server.staff->endorsement(id.get<std::string>()).value();
      if (!e || e->candidate.council_id != (into_own ? "own" : "other")) die("an imported candidate of another council", req, &res);
    }
  } else if (res.status >= 400 && (own_after != own_before || other_after != other_before)) {
    die("a refused request changed a council's roster", req, &res);
  }

  // A fuzzed request may have signed a browser out (logout, password change, account disabled):
  // sign in again, or start a new world when that is no longer possible.
  if (!w.signed_in(w.manager) || !w.signed_in(w.admin) || !w.signed_in(w.proctor)) {
    try {
      w.sign_in();
    } catch (const std::exception&) {
      g_world.reset();
    }
  }
  return 0;
}
