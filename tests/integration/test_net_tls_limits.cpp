// The HTTPS server (server/net) and the HTTPS transport (client/sync) against each other over real
// TLS 1.3 on 127.0.0.1 (tests/support/tls_world.hpp): limits, timeouts, rate limiting, failing
// handlers, stopping, threads and log lines.
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/tls_world.hpp"

using namespace vigil::testing::tls;

TEST_CASE("a body over the limit is refused with 413 and a JSON error") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  const auto got = answered(transport.roundtrip(post("/v1/upload", std::string(1024 * 1024, 'b'))), 413);
  CHECK(got.header("Content-Type") == "application/json");
  CHECK(got.header("Connection") == "close");
  const json j = body_json(got);
  CHECK(j["v"] == 1);
  CHECK(j["error"]["code"] == "body_too_large");
  CHECK(server.state().calls == 0);

  // The transport dropped the refused connection and works on a new one.
  const auto next = answered(transport.roundtrip(get("/after")), 200);
}

TEST_CASE("headers over the limit are refused with 431 and a JSON error") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));
  HttpRequest req = get("/");
  req.headers["X-Padding"] = std::string(16 * 1024, 'h');

  const auto got = answered(transport.roundtrip(req), 431);
  CHECK(body_json(got)["error"]["code"] == "headers_too_large");
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
    const auto ok = answered(transport.roundtrip(get("/burst")), 200);
  }
  const auto limited = answered(transport.roundtrip(get("/burst")), 429);
  CHECK(body_json(limited)["error"]["code"] == "rate_limited");
  const std::string retry_after = limited.header("Retry-After");
  REQUIRE_FALSE(retry_after.empty());
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(server.state().calls == 3);

  // The bucket belongs to the device: a client without a certificate (keyed by address) has its own.
  HttpsTransport anonymous(client_config(server.port()));
  const auto other = answered(anonymous.roundtrip(get("/burst")), 200);
}

TEST_CASE("a handler that throws gives a 500 JSON error and the connection lives on") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  const auto got = answered(transport.roundtrip(get("/throw")), 500);
  CHECK(body_json(got)["error"]["code"] == "internal");
  REQUIRE(transport.roundtrip(get("/fine")));
  CHECK(server.server().total_connections() == 1);
  CHECK(server.logged("event=handler_exception"));
}

TEST_CASE("connections beyond max_connections are closed at once") {
  TestServer server([](ListenerConfig& cfg) { cfg.max_connections = 1; });
  HttpsTransport first(client_config(server.port()));
  REQUIRE(first.roundtrip(get("/first")));  // keeps its connection open

  HttpsTransport second(client_config(server.port()));
  const auto refused = failed(second.roundtrip(get("/second")), Errc::unavailable);
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

  const auto got = answered(in_flight.get(), 200);
  CHECK(got.header("Connection") == "close");
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

  const auto after = failed(transport.roundtrip(get("/")), Errc::unavailable);
  CHECK_THAT(after.message, ContainsSubstring("connection refused"));
}

TEST_CASE("a server that is not running gives unavailable: connection refused") {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens on `port` now
  HttpsTransport transport(client_config(port));

  const auto got = failed(transport.roundtrip(get("/")), Errc::unavailable);
  CHECK(got.message == "could not connect to 127.0.0.1:" + std::to_string(port) + ": connection refused");
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
  const auto lost = failed(transport.roundtrip(post("/b", "x")), Errc::unavailable);
  CHECK_THAT(lost.message, ContainsSubstring("closed the connection without responding"));
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
  const auto got = answered(transport.roundtrip(get(path)), 500);
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
