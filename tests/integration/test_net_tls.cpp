// The HTTPS server (server/net) and the HTTPS transport (client/sync) against each other: real
// TLS 1.3 on 127.0.0.1, certificates made with the openssl command line for each test process.
// This file: handshakes, identities, pinning and keep-alive; test_net_tls_limits.cpp the rest.
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


TEST_CASE("a GET and a POST round trip over TLS 1.3 without a client certificate") {
  TestServer server;
  HttpsTransport transport(client_config(server.port()));

  const auto got = answered(transport.roundtrip(get("/v1/echo?x=1")), 200);
  CHECK(got.header("Content-Type") == "application/json");
  CHECK(got.header("Server") == "vigil");
  json j = body_json(got);
  CHECK(j["method"] == "GET");
  CHECK(j["target"] == "/v1/echo?x=1");
  CHECK(j["peer"]["client_certificate"] == false);
  CHECK(j["peer"]["subject_cn"] == "");
  CHECK(j["peer"]["serial_hex"] == "");
  CHECK(j["peer"]["remote_address"] == "127.0.0.1");

  const auto posted = answered(transport.roundtrip(post("/v1/upload", std::string("hello\0world", 11))), 200);
  j = body_json(posted);
  CHECK(j["method"] == "POST");
  CHECK(j["body"] == std::string("hello\0world", 11));
  CHECK(j["peer"]["client_certificate"] == false);
}

TEST_CASE("a device certificate is verified and reported as the peer identity") {
  TestServer server;
  HttpsTransport transport(device_config(server.port()));

  const auto got = answered(transport.roundtrip(get("/v1/me")), 200);
  const json peer = body_json(got)["peer"];
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
  const auto again = answered(transport.roundtrip(post("/two", "not idempotent, so it must go on a fresh connection")), 200);
  CHECK(server.server().total_connections() == 2);
}

TEST_CASE("a client that trusts a different root refuses the server") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.root_ca_pem = pki().other_root_pem;
  cfg.spki_pins = {pki().other_root_pin};
  HttpsTransport transport(cfg);

  const auto got = failed(transport.roundtrip(get("/")), Errc::unavailable);
  CHECK_THAT(got.message, StartsWith("TLS: certificate is not signed by Vigil's CA"));
  CHECK(server.state().calls == 0);
}

TEST_CASE("a server whose key is not pinned is refused") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.spki_pins = {pki().other_root_pin};
  HttpsTransport transport(cfg);

  const auto got = failed(transport.roundtrip(get("/")), Errc::unavailable);
  CHECK(got.message == "TLS: server key is not pinned");
  CHECK(server.state().calls == 0);
}

TEST_CASE("a transport without pins refuses to connect at all") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.spki_pins.clear();
  HttpsTransport transport(cfg);

  const auto got = failed(transport.roundtrip(get("/")), Errc::invalid_argument);
  CHECK_THAT(got.message, ContainsSubstring("pins are mandatory"));
  CHECK(server.server().total_connections() == 0);
}

TEST_CASE("a client certificate from an unrelated CA fails the handshake") {
  TestServer server;
  TransportConfig cfg = client_config(server.port());
  cfg.client_cert_pem = pki().evil_cert_pem;
  cfg.client_key_pem = vigil::crypto::SecretBytes(pki().evil_key_pem.begin(), pki().evil_key_pem.end());
  HttpsTransport transport(cfg);

  const auto got = failed(transport.roundtrip(get("/")), Errc::unavailable);
  CHECK_THAT(got.message, StartsWith("TLS: the server refused this device's certificate"));
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
