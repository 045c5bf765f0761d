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
// The server is the real vigil-server binary as a child process: the client links SQLCipher and
// the server plain SQLite, which must never share a process. Readable figures, the targets next
// to them, and as the last line one line of JSON.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "client/store/store.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/test_server.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/https_transport.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef VIGIL_SERVER_EXE
#error "VIGIL_SERVER_EXE must name the vigil-server executable"
#endif

namespace fs = std::filesystem;
using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- options and small helpers

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

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

template <class R>
auto must(R&& r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
  if constexpr (!std::is_void_v<typename std::decay_t<R>::value_type>) return std::move(*r);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}


std::string load_average() {
  std::string s = read_text("/proc/loadavg");
  const auto third = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
  return third == std::string::npos ? s : s.substr(0, third);
}

std::string thousands(double v) {
  const auto n = static_cast<long long>(v + 0.5);
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

// ---------------------------------------------------------------- the server's process figures

// "VmRSS:" and friends from /proc/<pid>/status, in MB (kB / 1024); -1 if unreadable.
double status_mb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) / 1024.0;
  }
  return -1.0;
}

int status_int(pid_t pid, const std::string& field) {
  return static_cast<int>(status_mb(pid, field) * 1024.0 + 0.5);
}

// CPU time of a process, in seconds: the sum of its threads' on-CPU nanoseconds (schedstat; user
// and system, far finer than the 10 ms ticks of utime+stime), or utime+stime if schedstat is
// missing. Only live threads count: both servers measured keep theirs for their whole life.
double cpu_seconds(pid_t pid) {
  const fs::path task = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  double ns = 0;
  bool any = false;
  for (const auto& e : fs::directory_iterator(task, ec)) {
    std::ifstream in(e.path() / "schedstat");
    unsigned long long v = 0;
    if (in >> v) {
      ns += static_cast<double>(v);
      any = true;
    }
  }
  if (any) return ns / 1e9;
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::string f;
  for (std::size_t i = close + 2; i <= stat.size(); ++i) {
    if (i == stat.size() || stat[i] == ' ') {
      fields.push_back(f);
      f.clear();
    } else {
      f += stat[i];
    }
  }
  // After ")": state is field 3, utime 14, stime 15 (1-based in proc(5)); here index 0 = field 3.
  if (fields.size() < 13) return 0;
  const double ticks = std::atof(fields[11].c_str()) + std::atof(fields[12].c_str());
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Seconds the process's live threads spent runnable but waiting for a CPU (schedstat's second
// field): how much the machine's other load (the simulated devices included) held the server back.
double run_queue_wait_seconds(pid_t pid) {
  std::error_code ec;
  double ns = 0;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(e.path() / "schedstat");
    unsigned long long on_cpu = 0, waiting = 0;
    if (in >> on_cpu >> waiting) ns += static_cast<double>(waiting);
  }
  return ns / 1e9;
}

// Bytes the process caused to be written to storage (/proc/<pid>/io write_bytes).
double io_write_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("write_bytes:", 0) == 0) return std::atof(line.c_str() + 12);
  }
  return 0;
}

double own_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Many sockets at once (phase c): the soft limit up to the hard one. Raised before the servers
// are spawned, so they inherit it.
rlim_t raise_nofile() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  const rlim_t want = std::min<rlim_t>(rl.rlim_max, 65'536);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

// ---------------------------------------------------------------- the vigil-server child

class VigilServer {
 public:
  explicit VigilServer(const Options& o) {
    const std::string home = dir_.path().string();
    auto r = testing::run({VIGIL_SERVER_EXE, "init", home, "--host", "127.0.0.1", "--port", "8443"});
    if (r.exit_code != 0) throw std::runtime_error("vigil-server init failed: " + r.output);
    // The bench drives far more requests per device and per address than the defaults allow.
    auto cfg = nlohmann::json::parse(read_text(dir_.path() / "config.json"));
    cfg["device_rate_per_second"] = 1e9;
    cfg["device_rate_burst"] = 1e9;
    if (o.server_threads > 0) cfg["threads"] = o.server_threads;
    threads_ = cfg.value("threads", 1);
    std::ofstream(dir_.path() / "config.json", std::ios::trunc) << cfg.dump(2) << "\n";

    child_ = std::make_unique<testing::Child>(std::vector<std::string>{VIGIL_SERVER_EXE, "serve", home, "--port", "0"});
    auto line = child_->wait_for_line("listening on", std::chrono::seconds(20));
    if (!line) throw std::runtime_error("vigil-server did not start: " + child_->output());
    port_ = testing::parse_listening_port(*line);
  }
  ~VigilServer() { stop(); }
  VigilServer(const VigilServer&) = delete;
  VigilServer& operator=(const VigilServer&) = delete;

  int stop() {
    if (!child_) return 0;
    const int rc = child_->stop(SIGTERM);
    child_.reset();
    return rc;
  }

  pid_t pid() const { return child_ ? child_->pid() : -1; }
  std::uint16_t port() const { return port_; }
  int threads() const { return threads_; }
  const fs::path& home() const { return dir_.path(); }

  protocol::ClientTrust trust() const {
    auto t = must(protocol::parse_client_trust(read_text(dir_.path() / "published" / "client-trust.json")), "client trust");
    t.port = port_;
    return t;
  }

  std::string enrolment_code(const std::string& candidate_id) {
    auto r = testing::run({VIGIL_SERVER_EXE, "admin", "add-candidate", dir_.path().string(), "--council", "leeds",
                           "--candidate", candidate_id, "--name", "Bench Candidate", "--valid-days", "14"});
    return testing::parse_enrolment_code(r);
  }

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
  Result<protocol::HttpResponse> roundtrip(const protocol::HttpRequest& request) override {
    const auto t0 = Clock::now();
    auto out = inner_.roundtrip(request);
    const double ms = seconds_since(t0) * 1000.0;
    ++requests;
    if (!out || out->status >= 400) ++failures;
    const std::string_view target = request.target;
    if (request.method == "POST" && target.size() > 8 && target.substr(target.size() - 8) == "/records") {
      batch_ms.push_back(ms);
      batch_bytes += request.body.size();
    }
    return out;
  }
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

std::unique_ptr<Device> enrol_device(VigilServer& server, const fs::path& client_root, const std::string& label) {
  auto d = std::make_unique<Device>();
  d->label = label;
  d->rng.seed(std::hash<std::string>{}(label));
  client::store::StoreOptions so;
  so.dir = client_root / label;
  so.key_storage = client::store::KeyStorePreference::file;
  d->store = must(client::store::Store::open(std::move(so)), "opening the store of " + label);
  must(client::sync::enrol(*d->store, server.trust(), server.enrolment_code("cand-" + label)), "enrolling " + label);
  d->https = must(client::sync::transport_for(*d->store), "transport of " + label);
  d->timed = std::make_unique<TimedTransport>(*d->https);
  return d;
}

// Connects the device's keep-alive connection, so that timed syncs do not include its handshake.
void warm(Device& d) {
  auto r = d.https->roundtrip(protocol::HttpRequest{"GET", "/v1/health", {}, {}});
  if (!r || r->status != 200) throw std::runtime_error(d.label + ": GET /v1/health failed");
}

constexpr std::array<const char*, 24> k_words = {
    "the",    "family",  "review",   "plan",    "risk",    "child",    "support", "agree",
    "visit",  "safety",  "worker",   "meeting", "evidence", "school",  "health",  "concern",
    "record", "decision", "consent", "parent",  "carer",   "strengths", "needs",  "outcome"};

std::string prose(std::mt19937_64& rng, std::size_t len) {
  std::string s;
  while (s.size() < len) {
    if (!s.empty()) s += ' ';
    s += k_words[rng() % k_words.size()];
  }
  s.resize(len);
  return s;
}

std::size_t uniform(std::mt19937_64& rng, std::size_t lo, std::size_t hi) { return lo + rng() % (hi - lo + 1); }

// One whole session, stored locally: session.started, answers and events, session.submitted
// (`records` journal records). Answers carry 40-330 characters of text and events 40-320 of
// detail, so record payloads are ~100-400 bytes.
void prepare_session(Device& d, int records) {
  auto& s = *d.store;
  const std::string sid = "s-" + std::to_string(d.next_session++);
  must(s.begin_session(sid, "naas-pr-1"), "begin_session");
  static constexpr std::array<const char*, 3> event_types = {"window.focus_lost", "proctor.face_check",
                                                             "input.paste_blocked"};
  for (int i = 0; i < records - 2; ++i) {
    char item[16];
    std::snprintf(item, sizeof item, "pr-k-%03d", i % 60);
    if (i % 4 == 3) {
      const nlohmann::json ev{{"v", 1},
                              {"item_id", item},
                              {"duration_ms", static_cast<int>(uniform(d.rng, 50, 90'000))},
                              {"detail", prose(d.rng, uniform(d.rng, 40, 320))}};
      must(s.record_event(sid, event_types[static_cast<std::size_t>(i) % event_types.size()], ev.dump()), "record_event");
    } else {
      must(s.save_answer(sid, item, prose(d.rng, uniform(d.rng, 40, 330))), "save_answer");
    }
  }
  must(s.submit_session(sid), "submit_session");
}

struct SyncOutcome {
  bool done = false;
  int passes = 0;
  int errors = 0;
  std::string last_error;
};

// run_once until everything is sent and every receipt is in; bounded in passes and time.
SyncOutcome sync_device(Device& d, Clock::time_point deadline) {
  SyncOutcome out;
  client::sync::SyncEngine engine(*d.store, *d.timed);
  while (out.passes < 10'000 && Clock::now() < deadline) {
    ++out.passes;
    auto r = engine.run_once();
    if (!r) {
      out.last_error = r.error().describe();
      if (++out.errors > 20 || r.error().code != Errc::unavailable) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (*r) {
      out.done = true;
      break;
    }
  }
  return out;
}

// Runs jobs on `workers` threads; the first exception is rethrown here.
void run_parallel(std::vector<std::function<void()>> jobs, unsigned workers) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::string error;
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < std::max(1u, workers); ++w) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < jobs.size(); i = next++) {
        try {
          jobs[i]();
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          if (error.empty()) error = e.what();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!error.empty()) throw std::runtime_error(error);
}

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// ---------------------------------------------------------------- raw TLS client (phases b, c)

std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return errno != 0 ? std::strerror(errno) : "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A TLS 1.3-only client context without session resumption: every connection is a full handshake.
// The server's certificate is not verified: the client's own work stays small (both servers face
// the same client) and the handshake on the wire is the same.
SSL_CTX* client_ctx(const std::string& cert_chain_pem = {}, const crypto::SecretBytes* key_pem = nullptr) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!cert_chain_pem.empty() && key_pem != nullptr) {
    BIO* bio = BIO_new_mem_buf(cert_chain_pem.data(), static_cast<int>(cert_chain_pem.size()));
    bool first = true;
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      const int ok = first ? SSL_CTX_use_certificate(ctx, x) : static_cast<int>(SSL_CTX_add1_chain_cert(ctx, x));
      X509_free(x);
      if (ok != 1) throw std::runtime_error("loading the device certificate: " + ssl_error_text());
      first = false;
    }
    BIO_free(bio);
    ERR_clear_error();  // the end of the PEM data
    BIO* kbio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio, nullptr, nullptr, nullptr);
    BIO_free(kbio);
    if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      throw std::runtime_error("loading the device key: " + ssl_error_text());
    }
    EVP_PKEY_free(key);
  }
  return ctx;
}

int tcp_connect(std::uint16_t port, std::string& err) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval tv{10, 0};  // no read or write waits longer: every connection is bounded
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    err = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes with a reset instead of leaving the port in TIME_WAIT: tens of thousands of short
// connections would otherwise run through the ephemeral ports.
void close_abortive(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool is_http_200(const std::string& r) { return r.rfind("HTTP/1.1 200", 0) == 0 || r.rfind("HTTP/1.0 200", 0) == 0; }

// Connect, full TLS 1.3 handshake, "GET /v1/health" (Connection: close), read to the end, close.
bool one_connection(SSL_CTX* ctx, std::uint16_t port, std::string& err) {
  static const std::string request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const int fd = tcp_connect(port, err);
  if (fd < 0) return false;
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  bool ok = false;
  if (SSL_connect(ssl) != 1) {
    err = "handshake: " + ssl_error_text();
  } else if (SSL_version(ssl) != TLS1_3_VERSION || SSL_session_reused(ssl) != 0) {
    err = "not a full TLS 1.3 handshake";
  } else if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
    err = "write: " + ssl_error_text();
  } else {
    std::string resp;
    char buf[16 * 1024];
    int n = 0;
    while (resp.size() < (1u << 20) && (n = SSL_read(ssl, buf, sizeof buf)) > 0) resp.append(buf, static_cast<std::size_t>(n));
    ok = is_http_200(resp);
    if (!ok) err = "unexpected response: " + resp.substr(0, 40);
    if (n == 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close_abortive(fd);
  ERR_clear_error();
  return ok;
}

struct LoadResult {
  std::uint64_t ok = 0, failed = 0;
  double seconds = 0, server_cpu_s = 0, server_wait_s = 0, client_cpu_s = 0;
  std::string first_error;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// `threads` client threads, each opening connections one after another for `seconds`.
LoadResult connection_load(SSL_CTX* ctx, std::uint16_t port, int threads, double seconds, pid_t server_pid) {
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::mutex mu;
  std::string first_error;
  const double cpu0 = cpu_seconds(server_pid), wait0 = run_queue_wait_seconds(server_pid), own0 = own_cpu_seconds();
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::string err;
      for (int i = 0; i < 10'000'000 && Clock::now() < deadline; ++i) {
        if (one_connection(ctx, port, err)) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = err;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  LoadResult r;
  r.seconds = seconds_since(t0);
  r.ok = ok;
  r.failed = failed;
  r.server_cpu_s = cpu_seconds(server_pid) - cpu0;
  r.server_wait_s = run_queue_wait_seconds(server_pid) - wait0;
  r.client_cpu_s = own_cpu_seconds() - own0;
  r.first_error = first_error;
  return r;
}

void add_to(LoadResult& total, const LoadResult& r) {
  total.ok += r.ok;
  total.failed += r.failed;
  total.seconds += r.seconds;
  total.server_cpu_s += r.server_cpu_s;
  total.server_wait_s += r.server_wait_s;
  total.client_cpu_s += r.client_cpu_s;
  if (total.first_error.empty()) total.first_error = r.first_error;
}

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= p.size();) {
    const auto colon = p.find(':', start);
    const std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// `openssl s_server -www` with the vigil server's certificate and key: the reference. Like vigil
// it sends no session tickets and asks for an (optional) client certificate from the device CA,
// so that both handshakes carry the same messages. Its output goes to /dev/null (a full pipe
// would stall it); it is ready once a connection succeeds.
class OpensslServer {
 public:
  OpensslServer(const fs::path& home, SSL_CTX* ctx) {
    const std::string exe = find_in_path("openssl");
    if (exe.empty()) throw std::runtime_error("openssl not found in PATH");
    port_ = free_port();
    const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_ = testing::spawn({exe, "s_server", "-quiet", "-accept", "127.0.0.1:" + std::to_string(port_), "-tls1_3",
                           "-cert", (home / "pki" / "server.pem").string(), "-key", (home / "pki" / "server.key").string(),
                           "-num_tickets", "0", "-verify", "1", "-CAfile", (home / "pki" / "device-ca.pem").string(),
                           "-www"},
                          devnull);
    ::close(devnull);
    std::string err;
    for (int i = 0; i < 100; ++i) {
      if (one_connection(ctx, port_, err)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("openssl s_server did not answer: " + err);
  }
  ~OpensslServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  OpensslServer(const OpensslServer&) = delete;
  OpensslServer& operator=(const OpensslServer&) = delete;
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Reads one HTTP response (headers and Content-Length body) without waiting for a close.
bool read_response(SSL* ssl, std::string& resp) {
  resp.clear();
  char buf[16 * 1024];
  std::size_t need = std::string::npos;
  while (resp.size() < (1u << 20)) {
    if (need == std::string::npos) {
      const auto end = resp.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = resp.substr(0, end);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto cl = head.find("content-length:");
        need = end + 4 + (cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10));
      }
    }
    if (need != std::string::npos && resp.size() >= need) return is_http_200(resp);
    const int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return false;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

struct IdleConnection {
  SSL* ssl = nullptr;
  int fd = -1;
};

const std::string k_keep_alive_request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

bool open_idle(SSL_CTX* ctx, std::uint16_t port, IdleConnection& c, std::string& err) {
  c.fd = tcp_connect(port, err);
  if (c.fd < 0) return false;
  c.ssl = SSL_new(ctx);
  SSL_set_fd(c.ssl, c.fd);
  std::string resp;
  if (SSL_connect(c.ssl) != 1) {
    err = "handshake: " + ssl_error_text();
  } else if (SSL_write(c.ssl, k_keep_alive_request.data(), static_cast<int>(k_keep_alive_request.size())) <= 0) {
    err = "write: " + ssl_error_text();
  } else if (!read_response(c.ssl, resp)) {
    err = "no keep-alive response: " + resp.substr(0, 40);
  } else {
    return true;
  }
  SSL_free(c.ssl);
  ::close(c.fd);
  c = {};
  ERR_clear_error();
  return false;
}

void close_idle(IdleConnection& c) {
  if (c.ssl != nullptr) {
    SSL_shutdown(c.ssl);  // our close_notify; no wait for the server's
    SSL_free(c.ssl);
  }
  if (c.fd >= 0) ::close(c.fd);
  c = {};
}

// ---------------------------------------------------------------- phase d helpers

struct Probe {
  double cpu_ms_per_session = 0, wall_ms_per_session = 0, client_cpu_ms_per_session = 0;
  int stored_before = 0;
};

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

// Seeds `count` small sessions from the seeding devices (prepared and synced in chunks), within
// `deadline`. Returns how many the server now holds from this call.
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

// Removes the client stores' folder on every way out.
struct DirGuard {
  fs::path path;
  ~DirGuard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

int main(int argc, char** argv) try {
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
  std::vector<Probe> small;
  for (auto& d : probes_small) {
    small.push_back(run_probe(server, *d, o.probe_sessions, stored));
    stored += o.probe_sessions;
  }

  // ---- a) ingest
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
  stored += ingest_sessions;
  const double sessions_per_s = ingest_sessions / ingest_wall;
  const double records_per_s = static_cast<double>(ingest_records) / ingest_wall;
  const double batch_p50 = percentile(batch_ms, 50), batch_p99 = percentile(batch_ms, 99);
  const double rss_after_ingest = status_mb(server.pid(), "VmRSS");
  std::printf("\na) ingest: %d devices x %d sessions x %d records (%s records, mean payload %.0f B), synced at once\n",
              o.devices, o.sessions_per_device, o.records_per_session, thousands(static_cast<double>(ingest_records)).c_str(),
              static_cast<double>(ingest_payload) / static_cast<double>(std::max<std::uint64_t>(ingest_records, 1)));
  std::printf("  wall %.2f s (devices finished after %.2f-%.2f s); %llu requests, %llu failed\n", ingest_wall,
              *std::min_element(finish_s.begin(), finish_s.end()), *std::max_element(finish_s.begin(), finish_s.end()),
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(failures));
  std::printf("  sessions/s %10.1f\n", sessions_per_s);
  std::printf("  records/s  %10s   target >= 20,000   %s\n", thousands(records_per_s).c_str(), verdict(records_per_s >= 20'000));
  std::printf("  record-batch POST (%zu, mean %.0f KB): p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", batch_ms.size(),
              static_cast<double>(batch_bytes) / 1024.0 / static_cast<double>(std::max<std::size_t>(batch_ms.size(), 1)),
              batch_p50, batch_p99, batch_ms.empty() ? 0.0 : *std::max_element(batch_ms.begin(), batch_ms.end()));
  std::printf("  server CPU %.2f s = %.2f cores busy, %.1f us/record; waited %.2f s for a CPU; wrote %.1f MB (%.0f B/record)\n",
              ingest_server_cpu, ingest_server_cpu / ingest_wall, ingest_server_cpu * 1e6 / static_cast<double>(ingest_records),
              ingest_server_wait, ingest_written / 1e6, ingest_written / static_cast<double>(ingest_records));
  std::printf("  the simulated devices (this process) used %.2f s CPU\n", ingest_client_cpu);
  std::printf("  server RSS %.1f MB (peak %.1f MB), %d threads\n", rss_after_ingest, status_mb(server.pid(), "VmHWM"),
              status_int(server.pid(), "Threads"));
  std::fflush(stdout);

  // ---- b) handshakes
  SSL_CTX* hs_ctx = client_ctx();
  LoadResult vigil_hs, ossl_hs;
  {
    OpensslServer ossl(server.home(), hs_ctx);
    const double round_s = o.hs_seconds / 2.0;
    // Warm-up: both servers' first connections (page faults, allocator growth) are not counted.
    connection_load(hs_ctx, server.port(), o.hs_threads, 0.5, server.pid());
    connection_load(hs_ctx, ossl.port(), o.hs_threads, 0.5, ossl.pid());
    for (int round = 0; round < 2; ++round) {
      add_to(vigil_hs, connection_load(hs_ctx, server.port(), o.hs_threads, round_s, server.pid()));
      add_to(ossl_hs, connection_load(hs_ctx, ossl.port(), o.hs_threads, round_s, ossl.pid()));
    }
  }
  SSL_CTX_free(hs_ctx);
  const double handshake_ratio = ossl_hs.rate() > 0 ? vigil_hs.rate() / ossl_hs.rate() : 0;
  // The same comparison by server CPU per connection, which the machine's other load and the
  // servers' thread counts affect far less: s_server's cost / vigil's cost.
  auto cpu_per_connection = [](const LoadResult& r) {
    return r.server_cpu_s / static_cast<double>(std::max<std::uint64_t>(r.ok, 1));
  };
  const double handshake_cpu_ratio = cpu_per_connection(vigil_hs) > 0 ? cpu_per_connection(ossl_hs) / cpu_per_connection(vigil_hs) : 0;
  std::printf("\nb) new connections (TCP connect + full TLS 1.3 handshake + GET /v1/health + close), %d client threads,\n"
              "   %.1f s per server in 2 alternating rounds; per connection: server CPU, client CPU\n",
              o.hs_threads, o.hs_seconds);
  for (const auto* r : {&vigil_hs, &ossl_hs}) {
    const double n = static_cast<double>(std::max<std::uint64_t>(r->ok, 1));
    std::printf("  %-34s %7s /s  (%llu ok, %llu failed)  server %4.0f us  client %4.0f us  server waited for a CPU %.1f s\n",
                r == &vigil_hs ? ("vigil-server (" + std::to_string(server.threads()) + " io threads)").c_str()
                               : "openssl s_server -www (1 thread)",
                thousands(r->rate()).c_str(), static_cast<unsigned long long>(r->ok), static_cast<unsigned long long>(r->failed),
                r->server_cpu_s * 1e6 / n, r->client_cpu_s * 1e6 / n, r->server_wait_s);
    if (!r->first_error.empty()) std::printf("    first failure: %s\n", r->first_error.c_str());
  }
  std::printf("  ratio %.2f   target >= 0.70   %s   (by server CPU per connection: %.2f)\n", handshake_ratio,
              verdict(handshake_ratio >= 0.70), handshake_cpu_ratio);
  std::fflush(stdout);

  // ---- c) idle kept-alive connections, each with a device certificate (as real devices connect)
  double rss_idle = 0, rss_before_idle = 0;
  int opened = 0, alive = 0;
  {
    auto enrolment = must(ingest.front()->store->enrolment(), "enrolment");
    if (!enrolment) throw std::runtime_error("no enrolment");
    SSL_CTX* idle_ctx = client_ctx(enrolment->device_cert_pem + enrolment->ca_chain_pem, &enrolment->device_key_pem);
    rss_before_idle = status_mb(server.pid(), "VmRSS");
    std::vector<IdleConnection> conns(static_cast<std::size_t>(o.idle_connections));
    std::atomic<int> ok{0};
    std::mutex mu;
    std::string first_error;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    const auto t_open = Clock::now();
    {
      std::vector<std::thread> threads;
      const int nt = 4;
      for (int t = 0; t < nt; ++t) {
        threads.emplace_back([&, t] {
          std::string err;
          for (std::size_t i = static_cast<std::size_t>(t); i < conns.size() && Clock::now() < deadline; i += nt) {
            if (open_idle(idle_ctx, server.port(), conns[i], err)) {
              ++ok;
            } else {
              std::lock_guard lock(mu);
              if (first_error.empty()) first_error = err;
            }
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    opened = ok;
    const double open_s = seconds_since(t_open);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_idle = status_mb(server.pid(), "VmRSS");
    // Still held by the server? One more request on each (bounded by the sockets' timeouts).
    std::string resp;
    const auto check_deadline = Clock::now() + std::chrono::seconds(60);
    for (auto& c : conns) {
      if (c.ssl == nullptr || Clock::now() > check_deadline) continue;
      if (SSL_write(c.ssl, k_keep_alive_request.data(), static_cast<int>(k_keep_alive_request.size())) > 0 &&
          read_response(c.ssl, resp)) {
        ++alive;
      }
    }
    for (auto& c : conns) close_idle(c);
    SSL_CTX_free(idle_ctx);
    ERR_clear_error();
    std::printf("\nc) %d kept-alive TLS connections with a device certificate, opened in %.1f s, idle 1 s\n", opened, open_s);
    if (!first_error.empty()) std::printf("  first failure: %s\n", first_error.c_str());
    std::printf("  server RSS %.1f MB   target <= 150 MB   %s   (%.1f MB before: %.1f KB per connection; %d/%d still answer)\n",
                rss_idle, verdict(rss_idle <= 150.0 && opened == o.idle_connections), rss_before_idle,
                (rss_idle - rss_before_idle) * 1024.0 / std::max(opened, 1), alive, opened);
    std::fflush(stdout);
  }

  // ---- d) cost per session with ~sessions_large stored
  const auto t_seed = Clock::now();
  const int seeded = seed(seeders, o.sessions_large - stored, o.seed_records, seed_deadline);
  stored += seeded;
  const double seed_s = seconds_since(t_seed);
  std::vector<Probe> large;
  for (auto& d : probes_large) {
    large.push_back(run_probe(server, *d, o.probe_sessions, stored));
    stored += o.probe_sessions;
  }
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

  const int server_threads = server.threads();
  const int stop_rc = server.stop();
  std::printf("\n  total %.0f s; load average %s at start, %s at end; server stopped with %d\n", seconds_since(t_start),
              load_before.c_str(), load_average().c_str(), stop_rc);

  const nlohmann::json out{{"records_per_s", std::round(records_per_s)},
                           {"handshake_ratio", std::round(handshake_ratio * 1000) / 1000},
                           {"rss_mb_1000_idle", std::round(rss_idle * 10) / 10},
                           {"session_cost_ratio_10000_vs_100", std::round(cost_ratio * 1000) / 1000},
                           {"sessions_per_s", std::round(sessions_per_s * 10) / 10},
                           {"batch_p50_ms", std::round(batch_p50 * 1000) / 1000},
                           {"batch_p99_ms", std::round(batch_p99 * 1000) / 1000},
                           {"handshake_cpu_ratio", std::round(handshake_cpu_ratio * 1000) / 1000},
                           {"handshakes_per_s_vigil", std::round(vigil_hs.rate())},
                           {"handshakes_per_s_openssl", std::round(ossl_hs.rate())},
                           {"server_threads", server_threads},
                           {"rss_mb_after_ingest", std::round(rss_after_ingest * 10) / 10},
                           {"idle_connections", opened},
                           {"session_cpu_ms_small", std::round(median(small_cpu) * 1000) / 1000},
                           {"session_cpu_ms_large", std::round(median(large_cpu) * 1000) / 1000},
                           {"session_wall_ratio_10000_vs_100", std::round(wall_ratio * 1000) / 1000},
                           {"stored_sessions_small", small.front().stored_before},
                           {"stored_sessions_large", large.front().stored_before}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench: " << e.what() << "\n";
  return 1;
}
