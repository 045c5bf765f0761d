// tests/bench/run.sh store: how long a durable answer save takes, next to the cost of the
// operating system's own durable write on the same filesystem, and journal throughput.
//
// The save and the raw write run in alternating blocks so that drift in the machine's load or the
// disk's state affects both sides alike.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "client/store/store.hpp"
#include "tests/bench/bench_util.hpp"
#include "shared/journal/journal.hpp"
#include "shared/journal/verifier.hpp"
#include "shared/crypto/ed25519.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}


// A realistic mix: mostly short knowledge answers, every fifth save a written answer of ~2 KB.
std::string answer_for(int i) {
  if (i % 5 != 0) return std::string(1, static_cast<char>('A' + i % 4));
  std::string v;
  while (v.size() < 2000) v += "I would plan a visit with the family and agree clear review dates. ";
  return v + std::to_string(i);
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "vigil-bench-store";
  const int n = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int journal_n = argc > 3 ? std::atoi(argv[3]) : 500'000;
  fs::remove_all(dir);
  fs::create_directories(dir);

  client::store::StoreOptions so;
  so.dir = dir / "store";
  so.key_storage = client::store::KeyStorePreference::file;
  auto store = client::store::Store::open(std::move(so));
  if (!store) {
    std::cerr << "bench: " << store.error().describe() << "\n";
    return 1;
  }
  auto& s = **store;
  if (!s.begin_session("bench", "bench-assessment")) return 1;

  const fs::path raw_path = dir / "raw.bin";
  const int raw_fd = ::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (raw_fd < 0) return 1;
  std::vector<char> block(4096, 'x');

  std::vector<double> save_ms, raw_ms;
  save_ms.reserve(static_cast<std::size_t>(n));
  raw_ms.reserve(static_cast<std::size_t>(n));
  // Warm up both paths (page cache, SQLite's statement and WAL set-up).
  for (int i = 0; i < 50; ++i) {
    if (!s.save_answer("bench", "warm-" + std::to_string(i % 10), "A")) return 1;
    if (::write(raw_fd, block.data(), block.size()) < 0 || ::fdatasync(raw_fd) != 0) return 1;
  }
  constexpr int k_block = 100;
  for (int done = 0; done < n; done += k_block) {
    for (int i = done; i < std::min(n, done + k_block); ++i) {
      const std::string value = answer_for(i);
      const auto t0 = Clock::now();
      auto r = s.save_answer("bench", "item-" + std::to_string(i % 60), value);
      save_ms.push_back(ms_since(t0));
      if (!r) {
        std::cerr << "bench: " << r.error().describe() << "\n";
        return 1;
      }
    }
    for (int i = done; i < std::min(n, done + k_block); ++i) {
      const auto t0 = Clock::now();
      // Appending, like the WAL: the data and the file's new size are made durable.
      if (::write(raw_fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fdatasync(raw_fd) != 0) {
        std::perror("bench: raw write");
        return 1;
      }
      raw_ms.push_back(ms_since(t0));
    }
  }
  ::close(raw_fd);

  // Journal throughput, in memory: the hashing and encoding cost without storage.
  time::ManualClock clock;
  const std::string chain = "bench-device/bench-session";
  journal::Appender app(chain, journal::Head::genesis(chain));
  std::vector<journal::Entry> entries;
  entries.reserve(static_cast<std::size_t>(journal_n));
  const std::string payload = R"({"item_id":"pr-k-017","revision":3,"v":1,"value":"B"})";
  const auto ta = Clock::now();
  for (int i = 0; i < journal_n; ++i) {
    clock.advance_ms(200);
    journal::Record r = app.next("answer.saved", as_bytes(payload), clock);
    app.commit(r);
    entries.push_back({std::move(r), std::nullopt});
  }
  const double append_s = ms_since(ta) / 1000.0;
  const auto key = crypto::ed25519_generate().value();
  std::vector<journal::Checkpoint> cps{journal::make_checkpoint(chain, app.head(), crypto::view(key.seed)).value()};
  const auto tv = Clock::now();
  const auto report = journal::verify({chain, journal::Head::genesis(chain), entries, cps, key.public_key});
  const double verify_s = ms_since(tv) / 1000.0;
  if (!report.ok()) {
    std::cerr << report.summary();
    return 1;
  }

  const double save_p50 = percentile(save_ms, 50), save_p99 = percentile(save_ms, 99);
  const double raw_p50 = percentile(raw_ms, 50), raw_p99 = percentile(raw_ms, 99);
  const double ratio = save_p99 / raw_p99;
  const double append_per_s = journal_n / append_s, verify_per_s = journal_n / verify_s;

  std::printf("store benchmark on %s (%s), %d saves and %d raw writes in alternating blocks of %d\n",
              dir.c_str(), bench::fs_type(dir).c_str(), n, n, k_block);
  std::printf("  durable answer save          p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms\n", save_p50, save_p99,
              *std::max_element(save_ms.begin(), save_ms.end()));
  std::printf("  raw 4 KiB write + fdatasync  p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms\n", raw_p50, raw_p99,
              *std::max_element(raw_ms.begin(), raw_ms.end()));
  std::printf("  save p99 / raw p99 = %.2f (target <= 3)\n", ratio);
  std::printf("  journal append  %10.0f records/s (%d records)\n", append_per_s, journal_n);
  std::printf("  journal verify  %10.0f records/s (%d records, 1 signed checkpoint)\n", verify_per_s, journal_n);
  std::printf("{\"save_p50_ms\":%.3f,\"save_p99_ms\":%.3f,\"fsync_p50_ms\":%.3f,\"fsync_p99_ms\":%.3f,\"ratio\":%.3f,"
              "\"journal_append_per_s\":%.0f,\"journal_verify_per_s\":%.0f}\n",
              save_p50, save_p99, raw_p50, raw_p99, ratio, append_per_s, verify_per_s);
  fs::remove_all(dir);
  return 0;
}
