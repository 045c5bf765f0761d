// Staff accounts through the staff API (server/staff/staff_accounts.hpp; srv::StaffApi::handle on
// the server of every server test): the session cookie and signing out, sign-in throttling per
// email and address (the same for unknown accounts, never a lock-out of the owner from another
// address), TOTP (RFC 6238 vectors) and the password policy, and a first sign-in that reaches
// nothing until the user chose their own password and set up TOTP.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/staff/staff_accounts.hpp"
#include "server/staff/staff_api.hpp"
#include "tests/support/server_world.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

// The server of every server test with the council "own".
struct World : testing::ServerWorld {
  World() { REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms())); }
};

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

}  // namespace

TEST_CASE("signing in sets a secure session cookie, and signing out ends the session") {
  World w;
  w.add_user("admin@example.org", "programme_admin");
  const auto r = w.try_login("ADMIN@example.org ", k_staff_password);
  REQUIRE(r.status == 200);
  const auto cookie = r.header("Set-Cookie");
  CHECK(cookie.find("Secure") != std::string::npos);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(r.header("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  auto b = w.login("admin@example.org");
  CHECK(w.call("GET", "/staff/api/me", "", &b).status == 200);
  CHECK(w.call("POST", "/staff/api/logout", "", &b).status == 200);
  CHECK(w.call("GET", "/staff/api/me", "", &b).status == 401);
  w.clock.advance_ms(9 * 3600 * 1000);  // past the 8-hour session
  auto c = w.login("admin@example.org");
  w.clock.advance_ms(8 * 3600 * 1000 + 1);
  CHECK(w.call("GET", "/staff/api/me", "", &c).status == 401);
}

TEST_CASE("repeated wrong passwords slow that email at that address, the same for unknown accounts, without audit entries") {
  World w;
  w.add_user("p@example.org", "council_manager", "own");
  const auto audit_before = w.staff->audit_entries(0, 1000).value().size();
  for (int i = 0; i < 5; ++i) CHECK(w.try_login("p@example.org", "wrong password " + std::to_string(i)).status == 401);
  // Throttled now: even the right password is refused, with a retry time, and no KDF runs.
  auto locked = w.try_login("p@example.org", k_staff_password);
  CHECK(locked.status == 429);
  CHECK(locked.header("Retry-After") == "30");
  CHECK(body_of(locked)["error"]["code"] == "rate_limited");
  // An unknown email gets exactly the same answers (enumeration): 401 x5, then 429 with the same body.
  for (int i = 0; i < 5; ++i) CHECK(w.try_login("nobody@example.org", "wrong password " + std::to_string(i)).status == 401);
  auto unknown = w.try_login("nobody@example.org", k_staff_password);
  CHECK(unknown.status == 429);
  CHECK(unknown.body == locked.body);
  CHECK(unknown.header("Retry-After") == locked.header("Retry-After"));
  // The block doubles with each further failure and decays: after it ends, the right password works.
  w.clock.advance_ms(30'001);
  CHECK(w.try_login("p@example.org", "wrong again").status == 401);   // 60 s now
  CHECK(w.try_login("p@example.org", k_staff_password).status == 429);
  w.clock.advance_ms(60'001);
  CHECK(w.try_login("p@example.org", k_staff_password).status == 200);
  // A success forgets the failures for that email at that address.
  CHECK(w.try_login("p@example.org", "one slip").status == 401);
  CHECK(w.try_login("p@example.org", k_staff_password).status == 200);
  // Failures are logged without names, and are not audit events: the audit log grew only by the
  // two sign-ins, whose entries say how many failures came before.
  const auto failures = std::count_if(w.log.begin(), w.log.end(), [](const std::string& l) { return l.find("event=staff_login_failed") == 0; });
  CHECK(failures == 12);
  CHECK(std::none_of(w.log.begin(), w.log.end(), [](const std::string& l) { return l.find("nobody@") != std::string::npos; }));
  const auto audit = w.staff->audit_entries(0, 1000).value();
  CHECK(audit.size() == audit_before + 2);
  CHECK(audit[1].detail.find("8 failed attempt(s) since the last sign-in") != std::string::npos);
  CHECK(w.repo->db().query_int("SELECT sum(known_account) + sum(unknown_account) FROM login_failure_hours").value() == 15);
}

TEST_CASE("an attacker at one address cannot lock the owner out from another, and addresses spraying many emails are slowed") {
  World w;
  w.add_user("victim@example.org", "council_manager", "own");
  const auto from = [&](const std::string& addr, const std::string& email, const std::string& password) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/staff/api/login";
    r.headers["Content-Type"] = "application/json";
    r.body = json{{"email", email}, {"password", password}}.dump();
    return w.handle(r, PeerIdentity{false, "", "", addr});
  };
  int refused = 0;
  for (int i = 0; i < 40; ++i) refused += from("203.0.113.9", "victim@example.org", "guess " + std::to_string(i)).status == 429;
  CHECK(refused >= 34);
  CHECK(from("198.51.100.7", "victim@example.org", k_staff_password).status == 200);
  // Spraying: one address, many emails: blocked after 20 attempts whatever the emails.
  int sprayed = 0;
  for (int i = 0; i < 25; ++i) sprayed += from("192.0.2.1", "user" + std::to_string(i) + "@example.org", "Winter2024!").status == 429;
  CHECK(sprayed >= 5);
}

TEST_CASE("TOTP codes match RFC 6238 Appendix B (SHA-1) and common passwords are refused") {
  const auto secret = to_bytes("12345678901234567890");
  const std::vector<std::pair<std::int64_t, std::string>> vectors = {
      {59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : vectors) CHECK(srv::totp_code(secret, t, 8).value() == code);
  const auto six = srv::totp_code(secret, 59, 6).value();
  CHECK(six == "287082");
  CHECK(srv::totp_match(secret, six, 59).value() == std::optional<std::int64_t>(1));
  CHECK(srv::totp_match(secret, six, 59 + 30).value() == std::optional<std::int64_t>(1));   // one step of drift
  CHECK_FALSE(srv::totp_match(secret, six, 59 + 90).value());
  CHECK(srv::from_base32(srv::base32(secret)).value() == secret);
  CHECK(srv::otpauth_uri("a@b.example.org", secret).find("otpauth://totp/Vigil:a%40b.example.org?secret=") == 0);
  for (const char* bad : {"short", "password1234", "Password2024!", "passwordpassword", "qwertyuiop12", "aaaaaaaaaaaa",
                          "abcabcabcabc", "123456789012", "iloveyou!!!!", "jane.doe-secure-2024"}) {
    INFO(bad);
    CHECK_FALSE(srv::check_password_policy(bad, "jane.doe@example.org"));
  }
  CHECK(srv::check_password_policy(k_staff_password, "jane.doe@example.org"));
  CHECK(srv::check_password_policy("a long staff password 42", "jane.doe@example.org"));
}

TEST_CASE("a first sign-in with a one-time password reaches nothing until the user chose their own and set up TOTP") {
  World w;
  const auto admin_id = w.add_user("admin@example.org", "programme_admin");
  auto r = w.try_login("admin@example.org", k_staff_password);
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["pending"] == "password_change_required");
  const auto set = r.header("Set-Cookie");
  Browser b{set.substr(set.find('=') + 1, set.find(';') - set.find('=') - 1), body_of(r)["csrf_token"]};
  // Every endpoint but the account ones answers 403 with the pending step as its code.
  int reached = 0;
  for (const auto& e : srv::staff_endpoints()) {
    if (e.permission == srv::Permission::account) continue;
    std::string path = e.pattern;
    for (const auto& [k, v] : std::map<std::string, std::string>{{"{user}", "1"}, {"{council}", "own"}, {"{candidate}", "c"},
                                                                 {"{device}", "d"}, {"{session}", "s"}, {"{sha}", "a"},
                                                                 {"{flag}", "1"}, {"{assessment}", "w"}, {"{script}", "x"},
                                                                 {"{which}", "face"}, {"{appeal}", "1"}}) {
      for (auto at = path.find(k); at != std::string::npos; at = path.find(k)) path.replace(at, k.size(), v);
    }
    const auto res = w.call(e.method, path, "{}", &b);
    if (res.status != 403 || body_of(res)["error"]["code"] != "password_change_required") {
      ++reached;
      UNSCOPED_INFO(e.method << " " << path << " -> " << res.status);
    }
  }
  CHECK(reached == 0);
  // The change needs the current password, and a new one that passes the rules.
  const auto change = [&](const std::string& current, const std::string& next) {
    return w.call("POST", "/staff/api/me/password", json{{"current_password", current}, {"new_password", next}}.dump(), &b);
  };
  CHECK(change("not the password!", "a brand new passphrase").status == 401);
  CHECK(change(k_staff_password, "Password2024!").status == 400);
  CHECK(change(k_staff_password, k_staff_password).status == 400);
  const auto changed = change(k_staff_password, "a brand new passphrase");
  REQUIRE(changed.status == 200);
  CHECK(body_of(changed)["pending"] == "mfa_enrolment_required");
  CHECK(w.call("GET", "/staff/api/users", "", &b).status == 403);
  // TOTP set-up: the secret is in force only once a code from it was confirmed.
  const auto enrol = body_of(w.call("POST", "/staff/api/me/mfa/enrol", "{}", &b));
  const auto secret = srv::from_base32(enrol["secret"].get<std::string>()).value();
  CHECK(enrol["otpauth_uri"].get<std::string>().find("otpauth://totp/Vigil:admin%40example.org") == 0);
  CHECK(w.call("POST", "/staff/api/me/mfa/confirm", R"({"code":"000000"})", &b).status == 401);
  CHECK(w.staff->user(admin_id).value()->totp_secret.empty());
  const auto code = srv::totp_code(secret, w.clock.wall_ms() / 1000).value();
  const auto confirmed = w.call("POST", "/staff/api/me/mfa/confirm", json{{"code", code}}.dump(), &b);
  REQUIRE(confirmed.status == 200);
  const auto recovery = body_of(confirmed)["recovery_codes"];
  CHECK(recovery.size() == 10);
  CHECK(w.call("GET", "/staff/api/users", "", &b).status == 200);
  // The one-time password no longer works; the new one needs a code, and a code is good once.
  CHECK(w.try_login("admin@example.org", k_staff_password).status == 401);
  const auto login2 = [&] {
    auto res = w.try_login("admin@example.org", "a brand new passphrase");
    const auto c = res.header("Set-Cookie");
    return Browser{c.substr(c.find('=') + 1, c.find(';') - c.find('=') - 1), body_of(res)["csrf_token"]};
  };
  auto b2 = login2();
  CHECK(w.call("GET", "/staff/api/users", "", &b2).status == 403);   // mfa_required
  CHECK(w.call("POST", "/staff/api/login/mfa", json{{"code", code}}.dump(), &b2).status == 401);   // replay of the set-up code
  w.clock.advance_ms(30'000);
  const auto next = srv::totp_code(secret, w.clock.wall_ms() / 1000).value();
  CHECK(w.call("POST", "/staff/api/login/mfa", json{{"code", next}}.dump(), &b2).status == 200);
  CHECK(w.call("GET", "/staff/api/users", "", &b2).status == 200);
  auto b3 = login2();
  CHECK(w.call("POST", "/staff/api/login/mfa", json{{"code", next}}.dump(), &b3).status == 401);   // replayed
  // A recovery code works once.
  const auto rc = json{{"recovery_code", recovery[0]}}.dump();
  CHECK(w.call("POST", "/staff/api/login/mfa", rc, &b3).status == 200);
  auto b4 = login2();
  CHECK(w.call("POST", "/staff/api/login/mfa", rc, &b4).status == 401);
  CHECK(body_of(w.call("GET", "/staff/api/me", "", &b3))["recovery_codes_left"] == 9);
}
