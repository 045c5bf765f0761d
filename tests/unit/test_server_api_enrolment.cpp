// The server API as a pure function (srv::Api::handle), fed bad and hostile input: every refusal
// has the documented HTTP status and error code (and field), and leaves nothing half-written.
// No sockets: a real SqliteRepository in a temp dir, real keys from init_server_home, and a device
// row inserted directly so a test can act as an enrolled device without the client library
// (tests/support/device_api.hpp). This file: enrolment codes.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/device_api.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using namespace vigil::testing::device_api;

// ---- enrolment ----------------------------------------------------------------------------------

namespace {

const std::string k_new_device = "aaaabbbbccccddddeeeeffff00001111";

struct Enrolment {
  std::string code;
  std::string device_id = k_new_device;
  std::string csr;
  Bytes signing_key = crypto::ed25519_generate().value().public_key;
};

std::string make_csr_for(const std::string& cn) {
  const auto key = crypto::p256_generate().value();
  return crypto::make_csr(key.private_pem, cn).value();
}

HttpRequest enrol_request(const Enrolment& e, std::string content_type = "application/json") {
  return make_request("POST", "/v1/enrol",
                      protocol::to_json(protocol::EnrolRequest{e.code, e.device_id, e.csr, e.signing_key}).dump(),
                      std::move(content_type));
}

// The code with one character of its secret part (after the 4-character handle) changed.
std::string wrong_secret(std::string code) {
  char& c = code[6];  // "ABCD-EFGH-...": index 6 is in the secret
  c = c == 'A' ? 'C' : 'A';
  return code;
}

std::string wrong_handle(std::string code) {
  code[0] = code[0] == 'A' ? 'C' : 'A';
  return code;
}

}  // namespace

TEST_CASE("enrolment: bad input is refused with the right status, and a refusal uses nothing up") {
  Server s;
  const auto code = srv::create_enrolment_code(*s.repo, k_candidate, s.clock).value();
  const std::string handle = code.code.substr(0, 4);
  Enrolment e;
  e.code = code.code;
  e.csr = make_csr_for(e.device_id);

  const auto code_unused = [&] {
    const auto row = s.repo->enrolment_code(handle).value();
    REQUIRE(row);
    CHECK_FALSE(row->used_wall_ms);
    CHECK(s.repo->device(k_new_device).value() == std::nullopt);
  };

  SECTION("malformed codes: 400, field code") {
    for (const std::string bad : {"", "ABCD", "ABCD-EFGH-JKMN-PQRT-UVWX", "0000-0000-0000-0000", "ABCD-EFGH-JKMN-PQR!"}) {
      INFO("code " << bad);
      Enrolment b = e;
      b.code = bad;
      CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "code");
    }
  }
  SECTION("other malformed fields") {
    Enrolment b = e;
    b.device_id = "ABCDEF";
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "device_id");
    b = e;
    b.signing_key = Bytes(31, 1);
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "signing_public_key");
    CHECK_ERROR(s.handle(enrol_request(e, "text/plain")), 400, "invalid_argument", "Content-Type");
    HttpRequest r = enrol_request(e);
    r.body = "{\"v\":1";
    CHECK_ERROR(s.handle(r), 400, "invalid_argument", "");
    r.method = "GET";
    CHECK_ERROR(s.handle(r), 400, "invalid_argument", "");
  }
  SECTION("a code whose handle is unknown: 403, and no try is counted against any code") {
    Enrolment b = e;
    b.code = wrong_handle(code.code);
    CHECK_ERROR(s.handle(enrol_request(b)), 403, "forbidden", "code");
    CHECK(s.repo->enrolment_code(handle).value()->failed_attempts == 0);
  }
  SECTION("a CSR that is not a CSR: 400, field csr") {
    Enrolment b = e;
    b.csr = "-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n-----END CERTIFICATE REQUEST-----\n";
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "csr");
    b.csr = "garbage";
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "csr");
    b.csr = std::string(protocol::k_max_csr_pem + 1, 'x');
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "csr");
  }
  SECTION("a CSR for another device id: 400, field csr") {
    Enrolment b = e;
    b.csr = make_csr_for("ffffffffffffffffffffffffffffffff");
    CHECK_ERROR(s.handle(enrol_request(b)), 400, "invalid_argument", "csr");
  }
  SECTION("a device id that is already enrolled: 409, and the code stays usable") {
    const Device existing = add_device(s, k_new_device, "99");
    CHECK_ERROR(s.handle(enrol_request(e)), 409, "conflict", "");
    const auto row = s.repo->enrolment_code(handle).value();
    CHECK_FALSE(row->used_wall_ms);
    CHECK(s.repo->device(k_new_device).value()->cert_serial == existing.serial);
    Enrolment other = e;
    other.device_id = "22223333444455556666777788889999";
    other.csr = make_csr_for(other.device_id);
    CHECK(s.handle(enrol_request(other)).status == 201);
    return;
  }
  code_unused();

  // The refusals above left the code usable.
  const auto ok = s.handle(enrol_request(e));
  REQUIRE(ok.status == 201);
  auto resp = protocol::parse_enrol_response(ok.body);
  REQUIRE(resp);
  CHECK(resp->device_id == k_new_device);
  CHECK(resp->candidate_id == k_candidate);
  const auto cert = crypto::parse_certificate(resp->device_certificate_pem).value();
  CHECK(cert.common_name == k_new_device);
  const auto row = s.repo->device(k_new_device).value();
  REQUIRE(row);
  CHECK(row->cert_serial == cert.serial_hex);
  CHECK(row->signing_public_key == e.signing_key);
}

TEST_CASE("enrolment: a used code is 409") {
  Server s;
  const auto code = srv::create_enrolment_code(*s.repo, k_candidate, s.clock).value();
  Enrolment e;
  e.code = code.code;
  e.csr = make_csr_for(e.device_id);
  REQUIRE(s.handle(enrol_request(e)).status == 201);

  Enrolment again = e;
  again.device_id = "22223333444455556666777788889999";
  again.csr = make_csr_for(again.device_id);
  CHECK_ERROR(s.handle(enrol_request(again)), 409, "conflict", "code");
  CHECK(s.repo->device(again.device_id).value() == std::nullopt);
  // With a wrong secret the server reveals nothing about the code (not even that it was used):
  // the same 403 as for an unknown code, counted as a wrong try.
  again.code = wrong_secret(code.code);
  CHECK_ERROR(s.handle(enrol_request(again)), 403, "forbidden", "code");
  CHECK(s.repo->enrolment_code(code.code.substr(0, 4)).value()->failed_attempts == 1);
}

TEST_CASE("enrolment: a code is locked after 5 wrong tries, even for the right code (429)") {
  Server s;
  const auto code = srv::create_enrolment_code(*s.repo, k_candidate, s.clock).value();
  const std::string handle = code.code.substr(0, 4);
  Enrolment e;
  e.csr = make_csr_for(e.device_id);
  e.code = wrong_secret(code.code);
  for (int i = 1; i <= 5; ++i) {
    INFO("wrong try " << i);
    CHECK_ERROR(s.handle(enrol_request(e)), 403, "forbidden", "code");
    CHECK(s.repo->enrolment_code(handle).value()->failed_attempts == i);
  }
  e.code = code.code;
  CHECK_ERROR(s.handle(enrol_request(e)), 429, "rate_limited", "code");
  CHECK(s.repo->device(k_new_device).value() == std::nullopt);
  CHECK_FALSE(s.repo->enrolment_code(handle).value()->used_wall_ms);
}

TEST_CASE("enrolment: an expired code is 410") {
  Server s;
  const auto code = srv::create_enrolment_code(*s.repo, k_candidate, s.clock, 14).value();
  Enrolment e;
  e.code = code.code;
  e.csr = make_csr_for(e.device_id);
  s.clock.advance_ms(14 * 86'400'000LL);  // exactly at expiry: expired
  CHECK_ERROR(s.handle(enrol_request(e)), 410, "expired", "code");
  CHECK(s.repo->device(k_new_device).value() == std::nullopt);
  // A wrong secret for an expired code learns nothing about it: 403 like any unknown code.
  Enrolment guess = e;
  guess.code = wrong_secret(code.code);
  CHECK_ERROR(s.handle(enrol_request(guess)), 403, "forbidden", "code");

  // A code withdrawn early is refused the same way.
  Server s2;
  const auto code2 = srv::create_enrolment_code(*s2.repo, k_candidate, s2.clock).value();
  CHECK(s2.repo->expire_enrolment_codes(k_candidate, s2.clock.wall_ms()).value() == 1);
  e.code = code2.code;
  CHECK_ERROR(s2.handle(enrol_request(e)), 410, "expired", "code");
}
