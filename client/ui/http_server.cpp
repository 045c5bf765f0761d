#include "client/ui/http_server.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::client::ui {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t k_header_limit = 16 * 1024;
constexpr std::uint64_t k_body_limit = 1024 * 1024;
constexpr std::chrono::seconds k_read_timeout{30};
constexpr std::chrono::seconds k_idle_timeout{60};
constexpr int k_max_connections = 64;

protocol::HttpResponse plain_error(int status, std::string_view message) {
  protocol::HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "text/plain; charset=utf-8";
  r.body = std::string(message);
  return r;
}

}  // namespace

struct LocalHttpServer::State {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  Handler handler;
  std::vector<std::thread> threads;
  std::atomic<int> connections{0};
  std::atomic<bool> stopped{false};
  std::uint16_t port = 0;
};

namespace {

asio::awaitable<void> serve_connection(LocalHttpServer::State* s, tcp::socket socket);

asio::awaitable<void> accept_loop(LocalHttpServer::State* s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(asio::make_strand(s->ioc), use_tuple);
    if (s->stopped.load() || !s->acceptor.is_open()) co_return;
    if (ec) continue;
    if (s->connections.load() >= k_max_connections) continue;  // the socket closes as it goes out of scope
    // As the server's listener and the sync transport do: a response is one write, and a write the
    // kernel splits must not wait for the browser's delayed ACK (Nagle's algorithm).
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(socket.get_executor(), serve_connection(s, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> serve_connection(LocalHttpServer::State* s, tcp::socket socket) {
  struct Count {
    std::atomic<int>& n;
    explicit Count(std::atomic<int>& c) : n(c) { ++n; }
    ~Count() { --n; }
  } count(s->connections);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(k_header_limit);
    parser.body_limit(k_body_limit);
    stream.expires_after(first ? k_read_timeout : k_idle_timeout);
    auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    (void)n;
    protocol::HttpResponse out;
    bool keep_alive = false;
    unsigned version = 11;
    if (read_ec == http::error::body_limit) {
      out = plain_error(413, "request too large");
    } else if (read_ec) {
      co_return;  // closed, timed out or malformed: nothing to answer
    } else {
      auto msg = parser.release();
      keep_alive = msg.keep_alive();
      version = msg.version();
      protocol::HttpRequest req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      for (const auto& f : msg) req.headers[std::string(f.name_string())] = std::string(f.value());
      req.body = std::move(msg.body());
      try {
        out = s->handler(req);
      } catch (const std::exception&) {
        out = plain_error(500, "internal error");
      }
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), version};
    for (const auto& [k, v] : out.headers) res.set(k, v);
    res.body() = std::move(out.body);
    res.keep_alive(keep_alive && !s->stopped.load());
    res.prepare_payload();
    stream.expires_after(k_read_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, res, use_tuple);
    (void)written;
    if (write_ec || !res.keep_alive()) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (!write_ec && read_ec) {
        // Lingering close after a refused request: discard what the client still sends (bounded
        // in time) so closing does not reset the connection before it has read our answer.
        stream.expires_after(std::chrono::seconds(2));
        char sink[16 * 1024];
        for (;;) {
          auto [ec, got] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
          (void)got;
          if (ec) break;
        }
      }
      co_return;
    }
  }
}

}  // namespace

LocalHttpServer::LocalHttpServer(std::unique_ptr<State> s) : state_(std::move(s)) {}

LocalHttpServer::~LocalHttpServer() { stop(); }

std::uint16_t LocalHttpServer::port() const noexcept { return state_->port; }

Result<std::unique_ptr<LocalHttpServer>> LocalHttpServer::start(Handler handler, std::uint16_t port, int threads) {
  auto s = std::make_unique<State>();
  s->handler = std::move(handler);
  beast::error_code ec;
  const tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
  s->acceptor.open(ep.protocol(), ec);
  if (!ec) s->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(ep, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::unavailable, "the local page server could not listen on 127.0.0.1: " + ec.message());
  s->port = s->acceptor.local_endpoint().port();
  asio::co_spawn(s->ioc, accept_loop(s.get()), asio::detached);
  for (int i = 0; i < std::max(1, threads); ++i) s->threads.emplace_back([st = s.get()] { st->ioc.run(); });
  return std::unique_ptr<LocalHttpServer>(new LocalHttpServer(std::move(s)));
}

void LocalHttpServer::stop() {
  if (!state_ || state_->stopped.exchange(true)) return;
  asio::post(state_->ioc, [st = state_.get()] {
    beast::error_code ignored;
    st->acceptor.close(ignored);
  });
  state_->ioc.stop();
  for (auto& t : state_->threads)
    if (t.joinable()) t.join();
}

}  // namespace vigil::client::ui
