// tests/bench/run.sh equalities: the programme admin's aggregate equalities report at the scale of
// a large assessment window.
//
// Seeds one server database through the real schema and repositories: 10,000 candidates with a
// scored sitting each in one window, 8,000 of them with a declaration (stored as the device API
// stores it, under the keyed pseudonym), and 1,000 sittings with a proctoring flag (an integrity
// flag, so the schema's triggers build the review tables as in production). Then times
// GET /staff/api/reports/{window}/equalities and .../equalities.csv through srv::StaffApi::handle
// as a programme admin (the pure request -> response function; TLS excluded): per sitting, one
// HKDF and two indexed reads, then aggregate_by_group per characteristic.
// Readable figures, then one JSON line: {"equalities_report_p95_ms":..,"equalities_csv_p95_ms":..,"sittings":..}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/results/equalities.hpp"
#include "shared/time/clock.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/server_world.hpp"

using namespace vigil;
namespace srv = vigil::server;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_sittings = 10'000;
constexpr int k_declared = 8'000;
constexpr int k_flagged_every = 10;
const std::string k_password = "benchmark password 1";
const std::string k_window = "bench-window";

template <typename T>
T must(Result<T> r, const char* what) { return bench::must(std::move(r), "bench_equalities", what); }
void must(Status s, const char* what) { bench::must(std::move(s), "bench_equalities", what); }

using bench::percentile;

// A spread of answers, some groups small enough to be withheld.
const char* pick(const results::EqualitiesCharacteristic& c, int i) {
  return c.options[static_cast<std::size_t>((i * 7 + static_cast<int>(c.field.size())) % static_cast<int>(c.option_count))]
      .code.data();
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path("build/bench-equalities");
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 50;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::cout << "equalities report benchmark in " << dir.string() << " (" << bench::fs_type(dir) << ")\n";
  // The server as `vigil-server serve` builds it (tests/support/server_world.hpp), in dir/home.
  testing::ServerWorld w({}, time::system_clock().wall_ms(), dir / "home");
  auto* repo = w.repo;
  auto& staff = *w.staff;
  auto& results_repo = *w.results;
  auto& eq = *w.equalities;
  const auto& home = w.home;
  const auto& clock = w.clock;

  const auto seed_start = Clock::now();
  const std::int64_t now = clock.wall_ms();
  const auto& chars = results::equalities_characteristics();
  must(repo->transaction([&]() -> Status {
    VIGIL_TRY(repo->add_council("c00", "Council", now));
    VIGIL_TRY(repo->add_package({k_window, 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4), now}, "{}"));
    for (int i = 0; i < k_sittings; ++i) {
      const auto cand = "cand-" + std::to_string(i);
      const auto sitting = "sit-" + std::to_string(i);
      VIGIL_TRY(repo->add_candidate({cand, "c00", "Candidate " + std::to_string(i), "", "practitioner"}, now));
      VIGIL_TRY(repo->put_sitting({sitting, cand, k_window, 1, now, now + 3'600'000}, now));
      const auto outcome = i % 4 == 0 ? results::Outcome::not_met : results::Outcome::met;
      VIGIL_TRY(results_repo.put_result(testing::result_row(sitting, cand, testing::sample_score(k_window, outcome), now)));
      if (i < k_declared) {
        results::EqualitiesDeclaration d;
        for (const auto& c : chars) d.get(c.field) = std::string(pick(c, i));
        VIGIL_TRY(srv::put_equalities(eq, home.keys, cand, d, clock));
      }
      if (i % k_flagged_every == 0) {
        char dev[40];
        std::snprintf(dev, sizeof dev, "%032x", i + 1);
        VIGIL_TRY(repo->add_device({dev, cand, std::to_string(i), Bytes(32, 1), now, std::nullopt}));
        VIGIL_TRY(repo->add_flag({dev, sitting, 1, "bad_manifest", "bench"}, now));
      }
    }
    return {};
  }), "seed");
  must(srv::create_staff_user(*repo, staff, "admin@bench.example.org", "Admin", "programme_admin", "", k_password, clock, testing::k_test_scrypt),
       "admin");
  const double seed_s = std::chrono::duration<double>(Clock::now() - seed_start).count();
  std::cout << "seeded " << k_sittings << " scored sittings, " << k_declared << " declarations, "
            << k_sittings / k_flagged_every << " flagged sessions in " << seed_s << " s\n";

  // Completes the admin's first sign-in (own password, TOTP set-up) through the real endpoints.
  const auto cookie = "vigil_staff=" + w.accounts.sign_in("admin@bench.example.org", k_password).cookie;

  const auto time_get = [&](const std::string& target, std::size_t* bytes) {
    return bench::timed_get([&](const protocol::HttpRequest& r) { return w.handle(r); }, "bench_equalities", cookie, target, bytes);
  };
  std::vector<double> report_ms, csv_ms;
  std::size_t report_bytes = 0, csv_bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    report_ms.push_back(time_get("/staff/api/reports/" + k_window + "/equalities", &report_bytes));
    csv_ms.push_back(time_get("/staff/api/reports/" + k_window + "/equalities.csv", &csv_bytes));
  }
  std::printf("equalities report (JSON, %zu bytes): p50 %.1f ms, p95 %.1f ms over %d requests\n", report_bytes,
              percentile(report_ms, 0.5), percentile(report_ms, 0.95), rounds);
  std::printf("equalities report (CSV, %zu bytes):  p50 %.1f ms, p95 %.1f ms over %d requests\n", csv_bytes,
              percentile(csv_ms, 0.5), percentile(csv_ms, 0.95), rounds);
  std::cout << nlohmann::json{{"equalities_report_p95_ms", percentile(report_ms, 0.95)},
                              {"equalities_csv_p95_ms", percentile(csv_ms, 0.95)},
                              {"sittings", k_sittings}}
                   .dump()
            << "\n";
  return 0;
}
