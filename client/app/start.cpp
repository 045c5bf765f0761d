#include "client/app/start.hpp"

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "client/platform/platform.hpp"
#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/ui/http_server.hpp"
#include "client/ui/ui_api.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/random.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::app {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view k_url_file = "ui.url";           // the running instance's launch URL (0600)
constexpr std::string_view k_refused_dir = "instance-refused";  // markers left by refused second instances

Result<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(Errc::not_found, "cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Status write_private(const fs::path& p, std::string_view text) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(Errc::io, "cannot write " + tmp.string());
    out << text;
    if (!out) return fail(Errc::io, "cannot write " + tmp.string());
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) return fail(Errc::io, "cannot write " + p.string() + ": " + ec.message());
  return {};
}

// A second instance cannot open the store (one client per store). It leaves a marker the running
// instance turns into a journal event, and shows the candidate the window that is already open.
int refuse_second_instance(const StartOptions& o, const Error& e) {
  std::error_code ec;
  fs::create_directories(o.data_dir / k_refused_dir, ec);
  const auto wall = time::system_clock().wall_ms();
  (void)write_private(o.data_dir / k_refused_dir / (std::to_string(wall) + "-" + std::to_string(::getpid())), "");
  std::cerr << "vigil-client: Vigil is already open on this computer (" << e.message
            << "). Your answers are safe; carry on in the window that is already open.\n";
  if (auto url = read_text(o.data_dir / k_url_file); url && o.open_browser) (void)platform::open_app_window(*url);
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

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

}  // namespace

int run_start(const StartOptions& o) {
  store::StoreOptions so;
  so.dir = o.data_dir;
  auto pref = store::parse_key_store_preference(o.key_storage);
  if (!pref) {
    std::cerr << "vigil-client: " << pref.error().message << "\n";
    return 64;
  }
  so.key_storage = *pref;
  auto opened = store::Store::open(std::move(so));
  if (!opened && opened.error().code == Errc::busy) return refuse_second_instance(o, opened.error());
  if (!opened) {
    std::cerr << "vigil-client: " << opened.error().message << "\n";
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
  if (auto s = start_sync(); !s) std::cerr << "vigil-client: sync not started: " << s.error().message << "\n";

  ui::UiServices services;
  services.enrol = [&](std::string_view code) -> Status {
    auto text = read_text(trust_file);
    if (!text)
      return fail(Errc::unavailable,
                  "This computer does not know the assessment server yet. Reinstall Vigil from your council's link.");
    VIGIL_ASSIGN(protocol::ClientTrust trust, protocol::parse_client_trust(*text));
    VIGIL_TRY(sync::enrol(store, trust, code));
    return start_sync();
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

  auto secret_bytes = crypto::random_bytes(32);
  if (!secret_bytes) {
    std::cerr << "vigil-client: " << secret_bytes.error().message << "\n";
    return 2;
  }
  ui::UiApi api(store, time::system_clock(), o.data_dir, std::move(services), to_base64url(*secret_bytes));
  if (auto r = api.resume(); !r) {
    std::cerr << "vigil-client: could not reopen your assessment: " << r.error().message << "\n";
    return 2;
  }
  auto server = ui::LocalHttpServer::start([&api](const protocol::HttpRequest& req) { return api.handle(req); }, o.port);
  if (!server) {
    std::cerr << "vigil-client: " << server.error().message << "\n";
    return 2;
  }
  api.set_port((*server)->port());
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/launch?secret=" + to_base64url(*secret_bytes);
  (void)write_private(o.data_dir / k_url_file, url);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::cout << "ui: " << url << std::endl;
  if (o.open_browser) {
    if (auto b = platform::open_app_window(url); !b)
      std::cout << "Open this address in your web browser to continue: " << url << std::endl;
  }
  while (!g_stop.load()) {
    record_refused_instances(o.data_dir, api, store);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  (*server)->stop();
  api.shutdown();
  {
    std::lock_guard lock(sync_mu);
    if (engine) engine->stop();
  }
  std::error_code ec;
  fs::remove(o.data_dir / k_url_file, ec);
  std::cout << "vigil-client: closed; everything you saved is kept on this computer" << std::endl;
  return 0;
}

}  // namespace vigil::client::app
