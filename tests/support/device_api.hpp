#pragma once
// What the device API tests (tests/unit/test_server_api_*.cpp) share: the API as a pure function
// (srv::Api::handle) behind the server of every server test with one council and one candidate, a
// device row inserted directly so a test can act as an enrolled device without the client library,
// that device's journal, request builders, and what the server holds of a session.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "server/device/api.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/http_request.hpp"
#include "tests/support/server_world.hpp"

namespace vigil::testing::device_api {

using namespace vigil::testing::server_test;
using testing::make_request;

inline const std::string k_candidate = "cand-0001";
inline const std::string k_session = "session-1";

// The server of every server test (tests/support/server_world.hpp) with one council and one
// candidate; requests go through the listener's dispatch (to the device API for /v1/...).
struct Server : testing::ServerWorld {
  explicit Server(srv::ApiConfig config = {}) : ServerWorld(server::app::ServerOptions{std::move(config), {}, nullptr}) {
    REQUIRE(repo->add_council("council-1", "Test Council", clock.wall_ms()));
    REQUIRE(repo->add_candidate({k_candidate, "council-1", "Ada Lovelace", "ada@example.org", "practitioner"},
                                clock.wall_ms()));
  }
};

// An enrolled device, inserted straight into the repository.
struct Device {
  std::string id;
  std::string serial;
  crypto::Ed25519KeyPair key;

  PeerIdentity peer() const { return PeerIdentity{true, id, serial, "127.0.0.1"}; }
};

inline Device add_device(Server& s, std::string id = "0123456789abcdef0123456789abcdef", std::string serial = "7f3a01") {
  Device d{std::move(id), std::move(serial), crypto::ed25519_generate().value()};
  REQUIRE(s.repo->add_device(srv::DeviceRow{d.id, k_candidate, d.serial, d.key.public_key, s.clock.wall_ms(), std::nullopt}));
  return d;
}

// The device's journal for one session, on its own manual clock, one second between records.
struct Journal {
  std::string device_id;
  std::string session_id;
  std::string chain;
  time::ManualClock clock;
  journal::Appender app;
  std::vector<protocol::RecordDto> records;  // records[i] has seq i + 1
  std::vector<journal::Head> heads;          // heads[i] is the head after records[i]

  Journal(std::string device, std::string session)
      : device_id(std::move(device)),
        session_id(std::move(session)),
        chain(journal::chain_id_for(device_id, session_id)),
        app(chain, journal::Head::genesis(chain)) {}

  const protocol::RecordDto& add(std::string_view type, std::string_view payload) {
    clock.advance_ms(1000);
    const auto r = app.next(type, as_bytes(payload), clock);
    app.commit(r);
    records.push_back({r, to_bytes(payload)});
    heads.push_back(app.head());
    return records.back();
  }
  void add_answers(int n) {
    for (int i = 0; i < n; ++i) {
      add("answer.saved", R"({"item_id":"q)" + std::to_string(records.size() + 1) + R"(","revision":1,"v":1,"value":"x"})");
    }
  }

  // Records from..to (1-based, inclusive), optionally with a checkpoint signed at `to`.
  protocol::RecordBatch batch(std::uint64_t from, std::uint64_t to, const crypto::Ed25519KeyPair* signer = nullptr) const {
    protocol::RecordBatch b;
    b.session_id = session_id;
    for (std::uint64_t seq = from; seq <= to; ++seq) b.records.push_back(records.at(seq - 1));
    if (signer) b.checkpoint = journal::make_checkpoint(chain, heads.at(to - 1), crypto::view(signer->seed)).value();
    return b;
  }
};

inline HttpRequest post_records(const std::string& session, std::string body, std::string content_type = "application/json") {
  return make_request("POST", "/v1/sessions/" + session + "/records", std::move(body), std::move(content_type));
}
inline HttpRequest post_batch(const protocol::RecordBatch& b) { return post_records(b.session_id, protocol::to_json(b).dump()); }

inline HttpRequest get(std::string target) { return make_request("GET", std::move(target)); }

inline std::uint64_t highest_of(const HttpResponse& r) {
  auto ack = protocol::parse_batch_ack(r.body);
  REQUIRE(ack);
  return ack->highest_contiguous_seq;
}

// What the server holds of one session: must not move when a request is refused.
struct Held {
  std::uint64_t records = 0;
  std::uint64_t head_seq = 0;
  std::string head_hash;
  bool operator==(const Held&) const = default;
  friend std::ostream& operator<<(std::ostream& o, const Held& h) {
    return o << "{records " << h.records << ", head " << h.head_seq << " " << h.head_hash.substr(0, 12) << "}";
  }
};

inline Held held(Server& s, const std::string& device, const std::string& session = k_session) {
  Held h;
  h.records = s.repo->count_records(device, session).value();
  if (auto row = s.repo->session(device, session).value()) {
    h.head_seq = row->head.seq;
    h.head_hash = to_hex(row->head.hash);
  }
  return h;
}

inline std::vector<std::string> flag_kinds(Server& s, const std::string& device, const std::string& session = k_session) {
  std::vector<std::string> out;
  // Held in a local: a range-for over `.value()` of a temporary Result would dangle (C++20).
  const auto flags = s.repo->flags(device, session).value();
  for (const auto& f : flags) out.push_back(f.kind + "@" + std::to_string(f.seq));
  return out;
}

inline bool has_flag(Server& s, const std::string& device, const std::string& kind_at) {
  const auto kinds = flag_kinds(s, device);
  return std::find(kinds.begin(), kinds.end(), kind_at) != kinds.end();
}

inline protocol::ErrorBody error_of(const HttpResponse& r) {
  auto e = protocol::parse_error_body(r.body);
  if (!e) FAIL("not an error body: " << r.body);
  return *e;
}

}  // namespace vigil::testing::device_api

// Checks status, Content-Type and the error body's code and field ("" = no field) where it is
// used, so a failure names the test's own line.
#define CHECK_ERROR(resp, want_status, want_code, want_field)          \
  do {                                                                 \
    const HttpResponse& r_ = (resp);                                   \
    INFO("response " << r_.status << ": " << r_.body);                 \
    CHECK(r_.status == (want_status));                                 \
    CHECK(r_.header("Content-Type") == "application/json");            \
    const auto e_ = error_of(r_);                                      \
    CHECK(e_.code == (want_code));                                     \
    CHECK(e_.field == (want_field));                                   \
    CHECK_FALSE(e_.message.empty());                                   \
  } while (0)

