// The shared parts of `tests/bench/run.sh server` (bench_server.hpp): helpers, the server's process
// figures, the vigil-server child and the simulated devices.
#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "client/sync/enrol.hpp"
#include "tests/bench/bench_server.hpp"
#include "tests/support/test_server.hpp"

#ifndef VIGIL_SERVER_EXE
#error "VIGIL_SERVER_EXE must name the vigil-server executable"
#endif

namespace vigil::bench::load {

// ---------------------------------------------------------------- small helpers

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

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

VigilServer::VigilServer(const Options& o) {
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

int VigilServer::stop() {
  if (!child_) return 0;
  const int rc = child_->stop(SIGTERM);
  child_.reset();
  return rc;
}

protocol::ClientTrust VigilServer::trust() const {
  auto t = must(protocol::parse_client_trust(read_text(dir_.path() / "published" / "client-trust.json")), "client trust");
  t.port = port_;
  return t;
}

std::string VigilServer::enrolment_code(const std::string& candidate_id) {
  auto r = testing::run({VIGIL_SERVER_EXE, "admin", "add-candidate", dir_.path().string(), "--council", "leeds",
                         "--candidate", candidate_id, "--name", "Bench Candidate", "--valid-days", "14"});
  return testing::parse_enrolment_code(r);
}

// ---------------------------------------------------------------- simulated devices

Result<protocol::HttpResponse> TimedTransport::roundtrip(const protocol::HttpRequest& request) {
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

void warm(Device& d) {
  auto r = d.https->roundtrip(protocol::HttpRequest{"GET", "/v1/health", {}, {}});
  if (!r || r->status != 200) throw std::runtime_error(d.label + ": GET /v1/health failed");
}

namespace {

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

}  // namespace

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

}  // namespace vigil::bench::load
