// The server API as a pure function (srv::Api::handle), fed bad and hostile input: every refusal
// has the documented HTTP status and error code (and field), and leaves nothing half-written.
// No sockets: a real SqliteRepository in a temp dir, real keys from init_server_home, and a device
// row inserted directly so a test can act as an enrolled device without the client library
// (tests/support/device_api.hpp). This file: record batches and session state.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
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
#include "tests/support/device_api.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using namespace vigil::testing::device_api;

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
