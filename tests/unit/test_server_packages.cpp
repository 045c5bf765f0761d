// Authoring and the server's package endpoints: a content directory is validated exactly per
// docs/CONTENT-FORMAT.md (each broken directory's error names its file and JSON path), built
// into a signed package with its marking scheme kept on the server, and released to devices only
// as the schedule allows, by the server's clock (srv::Api::handle, no sockets).
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "server/packages/authoring.hpp"
#include "server/packages/packages.hpp"
#include "shared/assessment/json.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/x25519.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/package/package.hpp"
#include "shared/time/clock.hpp"
#include "shared/time/format.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using testing::ContentFiles;
namespace pkg = vigil::package;

namespace {

const std::string k_assessment = "practitioner-test";
const std::int64_t k_hour = 3'600'000;

// The server of every server test (tests/support/server_world.hpp) on a fixed clock, with three
// candidates and two devices.
struct Server : testing::ServerWorld {
  PeerIdentity device{true, "dev-1", "01", "127.0.0.1"};
  PeerIdentity other_device{true, "dev-2", "02", "127.0.0.1"};

  Server() : ServerWorld({}, 1'790'000'000'000) {
    REQUIRE(repo->add_council("council-1", "Test Council", clock.wall_ms()));
    REQUIRE(repo->add_candidate({"c-1", "council-1", "Ada", "", "practitioner"}, clock.wall_ms()));
    REQUIRE(repo->add_candidate({"c-2", "council-1", "Grace", "", "practitioner"}, clock.wall_ms()));
    REQUIRE(repo->add_candidate({"c-3", "council-1", "Mary", "", "practice_supervisor"}, clock.wall_ms()));
    REQUIRE(repo->add_device({"dev-1", "c-1", "01", Bytes(32, 1), clock.wall_ms(), std::nullopt}));
    REQUIRE(repo->add_device({"dev-2", "c-2", "02", Bytes(32, 2), clock.wall_ms(), std::nullopt}));
  }

  srv::BuildOutcome build(const ContentFiles& files = ContentFiles::sample()) {
    const auto content_dir = dir / ("content-" + std::to_string(builds++));
    files.write(content_dir);
    auto content = srv::load_content_dir(content_dir);
    if (!content) FAIL(content.error().describe());
    auto built = srv::build_and_store_package(*repo, home.keys, *content, clock);
    if (!built) FAIL(built.error().describe());
    return *built;
  }

  // A device request (dev-1 unless told otherwise).
  HttpResponse call(std::string method, std::string target, std::string body = {}, const PeerIdentity* peer = nullptr) {
    HttpRequest req{std::move(method), std::move(target), {}, std::move(body)};
    if (!req.body.empty()) req.headers["Content-Type"] = "application/json";
    return handle(req, peer ? *peer : device);
  }

  int builds = 0;
};

std::string error_code(const HttpResponse& r) { return json::parse(r.body)["error"].value("code", ""); }
std::string error_message(const HttpResponse& r) { return json::parse(r.body)["error"].value("message", ""); }
std::string error_field(const HttpResponse& r) { return json::parse(r.body)["error"].value("field", ""); }

// Loads a content dir written from `files`; returns the error (the test expects one).
Error load_error(const ContentFiles& files) {
  testing::TempDir dir;
  files.write(dir.path());
  auto r = srv::load_content_dir(dir.path());
  if (r) FAIL("the broken content was accepted");
  return r.error();
}

}  // namespace

TEST_CASE("a valid content directory splits into the candidate's assessment and the server's marking scheme") {
  testing::TempDir dir;
  ContentFiles::sample().write(dir.path());
  auto r = srv::load_content_dir(dir.path());
  REQUIRE(r);
  const auto& a = r->assessment;
  CHECK(a.id == k_assessment);
  CHECK(a.sections.size() == 3);
  CHECK(a.total_minutes() == 240);
  CHECK(a.sections[1].case_material.size() == 1);
  CHECK(a.breaks.size() == 1);
  REQUIRE(r->scheme.keys.size() == 3);
  CHECK(r->scheme.keys[1].correct == std::vector<std::uint32_t>{0, 3});
  REQUIRE(r->scheme.rubrics.size() == 1);
  CHECK(r->scheme.rubrics[0].areas.size() == 2);
  // The package plaintext holds none of the marking scheme.
  const auto plain = assessment::to_json(a).dump();
  CHECK(plain.find("The third option is the best") == std::string::npos);
  CHECK(plain.find("Analyses the risk") == std::string::npos);
}

TEST_CASE("every broken content directory is refused with an error naming the file and the JSON path") {
  struct Case {
    const char* what;
    ContentFiles files;
    std::string file;
    std::string path;
  };
  const auto s = [] { return ContentFiles::sample(); };
  std::vector<Case> cases;
  cases.push_back({"wrong format", s().set("assessment.json", "/format", "vigil-assessment-source/2"), "assessment.json", "format"});
  cases.push_back({"unknown top-level field", s().set("assessment.json", "/titel", "x"), "assessment.json", "titel"});
  cases.push_back({"id with capitals", s().set("assessment.json", "/id", "Practitioner"), "assessment.json", "id"});
  cases.push_back({"id too short", s().set("assessment.json", "/id", "ab"), "assessment.json", "id"});
  cases.push_back({"version zero", s().set("assessment.json", "/version", 0), "assessment.json", "version"});
  cases.push_back({"version a string", s().set("assessment.json", "/version", "1"), "assessment.json", "version"});
  cases.push_back({"unknown level", s().set("assessment.json", "/level", "manager"), "assessment.json", "level"});
  cases.push_back({"unknown section kind", s().set("assessment.json", "/sections/1/kind", "essay"), "assessment.json", "sections[1].kind"});
  cases.push_back({"minutes over 240", s().set("assessment.json", "/sections/0/minutes", 241), "assessment.json", "sections[0].minutes"});
  cases.push_back({"duplicate section id", s().set("assessment.json", "/sections/2/id", "knowledge"), "assessment.json", "sections[2].id"});
  cases.push_back({"section file outside the folder", s().set("assessment.json", "/sections/0/file", "../x.json"), "assessment.json", "sections[0].file"});
  cases.push_back({"section field typo", s().set("assessment.json", "/sections/0/minute", 5), "assessment.json", "sections[0].minute"});
  cases.push_back({"break after the last section", s().set("assessment.json", "/breaks/0/after_section", "written"), "assessment.json", "breaks[0].after_section"});
  cases.push_back({"break after an unknown section", s().set("assessment.json", "/breaks/0/after_section", "nope"), "assessment.json", "breaks[0].after_section"});
  cases.push_back({"missing section file", s().set("assessment.json", "/sections/0/file", "missing.json"), "missing.json", ""});
  cases.push_back({"answer out of range", s().set("knowledge.json", "/items/0/answer", json::array({4})), "knowledge.json", "items[0].answer[0]"});
  cases.push_back({"two answers to a single item", s().set("knowledge.json", "/items/0/answer", json::array({0, 1})), "knowledge.json", "items[0].answer"});
  cases.push_back({"too few options for single", s().set("knowledge.json", "/items/0/options", json::array({"a", "b"})), "knowledge.json", "items[0].options"});
  cases.push_back({"too many options for single", s().set("knowledge.json", "/items/0/options", json::array({"a", "b", "c", "d", "e", "f", "g"})), "knowledge.json", "items[0].options"});
  cases.push_back({"multiple with select 1", s().set("knowledge.json", "/items/1/select", 1), "knowledge.json", "items[1].select"});
  cases.push_back({"multiple with the wrong number of answers", s().set("knowledge.json", "/items/1/answer", json::array({0})), "knowledge.json", "items[1].answer"});
  cases.push_back({"multiple with a repeated answer", s().set("knowledge.json", "/items/1/answer", json::array({0, 0})), "knowledge.json", "items[1].answer[1]"});
  cases.push_back({"KSS of the other level", s().set("knowledge.json", "/items/0/kss", json::array({"S1"})), "knowledge.json", "items[0].kss[0]"});
  cases.push_back({"KSS out of range", s().set("knowledge.json", "/items/0/kss", json::array({"P11"})), "knowledge.json", "items[0].kss[0]"});
  cases.push_back({"no KSS", s().set("knowledge.json", "/items/0/kss", json::array()), "knowledge.json", "items[0].kss"});
  cases.push_back({"item id with a space", s().set("knowledge.json", "/items/0/id", "k 001"), "knowledge.json", "items[0].id"});
  cases.push_back({"item field typo", s().set("knowledge.json", "/items/0/rational", "x"), "knowledge.json", "items[0].rational"});
  cases.push_back({"empty stem paragraph", s().set("knowledge.json", "/items/0/stem", json::array({""})), "knowledge.json", "items[0].stem[0]"});
  cases.push_back({"missing rationale", s().erase("knowledge.json", "/items/0/rationale"), "knowledge.json", "items[0].rationale"});
  cases.push_back({"written item in a knowledge section", s().set("knowledge.json", "/items/0/type", "written"), "knowledge.json", "items[0].type"});
  cases.push_back({"case material in a knowledge file", s().set("knowledge.json", "/case_material", json::array()), "knowledge.json", "case_material"});
  cases.push_back({"scenario without case material", s().erase("scenario-1.json", "/case_material"), "scenario-1.json", "case_material"});
  cases.push_back({"case document without paragraphs", s().set("scenario-1.json", "/case_material/0/paragraphs", json::array()), "scenario-1.json", "case_material[0].paragraphs"});
  cases.push_back({"item id repeated across files", s().set("scenario-1.json", "/items/0/id", "k-001"), "scenario-1.json", "items[0].id"});
  cases.push_back({"words min not below max", s().set("written.json", "/items/0/words/min", 800), "written.json", "items[0].words.min"});
  cases.push_back({"rubric missing a KSS area", s().erase("written.json", "/items/0/rubric/P7"), "written.json", "items[0].rubric.P7"});
  cases.push_back({"rubric with an extra area", s().set("written.json", "/items/0/rubric/P9", json::array({"x"})), "written.json", "items[0].rubric.P9"});
  cases.push_back({"rubric area with no descriptors", s().set("written.json", "/items/0/rubric/P6", json::array()), "written.json", "items[0].rubric.P6"});
  cases.push_back({"answer on a written item", s().set("written.json", "/items/0/answer", json::array({0})), "written.json", "items[0].answer"});
  cases.push_back({"single item in a written section", s().set("written.json", "/items/0/type", "single"), "written.json", "items[0].type"});
  cases.push_back({"no items", s().set("written.json", "/items", json::array()), "written.json", "items"});

  for (const auto& c : cases) {
    INFO(c.what);
    const auto e = load_error(c.files);
    CHECK(e.code == Errc::invalid_argument);
    CHECK(e.message.rfind(c.file + ": ", 0) == 0);
    CHECK(e.field == (c.path.empty() ? c.file : c.file + ": " + c.path));
    if (!c.path.empty()) CHECK(e.message.find("\"" + c.path + "\"") != std::string::npos);
  }
}

TEST_CASE("a file that is not JSON, or repeats a key, is refused naming the file") {
  testing::TempDir dir;
  ContentFiles::sample().write(dir.path());
  std::ofstream(dir / "knowledge.json") << R"({"items": [ {"id": "k-001",, ]})";
  auto r = srv::load_content_dir(dir.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().message.rfind("knowledge.json: ", 0) == 0);
  std::ofstream(dir / "knowledge.json", std::ios::trunc) << R"({"items": [], "items": []})";
  r = srv::load_content_dir(dir.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().message.rfind("knowledge.json: ", 0) == 0);
  CHECK(r.error().field == "knowledge.json: items");
}

TEST_CASE("building the same content twice stores it once; changed content under the same version is refused") {
  Server s;
  const auto first = s.build();
  CHECK_FALSE(first.unchanged);
  CHECK(first.items == 4);
  const auto again = s.build();
  CHECK(again.unchanged);
  CHECK(again.package == first.package);

  testing::TempDir d;
  ContentFiles::sample().set("knowledge.json", "/items/0/rationale", "A different reason.").write(d.path());
  auto content = srv::load_content_dir(d.path()).value();
  auto changed = srv::build_and_store_package(*s.repo, s.home.keys, content, s.clock);
  REQUIRE_FALSE(changed);
  CHECK(changed.error().code == Errc::conflict);
  CHECK(changed.error().message.find("raise \"version\"") != std::string::npos);

  // The marking scheme is on the server, the package verifies with the published key.
  auto scheme = s.repo->marking_scheme(k_assessment, 1).value();
  REQUIRE(scheme);
  CHECK(scheme->find("The third option is the best first step.") != std::string::npos);
  CHECK(pkg::verify_package(first.package, s.home.keys.package_public));
}

TEST_CASE("scheduling needs a built package of the candidate's level") {
  Server s;
  auto none = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::not_found);
  s.build();
  auto wrong_level = srv::schedule_sitting(*s.repo, "c-3", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock);
  REQUIRE_FALSE(wrong_level);
  CHECK(wrong_level.error().message.find("practice_supervisor") != std::string::npos);
  auto first = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();
  auto moved = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms() + k_hour, 4, s.clock).value();
  CHECK(moved.sitting_id == first.sitting_id);
  CHECK(moved.scheduled_start_ms == s.clock.wall_ms() + k_hour);
  CHECK(moved.window_end_ms == moved.scheduled_start_ms + 4 * k_hour);
}

TEST_CASE("ISO 8601 start times are read with offsets and anything else is refused") {
  CHECK(vigil::time::parse_iso8601("2026-11-22T09:30:00Z").value() == 1'795'339'800'000);
  CHECK(vigil::time::parse_iso8601("2026-11-22T09:30Z").value() == 1'795'339'800'000);
  CHECK(vigil::time::parse_iso8601("2026-11-22T10:30:00+01:00").value() == 1'795'339'800'000);
  CHECK(vigil::time::utc_iso8601(1'795'339'800'000) == "2026-11-22T09:30:00Z");
  for (const char* bad : {"2026-11-22 09:30", "2026-02-31T09:30Z", "22/11/2026", "2026-11-22T09:30:00", "2026-11-22T25:00Z"}) {
    INFO(bad);
    CHECK_FALSE(vigil::time::parse_iso8601(bad));
  }
}

TEST_CASE("a device lists only its candidate's sittings and downloads only packages scheduled for it") {
  Server s;
  const auto built = s.build();
  const auto sitting = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms() + k_hour, 8, s.clock).value();

  auto list = s.call("GET", "/v1/packages");
  REQUIRE(list.status == 200);
  auto j = json::parse(list.body);
  CHECK(j["package_public_key"] == to_base64(s.home.keys.package_public));
  REQUIRE(j["sittings"].size() == 1);
  CHECK(j["sittings"][0]["sitting_id"] == sitting.sitting_id);
  CHECK(j["sittings"][0]["package_sha256"] == to_hex(crypto::sha256(built.package)));

  auto other = s.call("GET", "/v1/packages", {}, &s.other_device);
  CHECK(json::parse(other.body)["sittings"].empty());

  auto file = s.call("GET", "/v1/packages/" + k_assessment + "/1");
  REQUIRE(file.status == 200);
  CHECK(file.header("Content-Type") == "application/octet-stream");
  CHECK(file.body == std::string(built.package.begin(), built.package.end()));

  CHECK(s.call("GET", "/v1/packages/" + k_assessment + "/1", {}, &s.other_device).status == 404);
  CHECK(s.call("GET", "/v1/packages/" + k_assessment + "/2").status == 404);
  CHECK(s.call("GET", "/v1/packages/" + k_assessment + "/x1").status == 400);
  // Without a device certificate: nothing.
  PeerIdentity anonymous;
  CHECK(s.call("GET", "/v1/packages", {}, &anonymous).status == 401);
}

TEST_CASE("the content key is released online only from the scheduled start to the end of the window, by the server's clock") {
  Server s;
  s.build();
  const auto start = s.clock.wall_ms() + k_hour;
  const auto sitting = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, start, 8, s.clock).value();
  const auto kx = crypto::x25519_generate().value();
  const std::string grant_body = json{{"v", 1}, {"kx_public", to_base64(kx.public_key)}}.dump();
  const std::string base = "/v1/sittings/" + sitting.sitting_id;

  // No start code yet: a grant for online release only.
  auto early_grant = s.call("POST", base + "/grant", grant_body);
  REQUIRE(early_grant.status == 200);
  const auto online_only = pkg::parse_grant(early_grant.body).value();
  CHECK(pkg::verify_grant(online_only, s.home.keys.package_public));
  CHECK(online_only.offline_key.empty());
  auto no_offline = pkg::unwrap_offline_key(online_only, kx, "ACDEFGHJKMNP");
  REQUIRE_FALSE(no_offline);
  CHECK(no_offline.error().code == Errc::not_found);
  CHECK(no_offline.error().message.find("download again") != std::string::npos);
  const auto code = srv::issue_start_code(*s.repo, s.home.keys, "c-1", k_assessment, s.clock, {1u << 10, 8, 1}).value();

  // Another candidate's sitting, whose device never asked for a grant: the key is refused.
  const auto other_sitting = srv::schedule_sitting(*s.repo, "c-2", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();
  CHECK(s.call("POST", "/v1/sittings/" + other_sitting.sitting_id + "/key", R"({"v":1})", &s.other_device).status == 409);

  auto grant_resp = s.call("POST", base + "/grant", grant_body);
  REQUIRE(grant_resp.status == 200);
  auto grant = pkg::parse_grant(grant_resp.body).value();
  REQUIRE(pkg::verify_grant(grant, s.home.keys.package_public));
  CHECK(grant.device_id == "dev-1");
  CHECK(grant.scheduled_start_ms == start);
  // The start code from the admin path opens the grant's offline key.
  CHECK(pkg::unwrap_offline_key(grant, kx, pkg::normalise_start_code(code).value()));

  auto before = s.call("POST", base + "/key", R"({"v":1})");
  CHECK(before.status == 403);
  CHECK(error_code(before) == "forbidden");
  CHECK(error_message(before).find("not yet") != std::string::npos);
  CHECK(error_message(before).find(vigil::time::utc_iso8601(start)) != std::string::npos);

  s.clock.advance_ms(k_hour);
  auto at_start = s.call("POST", base + "/key", R"({"v":1})");
  REQUIRE(at_start.status == 200);
  const auto sealed = from_base64(json::parse(at_start.body)["sealed_key"].get<std::string>()).value();
  auto key = crypto::open_sealed(kx, sealed, as_bytes(pkg::online_key_aad(sitting.sitting_id)));
  REQUIRE(key);
  CHECK(pkg::content_key_id(*key) == grant.key_id);

  // Another candidate's device cannot ask for this sitting.
  CHECK(s.call("POST", base + "/key", R"({"v":1})", &s.other_device).status == 404);
  CHECK(s.call("POST", base + "/grant", grant_body, &s.other_device).status == 404);

  s.clock.advance_ms(8 * k_hour);
  auto after = s.call("POST", base + "/key", R"({"v":1})");
  CHECK(after.status == 410);
  CHECK(error_code(after) == "expired");
}

TEST_CASE("a re-issued start code replaces the old one in grants issued afterwards") {
  Server s;
  s.build();
  srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();
  const auto sitting = s.repo->sitting_of("c-1", k_assessment).value().value();
  const crypto::ScryptParams fast{1u << 10, 8, 1};
  const auto old_code = srv::issue_start_code(*s.repo, s.home.keys, "c-1", k_assessment, s.clock, fast).value();
  const auto new_code = srv::issue_start_code(*s.repo, s.home.keys, "c-1", k_assessment, s.clock, fast).value();
  CHECK(old_code != new_code);
  const auto kx = crypto::x25519_generate().value();
  auto resp = s.call("POST", "/v1/sittings/" + sitting.sitting_id + "/grant",
                     json{{"v", 1}, {"kx_public", to_base64(kx.public_key)}}.dump());
  REQUIRE(resp.status == 200);
  const auto grant = pkg::parse_grant(resp.body).value();
  CHECK(pkg::unwrap_offline_key(grant, kx, pkg::normalise_start_code(new_code).value()));
  auto old = pkg::unwrap_offline_key(grant, kx, pkg::normalise_start_code(old_code).value());
  REQUIRE_FALSE(old);
  CHECK(old.error().code == Errc::auth_failed);
}

TEST_CASE("grants carry the candidate's accommodations, knowledge-only included") {
  Server s;
  s.build();
  REQUIRE(s.repo->set_accommodations("c-1", {25, 10, true}, s.clock.wall_ms()));
  const auto sitting = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();
  srv::issue_start_code(*s.repo, s.home.keys, "c-1", k_assessment, s.clock, {1u << 10, 8, 1}).value();
  const auto kx = crypto::x25519_generate().value();
  auto resp = s.call("POST", "/v1/sittings/" + sitting.sitting_id + "/grant",
                     json{{"v", 1}, {"kx_public", to_base64(kx.public_key)}}.dump());
  REQUIRE(resp.status == 200);
  const auto grant = pkg::parse_grant(resp.body).value();
  CHECK(grant.accommodations == assessment::Accommodations{25, 10, true});
}

TEST_CASE("a grant request with a malformed key or body is refused naming the field") {
  Server s;
  s.build();
  const auto sitting = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();
  const std::string target = "/v1/sittings/" + sitting.sitting_id + "/grant";
  auto short_key = s.call("POST", target, json{{"v", 1}, {"kx_public", to_base64(Bytes(16, 7))}}.dump());
  CHECK(short_key.status == 400);
  CHECK(error_field(short_key) == "kx_public");
  auto extra = s.call("POST", target, json{{"v", 1}, {"kx_public", to_base64(Bytes(32, 7))}, {"x", 1}}.dump());
  CHECK(extra.status == 400);
  CHECK(error_field(extra) == "x");
  CHECK(s.call("GET", target).status == 400);
}

TEST_CASE("the sample content at both levels validates and builds into packages whose marking schemes stay on the server") {
  Server s;
  for (const char* level : {"practitioner", "practice-supervisor"}) {
    INFO(level);
    const auto dir = std::filesystem::path(VIGIL_SOURCE_DIR) / "server" / "content" / level;
    auto content = srv::load_content_dir(dir);
    if (!content) FAIL(content.error().describe());
    const auto& a = content->assessment;
    std::size_t knowledge = 0, scenarios = 0, written = 0;
    for (const auto& sec : a.sections) {
      if (sec.kind == assessment::SectionKind::knowledge) knowledge += sec.items.size();
      if (sec.kind == assessment::SectionKind::scenario) ++scenarios;
      if (sec.kind == assessment::SectionKind::written) ++written;
    }
    CHECK(knowledge >= 30);
    CHECK(scenarios >= 2);
    CHECK(written >= 1);
    CHECK(a.total_minutes() == 240);
    auto built = srv::build_and_store_package(*s.repo, s.home.keys, *content, s.clock);
    REQUIRE(built);
    const auto verified = pkg::verify_package(built->package, s.home.keys.package_public).value();
    const auto pkg_row = s.repo->package(a.id, a.version).value().value();
    const auto key = srv::content_key_of(s.home.keys, pkg_row).value();
    const auto back = pkg::decrypt_package(verified, crypto::view(key)).value();
    CHECK(assessment::to_json(back) == assessment::to_json(a));
    // No rationale text of the marking scheme is inside the package plaintext.
    const auto plain = assessment::to_json(back).dump();
    for (const auto& k : content->scheme.keys) CHECK(plain.find(k.rationale) == std::string::npos);
  }
}

TEST_CASE("a server home made before packages existed gets one package key on first load and keeps it") {
  testing::TempDir dir;
  REQUIRE(srv::init_server_home(dir / "home", "127.0.0.1", 8443));
  std::filesystem::remove(dir / "home" / "keys" / "package.key");
  std::filesystem::remove(dir / "home" / "published" / "package-public.key");
  const auto first = srv::load_server_home(dir / "home").value();
  const auto second = srv::load_server_home(dir / "home").value();
  CHECK(first.keys.package_public.size() == 32);
  CHECK(second.keys.package_public == first.keys.package_public);
  std::ifstream published(dir / "home" / "published" / "package-public.key");
  std::string text;
  std::getline(published, text);
  CHECK(text == to_base64(first.keys.package_public));
  CHECK((std::filesystem::status(dir / "home" / "keys" / "package.key").permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  // No temporary files left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir / "home" / "keys")) {
    CHECK(e.path().filename().string().find("package.key.") == std::string::npos);
  }
}

// A power cut during or just after `init`: without write-back, what reaches the disk can be any
// prefix of the files (empty ones included) and no config.json, which `init` writes last. Every
// file is now written whole or not at all (write_file_atomically); the state the cut leaves
// behind is made here by hand (an empty certificate, a key missing, no config.json), and `init`
// must finish over it rather than refuse or keep the damaged files.
TEST_CASE("an init cut short by a power loss runs again over what it left; a finished home is refused") {
  testing::TempDir dir;
  const auto home = dir / "home";
  REQUIRE(srv::init_server_home(home, "127.0.0.1", 8443));
  std::filesystem::remove(home / "config.json");
  std::ofstream(home / "pki" / "server.pem", std::ios::trunc).close();
  std::filesystem::remove(home / "keys" / "receipt.key");
  CHECK_FALSE(srv::load_server_home(home));

  REQUIRE(srv::init_server_home(home, "127.0.0.1", 8443));
  const auto loaded = srv::load_server_home(home);
  REQUIRE(loaded);
  CHECK(std::filesystem::file_size(home / "pki" / "server.pem") > 0);
  // The published files are written the same way: no temporary files left behind anywhere.
  for (const auto& e : std::filesystem::recursive_directory_iterator(home)) {
    const auto name = e.path().filename().string();
    CHECK(name.find(".part") == std::string::npos);
    CHECK(name.find(".tmp") == std::string::npos);
  }

  const auto again = srv::init_server_home(home, "127.0.0.1", 8443);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::already_exists);
}

namespace {

// Sends one "package.unlocked" record for the sitting, stamped by the device's clock.
HttpResponse send_unlock_record(Server& s, const std::string& sitting_id, std::int64_t device_wall_ms) {
  const std::string chain = journal::chain_id_for("dev-1", sitting_id);
  journal::Appender app(chain, journal::Head::genesis(chain));
  const time::ManualClock device_clock{device_wall_ms};
  const std::string payload = R"({"method":"start_code","sitting_id":")" + sitting_id + R"("})";
  const auto r = app.next("package.unlocked", as_bytes(payload), device_clock);
  protocol::RecordBatch batch{sitting_id, {protocol::RecordDto{r, to_bytes(payload)}}, std::nullopt};
  return s.call("POST", "/v1/sessions/" + sitting_id + "/records", protocol::to_json(batch).dump());
}

}  // namespace

TEST_CASE("an unlock recorded outside the sitting's window is accepted and flagged for review") {
  Server s;
  s.build();
  const auto sitting = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms(), 8, s.clock).value();

  SECTION("by the device's own clock") {
    auto resp = send_unlock_record(s, sitting.sitting_id, sitting.scheduled_start_ms - 24 * k_hour);
    REQUIRE(resp.status == 200);
    const auto flags = s.repo->flags("dev-1", sitting.sitting_id).value();
    REQUIRE(flags.size() == 1);
    CHECK(flags[0].kind == "unlock_outside_window");
    CHECK(flags[0].detail.find("the device recorded the unlock") != std::string::npos);
  }
  SECTION("by the server's clock when the record arrives before the start") {
    const auto later = srv::schedule_sitting(*s.repo, "c-1", k_assessment, std::nullopt, s.clock.wall_ms() + 24 * k_hour, 8, s.clock).value();
    auto resp = send_unlock_record(s, later.sitting_id, later.scheduled_start_ms);  // the device clock was moved forward
    REQUIRE(resp.status == 200);
    const auto flags = s.repo->flags("dev-1", later.sitting_id).value();
    REQUIRE(flags.size() == 1);
    CHECK(flags[0].detail.find("reached the server") != std::string::npos);
  }
  SECTION("not when it is inside the window") {
    REQUIRE(send_unlock_record(s, sitting.sitting_id, sitting.scheduled_start_ms + 60'000).status == 200);
    CHECK(s.repo->flags("dev-1", sitting.sitting_id).value().empty());
  }
}
