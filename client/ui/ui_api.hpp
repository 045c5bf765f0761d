#pragma once
// The candidate UI's request handler: a pure function from an HTTP request to a response (the
// listener in http_server.hpp does the sockets). It serves the embedded pages and the JSON API of
// docs/api/client-ui.md, and is the one place that protects them:
//
// Invariants:
//  (1) Nothing but GET /launch?token=<a launch token> works without the session cookie that
//      /launch sets. A launch token (issue_launch_token) works once, and only for
//      k_launch_token_lifetime: it travels on the browser's command line, which every local user
//      can read, so it must be dead by the time anyone else could use it. Tokens and the cookie
//      are compared in constant time.
//  (2) The Host header must name the UI's own loopback origin (DNS rebinding); a state-changing
//      request must be JSON and, when the browser sends an Origin, come from the UI's origin
//      (cross-site form posts and fetches). No CORS header is ever sent.
//  (3) "Saved" is answered only after the runner's save returned, i.e. after the answer is
//      durable in the store.
//  (4) Errors reach the page as {"error":{code,message,field}} with plain-English messages; no
//      stack traces, keys or file paths.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/runner/runner.hpp"
#include "client/store/store.hpp"
#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::ui {

// What the candidate's machine looks like, for the system-check page.
struct Check {
  std::string id;
  bool ok = false;
  std::string label;    // what was checked, plain English
  std::string advice;   // what to do when it is not ok (empty when ok)
};

// The built-in checks of the computer (disk space, clock, store encryption) that the system-check
// page and `vigil-client check` show; camera checks come from UiServices::extra_checks.
std::vector<Check> system_checks(store::Store& store, const time::Clock& clock, const std::filesystem::path& data_dir);

// The parts of the client the UI drives. The application (client/app) fills these in; each is a
// real implementation in vigil-client (enrolment and sync over TLS, packages, the camera).
struct UiServices {
  // Enrols this device with the code; Errc-coded errors with plain messages.
  std::function<Status(std::string_view code)> enrol;
  // Downloads the candidate's package (online).
  std::function<Status()> download;
  // Unlocks the downloaded assessment online (start_code empty) or with the phone start code,
  // and returns the runner options for it.
  std::function<Result<runner::RunnerOptions>(std::string_view start_code)> unlock;
  // A runner for an assessment unlocked earlier (after a restart): nullopt when none is unlocked.
  std::function<Result<std::optional<runner::RunnerOptions>>()> resume;
  // What the package screen shows: JSON object (downloaded, assessment_id, title, ...).
  std::function<std::string()> package_info;
  // Sync progress as JSON (online, pending_records, ...) and a nudge to try now.
  std::function<std::string()> sync_info;
  std::function<void()> sync_now;
  // Extra system checks (the camera); disk, clock and store checks are built in.
  std::function<std::vector<Check>()> extra_checks;
  // Takes a photo for the identity check ("face" or "id"); returns the JPEG. Unset: no camera
  // support in this build, and the page offers the human alternative.
  std::function<Result<Bytes>(std::string_view kind)> capture_photo;
  // Called from the timer thread when a runner opens and whenever its phase changes: the app
  // turns the camera checks on for the identity check and the sections, pauses them for breaks
  // and stops them at submission; the snapshot's identity_consent says whether the candidate
  // allowed the automated identity hint.
  std::function<void(const std::string& session_id, const runner::Snapshot& snapshot)> on_phase;
  // The candidate's released results as JSON ({"v":1,"results":[...],"offline":bool},
  // shared/results/released.hpp): fetched when the server is reachable, otherwise the copy kept
  // in the store (docs/RESULTS.md). Unset: GET /api/result is 503.
  std::function<Result<std::string>()> results;
  // Keeps the candidate's appeal of a sitting (client/store/appeals.hpp) and nudges the sync
  // engine; answers the page's body for it. Unset: POST /api/appeal is 503.
  std::function<Result<std::string>(std::string_view sitting_id, std::string_view reason)> appeal;
};

// How long a launch token stays usable (time to start the browser and load the first page).
inline constexpr std::chrono::seconds k_launch_token_lifetime{60};
// At most this many unused tokens are kept; issuing one more drops the oldest.
inline constexpr std::size_t k_max_launch_tokens = 8;

class UiApi {
 public:
  // port: the listener's port (for the Host and Origin checks; set with set_port once known).
  UiApi(store::Store& store, const time::Clock& clock, std::filesystem::path data_dir, UiServices services);
  ~UiApi();

  void set_port(std::uint16_t port) { port_ = port; }
  protocol::HttpResponse handle(const protocol::HttpRequest& request);

  // A new one-time launch token (32 random bytes, base64url) for the address the browser opens,
  // /launch?token=TOKEN: the first GET with it, within k_launch_token_lifetime (the clock's
  // monotonic time), sets the session cookie; a replay is 403 `forbidden`, a late one 410
  // `expired`. Thread-safe.
  Result<std::string> issue_launch_token();

  // Opens the runner for an assessment unlocked in an earlier launch, if any, and starts the
  // timer thread. Called once at start-up.
  Status resume();
  // Stops the timer thread (the runner's state is already durable).
  void shutdown();

  // For tests and the launcher: the runner, if an assessment is open.
  runner::Runner* runner();

 private:
  Result<protocol::HttpResponse> route(const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> capture(protocol::ObjectReader& body);
  Result<protocol::HttpResponse> state_json();
  Result<protocol::HttpResponse> section_json();
  Result<protocol::HttpResponse> checks_json();
  Result<protocol::HttpResponse> equalities_json();
  Status open_runner(runner::RunnerOptions options);
  bool host_ok(const protocol::HttpRequest& r) const;
  bool origin_ok(const protocol::HttpRequest& r) const;
  bool cookie_ok(const protocol::HttpRequest& r) const;
  protocol::HttpResponse launch(const protocol::HttpRequest& r);

  struct LaunchToken {
    std::string value;
    std::uint64_t expires_mono_ns = 0;
    bool used = false;
  };

  store::Store& store_;
  const time::Clock& clock_;
  std::filesystem::path data_dir_;
  UiServices services_;
  std::string cookie_value_;
  std::mutex tokens_mu_;
  std::vector<LaunchToken> tokens_;   // issued, newest last; kept until expired (to name a replay)
  std::uint16_t port_ = 0;

  std::mutex mu_;   // guards runner_ (the pointer), not the runner itself
  std::unique_ptr<runner::Runner> runner_;
  std::string last_identity_face_;
  std::string last_identity_id_;
  std::jthread ticker_;
};

}  // namespace vigil::client::ui
