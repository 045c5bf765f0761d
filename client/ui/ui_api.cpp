#include "client/ui/ui_api.hpp"

#include <chrono>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "client/embedded/ui_web.hpp"
#include "client/store/equalities.hpp"
#include "client/platform/platform.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/secure.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::client::ui {

using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

namespace {

constexpr std::string_view k_cookie = "vigil_ui";
constexpr std::uint64_t k_min_free_bytes = 500ull * 1024 * 1024;
constexpr auto k_tick = std::chrono::milliseconds(250);

constexpr std::string_view k_not_launched_page =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Open Vigil from the app \u2013 Vigil</title>"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body><main>"
    "<h1>Open your assessment from the Vigil app</h1>"
    "<p>For your security, this page only works in the window that Vigil opens. Close this tab and start Vigil "
    "again from your computer's menu or desktop.</p><p>Your saved answers are safe.</p></main></body></html>";

void security_headers(HttpResponse& r) {
  r.headers["Cache-Control"] = "no-store";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["Content-Security-Policy"] =
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
}

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump();
  return r;
}

int status_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return 400;
    case Errc::auth_failed:
    case Errc::forbidden: return 403;
    case Errc::not_found: return 404;
    case Errc::conflict:
    case Errc::already_exists:
    case Errc::busy: return 409;
    case Errc::expired: return 410;
    case Errc::integrity:
    case Errc::unsupported_version: return 422;
    case Errc::rate_limited: return 429;
    case Errc::unavailable: return 503;
    case Errc::disk_full: return 507;
    default: return 500;
  }
}

HttpResponse error_response(const Error& e) {
  return json_response(status_for(e.code),
                       json{{"error", {{"code", errc_name(e.code)}, {"message", e.message}, {"field", e.field}}}});
}

std::string_view content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  return "text/plain; charset=utf-8";
}

std::string cookie_from(const HttpRequest& r) {
  const std::string all = r.header("Cookie");
  std::string_view rest = all;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > k_cookie.size() && part.substr(0, k_cookie.size()) == k_cookie && part[k_cookie.size()] == '=')
      return std::string(part.substr(k_cookie.size() + 1));
  }
  return {};
}

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
  }
  return {};
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && crypto::ct_equal(as_bytes(a), as_bytes(b));
}

std::string_view item_type_name(assessment::ItemType t) {
  switch (t) {
    case assessment::ItemType::single: return "single";
    case assessment::ItemType::multiple: return "multiple";
    case assessment::ItemType::written: return "written";
  }
  return "single";
}

std::string_view section_kind_name(assessment::SectionKind k) {
  switch (k) {
    case assessment::SectionKind::knowledge: return "knowledge";
    case assessment::SectionKind::scenario: return "scenario";
    case assessment::SectionKind::written: return "written";
  }
  return "knowledge";
}

Result<json> body_object(const HttpRequest& r) {
  if (r.body.empty()) return json::object();
  auto j = protocol::parse_json(r.body, 8);
  if (!j) return fail(std::move(j.error()));
  return std::move(*j);
}

std::string screen_for(const runner::Snapshot& s) {
  switch (s.phase) {
    case runner::Phase::not_started: return "ready";
    case runner::Phase::identity: return "identity";
    case runner::Phase::section: return "section";
    case runner::Phase::break_time: return "break";
    case runner::Phase::review: return "review";
    case runner::Phase::submitted: return "submitted";
  }
  return "ready";
}

}  // namespace

UiApi::UiApi(store::Store& store, const time::Clock& clock, std::filesystem::path data_dir, UiServices services)
    : store_(store), clock_(clock), data_dir_(std::move(data_dir)), services_(std::move(services)) {
  // A failing CSPRNG at start-up is not something to carry on from.
  auto r = crypto::random_bytes(32);
  if (!r) throw std::runtime_error("no randomness for the UI session cookie: " + r.error().message);
  cookie_value_ = to_base64url(*r);
}

UiApi::~UiApi() { shutdown(); }

void UiApi::shutdown() {
  if (ticker_.joinable()) {
    ticker_.request_stop();
    ticker_.join();
  }
}

runner::Runner* UiApi::runner() {
  std::lock_guard lock(mu_);
  return runner_.get();
}

Status UiApi::open_runner(runner::RunnerOptions options) {
  auto r = runner::Runner::open(store_, clock_, std::move(options));
  if (!r) return fail(std::move(r.error()));
  {
    std::lock_guard lock(mu_);
    runner_ = std::move(*r);
  }
  if (!ticker_.joinable()) {
    // The timer thread: ends sections and breaks that ran out and persists the clock even when
    // the page is closed or frozen (invariant (1) of the runner).
    ticker_ = std::jthread([this](const std::stop_token& stop) {
      std::optional<runner::Phase> seen;
      while (!stop.stop_requested()) {
        if (auto* current = runner(); current != nullptr) {
          (void)current->tick();
          const runner::Phase now = current->snapshot().phase;
          if (seen != now && services_.on_phase) services_.on_phase(current->session_id(), now);
          seen = now;
        }
        std::this_thread::sleep_for(k_tick);
      }
    });
  }
  return {};
}

Status UiApi::resume() {
  if (!services_.resume) return {};
  auto opts = services_.resume();
  if (!opts) return fail(std::move(opts.error()));
  if (!*opts) return {};
  return open_runner(std::move(**opts));
}

bool UiApi::host_ok(const HttpRequest& r) const {
  const std::string host = r.header("Host");
  const std::string port = std::to_string(port_);
  return host == "127.0.0.1:" + port || host == "localhost:" + port;
}

bool UiApi::origin_ok(const HttpRequest& r) const {
  const std::string origin = r.header("Origin");
  if (origin.empty()) return true;  // same-origin GETs and non-browser clients send none
  const std::string port = std::to_string(port_);
  return origin == "http://127.0.0.1:" + port || origin == "http://localhost:" + port;
}

bool UiApi::cookie_ok(const HttpRequest& r) const { return equal_secret(cookie_from(r), cookie_value_); }

Result<std::string> UiApi::issue_launch_token() {
  VIGIL_ASSIGN(auto bytes, crypto::random_bytes(32));
  const auto lifetime = std::chrono::duration_cast<std::chrono::nanoseconds>(k_launch_token_lifetime);
  LaunchToken t{to_base64url(bytes), clock_.monotonic_ns() + static_cast<std::uint64_t>(lifetime.count()), false};
  std::lock_guard lock(tokens_mu_);
  const std::uint64_t now = clock_.monotonic_ns();
  std::erase_if(tokens_, [now](const LaunchToken& x) { return x.expires_mono_ns <= now; });
  if (tokens_.size() >= k_max_launch_tokens) tokens_.erase(tokens_.begin());
  tokens_.push_back(t);
  return t.value;
}

HttpResponse UiApi::launch(const HttpRequest& request) {
  const auto refused = [](int status, std::string_view code, std::string_view message) {
    return json_response(status, json{{"error", {{"code", code}, {"message", message}, {"field", ""}}}});
  };
  const std::string given = query_param(request.query(), "token");
  std::lock_guard lock(tokens_mu_);
  const std::uint64_t now = clock_.monotonic_ns();
  // Every token is compared (constant time each), so the answer's timing does not say which.
  LaunchToken* match = nullptr;
  for (auto& t : tokens_) {
    if (equal_secret(given, t.value)) match = &t;
  }
  if (match == nullptr) {
    return refused(403, "forbidden", "This link does not open Vigil. Start Vigil again to open the assessment.");
  }
  if (match->expires_mono_ns <= now) {
    return refused(410, "expired", "This link has expired. Start Vigil again to open the assessment.");
  }
  if (match->used) {
    return refused(403, "forbidden", "This link has already been used. Start Vigil again to open the assessment.");
  }
  match->used = true;  // dead from now on: the cookie is what the window uses
  HttpResponse out;
  out.status = 303;
  out.headers["Location"] = "/";
  out.headers["Set-Cookie"] = std::string(k_cookie) + "=" + cookie_value_ + "; HttpOnly; SameSite=Strict; Path=/";
  return out;
}

HttpResponse UiApi::handle(const HttpRequest& request) {
  HttpResponse out;
  if (!host_ok(request)) {
    out = json_response(421, json{{"error", {{"code", "forbidden"}, {"message", "wrong host"}, {"field", ""}}}});
  } else if (request.path() == "/launch" && request.method == "GET") {
    out = launch(request);
  } else if (!cookie_ok(request)) {
    if (request.path().rfind("/api/", 0) == 0) {
      out = json_response(403, json{{"error", {{"code", "forbidden"},
                                               {"message", "Open the assessment from the Vigil app."},
                                               {"field", ""}}}});
    } else {
      // A page opened without the launch link (a bookmark, a copied address): say what to do.
      out.status = 403;
      out.headers["Content-Type"] = "text/html; charset=utf-8";
      out.body = std::string(k_not_launched_page);
    }
  } else if (request.method != "GET" && request.method != "HEAD" &&
             (!origin_ok(request) || request.header("Content-Type").rfind("application/json", 0) != 0)) {
    out = json_response(403, json{{"error", {{"code", "forbidden"}, {"message", "request refused"}, {"field", ""}}}});
  } else {
    auto r = route(request);
    out = r ? std::move(*r) : error_response(r.error());
  }
  security_headers(out);
  return out;
}

Result<HttpResponse> UiApi::route(const HttpRequest& req) {
  const std::string_view path = req.path();
  const std::string& m = req.method;

  if (m == "GET" && path.rfind("/api/", 0) != 0) {
    const std::string_view name = path == "/" ? std::string_view("index.html") : path.substr(1);
    for (const auto& f : ui_web()) {
      if (f.name == name) {
        HttpResponse r;
        r.headers["Content-Type"] = std::string(content_type(name));
        r.body = std::string(f.text);
        return r;
      }
    }
    return fail(Errc::not_found, "no such page");
  }

  if (path == "/api/state" && m == "GET") return state_json();
  if (path == "/api/check" && m == "GET") return checks_json();
  if (path == "/api/section" && m == "GET") return section_json();
  if (path == "/api/result" && m == "GET") {
    if (!services_.results) return fail(Errc::unavailable, "Results are not available.");
    VIGIL_ASSIGN(std::string body, services_.results());
    return json_response(200, json::parse(body));
  }

  if (path == "/api/equalities" && m == "GET") return equalities_json();

  VIGIL_ASSIGN(json body, body_object(req));
  auto ok = [] { return json_response(200, json{{"ok", true}}); };
  auto need_runner = [this]() -> Result<runner::Runner*> {
    auto* r = runner();
    if (r == nullptr) return fail(Errc::conflict, "The assessment is not unlocked yet.");
    return r;
  };
  auto text_field = [&](const char* name) -> Result<std::string> {
    if (!body.contains(name)) return std::string();
    if (!body[name].is_string()) return fail(Errc::invalid_argument, std::string(name) + " must be text", name);
    return body[name].get<std::string>();
  };

  if (path == "/api/enrol" && m == "POST") {
    VIGIL_ASSIGN(std::string code, text_field("code"));
    if (code.empty()) return fail(Errc::invalid_argument, "Type the enrolment code your council sent you.", "code");
    if (!services_.enrol) return fail(Errc::unavailable, "Enrolment is not available.");
    VIGIL_TRY(services_.enrol(code));
    return ok();
  }
  if (path == "/api/download" && m == "POST") {
    if (!services_.download) return fail(Errc::unavailable, "Downloading is not available.");
    VIGIL_TRY(services_.download());
    return ok();
  }
  if (path == "/api/unlock" && m == "POST") {
    VIGIL_ASSIGN(std::string code, text_field("start_code"));
    if (runner() != nullptr) return ok();
    if (!services_.unlock) return fail(Errc::unavailable, "Unlocking is not available.");
    VIGIL_ASSIGN(runner::RunnerOptions opts, services_.unlock(code));
    VIGIL_TRY(open_runner(std::move(opts)));
    return ok();
  }
  if (path == "/api/equalities" && m == "PUT") {
    // Optional, and possible at any point (even with no assessment open): kept in the encrypted
    // store, never in the journal, and sent by the sync engine (docs/EQUALITIES.md).
    VIGIL_ASSIGN(auto declaration, results::parse_equalities(body));
    VIGIL_TRY(store::save_equalities(store_, declaration));
    if (services_.sync_now) services_.sync_now();
    return json_response(200, json{{"saved", true}});
  }
  if (path == "/api/sync" && m == "POST") {
    if (services_.sync_now) services_.sync_now();
    return ok();
  }
  if (path == "/api/camera/capture" && m == "POST") {
    VIGIL_ASSIGN(std::string kind, text_field("kind"));
    if (kind != "face" && kind != "id") return fail(Errc::invalid_argument, "kind must be face or id", "kind");
    if (!services_.capture_photo)
      return fail(Errc::unavailable, "No camera is available. Choose a check by a person instead.");
    VIGIL_ASSIGN(runner::Runner * r, need_runner());
    VIGIL_ASSIGN(Bytes jpeg, services_.capture_photo(kind));
    // The photo leaves the device only sealed to the server's evidence key (write-only for us).
    auto enrolment = store_.enrolment();
    if (!enrolment) return fail(std::move(enrolment.error()));
    std::string sha;
    if (*enrolment) {
      VIGIL_ASSIGN(Bytes sealed, crypto::seal((*enrolment)->evidence_public_key, jpeg));
      VIGIL_ASSIGN(journal::Hash h, store_.add_blob(r->session_id(), sealed, store::OutboxPriority::submission));
      sha = to_hex(h);
    }
    {
      std::lock_guard lock(mu_);
      (kind == "face" ? last_identity_face_ : last_identity_id_) = sha;
    }
    return json_response(200, json{{"preview", "data:image/jpeg;base64," + to_base64(jpeg)}, {"sha256", sha}});
  }

  VIGIL_ASSIGN(runner::Runner * r, need_runner());
  if (path == "/api/identity" && m == "POST") {
    VIGIL_ASSIGN(std::string consent, text_field("consent"));
    if (r->snapshot().phase == runner::Phase::not_started) VIGIL_TRY(r->begin_identity());
    if (consent.empty()) return ok();  // the identity step opened; photos and consent follow
    std::string face, id;
    {
      std::lock_guard lock(mu_);
      face = last_identity_face_;
      id = last_identity_id_;
    }
    VIGIL_TRY(r->complete_identity(consent, face, id));
    return ok();
  }
  if (path.rfind("/api/answers/", 0) == 0 && m == "PUT") {
    const std::string item(path.substr(std::string_view("/api/answers/").size()));
    if (!body.contains("value") || !body["value"].is_object())
      return fail(Errc::invalid_argument, "the answer is missing", "value");
    VIGIL_ASSIGN(store::SaveReceipt saved, r->save_answer(item, body["value"].dump()));
    return json_response(200, json{{"saved", true}, {"revision", saved.revision}, {"seq", saved.seq}});
  }
  if (path == "/api/flag" && m == "POST") {
    VIGIL_ASSIGN(std::string item, text_field("item_id"));
    if (!body.contains("flagged") || !body["flagged"].is_boolean())
      return fail(Errc::invalid_argument, "flagged must be true or false", "flagged");
    VIGIL_TRY(r->set_flag(item, body["flagged"].get<bool>()));
    return ok();
  }
  if (path == "/api/navigate" && m == "POST") {
    if (body.contains("view")) {
      if (body["view"] != "review") return fail(Errc::invalid_argument, "unknown view", "view");
      VIGIL_TRY(r->go_to_review());
      return ok();
    }
    if (!body.contains("item_index") || !body["item_index"].is_number_unsigned())
      return fail(Errc::invalid_argument, "item_index must be a question number from 0", "item_index");
    VIGIL_TRY(r->go_to_item(body["item_index"].get<std::size_t>()));
    return ok();
  }
  if (path == "/api/section/finish" && m == "POST") {
    VIGIL_TRY(r->finish_section());
    return ok();
  }
  if (path == "/api/break/end" && m == "POST") {
    VIGIL_TRY(r->end_break());
    return ok();
  }
  if (path == "/api/events" && m == "POST") {
    VIGIL_ASSIGN(std::string type, text_field("type"));
    VIGIL_TRY(r->record_ui_event(type));
    return ok();
  }
  if (path == "/api/submit" && m == "POST") {
    if (!body.contains("confirm") || body["confirm"] != true)
      return fail(Errc::invalid_argument, "confirm the submission", "confirm");
    VIGIL_TRY(r->submit());
    if (services_.sync_now) services_.sync_now();
    return ok();
  }
  return fail(Errc::not_found, "no such action");
}

Result<HttpResponse> UiApi::equalities_json() {
  VIGIL_ASSIGN(auto kept, store::kept_equalities(store_));
  VIGIL_ASSIGN(auto pending, store::pending_equalities(store_));
  return json_response(200, json{{"vocabulary", results::equalities_vocabulary_json()},
                                 {"declaration", kept ? results::to_json(*kept) : json()},
                                 {"sent", kept.has_value() && !pending.has_value()}});
}

Result<HttpResponse> UiApi::state_json() {
  json state;
  auto enrolment = store_.enrolment();
  if (!enrolment) return fail(std::move(enrolment.error()));
  state["enrolment"] = json{{"enrolled", enrolment->has_value()},
                            {"candidate_id", *enrolment ? (*enrolment)->candidate_id : ""}};
  json package = services_.package_info ? json::parse(services_.package_info(), nullptr, false) : json::object();
  if (package.is_discarded()) package = json::object();
  state["sync"] = services_.sync_info ? json::parse(services_.sync_info(), nullptr, false) : json::object();
  if (state["sync"].is_discarded()) state["sync"] = json::object();

  auto* r = runner();
  std::string screen;
  if (r != nullptr) {
    const runner::Snapshot s = r->snapshot();
    const auto& a = r->assessment();
    package["unlocked"] = true;
    package["title"] = a.title;
    package["assessment_id"] = a.id;
    package["minutes"] = a.total_minutes();
    const auto& plan = r->plan();
    json sections = json::array();
    for (const auto& p : plan)
      sections.push_back(json{{"id", p.section->id}, {"title", p.section->title}, {"allowed_ms", p.allowed_ms}});
    state["runner"] = json{{"phase", runner::phase_name(s.phase)},
                           {"section_index", s.section_index},
                           {"section_count", s.section_count},
                           {"item_index", s.item_index},
                           {"section_remaining_ms", s.section_remaining_ms},
                           {"break_remaining_ms", s.break_remaining_ms},
                           {"warning", runner::warning_name(s.warning)},
                           {"answered", s.answered},
                           {"flagged", s.flagged},
                           {"interruptions", s.interruptions},
                           {"sections", sections}};
    screen = screen_for(s);
    auto receipt = store_.receipt(r->session_id());
    if (receipt && *receipt) state["receipt"] = json::parse(**receipt, nullptr, false);
  } else if (!*enrolment) {
    screen = "enrol";
  } else if (!package.value("downloaded", false)) {
    screen = "download";
  } else {
    screen = "check";
  }
  if (!state.contains("receipt") || state["receipt"].is_discarded()) state["receipt"] = nullptr;
  state["package"] = package;
  state["screen"] = screen;
  return json_response(200, state);
}

Result<HttpResponse> UiApi::section_json() {
  auto* r = runner();
  if (r == nullptr) return fail(Errc::conflict, "The assessment is not unlocked yet.");
  const runner::Snapshot s = r->snapshot();
  if (s.phase != runner::Phase::section && s.phase != runner::Phase::review)
    return fail(Errc::conflict, "No section is open.");
  const auto& sec = *r->plan()[s.section_index].section;
  auto answers = r->answers();
  if (!answers) return fail(std::move(answers.error()));
  std::map<std::string, std::string, std::less<>> saved;
  for (auto& a : *answers) saved[a.item_id] = std::move(a.value);
  const auto flagged = r->flagged_items();

  json items = json::array();
  for (const auto& i : sec.items) {
    json item{{"id", i.id}, {"type", item_type_name(i.type)}, {"stem", i.stem}, {"options", i.options},
              {"select", i.select}, {"flagged", flagged.count(i.id) != 0u}};
    if (i.words) item["words"] = json{{"min", i.words->min}, {"max", i.words->max}};
    auto it = saved.find(i.id);
    item["answer"] = it == saved.end() ? json(nullptr) : json::parse(it->second, nullptr, false);
    items.push_back(std::move(item));
  }
  json docs = json::array();
  for (const auto& d : sec.case_material) docs.push_back(json{{"title", d.title}, {"paragraphs", d.paragraphs}});
  return json_response(200, json{{"id", sec.id},
                                 {"kind", section_kind_name(sec.kind)},
                                 {"title", sec.title},
                                 {"intro", sec.intro},
                                 {"case_material", docs},
                                 {"items", items},
                                 {"item_index", s.item_index},
                                 {"view", s.phase == runner::Phase::review ? "review" : "item"},
                                 {"last", s.section_index + 1 == s.section_count}});
}

std::vector<Check> system_checks(store::Store& store, const time::Clock& clock, const std::filesystem::path& data_dir) {
  std::vector<Check> checks;
  if (auto free = platform::free_disk_bytes(data_dir); free) {
    const std::uint64_t free_bytes = *free;
    checks.push_back({"disk", free_bytes >= k_min_free_bytes,
                      "Free disk space: " + std::to_string(free_bytes / (1024 * 1024)) + " MB",
                      free_bytes >= k_min_free_bytes ? "" : "Free at least 500 MB of disk space before the assessment."});
  } else {
    checks.push_back({"disk", false, "Free disk space could not be read", "Check that the Vigil data folder exists."});
  }
  // A wall clock far in the past means a flat clock battery or a wrong date: answers are still
  // timed by the monotonic clock, but the candidate should fix it.
  const bool clock_ok = clock.wall_ms() > 1'735'689'600'000;  // 2025-01-01
  checks.push_back({"clock", clock_ok, "Computer date and time",
                    clock_ok ? "" : "Set your computer's date and time correctly, then run the check again."});
  auto integrity = store.integrity_check();
  const bool store_ok = integrity && *integrity == "ok";
  checks.push_back({"storage", store_ok,
                    store_ok ? "Your answers are stored encrypted on this computer (key kept in " + store.key_storage_kind() + ")"
                             : "The encrypted store on this computer has a problem",
                    store_ok ? "" : "Do not delete anything. Contact the Vigil support line and run vigil-client export-diagnostics."});
  return checks;
}

Result<HttpResponse> UiApi::checks_json() {
  std::vector<Check> checks = system_checks(store_, clock_, data_dir_);
  if (services_.extra_checks)
    for (auto& c : services_.extra_checks()) checks.push_back(std::move(c));
  json out = json::array();
  bool all = true;
  for (const auto& c : checks) {
    all = all && c.ok;
    out.push_back(json{{"id", c.id}, {"ok", c.ok}, {"label", c.label}, {"advice", c.advice}});
  }
  return json_response(200, json{{"checks", out}, {"ok", all}});
}

}  // namespace vigil::client::ui
