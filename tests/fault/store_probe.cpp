// vigil_store_probe: drives the real client store from a separate process, for the tests that
// kill it (crash safety) or run it on a real full / read-only filesystem (tests/fault/*.sh).
//
//   store_probe write DIR FIRST          save answers FIRST, FIRST+1, ... forever, printing
//                                        "ACK <n> <item> <revision>" after each save returns
//   store_probe disk-full DIR FILLER     fill the disk with saves until it is full (see below)
//   store_probe seed DIR COUNT           save COUNT answers and exit
//   store_probe open DIR                 open the store; print "OPENED <key storage>" or
//                                        "ERROR <code> <message>"
//   store_probe check DIR COUNT          check answers 0..COUNT-1 from `seed` are intact
//
// The value of answer n is probe_value(n): the driver recomputes it to check what it reads back.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <cstdio>
#include <string>

#include "client/store/store.hpp"
#include "tests/fault/probe_values.hpp"

namespace {

using vigil::client::store::Store;
using vigil::client::store::StoreOptions;
namespace fs = std::filesystem;

const std::string& k_session = vigil::testing::k_probe_session;
using vigil::testing::probe_item;
using vigil::testing::probe_value;

// A line to stdout, flushed at once: the driver must see an ACK the moment save() returned (a
// kill then loses nothing that was printed; stdio's buffer is flushed into the pipe before the
// next save starts).
void say(const std::string& line) {
  if (std::fputs((line + "\n").c_str(), stdout) < 0 || std::fflush(stdout) != 0) std::_Exit(3);
}

vigil::Result<std::unique_ptr<Store>> open_store(const fs::path& dir) {
  StoreOptions so;
  so.dir = dir;
  // VIGIL_PROBE_KEY_STORAGE=auto|file|secret-service (default file).
  const char* pref = std::getenv("VIGIL_PROBE_KEY_STORAGE");
  auto parsed = vigil::client::store::parse_key_store_preference(pref != nullptr ? pref : "file");
  if (!parsed) return vigil::fail(parsed.error());
  so.key_storage = *parsed;
  so.checkpoint_every = 8;
  auto s = Store::open(std::move(so));
  if (s) {
    if (auto b = (*s)->begin_session(k_session, "probe-assessment"); !b) return vigil::fail(b.error());
  }
  return s;
}

int error_exit(const vigil::Error& e) {
  say("ERROR " + std::string(vigil::errc_name(e.code)) + " " + e.message);
  return 1;
}

int cmd_write(const fs::path& dir, long first) {
  auto s = open_store(dir);
  if (!s) return error_exit(s.error());
  say("OPENED");
  for (long n = first;; ++n) {
    if (n % 5 == 0) {
      auto e = (*s)->record_event(k_session, "focus.lost", "{\"v\":1}");
      if (!e) return error_exit(e.error());
    }
    auto r = (*s)->save_answer(k_session, probe_item(n), probe_value(n));
    if (!r) return error_exit(r.error());
    say("ACK " + std::to_string(n) + " " + probe_item(n) + " " + std::to_string(r->revision));
  }
}

// Checks every answer in [0, count) saved by `seed` reads back with its value, the journal
// verifies and SQLite's integrity check passes.
int cmd_check(const fs::path& dir, long count) {
  auto s = open_store(dir);
  if (!s) return error_exit(s.error());
  for (long n = 0; n < count; ++n) {
    auto h = (*s)->answer_history(k_session, probe_item(n));
    if (!h) return error_exit(h.error());
    bool found = false;
    for (const auto& a : *h) found = found || a.value == probe_value(n);
    if (!found) {
      say("MISSING " + std::to_string(n));
      return 1;
    }
  }
  auto report = (*s)->verify_journal(k_session);
  if (!report) return error_exit(report.error());
  if (!report->ok()) {
    say("JOURNAL " + report->summary());
    return 1;
  }
  auto ic = (*s)->integrity_check();
  if (!ic) return error_exit(ic.error());
  if (*ic != "ok") {
    say("INTEGRITY " + *ic);
    return 1;
  }
  say("CHECKED " + std::to_string(count));
  return 0;
}

int cmd_seed(const fs::path& dir, long count) {
  auto s = open_store(dir);
  if (!s) return error_exit(s.error());
  for (long n = 0; n < count; ++n) {
    auto r = (*s)->save_answer(k_session, probe_item(n), probe_value(n));
    if (!r) return error_exit(r.error());
  }
  say("SEEDED " + std::to_string(count));
  return 0;
}

int cmd_open(const fs::path& dir) {
  auto s = open_store(dir);
  if (!s) return error_exit(s.error());
  say("OPENED " + (*s)->key_storage_description());
  return 0;
}

// On a small filesystem that also holds FILLER: save until the disk is full and expect a
// disk_full error; delete FILLER and save again with the same store object; then reopen and
// check that every acknowledged save is intact and a new save works.
int cmd_disk_full(const fs::path& dir, const fs::path& filler) {
  long acked = 0;
  {
    auto s = open_store(dir);
    if (!s) return error_exit(s.error());
    for (;; ++acked) {
      auto r = (*s)->save_answer(k_session, probe_item(acked), probe_value(acked));
      if (!r) {
        say("FULL_AFTER " + std::to_string(acked) + " " + std::string(vigil::errc_name(r.error().code)) + " " +
            r.error().message);
        if (r.error().code != vigil::Errc::disk_full) return 1;
        break;
      }
      if (acked > 1'000'000) return 1;  // the filesystem never filled: the test is misconfigured
    }
    // A second attempt on the full disk fails the same way, and reading still works.
    auto again = (*s)->save_answer(k_session, "item-x", "one more");
    if (again || again.error().code != vigil::Errc::disk_full) {
      say("SECOND_SAVE_NOT_DISK_FULL");
      return 1;
    }
    // Space comes back while the client is still running: the same store object must save again
    // and keep a verifiable journal (its cached chain head is reloaded after the failed commit).
    std::error_code ec;
    fs::remove(filler, ec);
    auto after = (*s)->save_answer(k_session, probe_item(acked), probe_value(acked));
    if (!after) return error_exit(after.error());
    ++acked;
    auto report = (*s)->verify_journal(k_session);
    if (!report || !report->ok()) {
      say("JOURNAL_AFTER_FULL " + (report ? report->summary() : report.error().describe()));
      return 1;
    }
    say("SAVED_AFTER_SPACE_FREED");
  }
  const int rc = cmd_check(dir, acked);
  if (rc != 0) return rc;
  auto s = open_store(dir);
  if (!s) return error_exit(s.error());
  auto r = (*s)->save_answer(k_session, "item-after", "saved after space was freed");
  if (!r) return error_exit(r.error());
  say("DISK_FULL_OK " + std::to_string(acked));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: store_probe write|seed|check|open|disk-full DIR [ARG]\n";
    return 64;
  }
  const std::string cmd = argv[1];
  const fs::path dir = argv[2];
  const long arg = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 0;
  if (cmd == "write") return cmd_write(dir, arg);
  if (cmd == "seed") return cmd_seed(dir, arg);
  if (cmd == "check") return cmd_check(dir, arg);
  if (cmd == "open") return cmd_open(dir);
  if (cmd == "disk-full" && argc > 3) return cmd_disk_full(dir, argv[3]);
  std::cerr << "store_probe: unknown command " << cmd << "\n";
  return 64;
}
