// vigil_power_cut_client: power cuts under the client store (tests/fault/power_cut.hpp).
//
// Each cycle opens the store through the power-loss VFS, saves 12 answers (an event every 4th,
// a WAL checkpoint every third cycle), and loses the power at a random write or sync (or at the
// end). It then reopens the store with the default VFS and checks that every answer whose
// save_answer() returned success is there, the journal verifies and PRAGMA integrity_check is ok.
// Every 25 cycles it starts a new store, so creation is cut too.
#include <set>

#include "client/store/store.hpp"
#include "tests/fault/power_cut.hpp"
#include "tests/fault/probe_values.hpp"

namespace {

using vigil::client::store::KeyStorePreference;
using vigil::client::store::Store;
using vigil::client::store::StoreOptions;
using namespace vigil::testing;
namespace fs = std::filesystem;

constexpr long k_saves_per_cycle = 12;
constexpr long k_cycles_per_store = 25;

vigil::Result<std::unique_ptr<Store>> open_store(const fs::path& dir, const char* vfs) {
  StoreOptions so;
  so.dir = dir;
  so.key_storage = KeyStorePreference::file;
  so.checkpoint_every = 8;
  so.sqlite_vfs = vfs;
  return Store::open(std::move(so));
}

// One cycle's work through the power-loss VFS; stops at the first failure (the power is off).
void work(const power_cut::Cycle& c, long& next, std::set<long>& acked) {
  auto& vfs = PowerCutVfs::instance();
  auto failed = [&](const vigil::Error& e, const char* what) {
    if (!vfs.is_cut()) c.t.problem(c.t.errors, c.number, std::string(what) + " failed with the power on: " + e.describe());
  };
  auto s = open_store(c.dir, PowerCutVfs::k_name);
  if (!s) return failed(s.error(), "opening the store");
  c.run.after_open();
  if (auto b = (*s)->begin_session(k_probe_session, "probe-assessment"); !b) return failed(b.error(), "begin_session");
  c.planner.phase("save_answer");
  for (long i = 0; i < k_saves_per_cycle; ++i, ++next) {
    if (next % 4 == 0) {
      if (auto e = (*s)->record_event(k_probe_session, "focus.lost", "{\"v\":1}"); !e) return failed(e.error(), "record_event");
    }
    auto r = (*s)->save_answer(k_probe_session, probe_item(next), probe_value(next));
    if (!r) return failed(r.error(), "save_answer");
    // Acknowledged: save_answer returned success (even if the power went during it, which
    // would be a bug the check below reports as a loss).
    acked.insert(next);
    ++c.t.acknowledged;
  }
  if (c.number % 3 == 0) {
    c.planner.phase("checkpoint_wal");
    if (auto w = (*s)->checkpoint_wal(); !w) return failed(w.error(), "checkpoint_wal");
  }
  c.planner.phase("close");
  s->reset();
}

// After the cut, as the client would start again: the default VFS. False when the store is damaged.
bool check(const power_cut::Cycle& c, std::set<long>& acked) {
  auto& t = c.t;
  auto s = open_store(c.dir, nullptr);
  if (!s) {
    t.problem(t.corrupt, c.number, "the store does not open after the cut: " + s.error().describe());
    return false;
  }
  std::set<std::string> stored;
  for (long item = 0; item < 37; ++item) {
    auto h = (*s)->answer_history(k_probe_session, probe_item(item));
    if (!h) {
      t.problem(t.corrupt, c.number, "answer_history: " + h.error().describe());
      return false;
    }
    for (const auto& a : *h) stored.insert(a.value);
  }
  for (auto n = acked.begin(); n != acked.end();) {
    if (stored.count(probe_value(*n)) == 0) {
      t.problem(t.lost, c.number, "acknowledged answer " + std::to_string(*n) + " is missing");
      n = acked.erase(n);  // counted once
    } else {
      ++n;
    }
  }
  bool intact = true;
  auto report = (*s)->verify_journal(k_probe_session);
  if (!report || !report->ok()) {
    t.problem(t.corrupt, c.number, "the journal does not verify: " + (report ? report->summary() : report.error().describe()));
    intact = false;
  }
  auto ic = (*s)->integrity_check();
  if (!ic || *ic != "ok") {
    t.problem(t.corrupt, c.number, "integrity_check: " + (ic ? *ic : ic.error().describe()));
    intact = false;
  }
  return intact;
}

}  // namespace

int main(int argc, char** argv) {
  std::set<long> acked;  // answers acknowledged in the current store and not yet found missing
  long next = 0;         // the next answer's number (probe_values.hpp)
  return power_cut::run_cycles(
      "client", argc, argv, k_cycles_per_store, [&](const fs::path&) { acked.clear(); },
      [&](const power_cut::Cycle& c) { work(c, next, acked); }, [&](const power_cut::Cycle& c) { return check(c, acked); });
}
