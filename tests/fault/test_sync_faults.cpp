// Sync over a bad network: the real client (SQLCipher store, HTTPS transport, sync engine) and the
// real server process, with a fault proxy between them that cuts connections at random byte
// offsets (inside TLS records, with an RST or a FIN), stalls them, and a server that is restarted
// (SIGTERM, and once SIGKILL) while devices sync. Every session must reach the server exactly
// once: no record lost, none duplicated or conflicting, and every receipt verifies.
//
// Environment (all optional):
//   VIGIL_FAULT_SESSIONS    total sessions (default 200), spread over the devices
//   VIGIL_FAULT_DEVICES     devices syncing at once (default 10)
//   VIGIL_FAULT_RESTARTS    graceful server restarts (default 3; one SIGKILL restart comes on top)
//   VIGIL_FAULT_SEED        seed of the proxy's and the devices' random choices (default: random,
//                           printed)
//   VIGIL_FAULT_DEADLINE_S  the whole run's time limit in seconds (default 240)
//   VIGIL_FAULT_IO_TIMEOUT_MS  the clients' io_timeout (default 1000: the longer stalls time out)
//   VIGIL_FAULT_VERBOSE     1: also print how often each kind of sync error was seen
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/https_transport.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/client_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

using namespace vigil;
using namespace vigil::client;
using vigil::testing::FaultProxy;
using vigil::testing::FaultProxyOptions;
using vigil::testing::TempDir;
using vigil::testing::TestServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != nullptr && *end == '\0') ? n : fallback;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Checkpoints every 8 records, so that short sessions carry some.
std::unique_ptr<store::Store> open_store(const TempDir& dir) {
  return testing::open_store(dir.path(), [](store::StoreOptions& so) { so.checkpoint_every = 8; });
}

// As sync::transport_for (client/sync/enrol.cpp), but to `port` on the server's host (the fault
// proxy) and with the given timeouts.
Result<std::unique_ptr<sync::HttpsTransport>> transport_via(store::Store& s, std::uint16_t port, milliseconds connect_timeout,
                                                            milliseconds io_timeout) {
  VIGIL_ASSIGN(auto e, s.enrolment());
  if (!e) return fail(Errc::not_found, "the device is not enrolled");
  VIGIL_ASSIGN(auto trust, protocol::parse_client_trust(e->server_trust_json));
  sync::TransportConfig c;
  c.host = trust.host;
  c.port = port;
  c.root_ca_pem = trust.root_ca_pem;
  c.spki_pins = trust.pins;
  c.client_cert_pem = e->device_cert_pem + e->ca_chain_pem;
  c.client_key_pem = std::move(e->device_key_pem);
  c.connect_timeout = connect_timeout;
  c.io_timeout = io_timeout;
  return std::make_unique<sync::HttpsTransport>(std::move(c));
}

Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Problems found by any thread (Catch2's assertions are not thread-safe), reported at the end.
class Problems {
 public:
  void add(std::string p) {
    std::lock_guard lock(mu_);
    ++count_;
    if (list_.size() < 40) list_.push_back(std::move(p));
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  std::string text() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& p : list_) out += "  - " + p + "\n";
    if (count_ > list_.size()) out += "  ... and " + std::to_string(count_ - list_.size()) + " more\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> list_;
  std::size_t count_ = 0;
};

struct SessionPlan {
  std::string id;
  std::optional<journal::Hash> blob;
};

struct Device {
  int index = 0;
  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<sync::HttpsTransport> transport;
  std::unique_ptr<sync::SyncEngine> engine;
  std::vector<SessionPlan> sessions;  // written so far (device thread; read after join)

  std::mutex mu;
  std::string current;  // the session being written or synced (for the SIGKILL check)

  // Device thread only; read after join.
  std::uint64_t passes = 0, errors = 0, timeouts = 0, reconnects = 0;
  std::map<std::string, int> unexpected;  // errors other than "unavailable", by message
  std::map<std::string, int> seen;        // every error, digits masked (VIGIL_FAULT_VERBOSE=1)
};

struct Shared {
  Clock::time_point deadline;
  std::atomic<bool> stop{false};       // deadline passed or a device gave up
  std::atomic<int> sessions_done{0};
  Problems problems;
};

// One sync pass through the proxy. Like a laptop that sleeps or changes network, a device often
// drops its keep-alive connection between passes, so each pass meets fresh faults.
bool sync_pass(Device& d, std::mt19937_64& rng) {
  if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.5) {
    d.transport->reset();
    ++d.reconnects;
  }
  ++d.passes;
  auto r = d.engine->run_once();
  if (r) return *r;
  ++d.errors;
  std::string kind = r.error().describe();
  for (char& c : kind) c = (c >= '0' && c <= '9') ? '#' : c;
  ++d.seen[kind];
  if (r.error().code == Errc::unavailable) {
    if (r.error().message.find("timed out") != std::string::npos) ++d.timeouts;
  } else {
    ++d.unexpected[r.error().describe()];
  }
  return false;
}

// Passes until everything is sent and every receipt is in; false if the run is being stopped.
bool sync_until_done(Device& d, Shared& sh, std::mt19937_64& rng) {
  int failures_in_a_row = 0;
  for (int pass = 0; pass < 20'000; ++pass) {
    if (sh.stop || Clock::now() > sh.deadline) return false;
    const auto errors_before = d.errors;
    if (sync_pass(d, rng)) return true;
    if (d.errors == errors_before) {
      failures_in_a_row = 0;
      continue;  // progress, more to do: go on at once
    }
    int unexpected = 0;
    for (const auto& [m, n] : d.unexpected) unexpected += n;
    if (unexpected > 50) return false;  // reported at the end
    // Backoff with jitter, capped low: restarts take well under a second.
    failures_in_a_row = std::min(failures_in_a_row + 1, 5);
    const int base = 10 << failures_in_a_row;  // 20 .. 320 ms
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(base / 2, base)(rng)));
  }
  return false;
}

void run_device(Device& d, Shared& sh, int session_count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::string dev = "d" + std::to_string(d.index);
  auto check = [&](const auto& r, const std::string& what) {
    if (!r) throw std::runtime_error(dev + ": " + what + ": " + r.error().describe());
  };
  for (int k = 0; k < session_count; ++k) {
    if (sh.stop || Clock::now() > sh.deadline) return;
    SessionPlan plan;
    plan.id = dev + "-s" + std::to_string(k);
    {
      std::lock_guard lock(d.mu);
      d.current = plan.id;
    }
    const std::string& id = plan.id;
    check(d.store->begin_session(id, "naas-pr-1"), "begin_session");
    const int answers = pick(20, 60);
    const int sync_every = pick(6, 25);  // sync while the session is being written, too
    const int blob_at = pick(0, 2) == 0 ? -1 : pick(0, answers - 1);  // two sessions in three have evidence
    for (int a = 0; a < answers; ++a) {
      std::string value(1, static_cast<char>('A' + pick(0, 4)));
      if (pick(0, 9) == 0) value = std::string(static_cast<std::size_t>(pick(100, 3000)), 'x');  // a written answer
      check(d.store->save_answer(id, "pr-k-" + std::to_string(pick(0, 29)), value), "save_answer");
      if (pick(0, 7) == 0) {
        const nlohmann::json ev{{"item", a}, {"ms", pick(0, 100'000)}};
        check(d.store->record_event(id, pick(0, 1) ? "focus.lost" : "item.viewed", ev.dump()), "record_event");
      }
      if (a == blob_at) {
        auto sha = d.store->add_blob(id, random_bytes(rng, static_cast<std::size_t>(pick(20'000, 300'000))),
                                     store::OutboxPriority::evidence);
        check(sha, "add_blob");
        plan.blob = *sha;
      }
      if ((a + 1) % sync_every == 0) (void)sync_pass(d, rng);
    }
    check(d.store->submit_session(id), "submit_session");
    d.sessions.push_back(plan);
    if (!sync_until_done(d, sh, rng)) return;
    sh.sessions_done++;
  }
}

// What the store says the server acknowledged for a session: the records before the first one
// still in the outbox. Read the journal first: records written meanwhile are then not counted.
std::uint64_t locally_acknowledged(store::Store& s, const std::string& session) {
  auto entries = s.journal_entries(session);
  if (!entries || entries->empty()) return 0;
  const std::uint64_t written = entries->back().record.seq;
  auto pending = s.pending_records(session, 1);
  if (!pending) return 0;
  return pending->empty() ? written : pending->front().record.seq - 1;
}

}  // namespace

TEST_CASE("every session reaches the server exactly once through cut, stalled and restarted connections") {
  const auto t0 = Clock::now();
  const long total_sessions = std::max(1L, env_long("VIGIL_FAULT_SESSIONS", 200));
  const int device_count = static_cast<int>(std::clamp(env_long("VIGIL_FAULT_DEVICES", 10), 1L, 64L));
  const int sessions_per_device = static_cast<int>((total_sessions + device_count - 1) / device_count);
  const int graceful_restarts = static_cast<int>(std::clamp(env_long("VIGIL_FAULT_RESTARTS", 3), 0L, 20L));
  const auto seed = static_cast<std::uint64_t>(env_long("VIGIL_FAULT_SEED", static_cast<long>(std::random_device{}() & 0x7fffffff)));
  const long deadline_s = std::max(10L, env_long("VIGIL_FAULT_DEADLINE_S", 240));
  const milliseconds io_timeout(std::max(100L, env_long("VIGIL_FAULT_IO_TIMEOUT_MS", 1000)));
  std::cout << "fault sync: seed " << seed << " (VIGIL_FAULT_SEED), " << device_count << " devices x "
            << sessions_per_device << " sessions, deadline " << deadline_s << " s" << std::endl;

  TestServer server;
  const Bytes receipt_key = server.receipt_public_key();

  // Devices enrol directly with the server: enrolment is not the subject here.
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < device_count; ++i) {
    auto d = std::make_unique<Device>();
    d->index = i;
    d->store = open_store(d->dir);
    const auto enrolled = sync::enrol(*d->store, server.trust(), server.enrolment_code("c-" + std::to_string(i)));
    if (!enrolled) FAIL("enrolment failed: " << enrolled.error().describe());
    devices.push_back(std::move(d));
  }

  FaultProxyOptions po;
  po.seed = seed;
  po.p_cut = 0.3;
  po.p_stall = 0.2;
  FaultProxy proxy(server.port(), po);
  for (auto& d : devices) {
    auto t = transport_via(*d->store, proxy.port(), milliseconds(2'000), io_timeout);
    if (!t) FAIL("no transport: " << t.error().describe());
    d->transport = std::move(*t);
    sync::SyncOptions so;
    so.batch_records = 20;          // sessions go over in several batches ...
    so.chunk_bytes = 64 * 1024;     // ... and blobs in several chunks: more to interrupt
    d->engine = std::make_unique<sync::SyncEngine>(*d->store, *d->transport, so);
  }
  const double setup_s = seconds_since(t0);

  Shared sh;
  sh.deadline = Clock::now() + std::chrono::seconds(deadline_s);
  const int total = device_count * sessions_per_device;

  // Restarts at random moments of the run: when a random share of the sessions is done, plus a
  // random delay. One of them is a SIGKILL.
  std::mt19937_64 crng(seed ^ 0x5eed);
  std::vector<double> at;
  for (int i = 0; i < graceful_restarts + 1; ++i) at.push_back(std::uniform_real_distribution<double>(0.08, 0.85)(crng));
  std::sort(at.begin(), at.end());
  const auto hard_index = static_cast<std::size_t>(std::uniform_int_distribution<int>(0, graceful_restarts)(crng));
  int restarts_done = 0, hard_kills_done = 0;
  std::vector<std::string> restart_log;
  std::uint64_t kill_checked_sessions = 0;

  // The server comes back on its port; should that port have been taken meanwhile, on another
  // one, and the proxy follows it.
  auto start_again = [&](std::ostringstream& line) {
    const std::uint16_t port = server.port();
    try {
      server.start(port);
    } catch (const std::exception& e) {
      line << "(port " << port << " could not be used again: " << e.what() << "; moved) ";
      server.start(0);
    }
    proxy.set_target_port(server.port());
  };

  std::thread controller([&] {
    try {
      for (std::size_t next = 0; next < at.size();) {
        if (sh.stop || Clock::now() > sh.deadline) return;
        if (sh.sessions_done < static_cast<int>(at[next] * total)) {
          std::this_thread::sleep_for(milliseconds(10));
          continue;
        }
        std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 300)(crng)));
        const auto r0 = Clock::now();
        std::ostringstream line;
        if (next == hard_index) {
          server.kill_hard();
          // The server is gone: no acknowledgement can arrive now. Whatever a device already
          // took as acknowledged must be in the server's database.
          for (auto& d : devices) {
            std::string session;
            {
              std::lock_guard lock(d->mu);
              session = d->current;
            }
            if (session.empty()) continue;
            const std::uint64_t acked = locally_acknowledged(*d->store, session);
            if (acked == 0) continue;
            const auto info = server.session_info(d->store->device_id(), session);
            const std::uint64_t held = info.value("head_seq", std::uint64_t{0});
            const std::uint64_t records = info.value("records", std::uint64_t{0});
            ++kill_checked_sessions;
            if (held < acked || records < acked) {
              sh.problems.add("after SIGKILL the server holds " + std::to_string(records) + " records (head " +
                              std::to_string(held) + ") of session " + session + ", but had acknowledged " +
                              std::to_string(acked));
            }
          }
          start_again(line);
          ++hard_kills_done;
          line << "SIGKILL";
        } else {
          // A graceful stop finishes the requests in flight and exits 0 (Child::stop gives it
          // 15 s, then kills it and reports -1).
          if (const int rc = server.stop(); rc != 0) {
            sh.problems.add("the server's graceful stop (SIGTERM) ended with exit code " + std::to_string(rc));
          }
          start_again(line);
          line << "SIGTERM";
        }
        ++restarts_done;
        line << " at " << sh.sessions_done.load() << "/" << total << " sessions, down "
             << std::chrono::duration_cast<milliseconds>(Clock::now() - r0).count() << " ms";
        restart_log.push_back(line.str());
        ++next;
      }
    } catch (const std::exception& e) {
      sh.problems.add(std::string("restarting the server failed: ") + e.what());
      sh.stop = true;
    }
  });

  std::vector<std::thread> threads;
  for (auto& d : devices) {
    threads.emplace_back([&sh, &d, sessions_per_device, seed] {
      try {
        run_device(*d, sh, sessions_per_device, seed + 1000 * static_cast<std::uint64_t>(d->index + 1));
      } catch (const std::exception& e) {
        sh.problems.add(e.what());
        sh.stop = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  const bool timed_out = Clock::now() > sh.deadline;
  sh.stop = true;
  controller.join();
  const double sync_s = seconds_since(t0) - setup_s;
  proxy.stop();
  const auto faults = proxy.counters();

  // The run itself.
  std::uint64_t passes = 0, errors = 0, timeouts = 0, reconnects = 0;
  std::map<std::string, int> unexpected, seen;
  for (auto& d : devices) {
    for (const auto& [m, n] : d->seen) seen[m] += n;
    passes += d->passes;
    errors += d->errors;
    timeouts += d->timeouts;
    reconnects += d->reconnects;
    for (const auto& [m, n] : d->unexpected) unexpected[m] += n;
  }
  std::string unexpected_text;
  for (const auto& [m, n] : unexpected) unexpected_text += "  " + std::to_string(n) + " x " + m + "\n";
  if (env_long("VIGIL_FAULT_VERBOSE", 0) != 0) {
    for (const auto& [m, n] : seen) std::cout << "fault sync: error " << n << " x " << m << "\n";
  }
  for (const auto& l : restart_log) std::cout << "fault sync: restart: " << l << std::endl;
  INFO("seed " << seed << " (rerun with VIGIL_FAULT_SEED=" << seed << ")");
  INFO("problems during the run:\n" << (sh.problems.count() == 0 ? std::string("  none\n") : sh.problems.text()));
  {
    INFO("the run did not finish within " << deadline_s << " s (VIGIL_FAULT_DEADLINE_S): " << sh.sessions_done.load()
                                           << " of " << total << " sessions synced");
    CHECK_FALSE(timed_out);
  }
  CHECK(sh.problems.count() == 0);
  INFO("errors other than 'unavailable' (a bad network must only ever look like no network):\n"
       << (unexpected.empty() ? std::string("  none\n") : unexpected_text));
  CHECK(unexpected.empty());
  CHECK(sh.sessions_done.load() == total);
  CHECK(restarts_done == graceful_restarts + 1);
  CHECK(hard_kills_done == 1);

  // Every session, once, whole, with a receipt that verifies.
  Problems bad;
  std::uint64_t records_total = 0, blobs_total = 0, sessions_checked = 0;
  for (auto& d : devices) {
    store::Store& s = *d->store;
    const auto counts = s.outbox_counts();
    if (!counts || counts->records != 0 || counts->blobs != 0) {
      bad.add(d->store->device_id() + ": the outbox is not empty");
    }
    for (const auto& plan : d->sessions) {
      ++sessions_checked;
      const std::string where = "session " + plan.id + ": ";
      auto entries = s.journal_entries(plan.id);
      if (!entries || entries->empty()) {
        bad.add(where + "no local journal");
        continue;
      }
      const std::uint64_t n = entries->size();
      const std::uint64_t last = entries->back().record.seq;
      records_total += n;
      if (last != n) bad.add(where + "the local journal is not 1.." + std::to_string(n));
      auto receipt_json = s.receipt(plan.id);
      if (!receipt_json || !*receipt_json) {
        bad.add(where + "no receipt");
        continue;
      }
      auto receipt = protocol::parse_receipt(**receipt_json);
      if (!receipt) {
        bad.add(where + "the receipt does not parse: " + receipt.error().describe());
        continue;
      }
      if (auto v = protocol::verify_receipt(*receipt, receipt_key); !v) {
        bad.add(where + "the receipt does not verify: " + v.error().describe());
      }
      if (receipt->final_seq != last) {
        bad.add(where + "receipt final_seq " + std::to_string(receipt->final_seq) + ", local last seq " + std::to_string(last));
      }
      if (receipt->session_id != plan.id || receipt->device_id != s.device_id()) bad.add(where + "the receipt names another session");
      const std::vector<std::array<std::uint8_t, 32>> want_blobs =
          plan.blob ? std::vector<std::array<std::uint8_t, 32>>{*plan.blob} : std::vector<std::array<std::uint8_t, 32>>{};
      if (receipt->blobs != want_blobs) bad.add(where + "the receipt lists other blobs than the session has");
      blobs_total += want_blobs.size();

      nlohmann::json info;
      try {
        info = server.session_info(s.device_id(), plan.id);
      } catch (const std::exception& e) {
        bad.add(where + e.what());
        continue;
      }
      if (info.value("records", std::uint64_t{0}) != n || info.value("head_seq", std::uint64_t{0}) != n) {
        bad.add(where + "the server holds " + info["records"].dump() + " records (head " + info["head_seq"].dump() +
                "), the device wrote " + std::to_string(n));
      }
      if (info.value("submitted_seq", std::uint64_t{0}) != last) bad.add(where + "the server's submitted_seq differs");
      if (!info.contains("receipt") || info["receipt"]["signature"] != nlohmann::json::parse(**receipt_json)["signature"]) {
        bad.add(where + "the device's receipt is not the one the server issued");
      }
      for (const auto& f : info["flags"]) {
        bad.add(where + "flag " + f.value("kind", std::string()) + " at seq " + f["seq"].dump() + ": " +
                f.value("detail", std::string()));
      }
    }
  }
  const double total_s = seconds_since(t0);
  std::cout << "fault sync: sessions=" << sessions_checked << " records=" << records_total << " blobs=" << blobs_total
            << " connections=" << faults.connections << " cuts=" << faults.cuts << " (rst " << faults.cuts_rst
            << ", client->server " << faults.cuts_up << ") stalls=" << faults.stalls
            << " refused_while_down=" << faults.upstream_failures << " restarts=" << restarts_done << " (SIGKILL "
            << hard_kills_done << ", " << kill_checked_sessions << " sessions checked after it)"
            << " passes=" << passes << " failed_passes=" << errors << " timeouts=" << timeouts
            << " reconnects=" << reconnects << " seconds=" << static_cast<int>(total_s) << " (setup "
            << static_cast<int>(setup_s) << ", sync " << static_cast<int>(sync_s) << ", checks "
            << static_cast<int>(total_s - setup_s - sync_s) << ")" << std::endl;

  INFO("sessions that did not arrive exactly once:\n" << bad.text());
  CHECK(bad.count() == 0);
  CHECK(sessions_checked == static_cast<std::uint64_t>(total));
  // The faults really happened: the test cannot pass by not testing.
  CHECK(faults.cuts >= static_cast<std::uint64_t>(total) / 5);
  CHECK(faults.cuts_rst >= 1);
  CHECK(faults.cuts_rst < faults.cuts);
  CHECK(faults.cuts_up >= 1);
  CHECK(faults.cuts_up < faults.cuts);
  CHECK(faults.stalls >= static_cast<std::uint64_t>(total) / 10);
}

// ---------------------------------------------------------------------------------------------
// The proxy itself, against a plain TCP echo server: it passes bytes untouched, cuts, and stalls.

namespace {

// Echoes each connection until the peer closes it; one connection at a time; bounded waits.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("echo server: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      char buf[16 * 1024];
      while (!stop_) {
        pollfd q{c, POLLIN, 0};
        const int ready = ::poll(&q, 1, 50);
        if (ready == 0) continue;
        const ssize_t n = ready > 0 ? ::recv(c, buf, sizeof buf, 0) : -1;
        if (n <= 0) break;
        if (::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends `total` bytes through port in 4 KiB steps, reading each echo back before the next;
// returns the bytes echoed correctly before the connection ended (or 5 s of silence).
std::size_t echo_through(std::uint16_t port, std::size_t total) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return 0;
  }
  std::size_t echoed = 0;
  std::vector<char> out(4096), in(4096);
  for (std::size_t step = 0; echoed < total && step < 10'000; ++step) {
    const std::size_t n = std::min(out.size(), total - echoed);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((echoed + i) * 7 + 1);
    if (::send(fd, out.data(), n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) break;
    std::size_t got = 0;
    while (got < n) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5'000) <= 0) break;
      const ssize_t r = ::recv(fd, in.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    if (got != n || !std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), in.begin())) break;
    echoed += n;
  }
  ::close(fd);
  return echoed;
}

}  // namespace

TEST_CASE("the fault proxy passes bytes untouched, cuts connections and stalls them") {
  EchoServer echo;
  SECTION("pass through") {
    FaultProxyOptions o;
    o.p_cut = 0;
    o.p_stall = 0;
    FaultProxy proxy(echo.port(), o);
    CHECK(echo_through(proxy.port(), 300'000) == 300'000);
    CHECK(echo_through(proxy.port(), 1) == 1);
    // The proxy counts a write when its completion handler runs, which can be just after the
    // client has read the echo: wait (bounded) for the counters to settle.
    for (int w = 0; w < 400 && (proxy.counters().bytes_up < 300'001 || proxy.counters().bytes_down < 300'001); ++w)
      std::this_thread::sleep_for(milliseconds(5));
    const auto c = proxy.counters();
    CHECK(c.connections == 2);
    CHECK(c.cuts == 0);
    CHECK(c.stalls == 0);
    CHECK(c.bytes_up == 300'001);
    CHECK(c.bytes_down == 300'001);
  }
  SECTION("cuts: every connection ends early, at varying offsets, with RSTs and FINs") {
    FaultProxyOptions o;
    o.p_cut = 1;
    o.p_stall = 0;
    o.seed = 7;
    o.max_offset_up = 100'000;
    o.max_offset_down = 100'000;
    FaultProxy proxy(echo.port(), o);
    std::vector<std::size_t> ends;
    for (int i = 0; i < 30; ++i) {
      ends.push_back(echo_through(proxy.port(), 200'000));
      // The echo server takes one connection at a time: wait until the proxy has closed this one.
      for (int w = 0; w < 200 && proxy.counters().cuts < static_cast<std::uint64_t>(i + 1); ++w) {
        std::this_thread::sleep_for(milliseconds(5));
      }
    }
    const auto c = proxy.counters();
    CHECK(c.connections == 30);
    CHECK(c.cuts == 30);
    CHECK(c.cuts_rst > 0);
    CHECK(c.cuts_rst < 30);
    CHECK(c.cuts_up > 0);
    CHECK(c.cuts_up < 30);
    for (auto e : ends) CHECK(e < 200'000);
    std::sort(ends.begin(), ends.end());
    CHECK(ends.front() < 4096);       // some in the first exchange ...
    CHECK(ends.back() > 10'000);      // ... some much later
  }
  SECTION("stalls: the bytes arrive whole, late") {
    FaultProxyOptions o;
    o.p_cut = 0;
    o.p_stall = 1;
    o.stall_min = milliseconds(300);
    o.stall_max = milliseconds(300);
    o.max_offset_up = 1000;
    o.max_offset_down = 1000;
    FaultProxy proxy(echo.port(), o);
    const auto t = Clock::now();
    CHECK(echo_through(proxy.port(), 20'000) == 20'000);
    CHECK(Clock::now() - t >= milliseconds(300));
    CHECK(proxy.counters().stalls == 1);
  }
  SECTION("a target that is down: connections are closed at once; set_target_port moves it") {
    FaultProxyOptions o;
    o.p_cut = 0;
    o.p_stall = 0;
    FaultProxy proxy(1, o);  // nothing listens on port 1
    CHECK(echo_through(proxy.port(), 1000) == 0);
    proxy.set_target_port(echo.port());
    CHECK(echo_through(proxy.port(), 1000) == 1000);
    CHECK(proxy.counters().upstream_failures == 1);
    proxy.stop();
    CHECK(echo_through(proxy.port(), 10) == 0);
  }
}
