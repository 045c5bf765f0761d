#pragma once
// FaultProxy: a TCP proxy for tests that behaves like a bad network. It listens on
// 127.0.0.1:<any free port> and forwards each connection to 127.0.0.1:<target port>. It is plain
// TCP and never terminates TLS, so its faults land inside TLS records, as on a real network.
//
// Per connection, decided when it is accepted with a seeded RNG:
//   cut   (probability p_cut):   after a random number of bytes in one direction (client->server
//                                or server->client) both sides are closed, at random with an RST
//                                (SO_LINGER 0) or a FIN;
//   stall (probability p_stall): after a random number of bytes in one direction forwarding in
//                                that direction pauses for a random stall_min..stall_max;
//   pass  (otherwise):           bytes flow untouched.
// Offsets are log-uniform on [0, max_offset_up] or [0, max_offset_down]: faults in the TLS
// handshake and in the first request are as likely as faults deep into an upload. A connection
// that never carries that many bytes is never cut or stalled: the counters count the faults that
// really happened.
//
// Threads: the proxy has its own io_context on its own thread; every connection's state is
// touched only there. The public functions may be called from any thread. stop() closes the
// listener and every connection and joins the thread (bounded). If the target is down, accepted
// connections are closed at once (counted as upstream_failures); set_target_port() moves the
// target for connections accepted from then on.
//
// Every socket the proxy opens is close-on-exec, so a child process the test starts (the server)
// does not keep the proxy's connections alive after the proxy closes them.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <fcntl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace vigil::testing {

struct FaultProxyOptions {
  double p_cut = 0.25;
  double p_stall = 0.15;
  std::uint64_t seed = 1;
  std::chrono::milliseconds stall_min{50};
  std::chrono::milliseconds stall_max{1'500};
  std::uint64_t max_offset_up = 512 * 1024;   // client -> server (uploads are large)
  std::uint64_t max_offset_down = 16 * 1024;  // server -> client (handshake and small answers)
  std::chrono::milliseconds connect_timeout{2'000};  // to the target
};

struct FaultProxyCounters {
  std::uint64_t connections = 0;        // accepted
  std::uint64_t upstream_failures = 0;  // the target refused or did not answer in time
  std::uint64_t cuts = 0;               // cuts that happened
  std::uint64_t cuts_rst = 0;           //   ... of them with an RST
  std::uint64_t cuts_up = 0;            //   ... of them in the client -> server direction
  std::uint64_t stalls = 0;             // stalls that happened
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
};

namespace fault_proxy_detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

inline void set_cloexec(int fd) {
  if (fd < 0) return;
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) (void)::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

struct Counters {
  std::atomic<std::uint64_t> connections{0}, upstream_failures{0}, cuts{0}, cuts_rst{0}, cuts_up{0}, stalls{0},
      bytes_up{0}, bytes_down{0};
};

enum class Kind { pass, cut, stall };

struct Plan {
  Kind kind = Kind::pass;
  int direction = 0;  // 0: client -> server, 1: server -> client
  std::uint64_t offset = 0;  // the fault happens after this many bytes in `direction`
  bool rst = false;
  std::chrono::milliseconds stall{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& ioc, tcp::socket client, Plan plan, Counters& counters)
      : client_(std::move(client)), server_(ioc), timer_(ioc), connect_timer_(ioc), plan_(plan), counters_(counters) {
    pumps_[0] = {&client_, &server_};
    pumps_[1] = {&server_, &client_};
  }

  void start(const tcp::endpoint& target, std::chrono::milliseconds connect_timeout) {
    auto self = shared_from_this();
    error_code ec;
    server_.open(target.protocol(), ec);
    if (ec) {
      counters_.upstream_failures++;
      return close(false);
    }
    set_cloexec(server_.native_handle());
    connect_timer_.expires_after(connect_timeout);
    connect_timer_.async_wait([this, self](error_code e) {
      if (e || connected_ || closed_) return;
      error_code ignored;
      server_.close(ignored);  // aborts the connect below
    });
    server_.async_connect(target, [this, self](error_code e) {
      connect_timer_.cancel();
      if (closed_) return;
      if (e) {
        counters_.upstream_failures++;
        return close(false);
      }
      connected_ = true;
      error_code ignored;
      client_.set_option(tcp::no_delay(true), ignored);
      server_.set_option(tcp::no_delay(true), ignored);
      read(0);
      read(1);
    });
  }

  // Closes both sides: with an RST (linger 0) or an orderly FIN. Idempotent.
  void close(bool rst) {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    connect_timer_.cancel();
    for (tcp::socket* s : {&client_, &server_}) {
      if (!s->is_open()) continue;
      error_code ignored;
      if (rst) {
        s->set_option(asio::socket_base::linger(true, 0), ignored);
      } else {
        s->shutdown(tcp::socket::shutdown_both, ignored);
      }
      s->close(ignored);
    }
  }

 private:
  struct Pump {
    tcp::socket* from = nullptr;
    tcp::socket* to = nullptr;
    std::array<char, 16 * 1024> buf{};
    std::uint64_t forwarded = 0;
  };

  void read(int d) {
    if (closed_) return;
    auto self = shared_from_this();
    Pump& p = pumps_[d];
    p.from->async_read_some(asio::buffer(p.buf), [this, self, d](error_code ec, std::size_t n) {
      if (closed_) return;
      if (ec) return close(false);  // one side ended (or failed): end the other too
      forward(d, 0, n);
    });
  }

  // Forwards buf[begin, end) of direction d, applying the plan's fault if its offset lies inside.
  void forward(int d, std::size_t begin, std::size_t end) {
    if (closed_) return;
    Pump& p = pumps_[d];
    std::size_t until = end;
    bool fault_here = false;
    if (!fault_done_ && plan_.kind != Kind::pass && plan_.direction == d && plan_.offset < p.forwarded + (end - begin)) {
      until = begin + static_cast<std::size_t>(plan_.offset - p.forwarded);
      fault_here = true;
    }
    auto self = shared_from_this();
    auto after = [this, self, d, until, end, fault_here] {
      if (closed_) return;
      if (!fault_here) return read(d);
      fault_done_ = true;
      if (plan_.kind == Kind::cut) {
        counters_.cuts++;
        if (plan_.rst) counters_.cuts_rst++;
        if (d == 0) counters_.cuts_up++;
        return close(plan_.rst);
      }
      counters_.stalls++;
      timer_.expires_after(plan_.stall);
      timer_.async_wait([this, self, d, until, end](error_code ec) {
        if (ec || closed_) return;
        forward(d, until, end);  // the rest of this read, then on as normal
      });
    };
    if (until == begin) return after();
    asio::async_write(*p.to, asio::buffer(p.buf.data() + begin, until - begin),
                      [this, self, d, after](error_code ec, std::size_t n) {
                        if (closed_) return;
                        if (ec) return close(false);
                        pumps_[d].forwarded += n;
                        (d == 0 ? counters_.bytes_up : counters_.bytes_down) += n;
                        after();
                      });
  }

  tcp::socket client_;
  tcp::socket server_;
  asio::steady_timer timer_;
  asio::steady_timer connect_timer_;
  Plan plan_;
  Counters& counters_;
  std::array<Pump, 2> pumps_;
  bool connected_ = false;
  bool closed_ = false;
  bool fault_done_ = false;
};

}  // namespace fault_proxy_detail

class FaultProxy {
 public:
  // Starts listening and forwarding at once. Throws (boost::system::system_error) if it cannot
  // listen.
  explicit FaultProxy(std::uint16_t target_port, FaultProxyOptions options = {})
      : options_(options),
        p_cut_(options.p_cut),
        p_stall_(options.p_stall),
        target_port_(target_port),
        rng_(options.seed),
        acceptor_(ioc_),
        retry_timer_(ioc_) {
    namespace asio = boost::asio;
    const asio::ip::tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    fault_proxy_detail::set_cloexec(acceptor_.native_handle());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { run(); });
  }
  ~FaultProxy() { stop(); }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  void set_target_port(std::uint16_t port) noexcept { target_port_ = port; }
  std::uint16_t target_port() const noexcept { return target_port_; }
  // For connections accepted from now on.
  void set_faults(double p_cut, double p_stall) noexcept {
    p_cut_ = p_cut;
    p_stall_ = p_stall;
  }

  FaultProxyCounters counters() const noexcept {
    FaultProxyCounters c;
    c.connections = counters_.connections;
    c.upstream_failures = counters_.upstream_failures;
    c.cuts = counters_.cuts;
    c.cuts_rst = counters_.cuts_rst;
    c.cuts_up = counters_.cuts_up;
    c.stalls = counters_.stalls;
    c.bytes_up = counters_.bytes_up;
    c.bytes_down = counters_.bytes_down;
    return c;
  }

  // Closes the listener and every connection, and joins the thread (within a few seconds: if the
  // io_context does not run out of work by then, it is stopped). Idempotent.
  void stop() {
    std::lock_guard lock(stop_mu_);
    if (!thread_.joinable()) return;
    boost::asio::post(ioc_, [this] { close_all(); });
    if (finished_.wait_for(std::chrono::seconds(5)) != std::future_status::ready) ioc_.stop();
    thread_.join();
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  void run() {
    for (int i = 0; i < 100; ++i) {  // a handler that throws ends one run(), not the proxy
      try {
        ioc_.run();
        break;
      } catch (...) {
      }
    }
    done_.set_value();
  }

  void accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (!acceptor_.is_open() || ec == boost::asio::error::operation_aborted) return;
      if (ec) {  // e.g. out of descriptors: try again shortly rather than spin
        retry_timer_.expires_after(std::chrono::milliseconds(20));
        retry_timer_.async_wait([this](error_code e) {
          if (!e) accept();
        });
        return;
      }
      fault_proxy_detail::set_cloexec(socket.native_handle());
      counters_.connections++;
      auto conn = std::make_shared<fault_proxy_detail::Connection>(ioc_, std::move(socket), plan(), counters_);
      if (conns_.size() >= 64) conns_.remove_if([](const auto& w) { return w.expired(); });
      conns_.push_back(conn);
      conn->start(tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), target_port_.load()),
                  options_.connect_timeout);
      accept();
    });
  }

  // Draws every value every time, so the sequence of plans depends on the seed alone.
  fault_proxy_detail::Plan plan() {
    using fault_proxy_detail::Kind;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    fault_proxy_detail::Plan p;
    const double x = u(rng_);
    const double pc = p_cut_.load();
    const double ps = p_stall_.load();
    p.kind = x < pc ? Kind::cut : (x < pc + ps ? Kind::stall : Kind::pass);
    p.direction = u(rng_) < 0.5 ? 0 : 1;
    const double max_offset = static_cast<double>(p.direction == 0 ? options_.max_offset_up : options_.max_offset_down);
    const double y = u(rng_);
    p.offset = static_cast<std::uint64_t>(std::max(0.0, std::floor(std::exp(y * std::log(max_offset + 1.0)) - 1.0)));
    p.rst = u(rng_) < 0.5;
    std::uniform_int_distribution<std::int64_t> stall(options_.stall_min.count(),
                                                      std::max(options_.stall_min.count(), options_.stall_max.count()));
    p.stall = std::chrono::milliseconds(stall(rng_));
    return p;
  }

  void close_all() {
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    for (auto& w : conns_) {
      if (auto c = w.lock()) c->close(false);
    }
    conns_.clear();
  }

  const FaultProxyOptions options_;
  std::atomic<double> p_cut_;
  std::atomic<double> p_stall_;
  std::atomic<std::uint16_t> target_port_;
  fault_proxy_detail::Counters counters_;
  std::mt19937_64 rng_;  // io thread only
  boost::asio::io_context ioc_{1};
  tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::list<std::weak_ptr<fault_proxy_detail::Connection>> conns_;  // io thread only
  std::uint16_t port_ = 0;
  std::promise<void> done_;
  std::future<void> finished_ = done_.get_future();
  std::mutex stop_mu_;
  std::thread thread_;
};

}  // namespace vigil::testing
