// tests/bench/run.sh server, a) ingest: N enrolled devices, each with its own client store and
// whole sessions prepared locally (not timed), sync them concurrently through their SyncEngine
// (timed): sessions/s, records/s, latency of the record-batch POSTs, server RSS.
#include <algorithm>
#include <cstdio>
#include <latch>
#include <thread>

#include "tests/bench/bench_server.hpp"

namespace vigil::bench::load {

IngestFigures run_ingest(const Options& o, VigilServer& server, std::vector<std::unique_ptr<Device>>& ingest,
                         std::uint64_t records, std::uint64_t payload) {
  for (auto& d : ingest) {
    warm(*d);
    d->timed->reset();
  }
  std::latch go(static_cast<std::ptrdiff_t>(ingest.size()) + 1);
  std::vector<SyncOutcome> outcomes(ingest.size());
  std::vector<double> finish_s(ingest.size());
  Clock::time_point t0;
  double ingest_cpu0 = 0, ingest_wait0 = 0, ingest_io0 = 0, own_cpu0 = 0;
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ingest.size(); ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        const auto start = Clock::now();
        outcomes[i] = sync_device(*ingest[i], start + std::chrono::seconds(300));
        finish_s[i] = seconds_since(start);
      });
    }
    ingest_cpu0 = cpu_seconds(server.pid());
    ingest_wait0 = run_queue_wait_seconds(server.pid());
    ingest_io0 = io_write_bytes(server.pid());
    own_cpu0 = own_cpu_seconds();
    t0 = Clock::now();
    go.count_down();
    for (auto& t : threads) t.join();
  }
  const double ingest_wall = seconds_since(t0);
  const double ingest_server_cpu = cpu_seconds(server.pid()) - ingest_cpu0;
  const double ingest_client_cpu = own_cpu_seconds() - own_cpu0;
  const double ingest_server_wait = run_queue_wait_seconds(server.pid()) - ingest_wait0;
  const double ingest_written = io_write_bytes(server.pid()) - ingest_io0;
  std::vector<double> batch_ms;
  std::uint64_t requests = 0, failures = 0, batch_bytes = 0;
  for (std::size_t i = 0; i < ingest.size(); ++i) {
    if (!outcomes[i].done) throw std::runtime_error(ingest[i]->label + " did not finish syncing: " + outcomes[i].last_error);
    const auto left = must(ingest[i]->store->outbox_counts(), "outbox_counts");
    const auto waiting = must(ingest[i]->store->sessions_awaiting_receipt(), "sessions_awaiting_receipt");
    if (left.records != 0 || !waiting.empty()) throw std::runtime_error(ingest[i]->label + " still has records or receipts pending");
    auto& t = *ingest[i]->timed;
    batch_ms.insert(batch_ms.end(), t.batch_ms.begin(), t.batch_ms.end());
    requests += t.requests;
    failures += t.failures;
    batch_bytes += t.batch_bytes;
  }
  const int ingest_sessions = o.devices * o.sessions_per_device;
  const double sessions_per_s = ingest_sessions / ingest_wall;
  const double records_per_s = static_cast<double>(records) / ingest_wall;
  const double batch_p50 = percentile(batch_ms, 50), batch_p99 = percentile(batch_ms, 99);
  const double rss_after_ingest = status_mb(server.pid(), "VmRSS");
  std::printf("\na) ingest: %d devices x %d sessions x %d records (%s records, mean payload %.0f B), synced at once\n",
              o.devices, o.sessions_per_device, o.records_per_session, thousands(static_cast<double>(records)).c_str(),
              static_cast<double>(payload) / static_cast<double>(std::max<std::uint64_t>(records, 1)));
  std::printf("  wall %.2f s (devices finished after %.2f-%.2f s); %llu requests, %llu failed\n", ingest_wall,
              *std::min_element(finish_s.begin(), finish_s.end()), *std::max_element(finish_s.begin(), finish_s.end()),
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(failures));
  std::printf("  sessions/s %10.1f\n", sessions_per_s);
  std::printf("  records/s  %10s   target >= 20,000   %s\n", thousands(records_per_s).c_str(), verdict(records_per_s >= 20'000));
  std::printf("  record-batch POST (%zu, mean %.0f KB): p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", batch_ms.size(),
              static_cast<double>(batch_bytes) / 1024.0 / static_cast<double>(std::max<std::size_t>(batch_ms.size(), 1)),
              batch_p50, batch_p99, batch_ms.empty() ? 0.0 : *std::max_element(batch_ms.begin(), batch_ms.end()));
  std::printf("  server CPU %.2f s = %.2f cores busy, %.1f us/record; waited %.2f s for a CPU; wrote %.1f MB (%.0f B/record)\n",
              ingest_server_cpu, ingest_server_cpu / ingest_wall, ingest_server_cpu * 1e6 / static_cast<double>(records),
              ingest_server_wait, ingest_written / 1e6, ingest_written / static_cast<double>(records));
  std::printf("  the simulated devices (this process) used %.2f s CPU\n", ingest_client_cpu);
  std::printf("  server RSS %.1f MB (peak %.1f MB), %d threads\n", rss_after_ingest, status_mb(server.pid(), "VmHWM"),
              status_int(server.pid(), "Threads"));
  std::fflush(stdout);
  return {sessions_per_s, records_per_s, batch_p50, batch_p99, rss_after_ingest};
}

}  // namespace vigil::bench::load
