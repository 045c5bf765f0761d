#pragma once
// What the TLS tests (tests/integration/test_net_tls*.cpp) share: a test PKI made once per process
// with the openssl command line, an HttpsServer running an echo handler, client transports that
// pin the test root, a raw TLS client and a scripted server for what the transport must survive.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <source_location>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include "client/sync/https_transport.hpp"
#include "server/net/https_server.hpp"
#include "shared/core/log.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/http_request.hpp"

namespace vigil::testing::tls {

using testing::make_request;

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using boost::system::error_code;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using vigil::Errc;
using vigil::client::sync::HttpsTransport;
using vigil::client::sync::TransportConfig;
using vigil::protocol::HttpRequest;
using vigil::protocol::HttpResponse;
using vigil::protocol::PeerIdentity;
using vigil::server::net::HttpsServer;
using vigil::server::net::ListenerConfig;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The test PKI, made once per test process with the openssl command line:
//   root ── server (127.0.0.1, localhost)      other root ── other device CA ── device-1 (evil)
//     └── device CA ── device-1
struct Pki {
  vigil::testing::TempDir dir;
  std::string root_pem, root_pin, other_root_pem, other_root_pin;
  std::string device_cert_pem, device_key_pem, device_serial_hex;
  std::string evil_cert_pem, evil_key_pem;

  Pki() {
    const fs::path script = dir / "make-pki.sh";
    std::ofstream(script) << R"SH(set -eu
cd "$1"
cat > ext.cnf <<'EOF'
[ca]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[server]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
[client]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
root() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "/CN=$2" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
issue() {  # name common-name issuer extensions
  key "$1"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 30 -sha256 -extfile ext.cnf -extensions "$4" -out "$1.pem"
}
pin() { openssl x509 -in "$1.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A; }
root root "Vigil Test Root"
root other "Unrelated Root"
issue device-ca "Vigil Test Device CA" root ca
issue server localhost root server
issue device device-1 device-ca client
issue other-ca "Unrelated Device CA" other ca
issue evil device-1 other-ca client
cat server.pem > server-chain.pem
pin root > root.pin
pin other > other.pin
openssl x509 -in device.pem -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' > device.serial
)SH";
    const std::string cmd = "bash '" + script.string() + "' '" + dir.path().string() + "' > '" +
                            (dir / "make-pki.log").string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("making the test PKI failed:\n" + read_text(dir / "make-pki.log"));
    }
    root_pem = read_text(dir / "root.pem");
    root_pin = trim(read_text(dir / "root.pin"));
    other_root_pem = read_text(dir / "other.pem");
    other_root_pin = trim(read_text(dir / "other.pin"));
    device_cert_pem = read_text(dir / "device.pem");
    device_key_pem = read_text(dir / "device.key");
    device_serial_hex = trim(read_text(dir / "device.serial"));
    evil_cert_pem = read_text(dir / "evil.pem");
    evil_key_pem = read_text(dir / "evil.key");
  }
};

inline const Pki& pki() {
  static const Pki instance;
  return instance;
}

inline ListenerConfig base_config() {
  ListenerConfig cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.certificate_chain_pem = pki().dir / "server-chain.pem";
  cfg.private_key_pem = pki().dir / "server.key";
  cfg.client_ca_pem = pki().dir / "device-ca.pem";
  cfg.handshake_timeout = seconds(2);
  cfg.read_timeout = seconds(1);
  cfg.write_timeout = seconds(2);
  cfg.idle_timeout = seconds(5);
  cfg.body_limit = 16 * 1024;
  cfg.header_limit = 8 * 1024;
  cfg.rate_per_second = 1000;
  cfg.rate_burst = 1000;
  return cfg;
}

// A second log line and keys an attacker would like the log to show.
inline constexpr std::string_view k_forged_log_text = "failed\nvigil-server: event=staff_login_ok user=\"admin\" \\ x=1\r\x01";

// What the echo handler has seen.
struct HandlerState {
  std::atomic<int> calls{0};
  std::atomic<bool> sleeping{false};
};

// Answers with the request and the peer as JSON; "/sleep" takes 300 ms, "/throw" throws.
inline HttpResponse echo(const HttpRequest& req, const PeerIdentity& peer, HandlerState& state) {
  ++state.calls;
  if (req.path() == "/sleep") {
    state.sleeping = true;
    std::this_thread::sleep_for(milliseconds(300));
  }
  if (req.path() == "/throw") throw std::runtime_error("handler failed on purpose");
  // An exception whose text carries what a request sent (as error messages often quote input).
  if (req.path().starts_with("/throw/")) throw std::runtime_error(std::string(k_forged_log_text));
  const json body = {{"method", req.method},
                     {"target", req.target},
                     {"body", req.body},
                     {"peer",
                      {{"client_certificate", peer.client_certificate},
                       {"subject_cn", peer.subject_cn},
                       {"serial_hex", peer.serial_hex},
                       {"remote_address", peer.remote_address}}}};
  HttpResponse res;
  res.headers["Content-Type"] = "application/json";
  res.body = body.dump();
  return res;
}

// An HttpsServer running the echo handler on its own thread; stopped (without grace) on scope exit.
class TestServer {
 public:
  explicit TestServer(const std::function<void(ListenerConfig&)>& adjust = {}) {
    ListenerConfig cfg = base_config();
    if (adjust) adjust(cfg);
    cfg.log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(line);
    };
    server_ = std::make_unique<HttpsServer>(
        std::move(cfg), [this](const HttpRequest& req, const PeerIdentity& peer) { return echo(req, peer, state_); });
    const vigil::Status started = server_->start();
    if (!started) throw std::runtime_error("server did not start: " + started.error().message);
    runner_ = std::async(std::launch::async, [this] { server_->run(); });
  }
  ~TestServer() {
    server_->stop(seconds(0));
    runner_.wait();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  HttpsServer& server() { return *server_; }
  HandlerState& state() { return state_; }
  std::uint16_t port() const { return server_->port(); }
  // Whether run() returned within `limit`.
  bool run_returns_within(milliseconds limit) { return runner_.wait_for(limit) == std::future_status::ready; }
  // Whether a log line containing `text` appears within two seconds: the server may log an event
  // after the client has already seen its outcome.
  // The first log line containing `text` (waiting as logged() does), or empty.
  std::string log_line(std::string_view text) {
    if (!logged(text)) return {};
    std::lock_guard lock(log_mutex_);
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return line;
    }
    return {};
  }
  bool logged(std::string_view text) {
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(log_mutex_);
        for (const auto& line : log_) {
          if (line.find(text) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }

 private:
  HandlerState state_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
  std::unique_ptr<HttpsServer> server_;
  std::future<void> runner_;
};

inline TransportConfig client_config(std::uint16_t port) {
  TransportConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.root_ca_pem = pki().root_pem;
  cfg.spki_pins = {pki().other_root_pin, pki().root_pin};  // a backup pin first, then the real one
  cfg.connect_timeout = milliseconds(2000);
  cfg.io_timeout = milliseconds(3000);
  return cfg;
}

inline TransportConfig device_config(std::uint16_t port) {
  TransportConfig cfg = client_config(port);
  cfg.client_cert_pem = pki().device_cert_pem;
  cfg.client_key_pem = vigil::crypto::SecretBytes(pki().device_key_pem.begin(), pki().device_key_pem.end());
  return cfg;
}

// A round trip that must have been answered with `status`: its response. A failure names the
// caller's line.
inline HttpResponse answered(vigil::Result<HttpResponse> got, int status,
                             std::source_location at = std::source_location::current()) {
  INFO("round trip at line " << at.line());
  REQUIRE(got);
  CHECK(got->status == status);
  return std::move(*got);
}

// A round trip that must have failed with `code`: its error. A failure names the caller's line.
inline vigil::Error failed(vigil::Result<HttpResponse> got, Errc code,
                           std::source_location at = std::source_location::current()) {
  INFO("round trip at line " << at.line());
  REQUIRE_FALSE(got);
  CHECK(got.error().code == code);
  return got.error();
}

inline HttpRequest get(std::string target) { return make_request("GET", std::move(target)); }

inline HttpRequest post(std::string target, std::string body) {
  return make_request("POST", std::move(target), std::move(body), "application/octet-stream");
}

inline json body_json(const HttpResponse& res) { return json::parse(res.body); }

// A raw TLS client for what the transport would never send.
struct RawOutcome {
  error_code handshake;      // set if the handshake failed
  std::string received;      // everything the server sent before closing (or before `wait` ran out)
  bool closed = false;       // the server ended the connection within `wait`
  milliseconds elapsed{0};   // from the end of the handshake to the close
};

inline RawOutcome raw_tls(std::uint16_t port, const std::string& send, milliseconds wait, int max_version = 0) {
  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  ctx.add_certificate_authority(asio::buffer(pki().root_pem));
  ctx.set_verify_mode(ssl::verify_peer);
  ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});

  RawOutcome out;
  // The server bounds the handshake (handshake_timeout), so a blocking handshake is bounded too.
  stream.handshake(ssl::stream_base::client, out.handshake);
  if (out.handshake) return out;
  const auto start = std::chrono::steady_clock::now();
  if (!send.empty()) {
    error_code ec;
    asio::write(stream, asio::buffer(send), ec);
  }
  const auto deadline = start + wait;
  std::array<char, 4096> buf{};
  for (;;) {
    std::optional<error_code> done;
    std::size_t n = 0;
    stream.async_read_some(asio::buffer(buf), [&done, &n](error_code ec, std::size_t k) {
      done = ec;
      n = k;
    });
    ioc.restart();
    ioc.run_until(deadline);
    if (!done) {
      error_code ignored;
      stream.next_layer().close(ignored);
      ioc.restart();
      ioc.run();
      break;
    }
    out.received.append(buf.data(), n);
    if (*done) {
      out.closed = true;
      break;
    }
  }
  out.elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return out;
}

// A stand-in HTTPS server for the transport's stale-connection handling: its n-th connection
// answers answers[n] requests ("connection n") and, on the next request, closes without a word,
// as a server does when it drops an idle keep-alive connection just as a request arrives. A
// negative count (or a connection beyond the list) answers every request.
struct ScriptedServer {
  explicit ScriptedServer(std::vector<int> answer_counts) : answers(std::move(answer_counts)) {
    tls.use_certificate_chain_file((pki().dir / "server-chain.pem").string());
    tls.use_private_key_file((pki().dir / "server.key").string(), ssl::context::pem);
    acceptor.open(asio::ip::tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    asio::co_spawn(ioc, accept_loop(this), asio::detached);
    thread = std::thread([this] { ioc.run(); });
  }
  ~ScriptedServer() {
    ioc.stop();
    thread.join();
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  using Stream = ssl::stream<asio::ip::tcp::socket>;
  static constexpr auto tok = asio::as_tuple(asio::use_awaitable);

  static asio::awaitable<void> session(std::shared_ptr<Stream> stream, int answer_count, int index) {
    auto [hs_ec] = co_await stream->async_handshake(ssl::stream_base::server, tok);
    if (hs_ec) co_return;
    std::string buf;
    for (int i = 0;; ++i) {
      auto [rd_ec, rd_n] = co_await asio::async_read_until(*stream, asio::dynamic_buffer(buf), "\r\n\r\n", tok);
      if (rd_ec) co_return;
      buf.clear();  // the tests send tiny bodies, read along with the headers
      if (answer_count >= 0 && i >= answer_count) {
        stream->next_layer().close();
        co_return;
      }
      const std::string body = "connection " + std::to_string(index);
      const std::string res = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      auto [wr_ec, wr_n] = co_await asio::async_write(*stream, asio::buffer(res), tok);
      if (wr_ec) co_return;
    }
  }

  static asio::awaitable<void> accept_loop(ScriptedServer* self) {
    for (int index = 0;; ++index) {
      auto [ec, socket] = co_await self->acceptor.async_accept(tok);
      if (ec) co_return;
      self->accepted.fetch_add(1);
      const int count = index < static_cast<int>(self->answers.size()) ? self->answers[static_cast<std::size_t>(index)] : -1;
      auto stream = std::make_shared<Stream>(std::move(socket), self->tls);
      asio::co_spawn(self->ioc, session(std::move(stream), count, index), asio::detached);
    }
  }

  const std::vector<int> answers;
  std::atomic<int> accepted{0};
  asio::io_context ioc;
  ssl::context tls{ssl::context::tls_server};
  asio::ip::tcp::acceptor acceptor{ioc};
  std::thread thread;
};


}  // namespace vigil::testing::tls
