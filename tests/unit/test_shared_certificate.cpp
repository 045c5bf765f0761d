// Certificates (shared/certificate/credential.hpp): signing, the issuer key set with rotation, the
// revocation list, and verification verdicts that name exactly what failed.
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "shared/certificate/credential.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/format.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::certificate;

namespace {

constexpr std::int64_t k_day = 86'400'000;
constexpr std::int64_t k_t0 = 1'795'000'000'000;  // 2026-11-18

crypto::Ed25519KeyPair key() { return crypto::ed25519_generate().value(); }

IssuerKey published(const crypto::Ed25519KeyPair& k, std::int64_t from) {
  return IssuerKey{protocol::key_id_of(k.public_key), k.public_key, true, from, std::nullopt, std::nullopt};
}

Credential credential(std::int64_t issued) {
  Credential c;
  c.credential_id = "0123456789abcdef0123456789abcdef";
  c.candidate_name = "Alex Example";
  c.candidate_id = "cand-1";
  c.level = "practitioner";
  c.outcome = "met";
  c.award_date = vigil::time::utc_date(issued);
  c.expiry_date = add_years(c.award_date, k_default_valid_years);
  c.assessment_id = "pr-demo";
  c.assessment_version = 2;
  c.feedback = {{"P1", 80, true}, {"P2", 40, false}};
  c.issued_wall_ms = issued;
  return c;
}

std::string signed_text(Credential c, const crypto::Ed25519KeyPair& k) {
  REQUIRE(sign_credential(c, crypto::view(k.seed), k.public_key));
  return to_json(c).dump(2);
}

std::string revocations(const crypto::Ed25519KeyPair& k, std::vector<Revocation> revoked, std::int64_t issued) {
  RevocationList l;
  l.issued_wall_ms = issued;
  l.revoked = std::move(revoked);
  REQUIRE(sign_revocation_list(l, crypto::view(k.seed), k.public_key));
  return to_json(l).dump();
}

}  // namespace

TEST_CASE("a signed certificate verifies and says it was not checked for revocation without a list") {
  const auto a = key();
  const IssuerKeySet keys{{published(a, k_t0 - k_day)}};
  const auto v = verify_credential(signed_text(credential(k_t0), a), keys, std::nullopt, k_t0 + k_day);
  CHECK(v.verdict == Verdict::valid);
  CHECK(v.ok());
  CHECK(v.revocation == RevocationCheck::no_list);
  CHECK(v.revocation_note == "not checked for revocation: no list given");
  CHECK_THAT(v.message, ContainsSubstring("Alex Example"));
  CHECK_THAT(v.message, ContainsSubstring("valid until 2029-11-18"));
}

TEST_CASE("a one-byte change anywhere in the signed fields fails as a bad signature") {
  const auto a = key();
  const IssuerKeySet keys{{published(a, k_t0 - k_day)}};
  const auto text = signed_text(credential(k_t0), a);
  for (const std::string& from_to : {std::string("Alex Example|Alex Exbmple"), std::string("2029-11-18|2039-11-18"),
                                     std::string("\"percent\": 40|\"percent\": 41"), std::string("cand-1|cand-2")}) {
    const auto bar = from_to.find('|');
    const auto from = from_to.substr(0, bar), to = from_to.substr(bar + 1);
    auto changed = text;
    const auto at = changed.find(from);
    REQUIRE(at != std::string::npos);
    changed.replace(at, from.size(), to);
    REQUIRE(changed.size() == text.size());
    const auto v = verify_credential(changed, keys, std::nullopt, k_t0 + k_day);
    CHECK(v.verdict == Verdict::bad_signature);
    CHECK_THAT(v.message, ContainsSubstring("altered"));
  }
}

TEST_CASE("a certificate signed by a key not in the key set fails as unknown key") {
  const auto a = key(), b = key();
  const IssuerKeySet keys{{published(b, k_t0 - k_day)}};
  const auto v = verify_credential(signed_text(credential(k_t0), a), keys, std::nullopt, k_t0 + k_day);
  CHECK(v.verdict == Verdict::unknown_key);
  CHECK_THAT(v.message, ContainsSubstring(protocol::key_id_of(a.public_key)));
}

TEST_CASE("a revoked certificate fails as revoked when the list is given") {
  const auto a = key();
  const IssuerKeySet keys{{published(a, k_t0 - k_day)}};
  const auto text = signed_text(credential(k_t0), a);
  const auto list = revocations(a, {{"0123456789abcdef0123456789abcdef", k_t0 + k_day, "issued in error"}}, k_t0 + 2 * k_day);
  const auto v = verify_credential(text, keys, list, k_t0 + 3 * k_day);
  CHECK(v.verdict == Verdict::revoked);
  CHECK(v.revocation == RevocationCheck::checked);
  CHECK_THAT(v.message, ContainsSubstring("issued in error"));

  // A list that does not name it: valid, and says it was checked.
  const auto other = revocations(a, {{"ffffffffffffffffffffffffffffffff", k_t0, ""}}, k_t0 + 2 * k_day);
  const auto ok = verify_credential(text, keys, other, k_t0 + 3 * k_day);
  CHECK(ok.verdict == Verdict::valid);
  CHECK(ok.revocation == RevocationCheck::checked);
  CHECK_THAT(ok.revocation_note, ContainsSubstring("checked against the revocation list issued"));
}

TEST_CASE("a revocation list that does not verify is not trusted, and the verdict says so") {
  const auto a = key(), b = key();
  const IssuerKeySet keys{{published(a, k_t0 - k_day)}};
  const auto text = signed_text(credential(k_t0), a);
  // Signed by a key outside the set: someone trying to revoke (or un-revoke) without the issuer key.
  const auto forged = revocations(b, {{"0123456789abcdef0123456789abcdef", k_t0, "forged"}}, k_t0);
  auto v = verify_credential(text, keys, forged, k_t0 + k_day);
  CHECK(v.verdict == Verdict::valid);
  CHECK(v.revocation == RevocationCheck::list_untrusted);
  CHECK_THAT(v.revocation_note, ContainsSubstring("not checked for revocation"));
  // Entries removed from a genuine list after signing.
  auto genuine = nlohmann::json::parse(revocations(a, {{"0123456789abcdef0123456789abcdef", k_t0, "x"}}, k_t0));
  genuine["revoked"] = nlohmann::json::array();
  v = verify_credential(text, keys, genuine.dump(), k_t0 + k_day);
  CHECK(v.revocation == RevocationCheck::list_untrusted);
  v = verify_credential(text, keys, std::string("not json"), k_t0 + k_day);
  CHECK(v.revocation == RevocationCheck::list_untrusted);
}

TEST_CASE("after key rotation old certificates still verify and the retired key cannot sign new ones") {
  const auto old_key = key(), new_key = key();
  const std::int64_t rotated = k_t0 + 10 * k_day;
  auto retired = published(old_key, k_t0 - k_day);
  retired.active = false;
  retired.sign_until_ms = rotated;
  const IssuerKeySet keys{{published(new_key, rotated), retired}};
  CHECK(keys.active()->key_id == protocol::key_id_of(new_key.public_key));

  const auto old_cert = signed_text(credential(k_t0), old_key);
  CHECK(verify_credential(old_cert, keys, std::nullopt, rotated + 100 * k_day).verdict == Verdict::valid);
  const auto new_cert = signed_text(credential(rotated + k_day), new_key);
  CHECK(verify_credential(new_cert, keys, std::nullopt, rotated + 2 * k_day).verdict == Verdict::valid);
  // The old key signing after its retirement (a stolen retired key): refused.
  const auto late = signed_text(credential(rotated + k_day), old_key);
  const auto v = verify_credential(late, keys, std::nullopt, rotated + 2 * k_day);
  CHECK(v.verdict == Verdict::key_not_valid);
  CHECK_THAT(v.message, ContainsSubstring("not allowed to sign"));
  // The key set round-trips through its published JSON form.
  const auto back = parse_issuer_key_set(to_json(keys).dump());
  REQUIRE(back);
  CHECK(*back == keys);
}

TEST_CASE("a genuine certificate past its expiry date fails as expired") {
  const auto a = key();
  const IssuerKeySet keys{{published(a, k_t0 - k_day)}};
  const auto text = signed_text(credential(k_t0), a);  // awarded 2026-11-18, expires 2029-11-18
  CHECK(verify_credential(text, keys, std::nullopt, k_t0 + (365 * 3) * k_day).verdict == Verdict::valid);  // 2029-11-17
  CHECK(verify_credential(text, keys, std::nullopt, k_t0 + (365 * 3 + 1) * k_day).verdict == Verdict::valid);  // the last day
  const auto v = verify_credential(text, keys, std::nullopt, k_t0 + (365 * 3 + 2) * k_day);
  CHECK(v.verdict == Verdict::expired);
  CHECK_THAT(v.message, ContainsSubstring("expired on 2029-11-18"));
}

TEST_CASE("malformed certificates and key sets are refused with the field named") {
  const IssuerKeySet empty;
  const auto v = verify_credential(R"({"v":1})", empty, std::nullopt, k_t0);
  CHECK(v.verdict == Verdict::malformed);
  CHECK_THAT(v.message, ContainsSubstring("credential_id"));
  CHECK_FALSE(parse_issuer_key_set(R"({"v":1,"keys":[{"key_id":"00","public_key":"AAAA","status":"active","valid_from_ms":0}]})"));
  const auto a = key();
  auto j = to_json(IssuerKeySet{{published(a, 0)}});
  j["keys"][0]["key_id"] = "0000000000000000";
  auto bad = parse_issuer_key_set(j.dump());
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, ContainsSubstring("does not name this public key"));
}

TEST_CASE("dates add years with 29 February falling back to the 28th") {
  CHECK(vigil::time::utc_date(k_t0) == "2026-11-18");
  CHECK(add_years("2028-02-29", 3) == "2031-02-28");
  CHECK(add_years("2026-11-18", 3) == "2029-11-18");
  CHECK(is_valid_date("2026-02-28"));
  CHECK_FALSE(is_valid_date("2026-02-30"));
  CHECK_FALSE(is_valid_date("2026-2-3"));
}
