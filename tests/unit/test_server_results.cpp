// Results storage and the device endpoint (server/results/results.hpp, server/storage/results_*.hpp): a device sees only its own
// candidate's released results; released results never change; release leaves incomplete results
// back; revocation is kept and published in a list that verifies. Real SQLite in a temp dir, real
// keys from init_server_home, the pure Api::handle (no sockets).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include <type_traits>

#include "server/device/api.hpp"
#include "server/home/issuer_keys.hpp"
#include "server/results/results.hpp"
#include "shared/time/format.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/results/released.hpp"
#include "tests/support/server_world.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

// The server of every server test (tests/support/server_world.hpp) with two candidates, each with
// a device, and three sittings in two windows.
struct Fixture : testing::ServerWorld {
  Fixture() {
    const auto now = clock.wall_ms();
    REQUIRE(repo->add_council("council-1", "Test Council", now));
    for (const char* c : {"cand-a", "cand-b"}) {
      REQUIRE(repo->add_candidate({c, "council-1", std::string("Name of ") + c, "", "practitioner"}, now));
    }
    // Package rows only as the foreign keys of sittings: nothing here decrypts them.
    for (const char* a : {"window-1", "window-2"}) {
      srv::PackageRow p{a, 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4), now};
      REQUIRE(repo->add_package(p, "{}"));
    }
    sitting("s-a1", "cand-a", "window-1");
    sitting("s-a2", "cand-a", "window-2");
    sitting("s-b1", "cand-b", "window-1");
    REQUIRE(repo->add_device({"0123456789abcdef0123456789abcdef", "cand-a", "01", Bytes(32, 5), now, std::nullopt}));
    REQUIRE(repo->add_device({"fedcba9876543210fedcba9876543210", "cand-b", "02", Bytes(32, 6), now, std::nullopt}));
  }

  void sitting(const std::string& id, const std::string& cand, const std::string& assessment) {
    REQUIRE(repo->put_sitting({id, cand, assessment, 1, clock.wall_ms(), clock.wall_ms() + 3'600'000}, clock.wall_ms()));
  }

  void put(const std::string& sitting_id, const std::string& cand, const std::string& assessment, results::Outcome o) {
    auto r = testing::sample_score(assessment, o);
    r.areas = {{"P1", {7, 10}, true}};
    REQUIRE(results->put_result(testing::result_row(sitting_id, cand, r, clock.wall_ms())));
  }

  protocol::HttpResponse get_results(const protocol::PeerIdentity& peer) {
    return handle(protocol::HttpRequest{"GET", "/v1/results", {}, {}}, peer);
  }
};

const protocol::PeerIdentity k_device_a{true, "0123456789abcdef0123456789abcdef", "01", "127.0.0.1"};
const protocol::PeerIdentity k_device_b{true, "fedcba9876543210fedcba9876543210", "02", "127.0.0.1"};

}  // namespace

TEST_CASE("a device gets only its own candidate's released results, with certificates and without item detail") {
  Fixture f;
  f.put("s-a1", "cand-a", "window-1", results::Outcome::met);
  f.put("s-b1", "cand-b", "window-1", results::Outcome::not_met);
  f.put("s-a2", "cand-a", "window-2", results::Outcome::met);  // another window: not released

  // Before release: nothing.
  auto before = f.get_results(k_device_a);
  REQUIRE(before.status == 200);
  CHECK(results::parse_released_results(before.body).value().empty());

  auto signer = srv::active_issuer(f.home.dir, f.clock.wall_ms()).value();
  auto rel = srv::release_results(*f.repo, *f.results, "window-1", &signer, f.clock);
  REQUIRE(rel);
  CHECK(rel->counts.released == 2);
  REQUIRE(rel->certificates.size() == 1);  // only the met result is certified
  CHECK(rel->certificates.front().candidate_name == "Name of cand-a");

  auto a = results::parse_released_results(f.get_results(k_device_a).body).value();
  REQUIRE(a.size() == 1);
  CHECK(a.front().sitting_id == "s-a1");
  CHECK(a.front().report.items.empty());
  REQUIRE(a.front().certificate);
  CHECK_THAT(*a.front().certificate, ContainsSubstring("Name of cand-a"));
  CHECK_THAT(a.front().next_steps, ContainsSubstring("met the standard"));

  auto b = results::parse_released_results(f.get_results(k_device_b).body).value();
  REQUIRE(b.size() == 1);
  CHECK(b.front().sitting_id == "s-b1");
  CHECK(b.front().report.outcome == results::Outcome::not_met);
  CHECK_FALSE(b.front().certificate);
  CHECK_THAT(b.front().next_steps, ContainsSubstring("endorsing manager"));

  // No device certificate or an unknown device: refused.
  CHECK(f.get_results({}).status == 401);
  CHECK(f.get_results({true, "00000000000000000000000000000000", "99", "127.0.0.1"}).status == 403);
  // A device API without results storage cannot be built: it answered 404 here until the
  // composition root (server/app/composition.hpp) made the storage a required reference.
  STATIC_CHECK_FALSE(std::is_constructible_v<srv::Api, srv::Repository&, const srv::ServerKeys&, const time::Clock&>);
}

TEST_CASE("release leaves incomplete results back and a released result never changes") {
  Fixture f;
  f.put("s-a1", "cand-a", "window-1", results::Outcome::incomplete);
  f.put("s-b1", "cand-b", "window-1", results::Outcome::met);
  auto c = f.results->release("window-1", f.clock.wall_ms()).value();
  CHECK(c.released == 1);
  CHECK(c.incomplete == 1);
  CHECK(c.already == 0);
  // Marked later, then released: the second release counts the first as already released.
  f.put("s-a1", "cand-a", "window-1", results::Outcome::not_met);
  c = f.results->release("window-1", f.clock.wall_ms()).value();
  CHECK(c.released == 1);
  CHECK(c.already == 1);
  auto changed = f.results->put_result({"s-b1", "cand-b", "window-1", 1, "not_met", "{}", f.clock.wall_ms(), std::nullopt});
  REQUIRE_FALSE(changed);
  CHECK(changed.error().code == Errc::conflict);
  CHECK(f.results->result("s-b1").value()->outcome == "met");
}

TEST_CASE("certificates are issued only for released met results, and a revocation is kept and published") {
  Fixture f;
  f.put("s-a1", "cand-a", "window-1", results::Outcome::met);
  f.put("s-b1", "cand-b", "window-1", results::Outcome::not_met);
  auto signer = srv::active_issuer(f.home.dir, f.clock.wall_ms()).value();
  auto early = srv::issue_certificate(*f.repo, *f.results, signer, "s-a1", f.clock);
  REQUIRE_FALSE(early);
  CHECK_THAT(early.error().message, ContainsSubstring("not released"));
  REQUIRE(srv::release_results(*f.repo, *f.results, "window-1", nullptr, f.clock));
  auto not_met = srv::issue_certificate(*f.repo, *f.results, signer, "s-b1", f.clock);
  REQUIRE_FALSE(not_met);
  CHECK_THAT(not_met.error().message, ContainsSubstring("only a met result"));
  auto cert = srv::issue_certificate(*f.repo, *f.results, signer, "s-a1", f.clock, 5);
  REQUIRE(cert);
  CHECK(cert->expiry_date == certificate::add_years(cert->award_date, 5));

  f.clock.advance_ms(1000);
  REQUIRE(f.results->revoke_credential(cert->credential_id, "first reason", f.clock.wall_ms()));
  const auto first_time = f.clock.wall_ms();
  f.clock.advance_ms(1000);
  REQUIRE(f.results->revoke_credential(cert->credential_id, "second reason", f.clock.wall_ms()));
  auto revoked = f.results->revoked_credentials().value();
  REQUIRE(revoked.size() == 1);
  CHECK(revoked.front().revoked_reason == "first reason");
  CHECK(revoked.front().revoked_wall_ms == first_time);
  CHECK_FALSE(f.results->revoke_credential("no-such-id", "x", f.clock.wall_ms()));

  REQUIRE(srv::publish_revocations(f.home.dir, revoked, f.clock.wall_ms()));
  const auto keys = srv::load_issuer_keys(f.home.dir, f.clock.wall_ms()).value();
  const auto list = vigil::read_whole_file(srv::revocations_file(f.home.dir)).value();
  const auto v = certificate::verify_credential(certificate::to_json(*cert).dump(), keys, list, f.clock.wall_ms());
  CHECK(v.verdict == certificate::Verdict::revoked);
  CHECK_THAT(v.message, ContainsSubstring("first reason"));
  // Revoked credentials are no longer the sitting's current certificate.
  CHECK_FALSE(f.results->current_credential("s-a1").value());
}

TEST_CASE("rotating the issuer key signs new certificates with the new key and keeps the old one for verification") {
  Fixture f;
  const auto first = srv::active_issuer(f.home.dir, f.clock.wall_ms()).value();
  f.clock.advance_ms(60'000);
  const auto set = srv::rotate_issuer_key(f.home.dir, f.clock.wall_ms()).value();
  REQUIRE(set.keys.size() == 2);
  const auto second = srv::active_issuer(f.home.dir, f.clock.wall_ms()).value();
  CHECK(second.key_id != first.key_id);
  const auto* old = set.find(first.key_id);
  REQUIRE(old);
  CHECK_FALSE(old->active);
  CHECK(old->sign_until_ms == f.clock.wall_ms());
  // The published file is what verifiers read.
  CHECK(srv::load_issuer_keys(f.home.dir, f.clock.wall_ms()).value() == set);
}

TEST_CASE("the CSV export lists a window's results, one council's only when asked, with formulas defused") {
  Fixture f;
  const auto now = f.clock.wall_ms();
  REQUIRE(f.repo->add_council("council-2", "Other Council", now));
  REQUIRE(f.repo->add_candidate({"cand-c", "council-2", "=HYPERLINK(\"x\"), Smith", "", "practitioner"}, now));
  f.sitting("s-c1", "cand-c", "window-1");
  f.put("s-a1", "cand-a", "window-1", results::Outcome::met);
  f.put("s-c1", "cand-c", "window-1", results::Outcome::not_met);
  f.put("s-a2", "cand-a", "window-2", results::Outcome::met);
  REQUIRE(f.results->release("window-1", now));

  const auto all = srv::results_csv(*f.repo, *f.results, "window-1").value();
  CHECK_THAT(all, ContainsSubstring("sitting_id,candidate_id,candidate_name,council_id,attempt,outcome,released,state,"
                                    "public_reason,overall_percent,knowledge_status,knowledge_percent"));
  CHECK_THAT(all, ContainsSubstring(",P1_percent\r\n"));
  CHECK_THAT(all, ContainsSubstring("s-a1,cand-a,Name of cand-a,council-1,1,met," + time::utc_date(now) + ",released,,70,met,70"));
  // The name starts with "=" and holds a comma and quotes: apostrophe, quoted, quotes doubled.
  CHECK_THAT(all, ContainsSubstring("\"'=HYPERLINK(\"\"x\"\"), Smith\""));
  CHECK_THAT(all, !ContainsSubstring("s-a2"));  // another window

  const auto council = srv::results_csv(*f.repo, *f.results, "window-1", std::string("council-1")).value();
  CHECK_THAT(council, ContainsSubstring("s-a1"));
  CHECK_THAT(council, !ContainsSubstring("s-c1"));
  CHECK_THAT(council, !ContainsSubstring("HYPERLINK"));
}
