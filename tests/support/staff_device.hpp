#pragma once
// A candidate's device for the in-process staff tests (tests/support/server_world.hpp): it posts
// journal records through the device API (srv::Api), so sessions, flags and submissions arrive
// the way they do in production, and stores sealed blobs as the device would upload them.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/results/resits.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/server_world.hpp"

namespace vigil::testing {

using namespace server_test;

// A device of a candidate, posting journal records through the device API.
struct Device {
  ServerWorld& w;
  std::string id;
  std::string serial;
  crypto::Ed25519KeyPair key = crypto::ed25519_generate().value();
  std::string session;
  std::string chain;
  time::ManualClock clock;
  journal::Appender app;

  Device(ServerWorld& world, const std::string& candidate, std::string device_id, std::string session_id)
      : w(world), id(std::move(device_id)), serial(id.substr(0, 6)), session(std::move(session_id)),
        chain(journal::chain_id_for(id, session)), clock(world.clock.wall_ms()), app(chain, journal::Head::genesis(chain)) {
    REQUIRE(w.repo->add_device(srv::DeviceRow{id, candidate, serial, key.public_key, w.clock.wall_ms(), std::nullopt}));
  }

  void send(const std::vector<std::pair<std::string, std::string>>& events) {
    protocol::RecordBatch b;
    b.session_id = session;
    for (const auto& [type, payload] : events) {
      clock.advance_ms(1000);
      const auto r = app.next(type, as_bytes(payload), clock);
      app.commit(r);
      b.records.push_back({r, to_bytes(payload)});
    }
    HttpRequest req;
    req.method = "POST";
    req.target = "/v1/sessions/" + session + "/records";
    req.headers["Content-Type"] = "application/json";
    req.body = protocol::to_json(b).dump();
    const auto res = w.api->handle(req, PeerIdentity{true, id, serial, "127.0.0.1"});
    REQUIRE(res.status == 200);
  }

  void flag(const std::string& flag_id, const std::string& check, const std::string& severity, double confidence,
            const std::vector<std::string>& evidence = {}) {
    send({{"flag.raised", json{{"flag_id", flag_id}, {"check", check}, {"severity", severity}, {"confidence", confidence},
                               {"start_wall_ms", clock.wall_ms()}, {"evidence", evidence}}.dump()}});
  }

  // The identity step as the client records it: the face and ID photos stored as sealed blobs
  // (bound to the session), and the payload of the identity.checked record naming them (consent
  // to a check by a person).
  std::string identity_checked(const std::string& ref) {
    const auto face = evidence("\xFF\xD8\xFF face of " + ref);
    const auto id_photo = evidence("\xFF\xD8\xFF ID card of " + ref);
    return json{{"consent", "human"}, {"face_photo", face}, {"id_photo", id_photo}}.dump();
  }

  // Stores a blob as the device would upload it (sealed to the server's evidence key, with the
  // session id as context, as the monitor and client/ui/ui_api.cpp seal them; session_bound
  // false: without one, as the identity photos were before issue 16's follow-up).
  std::string evidence(const std::string& plaintext, bool session_bound = true) {
    const auto sealed =
        crypto::seal(w.home.keys.evidence_public, as_bytes(plaintext), session_bound ? as_bytes(session) : ByteView{}).value();
    const auto sha = crypto::sha256(sealed);
    auto blob = w.repo->create_blob(id, sha, sealed.size()).value();
    REQUIRE(w.repo->write_blob(blob, 0, sealed));
    REQUIRE(w.repo->set_blob_progress(blob, sealed.size(), w.clock.wall_ms()));
    return to_hex(sha);
  }
};

// A new device of the candidate for their sitting of `window`, scheduled now (the session is the
// sitting; tests/unit/test_staff_identity.cpp, test_staff_workload.cpp).
inline std::unique_ptr<Device> sitting_device(ServerWorld& w, const std::string& candidate, const std::string& window,
                                              char device_char) {
  auto sitting = server::schedule_attempt(*w.repo, *w.results, *w.resits, candidate, window, std::nullopt, w.clock.wall_ms(),
                                          8, w.clock);
  REQUIRE(sitting);
  return std::make_unique<Device>(w, candidate, std::string(32, device_char), sitting->sitting.sitting_id);
}

// A proctor decides through the staff API that a session's identity photos match (issue 16: no
// result is released before its identity check is decided), for the tests whose subject is not
// identity. The check is given to that proctor directly, as an admin's assignment would.
inline void identity_matches(ServerWorld& w, const std::string& device_id, const std::string& session) {
  const std::string email = "identity@proctors.example.org";
  auto existing = w.staff->user_by_email(email).value();
  const auto id = existing ? existing->user_id : w.add_user(email, "proctor");
  const auto proctor = w.login(email);
  REQUIRE(w.staff->assign_identity(device_id, session, false, id));
  const auto r = w.call("POST", "/staff/api/identity/" + device_id + "/" + session + "/decision", R"({"decision":"matches"})",
                        &proctor);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

}  // namespace vigil::testing
