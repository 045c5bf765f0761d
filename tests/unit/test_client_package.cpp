// The client's packages (client/package): download into the data folder and the store, then
// unlock online or with a start code, with every refusal (wrong code, rate limit across restarts,
// the window by the device clock, another device's grant, a damaged file) clear and recorded.
// The server is faked at the Transport seam by a few lines built on shared/package; the store is
// the real SQLCipher store in a temp dir. (The real server over TLS: test_package_e2e.)
#include <algorithm>
#include <fstream>
#include <map>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/refused.hpp"
#include "client/package/packages.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/package/package.hpp"
#include "shared/protocol/messages.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;
using namespace vigil;
namespace store = vigil::client::store;
namespace cpkg = vigil::client::package;
namespace pkg = vigil::package;
using protocol::HttpRequest;
using protocol::HttpResponse;

using vigil::testing::require_refused;

namespace {

const std::int64_t k_hour = 3'600'000;
const std::string k_code = "ACDE-FGHJ-KMNP";

assessment::Assessment tiny_assessment() {
  assessment::Assessment a;
  a.id = "practitioner-test";
  a.version = 1;
  a.title = "Test assessment";
  assessment::Section k{"knowledge", assessment::SectionKind::knowledge, "Knowledge", 90, {"Answer all."}, {}, {}};
  k.items = {assessment::Item{"k-001", assessment::ItemType::single, {"P3"}, {"Which?"}, {"A", "B", "C"}, 1, std::nullopt}};
  a.sections = {k};
  return a;
}

// The server, as far as the client can tell: a package, one sitting, a start code, a clock.
class FakeServer final : public vigil::client::sync::Transport {
 public:
  crypto::Ed25519KeyPair signer = crypto::ed25519_generate().value();
  crypto::SecretBytes content_key = crypto::random_secret(32).value();
  Bytes package;
  time::ManualClock clock{1'790'000'000'000};
  std::int64_t start_ms = 1'790'000'000'000 + k_hour;
  std::string candidate = "c-1";
  std::string code = k_code;
  std::optional<Bytes> seal_grants_to;  // when set: grants sealed to this key instead of the asker's
  bool has_code = true;                 // false: grants without an offline key (no start code yet)
  int package_downloads = 0;
  std::optional<Bytes> registered_kx;

  FakeServer() { package = pkg::build_package(tiny_assessment(), crypto::view(content_key), crypto::view(signer.seed)).value(); }

  Result<HttpResponse> roundtrip(const HttpRequest& req) override {
    const std::string sitting = "sit-1";
    if (req.method == "GET" && req.target == "/v1/packages") {
      json list = json::array({json{{"sitting_id", sitting}, {"assessment_id", "practitioner-test"}, {"version", 1},
                                    {"title", "Test assessment"}, {"level", "practitioner"},
                                    {"scheduled_start_ms", start_ms}, {"window_end_ms", start_ms + 8 * k_hour},
                                    {"package_sha256", to_hex(crypto::sha256(package))}}});
      return ok(json{{"v", 1}, {"package_public_key", to_base64(signer.public_key)}, {"package_key_id", "x"},
                     {"server_time_ms", clock.wall_ms()}, {"sittings", list}}.dump());
    }
    if (req.method == "GET" && req.target == "/v1/packages/practitioner-test/1") {
      ++package_downloads;
      return HttpResponse{200, {{"Content-Type", "application/octet-stream"}}, std::string(package.begin(), package.end())};
    }
    if (req.method == "POST" && req.target == "/v1/sittings/sit-1/grant") {
      const auto kx = from_base64(json::parse(req.body)["kx_public"].get<std::string>()).value();
      registered_kx = kx;
      pkg::SittingGrant g;
      g.sitting_id = sitting;
      g.candidate_id = candidate;
      g.device_id = device_id;
      g.assessment_id = "practitioner-test";
      g.version = 1;
      g.key_id = pkg::content_key_id(crypto::view(content_key));
      g.scheduled_start_ms = start_ms;
      g.window_end_ms = start_ms + 8 * k_hour;
      g.accommodations = {25, 0, false};
      g.issued_ms = clock.wall_ms();
      if (has_code) {
        const auto lock = pkg::lock_with_code(crypto::view(content_key), pkg::normalise_start_code(code).value(), sitting,
                                              {1u << 10, 8, 1}).value();
        REQUIRE(pkg::wrap_offline_key(g, lock, seal_grants_to ? *seal_grants_to : kx));
      }
      REQUIRE(pkg::sign_grant(g, crypto::view(signer.seed), signer.public_key));
      return ok(pkg::to_json(g).dump());
    }
    if (req.method == "POST" && req.target == "/v1/sittings/sit-1/key") {
      if (clock.wall_ms() < start_ms) {
        return HttpResponse{403, {}, protocol::to_json(protocol::ErrorBody{"forbidden", "not yet: the assessment opens at 10:00", ""}).dump()};
      }
      const auto sealed = crypto::seal(*registered_kx, crypto::view(content_key), as_bytes(pkg::online_key_aad(sitting))).value();
      return ok(json{{"v", 1}, {"sitting_id", sitting}, {"key_id", pkg::content_key_id(crypto::view(content_key))},
                     {"sealed_key", to_base64(sealed)}}.dump());
    }
    return HttpResponse{404, {}, protocol::to_json(protocol::ErrorBody{"not_found", "no such endpoint", ""}).dump()};
  }

  std::string device_id;

 private:
  static Result<HttpResponse> ok(std::string body) { return HttpResponse{200, {{"Content-Type", "application/json"}}, std::move(body)}; }
};

std::unique_ptr<store::Store> open_store(const testing::TempDir& dir) {
  store::StoreOptions so;
  so.dir = dir / "data";
  so.key_storage = store::KeyStorePreference::file;
  auto s = store::Store::open(std::move(so));
  if (!s) FAIL(s.error().describe());
  return std::move(*s);
}

// An "enrolled" store (the enrolment row is all download() needs) with the sitting downloaded.
struct Device {
  testing::TempDir dir;
  FakeServer server;
  std::unique_ptr<store::Store> store = open_store(dir);
  std::filesystem::path data = dir / "data";

  Device() {
    store::Enrolment e;
    e.candidate_id = "c-1";
    REQUIRE(store->save_enrolment(e));
    server.device_id = store->device_id();
  }
  std::vector<cpkg::LocalSitting> download() {
    auto r = cpkg::download(server, *store, data);
    if (!r) FAIL(r.error().describe());
    return *r;
  }
  void reopen_store() {
    store.reset();
    store = open_store(dir);
  }
};

}  // namespace

TEST_CASE("download stores the verified package file and the grant, and the sitting is listed locked") {
  Device d;
  const auto got = d.download();
  REQUIRE(got.size() == 1);
  CHECK(got[0].sitting_id == "sit-1");
  CHECK(got[0].title == "Test assessment");
  CHECK_FALSE(got[0].unlocked);
  CHECK(got[0].accommodations.extra_time_percent == 25);
  CHECK(got[0].package_file == d.data / "packages" / "practitioner-test-v1.vpkg");
  CHECK(std::filesystem::file_size(got[0].package_file) == d.server.package.size());
  CHECK_FALSE(std::filesystem::exists(got[0].package_file.string() + ".part"));
  // A second download does not fetch the unchanged file again; the list survives a restart.
  d.download();
  CHECK(d.server.package_downloads == 1);
  d.reopen_store();
  auto local = cpkg::local_sittings(*d.store, d.data).value();
  REQUIRE(local.size() == 1);
  CHECK(local[0].sitting_id == "sit-1");
}

TEST_CASE("a package damaged in transit is refused and not installed") {
  Device d;
  d.server.package[40] ^= 0x20;
  // The listed hash is of the damaged bytes: only the signature can tell.
  require_refused(cpkg::download(d.server, *d.store, d.data), Errc::integrity);
  CHECK_FALSE(std::filesystem::exists(d.data / "packages" / "practitioner-test-v1.vpkg"));
}

TEST_CASE("a server package key that changes after the first download is refused") {
  Device d;
  d.download();
  d.server.signer = crypto::ed25519_generate().value();
  d.server.package = pkg::build_package(tiny_assessment(), crypto::view(d.server.content_key), crypto::view(d.server.signer.seed)).value();
  require_refused(cpkg::download(d.server, *d.store, d.data), Errc::integrity, "package key has changed");
}

TEST_CASE("online unlock is refused before the start with the server's message and works after it") {
  Device d;
  d.download();
  require_refused(cpkg::unlock_online(d.server, *d.store, d.data, "sit-1"), Errc::forbidden, "not yet");

  d.server.clock.advance_ms(k_hour);
  auto r = cpkg::unlock_online(d.server, *d.store, d.data, "sit-1");
  REQUIRE(r);
  CHECK(r->assessment.id == "practitioner-test");
  CHECK(r->sitting.unlocked);
  CHECK(r->sitting.accommodations.extra_time_percent == 25);
}

TEST_CASE("after unlocking the assessment reopens after a restart with no code and no network") {
  Device d;
  d.download();
  const time::ManualClock at_start{d.server.start_ms};
  REQUIRE(cpkg::unlock_offline(*d.store, d.data, "sit-1", "acde fghj kmnp", at_start));
  d.reopen_store();
  auto again = cpkg::reopen(*d.store, d.data, "sit-1");
  REQUIRE(again);
  CHECK(again->assessment.sections.size() == 1);
  CHECK(cpkg::local_sittings(*d.store, d.data).value()[0].unlocked);
  // The unlock is in the sitting's journal, which verifies.
  auto entries = d.store->journal_entries("sit-1").value();
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().record.type == "package.unlocked");
  CHECK(d.store->verify_journal("sit-1").value().ok());
}

TEST_CASE("reopen before any unlock says the assessment is not unlocked yet") {
  Device d;
  d.download();
  require_refused(cpkg::reopen(*d.store, d.data, "sit-1"), Errc::not_found);
}

TEST_CASE("a wrong start code is refused with the tries left and recorded in the journal") {
  Device d;
  d.download();
  const time::ManualClock at_start{d.server.start_ms};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", "ACDE-FGHJ-KMNQ", at_start), Errc::auth_failed, "4 tries");
  const auto rejections = [&] {
    auto entries = d.store->journal_entries("sit-1").value();
    return std::count_if(entries.begin(), entries.end(), [](const auto& e) { return e.record.type == "start_code.rejected"; });
  };
  CHECK(rejections() == 1);
  // A malformed code is not a try.
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", "ACDE-FGHJ", at_start), Errc::invalid_argument);
  CHECK(rejections() == 1);
}

TEST_CASE("the wrong-code limit survives closing and reopening the store") {
  Device d;
  d.download();
  time::ManualClock clock{d.server.start_ms};
  for (int i = 0; i < cpkg::k_free_code_attempts; ++i) {
    require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", "ACDE-FGHJ-KMNQ", clock), Errc::auth_failed);
    d.reopen_store();
  }
  // Even the right code now waits, after a restart too.
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, clock), Errc::rate_limited, "30 seconds");
  // Setting the clock back does not shorten the wait.
  clock.set_wall_ms(d.server.start_ms - 60'000);
  CHECK(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, clock).error().code == Errc::rate_limited);
  clock.set_wall_ms(d.server.start_ms + 31'000);
  REQUIRE(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, clock));
}

TEST_CASE("a start code is refused after the window and well before the start by the device clock") {
  Device d;
  d.download();
  const time::ManualClock after{d.server.start_ms + 8 * k_hour};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, after), Errc::expired, "this computer's clock");
  const time::ManualClock day_before{d.server.start_ms - 24 * k_hour};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, day_before), Errc::forbidden);
  // Shortly before the start (a slow clock) is accepted.
  const time::ManualClock slightly_early{d.server.start_ms - 10 * 60'000};
  CHECK(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, slightly_early));
}

TEST_CASE("a grant sealed to another device's key does not unlock on this one") {
  Device d;
  d.server.seal_grants_to = crypto::x25519_generate().value().public_key;
  d.download();
  const time::ManualClock at_start{d.server.start_ms};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, at_start), Errc::wrong_key, "another device");
}

TEST_CASE("a package file altered on disk after download is refused at unlock") {
  Device d;
  const auto got = d.download();
  {
    std::fstream f(got[0].package_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('X');
  }
  const time::ManualClock at_start{d.server.start_ms};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, at_start), Errc::integrity, "download it again");
}

TEST_CASE("download on a device that is not enrolled says to enrol first") {
  testing::TempDir dir;
  auto s = open_store(dir);
  FakeServer server;
  require_refused(cpkg::download(server, *s, dir / "data"), Errc::forbidden, "enrol");
}

TEST_CASE("a grant fetched before the start code existed unlocks online but asks to download again for a code") {
  Device d;
  d.server.has_code = false;
  d.download();
  const time::ManualClock at_start{d.server.start_ms};
  require_refused(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, at_start), Errc::not_found, "download again");
  // Once a code is issued, a fresh download brings the offline key.
  d.server.has_code = true;
  d.download();
  CHECK(cpkg::unlock_offline(*d.store, d.data, "sit-1", k_code, at_start));
}
