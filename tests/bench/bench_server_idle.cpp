// tests/bench/run.sh server, c) idle connections: the server's RSS while it holds 1,000
// kept-alive TLS connections, each with a device certificate (as real devices connect).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <openssl/err.h>

#include "tests/bench/bench_server.hpp"

namespace vigil::bench::load {

namespace {

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

}  // namespace

IdleFigures run_idle(const Options& o, const VigilServer& server, Device& device) {
  double rss_idle = 0, rss_before_idle = 0;
  int opened = 0, alive = 0;
  auto enrolment = must(device.store->enrolment(), "enrolment");
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
  return {rss_idle, opened};
}

}  // namespace vigil::bench::load
