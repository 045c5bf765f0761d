// The HTTPS server (server/net) and the HTTPS transport (client/sync) against each other: real
// TLS 1.3 on 127.0.0.1, certificates made with the openssl command line for each test process.
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

namespace {

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

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string trim(std::string s) {
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

const Pki& pki() {
  static const Pki instance;
  return instance;
}

ListenerConfig base_config() {
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
constexpr std::string_view k_forged_log_text = "failed\nvigil-server: event=staff_login_ok user=\"admin\" \\ x=1\r\x01";

// What the echo handler has seen.
struct HandlerState {
  std::atomic<int> calls{0};
  std::atomic<bool> sleeping{false};
};

// Answers with the request and the peer as JSON; "/sleep" takes 300 ms, "/throw" throws.
HttpResponse echo(const HttpRequest& req, const PeerIdentity& peer, HandlerState& state) {
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

TransportConfig client_config(std::uint16_t port) {
  TransportConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.root_ca_pem = pki().root_pem;
  cfg.spki_pins = {pki().other_root_pin, pki().root_pin};  // a backup pin first, then the real one
  cfg.connect_timeout = milliseconds(2000);
  cfg.io_timeout = milliseconds(3000);
  return cfg;
}

TransportConfig device_config(std::uint16_t port) {
  TransportConfig cfg = client_config(port);
  cfg.client_cert_pem = pki().device_cert_pem;
  cfg.client_key_pem = vigil::crypto::SecretBytes(pki().device_key_pem.begin(), pki().device_key_pem.end());
  return cfg;
}

HttpRequest get(std::string target) {
  HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

HttpRequest post(std::string target, std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers["Content-Type"] = "application/octet-stream";
  req.body = std::move(body);
  return req;
}

json body_json(const HttpResponse& res) { return json::parse(res.body); }

// A raw TLS client for what the transport would never send.
struct RawOutcome {
  error_code handshake;      // set if the handshake failed
  std::string received;      // everything the server sent before closing (or before `wait` ran out)
  bool closed = false;       // the server ended the connection within `wait`
  milliseconds elapsed{0};   // from the end of the handshake to the close
};

RawOutcome raw_tls(std::uint16_t port, const std::string& send, milliseconds wait, int max_version = 0) {
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

}  // namespace

TEST_CASE("a GET and a POST round trip over TLS 1.3 without a client certificate") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  auto got = transport.roundtrip(get("/v1/echo?x=1"));
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->header("Content-Type") == "application/json");
  CHECK(got->header("Server") == "vigil");
  json j = body_json(*got);
  CHECK(j["method"] == "GET");
  CHECK(j["target"] == "/v1/echo?x=1");
  CHECK(j["peer"]["client_certificate"] == false);
  CHECK(j["peer"]["subject_cn"] == "");
  CHECK(j["peer"]["serial_hex"] == "");
  CHECK(j["peer"]["remote_address"] == "127.0.0.1");

  auto posted = transport.roundtrip(post("/v1/upload", std::string("hello\0world", 11)));
  REQUIRE(posted);
  CHECK(posted->status == 200);
  j = body_json(*posted);
  CHECK(j["method"] == "POST");
  CHECK(j["body"] == std::string("hello\0world", 11));
  CHECK(j["peer"]["client_certificate"] == false);
}

TEST_CASE("a device certificate is verified and reported as the peer identity") {
  TestServer server;
  HttpsTransport transport(device_config(server.port()));

  auto got = transport.roundtrip(get("/v1/me"));
  REQUIRE(got);
  CHECK(got->status == 200);
  const json peer = body_json(*got)["peer"];
  CHECK(peer["client_certificate"] == true);
  CHECK(peer["subject_cn"] == "device-1");
  CHECK(peer["serial_hex"] == pki().device_serial_hex);
  CHECK(peer["remote_address"] == "127.0.0.1");

  auto posted = transport.roundtrip(post("/v1/records", "{}"));
  REQUIRE(posted);
  CHECK(body_json(*posted)["peer"]["subject_cn"] == "device-1");
}

TEST_CASE("two requests share one keep-alive connection") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  REQUIRE(transport.roundtrip(get("/one")));
  REQUIRE(transport.roundtrip(post("/two", "x")));
  CHECK(server.state().calls == 2);
  CHECK(server.server().total_connections() == 1);
  CHECK(server.server().open_connections() == 1);
}

TEST_CASE("the transport reconnects after the server closed an idle keep-alive connection") {
  TestServer server([](ListenerConfig& cfg) { cfg.idle_timeout = seconds(1); });
  HttpsTransport transport(client_config(server.port()));

  REQUIRE(transport.roundtrip(get("/one")));
  std::this_thread::sleep_for(milliseconds(1500));  // the server closes the idle connection
  auto again = transport.roundtrip(post("/two", "not idempotent, so it must go on a fresh connection"));
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(server.server().total_connections() == 2);
}

TEST_CASE("a client that trusts a different root refuses the server") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.root_ca_pem = pki().other_root_pem;
  cfg.spki_pins = {pki().other_root_pin};
  HttpsTransport transport(cfg);

  auto got = transport.roundtrip(get("/"));
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::unavailable);
  CHECK_THAT(got.error().message, StartsWith("TLS: certificate is not signed by Vigil's CA"));
  CHECK(server.state().calls == 0);
}

TEST_CASE("a server whose key is not pinned is refused") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.spki_pins = {pki().other_root_pin};
  HttpsTransport transport(cfg);

  auto got = transport.roundtrip(get("/"));
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::unavailable);
  CHECK(got.error().message == "TLS: server key is not pinned");
  CHECK(server.state().calls == 0);
}

TEST_CASE("a transport without pins refuses to connect at all") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.spki_pins.clear();
  HttpsTransport transport(cfg);

  auto got = transport.roundtrip(get("/"));
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::invalid_argument);
  CHECK_THAT(got.error().message, ContainsSubstring("pins are mandatory"));
  CHECK(server.server().total_connections() == 0);
}

TEST_CASE("a client certificate from an unrelated CA fails the handshake") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.client_cert_pem = pki().evil_cert_pem;
  cfg.client_key_pem = vigil::crypto::SecretBytes(pki().evil_key_pem.begin(), pki().evil_key_pem.end());
  HttpsTransport transport(cfg);

  auto got = transport.roundtrip(get("/"));
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::unavailable);
  CHECK_THAT(got.error().message, StartsWith("TLS: the server refused this device's certificate"));
  CHECK(server.state().calls == 0);
  CHECK(server.logged("event=tls_handshake_failed"));
  CHECK(server.logged("unable to get local issuer certificate"));
}

TEST_CASE("a TLS 1.2 client is refused") {
  TestServer server;
  const RawOutcome out = raw_tls(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", milliseconds(3000), TLS1_2_VERSION);
  REQUIRE(out.handshake);
  CHECK_THAT(out.handshake.message(), ContainsSubstring("protocol version"));
  CHECK(server.state().calls == 0);
}

TEST_CASE("a body over the limit is refused with 413 and a JSON error") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  auto got = transport.roundtrip(post("/v1/upload", std::string(1024 * 1024, 'b')));
  REQUIRE(got);
  CHECK(got->status == 413);
  CHECK(got->header("Content-Type") == "application/json");
  CHECK(got->header("Connection") == "close");
  const json j = body_json(*got);
  CHECK(j["v"] == 1);
  CHECK(j["error"]["code"] == "body_too_large");
  CHECK(server.state().calls == 0);

  // The transport dropped the refused connection and works on a new one.
  auto next = transport.roundtrip(get("/after"));
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("headers over the limit are refused with 431 and a JSON error") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));
  HttpRequest req = get("/");
  req.headers["X-Padding"] = std::string(16 * 1024, 'h');

  auto got = transport.roundtrip(req);
  REQUIRE(got);
  CHECK(got->status == 431);
  CHECK(body_json(*got)["error"]["code"] == "headers_too_large");
  CHECK(server.state().calls == 0);
}

TEST_CASE("a malformed request is answered with 400 and the connection closed") {
  TestServer server;
  const RawOutcome out = raw_tls(server.port(), "GET / HTTX/1.1\r\nHost: x\r\n\r\n", milliseconds(3000));
  REQUIRE_FALSE(out.handshake);
  CHECK(out.closed);
  CHECK_THAT(out.received, StartsWith("HTTP/1.1 400"));
  CHECK_THAT(out.received, ContainsSubstring(R"("code":"bad_request")"));
  CHECK(server.state().calls == 0);
}

TEST_CASE("a client that stalls halfway through a request is disconnected after the read timeout") {
  TestServer server;  // read_timeout 1 s, idle_timeout 5 s
  const RawOutcome out = raw_tls(server.port(), "GET /slow HTTP/1.1\r\nHost: x\r\n", milliseconds(4000));
  REQUIRE_FALSE(out.handshake);
  CHECK(out.closed);
  CHECK(out.received.empty());
  CHECK(out.elapsed < milliseconds(4000));  // well before the idle timeout
  CHECK(server.state().calls == 0);
}

TEST_CASE("requests beyond the burst are answered with 429 and Retry-After") {
  TestServer server([](ListenerConfig& cfg) {
    cfg.rate_per_second = 0.5;
    cfg.rate_burst = 3;
  });
  HttpsTransport transport(device_config(server.port()));

  for (int i = 0; i < 3; ++i) {
    auto ok = transport.roundtrip(get("/burst"));
    REQUIRE(ok);
    CHECK(ok->status == 200);
  }
  auto limited = transport.roundtrip(get("/burst"));
  REQUIRE(limited);
  CHECK(limited->status == 429);
  CHECK(body_json(*limited)["error"]["code"] == "rate_limited");
  const std::string retry_after = limited->header("Retry-After");
  REQUIRE_FALSE(retry_after.empty());
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(server.state().calls == 3);

  // The bucket belongs to the device: a client without a certificate (keyed by address) has its own.
  HttpsTransport anonymous(client_config(server.port()));
  auto other = anonymous.roundtrip(get("/burst"));
  REQUIRE(other);
  CHECK(other->status == 200);
}

TEST_CASE("a handler that throws gives a 500 JSON error and the connection lives on") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  auto got = transport.roundtrip(get("/throw"));
  REQUIRE(got);
  CHECK(got->status == 500);
  CHECK(body_json(*got)["error"]["code"] == "internal");
  REQUIRE(transport.roundtrip(get("/fine")));
  CHECK(server.server().total_connections() == 1);
  CHECK(server.logged("event=handler_exception"));
}

TEST_CASE("connections beyond max_connections are closed at once") {
  TestServer server([](ListenerConfig& cfg) { cfg.max_connections = 1; });
  HttpsTransport first(client_config(server.port()));
  REQUIRE(first.roundtrip(get("/first")));  // keeps its connection open

  HttpsTransport second(client_config(server.port()));
  auto refused = second.roundtrip(get("/second"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::unavailable);
  CHECK(server.logged("reason=\"max_connections\""));
  CHECK(server.server().open_connections() == 1);
}

TEST_CASE("stop lets the request in flight finish and then run returns") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));
  auto in_flight = std::async(std::launch::async, [&transport] { return transport.roundtrip(get("/sleep")); });

  for (int i = 0; i < 500 && !server.state().sleeping; ++i) std::this_thread::sleep_for(milliseconds(5));
  REQUIRE(server.state().sleeping);
  server.server().stop(seconds(10));

  auto got = in_flight.get();
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->header("Connection") == "close");
  CHECK(server.run_returns_within(milliseconds(5000)));
  CHECK(server.server().open_connections() == 0);
}

TEST_CASE("stop closes idle keep-alive connections without waiting for the grace period") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));
  REQUIRE(transport.roundtrip(get("/")));
  REQUIRE(server.server().open_connections() == 1);

  server.server().stop(seconds(60));
  CHECK(server.run_returns_within(milliseconds(5000)));
  CHECK(server.server().open_connections() == 0);

  auto after = transport.roundtrip(get("/"));
  REQUIRE_FALSE(after);
  CHECK(after.error().code == Errc::unavailable);
  CHECK_THAT(after.error().message, ContainsSubstring("connection refused"));
}

TEST_CASE("a server that is not running gives unavailable: connection refused") {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens on `port` now
  HttpsTransport transport(client_config(port));

  auto got = transport.roundtrip(get("/"));
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::unavailable);
  CHECK(got.error().message == "could not connect to 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_CASE("a GET whose keep-alive connection went stale is sent again on a new connection") {
  ScriptedServer server({1});  // connection 0 answers once, then drops the next request
  HttpsTransport transport(client_config(server.port()));

  auto first = transport.roundtrip(get("/a"));
  REQUIRE(first);
  CHECK(first->body == "connection 0");
  auto second = transport.roundtrip(get("/b"));
  REQUIRE(second);
  CHECK(second->body == "connection 1");
  CHECK(server.accepted == 2);
}

TEST_CASE("a POST whose keep-alive connection went stale is reported and not sent again") {
  ScriptedServer server({1});
  HttpsTransport transport(client_config(server.port()));

  REQUIRE(transport.roundtrip(get("/a")));
  auto lost = transport.roundtrip(post("/b", "x"));
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code == Errc::unavailable);
  CHECK_THAT(lost.error().message, ContainsSubstring("closed the connection without responding"));
  CHECK(server.accepted == 1);

  auto next = transport.roundtrip(get("/c"));  // a new connection
  REQUIRE(next);
  CHECK(next->body == "connection 1");
}

TEST_CASE("a server on four threads serves concurrent clients and stops cleanly") {
  TestServer server([](ListenerConfig& cfg) { cfg.threads = 4; });
  const std::uint16_t port = server.port();
  std::vector<std::future<int>> clients;
  for (int c = 0; c < 4; ++c) {
    clients.push_back(std::async(std::launch::async, [port, c] {
      HttpsTransport transport(c % 2 == 0 ? client_config(port) : device_config(port));
      int ok = 0;
      for (int i = 0; i < 25; ++i) {
        auto got = transport.roundtrip(post("/n", std::to_string(i)));
        if (got && got->status == 200 && body_json(*got)["body"] == std::to_string(i)) ++ok;
      }
      return ok;
    }));
  }
  for (auto& client : clients) CHECK(client.get() == 25);
  CHECK(server.state().calls == 100);
  CHECK(server.server().total_connections() == 4);
  server.server().stop(seconds(5));
  CHECK(server.run_returns_within(milliseconds(5000)));
}

TEST_CASE("a request path or exception text with quotes and line breaks cannot forge a log line") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));
  const std::string path = "/throw/x\"=y\"&event=forged";  // Beast passes quotes and = in a target
  auto got = transport.roundtrip(get(path));
  REQUIRE(got);
  CHECK(got->status == 500);
  const std::string line = server.log_line("event=handler_exception");
  REQUIRE_FALSE(line.empty());
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  // Exactly three keys, each value one quoted token that reads back as sent.
  const auto path_at = line.find(" path=");
  const auto what_at = line.find(" what=");
  REQUIRE(path_at != std::string::npos);
  REQUIRE(what_at != std::string::npos);
  CHECK(line.substr(0, line.find(' ')) == "event=handler_exception");
  CHECK(vigil::parse_log_value(line.substr(line.find("method=") + 7, path_at - line.find("method=") - 7)).value() == "GET");
  CHECK(vigil::parse_log_value(line.substr(path_at + 6, what_at - path_at - 6)).value() == path);
  CHECK(vigil::parse_log_value(line.substr(what_at + 6)).value() == k_forged_log_text);
}
