#pragma once
// The server's TLS listener: Boost.Beast over Asio coroutines, the only Beast user on the
// server. It accepts HTTPS (TLS 1.3 only, Mozilla "modern"), enforces limits and timeouts,
// verifies optional client certificates against the device CA, and hands each request to a pure
// handler (server/app/dispatch) as plain protocol::HttpRequest -> protocol::HttpResponse.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::server::net {

struct ListenerConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                        // 0: the OS picks; see HttpsServer::port()
  std::filesystem::path certificate_chain_pem;   // server certificate, then intermediates
  std::filesystem::path private_key_pem;
  // CA(s) that issue device certificates. Each is a trust anchor by itself (the root above it is
  // neither needed nor trusted for clients), so a certificate the root issued directly, such as a
  // server certificate, never authenticates a device. Empty: no client certificate is asked for
  // (the staff listener, which browsers reach with the operator's publicly trusted certificate).
  std::filesystem::path client_ca_pem;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 2 * 1024 * 1024;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds read_timeout{30};         // for one whole request once its first byte arrived
  std::chrono::seconds write_timeout{30};
  // Until the first byte of the next request on a keep-alive connection. A new connection must
  // begin its first request within read_timeout instead.
  std::chrono::seconds idle_timeout{120};
  std::size_t max_connections = 20'000;          // beyond it, new connections are closed at once
  // Per device (client certificate serial) or, without one, per remote address: a token bucket.
  // rate_per_second <= 0 turns rate limiting off.
  double rate_per_second = 50.0;
  double rate_burst = 200.0;
  unsigned threads = 1;                          // io_context threads
  // Requests this selects (the staff sign-in's password KDF: tens of milliseconds and 32 MiB
  // each) run on a separate pool of offload_threads threads rather than on an io_context thread,
  // so that they cannot stall every other connection. At most offload_queue such requests wait
  // beyond those running; more are answered 503 "overloaded" with Retry-After at once. May be empty.
  std::function<bool(const protocol::HttpRequest&)> offload;
  unsigned offload_threads = 1;
  std::size_t offload_queue = 16;
  // Receives one key=value line per notable event (TLS handshake failed, request refused,
  // connection refused, handler threw, stop grace expired). Never keys or request bodies. Called
  // from io_context threads: it must be thread-safe when threads > 1. May be empty.
  std::function<void(const std::string& line)> log;
};

// The application: a pure function of the request and the verified peer.
using Handler = std::function<protocol::HttpResponse(const protocol::HttpRequest&, const protocol::PeerIdentity&)>;

class HttpsServer {
 public:
  HttpsServer(ListenerConfig config, Handler handler);
  // Stops (without grace) and waits for the connections to close. REQUIRES: run() is not
  // executing on another thread.
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Loads certificates and binds. Errors: a TLS file missing (not_found) or invalid
  // (invalid_argument), an address that is not an IP (invalid_argument), the address in use
  // (busy), any other bind/listen failure (unavailable). Call once.
  Status start();
  std::uint16_t port() const noexcept;

  // Loads the certificate chain and key again from the configured files (a renewed certificate)
  // for the connections accepted from now on; connections already open keep theirs and are not
  // disturbed. On any error the certificate in use stays, and the error is logged and returned.
  // Thread-safe; call after start().
  Status reload_certificate();

  // Runs the io_context on `threads` threads (this one included) until stop() completes. Blocks.
  // Returns at once if start() did not succeed.
  void run();
  // Graceful: stop accepting and close idle keep-alive connections at once; a request in flight
  // is answered (with "Connection: close") and its connection then closed. Whatever is still
  // open after `grace` is closed by force. run() returns when every connection is gone.
  // Thread-safe; callable before or during run() from any thread, including a signal handler
  // thread (not from an async-signal context). A later call can only shorten the grace.
  void stop(std::chrono::seconds grace = std::chrono::seconds(10));

  // Live figures for tests and benchmarks: connections open now, and connections accepted (and
  // not refused for max_connections) since start().
  std::size_t open_connections() const noexcept;
  std::uint64_t total_connections() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// JSON error response in the one format of the API (docs/api/openapi.yaml):
// {"v":1,"error":{"code":"...","message":"..."}}. The net layer uses it for its own refusals
// (413 body too large, 431 headers too large, 429 rate limited, 400 malformed HTTP).
protocol::HttpResponse net_error(int status, std::string_view code, std::string_view message);

}  // namespace vigil::server::net
