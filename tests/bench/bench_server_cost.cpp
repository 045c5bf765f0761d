// tests/bench/run.sh server, d) cost per session: the server's CPU time per synced session with
// ~100 sessions stored and again with ~10,000 (seeded quickly with small sessions from a few
// devices).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "tests/bench/bench_server.hpp"

namespace vigil::bench::load {

namespace {

Probe run_probe(VigilServer& server, Device& d, int sessions, int stored_before) {
  warm(d);
  d.timed->reset();
  const double cpu0 = cpu_seconds(server.pid()), own0 = own_cpu_seconds();
  const auto t0 = Clock::now();
  const auto out = sync_device(d, t0 + std::chrono::seconds(180));
  const double wall = seconds_since(t0);
  const double cpu = cpu_seconds(server.pid()) - cpu0, own = own_cpu_seconds() - own0;
  if (!out.done) throw std::runtime_error("probe " + d.label + " did not finish: " + out.last_error);
  return {cpu * 1000.0 / sessions, wall * 1000.0 / sessions, own * 1000.0 / sessions, stored_before};
}

}  // namespace

std::vector<Probe> run_probes(VigilServer& server, std::vector<std::unique_ptr<Device>>& probes, int sessions, int& stored) {
  std::vector<Probe> out;
  for (auto& d : probes) {
    out.push_back(run_probe(server, *d, sessions, stored));
    stored += sessions;
  }
  return out;
}

int seed(std::vector<std::unique_ptr<Device>>& seeders, int count, int records, Clock::time_point deadline) {
  if (count <= 0) return 0;
  std::atomic<int> done{0};
  std::mutex mu;
  std::string error;
  std::vector<std::thread> threads;
  const int n = static_cast<int>(seeders.size());
  for (int i = 0; i < n; ++i) {
    const int share = count / n + (i < count % n ? 1 : 0);
    threads.emplace_back([&, i, share] {
      try {
        Device& d = *seeders[static_cast<std::size_t>(i)];
        for (int left = share; left > 0 && Clock::now() < deadline;) {
          const int chunk = std::min(left, 250);
          for (int k = 0; k < chunk; ++k) prepare_session(d, records);
          const auto out = sync_device(d, deadline);
          if (!out.done) throw std::runtime_error("seeding " + d.label + " stopped: " + (out.last_error.empty() ? "time limit" : out.last_error));
          done += chunk;
          left -= chunk;
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        if (error.empty()) error = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!error.empty()) std::cerr << "bench: " << error << "\n";
  return done.load();
}

CostFigures report_cost(const Options& o, const VigilServer& server, const std::vector<Probe>& small,
                        const std::vector<Probe>& large, int seeded, double seed_s, int stored) {
  std::vector<double> small_cpu, large_cpu, small_wall, large_wall;
  for (const auto& p : small) small_cpu.push_back(p.cpu_ms_per_session), small_wall.push_back(p.wall_ms_per_session);
  for (const auto& p : large) large_cpu.push_back(p.cpu_ms_per_session), large_wall.push_back(p.wall_ms_per_session);
  const double cost_ratio = median(large_cpu) / median(small_cpu);
  const double wall_ratio = median(large_wall) / median(small_wall);
  std::printf("\nd) cost per session (%d sessions x %d records from a fresh device, %d runs; median):\n", o.probe_sessions,
              o.records_per_session, o.probe_reps);
  std::printf("  seeding: %d sessions of %d records from %d devices in %.1f s\n", seeded, o.seed_records, o.seed_devices, seed_s);
  for (const auto* set : {&small, &large}) {
    std::string runs;
    for (const auto& p : *set) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%.2f", runs.empty() ? "" : " ", p.cpu_ms_per_session);
      runs += buf;
    }
    std::vector<double> client_cpu;
    for (const auto& p : *set) client_cpu.push_back(p.client_cpu_ms_per_session);
    std::printf("  ~%6s stored: server CPU %.2f ms/session (runs: %s), wall %.2f ms/session, device CPU %.2f ms/session\n",
                thousands(set->front().stored_before).c_str(), median(set == &small ? small_cpu : large_cpu), runs.c_str(),
                median(set == &small ? small_wall : large_wall), median(client_cpu));
  }
  std::printf("  ratio %.2f (wall %.2f)   target flat (<= 1.20 here)   %s\n", cost_ratio, wall_ratio,
              verdict(cost_ratio <= 1.20));
  std::printf("  server RSS %.1f MB (peak %.1f MB) with %s sessions stored\n", status_mb(server.pid(), "VmRSS"),
              status_mb(server.pid(), "VmHWM"), thousands(stored).c_str());
  return {cost_ratio, wall_ratio, median(small_cpu), median(large_cpu)};
}

}  // namespace vigil::bench::load
