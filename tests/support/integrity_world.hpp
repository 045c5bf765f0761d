#pragma once
// The real vigil-server and real clients for the integrity tests over TLS (issue 13 and issue 16):
// enrolled devices with real stores, the real sync engine, a window built from the sample
// content, staff signed in over TLS, and the server's database read directly to check what was
// stored. Shared by tests/integration/test_result_integrity.cpp and test_appeals_e2e.cpp.
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "client/sync/https_transport.hpp"
#include "client/sync/results.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/staff_tls.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace vigil::testing::integrity {

using Catch::Matchers::ContainsSubstring;
using namespace vigil::client;
using nlohmann::json;
using vigil::testing::RunResult;
using vigil::testing::TempDir;
using vigil::testing::TestServer;
using vigil::testing::Staff;
using vigil::testing::create_staff;
using vigil::testing::staff_call;
using vigil::testing::staff_transport;

// The sample assessment (tests/support/content_dir.hpp): knowledge k-001 (key 2) and k-002 (key
// {0,3}), scenario s1-001 (key 0), written w-001 (P6, P7).
inline constexpr const char* k_right = R"({"choice":2})";
inline constexpr const char* k_wrong = R"({"choice":1})";

struct Device {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<sync::HttpsTransport> transport;
};

// A candidate's device: a fresh store enrolled with a fresh code over TLS.
inline std::unique_ptr<Device> enrol_device(TestServer& server, const std::string& candidate) {
  auto d = std::make_unique<Device>();
  store::StoreOptions so;
  so.dir = d->dir.path();
  so.key_storage = store::KeyStorePreference::file;
  auto s = store::Store::open(std::move(so));
  REQUIRE(s);
  d->store = std::move(*s);
  REQUIRE(sync::enrol(*d->store, server.trust(), server.enrolment_code(candidate)));
  d->transport = sync::transport_for(*d->store).value();
  return d;
}

// The real sync engine until it has nothing left (true) or the server refused (the error).
inline Result<bool> sync_all(Device& d) {
  sync::SyncEngine engine(*d.store, *d.transport);
  for (int i = 0; i < 20; ++i) {
    VIGIL_ASSIGN(bool done, engine.run_once());
    if (done) return true;
  }
  return false;
}

// What a modified client sends: the device's pending records of a session, as one batch.
inline protocol::HttpResponse post_pending(Device& d, const std::string& session) {
  auto entries = d.store->pending_records(session, 1000).value();
  protocol::RecordBatch batch;
  batch.session_id = session;
  for (const auto& e : entries) batch.records.push_back(protocol::RecordDto{e.record, *e.payload});
  protocol::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/sessions/" + session + "/records";
  req.headers["Content-Type"] = "application/json";
  req.body = protocol::to_json(batch).dump();
  auto r = d.transport->roundtrip(req);
  REQUIRE(r);
  return *r;
}

inline protocol::HttpResponse device_call(Device& d, const std::string& method, const std::string& target,
                                   const std::string& body = {}) {
  protocol::HttpRequest req;
  req.method = method;
  req.target = target;
  if (!body.empty()) req.headers["Content-Type"] = "application/json";
  req.body = body;
  auto r = d.transport->roundtrip(req);
  REQUIRE(r);
  return *r;
}

inline protocol::ErrorBody error_of(const protocol::HttpResponse& r) {
  auto e = protocol::parse_error_body(r.body);
  INFO(r.body);
  REQUIRE(e);
  return *e;
}

inline std::string answer_payload(const std::string& item, std::uint64_t revision, const std::string& value) {
  return protocol::encode_answer_saved({item, revision, value});
}

inline std::string flag_payload(const std::string& id) {
  return json{{"flag_id", id}, {"check", "multiple_faces"}, {"severity", "high"}, {"confidence", 0.9}}.dump();
}

// The server's database, read directly.
inline std::int64_t db_int(TestServer& server, const std::string& sql) {
  auto db = sqlite::Db::open((server.dir() / "vigil.db").string(), SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  auto v = db->query_int(sql);
  INFO(sql);
  REQUIRE(v);
  return *v;
}
inline void db_exec(TestServer& server, const std::string& sql) {
  auto db = sqlite::Db::open((server.dir() / "vigil.db").string(), SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  REQUIRE(db->exec(sql));
}

inline RunResult server_cmd(TestServer& server, std::vector<std::string> args) {
  args.insert(args.begin() + 2, server.dir().string());
  args.insert(args.begin(), VIGIL_SERVER_EXE);
  return testing::run(args);
}

// An assessment window with its package built into the server (the content folder is only needed
// while building).
inline void build_window(TestServer& server, const std::string& assessment) {
  const TempDir work;
  testing::ContentFiles::sample(assessment, 1).write(work.path() / assessment);
  auto built = testing::run({VIGIL_SERVER_EXE, "package", "build", (work.path() / assessment).string(), "--home",
                             server.dir().string()});
  REQUIRE(built.exit_code == 0);
}

inline std::string schedule(TestServer& server, const std::string& candidate, const std::string& assessment) {
  (void)server.enrolment_code(candidate);  // adds the candidate if new
  auto r = server.admin({"schedule", "--candidate", candidate, "--assessment", assessment, "--start",
                         "2026-01-05T09:00:00Z", "--window-hours", "8"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto at = r.output.find("sitting ") + 8;
  return r.output.substr(at, r.output.find(':', at) - at);
}

// A candidate's scheduled sitting and their newly enrolled device, with the session begun on it.
struct Begun {
  std::string sitting;
  std::unique_ptr<Device> device;
};
inline Begun begin_sitting(TestServer& server, const std::string& candidate, const std::string& assessment) {
  Begun b{schedule(server, candidate, assessment), enrol_device(server, candidate)};
  REQUIRE(b.device->store->begin_session(b.sitting, assessment));
  return b;
}

// Knowledge raw marks from `results score` (the line "knowledge  <status>  <raw>  <max> ...").
inline int knowledge_raw(const RunResult& scored) {
  INFO(scored.output);
  REQUIRE(scored.exit_code == 0);
  std::istringstream in(scored.output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("knowledge ", 0) != 0) continue;
    std::istringstream f(line);
    std::string stage, status;
    int raw = -1;
    f >> stage >> status >> raw;
    return raw;
  }
  FAIL("no knowledge line");
  return -1;
}

// The identity step as client/ui/ui_api.cpp records it: each photo sealed to the server's evidence
// key with the sitting's session id as context and stored as a blob, and the identity.checked
// record naming both ("<kind> of <sitting>").
inline void take_identity_photos(Device& d, const std::string& sitting) {
  const auto enrolment = d.store->enrolment().value().value();
  json photos{{"consent", "human"}};
  for (const std::string kind : {"face", "id"}) {
    const std::string jpeg = "\xFF\xD8\xFF " + kind + " of " + sitting;
    auto sealed = crypto::seal(enrolment.evidence_public_key, as_bytes(jpeg), as_bytes(sitting)).value();
    photos[kind + "_photo"] = to_hex(d.store->add_blob(sitting, sealed, store::OutboxPriority::submission).value());
  }
  REQUIRE(d.store->record_event(sitting, "identity.checked", photos.dump(), store::OutboxPriority::submission));
}

// A whole honest sitting: every objective item answered right, the written answer, submitted, synced.
inline void sit_and_submit(Device& d, const std::string& sitting, const std::string& assessment, bool with_flag = false,
                    bool with_photos = false) {
  REQUIRE(d.store->begin_session(sitting, assessment));
  if (with_photos) take_identity_photos(d, sitting);
  REQUIRE(d.store->save_answer(sitting, "k-001", k_right));
  REQUIRE(d.store->save_answer(sitting, "k-002", R"({"choices":[3,0]})"));
  REQUIRE(d.store->save_answer(sitting, "s1-001", R"({"choice":0})"));
  REQUIRE(d.store->save_answer(sitting, "w-001", R"({"text":"A case summary."})"));
  if (with_flag) REQUIRE(d.store->record_event(sitting, "flag.raised", flag_payload("f-1"), store::OutboxPriority::events));
  REQUIRE(d.store->submit_session(sitting));
  auto synced = sync_all(d);
  INFO((synced ? "" : synced.error().describe()));
  REQUIRE(synced);
  REQUIRE(*synced);
}

// One sitting per candidate, scored "met": scheduled in `assessment`, sat on a newly enrolled device
// (sit_and_submit, with a flag when `flagged(candidate)`), its written answer marked, then scored.
struct ScoredSitting {
  std::string candidate, id;
  std::unique_ptr<Device> device;
};
inline std::vector<ScoredSitting> scored_sittings(TestServer& server, const std::string& assessment,
                                                  std::initializer_list<const char*> candidates,
                                                  const std::function<bool(const std::string&)>& flagged, bool with_photos) {
  std::vector<ScoredSitting> out;
  for (const std::string c : candidates) {
    ScoredSitting x{c, schedule(server, c, assessment), enrol_device(server, c)};
    sit_and_submit(*x.device, x.id, assessment, flagged(c), with_photos);
    REQUIRE(server_cmd(server, {"results", "mark-written", "--sitting", x.id, "--mark", "P6=6/10", "--mark", "P7=7/10"})
                .exit_code == 0);
    REQUIRE_THAT(server_cmd(server, {"results", "score", "--sitting", x.id}).output, ContainsSubstring("outcome met"));
    out.push_back(std::move(x));
  }
  return out;
}

// ---- staff over TLS: tests/support/staff_tls.hpp ----

inline std::string session_path(Device& d, const std::string& session) {
  return "/staff/api/sessions/" + d.store->device_id() + "/" + session;
}

// Decides every flag of a session (a concern) as `who`.
inline void decide_flags(sync::HttpsTransport& http, const Staff& who, const std::string& path) {
  auto view = staff_call(http, who, "GET", path);
  INFO(view.body);
  REQUIRE(view.status == 200);
  const auto parsed = json::parse(view.body);
  for (const auto& f : parsed.at("flags")) {
    if (f.contains("decision")) continue;
    auto r = staff_call(http, who, "POST", path + "/flags/" + std::to_string(f.at("flag_row").get<std::int64_t>()),
                        json{{"decision", "concern"}, {"note", "A second face at the desk."}});
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
}

// An adverse decision carries its public reason (issue 16 part 3).
inline protocol::HttpResponse decide(sync::HttpsTransport& http, const Staff& who, const std::string& path,
                              const std::string& decision) {
  json body{{"decision", decision}, {"note", "Reasons given."}};
  if (decision != "no_concerns") body["public_reason"] = "Another person helped during the assessment.";
  auto r = staff_call(http, who, "POST", path + "/decision", body);
  UNSCOPED_INFO(decision << ": " << r.status << " " << r.body);
  return r;
}

}  // namespace vigil::testing::integrity
