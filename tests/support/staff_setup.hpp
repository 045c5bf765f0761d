#pragma once
// Signs staff in through the real staff API, completing what a first sign-in owes (issue 13,
// server/staff/staff_accounts.hpp): the one-time password is replaced by the account's own, and
// programme admins and proctors set up TOTP, whose codes this helper then computes for each later
// sign-in. For tests and benchmarks whose subject is not the account flow itself.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "server/staff/staff_accounts.hpp"
#include "shared/protocol/http.hpp"
#include "shared/time/clock.hpp"

namespace vigil::testing {

class StaffSetup {
 public:
  struct Session {
    std::string cookie;
    std::string csrf;
  };
  using Send = std::function<protocol::HttpResponse(const protocol::HttpRequest&)>;

  // `clock` (may be null) is moved on by one TOTP step before each code, so that no code is a replay.
  StaffSetup(Send send, time::ManualClock* clock, std::function<std::int64_t()> now_ms)
      : send_(std::move(send)), clock_(clock), now_ms_(std::move(now_ms)) {}

  // The password each account has now (its own, after the first sign-in).
  std::string password(const std::string& email) const { return passwords_.at(email); }
  Bytes totp_secret(const std::string& email) const { return secrets_.at(email); }
  std::string next_code(const std::string& email) {
    if (clock_) clock_->advance_ms(server::k_totp_step_seconds * 1000);
    return server::totp_code(secrets_.at(email), now_ms_() / 1000).value();
  }

  Session sign_in(const std::string& email, const std::string& one_time_password) {
    if (!passwords_.count(email)) passwords_[email] = one_time_password;
    auto r = post("/staff/api/login", {{"email", email}, {"password", passwords_[email]}}, nullptr);
    Session s;
    const auto set = r.header("Set-Cookie");
    const auto start = set.find('=') + 1;
    s.cookie = set.substr(start, set.find(';') - start);
    auto body = nlohmann::json::parse(r.body);
    s.csrf = body.at("csrf_token").get<std::string>();
    for (int guard = 0; guard < 4 && body.contains("pending"); ++guard) {
      const auto pending = body["pending"].get<std::string>();
      if (pending == "mfa_required") {
        body = nlohmann::json::parse(post("/staff/api/login/mfa", {{"code", next_code(email)}}, &s).body);
      } else if (pending == "password_change_required") {
        const std::string own = "own " + passwords_[email] + " chosen at first sign-in";
        body = nlohmann::json::parse(
            post("/staff/api/me/password", {{"current_password", passwords_[email]}, {"new_password", own}}, &s).body);
        passwords_[email] = own;
      } else if (pending == "mfa_enrolment_required") {
        const auto enrol = nlohmann::json::parse(post("/staff/api/me/mfa/enrol", nlohmann::json::object(), &s).body);
        secrets_[email] = server::from_base32(enrol.at("secret").get<std::string>()).value();
        post("/staff/api/me/mfa/confirm", {{"code", next_code(email)}}, &s);
        body = nlohmann::json::parse(send_(request("GET", "/staff/api/me", "", &s)).body);
      }
    }
    if (body.contains("pending") || !body.contains("user")) throw std::runtime_error("sign-in did not complete: " + body.dump());
    return s;
  }

  protocol::HttpResponse post(const std::string& target, const nlohmann::json& body, const Session* s) {
    auto r = send_(request("POST", target, body.dump(), s));
    if (r.status != 200) throw std::runtime_error("POST " + target + " -> " + std::to_string(r.status) + " " + r.body);
    return r;
  }

  static protocol::HttpRequest request(const std::string& method, const std::string& target, std::string body,
                                       const Session* s) {
    protocol::HttpRequest r;
    r.method = method;
    r.target = target;
    if (!body.empty()) r.headers["Content-Type"] = "application/json";
    r.body = std::move(body);
    if (s) {
      r.headers["Cookie"] = "vigil_staff=" + s->cookie;
      if (method != "GET") r.headers["X-CSRF-Token"] = s->csrf;
    }
    return r;
  }

 private:
  Send send_;
  time::ManualClock* clock_;
  std::function<std::int64_t()> now_ms_;
  std::map<std::string, std::string> passwords_;
  std::map<std::string, Bytes> secrets_;
};

}  // namespace vigil::testing
