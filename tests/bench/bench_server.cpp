// tests/bench/run.sh server: the sync server under load, on 127.0.0.1, in one run.
//
//  a) Ingest: N enrolled devices, each with its own client store, prepare whole sessions locally
//     (not timed), then sync them concurrently through their SyncEngine (timed): sessions/s,
//     records/s, latency of the record-batch POSTs, server RSS.
//  b) Handshakes: new TLS 1.3 connections per second (connect, full handshake, one GET, close)
//     against vigil-server and, with the same client loop, against `openssl s_server` with the
//     same certificate and key, in alternating rounds so that drift in the machine's load affects
//     both alike.
//  c) Idle connections: the server's RSS while it holds 1,000 kept-alive TLS connections.
//  d) Cost per session: the server's CPU time per synced session with ~100 sessions stored and
//     again with ~10,000 (seeded quickly with small sessions from a few devices).
//
// Each scenario has its own file (bench_server.hpp lists them); this one runs them in order.
// The server is the real vigil-server binary as a child process: the client links SQLCipher and
// the server plain SQLite, which must never share a process. Readable figures, the targets next
// to them, and as the last line one line of JSON.
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/bench/bench_server.hpp"
#include "tests/bench/bench_util.hpp"

namespace vigil::bench::load {
namespace {

[[noreturn]] void usage() {
  std::cerr << "usage: vigil_bench_server [--devices N] [--sessions N] [--records N] [--hs-threads N]\n"
               "         [--hs-seconds S] [--idle N] [--sessions-small N] [--sessions-large N]\n"
               "         [--probe-sessions N] [--probe-reps N] [--seed-devices N] [--seed-limit S]\n"
               "         [--server-threads N] [--client-dir DIR]\n";
  std::exit(64);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const std::string v = argv[++i];
    auto num = [&](int lo) {
      const int n = std::atoi(v.c_str());
      if (n < lo) usage();
      return n;
    };
    if (a == "--devices") o.devices = num(1);
    else if (a == "--sessions") o.sessions_per_device = num(1);
    else if (a == "--records") o.records_per_session = num(3);
    else if (a == "--hs-threads") o.hs_threads = num(1);
    else if (a == "--hs-seconds") o.hs_seconds = std::max(1.0, std::atof(v.c_str()));
    else if (a == "--idle") o.idle_connections = num(1);
    else if (a == "--sessions-small") o.sessions_small = num(1);
    else if (a == "--sessions-large") o.sessions_large = num(1);
    else if (a == "--probe-sessions") o.probe_sessions = num(1);
    else if (a == "--probe-reps") o.probe_reps = num(1);
    else if (a == "--seed-devices") o.seed_devices = num(1);
    else if (a == "--seed-limit") o.seed_limit_s = std::max(10.0, std::atof(v.c_str()));
    else if (a == "--server-threads") o.server_threads = num(1);
    else if (a == "--client-dir") o.client_dir = v;
    else usage();
  }
  return o;
}

// Removes the client stores' folder on every way out.
struct DirGuard {
  fs::path path;
  ~DirGuard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

int run(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  const auto t_start = Clock::now();
  const rlim_t nofile = raise_nofile();
  if (nofile < static_cast<rlim_t>(o.idle_connections) + 256) {
    std::cerr << "bench: RLIMIT_NOFILE is " << nofile << ", too low for " << o.idle_connections << " connections\n";
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);

  // Client stores on tmpfs when possible: the simulated devices stand for separate machines, and
  // their fsyncs must not queue on the disk the server writes to.
  fs::path client_base = o.client_dir;
  if (client_base.empty()) client_base = ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
  DirGuard clients{client_base / ("vigil-bench-clients-" + std::to_string(::getpid()))};
  fs::remove_all(clients.path);
  fs::create_directories(clients.path);

  const std::string load_before = load_average();
  VigilServer server(o);
  std::printf("server benchmark: vigil-server (%d io threads, config.json \"threads\") on 127.0.0.1:%u, %u cores, "
              "load average %s at start\n",
              server.threads(), server.port(), cores(), load_before.c_str());
  std::printf("  server home %s (%s), client stores %s (%s)\n", server.home().c_str(), bench::fs_type(server.home()).c_str(),
              clients.path.c_str(), bench::fs_type(clients.path).c_str());
  std::fflush(stdout);

  // ---- enrolment (not timed)
  std::vector<std::unique_ptr<Device>> ingest, seeders, probes_small, probes_large;
  for (int i = 0; i < o.devices; ++i) ingest.push_back(enrol_device(server, clients.path, "dev-" + std::to_string(i)));
  for (int i = 0; i < o.seed_devices; ++i) seeders.push_back(enrol_device(server, clients.path, "seed-" + std::to_string(i)));
  for (int i = 0; i < o.probe_reps; ++i) {
    probes_small.push_back(enrol_device(server, clients.path, "probe-small-" + std::to_string(i)));
    probes_large.push_back(enrol_device(server, clients.path, "probe-large-" + std::to_string(i)));
  }

  // ---- prepare every measured session locally (not timed)
  {
    std::vector<std::function<void()>> jobs;
    for (auto& d : ingest) {
      jobs.emplace_back([&d, &o] {
        for (int s = 0; s < o.sessions_per_device; ++s) prepare_session(*d, o.records_per_session);
      });
    }
    for (auto* set : {&probes_small, &probes_large}) {
      for (auto& d : *set) {
        jobs.emplace_back([&d, &o] {
          for (int s = 0; s < o.probe_sessions; ++s) prepare_session(*d, o.records_per_session);
        });
      }
    }
    const auto tp = Clock::now();
    run_parallel(std::move(jobs), cores());
    std::printf("  %zu devices enrolled; %d sessions of %d records prepared locally in %.1f s (not timed)\n",
                ingest.size() + seeders.size() + probes_small.size() + probes_large.size(),
                o.devices * o.sessions_per_device + 2 * o.probe_reps * o.probe_sessions, o.records_per_session,
                seconds_since(tp));
    std::fflush(stdout);
  }
  std::uint64_t ingest_records = 0, ingest_payload = 0;
  for (auto& d : ingest) {
    const auto c = must(d->store->outbox_counts(), "outbox_counts");
    ingest_records += c.records;
    ingest_payload += c.payload_bytes;
  }

  int stored = 0;  // sessions the server holds (all of them come from this run)
  const auto seed_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seed_limit_s));

  // ---- d) cost per session with ~sessions_small stored
  stored += seed(seeders, o.sessions_small - stored, o.seed_records, seed_deadline);
  const std::vector<Probe> small = run_probes(server, probes_small, o.probe_sessions, stored);

  // ---- a) ingest
  const IngestFigures in = run_ingest(o, server, ingest, ingest_records, ingest_payload);
  stored += o.devices * o.sessions_per_device;

  // ---- b) handshakes
  const HandshakeFigures hs = run_handshakes(o, server);

  // ---- c) idle kept-alive connections, each with a device certificate (as real devices connect)
  const IdleFigures idle = run_idle(o, server, *ingest.front());

  // ---- d) cost per session with ~sessions_large stored
  const auto t_seed = Clock::now();
  const int seeded = seed(seeders, o.sessions_large - stored, o.seed_records, seed_deadline);
  stored += seeded;
  const double seed_s = seconds_since(t_seed);
  const std::vector<Probe> large = run_probes(server, probes_large, o.probe_sessions, stored);
  const CostFigures cost = report_cost(o, server, small, large, seeded, seed_s, stored);

  const int server_threads = server.threads();
  const int stop_rc = server.stop();
  std::printf("\n  total %.0f s; load average %s at start, %s at end; server stopped with %d\n", seconds_since(t_start),
              load_before.c_str(), load_average().c_str(), stop_rc);

  const nlohmann::json out{{"records_per_s", std::round(in.records_per_s)},
                           {"handshake_ratio", std::round(hs.ratio * 1000) / 1000},
                           {"rss_mb_1000_idle", std::round(idle.rss * 10) / 10},
                           {"session_cost_ratio_10000_vs_100", std::round(cost.ratio * 1000) / 1000},
                           {"sessions_per_s", std::round(in.sessions_per_s * 10) / 10},
                           {"batch_p50_ms", std::round(in.batch_p50 * 1000) / 1000},
                           {"batch_p99_ms", std::round(in.batch_p99 * 1000) / 1000},
                           {"handshake_cpu_ratio", std::round(hs.cpu_ratio * 1000) / 1000},
                           {"handshakes_per_s_vigil", std::round(hs.vigil_per_s)},
                           {"handshakes_per_s_openssl", std::round(hs.openssl_per_s)},
                           {"server_threads", server_threads},
                           {"rss_mb_after_ingest", std::round(in.rss_after * 10) / 10},
                           {"idle_connections", idle.opened},
                           {"session_cpu_ms_small", std::round(cost.small_cpu_ms * 1000) / 1000},
                           {"session_cpu_ms_large", std::round(cost.large_cpu_ms * 1000) / 1000},
                           {"session_wall_ratio_10000_vs_100", std::round(cost.wall_ratio * 1000) / 1000},
                           {"stored_sessions_small", small.front().stored_before},
                           {"stored_sessions_large", large.front().stored_before}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace vigil::bench::load

int main(int argc, char** argv) try {
  return vigil::bench::load::run(argc, argv);
} catch (const std::exception& e) {
  std::cerr << "bench: " << e.what() << "\n";
  return 1;
}
