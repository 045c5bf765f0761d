#include "server/net/https_server.hpp"

// Design notes
//
// Threads and ownership. One io_context runs on `threads` threads. Server-wide asynchronous state
// (the acceptor, the grace timer, the stop sequence) lives on `server_strand`; each connection
// lives on its own strand, the executor of its socket. Invariants:
//  (1) A connection's stream is touched only on that connection's strand: by its session
//      coroutine, or by a function another thread posted to that strand (stop(), force close).
//  (2) `registry` (under registry_mutex) holds exactly the connections whose session has been
//      spawned and has not yet ended; `open` counts the same set.
//  (3) Once `stopping` is set, no session starts waiting for a new request. Sessions that are
//      waiting for one (conn->idle) have that wait cancelled by the stop sequence; sessions busy
//      with a request finish it, answer with "Connection: close" and end.
//  (4) run() returns when the io_context runs out of work: the acceptor is closed, every session
//      has ended and the grace timer has either fired (and force-closed the stragglers) or been
//      cancelled by the last session to end.
//
// One connection:
//   accept (refused beyond max_connections) -> TLS handshake [handshake_timeout]
//   -> loop { wait for the first byte of a request [idle_timeout, or read_timeout for the first
//             request of a connection; stop() cancels this wait]
//             -> read the rest of the request [read_timeout] -> rate limit -> handler (on the
//                offload pool for requests config.offload selects, the session waiting without
//                holding its I/O thread; 503 when offload_threads + offload_queue are busy)
//             -> write the response [write_timeout] } until not keep-alive, stop, error or timeout
//   -> close. Refusals of unreadable requests (400/413/431) are written with "Connection: close",
//   then the rest of the request is read and discarded for a short while before closing, so that
//   the client, still busy sending, is not reset before it can read the refusal.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "shared/core/log.hpp"
#include "shared/core/bytes.hpp"
#include "server/net/tls_context.hpp"

namespace vigil::server::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using Stream = beast::ssl_stream<beast::tcp_stream>;
using Strand = asio::strand<asio::io_context::executor_type>;

// The first read of a request asks for up to one TLS record's worth of plaintext.
constexpr std::size_t first_read_size = 16 * 1024;
// Upper bound on the wait for the peer's close_notify, and on discarding the rest of a refused
// request, so that a silent or endlessly sending client cannot hold a connection open.
constexpr std::chrono::seconds linger_limit{5};
// Pause after a failed accept (for example EMFILE) so the loop does not spin.
constexpr std::chrono::milliseconds accept_backoff{50};
// The rate limiter forgets idle keys once it tracks this many.
constexpr std::size_t rate_limiter_prune_at = 100'000;

// A token bucket per key (device certificate serial, or remote address without one).
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(std::max(burst, 1.0)) {}

  // Takes one token for `key`. Returns nothing when the request may proceed, otherwise the whole
  // seconds (at least 1) until a token will be available, for Retry-After.
  std::optional<long> take(const std::string& key) {
    if (rate_ <= 0.0) return std::nullopt;  // rate_per_second <= 0 disables limiting
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= rate_limiter_prune_at) prune(now);
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!inserted) {
      const double elapsed = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
      b.last = now;
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return std::nullopt;
    }
    return std::max(1L, static_cast<long>(std::ceil((1.0 - b.tokens) / rate_)));
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  // REQUIRES: mutex_ is held. Forgets buckets that have refilled completely: forgetting them
  // changes nothing, since a new bucket starts full.
  void prune(std::chrono::steady_clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double elapsed = std::chrono::duration<double>(now - it->second.last).count();
      if (it->second.tokens + elapsed * rate_ >= burst_) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const double rate_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mutex_)
};

struct Connection {
  Connection(tcp::socket socket, std::shared_ptr<ssl::context> context, std::uint64_t connection_id, std::string remote)
      : tls(std::move(context)), stream(std::move(socket), *tls), id(connection_id), remote_address(std::move(remote)) {}

  // The TLS settings and certificate this connection was accepted with: a reload swaps the
  // server's context for new connections only. Declared before the stream, which refers to it.
  const std::shared_ptr<ssl::context> tls;
  Stream stream;
  const std::uint64_t id;
  const std::string remote_address;
  bool idle = false;           // strand only: waiting for the first byte of a request
  std::string verify_failure;  // strand only: the first certificate problem OpenSSL reported
};

std::string common_name(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return cn;
}

protocol::PeerIdentity identify(SSL* ssl_handle, const std::string& remote_address) {
  protocol::PeerIdentity peer;
  peer.remote_address = remote_address;
  X509* cert = SSL_get0_peer_certificate(ssl_handle);
  // With verify_peer, a presented certificate that fails verification already failed the
  // handshake; the check here keeps the identity honest should that setting ever change.
  if (cert != nullptr && SSL_get_verify_result(ssl_handle) == X509_V_OK) {
    peer.client_certificate = true;
    peer.subject_cn = common_name(cert);
    peer.serial_hex = serial_hex(cert);
  }
  return peer;
}

protocol::HttpRequest to_request(http::request<http::string_body>&& msg) {
  protocol::HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    // Repeated fields are combined as RFC 9110 section 5.3 allows.
    auto [it, inserted] = req.headers.try_emplace(std::string(field.name_string()), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  req.body = std::move(msg.body());
  return req;
}

http::response<http::string_body> to_beast(protocol::HttpResponse&& out, unsigned version, bool keep_alive,
                                           bool head_request) {
  if (out.status < 100 || out.status > 599) {
    out = net_error(500, "internal", "the server produced an invalid response");
  }
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(out.status));
  for (auto& [name, value] : out.headers) {
    // Framing headers are the net layer's business.
    if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
        beast::iequals(name, "Connection")) {
      continue;
    }
    res.set(name, value);
  }
  res.set(http::field::server, "vigil");
  res.keep_alive(keep_alive);
  const bool bodiless = out.status < 200 || out.status == 204 || out.status == 304;
  if (bodiless) {
    res.erase(http::field::content_length);
  } else if (head_request) {
    // A HEAD response announces the length of the body it does not send.
    res.content_length(out.body.size());
  } else {
    res.body() = std::move(out.body);
    res.content_length(res.body().size());
  }
  return res;
}

// The refusal for a request that could not be read, or nothing when the connection should just
// be closed (timeout, disconnect, cancellation).
std::optional<protocol::HttpResponse> refusal_for(const error_code& ec) {
  if (ec == http::error::body_limit) {
    return net_error(413, "body_too_large", "the request body is larger than the server accepts");
  }
  if (ec == http::error::header_limit) {
    return net_error(431, "headers_too_large", "the request headers are larger than the server accepts");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return net_error(400, "bad_request", "the request is not valid HTTP/1.1");
  }
  return std::nullopt;
}

struct ServerState {
  ServerState(ListenerConfig cfg, Handler h)
      : config(std::move(cfg)),
        handler(std::move(h)),
        ioc(static_cast<int>(std::max(1u, config.threads))),
        server_strand(asio::make_strand(ioc)),
        acceptor(server_strand),
        grace_timer(server_strand),
        limiter(config.rate_per_second, config.rate_burst) {}

  ListenerConfig config;
  Handler handler;
  // The context new connections are accepted with; each connection holds its own reference.
  mutable std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;  // GUARDED_BY(tls_mutex)
  std::shared_ptr<ssl::context> current_tls() const {
    std::lock_guard lock(tls_mutex);
    return tls;
  }
  asio::io_context ioc;
  Strand server_strand;
  tcp::acceptor acceptor;         // server_strand
  asio::steady_timer grace_timer;  // server_strand
  RateLimiter limiter;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> accepted{0};
  std::uint16_t port = 0;
  bool started = false;
  bool stop_begun = false;  // server_strand

  std::atomic<std::size_t> offloaded{0};  // requests on (or waiting for) the offload pool

  std::mutex registry_mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> registry;  // GUARDED_BY(registry_mutex)
  std::uint64_t next_id = 1;                                                // server_strand

  void log(const std::string& line) const {
    if (config.log) config.log(line);
  }

  // Declared last: destroyed (stopped and joined) first, while everything its jobs use still exists.
  asio::thread_pool offload_pool{std::max(1u, config.offload_threads)};

  Status setup_tls();
  void begin_stop(std::chrono::steady_clock::time_point deadline);
  void arm_grace_timer();
  void check_drained();
  void force_close_all();
  std::vector<std::shared_ptr<Connection>> snapshot() {
    std::lock_guard lock(registry_mutex);
    std::vector<std::shared_ptr<Connection>> out;
    out.reserve(registry.size());
    for (auto& [id, conn] : registry) out.push_back(conn);
    return out;
  }
};

// Ends a session on every path out of its coroutine: closes the socket, leaves the registry and,
// during a stop, lets the server check whether it was the last (invariants 2 and 4).
struct SessionEnd {
  ServerState* self;
  std::shared_ptr<Connection> conn;
  SessionEnd(ServerState* s, std::shared_ptr<Connection> c) : self(s), conn(std::move(c)) {}
  SessionEnd(const SessionEnd&) = delete;
  SessionEnd& operator=(const SessionEnd&) = delete;
  ~SessionEnd() {
    error_code ignored;
    beast::get_lowest_layer(conn->stream).socket().close(ignored);
    {
      std::lock_guard lock(self->registry_mutex);
      self->registry.erase(conn->id);
    }
    self->open.fetch_sub(1);
    if (self->stopping.load()) asio::post(self->server_strand, [s = self] { s->check_drained(); });
  }
};

// Reads and discards whatever the client still sends, for a bounded time, so that closing does
// not reset a client that is still sending the request we refused before it read the refusal.
asio::awaitable<void> discard_rest(std::shared_ptr<Connection> conn, std::chrono::seconds limit) {
  auto& tcp_layer = beast::get_lowest_layer(conn->stream);
  tcp_layer.expires_after(limit);
  std::vector<char> scratch(first_read_size);
  for (;;) {
    auto [ec, n] = co_await conn->stream.async_read_some(asio::buffer(scratch), use_tuple);
    if (ec) break;
  }
  co_return;
}

// Sends the response; returns false if the connection is no longer usable.
asio::awaitable<bool> send(ServerState* self, std::shared_ptr<Connection> conn, http::response<http::string_body> res) {
  beast::get_lowest_layer(conn->stream).expires_after(self->config.write_timeout);
  auto [ec, n] = co_await http::async_write(conn->stream, res, use_tuple);
  co_return !ec;
}

// TLS close: send close_notify and wait (bounded) for the peer's.
asio::awaitable<void> close_tls(std::shared_ptr<Connection> conn, std::chrono::seconds limit) {
  beast::get_lowest_layer(conn->stream).expires_after(limit);
  co_await conn->stream.async_shutdown(use_tuple);  // any outcome ends the connection
  co_return;
}

protocol::HttpResponse call_handler(ServerState* self, const protocol::HttpRequest& req, const protocol::PeerIdentity& peer) {
  try {
    return self->handler(req, peer);
  } catch (const std::exception& e) {
    self->log(log::line("handler_exception", {{"method", req.method}, {"path", req.path()}, {"what", e.what()}}));
  } catch (...) {
    self->log(log::line("handler_exception", {{"method", req.method}, {"path", req.path()}}));
  }
  return net_error(500, "internal", "the server failed to handle the request");
}

asio::awaitable<void> run_session(ServerState* self, std::shared_ptr<Connection> conn) {
  SessionEnd on_end(self, conn);
  const ListenerConfig& cfg = self->config;
  Stream& stream = conn->stream;
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  const auto linger = std::min<std::chrono::seconds>(cfg.write_timeout, linger_limit);

  // TLS handshake. A client certificate is optional (enrolment comes before a device has one);
  // a presented certificate that does not chain to the device CA fails the handshake.
  tcp_layer.expires_after(cfg.handshake_timeout);
  auto [hs_ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (hs_ec) {
    const log::Field remote{"remote", conn->remote_address}, reason{"reason", hs_ec.message()};
    self->log(conn->verify_failure.empty() ? log::line("tls_handshake_failed", {remote, reason})
                                           : log::line("tls_handshake_failed", {remote, reason, {"verify", conn->verify_failure}}));
    co_return;
  }
  const protocol::PeerIdentity peer = identify(stream.native_handle(), conn->remote_address);
  const std::string rate_key = peer.client_certificate ? "cert:" + peer.serial_hex : "addr:" + peer.remote_address;

  beast::flat_buffer buffer;
  for (bool first_request = true;; first_request = false) {
    if (self->stopping.load()) co_return;  // invariant 3: no new wait once stopping

    // Wait for the first byte of the next request: the idle (keep-alive) timeout applies until
    // it arrives, except that a new connection must begin its first request within the read
    // timeout (a client connects in order to ask something). stop() may cancel this wait. Bytes
    // already buffered (pipelining) skip it.
    if (buffer.size() == 0) {
      conn->idle = true;
      tcp_layer.expires_after(first_request ? cfg.read_timeout : cfg.idle_timeout);
      auto [first_ec, first_n] = co_await stream.async_read_some(buffer.prepare(first_read_size), use_tuple);
      conn->idle = false;
      if (first_ec) co_return;  // idle timeout, client gone or stop() cancelled the wait
      buffer.commit(first_n);
    }

    // The rest of the request, within the read timeout and the header and body limits.
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(cfg.header_limit, UINT32_MAX)));
    parser.body_limit(static_cast<std::uint64_t>(cfg.body_limit));
    tcp_layer.expires_after(cfg.read_timeout);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_ec) {
      std::optional<protocol::HttpResponse> refusal = refusal_for(read_ec);
      if (!refusal) co_return;
      self->log(log::line("request_refused",
                          {{"remote", conn->remote_address}, {"status", refusal->status}, {"reason", read_ec.message()}}));
      const bool sent = co_await send(self, conn, to_beast(std::move(*refusal), 11, false, false));
      if (sent) {
        // Lingering close: end our direction (the client sees the end of the response) and
        // discard what it still sends until it closes too, within the linger limit.
        error_code ignored;
        tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_await discard_rest(conn, linger);
      }
      co_return;
    }

    http::request<http::string_body> msg = parser.release();
    const unsigned version = msg.version();
    const bool client_keep_alive = msg.keep_alive();
    const bool head_request = msg.method() == http::verb::head;
    const protocol::HttpRequest request = to_request(std::move(msg));

    protocol::HttpResponse out;
    if (std::optional<long> retry_after = self->limiter.take(rate_key)) {
      out = net_error(429, "rate_limited", "too many requests; try again later");
      out.headers["Retry-After"] = std::to_string(*retry_after);
    } else if (cfg.offload && cfg.offload(request)) {
      // Bounded: a burst of sign-ins is shed at once rather than queued without end.
      if (self->offloaded.fetch_add(1) >= cfg.offload_threads + cfg.offload_queue) {
        self->offloaded.fetch_sub(1);
        self->log(log::line("request_shed", {{"remote", conn->remote_address}, {"reason", "offload_queue_full"}}));
        out = net_error(503, "overloaded", "the server is busy; try again in a moment");
        out.headers["Retry-After"] = "1";
      } else {
        // The handler runs on the pool; this session waits without holding its I/O thread and
        // resumes on its own strand (invariant 1) when co_spawn's completion arrives.
        out = co_await asio::co_spawn(
            self->offload_pool,
            [self, &request, &peer]() -> asio::awaitable<protocol::HttpResponse> { co_return call_handler(self, request, peer); },
            asio::use_awaitable);
        self->offloaded.fetch_sub(1);
      }
    } else {
      out = call_handler(self, request, peer);
    }

    // Invariant 3: a request that was in flight when stop() came is answered, then the
    // connection closes instead of waiting for another.
    const bool keep_alive = client_keep_alive && !self->stopping.load();
    if (!co_await send(self, conn, to_beast(std::move(out), version, keep_alive, head_request))) co_return;
    if (!keep_alive) {
      co_await close_tls(conn, linger);
      co_return;
    }
  }
}

asio::awaitable<void> accept_loop(ServerState* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(asio::make_strand(self->ioc), use_tuple);
    if (self->stopping.load() || !self->acceptor.is_open()) co_return;  // the socket closes itself
    if (ec) {
      self->log(log::line("accept_failed", {{"reason", ec.message()}}));
      asio::steady_timer pause(self->server_strand, accept_backoff);
      co_await pause.async_wait(use_tuple);
      continue;
    }
    error_code ep_ec;
    const tcp::endpoint remote = socket.remote_endpoint(ep_ec);
    std::string remote_address = ep_ec ? std::string("unknown") : remote.address().to_string();
    if (self->open.load() >= self->config.max_connections) {
      self->log(log::line("connection_refused", {{"remote", remote_address}, {"reason", "max_connections"}}));
      socket.close(ep_ec);
      continue;
    }
    // Responses go out in one write; Nagle's algorithm would only add delayed-ACK stalls.
    socket.set_option(tcp::no_delay(true), ep_ec);
    auto conn = std::make_shared<Connection>(std::move(socket), self->current_tls(), self->next_id++, std::move(remote_address));
    // Record OpenSSL's verdict on a client certificate (for the log line of a failed handshake)
    // without changing it.
    Connection* raw = conn.get();
    conn->stream.set_verify_callback([raw](bool preverified, ssl::verify_context& vctx) {
      if (!preverified && raw->verify_failure.empty()) {
        X509_STORE_CTX* store_ctx = vctx.native_handle();
        raw->verify_failure = std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(store_ctx))) +
                              " at depth " + std::to_string(X509_STORE_CTX_get_error_depth(store_ctx));
      }
      return preverified;
    });
    {
      std::lock_guard lock(self->registry_mutex);
      self->registry.emplace(conn->id, conn);
    }
    self->open.fetch_add(1);
    self->accepted.fetch_add(1);
    auto executor = conn->stream.get_executor();
    asio::co_spawn(executor, run_session(self, std::move(conn)), asio::detached);
  }
}

Status ServerState::setup_tls() {
  VIGIL_ASSIGN(auto context, make_server_tls_context({config.certificate_chain_pem, config.private_key_pem, config.client_ca_pem}));
  const TlsCertificateInfo info = certificate_info(*context);
  {
    std::lock_guard lock(tls_mutex);
    tls = std::move(context);
  }
  log(vigil::log::line("tls_certificate_loaded", {{"serial", info.serial_hex}, {"not_after", info.not_after}}));
  return {};
}

void ServerState::begin_stop(std::chrono::steady_clock::time_point deadline) {
  if (stop_begun) {
    // A second stop() may only bring the deadline forward.
    if (deadline < grace_timer.expiry()) {
      grace_timer.expires_at(deadline);
      arm_grace_timer();
    }
    return;
  }
  stop_begun = true;
  error_code ignored;
  acceptor.close(ignored);
  grace_timer.expires_at(deadline);
  arm_grace_timer();
  // Invariant 3: idle connections are closed now; busy ones close after their response.
  for (auto& conn : snapshot()) {
    asio::post(conn->stream.get_executor(), [conn] {
      if (conn->idle) beast::get_lowest_layer(conn->stream).cancel();
    });
  }
  check_drained();
}

void ServerState::arm_grace_timer() {
  grace_timer.async_wait([this](error_code ec) {
    if (ec) return;  // cancelled: drained, or re-armed with an earlier deadline
    log(vigil::log::line("stop_grace_expired", {{"open_connections", open.load()}}));
    force_close_all();
  });
}

void ServerState::force_close_all() {
  for (auto& conn : snapshot()) {
    asio::post(conn->stream.get_executor(), [conn] { beast::get_lowest_layer(conn->stream).close(); });
  }
}

void ServerState::check_drained() {
  if (stop_begun && open.load() == 0) grace_timer.cancel();
}

}  // namespace

struct HttpsServer::Impl : ServerState {
  using ServerState::ServerState;
};

HttpsServer::HttpsServer(ListenerConfig config, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(handler))) {}

HttpsServer::~HttpsServer() {
  // Sessions refer to the server state: end them all before it goes. REQUIRES: run() is not executing.
  if (!impl_->started) return;
  stop(std::chrono::seconds(0));
  impl_->ioc.restart();
  impl_->ioc.run();
}

Status HttpsServer::start() {
  Impl& s = *impl_;
  if (s.started) return fail(Errc::invalid_argument, "the HTTPS server was already started");
  VIGIL_TRY(s.setup_tls());

  error_code ec;
  const asio::ip::address address = asio::ip::make_address(s.config.address, ec);
  if (ec) return fail(Errc::invalid_argument, "not an IP address to listen on: " + s.config.address);
  const tcp::endpoint endpoint(address, s.config.port);
  const std::string where = s.config.address + ":" + std::to_string(s.config.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    const Errc code = ec == asio::error::address_in_use ? Errc::busy : Errc::unavailable;
    return fail(code, "cannot listen on " + where + ": " + ec.message());
  }
  s.port = s.acceptor.local_endpoint(ec).port();
  s.started = true;
  asio::co_spawn(s.server_strand, accept_loop(&s), asio::detached);
  return {};
}

std::uint16_t HttpsServer::port() const noexcept { return impl_->port; }

void HttpsServer::run() {
  Impl& s = *impl_;
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < s.config.threads; ++i) extra.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : extra) t.join();
}

void HttpsServer::stop(std::chrono::seconds grace) {
  Impl* s = impl_.get();
  s->stopping.store(true);  // seen at once by sessions finishing a request (invariant 3)
  const auto deadline = std::chrono::steady_clock::now() + grace;
  asio::post(s->server_strand, [s, deadline] { s->begin_stop(deadline); });
}

Status HttpsServer::reload_certificate() {
  Impl& s = *impl_;
  if (!s.started) return fail(Errc::invalid_argument, "the HTTPS server has not started");
  auto reloaded = s.setup_tls();
  if (!reloaded) {
    s.log(vigil::log::line("tls_certificate_reload_failed", {{"reason", reloaded.error().message}}));
  }
  return reloaded;
}

std::size_t HttpsServer::open_connections() const noexcept { return impl_->open.load(); }

std::uint64_t HttpsServer::total_connections() const noexcept { return impl_->accepted.load(); }

protocol::HttpResponse net_error(int status, std::string_view code, std::string_view message) {
  protocol::HttpResponse res;
  res.status = status;
  res.headers["Content-Type"] = "application/json";
  const nlohmann::json body = {{"v", 1}, {"error", {{"code", code}, {"message", message}}}};
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

}  // namespace vigil::server::net
