#include "client/app/start.hpp"

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/package/packages.hpp"
#include "client/platform/platform.hpp"
#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/appeals.hpp"
#include "client/sync/results.hpp"
#include "client/store/appeals.hpp"
#include "client/ui/http_server.hpp"
#include "client/ui/ui_api.hpp"
#include "client/vision/monitor.hpp"
#include "shared/core/log.hpp"
#include "shared/core/file.hpp"
#include "shared/core/bytes.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::app {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view k_reopen_file = "ui.reopen";     // a second instance asks for a new window
constexpr std::string_view k_refused_dir = "instance-refused";  // markers left by refused second instances

// A second instance cannot open the store (one client per store). It leaves a marker the running
// instance turns into a journal event, and shows the candidate the window that is already open.
int refuse_second_instance(const StartOptions& o, const Error& e) {
  std::error_code ec;
  fs::create_directories(o.data_dir / k_refused_dir, ec);
  const auto wall = time::system_clock().wall_ms();
  (void)write_file_atomically(o.data_dir / k_refused_dir / (std::to_string(wall) + "-" + std::to_string(platform::process_id())), {});
  std::cerr << "vigil-client: Vigil is already open on this computer (" << log_value(e.message)
            << "). Your answers are safe; carry on in the window that is already open.\n";
  // The running instance opens its window again with a new one-time launch token (and prints its
  // address): launch addresses are never written down, and one that was used or is older than a
  // minute no longer works.
  (void)write_file_atomically(o.data_dir / k_reopen_file, {});
  return 75;
}

// Turns markers left by refused second instances into `instance.refused` events of the open
// session (docs/EVENTS.md), then removes them.
void record_refused_instances(const fs::path& data_dir, ui::UiApi& api, store::Store& store) {
  std::error_code ec;
  const fs::path dir = data_dir / k_refused_dir;
  if (!fs::exists(dir, ec)) return;
  auto* r = api.runner();
  if (r == nullptr) return;  // kept until a session is open
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (store.record_event(r->session_id(), "instance.refused", json{{"marker", name}}.dump())) fs::remove(entry.path(), ec);
  }
}

// The webcam checks for one launch: a check-only monitor (writes nothing) for the system check
// before the assessment, then the session's monitor from the identity check to submission. Only
// one of them holds the camera at a time.
class Camera {
 public:
  Camera(const StartOptions& o, store::Store& store) : options_(o), store_(store) {}
  ~Camera() {
    std::lock_guard lock(mu_);
    if (session_) session_->stop();
    if (check_) check_->stop();
  }

  std::vector<ui::Check> checks() {
    std::lock_guard lock(mu_);
    vision::Monitor* m = session_ ? session_.get() : ensure_check_locked();
    if (m == nullptr)
      return {{"camera", false, "Camera checks could not start", last_error_}};
    // Give a freshly started camera a moment to deliver and analyse frames.
    for (int i = 0; i < 40 && m->status().frames_analysed < 3 && m->status().camera != "lost" &&
                    m->status().camera != "busy";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const vision::MonitorStatus st = m->status();
    ui::Check camera{"camera", st.camera == "ok" || st.camera == "starting", "Camera", ""};
    if (!camera.ok) camera.advice = st.camera_detail.empty() ? "Connect a webcam and close other apps using it." : st.camera_detail;
    ui::Check face{"face", st.face_clear, st.face_clear ? st.message : "We cannot see your face clearly yet",
                   st.face_clear ? "" : st.message};
    return {camera, face};
  }

  Result<Bytes> capture(std::string_view kind) {
    std::lock_guard lock(mu_);
    vision::Monitor* m = session_ ? session_.get() : ensure_check_locked();
    if (m == nullptr) return fail(Errc::unavailable, "The camera is not available. Choose a check by a person instead.");
    Result<Bytes> jpeg = fail(Errc::unavailable, "no frame yet");
    for (int i = 0; i < 60; ++i) {  // up to 3 s for the first frame
      jpeg = m->capture_jpeg();
      if (jpeg || jpeg.error().code != Errc::unavailable) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!jpeg) return fail(Errc::unavailable, "The camera has not given a picture yet. Check it is connected, or choose a check by a person.");
    // The face photo becomes the identity hint's reference only if the candidate then consents
    // to automated checking (on_phase); until then it is only kept here, in memory.
    if (kind == "face") face_photo_ = *jpeg;
    return jpeg;
  }

  void on_phase(const std::string& session_id, const runner::Snapshot& snap) {
    std::lock_guard lock(mu_);
    switch (snap.phase) {
      case runner::Phase::identity:
      case runner::Phase::section:
      case runner::Phase::review:
        if (!session_) start_session_locked(session_id);
        if (session_ && !identity_hint_ && snap.identity_consent == "automated") {
          // Consent to automated checking: the face photo is the reference. A photo without
          // exactly one face still goes to the human reviewer; the first seconds of the
          // session are then the reference (also after a restart, when the photo is gone).
          if (auto st = session_->enable_identity_hint(face_photo_); !st)
            std::cerr << "vigil-client: identity reference: " << log_value(st.error().message) << "\n";
          identity_hint_ = true;
        }
        if (snap.phase != runner::Phase::identity) face_photo_.clear();  // the step is over: not kept
        if (session_ && paused_) {
          session_->resume();
          paused_ = false;
        }
        break;
      case runner::Phase::break_time:
        if (session_ && !paused_) {
          session_->pause();
          paused_ = true;
        }
        break;
      case runner::Phase::submitted:
        if (session_) session_->stop();
        break;
      case runner::Phase::not_started:
        break;
    }
  }

 private:
  vision::FrameSourcePtr source() const {
    if (!options_.camera_file.empty()) return vision::file_source(options_.camera_file, /*loop=*/true);
    return vision::camera_source(options_.camera);
  }

  vision::Monitor* ensure_check_locked() {
    if (check_) return check_.get();
    auto m = vision::Monitor::create(source(), vision::MonitorOptions{});
    if (!m) {
      last_error_ = m.error().message;
      return nullptr;
    }
    if (auto st = (*m)->start("system-check"); !st) {
      last_error_ = st.error().message;
      return nullptr;
    }
    check_ = std::move(*m);
    return check_.get();
  }

  void start_session_locked(const std::string& session_id) {
    if (check_) {
      check_->stop();  // release the camera for the session's monitor
      check_.reset();
    }
    vision::MonitorOptions mo;
    mo.store = &store_;
    auto m = vision::Monitor::create(source(), std::move(mo));
    if (!m) {
      last_error_ = m.error().message;
      std::cerr << "vigil-client: camera checks not started: " << log_value(m.error().message) << "\n";
      return;
    }
    if (auto st = (*m)->start(session_id); !st) {
      last_error_ = st.error().message;
      return;
    }
    session_ = std::move(*m);
  }

  const StartOptions& options_;
  store::Store& store_;
  std::mutex mu_;
  std::unique_ptr<vision::Monitor> check_;
  std::unique_ptr<vision::Monitor> session_;
  bool paused_ = false;
  bool identity_hint_ = false;  // the session monitor's hint is on (consent "automated")
  Bytes face_photo_;            // the identity step's face photo, until consent is known
  std::string last_error_;
};

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

}  // namespace

int run_start(const StartOptions& o) {
  store::StoreOptions so;
  so.dir = o.data_dir;
  auto pref = store::parse_key_store_preference(o.key_storage);
  if (!pref) {
    std::cerr << "vigil-client: " << log_value(pref.error().message) << "\n";
    return 64;
  }
  so.key_storage = *pref;
  auto opened = store::Store::open(std::move(so));
  if (!opened && opened.error().code == Errc::busy) return refuse_second_instance(o, opened.error());
  if (!opened) {
    std::cerr << "vigil-client: " << log_value(opened.error().message) << "\n";
    return 2;
  }
  store::Store& store = **opened;
  const fs::path trust_file = o.trust_file.empty() ? o.data_dir / "server-trust.json" : o.trust_file;

  // Sync: started when the device is enrolled (now or from the UI).
  std::mutex sync_mu;
  std::unique_ptr<sync::HttpsTransport> transport;
  std::unique_ptr<sync::SyncEngine> engine;
  auto start_sync = [&]() -> Status {
    std::lock_guard lock(sync_mu);
    if (engine) return {};
    auto e = store.enrolment();
    if (!e) return fail(std::move(e.error()));
    if (!*e) return {};
    auto t = sync::transport_for(store);
    if (!t) return fail(std::move(t.error()));
    transport = std::move(*t);
    engine = std::make_unique<sync::SyncEngine>(store, *transport);
    engine->start();
    return {};
  };
  if (auto s = start_sync(); !s) std::cerr << "vigil-client: sync not started: " << log_value(s.error().message) << "\n";

  ui::UiServices services;
  services.enrol = [&](std::string_view code) -> Status {
    auto text = read_whole_file(trust_file);
    if (!text)
      return fail(Errc::unavailable,
                  "This computer does not know the assessment server yet. Reinstall Vigil from your council's link.");
    VIGIL_ASSIGN(protocol::ClientTrust trust, protocol::parse_client_trust(*text));
    VIGIL_TRY(sync::enrol(store, trust, code));
    return start_sync();
  };
  // Packages: the sitting the candidate sits next is the soonest one on this device that has not
  // been submitted.
  auto next_sitting = [&]() -> Result<std::optional<package::LocalSitting>> {
    VIGIL_ASSIGN(std::vector<package::LocalSitting> all, package::local_sittings(store, o.data_dir));
    for (auto& s : all) {
      auto submitted = store.is_submitted(s.sitting_id);
      if (!submitted && submitted.error().code != Errc::not_found) return fail(std::move(submitted.error()));
      // A sitting not yet begun on this device has no session yet: not submitted.
      if (!submitted || !*submitted) return std::optional<package::LocalSitting>(std::move(s));
    }
    if (!all.empty()) return std::optional<package::LocalSitting>(std::move(all.back()));
    return std::optional<package::LocalSitting>{};
  };
  auto runner_options = [](package::Unlocked u) {
    runner::RunnerOptions r;
    r.session_id = u.sitting.sitting_id;
    r.assessment = std::move(u.assessment);
    r.accommodations = u.sitting.accommodations;
    return r;
  };
  auto with_transport = [&]() -> Result<sync::Transport*> {
    std::lock_guard lock(sync_mu);
    if (!transport) return fail(Errc::conflict, "Enrol this computer first.");
    return static_cast<sync::Transport*>(transport.get());
  };
  services.download = [&]() -> Status {
    VIGIL_ASSIGN(sync::Transport * t, with_transport());
    VIGIL_ASSIGN(std::vector<package::LocalSitting> got, package::download(*t, store, o.data_dir));
    if (got.empty())
      return fail(Errc::not_found, "No assessment is scheduled for you yet. Your council will tell you when it is.");
    return {};
  };
  services.unlock = [&](std::string_view start_code) -> Result<runner::RunnerOptions> {
    VIGIL_ASSIGN(std::optional<package::LocalSitting> next, next_sitting());
    if (!next) return fail(Errc::not_found, "There is no assessment on this computer yet. Download it first.");
    if (next->unlocked) {
      VIGIL_ASSIGN(package::Unlocked u, package::reopen(store, o.data_dir, next->sitting_id));
      return runner_options(std::move(u));
    }
    if (start_code.empty()) {
      VIGIL_ASSIGN(sync::Transport * t, with_transport());
      VIGIL_ASSIGN(package::Unlocked u, package::unlock_online(*t, store, o.data_dir, next->sitting_id));
      return runner_options(std::move(u));
    }
    VIGIL_ASSIGN(package::Unlocked u,
                 package::unlock_offline(store, o.data_dir, next->sitting_id, start_code, time::system_clock()));
    return runner_options(std::move(u));
  };
  services.resume = [&]() -> Result<std::optional<runner::RunnerOptions>> {
    VIGIL_ASSIGN(std::optional<package::LocalSitting> next, next_sitting());
    if (!next || !next->unlocked) return std::optional<runner::RunnerOptions>{};
    VIGIL_ASSIGN(package::Unlocked u, package::reopen(store, o.data_dir, next->sitting_id));
    return std::optional<runner::RunnerOptions>(runner_options(std::move(u)));
  };
  services.package_info = [&]() -> std::string {
    auto next = next_sitting();
    if (!next || !*next) return json{{"downloaded", false}}.dump();
    const auto& s = **next;
    return json{{"downloaded", true},
                {"sitting_id", s.sitting_id},
                {"assessment_id", s.assessment_id},
                {"title", s.title},
                {"scheduled_start_ms", s.scheduled_start_ms},
                {"window_end_ms", s.window_end_ms},
                {"unlocked", s.unlocked},
                {"accommodations",
                 {{"extra_time_percent", s.accommodations.extra_time_percent},
                  {"extra_break_minutes", s.accommodations.extra_break_minutes},
                  {"knowledge_only", s.accommodations.knowledge_only}}}}
        .dump();
  };
  services.sync_info = [&]() -> std::string {
    std::lock_guard lock(sync_mu);
    if (!engine) return json{{"online", false}, {"state", "not_enrolled"}}.dump();
    const auto p = engine->progress();
    return json{{"online", p.state != sync::SyncState::offline},
                {"state", sync::sync_state_name(p.state)},
                {"pending_records", p.records_pending},
                {"pending_bytes", p.record_bytes_pending + p.blob_bytes_pending},
                {"pending_uploads", p.blobs_pending},
                {"receipts_pending", p.receipts_pending},
                {"last_error", p.last_error},
                {"last_success_wall_ms", p.last_success_wall_ms}}
        .dump();
  };
  services.sync_now = [&] {
    std::lock_guard lock(sync_mu);
    if (engine) engine->notify();
  };

  services.results = [&]() -> Result<std::string> {
    // Online: fetch (which also keeps the copy); offline or not enrolled: the kept copy.
    std::optional<results::CandidateResults> list;
    bool offline = true;
    if (auto t = with_transport(); t) {
      // An appeal waiting on this computer goes first, so that the page can say it was received.
      (void)sync::push_appeals(store, **t);
      auto fetched = sync::fetch_results(store, **t);
      if (fetched) {
        list = std::move(*fetched);
        offline = false;
      } else if (fetched.error().code != Errc::unavailable) {
        return fail(std::move(fetched).error());
      }
    }
    if (!list) {
      VIGIL_ASSIGN(auto kept, sync::kept_results(store));
      list = kept ? std::move(*kept) : results::CandidateResults{};
    }
    // Always version 2 for the page (a kept v1 copy reads as v2: client/sync/results.hpp), with
    // each state's words from the one place (shared/results/outcome.hpp).
    auto j = results::to_json(*list);
    for (std::size_t i = 0; i < list->sittings.size(); ++i) {
      j["sittings"][i]["state_label"] = results::outcome_state_label(list->sittings[i].state);
    }
    // Each sitting's appeal: the server's word, or the request kept here (sent, refused).
    VIGIL_ASSIGN(auto kept_appeals, store::kept_appeals(store));
    sync::add_appeals_for_page(j, *list, kept_appeals);
    j["offline"] = offline;
    j["now_wall_ms"] = time::system_clock().wall_ms();
    return j.dump();
  };
  services.appeal = [&](std::string_view sitting_id, std::string_view reason) -> Result<std::string> {
    // Kept first (client/store/appeals.hpp invariant 1), then the engine is woken to send it.
    VIGIL_ASSIGN(auto kept, store::save_appeal(store, sitting_id, reason, time::system_clock().wall_ms()));
    {
      std::lock_guard lock(sync_mu);
      if (engine) engine->notify();
    }
    return json{{"appeal", {{"state", "sent"}, {"label", "Appeal sent"}, {"sitting_id", kept.sitting_id},
                            {"written_wall_ms", kept.request.written_wall_ms}}}}
        .dump();
  };

  Camera camera(o, store);
  services.extra_checks = [&] { return camera.checks(); };
  services.capture_photo = [&](std::string_view kind) { return camera.capture(kind); };
  services.on_phase = [&](const std::string& session, const runner::Snapshot& snap) { camera.on_phase(session, snap); };

  ui::UiApi api(store, time::system_clock(), o.data_dir, std::move(services));
  if (auto r = api.resume(); !r) {
    std::cerr << "vigil-client: could not reopen your assessment: " << log_value(r.error().message) << "\n";
    return 2;
  }
  auto server = ui::LocalHttpServer::start([&api](const protocol::HttpRequest& req) { return api.handle(req); }, o.port);
  if (!server) {
    std::cerr << "vigil-client: " << log_value(server.error().message) << "\n";
    return 2;
  }
  api.set_port((*server)->port());
  // The browser's address carries a one-time launch token, not a lasting secret: the address is
  // on the browser's command line, which every local user can read (/proc/PID/cmdline).
  const auto open_window = [&]() -> bool {
    auto token = api.issue_launch_token();
    if (!token) {
      std::cerr << "vigil-client: " << log_value(token.error().message) << "\n";
      return false;
    }
    const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/launch?token=" + *token;
    std::cout << "ui: " << url << std::endl;
    if (o.open_browser) {
      if (auto b = platform::open_app_window(url); !b)
        std::cout << "Open this address in your web browser within a minute to continue: " << url << std::endl;
    }
    return true;
  };

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::error_code ec;
  fs::remove(o.data_dir / k_reopen_file, ec);  // a request left by an earlier launch
  if (!open_window()) return 2;
  while (!g_stop.load()) {
    record_refused_instances(o.data_dir, api, store);
    if (fs::remove(o.data_dir / k_reopen_file, ec)) (void)open_window();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  (*server)->stop();
  api.shutdown();
  {
    std::lock_guard lock(sync_mu);
    if (engine) engine->stop();
  }
  std::cout << "vigil-client: closed; everything you saved is kept on this computer" << std::endl;
  return 0;
}

}  // namespace vigil::client::app
