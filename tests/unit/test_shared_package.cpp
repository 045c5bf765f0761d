// The package container, sitting grants and start codes (shared/package): a package round-trips,
// and every damaged form of it (any byte flipped, any truncation, another signer, an unknown
// format) is refused with nothing decrypted; start codes lock the content key to the device and
// the code together.
#include <set>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/refused.hpp"
#include "shared/assessment/json.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/x25519.hpp"
#include "shared/package/package.hpp"
#include "shared/protocol/sync.hpp"

using namespace vigil;
namespace pkg = vigil::package;
using assessment::Assessment;

using vigil::testing::require_refused;

namespace {

// Cheap scrypt for tests that run it many times (the real parameters are checked separately).
const crypto::ScryptParams k_fast{1u << 10, 8, 1};

Assessment small_assessment() {
  Assessment a;
  a.id = "practitioner-test";
  a.version = 3;
  a.title = "Test assessment";
  a.level = assessment::Level::practitioner;
  assessment::Section k{"knowledge", assessment::SectionKind::knowledge, "Knowledge", 90, {"Answer all."}, {}, {}};
  assessment::Item single{"k-001", assessment::ItemType::single, {"P3"}, {"Which?"}, {"A", "B", "C"}, 1, std::nullopt};
  assessment::Item multiple{"k-002", assessment::ItemType::multiple, {"P8"}, {"Which two?"}, {"A", "B", "C", "D"}, 2, std::nullopt};
  k.items = {single, multiple};
  assessment::Section w{"written", assessment::SectionKind::written, "Written", 60, {}, {{"Case note", {"Text."}}}, {}};
  w.items = {assessment::Item{"w-001", assessment::ItemType::written, {"P6"}, {"Write."}, {}, 0, assessment::WordGuidance{400, 800}}};
  a.sections = {k, w};
  a.breaks = {{"knowledge", 10}};
  return a;
}

struct Keys {
  crypto::Ed25519KeyPair signer = crypto::ed25519_generate().value();
  crypto::SecretBytes content = crypto::random_secret(32).value();
};

pkg::SittingGrant grant_for(const Keys& keys, const crypto::X25519KeyPair& device, const std::string& code) {
  pkg::SittingGrant g;
  g.sitting_id = "sit-1";
  g.candidate_id = "c-1";
  g.device_id = "dev-1";
  g.assessment_id = "practitioner-test";
  g.version = 3;
  g.key_id = pkg::content_key_id(crypto::view(keys.content));
  g.scheduled_start_ms = 1'790'000'000'000;
  g.window_end_ms = g.scheduled_start_ms + 8 * 3'600'000;
  g.accommodations = {25, 10, false};
  g.issued_ms = 1'789'000'000'000;
  const auto lock = pkg::lock_with_code(crypto::view(keys.content), pkg::normalise_start_code(code).value(), g.sitting_id, k_fast).value();
  REQUIRE(pkg::wrap_offline_key(g, lock, device.public_key));
  REQUIRE(pkg::sign_grant(g, crypto::view(keys.signer.seed), keys.signer.public_key));
  return g;
}

}  // namespace

TEST_CASE("a package round-trips: verified, decrypted, the same assessment") {
  Keys keys;
  const auto a = small_assessment();
  const auto file = pkg::build_package(a, crypto::view(keys.content), crypto::view(keys.signer.seed)).value();
  auto v = pkg::verify_package(file, keys.signer.public_key);
  REQUIRE(v);
  CHECK(v->header.assessment_id == "practitioner-test");
  CHECK(v->header.version == 3);
  CHECK(v->header.key_id == pkg::content_key_id(crypto::view(keys.content)));
  CHECK(v->header.signer_key_id == protocol::key_id_of(keys.signer.public_key));
  auto back = pkg::decrypt_package(*v, crypto::view(keys.content));
  REQUIRE(back);
  CHECK(assessment::to_json(*back) == assessment::to_json(a));
  CHECK(back->total_minutes() == 150);
}

TEST_CASE("the package plaintext carries no answers, rationales or rubrics") {
  const auto j = assessment::to_json(small_assessment()).dump();
  CHECK(j.find("answer") == std::string::npos);
  CHECK(j.find("rationale") == std::string::npos);
  CHECK(j.find("rubric") == std::string::npos);
}

TEST_CASE("every single-byte change to a package is refused and nothing is decrypted") {
  Keys keys;
  const auto file = pkg::build_package(small_assessment(), crypto::view(keys.content), crypto::view(keys.signer.seed)).value();
  std::set<Errc> seen;
  for (std::size_t i = 0; i < file.size(); ++i) {
    Bytes bad = file;
    bad[i] ^= 0x01;
    auto v = pkg::verify_package(bad, keys.signer.public_key);
    INFO("byte " << i);
    REQUIRE_FALSE(v);
    seen.insert(v.error().code);
  }
  // Magic -> not a package; format -> unsupported; lengths -> malformed; the rest -> signature.
  CHECK(seen == std::set<Errc>{Errc::invalid_argument, Errc::unsupported_version, Errc::integrity});
}

TEST_CASE("a package truncated at any length, or with bytes appended, is refused") {
  Keys keys;
  const auto file = pkg::build_package(small_assessment(), crypto::view(keys.content), crypto::view(keys.signer.seed)).value();
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto v = pkg::verify_package(ByteView(file).first(n), keys.signer.public_key);
    INFO("length " << n);
    REQUIRE_FALSE(v);
    CHECK(v.error().code == Errc::invalid_argument);
  }
  Bytes longer = file;
  longer.push_back(0);
  auto v = pkg::verify_package(longer, keys.signer.public_key);
  REQUIRE_FALSE(v);
  CHECK(v.error().message.find("after its signature") != std::string::npos);
}

TEST_CASE("a package signed by another key is refused as not made by this server") {
  Keys keys;
  const auto other = crypto::ed25519_generate().value();
  const auto file = pkg::build_package(small_assessment(), crypto::view(keys.content), crypto::view(other.seed)).value();
  require_refused(pkg::verify_package(file, keys.signer.public_key), Errc::integrity, "signature");
}

TEST_CASE("a package of an unknown format version is refused as unsupported, naming the version") {
  Keys keys;
  auto file = pkg::build_package(small_assessment(), crypto::view(keys.content), crypto::view(keys.signer.seed)).value();
  file[9] = 2;  // format 2
  require_refused(pkg::verify_package(file, keys.signer.public_key), Errc::unsupported_version, "format 2");
}

TEST_CASE("a file that is not a package is refused as such") {
  Keys keys;
  require_refused(pkg::verify_package(as_bytes(std::string_view("PK\x03\x04 a zip file")), keys.signer.public_key), Errc::invalid_argument, "not a Vigil assessment package");
}

TEST_CASE("a package opened with another content key is refused before any decryption") {
  Keys keys;
  const auto file = pkg::build_package(small_assessment(), crypto::view(keys.content), crypto::view(keys.signer.seed)).value();
  const auto v = pkg::verify_package(file, keys.signer.public_key).value();
  const auto other = crypto::random_secret(32).value();
  require_refused(pkg::decrypt_package(v, crypto::view(other)), Errc::wrong_key);
}

TEST_CASE("start codes are 12 characters in three groups from the unambiguous alphabet") {
  std::set<std::string> codes;
  for (int i = 0; i < 50; ++i) {
    const auto c = pkg::generate_start_code().value();
    REQUIRE(c.size() == 14);
    CHECK(c[4] == '-');
    CHECK(c[9] == '-');
    for (std::size_t j = 0; j < c.size(); ++j) {
      if (j != 4 && j != 9) CHECK(pkg::k_start_code_alphabet.find(c[j]) != std::string_view::npos);
    }
    codes.insert(c);
  }
  CHECK(codes.size() == 50);
  // 25^12 > 2^55.
  CHECK(pkg::k_start_code_alphabet.size() == 25);
}

TEST_CASE("a start code is accepted in any case and spacing, and a malformed one is refused before any try") {
  CHECK(pkg::normalise_start_code("acde fghj-kmnp").value() == "ACDEFGHJKMNP");
  CHECK(pkg::normalise_start_code(" ACDE-FGHJ-KMNP ").value() == "ACDEFGHJKMNP");
  for (const char* bad : {"ACDE-FGHJ-KMN", "ACDE-FGHJ-KMNPQ", "ACDE-FGHJ-KMN0", "", "ACDE_FGHJ_KMNP"}) {
    auto r = pkg::normalise_start_code(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("the offline key opens only with this device's key and the right start code") {
  Keys keys;
  const auto device = crypto::x25519_generate().value();
  const auto g = grant_for(keys, device, "ACDE-FGHJ-KMNP");
  REQUIRE(pkg::verify_grant(g, keys.signer.public_key));

  auto key = pkg::unwrap_offline_key(g, device, "ACDEFGHJKMNP");
  REQUIRE(key);
  CHECK(*key == keys.content);

  require_refused(pkg::unwrap_offline_key(g, device, "ACDEFGHJKMNQ"), Errc::auth_failed, "start code is not right");

  const auto other_device = crypto::x25519_generate().value();
  require_refused(pkg::unwrap_offline_key(g, other_device, "ACDEFGHJKMNP"), Errc::wrong_key, "another device");
}

TEST_CASE("a start-code lock is bound to its sitting") {
  Keys keys;
  const auto lock = pkg::lock_with_code(crypto::view(keys.content), "ACDEFGHJKMNP", "sit-1", k_fast).value();
  const auto id = pkg::content_key_id(crypto::view(keys.content));
  CHECK(pkg::unlock_with_code(lock, "ACDEFGHJKMNP", "sit-1", id));
  require_refused(pkg::unlock_with_code(lock, "ACDEFGHJKMNP", "sit-2", id), Errc::auth_failed);
}

TEST_CASE("a grant with absurd scrypt parameters is refused rather than run") {
  Keys keys;
  auto lock = pkg::lock_with_code(crypto::view(keys.content), "ACDEFGHJKMNP", "sit-1", k_fast).value();
  lock.params.n = 1ull << 30;
  require_refused(pkg::unlock_with_code(lock, "ACDEFGHJKMNP", "sit-1", pkg::content_key_id(crypto::view(keys.content))), Errc::invalid_argument);
}

TEST_CASE("a grant round-trips through JSON and any change to a signed field breaks its signature") {
  Keys keys;
  const auto device = crypto::x25519_generate().value();
  const auto g = grant_for(keys, device, "ACDE-FGHJ-KMNP");
  auto back = pkg::parse_grant(pkg::to_json(g).dump());
  REQUIRE(back);
  CHECK(*back == g);
  CHECK(pkg::verify_grant(*back, keys.signer.public_key));

  auto later = g;
  later.window_end_ms += 3'600'000;
  CHECK(pkg::verify_grant(later, keys.signer.public_key).error().code == Errc::integrity);
  auto more_time = g;
  more_time.accommodations.extra_time_percent = 100;
  CHECK_FALSE(pkg::verify_grant(more_time, keys.signer.public_key));
  auto other_candidate = g;
  other_candidate.candidate_id = "c-2";
  CHECK_FALSE(pkg::verify_grant(other_candidate, keys.signer.public_key));
  const auto stranger = crypto::ed25519_generate().value();
  CHECK_FALSE(pkg::verify_grant(g, stranger.public_key));
}

TEST_CASE("grant JSON with an unknown field or a wrong type is refused naming the field") {
  Keys keys;
  const auto device = crypto::x25519_generate().value();
  auto j = pkg::to_json(grant_for(keys, device, "ACDE-FGHJ-KMNP"));
  auto extra = j;
  extra["valid_forever"] = true;
  auto r = pkg::parse_grant(extra.dump());
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "valid_forever");
  auto typed = j;
  typed["accommodations"]["extra_time_percent"] = "25";
  r = pkg::parse_grant(typed.dump());
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "accommodations.extra_time_percent");
}

TEST_CASE("the start-code scrypt parameters are the documented ones") {
  CHECK(pkg::k_start_code_scrypt.n == (1u << 15));
  CHECK(pkg::k_start_code_scrypt.r == 8);
  CHECK(pkg::k_start_code_scrypt.p == 1);
}

TEST_CASE("assessment JSON decoding refuses unknown fields and broken items, naming the path") {
  auto j = assessment::to_json(small_assessment());
  CHECK(assessment::decode_assessment(j));
  auto extra = j;
  extra["sections"][0]["items"][0]["answer"] = nlohmann::json::array({1});
  auto r = assessment::decode_assessment(extra);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sections[0].items[0].answer");
  auto select = j;
  select["sections"][0]["items"][1]["select"] = 4;
  r = assessment::decode_assessment(select);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sections[0].items[1].select");
  auto kss = j;
  kss["sections"][0]["items"][0]["kss"] = nlohmann::json::array({"S1"});
  r = assessment::decode_assessment(kss);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "sections[0].items[0].kss[0]");
}
