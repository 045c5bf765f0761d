#pragma once
// What the parts of `tests/bench/run.sh server` share (bench_server.cpp describes the run): the
// options, small helpers, the server's process figures, the vigil-server child, the simulated
// devices and a raw TLS client. Each measured scenario has its own file:
//   bench_server_ingest.cpp      a) ingest from N devices at once
//   bench_server_handshakes.cpp  b) new TLS 1.3 connections/s, vigil-server vs `openssl s_server`
//   bench_server_idle.cpp        c) RSS with 1,000 idle kept-alive connections
//   bench_server_cost.cpp        d) server CPU per session at ~100 vs ~10,000 stored sessions
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <sys/resource.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/https_transport.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::bench::load {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  int devices = 8;                 // a) simulated devices syncing at once
  int sessions_per_device = 40;    // a) sessions each
  int records_per_session = 200;   // a), d) records per session (started + answers/events + submitted)
  int hs_threads = 4;              // b) client threads opening connections
  double hs_seconds = 10.0;        // b) per server, in two alternating rounds
  int idle_connections = 1000;     // c)
  int sessions_small = 100;        // d) stored sessions for the first cost measurement
  int sessions_large = 10'000;     // d) ... and for the second
  int probe_sessions = 30;         // d) sessions per cost measurement (one fresh device each)
  int probe_reps = 3;              // d) measurements at each size (median taken)
  int seed_devices = 4;            // d) devices that seed the stored sessions
  int seed_records = 5;            // d) records per seeded session
  double seed_limit_s = 300.0;     // d) upper bound on seeding time
  int server_threads = 0;          // 0: keep config.json's "threads"
  fs::path client_dir;             // where client stores live; default /dev/shm when writable
};

// ---------------------------------------------------------------- small helpers

double seconds_since(Clock::time_point t0);
// The value at percent p (0..100) of v, nearest rank; 0 for none.
double percentile(std::vector<double> v, double p);
double median(std::vector<double> v);

template <class R>
auto must(R&& r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
  if constexpr (!std::is_void_v<typename std::decay_t<R>::value_type>) return std::move(*r);
}

std::string read_text(const fs::path& p);
std::string load_average();
std::string thousands(double v);
const char* verdict(bool ok);

// ---------------------------------------------------------------- the server's process figures

double status_mb(pid_t pid, const std::string& field);
int status_int(pid_t pid, const std::string& field);
double cpu_seconds(pid_t pid);
double run_queue_wait_seconds(pid_t pid);
double io_write_bytes(pid_t pid);
double own_cpu_seconds();
rlim_t raise_nofile();

// ---------------------------------------------------------------- the vigil-server child

class VigilServer {
 public:
  explicit VigilServer(const Options& o);
  ~VigilServer() { stop(); }
  VigilServer(const VigilServer&) = delete;
  VigilServer& operator=(const VigilServer&) = delete;

  int stop();
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  std::uint16_t port() const { return port_; }
  int threads() const { return threads_; }
  const fs::path& home() const { return dir_.path(); }
  protocol::ClientTrust trust() const;
  std::string enrolment_code(const std::string& candidate_id);

 private:
  testing::TempDir dir_;
  std::unique_ptr<testing::Child> child_;
  std::uint16_t port_ = 0;
  int threads_ = 1;
};

// ---------------------------------------------------------------- simulated devices

// Times every request; keeps the latencies of the record-batch POSTs.
class TimedTransport final : public client::sync::Transport {
 public:
  explicit TimedTransport(client::sync::Transport& inner) : inner_(inner) {}
  Result<protocol::HttpResponse> roundtrip(const protocol::HttpRequest& request) override;
  void reset() {
    batch_ms.clear();
    requests = failures = batch_bytes = 0;
  }

  std::vector<double> batch_ms;
  std::uint64_t requests = 0, failures = 0, batch_bytes = 0;

 private:
  client::sync::Transport& inner_;
};

struct Device {
  std::string label;
  std::unique_ptr<client::store::Store> store;
  std::unique_ptr<client::sync::HttpsTransport> https;
  std::unique_ptr<TimedTransport> timed;
  int next_session = 0;
  std::mt19937_64 rng;
};

std::unique_ptr<Device> enrol_device(VigilServer& server, const fs::path& client_root, const std::string& label);
// Connects the device's keep-alive connection, so that timed syncs do not include its handshake.
void warm(Device& d);
// One whole session, stored locally (`records` journal records of ~100-400 bytes).
void prepare_session(Device& d, int records);

struct SyncOutcome {
  bool done = false;
  int passes = 0;
  int errors = 0;
  std::string last_error;
};

// run_once until everything is sent and every receipt is in; bounded in passes and time.
SyncOutcome sync_device(Device& d, Clock::time_point deadline);
// Runs jobs on `workers` threads; the first exception is rethrown here.
void run_parallel(std::vector<std::function<void()>> jobs, unsigned workers);
unsigned cores();

// ---------------------------------------------------------------- raw TLS client (phases b, c)

std::string ssl_error_text();
// A TLS 1.3-only client context without session resumption (every connection a full handshake),
// with the device's certificate chain and key when given.
SSL_CTX* client_ctx(const std::string& cert_chain_pem = {}, const crypto::SecretBytes* key_pem = nullptr);
int tcp_connect(std::uint16_t port, std::string& err);
bool is_http_200(const std::string& r);
// Connect, full TLS 1.3 handshake, "GET /v1/health" (Connection: close), read to the end, close.
bool one_connection(SSL_CTX* ctx, std::uint16_t port, std::string& err);
// Reads one HTTP response (headers and Content-Length body) without waiting for a close.
bool read_response(SSL* ssl, std::string& resp);

// ---------------------------------------------------------------- the scenarios

struct IngestFigures {
  double sessions_per_s = 0, records_per_s = 0, batch_p50 = 0, batch_p99 = 0, rss_after = 0;
};
// a) The `ingest` devices (sessions prepared, `records` records and `payload` bytes in their
// outboxes) sync at once; prints the figures.
IngestFigures run_ingest(const Options& o, VigilServer& server, std::vector<std::unique_ptr<Device>>& ingest,
                         std::uint64_t records, std::uint64_t payload);

struct HandshakeFigures {
  double vigil_per_s = 0, openssl_per_s = 0, ratio = 0, cpu_ratio = 0;
};
// b) New connections against vigil-server and `openssl s_server`; prints the figures.
HandshakeFigures run_handshakes(const Options& o, const VigilServer& server);

struct IdleFigures {
  double rss = 0;
  int opened = 0;
};
// c) Idle kept-alive connections with `device`'s certificate; prints the figures.
IdleFigures run_idle(const Options& o, const VigilServer& server, Device& device);

struct Probe {
  double cpu_ms_per_session = 0, wall_ms_per_session = 0, client_cpu_ms_per_session = 0;
  int stored_before = 0;
};
// d) Each probe device syncs its `sessions` prepared sessions in turn; `stored` counts them in.
std::vector<Probe> run_probes(VigilServer& server, std::vector<std::unique_ptr<Device>>& probes, int sessions, int& stored);
// Seeds `count` small sessions from the seeding devices (prepared and synced in chunks), within
// `deadline`. Returns how many the server now holds from this call.
int seed(std::vector<std::unique_ptr<Device>>& seeders, int count, int records, Clock::time_point deadline);
struct CostFigures {
  double ratio = 0, wall_ratio = 0, small_cpu_ms = 0, large_cpu_ms = 0;
};
// d) Prints the cost per session at both sizes.
CostFigures report_cost(const Options& o, const VigilServer& server, const std::vector<Probe>& small,
                        const std::vector<Probe>& large, int seeded, double seed_s, int stored);

}  // namespace vigil::bench::load
