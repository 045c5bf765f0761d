// Crash safety of the client store: a writer process is killed with SIGKILL at random points, the
// store is reopened each time, and every save the writer acknowledged must be there, the journal
// must verify and SQLite's integrity check must pass.
//
// VIGIL_CRASH_ITERATIONS (default 200) and VIGIL_CRASH_SEED make a run longer or repeatable.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/store/store.hpp"
#include "tests/fault/probe_values.hpp"

namespace fs = std::filesystem;
using namespace vigil;

namespace {

struct Run {
  std::string output;
  int signal = 0;
};

// Starts `store_probe write DIR FIRST`, lets it run for `delay`, kills it with SIGKILL and returns
// everything it printed.
Run run_and_kill(const fs::path& dir, long first, std::chrono::microseconds delay) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string first_s = std::to_string(first);
    ::execl(VIGIL_STORE_PROBE, VIGIL_STORE_PROBE, "write", dir.c_str(), first_s.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  Run run;
  const auto deadline = std::chrono::steady_clock::now() + delay;
  char buf[4096];
  bool eof = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      eof = true;
      break;
    }
    run.output.append(buf, static_cast<std::size_t>(n));
  }
  // Busy-wait the sub-millisecond remainder so kill points spread evenly, not on poll's grid.
  while (std::chrono::steady_clock::now() < deadline) {
  }
  ::kill(pid, SIGKILL);
  while (!eof) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    run.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return run;
}

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

}  // namespace

TEST_CASE("every acknowledged save survives SIGKILL at random points, and the store stays consistent") {
  const long iterations = env_long("VIGIL_CRASH_ITERATIONS", 200);
  const auto seed = static_cast<std::uint64_t>(env_long("VIGIL_CRASH_SEED", static_cast<long>(std::random_device{}())));
  std::mt19937_64 rng(seed);

  const fs::path dir = fs::temp_directory_path() / ("vigil-crash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // How long the writer takes to start and open the store on this build (sanitizers slow it):
  // kills are spread over that start-up and 40 ms of saving after it, so some land in process
  // start, key loading and store creation, most in the middle of transactions and WAL writes.
  long startup_us = 0;
  {
    const fs::path probe_dir = dir.string() + "-calibration";
    const std::string cmd = std::string(VIGIL_STORE_PROBE) + " open " + probe_dir.string() + " >/dev/null";
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      REQUIRE(std::system(cmd.c_str()) == 0);
      startup_us = std::max<long>(startup_us, std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::steady_clock::now() - t0).count());
    }
    fs::remove_all(probe_dir);
  }
  std::uniform_int_distribution<long> delay_us(0, startup_us + 40'000);
  std::set<long> acked;
  long next_first = 0;
  long killed_mid_save = 0;
  long killed_before_open = 0;

  for (long it = 0; it < iterations; ++it) {
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
    if (run.signal != SIGKILL) FAIL("the writer exited by itself: " << run.output);
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
