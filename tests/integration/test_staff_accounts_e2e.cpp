// Attacks on staff accounts against the real vigil-server over TLS (issue 13): account
// enumeration, locking a victim out from another address, re-using an admin-chosen password,
// replaying a TOTP code, and a burst of sign-ins that must neither stall device requests nor
// queue without bound. Clients bind to different loopback addresses (127.0.0.2, ...) to be
// different attackers and victims.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "server/storage/sqlite_repository.hpp"
#include "server/staff/staff_accounts.hpp"
#include "tests/support/test_server.hpp"

using nlohmann::json;
using namespace vigil;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Reply {
  int status = 0;
  std::string body;
  std::string retry_after;
  std::string cookie;
  double ms = 0;
  json j() const { return json::parse(body, nullptr, false); }
};

// One HTTPS request on a new connection from `source` (a loopback address). The server's
// certificate is not checked here: the transport's pinning has its own tests (test_net_tls); this
// test is about what the server answers.
Reply https(std::uint16_t port, const std::string& source, const std::string& method, const std::string& target,
            const std::string& body = "", const std::string& cookie = "", const std::string& csrf = "") {
  asio::io_context ioc;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
  auto& sock = beast::get_lowest_layer(stream).socket();
  sock.open(asio::ip::tcp::v4());
  sock.bind({asio::ip::make_address(source), 0});
  const auto start = std::chrono::steady_clock::now();
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  stream.handshake(asio::ssl::stream_base::client);
  http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  if (!cookie.empty()) req.set(http::field::cookie, "vigil_staff=" + cookie);
  if (!csrf.empty()) req.set("X-CSRF-Token", csrf);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  Reply r;
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  r.retry_after = std::string(res[http::field::retry_after]);
  const std::string set = std::string(res[http::field::set_cookie]);
  if (!set.empty()) r.cookie = set.substr(set.find('=') + 1, set.find(';') - set.find('=') - 1);
  beast::error_code ignored;
  stream.shutdown(ignored);
  return r;
}

Reply login(std::uint16_t port, const std::string& source, const std::string& email, const std::string& password) {
  return https(port, source, "POST", "/staff/api/login", json{{"email", email}, {"password", password}}.dump());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const std::string k_one_time = "chosen by the admin 2024";

struct World {
  testing::TestServer server;
  std::uint16_t port() const { return server.port(); }
  World() {
    ::setenv("VIGIL_STAFF_PASSWORD", k_one_time.c_str(), 1);
    for (const char* email : {"proctor@example.org", "known@example.org", "victim@example.org"}) {
      auto r = server.admin({"create-user", "--email", email, "--name", "P", "--role", "proctor"});
      REQUIRE(r.exit_code == 0);
      REQUIRE(r.output.find("one-time") != std::string::npos);
    }
  }
};

}  // namespace

TEST_CASE("sign-in answers tell nothing about which accounts exist: same status, body and timing class, same throttling") {
  World w;
  std::vector<double> known_ms, unknown_ms;
  for (int i = 0; i < 4; ++i) {
    const auto k = login(w.port(), "127.0.0.2", "known@example.org", "wrong guess " + std::to_string(i));
    const auto u = login(w.port(), "127.0.0.2", "nobody@example.org", "wrong guess " + std::to_string(i));
    CHECK(k.status == 401);
    CHECK(u.status == 401);
    CHECK(k.body == u.body);
    known_ms.push_back(k.ms);
    unknown_ms.push_back(u.ms);
  }
  // Both run the 32 MiB KDF: the same order of time (a lookup-only refusal would be ~100x faster).
  std::cout << "sign-in refusal median: known " << median(known_ms) << " ms, unknown " << median(unknown_ms) << " ms\n";
  CHECK(median(unknown_ms) > median(known_ms) / 3);
  CHECK(median(known_ms) > median(unknown_ms) / 3);
  // The fifth failure starts a block for both alike.
  CHECK(login(w.port(), "127.0.0.2", "known@example.org", "wrong").status == 401);
  CHECK(login(w.port(), "127.0.0.2", "nobody@example.org", "wrong").status == 401);
  const auto k = login(w.port(), "127.0.0.2", "known@example.org", k_one_time);
  const auto u = login(w.port(), "127.0.0.2", "nobody@example.org", k_one_time);
  CHECK(k.status == 429);
  CHECK(u.status == 429);
  // The same answer but for the seconds left: the two blocks began one KDF apart, so on a loaded
  // machine one may say 29 s where the other says 30 s.
  const auto without_digits = [](std::string text) {
    text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }), text.end());
    return text;
  };
  CHECK(without_digits(k.body) == without_digits(u.body));
  CHECK_THAT(k.body, Catch::Matchers::ContainsSubstring("rate_limited"));
  REQUIRE(!k.retry_after.empty());
  REQUIRE(!u.retry_after.empty());
  CHECK(std::abs(std::stoi(k.retry_after) - std::stoi(u.retry_after)) <= 2);
  // 12 failed or throttled sign-ins wrote nothing to the append-only audit log (only the three
  // account creations are there); they were counted instead.
  auto repo = server::SqliteRepository::open(w.server.dir() / "vigil.db").value();
  CHECK(repo->db().query_int("SELECT count(*) FROM audit_log").value() == 3);
  CHECK(repo->db().query_int("SELECT sum(known_account + unknown_account) FROM login_failure_hours").value() == 12);
}

TEST_CASE("an attacker guessing from one address cannot lock the owner out from another") {
  World w;
  int blocked = 0;
  for (int i = 0; i < 30; ++i) blocked += login(w.port(), "127.0.0.2", "victim@example.org", "guess " + std::to_string(i)).status == 429;
  CHECK(blocked >= 24);
  const auto victim = login(w.port(), "127.0.0.3", "victim@example.org", k_one_time);
  CHECK(victim.status == 200);
  CHECK(victim.j()["pending"] == "password_change_required");
}

TEST_CASE("a proctor created by an admin cannot be signed into with the admin's password after the first change, and a used TOTP code is refused") {
  World w;
  const std::string email = "proctor@example.org";
  auto first = login(w.port(), "127.0.0.4", email, k_one_time);
  REQUIRE(first.status == 200);
  CHECK(first.j()["pending"] == "password_change_required");
  const std::string csrf = first.j()["csrf_token"];
  // Nothing else is reachable yet.
  const auto queue = https(w.port(), "127.0.0.4", "GET", "/staff/api/queue", "", first.cookie);
  CHECK(queue.status == 403);
  CHECK(queue.j()["error"]["code"] == "password_change_required");
  const std::string own = "my own passphrase, not theirs";
  auto changed = https(w.port(), "127.0.0.4", "POST", "/staff/api/me/password",
                       json{{"current_password", k_one_time}, {"new_password", own}}.dump(), first.cookie, csrf);
  REQUIRE(changed.status == 200);
  CHECK(changed.j()["pending"] == "mfa_enrolment_required");
  auto enrol = https(w.port(), "127.0.0.4", "POST", "/staff/api/me/mfa/enrol", "{}", first.cookie, csrf);
  REQUIRE(enrol.status == 200);
  const auto secret = server::from_base32(enrol.j()["secret"].get<std::string>()).value();
  const auto now_s = [] { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); };
  const auto code = server::totp_code(secret, now_s()).value();
  REQUIRE(https(w.port(), "127.0.0.4", "POST", "/staff/api/me/mfa/confirm", json{{"code", code}}.dump(), first.cookie, csrf).status == 200);
  // The admin's password is dead.
  const auto admin_try = login(w.port(), "127.0.0.5", email, k_one_time);
  CHECK(admin_try.status == 401);
  CHECK(admin_try.cookie.empty());
  // The proctor's own password needs a code; the code already used at set-up is refused (replay).
  auto second = login(w.port(), "127.0.0.4", email, own);
  REQUIRE(second.status == 200);
  CHECK(second.j()["pending"] == "mfa_required");
  const std::string csrf2 = second.j()["csrf_token"];
  const auto replay = https(w.port(), "127.0.0.4", "POST", "/staff/api/login/mfa", json{{"code", code}}.dump(), second.cookie, csrf2);
  CHECK(replay.status == 401);
  CHECK(https(w.port(), "127.0.0.4", "GET", "/staff/api/queue", "", second.cookie).status == 403);
  // The next step's code works once.
  std::this_thread::sleep_for(std::chrono::seconds(30 - now_s() % 30 + 1));
  const auto fresh = server::totp_code(secret, now_s()).value();
  CHECK(https(w.port(), "127.0.0.4", "POST", "/staff/api/login/mfa", json{{"code", fresh}}.dump(), second.cookie, csrf2).status == 200);
  CHECK(https(w.port(), "127.0.0.4", "GET", "/staff/api/queue", "", second.cookie).status == 200);
  auto third = login(w.port(), "127.0.0.4", email, own);
  CHECK(https(w.port(), "127.0.0.4", "POST", "/staff/api/login/mfa", json{{"code", fresh}}.dump(), third.cookie,
              third.j()["csrf_token"]).status == 401);
}

TEST_CASE("a burst of sign-ins runs the KDF off the I/O threads: device requests are answered meanwhile, and the excess is shed with 503") {
  World w;
  // Device-side baseline: /v1/health alone.
  std::vector<double> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(https(w.port(), "127.0.0.1", "GET", "/v1/health").ms);
  // 40 sign-ins at once from 40 addresses (no throttle applies), while health is timed.
  std::atomic<int> ok{0}, shed{0}, other{0};
  std::vector<std::thread> flood;
  const auto flood_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    flood.emplace_back([&, i] {
      const auto r = login(w.port(), "127.0.1." + std::to_string(i + 1), "nobody" + std::to_string(i) + "@example.org", "wrong password");
      if (r.status == 401) ++ok;
      else if (r.status == 503 && r.retry_after == "1" && r.j()["error"]["code"] == "overloaded") ++shed;
      else ++other;
    });
  }
  std::vector<double> busy;
  for (int i = 0; i < 10; ++i) busy.push_back(https(w.port(), "127.0.0.1", "GET", "/v1/health").ms);
  for (auto& t : flood) t.join();
  const double flood_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - flood_start).count();
  std::cout << "health p50 idle " << median(idle) << " ms, during a 40-sign-in burst " << median(busy) << " ms (max "
            << *std::max_element(busy.begin(), busy.end()) << " ms); burst: " << ok << " answered, " << shed
            << " shed with 503, in " << flood_ms << " ms\n";
  CHECK(other == 0);
  CHECK(ok >= 17);          // one running + 16 waiting were admitted
  CHECK(shed >= 1);         // the rest were refused at once, not queued without bound
  CHECK(ok + shed == 40);
}
