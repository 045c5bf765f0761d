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
void work(const fs::path& dir, const power_cut::Run& run, long cycle, long& next, std::set<long>& acked,
          power_cut::Planner& planner, power_cut::Tally& t) {
  auto& vfs = PowerCutVfs::instance();
  auto failed = [&](const vigil::Error& e, const char* what) {
    if (!vfs.is_cut()) t.problem(t.errors, cycle, std::string(what) + " failed with the power on: " + e.describe());
  };
  auto s = open_store(dir, PowerCutVfs::k_name);
  if (!s) return failed(s.error(), "opening the store");
  run.after_open();
  if (auto b = (*s)->begin_session(k_probe_session, "probe-assessment"); !b) return failed(b.error(), "begin_session");
  planner.phase("save_answer");
  for (long i = 0; i < k_saves_per_cycle; ++i, ++next) {
    if (next % 4 == 0) {
      if (auto e = (*s)->record_event(k_probe_session, "focus.lost", "{\"v\":1}"); !e) return failed(e.error(), "record_event");
    }
    auto r = (*s)->save_answer(k_probe_session, probe_item(next), probe_value(next));
    if (!r) return failed(r.error(), "save_answer");
    // Acknowledged: save_answer returned success (even if the power went during it, which
    // would be a bug the check below reports as a loss).
    acked.insert(next);
    ++t.acknowledged;
  }
  if (cycle % 3 == 0) {
    planner.phase("checkpoint_wal");
    if (auto c = (*s)->checkpoint_wal(); !c) return failed(c.error(), "checkpoint_wal");
  }
  planner.phase("close");
  s->reset();
}

// After the cut, as the client would start again: the default VFS.
void check(const fs::path& dir, long cycle, std::set<long>& acked, power_cut::Tally& t, bool& fresh_next) {
  auto s = open_store(dir, nullptr);
  if (!s) {
    t.problem(t.corrupt, cycle, "the store does not open after the cut: " + s.error().describe());
    fresh_next = true;
    return;
  }
  std::set<std::string> stored;
  for (long item = 0; item < 37; ++item) {
    auto h = (*s)->answer_history(k_probe_session, probe_item(item));
    if (!h) {
      t.problem(t.corrupt, cycle, "answer_history: " + h.error().describe());
      fresh_next = true;
      return;
    }
    for (const auto& a : *h) stored.insert(a.value);
  }
  for (auto n = acked.begin(); n != acked.end();) {
    if (stored.count(probe_value(*n)) == 0) {
      t.problem(t.lost, cycle, "acknowledged answer " + std::to_string(*n) + " is missing");
      n = acked.erase(n);  // counted once
    } else {
      ++n;
    }
  }
  auto report = (*s)->verify_journal(k_probe_session);
  if (!report || !report->ok()) {
    t.problem(t.corrupt, cycle, "the journal does not verify: " + (report ? report->summary() : report.error().describe()));
    fresh_next = true;
  }
  auto ic = (*s)->integrity_check();
  if (!ic || *ic != "ok") {
    t.problem(t.corrupt, cycle, "integrity_check: " + (ic ? *ic : ic.error().describe()));
    fresh_next = true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();
  const power_cut::Run run = power_cut::parse_run(argc, argv);
  const TempDir temp;
  const fs::path work_dir = run.work.empty() ? temp.path() : run.work;
  power_cut::Planner planner(run.seed);
  power_cut::Tally t;
  std::set<long> acked;  // answers acknowledged in the current store and not yet found missing
  long next = 0;
  long store_no = -1;
  bool fresh_next = true;
  for (long cycle = 0; cycle < run.cycles; ++cycle) {
    if (fresh_next || cycle % k_cycles_per_store == 0) {
      fs::remove_all(work_dir / ("store-" + std::to_string(store_no)));
      ++store_no;
      acked.clear();
      fresh_next = false;
    }
    const fs::path dir = work_dir / ("store-" + std::to_string(store_no));
    planner.arm();
    work(dir, run, cycle, next, acked, planner, t);
    planner.end_of_work();
    check(dir, cycle, acked, t, fresh_next);
  }
  fs::remove_all(work_dir / ("store-" + std::to_string(store_no)));
  return power_cut::report("client", run, planner, t, started);
}
