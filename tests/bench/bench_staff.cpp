// tests/bench/run.sh staff: the staff API's two busiest reads at programme scale.
//
// Seeds one server database through the real schema and repositories (the flag.raised records
// go in as the device API stores them, so the schema's triggers build the review queue exactly as
// in production): 20 councils, 30,000 endorsed candidates, 2,000 devices with one session each
// (some submitted, some with receipts), 100,000 flags (50 per session), released results for
// 15,000 candidates with re-endorsements and resits (the status reads them). Then times, through
// srv::StaffApi::handle (the pure request -> response function, JSON included; TLS excluded):
//   - the council status page API: GET /staff/api/councils/{c}/candidates (a page of 50, with and
//     without a status filter or a search) as that council's manager, and its summary;
//   - the proctor queue API: GET /staff/api/queue as a programme admin (every session) and as a
//     proctor (the sessions assigned to them).
// Readable figures, then one JSON line: {"status_p95_ms":..,"queue_p95_ms":..}. Target: <= 100 ms.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/results/resits.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/time/clock.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/server_world.hpp"

using namespace vigil;
namespace srv = vigil::server;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_councils = 20;
constexpr int k_candidates = 30'000;
constexpr int k_sessions = 2'000;
constexpr int k_flags_per_session = 50;
const std::string k_password = "benchmark password 1";

template <typename T>
T must(Result<T> r, const char* what) { return bench::must(std::move(r), "bench_staff", what); }
void must(Status s, const char* what) { bench::must(std::move(s), "bench_staff", what); }

std::string council_id(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "c%02d", i);
  return b;
}

using bench::percentile;

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path("build/bench-staff");
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 200;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::cout << "staff API benchmark in " << dir.string() << " (" << bench::fs_type(dir) << ")\n";
  // The server as `vigil-server serve` builds it (tests/support/server_world.hpp), in dir/home.
  testing::ServerWorld w({}, time::system_clock().wall_ms(), dir / "home");
  auto* repo = w.repo;
  auto& staff = *w.staff;
  const auto& clock = w.clock;

  // ---- seed (not timed for the figures; reported) ----
  const auto seed_start = Clock::now();
  const std::int64_t now = clock.wall_ms();
  must(repo->transaction([&]() -> Status {
    for (int c = 0; c < k_councils; ++c) {
      VIGIL_TRY(repo->add_council(council_id(c), "Council " + std::to_string(c), now));
      VIGIL_TRY(staff.set_headcount(council_id(c), 1'800, now));
    }
    for (int i = 0; i < k_candidates; ++i) {
      srv::EndorsementRow e;
      const auto id = "cand-" + std::to_string(i);
      e.candidate = {id, council_id(i % k_councils), "Candidate " + std::to_string(i) + " Surname" + std::to_string(i % 977),
                     "c" + std::to_string(i) + "@council.example.org", i % 3 == 0 ? "practice_supervisor" : "practitioner"};
      e.employee_ref = "E" + std::to_string(i);
      VIGIL_TRY(staff.add_endorsement(e, 0, now));
    }
    return {};
  }), "seed candidates");
  for (int s = 0; s < k_sessions; ++s) {
    must(repo->transaction([&]() -> Status {
      char dev[40];
      std::snprintf(dev, sizeof dev, "%032x", s + 1);
      const auto candidate = "cand-" + std::to_string(s * (k_candidates / k_sessions));
      VIGIL_TRY(repo->add_device({dev, candidate, std::to_string(s), Bytes(32, 1), now, std::nullopt}));
      const std::string session = "sess-" + std::to_string(s);
      srv::SessionRow row{dev, session, candidate, journal::Head::genesis("x"), std::nullopt, {}, {}};
      row.head.seq = k_flags_per_session;
      VIGIL_TRY(repo->put_session_head(row, now - (k_sessions - s) * 1000));
      for (int f = 0; f < k_flags_per_session; ++f) {
        const nlohmann::json payload{{"flag_id", "f" + std::to_string(f)},
                                     {"check", f % 2 ? "look_away" : "multi_face"},
                                     {"severity", (s + f) % 7 == 0 ? "high" : (s + f) % 3 == 0 ? "medium" : "low"},
                                     {"confidence", ((s * 31 + f * 17) % 100) / 100.0},
                                     {"start_wall_ms", now - (k_sessions - s) * 60'000 + f * 1000},
                                     {"evidence", nlohmann::json::array()}};
        protocol::RecordDto r;
        r.payload = to_bytes(payload.dump());
        r.record.seq = static_cast<std::uint64_t>(f + 1);
        r.record.boot_id = "boot";
        r.record.wall_ms = now;
        r.record.type = "flag.raised";
        r.record.payload_hash = crypto::sha256(r.payload);
        VIGIL_TRY(repo->insert_record(dev, session, r, now));
      }
      if (s % 2 == 0) VIGIL_TRY(repo->set_session_submitted(dev, session, k_flags_per_session, "{}"));
      return {};
    }), "seed sessions");
  }
  const auto admin_id = must(srv::create_staff_user(*repo, staff, "admin@bench.example.org", "Admin", "programme_admin", "",
                                                     k_password, clock, testing::k_test_scrypt), "admin");
  must(srv::create_staff_user(*repo, staff, "manager@bench.example.org", "Manager", "council_manager", council_id(0),
                               k_password, clock, testing::k_test_scrypt), "manager");
  const auto proctor = must(srv::create_staff_user(*repo, staff, "proctor@bench.example.org", "Proctor", "proctor", "",
                                                    k_password, clock, testing::k_test_scrypt), "proctor");
  must(repo->transaction([&]() -> Status {
    for (int s = 0; s < k_sessions; s += 10) {
      char dev[40];
      std::snprintf(dev, sizeof dev, "%032x", s + 1);
      VIGIL_TRY(staff.assign(dev, "sess-" + std::to_string(s), proctor, 1, now));
    }
    return {};
  }), "assign");
  // Released results for every second candidate (the status reads the latest per candidate),
  // a re-endorsement for every fourth not-met one and a scheduled resit for half of those.
  auto& results = *w.results;
  auto& resits = *w.resits;
  std::int64_t released = 0, reendorsed = 0;
  must(repo->transaction([&]() -> Status {
    for (const char* window : {"bench-w1", "bench-w2"}) {
      VIGIL_TRY(repo->add_package({window, 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4), now}, "{}"));
    }
    for (int i = 0; i < k_candidates; i += 2) {
      const auto cand = "cand-" + std::to_string(i);
      const auto sitting = "sit-" + std::to_string(i);
      if (auto r = repo->put_sitting({sitting, cand, "bench-w1", 1, now, now + 3'600'000}, now); !r) return fail(r.error());
      const bool met = (i / 2) % 2 == 0;
      VIGIL_TRY(results.put_result({sitting, cand, "bench-w1", 1, met ? "met" : "not_met", "{}", now, std::nullopt}));
      if (!met && (i / 2) % 4 == 1) {
        VIGIL_TRY(resits.add_resit({sitting, cand, 2, admin_id, now, std::nullopt}));
        ++reendorsed;
        if ((i / 2) % 8 == 1) {
          const auto resit = "resit-" + std::to_string(i);
          if (auto r = repo->put_sitting({resit, cand, "bench-w2", 1, now, now + 3'600'000}, now); !r) return fail(r.error());
          VIGIL_TRY(resits.link_resit(sitting, resit, now));
        }
      }
    }
    VIGIL_ASSIGN(auto counts, results.release("bench-w1", now));
    released = counts.released;
    return {};
  }), "seed results");
  const double seed_s = std::chrono::duration<double>(Clock::now() - seed_start).count();
  const auto flags = must(repo->db().query_int("SELECT count(*) FROM review_flags"), "count flags");
  const auto queued = must(repo->db().query_int("SELECT count(*) FROM review_sessions"), "count sessions");
  std::cout << "seeded " << k_councils << " councils, " << k_candidates << " candidates, " << k_sessions << " sessions, "
            << flags << " flags (" << queued << " sessions in the queue), " << released << " released results, "
            << reendorsed << " re-endorsements in " << seed_s << " s\n";

  // ---- sign in ----
  // Completes each account's first sign-in (own password, TOTP set-up) through the real endpoints.
  const auto login = [&](const std::string& email) { return "vigil_staff=" + w.accounts.sign_in(email, k_password).cookie; };
  const auto manager_cookie = login("manager@bench.example.org");
  const auto admin_cookie = login("admin@bench.example.org");
  const auto proctor_cookie = login("proctor@bench.example.org");

  const auto time_get = [&](const std::string& cookie, const std::string& target, std::size_t* bytes) {
    return bench::timed_get([&](const protocol::HttpRequest& r) { return w.handle(r); }, "bench_staff", cookie, target, bytes);
  };

  const std::vector<std::string> status_targets = {
      "/staff/api/councils/c00/candidates?limit=50",
      "/staff/api/councils/c00/candidates?limit=50&offset=700",
      "/staff/api/councils/c00/candidates?limit=50&status=in_progress",
      "/staff/api/councils/c00/candidates?limit=50&status=endorsed&offset=100",
      "/staff/api/councils/c00/candidates?limit=50&q=Surname12",
      "/staff/api/councils/c00/summary",
  };
  std::vector<double> status_ms, summary_ms, queue_ms, queue_admin_ms, queue_proctor_ms;
  std::size_t status_bytes = 0, queue_bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    const auto& t = status_targets[static_cast<std::size_t>(i) % status_targets.size()];
    const double ms = time_get(manager_cookie, t, &status_bytes);
    status_ms.push_back(ms);
    if (t.find("summary") != std::string::npos) summary_ms.push_back(ms);
    const bool as_admin = i % 2 == 0;
    const double q = time_get(as_admin ? admin_cookie : proctor_cookie, "/staff/api/queue?limit=100", &queue_bytes);
    queue_ms.push_back(q);
    (as_admin ? queue_admin_ms : queue_proctor_ms).push_back(q);
  }
  std::printf("council status API (page of 50, filters, search, summary): p50 %.2f ms, p95 %.2f ms, max %.2f ms "
              "(%d requests; council of %d candidates)   target p95 <= 100 ms\n",
              percentile(status_ms, 0.5), percentile(status_ms, 0.95), percentile(status_ms, 1.0), rounds,
              k_candidates / k_councils);
  std::printf("  of which the summary: p95 %.2f ms\n", percentile(summary_ms, 0.95));
  std::printf("proctor queue API (100 of %lld sessions, by priority): p50 %.2f ms, p95 %.2f ms, max %.2f ms   target p95 <= 100 ms\n",
              static_cast<long long>(queued), percentile(queue_ms, 0.5), percentile(queue_ms, 0.95), percentile(queue_ms, 1.0));
  std::printf("  as programme admin (every session) p95 %.2f ms; as a proctor (%d assigned) p95 %.2f ms\n",
              percentile(queue_admin_ms, 0.95), k_sessions / 10, percentile(queue_proctor_ms, 0.95));
  std::cout << nlohmann::json{{"status_p95_ms", std::round(percentile(status_ms, 0.95) * 100) / 100},
                              {"queue_p95_ms", std::round(percentile(queue_ms, 0.95) * 100) / 100},
                              {"candidates", k_candidates}, {"sessions", k_sessions}, {"flags", flags}}
                   .dump()
            << std::endl;
  return 0;
}
