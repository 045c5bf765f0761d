#pragma once
// What the two power-cut drivers share (power_cut_client.cpp: the client store on SQLCipher;
// power_cut_server.cpp: the server's ingest on plain SQLite; two executables because the two
// SQLite builds never share one). Each runs `tests/fault/run.sh power-cut N`'s cycles for its
// target: work, a power cut at a random write or sync (tests/support/power_cut_vfs.hpp), reopen
// with the default VFS, check; then prints one JSON line.
//
//   <driver> CYCLES [WORK_DIR]
//   VIGIL_POWER_CUT_SEED=N           repeat a run (the seed is in the JSON line)
//   VIGIL_POWER_CUT_SYNCHRONOUS=OFF  the deliberate experiment: PRAGMA synchronous = OFF on the
//                                    product's connection right after it opened it, to show the
//                                    check catches the loss (only here: no product code reads it);
//                                    NORMAL works the same way
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/power_cut_vfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::testing::power_cut {

struct Run {
  long cycles = 1000;
  std::uint64_t seed = 0;
  std::string synchronous = "FULL";  // anything else: the experiment sets it after open
  std::filesystem::path work;  // empty: a temp dir

  bool experiment() const { return synchronous != "FULL"; }
  // Right after the product opened its database: the experiment's setting, if any.
  void after_open() const {
    if (experiment()) PowerCutVfs::set_synchronous(synchronous);
  }
};

inline Run parse_run(int argc, char** argv) {
  Run r;
  if (argc > 1) r.cycles = std::strtol(argv[1], nullptr, 10);
  if (argc > 2) r.work = argv[2];
  const char* seed = std::getenv("VIGIL_POWER_CUT_SEED");
  r.seed = seed != nullptr && *seed != '\0' ? std::strtoull(seed, nullptr, 10) : std::random_device{}();
  const char* sync = std::getenv("VIGIL_POWER_CUT_SYNCHRONOUS");
  if (sync != nullptr && *sync != '\0') r.synchronous = sync;
  if (r.synchronous != "OFF" && r.synchronous != "NORMAL" && r.synchronous != "FULL") {
    std::cerr << "VIGIL_POWER_CUT_SYNCHRONOUS is OFF, NORMAL or FULL\n";
    std::exit(64);
  }
  if (r.experiment()) PowerCutVfs::remember_connections();
  return r;
}

// Where each cycle's power goes: at a write or sync drawn uniformly from those a whole cycle made
// so far (the most seen), in a mode drawn uniformly. A cycle that ends before its cut point is
// cut when it ends (cut_at_end), which must lose nothing either.
class Planner {
 public:
  explicit Planner(std::uint64_t seed) : rng_(seed) {}

  void arm() {
    phase_ = "open";
    mode_ = static_cast<CutMode>(std::uniform_int_distribution<int>(0, 2)(rng_));
    const std::uint64_t at = span_ == 0 ? 0 : std::uniform_int_distribution<std::uint64_t>(1, span_)(rng_);
    PowerCutVfs::instance().arm(at, mode_, rng_());
  }
  // What the cycle is doing now, for the count of where the power went.
  void phase(const char* name) {
    if (!PowerCutVfs::instance().is_cut()) phase_ = name;
  }
  // After the cycle's work: cuts now if the power has not gone yet.
  void end_of_work() {
    auto& vfs = PowerCutVfs::instance();
    ++cut_during_[vfs.is_cut() ? phase_ : "after the work"];
    if (!vfs.is_cut()) {
      span_ = std::max(span_, vfs.events());
      ++at_end_;
      vfs.cut_now();
    }
    ++by_mode_[static_cast<int>(mode_)];
    const auto& s = vfs.stats();
    writes_torn_ += s.writes_torn;
    writes_lost_ += s.writes_lost;
    writes_kept_ += s.writes_kept;
    files_removed_ += s.files_removed;
    files_restored_ += s.files_restored;
  }

  nlohmann::json json() const {
    return {{"cut_drop", by_mode_[0]},         {"cut_tear", by_mode_[1]},
            {"cut_reorder", by_mode_[2]},      {"cut_at_end", at_end_},
            {"events_per_cycle_max", span_},   {"unsynced_writes_lost", writes_lost_},
            {"unsynced_writes_kept", writes_kept_}, {"unsynced_writes_torn", writes_torn_}, {"files_removed", files_removed_},
            {"files_restored", files_restored_}, {"cut_during", cut_during_}};
  }

 private:
  std::mt19937_64 rng_;
  CutMode mode_ = CutMode::drop;
  std::string phase_;
  std::map<std::string, std::uint64_t> cut_during_;
  std::uint64_t span_ = 0;
  std::uint64_t at_end_ = 0;
  std::uint64_t by_mode_[3] = {0, 0, 0};
  std::uint64_t writes_lost_ = 0, writes_kept_ = 0, writes_torn_ = 0, files_removed_ = 0, files_restored_ = 0;
};

// The counts the JSON line reports, and the first problems of each kind in words (on stderr).
struct Tally {
  std::uint64_t acknowledged = 0;
  std::uint64_t lost = 0;
  std::uint64_t corrupt = 0;
  std::uint64_t errors = 0;  // a call failed while the power was still on: a bug in the driver or product
  std::vector<std::string> problems;

  void problem(std::uint64_t& counter, long cycle, const std::string& what) {
    if (++counter <= 10) problems.push_back("cycle " + std::to_string(cycle) + ": " + what);  // the first 10 of each
  }
};

// What a driver's work and check get for one cycle.
struct Cycle {
  const Run& run;
  Planner& planner;
  Tally& t;
  std::mt19937_64& rng;  // the driver's own choices, from the run's seed
  long number;
  const std::filesystem::path& dir;  // this target's store folder or server home
};

// Prints the JSON line; exit status 0 only if nothing was lost or damaged and no call failed
// before its cut (the synchronous=OFF experiment reads the line, not the status).
inline int report(const char* target, const Run& run, const Planner& planner, const Tally& t,
                  std::chrono::steady_clock::time_point started) {
  for (const auto& p : t.problems) std::cerr << target << ": " << p << "\n";
  nlohmann::json j = {{"target", target},
                      {"cycles", run.cycles},
                      {"acknowledged", t.acknowledged},
                      {"lost", t.lost},
                      {"corrupt", t.corrupt},
                      {"errors", t.errors},
                      {"synchronous", run.synchronous},
                      {"seed", run.seed},
                      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  j.update(planner.json());
  std::cout << j.dump() << std::endl;
  return t.lost == 0 && t.corrupt == 0 && t.errors == 0 ? 0 : 1;
}

// The whole run: for each cycle, a new folder when one is due (every per_folder cycles, or after
// check found damage) set up by fresh(dir), then the cut planned, work(cycle), the cut made if
// it has not happened, and check(cycle), which returns false when the store or database is
// damaged. Then the JSON line.
template <class Fresh, class Work, class Check>
int run_cycles(const char* target, int argc, char** argv, long per_folder, Fresh&& fresh, Work&& work, Check&& check) {
  const auto started = std::chrono::steady_clock::now();
  const Run run = parse_run(argc, argv);
  const TempDir temp;
  const std::filesystem::path work_dir = run.work.empty() ? temp.path() : run.work;
  Planner planner(run.seed);
  std::mt19937_64 rng(run.seed ^ 0x5eedu);
  Tally t;
  std::filesystem::path dir;
  bool fresh_next = true;
  for (long n = 0; n < run.cycles; ++n) {
    if (fresh_next || n % per_folder == 0) {
      if (!dir.empty()) std::filesystem::remove_all(dir);
      dir = work_dir / (std::string(target) + "-" + std::to_string(n));
      fresh(dir);
    }
    const Cycle cycle{run, planner, t, rng, n, dir};
    planner.arm();
    work(cycle);
    planner.end_of_work();
    fresh_next = !check(cycle);
  }
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return report(target, run, planner, t, started);
}

}  // namespace vigil::testing::power_cut
