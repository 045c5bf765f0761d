#include "client/app/demo.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/store/store.hpp"
#include "shared/core/file.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::app {

namespace {

struct DemoAnswer {
  const char* item_id;
  const char* kss;
  const char* value;
};

// A few responses from the practitioner sample assessment (fictional content, written for Vigil).
constexpr DemoAnswer k_answers[] = {
    {"pr-k-001", "P5", "B"},
    {"pr-k-002", "P3", "C"},
    {"pr-k-003", "P8", "A;D"},
    {"pr-k-004", "P2", "D"},
    {"pr-k-005", "P6", "B"},
};

constexpr const char* k_written_drafts[] = {
    "Maya (7) has missed eleven days of school this term.",
    "Maya (7) has missed eleven days of school this term. Before deciding on next steps I would speak with Maya on "
    "her own, using the drawing tools she enjoys, to hear what a school day feels like for her.",
    "Maya (7) has missed eleven days of school this term. Before deciding on next steps I would speak with Maya on "
    "her own, using the drawing tools she enjoys, to hear what a school day feels like for her. I would then agree "
    "with her mother, Ms Okafor, and the school's designated safeguarding lead a plan with clear review dates.",
};

int step_failed(const char* what, const Error& e) {
  std::cerr << "demo: " << what << " failed: " << log_value(e.describe()) << "\n";
  return 1;
}

// True when the needle occurs anywhere in the file: the same check as `strings FILE | grep`.
bool file_contains(const std::filesystem::path& p, const std::string& needle) {
  std::ifstream in(p, std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return content.find(needle) != std::string::npos;
}

}  // namespace

int run_demo(const DemoOptions& options) {
  const std::string session = "demo-session-1";
  std::cout << "Vigil demo: a scripted candidate session on the encrypted local store\n"
            << "  data folder: " << options.data_dir.string() << "\n\n";

  {
    store::StoreOptions so;
    so.dir = options.data_dir;
    auto opened = store::Store::open(std::move(so));
    if (!opened) return step_failed("opening the store", opened.error());
    auto& s = **opened;
    std::cout << "1. Opened the store " << s.path().string() << "\n"
              << "   device " << s.device_id() << ", key held in the " << s.key_storage_description() << "\n";

    if (auto r = s.begin_session(session, "naas-practitioner-demo"); !r) return step_failed("starting the session", r.error());
    if (auto r = s.record_event(session, "section.started", R"({"section":"knowledge","v":1})"); !r)
      return step_failed("recording an event", r.error());
    for (const auto& a : k_answers) {
      auto saved = s.save_answer(session, a.item_id, a.value);
      if (!saved) return step_failed("saving an answer", saved.error());
      std::cout << "2. Saved " << a.item_id << " (KSS " << a.kss << ") durably as journal record " << saved->seq << "\n";
    }
    if (auto r = s.record_event(session, "focus.lost", R"({"duration_ms":4200,"v":1})"); !r)
      return step_failed("recording an event", r.error());
    for (const char* draft : k_written_drafts) {
      auto saved = s.save_answer(session, "pr-w-001", draft);
      if (!saved) return step_failed("saving the written answer", saved.error());
      std::cout << "3. Saved written answer pr-w-001 revision " << saved->revision << " (" << std::string(draft).size()
                << " bytes)\n";
    }
    auto cp = s.checkpoint(session);
    if (!cp) return step_failed("signing a checkpoint", cp.error());
    std::cout << "4. Signed a journal checkpoint at record " << cp->seq << " with the device key\n";
  }  // the store is closed here, as if the laptop lost power after the last save

  store::StoreOptions so;
  so.dir = options.data_dir;
  auto reopened = store::Store::open(std::move(so));
  if (!reopened) return step_failed("reopening the store", reopened.error());
  auto& s = **reopened;
  auto answers = s.answers(session);
  if (!answers) return step_failed("reading answers", answers.error());
  auto history = s.answer_history(session, "pr-w-001");
  if (!history) return step_failed("reading history", history.error());
  std::cout << "5. Reopened the store: " << answers->size() << " answers present, written answer has "
            << history->size() << " revisions\n";

  auto report = s.verify_journal(session);
  if (!report) return step_failed("verifying the journal", report.error());
  std::cout << "6. Journal verification: " << report->summary();
  auto integrity = s.integrity_check();
  if (!integrity) return step_failed("checking integrity", integrity.error());
  std::cout << "7. SQLite integrity check: " << *integrity << "\n";
  auto pending = s.outbox_counts();
  if (!pending) return step_failed("reading the outbox", pending.error());
  std::cout << "8. Waiting to sync: " << pending->records << " records (" << pending->payload_bytes << " bytes)\n";

  const bool leaked = file_contains(s.path(), "Okafor") || file_contains(with_suffix(s.path(), "-wal"), "Okafor");
  std::cout << "9. Looked for the written answer's text in the store file and its WAL: "
            << (leaked ? "FOUND (not encrypted!)" : "not found (encrypted at rest)") << "\n\n";

  if (options.submit) {
    auto enrolment = s.enrolment();
    if (!enrolment) return step_failed("reading the enrolment", enrolment.error());
    if (*enrolment) {
      // A stand-in for a webcam snapshot (the real checks arrive with issue 5), sealed to the
      // server's evidence key: this device can create it but never read it back.
      std::string snapshot = "demo evidence snapshot: ";
      while (snapshot.size() < 48 * 1024) snapshot += "pixels ";
      auto sealed = crypto::seal((*enrolment)->evidence_public_key, as_bytes(snapshot), as_bytes(session));
      if (!sealed) return step_failed("sealing evidence", sealed.error());
      auto sha = s.add_blob(session, *sealed, store::OutboxPriority::evidence);
      if (!sha) return step_failed("storing evidence", sha.error());
      std::cout << "10. Sealed a " << sealed->size() << "-byte evidence snapshot to the server's evidence key\n";
    }
    auto seq = s.submit_session(session);
    if (!seq) return step_failed("submitting", seq.error());
    std::cout << "11. Submitted the session (journal record " << *seq << "); it is safe on this device until the server "
              << "confirms it\n\n";
  }

  const bool ok = report->ok() && *integrity == "ok" && !leaked && answers->size() == std::size(k_answers) + 1;
  std::cout << (ok ? "Demo finished: every answer was saved, survived a restart, and the journal verifies.\n"
                   : "Demo finished WITH PROBLEMS: see above.\n")
            << "Look at it yourself:\n"
            << "  vigil-client --data " << options.data_dir.string() << " status\n"
            << "  vigil-client --data " << options.data_dir.string() << " verify-journal " << session << "\n";
  return ok ? 0 : 1;
}

}  // namespace vigil::client::app
