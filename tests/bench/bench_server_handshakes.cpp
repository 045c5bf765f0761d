// tests/bench/run.sh server, b) handshakes: new TLS 1.3 connections per second (connect, full
// handshake, one GET, close) against vigil-server and, with the same client loop, against
// `openssl s_server` with the same certificate and key, in alternating rounds so that drift in the
// machine's load affects both alike.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/bench/bench_server.hpp"

namespace vigil::bench::load {

namespace {

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

}  // namespace

HandshakeFigures run_handshakes(const Options& o, const VigilServer& server) {
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
  return {vigil_hs.rate(), ossl_hs.rate(), handshake_ratio, handshake_cpu_ratio};
}

}  // namespace vigil::bench::load
