#include "client/ui/ui_api.hpp"

#include <chrono>
#include <map>
#include <span>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "client/embedded/ui_web.hpp"
#include "client/store/equalities.hpp"
#include "shared/results/appeal.hpp"
#include "client/platform/platform.hpp"
#include "shared/assessment/json.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/secure.hpp"
#include "shared/http/request.hpp"
#include "shared/http/response.hpp"
#include "shared/http/router.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::client::ui {

using nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;
using http::json_response;

namespace {

constexpr std::string_view k_cookie = "vigil_ui";
constexpr std::uint64_t k_min_free_bytes = 500ull * 1024 * 1024;
constexpr auto k_tick = std::chrono::milliseconds(250);
// The longest text member a page sends (an enrolment or start code, a consent, an event type).
constexpr std::size_t k_max_text = 1024;

constexpr std::string_view k_not_launched_page =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Open Vigil from the app \u2013 Vigil</title>"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body><main>"
    "<h1>Open your assessment from the Vigil app</h1>"
    "<p>For your security, this page only works in the window that Vigil opens. Close this tab and start Vigil "
    "again from your computer's menu or desktop.</p><p>Your saved answers are safe.</p></main></body></html>";

// The page loads only its own files and is never framed (served over plain HTTP on loopback).
constexpr http::BrowserPolicy k_browser_policy{
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'", false};

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && crypto::ct_equal(as_bytes(a), as_bytes(b));
}

// The request body, read strictly (shared/protocol/json_reader.hpp): an empty body is {}.
Result<json> body_object(const HttpRequest& r) {
  if (r.body.empty()) return json::object();
  return protocol::parse_json(r.body, 8);
}

// The actions of the local API (docs/api/client-ui.md), one row each, matched by
// shared/http/router.hpp.
enum class Action { state, check, section, result, equalities_get, enrol, download, unlock, equalities_put, appeal, sync,
                    capture, identity, answer, flag, navigate, finish_section, end_break, events, submit };
struct Route {
  const char* method;
  const char* pattern;
  Action action;
};
constexpr Route k_routes[] = {
    {"GET", "/api/state", Action::state},
    {"GET", "/api/check", Action::check},
    {"GET", "/api/section", Action::section},
    {"GET", "/api/result", Action::result},
    {"GET", "/api/equalities", Action::equalities_get},
    {"POST", "/api/enrol", Action::enrol},
    {"POST", "/api/download", Action::download},
    {"POST", "/api/unlock", Action::unlock},
    {"PUT", "/api/equalities", Action::equalities_put},
    {"POST", "/api/appeal", Action::appeal},
    {"POST", "/api/sync", Action::sync},
    {"POST", "/api/camera/capture", Action::capture},
    {"POST", "/api/identity", Action::identity},
    {"PUT", "/api/answers/{item}", Action::answer},
    {"POST", "/api/flag", Action::flag},
    {"POST", "/api/navigate", Action::navigate},
    {"POST", "/api/section/finish", Action::finish_section},
    {"POST", "/api/break/end", Action::end_break},
    {"POST", "/api/events", Action::events},
    {"POST", "/api/submit", Action::submit},
};

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
          const runner::Snapshot snap = current->snapshot();
          if (seen != snap.phase && services_.on_phase) services_.on_phase(current->session_id(), snap);
          seen = snap.phase;
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

bool UiApi::cookie_ok(const HttpRequest& r) const { return equal_secret(http::cookie_value(r, k_cookie), cookie_value_); }

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
    return http::error_response(status, code, message);
  };
  const auto query = http::query_params(request.query());
  if (!query) return http::error_response(query.error(), http::Internals::show);
  const auto token = query->find("token");
  const std::string given = token == query->end() ? std::string() : token->second;
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
    out = http::error_response(421, "forbidden", "wrong host");
  } else if (request.path() == "/launch" && request.method == "GET") {
    out = launch(request);
  } else if (!cookie_ok(request)) {
    if (request.path().rfind("/api/", 0) == 0) {
      out = http::error_response(403, "forbidden", "Open the assessment from the Vigil app.");
    } else {
      // A page opened without the launch link (a bookmark, a copied address): say what to do.
      out.status = 403;
      out.headers["Content-Type"] = "text/html; charset=utf-8";
      out.body = std::string(k_not_launched_page);
    }
  } else if (request.method != "GET" && request.method != "HEAD" &&
             (!origin_ok(request) || request.header("Content-Type").rfind("application/json", 0) != 0)) {
    out = http::error_response(403, "forbidden", "request refused");
  } else {
    auto r = route(request);
    out = r ? std::move(*r) : http::error_response(r.error(), http::Internals::show);
  }
  http::harden(out, k_browser_policy);
  return out;
}

Result<HttpResponse> UiApi::route(const HttpRequest& req) {
  const std::string_view path = req.path();
  const std::string& m = req.method;

  if (m == "GET" && path.rfind("/api/", 0) != 0) {
    VIGIL_ASSIGN(const auto segments, http::path_segments(path));
    const std::string name = segments.empty() ? "index.html" : segments.size() == 1 ? segments[0] : std::string();
    for (const auto& f : ui_web()) {
      if (f.name == name) return http::bytes_response(std::string(http::content_type_for(name)), std::string(f.text));
    }
    return fail(Errc::not_found, "no such page");
  }

  VIGIL_ASSIGN(const auto segments, http::path_segments(path));
  VIGIL_ASSIGN(const auto found, http::route(std::span<const Route>(k_routes), m, segments));
  switch (found.row->action) {
    case Action::state: return state_json();
    case Action::check: return checks_json();
    case Action::section: return section_json();
    case Action::equalities_get: return equalities_json();
    case Action::result: {
      if (!services_.results) return fail(Errc::unavailable, "Results are not available.");
      VIGIL_ASSIGN(std::string body, services_.results());
      return json_response(200, json::parse(body));
    }
    default: break;
  }

  // Every body is read strictly: a member of the wrong type or one this action does not take is
  // a 400 naming it (field), as the device API does.
  VIGIL_ASSIGN(const json body, body_object(req));
  if (found.row->action == Action::equalities_put) {
    // Optional, and possible at any point (even with no assessment open): kept in the encrypted
    // store, never in the journal, and sent by the sync engine (docs/EQUALITIES.md).
    VIGIL_ASSIGN(auto declaration, results::parse_equalities(body));
    VIGIL_TRY(store::save_equalities(store_, declaration));
    if (services_.sync_now) services_.sync_now();
    return json_response(200, json{{"saved", true}});
  }
  if (found.row->action == Action::appeal) {
    // An appeal of a void or withheld result (docs/RESULTS.md "Appeals"): kept in the store before
    // the answer, sent by the sync engine whenever a connection exists.
    if (!services_.appeal) return fail(Errc::unavailable, "Appeals are not available.");
    protocol::ObjectReader in(body);
    VIGIL_ASSIGN(auto sitting, in.non_empty_string("sitting_id", 128));
    VIGIL_ASSIGN(auto reason, in.string("reason", 4 * results::k_appeal_reason_max));
    VIGIL_TRY(in.finish());
    VIGIL_ASSIGN(std::string answer, services_.appeal(sitting, reason));
    return json_response(200, json::parse(answer));
  }
  protocol::ObjectReader in(body);
  const auto ok = [&in]() -> Result<HttpResponse> {
    VIGIL_TRY(in.finish());
    return json_response(200, json{{"ok", true}});
  };
  const auto text = [&in](std::string_view name) -> Result<std::string> {
    VIGIL_ASSIGN(auto v, in.optional_string(name, k_max_text));
    return v.value_or(std::string());
  };
  auto need_runner = [this]() -> Result<runner::Runner*> {
    auto* r = runner();
    if (r == nullptr) return fail(Errc::conflict, "The assessment is not unlocked yet.");
    return r;
  };

  switch (found.row->action) {
    case Action::enrol: {
      VIGIL_ASSIGN(std::string code, text("code"));
      VIGIL_TRY(in.finish());
      if (code.empty()) return fail(Errc::invalid_argument, "Type the enrolment code your council sent you.", "code");
      if (!services_.enrol) return fail(Errc::unavailable, "Enrolment is not available.");
      VIGIL_TRY(services_.enrol(code));
      return ok();
    }
    case Action::download:
      VIGIL_TRY(in.finish());
      if (!services_.download) return fail(Errc::unavailable, "Downloading is not available.");
      VIGIL_TRY(services_.download());
      return ok();
    case Action::unlock: {
      VIGIL_ASSIGN(std::string code, text("start_code"));
      VIGIL_TRY(in.finish());
      if (runner() != nullptr) return ok();
      if (!services_.unlock) return fail(Errc::unavailable, "Unlocking is not available.");
      VIGIL_ASSIGN(runner::RunnerOptions opts, services_.unlock(code));
      VIGIL_TRY(open_runner(std::move(opts)));
      return ok();
    }
    case Action::sync:
      VIGIL_TRY(in.finish());
      if (services_.sync_now) services_.sync_now();
      return ok();
    case Action::capture: return capture(in);
    default: break;
  }

  VIGIL_ASSIGN(runner::Runner * r, need_runner());
  switch (found.row->action) {
    case Action::identity: {
      VIGIL_ASSIGN(std::string consent, text("consent"));
      VIGIL_TRY(in.finish());
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
    case Action::answer: {
      if (!body.contains("value")) return fail(Errc::invalid_argument, "the answer is missing", "value");
      VIGIL_ASSIGN(auto value, in.object("value"));  // its members are the item type's, checked by the runner
      VIGIL_TRY(in.finish());
      VIGIL_ASSIGN(store::SaveReceipt saved, r->save_answer(found.captures.at("item"), value.value().dump()));
      return json_response(200, json{{"saved", true}, {"revision", saved.revision}, {"seq", saved.seq}});
    }
    case Action::flag: {
      VIGIL_ASSIGN(std::string item, text("item_id"));
      VIGIL_ASSIGN(bool flagged, in.boolean("flagged"));
      VIGIL_TRY(in.finish());
      VIGIL_TRY(r->set_flag(item, flagged));
      return ok();
    }
    case Action::navigate: {
      VIGIL_ASSIGN(auto view, in.optional_string("view", 16));
      if (view) {
        VIGIL_TRY(in.finish());
        if (*view != "review") return fail(Errc::invalid_argument, "unknown view", "view");
        VIGIL_TRY(r->go_to_review());
        return ok();
      }
      VIGIL_ASSIGN(std::uint64_t index, in.uint("item_index"));
      VIGIL_TRY(in.finish());
      VIGIL_TRY(r->go_to_item(static_cast<std::size_t>(index)));
      return ok();
    }
    case Action::finish_section:
      VIGIL_TRY(in.finish());
      VIGIL_TRY(r->finish_section());
      return ok();
    case Action::end_break:
      VIGIL_TRY(in.finish());
      VIGIL_TRY(r->end_break());
      return ok();
    case Action::events: {
      VIGIL_ASSIGN(std::string type, text("type"));
      VIGIL_TRY(in.finish());
      VIGIL_TRY(r->record_ui_event(type));
      return ok();
    }
    case Action::submit: {
      VIGIL_ASSIGN(bool confirm, in.boolean("confirm"));
      VIGIL_TRY(in.finish());
      if (!confirm) return fail(Errc::invalid_argument, "confirm the submission", "confirm");
      VIGIL_TRY(r->submit());
      if (services_.sync_now) services_.sync_now();
      return ok();
    }
    default: return fail(Errc::not_found, "no such action");
  }
}

Result<HttpResponse> UiApi::capture(protocol::ObjectReader& in) {
  VIGIL_ASSIGN(auto kind_in, in.optional_string("kind", 8));
  VIGIL_TRY(in.finish());
  const std::string kind = kind_in.value_or(std::string());
  if (kind != "face" && kind != "id") return fail(Errc::invalid_argument, "kind must be face or id", "kind");
  if (!services_.capture_photo) return fail(Errc::unavailable, "No camera is available. Choose a check by a person instead.");
  auto* r = runner();
  if (r == nullptr) return fail(Errc::conflict, "The assessment is not unlocked yet.");
  VIGIL_ASSIGN(Bytes jpeg, services_.capture_photo(kind));
  // The photo leaves the device only sealed to the server's evidence key (write-only for us), with
  // the session id as context, as the monitor seals evidence (EVENTS.md): the server opens it only
  // for this session, so a photo sealed for an earlier sitting cannot stand in for a later one.
  auto enrolment = store_.enrolment();
  if (!enrolment) return fail(std::move(enrolment.error()));
  std::string sha;
  if (*enrolment) {
    VIGIL_ASSIGN(Bytes sealed, crypto::seal((*enrolment)->evidence_public_key, jpeg, as_bytes(r->session_id())));
    VIGIL_ASSIGN(journal::Hash h, store_.add_blob(r->session_id(), sealed, store::OutboxPriority::submission));
    sha = to_hex(h);
  }
  {
    std::lock_guard lock(mu_);
    (kind == "face" ? last_identity_face_ : last_identity_id_) = sha;
  }
  return json_response(200, json{{"preview", "data:image/jpeg;base64," + to_base64(jpeg)}, {"sha256", sha}});
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
    json item{{"id", i.id}, {"type", assessment::item_type_name(i.type)}, {"stem", i.stem}, {"options", i.options},
              {"select", i.select}, {"flagged", flagged.count(i.id) != 0u}};
    if (i.words) item["words"] = json{{"min", i.words->min}, {"max", i.words->max}};
    auto it = saved.find(i.id);
    item["answer"] = it == saved.end() ? json(nullptr) : json::parse(it->second, nullptr, false);
    items.push_back(std::move(item));
  }
  json docs = json::array();
  for (const auto& d : sec.case_material) docs.push_back(json{{"title", d.title}, {"paragraphs", d.paragraphs}});
  return json_response(200, json{{"id", sec.id},
                                 {"kind", assessment::section_kind_name(sec.kind)},
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
