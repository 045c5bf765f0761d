// The server API as a pure function (srv::Api::handle), fed bad and hostile input: every refusal
// has the documented HTTP status and error code (and field), and leaves nothing half-written.
// No sockets: a real SqliteRepository in a temp dir, real keys from init_server_home, and a device
// row inserted directly so a test can act as an enrolled device without the client library.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <ostream>
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
#include "tests/support/server_world.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

const std::string k_candidate = "cand-0001";
const std::string k_session = "session-1";

// The server of every server test (tests/support/server_world.hpp) with one council and one
// candidate; requests go through the listener's dispatch (to the device API for /v1/...).
struct Server : testing::ServerWorld {
  explicit Server(srv::ApiConfig config = {}) : ServerWorld(server::app::ServerOptions{std::move(config), {}}) {
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

Device add_device(Server& s, std::string id = "0123456789abcdef0123456789abcdef", std::string serial = "7f3a01") {
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

HttpRequest post_records(const std::string& session, std::string body, std::string content_type = "application/json") {
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/sessions/" + session + "/records";
  if (!content_type.empty()) r.headers["Content-Type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}
HttpRequest post_batch(const protocol::RecordBatch& b) { return post_records(b.session_id, protocol::to_json(b).dump()); }

HttpRequest get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

HttpRequest request(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

std::uint64_t highest_of(const HttpResponse& r) {
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

Held held(Server& s, const std::string& device, const std::string& session = k_session) {
  Held h;
  h.records = s.repo->count_records(device, session).value();
  if (auto row = s.repo->session(device, session).value()) {
    h.head_seq = row->head.seq;
    h.head_hash = to_hex(row->head.hash);
  }
  return h;
}

std::vector<std::string> flag_kinds(Server& s, const std::string& device, const std::string& session = k_session) {
  std::vector<std::string> out;
  // Held in a local: a range-for over `.value()` of a temporary Result would dangle (C++20).
  const auto flags = s.repo->flags(device, session).value();
  for (const auto& f : flags) out.push_back(f.kind + "@" + std::to_string(f.seq));
  return out;
}

bool has_flag(Server& s, const std::string& device, const std::string& kind_at) {
  const auto kinds = flag_kinds(s, device);
  return std::find(kinds.begin(), kinds.end(), kind_at) != kinds.end();
}

protocol::ErrorBody error_of(const HttpResponse& r) {
  auto e = protocol::parse_error_body(r.body);
  if (!e) FAIL("not an error body: " << r.body);
  return *e;
}

}  // namespace

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

// ---- records: malformed requests ----------------------------------------------------------------

TEST_CASE("records: malformed JSON, wrong types, unknown fields and versions are 400 with the field named") {
  Server s;
  const Device d = add_device(s);
  Journal j(d.id, k_session);
  j.add_answers(3);
  const json good = protocol::to_json(j.batch(1, 3));
  const Held before = held(s, d.id);

  SECTION("malformed JSON") {
    CHECK_ERROR(s.handle(post_records(k_session, "{\"v\":1,\"session_id\":"), d.peer()), 400, "invalid_argument", "");
    CHECK_ERROR(s.handle(post_records(k_session, ""), d.peer()), 400, "invalid_argument", "");
    CHECK_ERROR(s.handle(post_records(k_session, "[1,2,3]"), d.peer()), 400, "invalid_argument", "");
    CHECK_ERROR(s.handle(post_records(k_session, std::string(100'000, '[')), d.peer()), 400, "invalid_argument", "");
    CHECK_ERROR(s.handle(post_records(k_session, "{\"v\":1,\"v\":1}"), d.peer()), 400, "invalid_argument", "v");
    // Invalid UTF-8 inside a string.
    CHECK_ERROR(s.handle(post_records(k_session, "{\"v\":1,\"session_id\":\"\xff\xfe\"}"), d.peer()), 400,
                "invalid_argument", "");
  }
  SECTION("a string where a sequence number belongs") {
    json body = good;
    body["records"][1]["seq"] = "2";
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[1].seq");
  }
  SECTION("a negative or fractional sequence number") {
    json body = good;
    body["records"][0]["seq"] = -1;
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[0].seq");
    body["records"][0]["seq"] = 1.5;
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[0].seq");
  }
  SECTION("records out of order") {
    json body = good;
    std::swap(body["records"][0], body["records"][1]);
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[1].seq");
  }
  SECTION("sequence number 0") {
    json body = good;
    body["records"] = json::array({body["records"][0]});
    body["records"][0]["seq"] = 0;
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records");
  }
  SECTION("an unknown field, at the top and inside a record") {
    json body = good;
    body["extra"] = 1;
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "extra");
    body = good;
    body["records"][2]["note"] = "hi";
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[2].note");
  }
  SECTION("missing \"v\"") {
    json body = good;
    body.erase("v");
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "v");
  }
  SECTION("a version this server does not speak") {
    json body = good;
    body["v"] = 2;
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "unsupported_version", "v");
  }
  SECTION("a bad record type, hash or payload encoding") {
    json body = good;
    body["records"][0]["type"] = "Answer Saved";
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[0].type");
    body = good;
    body["records"][0]["prev_hash"] = std::string(64, 'A');
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[0].prev_hash");
    body = good;
    body["records"][0]["payload"] = "not base64!";
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records[0].payload");
  }
  SECTION("wrong or missing Content-Type") {
    CHECK_ERROR(s.handle(post_records(k_session, good.dump(), "text/plain"), d.peer()), 400, "invalid_argument",
                "Content-Type");
    CHECK_ERROR(s.handle(post_records(k_session, good.dump(), ""), d.peer()), 400, "invalid_argument", "Content-Type");
    // A charset parameter is fine.
    const auto ok = s.handle(post_records(k_session, good.dump(), "application/json; charset=utf-8"), d.peer());
    CHECK(ok.status == 200);
    return;  // accepted: the "nothing stored" check below does not apply
  }
  SECTION("session_id different from the path") {
    json body = good;
    body["session_id"] = "session-2";
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "session_id");
    CHECK(held(s, d.id, "session-2") == Held{});
  }
  SECTION("an invalid session id in the path") {
    for (const std::string& bad : std::vector<std::string>{"bad$id", "bad%20id", "a\"b", std::string(129, 'x'),
                                                       std::string("nul\0x", 5)}) {
      INFO("session id " << bad);
      CHECK_ERROR(s.handle(post_records(bad, good.dump()), d.peer()), 400, "invalid_argument", "session");
    }
  }
  SECTION("an empty records array") {
    json body = good;
    body["records"] = json::array();
    CHECK_ERROR(s.handle(post_records(k_session, body.dump()), d.peer()), 400, "invalid_argument", "records");
  }
  SECTION("1001 records") {
    Journal big(d.id, k_session);
    big.add_answers(1001);
    CHECK_ERROR(s.handle(post_batch(big.batch(1, 1001)), d.peer()), 400, "invalid_argument", "records");
    // 1000 is the limit, and is accepted.
    const auto ok = s.handle(post_batch(big.batch(1, 1000)), d.peer());
    CHECK(ok.status == 200);
    CHECK(highest_of(ok) == 1000);
    return;
  }
  CHECK(held(s, d.id) == before);
  CHECK(flag_kinds(s, d.id).empty());
}

// ---- records: who may send ---------------------------------------------------------------------

TEST_CASE("records: only the enrolled, unrevoked device with its own certificate may send") {
  Server s;
  const Device d = add_device(s);
  Journal j(d.id, k_session);
  j.add_answers(2);
  const auto req = post_batch(j.batch(1, 2));

  SECTION("no client certificate: 401") {
    CHECK_ERROR(s.handle(req, PeerIdentity{false, "", "", "127.0.0.1"}), 401, "auth_failed", "");
    // The same for every device endpoint, and before any input is read.
    CHECK_ERROR(s.handle(get("/v1/sessions/" + k_session)), 401, "auth_failed", "");
    CHECK_ERROR(s.handle(get("/v1/blobs/" + std::string(64, 'a'))), 401, "auth_failed", "");
    CHECK_ERROR(s.handle(post_records("bad$id", "garbage")), 401, "auth_failed", "");
  }
  SECTION("a certificate the server does not know: 403") {
    CHECK_ERROR(s.handle(req, PeerIdentity{true, "fedcba9876543210fedcba9876543210", d.serial, "127.0.0.1"}), 403,
                "forbidden", "");
    CHECK_ERROR(s.handle(req, PeerIdentity{true, "", "", "127.0.0.1"}), 403, "forbidden", "");
  }
  SECTION("the device's id with another certificate serial: 403") {
    CHECK_ERROR(s.handle(req, PeerIdentity{true, d.id, "7f3a02", "127.0.0.1"}), 403, "forbidden", "");
    CHECK_ERROR(s.handle(req, PeerIdentity{true, d.id, "7F3A01", "127.0.0.1"}), 403, "forbidden", "");
  }
  SECTION("a revoked device: 403") {
    REQUIRE(s.repo->revoke_device(d.id, "reported lost", s.clock.wall_ms()));
    CHECK_ERROR(s.handle(req, d.peer()), 403, "forbidden", "");
    CHECK_ERROR(s.handle(get("/v1/sessions/" + k_session), d.peer()), 403, "forbidden", "");
  }
  CHECK(held(s, d.id) == Held{});
}

// ---- records: the journal ----------------------------------------------------------------------

TEST_CASE("records: a valid batch is stored, a resend is idempotent, a different resend is a flagged conflict") {
  Server s;
  const Device d = add_device(s);
  Journal j(d.id, k_session);
  j.add_answers(6);

  const auto first = s.handle(post_batch(j.batch(1, 3)), d.peer());
  REQUIRE(first.status == 200);
  CHECK(first.header("Content-Type") == "application/json");
  CHECK(highest_of(first) == 3);
  const Held after_first = held(s, d.id);
  CHECK(after_first.records == 3);
  CHECK(after_first.head_seq == 3);
  CHECK(after_first.head_hash == to_hex(j.heads[2].hash));

  SECTION("the same batch again: 200, nothing new") {
    const auto again = s.handle(post_batch(j.batch(1, 3)), d.peer());
    CHECK(again.status == 200);
    CHECK(highest_of(again) == 3);
    CHECK(held(s, d.id) == after_first);
    CHECK(flag_kinds(s, d.id).empty());
    // A resend overlapping the next records stores only the new ones.
    const auto overlap = s.handle(post_batch(j.batch(2, 5)), d.peer());
    CHECK(overlap.status == 200);
    CHECK(highest_of(overlap) == 5);
    CHECK(held(s, d.id).records == 5);
  }
  SECTION("the same seq with different content: 409, flagged, the first kept") {
    auto b = j.batch(1, 3);
    b.records[1].payload = to_bytes(R"({"item_id":"q2","revision":1,"v":1,"value":"changed"})");
    b.records[1].record.payload_hash = journal::payload_hash(b.records[1].payload);
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 409, "conflict", "");
    CHECK(held(s, d.id) == after_first);
    CHECK(flag_kinds(s, d.id) == std::vector<std::string>{"conflict@2"});
    // A device that keeps resending it raises one flag, not one per try.
    for (int i = 0; i < 3; ++i) CHECK_ERROR(s.handle(post_batch(b), d.peer()), 409, "conflict", "");
    CHECK(flag_kinds(s, d.id) == std::vector<std::string>{"conflict@2"});
  }
  SECTION("the same record with a different payload (payload_hash unchanged): 409, flagged") {
    auto b = j.batch(3, 4);
    b.records[0].payload = to_bytes("tampered");
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 409, "conflict", "");
    CHECK(held(s, d.id) == after_first);  // record 4 did not slip in either
    CHECK(has_flag(s, d.id, "conflict@3"));
  }
  SECTION("a batch that does not extend the stored head: 422, flagged, nothing stored") {
    auto b = j.batch(4, 5);
    b.records[0].record.prev_hash[0] ^= 0x01;
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 422, "integrity", "");
    CHECK(held(s, d.id) == after_first);
    CHECK_FALSE(flag_kinds(s, d.id).empty());
    CHECK(has_flag(s, d.id, "modified@3"));
  }
  SECTION("a record whose payload does not match its payload_hash: 422, nothing stored") {
    auto b = j.batch(4, 5);
    b.records[1].payload = to_bytes("not what was hashed");
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 422, "integrity", "");
    CHECK(held(s, d.id) == after_first);
    CHECK(has_flag(s, d.id, "modified@5"));
  }
  SECTION("records of another session's chain: 422, nothing stored") {
    Journal other(d.id, "session-2");
    other.add_answers(5);
    auto b = other.batch(4, 5);
    b.session_id = k_session;
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 422, "integrity", "");
    CHECK(held(s, d.id) == after_first);
  }
  SECTION("a batch beyond a gap: 200 with the old highest, nothing stored") {
    const auto gap = s.handle(post_batch(j.batch(5, 6)), d.peer());
    CHECK(gap.status == 200);
    CHECK(highest_of(gap) == 3);
    CHECK(held(s, d.id) == after_first);
    // A batch that starts contiguous and then jumps stores only the contiguous part.
    auto b = j.batch(4, 6);
    b.records.erase(b.records.begin() + 1);  // 4, 6
    const auto partial = s.handle(post_batch(b), d.peer());
    CHECK(partial.status == 200);
    CHECK(highest_of(partial) == 4);
    CHECK(held(s, d.id).records == 4);
    CHECK(s.repo->record(d.id, k_session, 6).value() == std::nullopt);
  }
  SECTION("a checkpoint with a bad signature: 422, flagged, nothing stored") {
    auto b = j.batch(4, 5, &d.key);
    b.checkpoint->signature[10] ^= 0x40;
    CHECK_ERROR(s.handle(post_batch(b), d.peer()), 422, "integrity", "");
    CHECK(held(s, d.id) == after_first);
    CHECK(has_flag(s, d.id, "bad_checkpoint@5"));
  }
  SECTION("a checkpoint signed by another key: 422") {
    const auto other_key = crypto::ed25519_generate().value();
    CHECK_ERROR(s.handle(post_batch(j.batch(4, 5, &other_key)), d.peer()), 422, "integrity", "");
    CHECK(held(s, d.id) == after_first);
  }
  SECTION("a valid checkpoint is accepted with its records") {
    const auto ok = s.handle(post_batch(j.batch(4, 5, &d.key)), d.peer());
    CHECK(ok.status == 200);
    CHECK(highest_of(ok) == 5);
    CHECK(flag_kinds(s, d.id).empty());
  }
}

TEST_CASE("records: a wall clock jump inside a valid batch is accepted and flagged") {
  Server s;
  const Device d = add_device(s);
  Journal j(d.id, k_session);
  j.add_answers(2);
  j.clock.set_wall_ms(j.clock.wall_ms() + 3'600'000);  // the candidate moved the clock an hour on
  j.add_answers(2);
  const auto r = s.handle(post_batch(j.batch(1, 4)), d.peer());
  CHECK(r.status == 200);
  CHECK(highest_of(r) == 4);
  CHECK(held(s, d.id).records == 4);
  CHECK(flag_kinds(s, d.id) == std::vector<std::string>{"clock_jump@3"});
}

TEST_CASE("records: the session state reports what is held; a signed submission gets its receipt") {
  Server s;
  const Device d = add_device(s);

  auto state = protocol::parse_session_state(s.handle(get("/v1/sessions/" + k_session), d.peer()).body);
  REQUIRE(state);
  CHECK(state->highest_contiguous_seq == 0);
  CHECK_FALSE(state->submitted);

  SECTION("without the device's checkpoint at the submitted record there is no receipt") {
    Journal j(d.id, k_session);
    j.add_answers(2);
    j.add("session.submitted", protocol::encode_submission_manifest({}));
    REQUIRE(s.handle(post_batch(j.batch(1, 3)), d.peer()).status == 200);
    state = protocol::parse_session_state(s.handle(get("/v1/sessions/" + k_session), d.peer()).body);
    REQUIRE(state);
    CHECK(state->highest_contiguous_seq == 3);
    CHECK(state->submitted);
    CHECK_FALSE(state->complete);
    CHECK_FALSE(state->receipt);

    // Regression: a checkpoint for records the server already held was ignored, so a submission
    // whose checkpoint missed its first batch could never get a receipt. Resent with it, it does.
    REQUIRE(s.handle(post_batch(j.batch(3, 3, &d.key)), d.peer()).status == 200);
    state = protocol::parse_session_state(s.handle(get("/v1/sessions/" + k_session), d.peer()).body);
    REQUIRE(state);
    REQUIRE(state->receipt);
    CHECK(protocol::verify_receipt(*state->receipt, s.home.keys.receipt_public));
  }
  SECTION("a checkpoint that does not match the records the server holds is refused and flagged") {
    Journal j(d.id, k_session);
    j.add_answers(3);
    REQUIRE(s.handle(post_batch(j.batch(1, 3)), d.peer()).status == 200);
    Journal other(d.id, k_session);  // the same device signing a different history
    for (int i = 0; i < 3; ++i) other.add("answer.saved", R"({"v":1,"value":"another history"})");
    auto batch = j.batch(3, 3);        // the held record, resent as it is...
    batch.checkpoint = other.batch(3, 3, &d.key).checkpoint;  // ...with a signature over another head
    const auto r = s.handle(post_batch(batch), d.peer());
    CHECK(r.status == 422);
    bool flagged = false;
    const auto flags = s.repo->flags(d.id, k_session).value();
    for (const auto& f : flags) flagged = flagged || f.kind == "bad_checkpoint";
    CHECK(flagged);
  }
  SECTION("with it, the receipt is issued once and never changes") {
    Journal j(d.id, k_session);
    j.add_answers(2);
    j.add("session.submitted", protocol::encode_submission_manifest({}));
    REQUIRE(s.handle(post_batch(j.batch(1, 3, &d.key)), d.peer()).status == 200);
    const auto resp = s.handle(get("/v1/sessions/" + k_session), d.peer());
    REQUIRE(resp.status == 200);
    state = protocol::parse_session_state(resp.body);
    REQUIRE(state);
    CHECK(state->highest_contiguous_seq == 3);
    CHECK(state->submitted);
    CHECK(state->complete);
    REQUIRE(state->receipt);
    CHECK(protocol::verify_receipt(*state->receipt, s.home.keys.receipt_public));
    CHECK(state->receipt->final_seq == 3);
    CHECK(state->receipt->head_hash == j.heads[2].hash);
    s.clock.advance_ms(60'000);
    CHECK(s.handle(get("/v1/sessions/" + k_session), d.peer()).body == resp.body);
  }
}

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
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/enrol";
  r.headers["Content-Type"] = std::move(content_type);
  r.body = protocol::to_json(protocol::EnrolRequest{e.code, e.device_id, e.csr, e.signing_key}).dump();
  return r;
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

// ---- blobs --------------------------------------------------------------------------------------

namespace {

struct Chunk {
  std::uint64_t offset;
  std::string data;
};

HttpRequest put_chunk(const std::string& sha_hex, std::uint64_t offset, std::uint64_t length, const std::string& data) {
  HttpRequest r;
  r.method = "PUT";
  r.target = "/v1/blobs/" + sha_hex;
  r.headers["Content-Type"] = "application/octet-stream";
  r.headers["Upload-Offset"] = std::to_string(offset);
  r.headers["Upload-Length"] = std::to_string(length);
  r.headers["Chunk-SHA256"] = to_hex(crypto::sha256(as_bytes(data)));
  r.body = data;
  return r;
}

protocol::BlobStatus blob_status(const HttpResponse& r) {
  auto b = protocol::parse_blob_status(r.body);
  if (!b) FAIL("not a blob status: " << r.body);
  return *b;
}

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i * 7 % 251));
  return s;
}

}  // namespace

TEST_CASE("blobs: malformed uploads are refused and leave the stored offset where it was") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(3000, 'a');
  const std::string sha = to_hex(crypto::sha256(as_bytes(data)));
  const std::string c1 = data.substr(0, 1000), c2 = data.substr(1000, 1000), c3 = data.substr(2000);
  const auto offset_now = [&] {
    const auto r = s.handle(get("/v1/blobs/" + sha), d.peer());
    REQUIRE(r.status == 200);
    return blob_status(r).offset;
  };

  // The first chunk is held, so each refusal below must leave the offset at 1000.
  REQUIRE(s.handle(put_chunk(sha, 0, 3000, c1), d.peer()).status == 200);
  REQUIRE(offset_now() == 1000);

  SECTION("wrong Content-Type") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.headers["Content-Type"] = "application/json";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Content-Type");
    r.headers.erase("Content-Type");
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Content-Type");
  }
  SECTION("missing or malformed Upload-Offset") {
    for (const std::string bad : {"", "-1", "abc", "1e3", " 1000", "+1000", "0x10", "12345678901234567890"}) {
      INFO("Upload-Offset '" << bad << "'");
      auto r = put_chunk(sha, 1000, 3000, c2);
      if (bad.empty()) {
        r.headers.erase("Upload-Offset");
      } else {
        r.headers["Upload-Offset"] = bad;
      }
      CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Upload-Offset");
    }
  }
  SECTION("missing, malformed, zero or oversized Upload-Length") {
    for (const std::string bad : {"", "x", "-3000", "3000.0"}) {
      INFO("Upload-Length '" << bad << "'");
      auto r = put_chunk(sha, 1000, 3000, c2);
      if (bad.empty()) {
        r.headers.erase("Upload-Length");
      } else {
        r.headers["Upload-Length"] = bad;
      }
      CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Upload-Length");
    }
    const std::string fresh = to_hex(crypto::sha256(as_bytes("fresh")));
    CHECK_ERROR(s.handle(put_chunk(fresh, 0, 0, "fresh"), d.peer()), 400, "invalid_argument", "Upload-Length");
    CHECK_ERROR(s.handle(put_chunk(fresh, 0, protocol::k_max_blob_bytes + 1, "fresh"), d.peer()), 400, "invalid_argument",
                "Upload-Length");
    CHECK(s.repo->blob(d.id, crypto::sha256(as_bytes("fresh"))).value() == std::nullopt);
  }
  SECTION("missing or malformed Chunk-SHA256") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.headers.erase("Chunk-SHA256");
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
    std::string upper = to_hex(crypto::sha256(as_bytes(c2)));
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    r.headers["Chunk-SHA256"] = upper;
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
    r.headers["Chunk-SHA256"] = "abc";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
  }
  SECTION("a malformed blob name in the path") {
    CHECK_ERROR(s.handle(put_chunk(sha.substr(1), 1000, 3000, c2), d.peer()), 400, "invalid_argument", "sha256");
    CHECK_ERROR(s.handle(get("/v1/blobs/" + std::string(64, 'G')), d.peer()), 400, "invalid_argument", "sha256");
  }
  SECTION("an empty chunk") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3000, ""), d.peer()), 400, "invalid_argument", "body");
  }
  SECTION("a chunk at the wrong offset: 409, field Upload-Offset") {
    CHECK_ERROR(s.handle(put_chunk(sha, 2000, 3000, c3), d.peer()), 409, "conflict", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, 0, 3000, c1), d.peer()), 409, "conflict", "Upload-Offset");
  }
  SECTION("a chunk that does not match its Chunk-SHA256: 422") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.body[5] = static_cast<char>(r.body[5] ^ 0x20);
    CHECK_ERROR(s.handle(r, d.peer()), 422, "integrity", "Chunk-SHA256");
  }
  SECTION("a chunk that runs past Upload-Length: 400") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3000, c2 + c3 + "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, 3001, 3000, "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, UINT64_MAX / 2, 3000, "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
  }
  SECTION("Upload-Length changed between chunks: 409") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3001, c2), d.peer()), 409, "conflict", "Upload-Length");
  }
  SECTION("other methods on a blob") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.method = "POST";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "");
    r.method = "DELETE";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "");
  }
  CHECK(offset_now() == 1000);
  const auto row = s.repo->blob(d.id, crypto::sha256(as_bytes(data))).value();
  REQUIRE(row);
  CHECK(row->size == 3000);
  CHECK(row->received == 1000);
  CHECK_FALSE(row->complete);
}

TEST_CASE("blobs: an upload whose whole hash does not match is discarded: 422 and the offset back to 0") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(3000, 'a');
  const std::string claimed = to_hex(crypto::sha256(as_bytes("something else entirely")));
  REQUIRE(s.handle(put_chunk(claimed, 0, 3000, data.substr(0, 1000)), d.peer()).status == 200);
  REQUIRE(s.handle(put_chunk(claimed, 1000, 3000, data.substr(1000, 1000)), d.peer()).status == 200);
  CHECK_ERROR(s.handle(put_chunk(claimed, 2000, 3000, data.substr(2000)), d.peer()), 422, "integrity", "sha256");

  const auto st = s.handle(get("/v1/blobs/" + claimed), d.peer());
  REQUIRE(st.status == 200);
  CHECK(blob_status(st).offset == 0);
  CHECK_FALSE(blob_status(st).complete);
  const auto row = s.repo->blob(d.id, from_hex(claimed).value()).value();
  REQUIRE(row);
  CHECK(row->received == 0);
  CHECK_FALSE(row->complete);
  // The upload starts over from 0 (and the last chunk alone is refused at its old offset).
  CHECK_ERROR(s.handle(put_chunk(claimed, 2000, 3000, data.substr(2000)), d.peer()), 409, "conflict", "Upload-Offset");
  CHECK(s.handle(put_chunk(claimed, 0, 3000, data.substr(0, 1000)), d.peer()).status == 200);

  SECTION("a single-chunk upload whose hash does not match leaves no blob") {
    const std::string other = to_hex(crypto::sha256(as_bytes("not this")));
    CHECK_ERROR(s.handle(put_chunk(other, 0, 5, "hello"), d.peer()), 422, "integrity", "sha256");
    const auto r = s.handle(get("/v1/blobs/" + other), d.peer());
    CHECK(blob_status(r).offset == 0);
    CHECK_FALSE(blob_status(r).complete);
  }
}

TEST_CASE("blobs: a correct upload in 3 chunks, resumed from the server's offset, completes") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(2500, 'k');
  const std::string sha = to_hex(crypto::sha256(as_bytes(data)));

  auto st = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
  CHECK(st.offset == 0);
  CHECK(st.size == 0);
  CHECK_FALSE(st.complete);

  std::uint64_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    const auto at = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
    CHECK(at.offset == offset);
    offset = at.offset;
    const std::string chunk = data.substr(offset, 1000);
    const auto r = s.handle(put_chunk(sha, offset, data.size(), chunk), d.peer());
    REQUIRE(r.status == 200);
    const auto after = blob_status(r);
    CHECK(after.offset == offset + chunk.size());
    CHECK(after.size == data.size());
    CHECK(after.complete == (i == 2));
    offset = after.offset;
  }
  st = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
  CHECK(st.complete);
  CHECK(st.offset == 2500);
  CHECK(st.size == 2500);
  const auto row = s.repo->blob(d.id, crypto::sha256(as_bytes(data))).value();
  REQUIRE(row);
  CHECK(as_chars(s.repo->read_blob(*row, 0, 2500).value()) == data);

  // A resend after a lost response is answered with the complete status, not an error.
  const auto again = s.handle(put_chunk(sha, 2000, data.size(), data.substr(2000)), d.peer());
  CHECK(again.status == 200);
  CHECK(blob_status(again).complete);

  // Blobs are per device: another device sees nothing of it.
  const Device other = add_device(s, "fedcba9876543210fedcba9876543210", "beef");
  CHECK(blob_status(s.handle(get("/v1/blobs/" + sha), other.peer())).offset == 0);
}

TEST_CASE("blobs: a device over its upload allowance gets 507, and nothing is allocated") {
  srv::ApiConfig config;
  config.device_blob_quota_bytes = 4000;
  Server s(config);
  const Device d = add_device(s);
  const std::string first = pattern(3000, 'a');
  REQUIRE(s.handle(put_chunk(to_hex(crypto::sha256(as_bytes(first))), 0, 3000, first.substr(0, 1000)), d.peer()).status == 200);

  const std::string big = pattern(1001, 'b');
  const std::string big_sha = to_hex(crypto::sha256(as_bytes(big)));
  CHECK_ERROR(s.handle(put_chunk(big_sha, 0, 1001, big), d.peer()), 507, "disk_full", "Upload-Length");
  CHECK(s.repo->blob(d.id, crypto::sha256(as_bytes(big))).value() == std::nullopt);
  const auto st = blob_status(s.handle(get("/v1/blobs/" + big_sha), d.peer()));
  CHECK(st.size == 0);
  CHECK(st.offset == 0);

  // Exactly up to the allowance is fine; the allowance is per device.
  const std::string fits = pattern(1000, 'c');
  CHECK(s.handle(put_chunk(to_hex(crypto::sha256(as_bytes(fits))), 0, 1000, fits), d.peer()).status == 200);
  const Device other = add_device(s, "fedcba9876543210fedcba9876543210", "beef");
  CHECK(s.handle(put_chunk(big_sha, 0, 1001, big), other.peer()).status == 200);
}

// ---- routing ------------------------------------------------------------------------------------

TEST_CASE("routing: unknown endpoints are 404, wrong methods 400") {
  Server s;
  const Device d = add_device(s);
  for (const std::string target : {"/", "", "/v1", "/v1/", "/v2/health", "/v1/nope", "/v1/sessions",
                                   "/v1/sessions/s/records/extra", "/v1/sessions/s/other", "/v1/blobs",
                                   "/v1/blobs/a/b", "/v1/health/x", "health"}) {
    INFO("GET " << target);
    CHECK_ERROR(s.handle(get(target), d.peer()), 404, "not_found", "");
  }
  CHECK(s.handle(get("/v1/health")).status == 200);
  CHECK(s.handle(get("/v1/health?probe=1")).status == 200);
  const auto keys = s.handle(get("/v1/server-keys"));
  CHECK(keys.status == 200);

  CHECK_ERROR(s.handle(request("GET", "/v1/sessions/s/records"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(request("PUT", "/v1/sessions/s/records"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(request("POST", "/v1/sessions/s"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(request("DELETE", "/v1/sessions/s"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(request("GET", "/v1/enrol")), 400, "invalid_argument", "");
  // health and server-keys are GET-only; other methods find no endpoint.
  CHECK_ERROR(s.handle(request("POST", "/v1/health")), 404, "not_found", "");
  CHECK_ERROR(s.handle(request("DELETE", "/v1/server-keys")), 404, "not_found", "");
}
