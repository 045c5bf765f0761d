// vigil-client: the candidate's desktop client. Subcommands grow with the product; each is a thin
// call into a library target.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "client/app/demo.hpp"
#include "client/store/store.hpp"
#include "shared/core/version.hpp"

namespace {

namespace fs = std::filesystem;
using vigil::client::store::Store;
using vigil::client::store::StoreOptions;

// Linux default: $XDG_DATA_HOME/vigil, else ~/.local/share/vigil (other platforms: docs/PLATFORMS.md).
fs::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "vigil";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return fs::path(home) / ".local/share/vigil";
  return fs::path(".vigil");
}

int open_failed(const vigil::Error& e) {
  std::cerr << "vigil-client: " << e.message << "\n";
  return 2;
}

int cmd_status(const fs::path& dir, const std::string& key_storage) {
  StoreOptions so;
  so.dir = dir;
  auto pref = vigil::client::store::parse_key_store_preference(key_storage);
  if (!pref) return open_failed(pref.error());
  so.key_storage = *pref;
  auto s = Store::open(std::move(so));
  if (!s) return open_failed(s.error());
  std::cout << "store:        " << (*s)->path().string() << "\n"
            << "device:       " << (*s)->device_id() << "\n"
            << "key storage:  " << (*s)->key_storage_description() << "\n";
  auto sessions = (*s)->session_ids();
  if (!sessions) return open_failed(sessions.error());
  for (const auto& id : *sessions) {
    auto answers = (*s)->answers(id);
    auto report = (*s)->verify_journal(id);
    if (!answers || !report) return open_failed(!answers ? answers.error() : report.error());
    std::cout << "session:      " << id << ": " << answers->size() << " answers, journal "
              << (report->ok() ? "verifies" : "HAS PROBLEMS") << " (" << report->last_seq << " records)\n";
  }
  auto pending = (*s)->outbox_counts();
  if (!pending) return open_failed(pending.error());
  std::cout << "waiting to sync: " << pending->records << " records, " << pending->payload_bytes << " bytes\n";
  return 0;
}

int cmd_verify_journal(const fs::path& dir, const std::string& session) {
  StoreOptions so;
  so.dir = dir;
  auto s = Store::open(std::move(so));
  if (!s) return open_failed(s.error());
  auto report = (*s)->verify_journal(session);
  if (!report) return open_failed(report.error());
  std::cout << report->summary();
  return report->ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil candidate client: sit your assessment at home, online or offline.", "vigil-client"};
  app.set_version_flag("--version", std::string("vigil-client ") + vigil::k_version);
  app.require_subcommand(1);

  fs::path data_dir = default_data_dir();
  std::string key_storage = "auto";
  app.add_option("--data", data_dir, "Folder holding this device's encrypted store")->capture_default_str();
  app.add_option("--key-storage", key_storage, "Where the store key lives: auto, file or secret-service")
      ->capture_default_str();

  auto* demo = app.add_subcommand("demo", "Run a scripted candidate session on a fresh store and verify it");
  fs::path demo_dir;
  demo->add_option("--dir", demo_dir, "Folder for the demo store (default: a new folder under /tmp)");

  auto* status = app.add_subcommand("status", "Show the store, key storage, sessions and what is waiting to sync");
  auto* verify = app.add_subcommand("verify-journal", "Check a session's journal and report anything wrong with it");
  std::string session;
  verify->add_option("session", session, "Session id")->required();

  CLI11_PARSE(app, argc, argv);

  try {
    if (*demo) {
      if (demo_dir.empty()) {
        demo_dir = fs::temp_directory_path() / ("vigil-demo-" + std::to_string(::getpid()));
      }
      return vigil::client::app::run_demo({demo_dir, true});
    }
    if (*status) return cmd_status(data_dir, key_storage);
    if (*verify) return cmd_verify_journal(data_dir, session);
  } catch (const std::exception& e) {
    // Start-up impossibilities only (allocation failure, filesystem exceptions): say so and stop.
    std::cerr << "vigil-client: unexpected error: " << e.what() << "\n";
    return 70;
  }
  return 0;
}
