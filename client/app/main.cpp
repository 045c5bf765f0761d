// vigil-client: the candidate's desktop client. Subcommands grow with the product; each is a thin
// call into a library target.
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include <CLI/CLI.hpp>

#include "client/app/demo.hpp"
#include "client/app/diagnostics.hpp"
#include "client/app/result.hpp"
#include "client/app/start.hpp"
#include "client/package/packages.hpp"
#include "client/ui/ui_api.hpp"
#include "client/platform/platform.hpp"
#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/vision/check_camera.hpp"
#include "shared/time/format.hpp"
#include "shared/core/log.hpp"
#include "shared/core/file.hpp"
#include "shared/core/version.hpp"
#include "shared/protocol/sync.hpp"

namespace {

namespace fs = std::filesystem;
using vigil::client::store::Store;
using vigil::client::store::StoreOptions;
namespace sync = vigil::client::sync;

int failed(const vigil::Error& e) {
  std::cerr << "vigil-client: " << vigil::log_value(e.message) << "\n";
  return e.code == vigil::Errc::invalid_argument ? 64 : 2;
}

struct Globals {
  fs::path data_dir = vigil::client::platform::default_data_dir();
  std::string key_storage = "auto";
};

vigil::Result<std::unique_ptr<Store>> open_store(const Globals& g) {
  StoreOptions so;
  so.dir = g.data_dir;
  VIGIL_ASSIGN(so.key_storage, vigil::client::store::parse_key_store_preference(g.key_storage));
  return Store::open(std::move(so));
}

int cmd_status(const Globals& g) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  std::cout << "store:        " << (*s)->path().string() << "\n"
            << "device:       " << (*s)->device_id() << "\n"
            << "key storage:  " << (*s)->key_storage_description() << "\n";
  auto enrolment = (*s)->enrolment();
  if (!enrolment) return failed(enrolment.error());
  if (*enrolment) {
    auto trust = vigil::protocol::parse_client_trust((*enrolment)->server_trust_json);
    std::cout << "enrolled:     candidate " << (*enrolment)->candidate_id << " with server "
              << (trust ? trust->host + ":" + std::to_string(trust->port) : std::string("?")) << "\n";
  } else {
    std::cout << "enrolled:     not yet (vigil-client enrol --trust FILE --code CODE)\n";
  }
  auto sessions = (*s)->session_ids();
  if (!sessions) return failed(sessions.error());
  for (const auto& id : *sessions) {
    auto answers = (*s)->answers(id);
    auto report = (*s)->verify_journal(id);
    auto receipt = (*s)->receipt(id);
    auto submitted = (*s)->is_submitted(id);
    if (!answers || !report || !receipt || !submitted) return failed(vigil::Error(vigil::Errc::io, "reading session " + id));
    std::cout << "session:      " << id << ": " << answers->size() << " answers, journal "
              << (report->ok() ? "verifies" : "HAS PROBLEMS") << " (" << report->last_seq << " records), "
              << (*receipt ? "received by the server (receipt kept)" : *submitted ? "submitted, not yet received" : "in progress")
              << "\n";
  }
  auto pending = (*s)->outbox_counts();
  if (!pending) return failed(pending.error());
  std::cout << "waiting to sync: " << pending->records << " records (" << pending->payload_bytes << " bytes), "
            << pending->blobs << " uploads (" << pending->blob_bytes << " bytes)\n";
  return 0;
}

// For the uninstaller (packaging/windows/vigil-client.nsi) and support: exit 0 when nothing on
// this computer still has to reach the server, 3 when something has (it says what), 2 when it
// cannot tell (the store is open in a running client, or its key cannot be read). Only 0 lets an
// uninstaller delete the data folder without a warning.
int cmd_pending(const Globals& g) {
  std::error_code ec;
  if (!fs::exists(g.data_dir, ec)) {
    std::cout << "nothing waiting: there is no Vigil data on this computer\n";
    return 0;
  }
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto counts = (*s)->outbox_counts();
  auto sessions = (*s)->session_ids();
  if (!counts || !sessions) return failed(vigil::Error(vigil::Errc::io, "could not read the store"));
  std::size_t unreceipted = 0;
  for (const auto& id : *sessions) {
    auto receipt = (*s)->receipt(id);
    auto submitted = (*s)->is_submitted(id);
    if (!receipt || !submitted) return failed(vigil::Error(vigil::Errc::io, "reading session " + id));
    if (*submitted && !*receipt) ++unreceipted;
  }
  if (counts->records == 0 && counts->blobs == 0 && unreceipted == 0) {
    std::cout << "nothing waiting: everything on this computer has reached the server\n";
    return 0;
  }
  std::cout << "NOT YET SENT: " << counts->records << " records and " << counts->blobs << " uploads, "
            << unreceipted << " submitted sessions without the server's receipt\n";
  return 3;
}

int cmd_verify_journal(const Globals& g, const std::string& session) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto report = (*s)->verify_journal(session);
  if (!report) return failed(report.error());
  std::cout << report->summary();
  return report->ok() ? 0 : 1;
}

int cmd_enrol(const Globals& g, const fs::path& trust_file, const std::string& code) {
  auto text = vigil::read_whole_file(trust_file);
  if (!text) return failed(text.error());
  auto trust = vigil::protocol::parse_client_trust(*text);
  if (!trust) return failed(std::move(trust).error().context("reading " + trust_file.string()));
  auto s = open_store(g);
  if (!s) return failed(s.error());
  if (auto r = sync::enrol(**s, *trust, code); !r) return failed(r.error());
  auto e = (*s)->enrolment();
  std::cout << "enrolled: this device (" << (*s)->device_id() << ") now belongs to candidate "
            << (e && *e ? (*e)->candidate_id : std::string("?")) << " at " << trust->host << ":" << trust->port << "\n";
  return 0;
}

int cmd_sync(const Globals& g, int timeout_s) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto transport = sync::transport_for(**s);
  if (!transport) return failed(transport.error());
  sync::SyncEngine engine(**s, **transport);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  vigil::Error last;
  auto delay = std::chrono::milliseconds(250);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = engine.run_once();
    const auto p = engine.progress();
    if (r && *r) {
      std::cout << "sync: everything is with the server; receipts kept for every submitted session\n";
      return 0;
    }
    if (!r) {
      last = r.error();
      if (r.error().code == vigil::Errc::forbidden) return failed(r.error());
      std::cout << "sync: " << r.error().message << "; trying again\n";
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(5'000));
    } else {
      std::cout << "sync: " << p.records_pending << " records and " << p.blobs_pending << " uploads still waiting\n";
    }
  }
  std::cout << "sync: stopped after " << timeout_s << " s; what is left stays safe on this device and will be sent later"
            << (last.message.empty() ? "" : " (last problem: " + last.message + ")") << "\n";
  return 3;
}

int cmd_receipt(const Globals& g, const std::string& session, const fs::path& out) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto r = (*s)->receipt(session);
  if (!r) return failed(r.error());
  if (!*r) return failed({vigil::Errc::not_found, "no receipt yet for session " + session + ": it has not fully reached the server"});
  if (out.empty()) {
    std::cout << **r << "\n";
  } else {
    std::ofstream f(out);
    f << **r << "\n";
    if (!f) return failed({vigil::Errc::io, "could not write " + out.string()});
    std::cout << "receipt for session " << session << " written to " << out.string() << "\n";
  }
  return 0;
}

int cmd_verify_receipt(const fs::path& file, const std::string& key_arg) {
  auto text = vigil::read_whole_file(file);
  if (!text) return failed(text.error());
  auto receipt = vigil::protocol::parse_receipt(*text);
  if (!receipt) return failed(std::move(receipt).error().context("reading " + file.string()));
  // The key: a file holding the base64 public key (published/receipt-public.key), or the base64 itself.
  std::string b64 = key_arg;
  if (auto from_file = vigil::read_whole_file(key_arg); from_file) b64 = *from_file;
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r' || b64.back() == ' ')) b64.pop_back();
  auto key = vigil::from_base64(b64);
  if (!key || key->size() != 32) return failed({vigil::Errc::invalid_argument, "--key must be the server's receipt public key (base64, or a file holding it)"});
  if (auto v = vigil::protocol::verify_receipt(*receipt, *key); !v) {
    std::cout << "NOT VALID: " << v.error().message << "\n";
    return 1;
  }
  std::cout << "valid: the server (key " << receipt->key_id << ") signed that session " << receipt->session_id
            << " of candidate " << receipt->candidate_id << " arrived complete: " << receipt->final_seq << " records, "
            << receipt->blobs.size() << " upload(s)\n";
  return 0;
}

// ---- assessment packages (docs/PACKAGE-FORMAT.md) ----

void print_sitting(const vigil::client::package::LocalSitting& s) {
  std::cout << "  " << s.sitting_id << "  " << s.title << " (" << s.assessment_id << " v" << s.version << "), starts "
            << vigil::time::utc_minute(s.scheduled_start_ms) << (s.unlocked ? ", unlocked" : ", locked until the start") << "\n";
}

int cmd_download(const Globals& g) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto transport = sync::transport_for(**s);
  if (!transport) return failed(transport.error());
  auto got = vigil::client::package::download(**transport, **s, g.data_dir);
  if (!got) return failed(got.error());
  std::cout << "download: " << got->size() << " assessment(s) on this device\n";
  for (const auto& x : *got) print_sitting(x);
  return 0;
}

int cmd_unlock(const Globals& g, std::string sitting, const std::string& start_code) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  if (sitting.empty()) {
    auto local = vigil::client::package::local_sittings(**s, g.data_dir);
    if (!local) return failed(local.error());
    if (local->empty()) return failed({vigil::Errc::not_found, "no assessment on this device: run vigil-client download first"});
    if (local->size() > 1) {
      std::cout << "more than one assessment is on this device: name one\n";
      for (const auto& x : *local) print_sitting(x);
      return 64;
    }
    sitting = local->front().sitting_id;
  }
  vigil::Result<vigil::client::package::Unlocked> r = vigil::fail(vigil::Errc::internal, "not run");
  if (start_code.empty()) {
    auto transport = sync::transport_for(**s);
    if (!transport) return failed(transport.error());
    r = vigil::client::package::unlock_online(**transport, **s, g.data_dir, sitting);
  } else {
    r = vigil::client::package::unlock_offline(**s, g.data_dir, sitting, start_code, vigil::time::system_clock());
  }
  if (!r) return failed(r.error());
  std::size_t items = 0;
  for (const auto& sec : r->assessment.sections) items += sec.items.size();
  const auto& acc = r->sitting.accommodations;
  std::cout << "unlocked: " << r->assessment.title << ": " << r->assessment.sections.size() << " sections, " << items
            << " items, " << r->assessment.total_minutes() << " minutes";
  if (acc.extra_time_percent > 0) std::cout << " + " << acc.extra_time_percent << "% extra time";
  if (acc.knowledge_only) std::cout << " (knowledge sections only)";
  std::cout << "\n";
  return 0;
}

int cmd_check(const Globals& g) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  bool all = true;
  for (const auto& c : vigil::client::ui::system_checks(**s, vigil::time::system_clock(), g.data_dir)) {
    all = all && c.ok;
    std::cout << (c.ok ? "  ok    " : "  CHECK ") << c.label << "\n";
    if (!c.advice.empty()) std::cout << "        " << c.advice << "\n";
  }
  std::cout << (all ? "This computer is ready for the assessment.\n" : "Fix the items marked CHECK, then run the check again.\n");
  return all ? 0 : 1;
}

int cmd_export_diagnostics(const Globals& g, fs::path out) {
  auto s = open_store(g);
  if (!s) return failed(s.error());
  auto d = vigil::client::app::collect_diagnostics(**s, g.data_dir);
  if (!d) return failed(d.error());
  if (out.empty()) out = "vigil-diagnostics-" + std::to_string(vigil::time::system_clock().wall_ms()) + ".json";
  std::ofstream f(out);
  f << d->dump(2) << "\n";
  if (!f) return failed({vigil::Errc::io, "could not write " + out.string()});
  std::cout << "diagnostics written to " << out.string()
            << " (no answers, names, codes or keys: send it to the Vigil support line if they ask)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::log::use_stderr("vigil-client");
  CLI::App app{"Vigil candidate client: sit your assessment at home, online or offline.", "vigil-client"};
  app.set_version_flag("--version", std::string("vigil-client ") + vigil::k_version);
  app.require_subcommand(1);
  // Options are --name on every platform. CLI11 also reads /name as an option on Windows by default,
  // which would take a path such as /tmp/receipt.json for an unknown option.
  app.allow_windows_style_options(false);

  Globals g;
  app.add_option("--data", g.data_dir, "Folder holding this device's encrypted store")->capture_default_str();
  app.add_option("--key-storage", g.key_storage, "Where the store key lives: auto, file or secret-service")
      ->capture_default_str();

  auto* demo = app.add_subcommand("demo", "Run a scripted candidate session on the store and verify it");
  vigil::client::app::DemoOptions demo_options;
  demo->add_flag("--submit", demo_options.submit, "End by submitting the session (with a sealed evidence snapshot if enrolled)");

  auto* status = app.add_subcommand("status", "Show the store, key storage, enrolment, sessions and what is waiting to sync");
  auto* pending_cmd = app.add_subcommand("pending", "Exit 0 if everything here has reached the server, 3 if not (for uninstallers)");
  auto* verify = app.add_subcommand("verify-journal", "Check a session's journal and report anything wrong with it");
  std::string session;
  verify->add_option("session", session, "Session id")->required();

  auto* enrol = app.add_subcommand("enrol", "Enrol this device with the one-time code from your council");
  fs::path trust_file;
  std::string code;
  enrol->add_option("--trust", trust_file, "The server's client-trust.json (from your council or the installer)")->required();
  enrol->add_option("--code", code, "Your enrolment code, e.g. ACDE-FGHJ-KMNP-QRTU")->required();

  auto* sync_cmd = app.add_subcommand("sync", "Send everything waiting to the server now, and fetch receipts");
  int timeout_s = 120;
  sync_cmd->add_option("--timeout", timeout_s, "Give up after this many seconds (nothing is lost)")->capture_default_str();

  auto* receipt = app.add_subcommand("receipt", "Print or save the server's signed receipt for a session");
  fs::path receipt_out;
  receipt->add_option("session", session, "Session id")->required();
  receipt->add_option("--out", receipt_out, "Write it to this file");

  auto* verify_receipt = app.add_subcommand("verify-receipt", "Check a receipt offline against the server's published key");
  fs::path receipt_file;
  std::string key;
  verify_receipt->add_option("file", receipt_file, "The receipt (JSON)")->required();
  verify_receipt->add_option("--key", key, "The server's receipt public key: a file (receipt-public.key) or base64")->required();

  auto* start = app.add_subcommand("start", "Open the assessment: the candidate's window (a local web page in an app window)");
  vigil::client::app::StartOptions start_options;
  start->add_option("--trust", start_options.trust_file, "The server's client-trust.json (default: DATA/server-trust.json)");
  bool no_browser = false;
  start->add_flag("--no-browser", no_browser, "Do not open a window; print the address only");
  start->add_option("--port", start_options.port, "Port on 127.0.0.1 (default: any free port)");
  start->add_option("--camera", start_options.camera, "Webcam number (0 = the first)")->capture_default_str();
  start->add_option("--camera-file", start_options.camera_file,
                    "Use a video file or image folder (looped) instead of the webcam: demos and tests");

  auto* check = app.add_subcommand("check", "Check this computer is ready: disk space, clock, encrypted storage");
  auto* diag = app.add_subcommand("export-diagnostics", "Write a diagnostics file for the support line (no personal data)");
  fs::path diag_out;
  diag->add_option("--out", diag_out, "File to write (default: vigil-diagnostics-<time>.json here)");
  auto* check_camera = app.add_subcommand("check-camera", "Show what the webcam checks see (face, lighting) before an assessment");
  vigil::client::vision::CheckCameraOptions camera_options;
  auto* camera_opt = check_camera->add_option("--camera", camera_options.camera, "Camera number (0 = the first)")->capture_default_str();
  check_camera->add_option("--file", camera_options.file, "Check a video file or a folder of images instead of the camera")
      ->excludes(camera_opt);
  check_camera->add_option("--seconds", camera_options.seconds, "How long to watch")->capture_default_str();

  auto* download = app.add_subcommand("download", "Download your scheduled assessments (they stay locked until the start)");
  auto* unlock = app.add_subcommand("unlock", "Unlock a downloaded assessment: online at the start time, or with a start code");
  std::string sitting, start_code;
  unlock->add_option("sitting", sitting, "Sitting id (default: the only assessment on this device)");
  unlock->add_option("--start-code", start_code, "The start code the support line gave you (offline), e.g. ACDE-FGHJ-KMNP");
  auto* result = app.add_subcommand("result", "Show your released result (fetched when online, kept for offline)");
  vigil::client::app::ResultOptions result_options;
  result->add_flag("--offline", result_options.offline, "Do not contact the server: show the copy kept on this device");
  result->add_option("--save-certificate", result_options.save_certificate, "Also save your signed certificate here");
  result->add_option("--print-certificate", result_options.print_certificate, "Also write a printable page (HTML) of it here");
  auto* verify_cert = app.add_subcommand("verify-certificate", "Check a certificate offline against the published issuer keys");
  fs::path cert_file, issuer_keys, revocations;
  verify_cert->add_option("file", cert_file, "The certificate (JSON)")->required();
  verify_cert->add_option("--keys", issuer_keys, "The programme's published issuer-keys.json")->required();
  verify_cert->add_option("--revocations", revocations, "The published revocations.json (without it: not checked)");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*demo) {
      demo_options.data_dir = g.data_dir;
      return vigil::client::app::run_demo(demo_options);
    }
    if (*start) {
      start_options.data_dir = g.data_dir;
      start_options.key_storage = g.key_storage;
      start_options.open_browser = !no_browser;
      return vigil::client::app::run_start(start_options);
    }
    if (*status) return cmd_status(g);
    if (*pending_cmd) return cmd_pending(g);
    if (*check) return cmd_check(g);
    if (*diag) return cmd_export_diagnostics(g, diag_out);
    if (*verify) return cmd_verify_journal(g, session);
    if (*enrol) return cmd_enrol(g, trust_file, code);
    if (*sync_cmd) return cmd_sync(g, timeout_s);
    if (*receipt) return cmd_receipt(g, session, receipt_out);
    if (*verify_receipt) return cmd_verify_receipt(receipt_file, key);
    if (*download) return cmd_download(g);
    if (*unlock) return cmd_unlock(g, sitting, start_code);
    if (*result) {
      auto s = open_store(g);
      if (!s) return failed(s.error());
      return vigil::client::app::show_result(**s, result_options, std::cout, std::cerr);
    }
    if (*verify_cert) {
      return vigil::client::app::verify_certificate(
          cert_file, issuer_keys, revocations.empty() ? std::nullopt : std::optional<fs::path>(revocations), std::cout, std::cerr);
    }
    if (*check_camera) return vigil::client::vision::check_camera(camera_options, std::cout);
  } catch (const std::exception& e) {
    // Start-up impossibilities only (allocation failure, filesystem exceptions): say so and stop.
    std::cerr << "vigil-client: unexpected error: " << vigil::log_value(e.what()) << "\n";
    return 70;
  }
  return 0;
}
