// vigil_device_sim: a scripted candidate device for the staff tests and benchmark. It uses the
// real client store, enrolment and sync engine against a real vigil-server, and writes the
// journal records the integrity checks write (docs/EVENTS.md): flag.raised with an evidence
// snapshot sealed to the server's evidence key, flag.ended, thumbnail.taken, camera.status,
// ui.event; with --face-photo and --id-photo, the identity step's two photos and a thumbnail
// (sealed as client/ui/ui_api.cpp and the monitor seal them); then submits and syncs until the
// server's receipt arrives.
//
//   vigil_device_sim --data DIR --trust client-trust.json --code CODE --session ID
//                    [--flags N] [--evidence image.jpg] [--face-photo a.png --id-photo b.png] [--no-submit]
//                    [--flags-hours-ago H]
// --flags-hours-ago: the flags' times are H hours before now, as a device that sat offline and
// synced later reports them (the workload tests' overdue review).
//                    [--answers answers.json]
// --answers: a JSON object of item id -> answer value ({"choice":2}), each saved as an answer.saved
// record before the submission, so that the sitting scores as a real candidate's would.
// Prints one JSON line: {"device_id":"...","session_id":"...","flags":N}.
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/protocol/sync.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

int failed(const std::string& what, const Error& e) {
  std::cerr << "vigil_device_sim: " << what << ": " << e.message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Scripted candidate device for tests", "vigil_device_sim"};
  std::string data, trust_file, code, session, evidence_file, face_file, id_file;
  int flags = 2;
  int flags_hours_ago = 0;
  bool no_submit = false;
  app.add_option("--data", data)->required();
  app.add_option("--trust", trust_file)->required();
  app.add_option("--code", code)->required();
  app.add_option("--session", session)->required();
  app.add_option("--flags", flags);
  app.add_option("--evidence", evidence_file);
  app.add_option("--face-photo", face_file);
  app.add_option("--id-photo", id_file);
  app.add_flag("--no-submit", no_submit);
  app.add_option("--flags-hours-ago", flags_hours_ago)->check(CLI::Range(0, 24 * 366));
  std::string answers_file;
  app.add_option("--answers", answers_file);
  CLI11_PARSE(app, argc, argv);

  std::ifstream tin(trust_file, std::ios::binary);
  const std::string trust_text((std::istreambuf_iterator<char>(tin)), std::istreambuf_iterator<char>());
  auto trust = protocol::parse_client_trust(trust_text);
  if (!trust) return failed("reading the trust file", trust.error());
  const auto read_file = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string image = evidence_file.empty() ? "not an image: a stand-in evidence snapshot" : read_file(evidence_file);

  client::store::StoreOptions so;
  so.dir = data;
  so.key_storage = client::store::KeyStorePreference::file;
  auto store = client::store::Store::open(std::move(so));
  if (!store) return failed("opening the store", store.error());
  auto& s = **store;
  if (auto st = client::sync::enrol(s, *trust, code); !st) return failed("enrolling", st.error());
  auto enrolment = s.enrolment();
  if (!enrolment || !*enrolment) return failed("reading the enrolment", Error(Errc::internal, "no enrolment"));
  const Bytes evidence_key = (*enrolment)->evidence_public_key;

  auto check = [&](auto r, const char* what) {
    if (!r) {
      std::cerr << "vigil_device_sim: " << what << ": " << r.error().message << "\n";
      std::exit(1);
    }
    return std::move(*r);
  };
  if (auto st = s.begin_session(session, "practitioner-sample"); !st) return failed("beginning the session", st.error());
  check(s.record_event(session, "session.started", R"({"assessment_id":"practitioner-sample","version":"1","sitting_id":"sim","level":"practitioner","accommodations":{}})"), "session.started");
  check(s.record_event(session, "camera.status", R"({"status":"ok","detail":"sim camera"})"), "camera.status");
  if (!face_file.empty() && !id_file.empty()) {
    // The identity photos are sealed with the session id as context, as client/ui/ui_api.cpp seals them.
    json identity{{"consent", "human"}};
    for (const auto& [field, file] : {std::pair{"face_photo", face_file}, std::pair{"id_photo", id_file}}) {
      auto sealed = check(crypto::seal(evidence_key, as_bytes(read_file(file)), as_bytes(session)), "sealing a photo");
      identity[field] = to_hex(check(s.add_blob(session, sealed, client::store::OutboxPriority::submission), "storing a photo"));
    }
    check(s.record_event(session, "identity.checked", identity.dump()), "identity.checked");
    auto thumb = check(crypto::seal(evidence_key, as_bytes(image), as_bytes(session)), "sealing a thumbnail");
    const auto sha = check(s.add_blob(session, thumb, client::store::OutboxPriority::evidence), "storing a thumbnail");
    check(s.record_event(session, "thumbnail.taken", json{{"sha256", to_hex(sha)}, {"width", 2}, {"height", 2}}.dump()),
          "thumbnail.taken");
  }
  static const char* k_checks[] = {"multi_face", "look_away", "no_face", "covered"};
  static const char* k_severity[] = {"high", "medium", "low", "medium"};
  for (int i = 0; i < flags; ++i) {
    // Sealed with the session id as context, as the client's checks do.
    auto sealed = check(crypto::seal(evidence_key, as_bytes(image), as_bytes(session)), "sealing evidence");
    const auto sha = check(s.add_blob(session, sealed, client::store::OutboxPriority::evidence), "storing evidence");
    const auto now = static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch()).count()) -
                     static_cast<std::int64_t>(flags_hours_ago) * 3'600'000;
    const json raised{{"flag_id", "f" + std::to_string(i + 1)}, {"check", k_checks[i % 4]}, {"severity", k_severity[i % 4]},
                      {"confidence", 0.95 - 0.1 * (i % 5)}, {"start_mono_ms", 1000 * i}, {"start_wall_ms", now},
                      {"evidence", json::array({to_hex(sha)})}};
    check(s.record_event(session, "flag.raised", raised.dump()), "flag.raised");
    check(s.record_event(session, "ui.event", R"({"event":"focus_lost"})"), "ui.event");
    check(s.record_event(session, "ui.event", R"({"event":"focus_returned"})"), "ui.event");
    const json ended{{"flag_id", "f" + std::to_string(i + 1)}, {"end_mono_ms", 1000 * i + 500}, {"end_wall_ms", now + 4000},
                     {"peak_confidence", 0.97}};
    check(s.record_event(session, "flag.ended", ended.dump()), "flag.ended");
  }
  if (!answers_file.empty()) {
    const auto answers = json::parse(read_file(answers_file), nullptr, false);
    if (!answers.is_object()) return failed("reading the answers", Error(Errc::invalid_argument, "not a JSON object"));
    for (const auto& e : answers.items()) check(s.save_answer(session, e.key(), e.value().dump()), "saving an answer");
  }
  if (!no_submit) check(s.submit_session(session), "submitting");

  auto transport = client::sync::transport_for(s);
  if (!transport) return failed("connecting", transport.error());
  client::sync::SyncEngine engine(s, **transport);
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto r = engine.run_once();
    if (r && *r) break;
    if (!r && r.error().code == Errc::forbidden) return failed("syncing", r.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::cout << json{{"device_id", s.device_id()}, {"session_id", session}, {"flags", flags}}.dump() << std::endl;
  return 0;
}
