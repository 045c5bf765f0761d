// Crash safety of the client store: a writer process is killed with SIGKILL at random points, the
// store is reopened each time, and every save the writer acknowledged must be there, the journal
// must verify and SQLite's integrity check must pass.
//
// VIGIL_CRASH_ITERATIONS (default 200) and VIGIL_CRASH_SEED make a run longer or repeatable.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "client/store/store.hpp"
#include "tests/fault/probe_values.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace vigil;

namespace {

struct Run {
  std::string output;
  bool killed = false;  // still running when killed (not exited by itself)
};

// Starts `store_probe write DIR FIRST`, lets it run for `delay`, kills it (SIGKILL on Linux,
// TerminateProcess on Windows) and returns everything it printed.
Run run_and_kill(const fs::path& dir, long first, std::chrono::microseconds delay) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  testing::Child child({VIGIL_STORE_PROBE, "write", dir.string(), std::to_string(first)});
  child.read_for(std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now()));
  // Busy-wait the sub-millisecond remainder so kill points spread evenly, not on poll's grid.
  while (std::chrono::steady_clock::now() < deadline) {
  }
  Run run;
  run.killed = child.kill_now();
  run.output = child.all_output();
  return run;
}

std::int64_t env_long(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : fallback;
}

}  // namespace

TEST_CASE("every acknowledged save survives SIGKILL at random points, and the store stays consistent") {
  const std::int64_t iterations = env_long("VIGIL_CRASH_ITERATIONS", 200);
  const auto seed = static_cast<std::uint64_t>(env_long("VIGIL_CRASH_SEED", static_cast<std::int64_t>(std::random_device{}())));
  std::mt19937_64 rng(seed);

  const testing::TempDir work;
  const fs::path dir = work / "store";
  // How long the writer takes to start and open the store on this build (sanitizers slow it):
  // kills are spread over that start-up and 40 ms of saving after it, so some land in process
  // start, key loading and store creation, most in the middle of transactions and WAL writes.
  std::int64_t startup_us = 0;
  {
    const fs::path probe_dir = work / "calibration";
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      REQUIRE(testing::run({VIGIL_STORE_PROBE, "open", probe_dir.string()}).exit_code == 0);
      startup_us = std::max<std::int64_t>(startup_us, std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::steady_clock::now() - t0).count());
    }
    fs::remove_all(probe_dir);
  }
  std::uniform_int_distribution<std::int64_t> delay_us(0, startup_us + 40'000);
  std::set<long> acked;
  long next_first = 0;
  long killed_mid_save = 0;
  long killed_before_open = 0;

  for (std::int64_t it = 0; it < iterations; ++it) {
    INFO("seed " << seed << ", iteration " << it);
    const Run run = run_and_kill(dir, next_first, std::chrono::microseconds(delay_us(rng)));
    std::istringstream lines(run.output);
    std::string line;
    bool opened = false;
    long last = -1;
    while (std::getline(lines, line)) {
      if (line == "OPENED") opened = true;
      if (line.rfind("ERROR", 0) == 0) FAIL("the writer reported " << line);
      if (line.rfind("ACK ", 0) == 0) {
        last = std::stol(line.substr(4));
        acked.insert(last);
      }
    }
    if (!run.killed) FAIL("the writer exited by itself: " << run.output);
    killed_before_open += opened ? 0 : 1;
    killed_mid_save += opened ? 1 : 0;
    if (last >= 0) next_first = last + 1;

    // Reopen as the client would after the crash and check everything.
    client::store::StoreOptions so;
    so.dir = dir;
    so.key_storage = client::store::KeyStorePreference::file;
    auto s = client::store::Store::open(std::move(so));
    REQUIRE(s);
    if (acked.empty()) continue;
    std::set<std::string> stored;
    for (long item = 0; item < 37; ++item) {
      auto h = (*s)->answer_history(testing::k_probe_session, testing::probe_item(item));
      REQUIRE(h);
      for (const auto& a : *h) stored.insert(a.value);
    }
    for (long n : acked) {
      if (stored.count(testing::probe_value(n)) == 0) FAIL("acknowledged save " << n << " is missing");
    }
    auto report = (*s)->verify_journal(testing::k_probe_session);
    REQUIRE(report);
    INFO(report->summary());
    REQUIRE(report->ok());
    auto ic = (*s)->integrity_check();
    REQUIRE(ic);
    REQUIRE(*ic == "ok");
  }
  std::cout << "crash test: start-up " << startup_us / 1000 << " ms, " << iterations << " kills (" << killed_before_open << " before the store was open, "
            << killed_mid_save << " while saving), " << acked.size() << " acknowledged saves all present, seed "
            << seed << "\n";
  CHECK(acked.size() > static_cast<std::size_t>(iterations));  // the writer really was saving when killed
  fs::remove_all(dir);
}
