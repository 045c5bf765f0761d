#pragma once
// Staff over TLS for the tests that run the real vigil-server (tests/support/test_server.hpp): an
// HTTPS transport without a client certificate (as a browser), accounts made on the command line
// and signed in through the real staff API (StaffSetup completes the first sign-in), one request
// helper, and an identity check decided "matches" by a proctor (issue 16 part 2: no result is
// released before its identity check is decided), for the tests whose subject is not identity.
#include <cstdlib>
#include <memory>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "client/sync/https_transport.hpp"
#include "shared/protocol/http.hpp"
#include "tests/support/staff_setup.hpp"
#include "tests/support/test_server.hpp"

namespace vigil::testing {

inline constexpr const char* k_tls_staff_password = "a long staff password 42";

struct Staff {
  std::string cookie;
  std::string csrf;
  std::int64_t user_id = 0;
};

inline std::unique_ptr<client::sync::HttpsTransport> staff_transport(TestServer& server) {
  const auto t = server.trust();
  client::sync::TransportConfig c;
  c.host = t.host;
  c.port = t.port;
  c.root_ca_pem = t.root_ca_pem;
  c.spki_pins = t.pins;
  return std::make_unique<client::sync::HttpsTransport>(std::move(c));
}

inline protocol::HttpResponse staff_call(client::sync::HttpsTransport& http, const Staff& who, const std::string& method,
                                         const std::string& target, const nlohmann::json& body = nullptr) {
  protocol::HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers["Cookie"] = who.cookie;
  req.headers["X-CSRF-Token"] = who.csrf;
  if (!body.is_null()) {
    req.headers["Content-Type"] = "application/json";
    req.body = body.dump();
  }
  auto r = http.roundtrip(req);
  REQUIRE(r);
  return *r;
}

// A staff account made on the command line and signed in through the real staff API over TLS;
// StaffSetup completes what a first sign-in owes (own password, TOTP for admins and proctors).
inline Staff create_staff(TestServer& server, client::sync::HttpsTransport& http, const std::string& email,
                          const std::string& role, const std::string& council = "") {
  ::setenv("VIGIL_STAFF_PASSWORD", k_tls_staff_password, 1);
  std::vector<std::string> args{"create-user", "--email", email, "--name", email, "--role", role};
  if (!council.empty()) args.insert(args.end(), {"--council", council});
  auto made = server.admin(args);
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  StaffSetup setup(
      [&](const protocol::HttpRequest& req) {
        auto r = http.roundtrip(req);
        INFO(req.target << ": " << (r ? "" : r.error().describe()));
        REQUIRE(r);
        return *r;
      },
      nullptr, [] { return time::SystemClock().wall_ms(); });
  const auto s = setup.sign_in(email, k_tls_staff_password);
  Staff out{"vigil_staff=" + s.cookie, s.csrf, 0};
  auto me = staff_call(http, out, "GET", "/staff/api/me");
  INFO(me.body);
  REQUIRE(me.status == 200);
  out.user_id = nlohmann::json::parse(me.body).at("user").at("user_id").get<std::int64_t>();
  return out;
}

inline std::string identity_path(const std::string& device_id, const std::string& session) {
  return "/staff/api/identity/" + device_id + "/" + session;
}

// An admin gives the session's identity check to `proctor`, who decides that the photos match.
inline void identity_matches(client::sync::HttpsTransport& http, const Staff& admin, const Staff& proctor,
                             const std::string& device_id, const std::string& session) {
  const auto path = identity_path(device_id, session);
  auto assigned = staff_call(http, admin, "POST", path + "/assign", nlohmann::json{{"proctor_id", proctor.user_id}});
  INFO(assigned.body);
  REQUIRE(assigned.status == 200);
  auto decided = staff_call(http, proctor, "POST", path + "/decision", nlohmann::json{{"decision", "matches"}, {"note", ""}});
  INFO(decided.body);
  REQUIRE(decided.status == 200);
}

}  // namespace vigil::testing
