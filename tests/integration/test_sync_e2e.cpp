// Enrolment, sync and receipts end to end: the real server (TLS on 127.0.0.1, SQLite) and the
// real client (SQLCipher store, HTTPS transport, sync engine).
#include <catch2/catch_test_macros.hpp>

#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include "client/store/store.hpp"
#include "client/sync/engine.hpp"
#include "client/sync/enrol.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/client_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

using namespace vigil;
using namespace vigil::client;
using vigil::testing::TempDir;
using vigil::testing::TestServer;

namespace {

// Checkpoints every 8 records, so that short sessions carry some.
std::unique_ptr<store::Store> open_store(const TempDir& dir) {
  return testing::open_store(dir.path(), [](store::StoreOptions& so) { so.checkpoint_every = 8; });
}

// A store in `dir`, enrolled with `server` as candidate c-1, with session s-1 begun.
std::unique_ptr<store::Store> enrolled_store(TestServer& server, const TempDir& dir) {
  auto s = open_store(dir);
  auto e = sync::enrol(*s, server.trust(), server.enrolment_code("c-1"));
  if (!e) FAIL(e.error().describe());
  REQUIRE(s->begin_session("s-1", "naas-pr-1"));
  return s;
}

// Runs passes until everything is sent and the receipts are in (bounded).
void sync_until_done(sync::SyncEngine& engine) {
  for (int i = 0; i < 20; ++i) {
    auto r = engine.run_once();
    if (!r) FAIL(r.error().describe());
    if (*r) return;
  }
  FAIL("sync did not finish in 20 passes");
}

Bytes evidence_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 131 + 7) & 0xff);
  return b;
}

// Forwards every request to the real HTTPS transport and lets a test act in between: a candidate
// saving while a batch is in flight, or a buggy or hostile server (or a man in the middle holding
// the server's keys) rewriting the server's real answers.
class TamperingTransport : public sync::Transport {
 public:
  explicit TamperingTransport(sync::Transport& real) : real_(real) {}
  std::function<void(const protocol::HttpRequest&)> before;
  std::function<void(const protocol::HttpRequest&, protocol::HttpResponse&)> after;

  Result<protocol::HttpResponse> roundtrip(const protocol::HttpRequest& request) override {
    if (before) before(request);
    auto r = real_.roundtrip(request);
    if (r && after) after(request, *r);
    return r;
  }

 private:
  sync::Transport& real_;
};

bool is_records_post(const protocol::HttpRequest& r) {
  return r.method == "POST" && r.target.size() > 8 && r.target.ends_with("/records");
}

}  // namespace

TEST_CASE("a device enrols with a one-time code, syncs a whole session and keeps a receipt that verifies") {
  TestServer server;
  TempDir dir;
  auto s = open_store(dir);
  REQUIRE(sync::enrol(*s, server.trust(), server.enrolment_code("c-1")));
  auto enrolment = s->enrolment().value();
  REQUIRE(enrolment);
  CHECK(enrolment->candidate_id == "c-1");

  REQUIRE(s->begin_session("s-1", "naas-pr-1"));
  for (int i = 0; i < 40; ++i) REQUIRE(s->save_answer("s-1", "pr-k-" + std::to_string(i % 30), "B"));
  auto sha = s->add_blob("s-1", evidence_bytes(700'000), store::OutboxPriority::evidence);  // 3 chunks
  REQUIRE(sha);
  REQUIRE(s->submit_session("s-1"));

  auto transport = sync::transport_for(*s).value();
  sync::SyncEngine engine(*s, *transport);
  sync_until_done(engine);

  auto receipt_json = s->receipt("s-1").value();
  REQUIRE(receipt_json);
  auto receipt = protocol::parse_receipt(*receipt_json).value();
  CHECK(protocol::verify_receipt(receipt, server.receipt_public_key()));
  CHECK(receipt.final_seq == 43);  // started + 40 answers + blob + submitted
  REQUIRE(receipt.blobs.size() == 1);
  CHECK(receipt.blobs[0] == *sha);
  CHECK(s->outbox_counts().value().records == 0);
  CHECK(s->outbox_counts().value().blobs == 0);

  const auto info = server.session_info(s->device_id(), "s-1");
  CHECK(info["records"] == 43);
  CHECK(info["head_seq"] == 43);
  CHECK(info["flags"].empty());
  CHECK(info["receipt"]["signature"] == nlohmann::json::parse(*receipt_json)["signature"]);

  // One changed field and the receipt no longer verifies.
  receipt.final_seq += 1;
  CHECK_FALSE(protocol::verify_receipt(receipt, server.receipt_public_key()));
}

TEST_CASE("an enrolment code works once") {
  TestServer server;
  const std::string code = server.enrolment_code("c-1");
  TempDir a, b;
  auto first = open_store(a);
  auto second = open_store(b);
  REQUIRE(sync::enrol(*first, server.trust(), code));
  auto again = sync::enrol(*second, server.trust(), code);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);
  CHECK(again.error().message.find("already been used") != std::string::npos);
  CHECK_FALSE(second->enrolment().value());
}

TEST_CASE("wrong codes are refused and the code locks after five wrong tries") {
  TestServer server;
  const std::string code = server.enrolment_code("c-1");
  std::string wrong = code;
  wrong.back() = wrong.back() == 'A' ? 'C' : 'A';
  TempDir dir;
  auto s = open_store(dir);
  for (int i = 0; i < 5; ++i) {
    auto r = sync::enrol(*s, server.trust(), wrong);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::forbidden);
  }
  auto locked = sync::enrol(*s, server.trust(), code);  // even the right one, now
  REQUIRE_FALSE(locked);
  CHECK(locked.error().code == Errc::rate_limited);

  auto typo = sync::enrol(*s, server.trust(), "not a code");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().code == Errc::invalid_argument);
}

TEST_CASE("an expired enrolment code is refused") {
  TestServer server;
  // A code issued with a validity in the past, through the admin command's own code path.
  const std::string code = server.enrolment_code("c-1", 1);
  REQUIRE(server.admin({"withdraw-codes", "--candidate", "c-1"}).exit_code == 0);
  TempDir dir;
  auto s = open_store(dir);
  auto r = sync::enrol(*s, server.trust(), code);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::expired);
}

TEST_CASE("a revoked device can no longer sync, and keeps its data") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);
  REQUIRE(s->save_answer("s-1", "a", "A"));
  REQUIRE(server.admin({"revoke-device", "--device", s->device_id(), "--reason", "laptop reported stolen"}).exit_code == 0);
  auto transport = sync::transport_for(*s).value();
  sync::SyncEngine engine(*s, *transport);
  auto r = engine.run_once();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::forbidden);
  CHECK(s->outbox_counts().value().records == 2);
}

TEST_CASE("sync picks up where it left off after the server restarts") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);
  for (int i = 0; i < 10; ++i) REQUIRE(s->save_answer("s-1", "a" + std::to_string(i), "A"));
  auto transport = sync::transport_for(*s).value();
  sync::SyncEngine engine(*s, *transport);
  REQUIRE(engine.run_once());
  server.restart();
  for (int i = 0; i < 10; ++i) REQUIRE(s->save_answer("s-1", "b" + std::to_string(i), "B"));
  REQUIRE(s->submit_session("s-1"));
  // The first call after the restart may find the old keep-alive connection dead.
  for (int i = 0; i < 5 && !s->receipt("s-1").value(); ++i) (void)engine.run_once();
  REQUIRE(s->receipt("s-1").value());
  CHECK(server.session_info(s->device_id(), "s-1")["records"] == 22);
}

TEST_CASE("the engine reports what is waiting and resumes by itself in the background") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);
  REQUIRE(s->save_answer("s-1", "a", "A"));
  auto transport = sync::transport_for(*s).value();
  sync::SyncOptions opts;
  opts.backoff_initial = std::chrono::milliseconds(50);
  opts.idle_poll = std::chrono::milliseconds(100);
  sync::SyncEngine engine(*s, *transport, opts);
  CHECK(engine.progress().records_pending == 2);
  engine.start();
  REQUIRE(s->submit_session("s-1"));
  engine.notify();
  for (int i = 0; i < 100 && !s->receipt("s-1").value(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  engine.stop();
  CHECK(s->receipt("s-1").value());
  CHECK(engine.progress().records_pending == 0);
  CHECK(engine.progress().state == sync::SyncState::idle);
}

TEST_CASE("the server's home and database are readable by the server's account only") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);  // the server has written candidates, codes and a device
  for (const auto& [path, mode] : std::vector<std::pair<std::filesystem::path, unsigned>>{
           {server.dir(), 0700}, {server.dir() / "vigil.db", 0600}, {server.dir() / "keys" / "receipt.key", 0600},
           {server.dir() / "pki" / "device-ca.key", 0600}}) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    INFO(path.string());
    CHECK((st.st_mode & 0777) == mode);
  }
}

TEST_CASE("a receipt that does not match the device's own journal is not kept") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);
  REQUIRE(s->begin_session("s-2", "naas-pr-1"));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(s->save_answer("s-1", "a" + std::to_string(i), "A"));
    REQUIRE(s->save_answer("s-2", "b" + std::to_string(i), "B"));
  }
  auto sha = s->add_blob("s-2", evidence_bytes(1000), store::OutboxPriority::evidence);
  REQUIRE(sha);
  REQUIRE(s->submit_session("s-1"));
  REQUIRE(s->submit_session("s-2"));

  auto real = sync::transport_for(*s).value();
  TamperingTransport transport(*real);
  std::optional<protocol::Receipt> genuine_s1;       // the server's real receipt for s-1
  bool tamper_s2 = true;                             // while true, s-2's answer carries served_for_s2
  std::optional<protocol::Receipt> served_for_s2;    // none at first: the receipt is withheld
  transport.after = [&](const protocol::HttpRequest& req, protocol::HttpResponse& resp) {
    if (req.method != "GET" || resp.status != 200 || !req.target.starts_with("/v1/sessions/")) return;
    auto state = protocol::parse_session_state(resp.body);
    REQUIRE(state);
    if (req.target == "/v1/sessions/s-1" && state->receipt) genuine_s1 = state->receipt;
    if (req.target == "/v1/sessions/s-2" && tamper_s2) {
      state->receipt = served_for_s2;
      resp.body = protocol::to_json(*state).dump();
    }
  };
  sync::SyncEngine engine(*s, transport);
  // Everything is sent and s-1's receipt arrives (sessions are asked in order, s-1 first).
  for (int i = 0; i < 10 && !genuine_s1; ++i) (void)engine.run_once();
  REQUIRE(genuine_s1);
  REQUIRE(s->receipt("s-1").value());
  REQUIRE_FALSE(s->receipt("s-2").value());

  // What the real server signed for s-2 (admin view of its database), then forged variants
  // signed with the server's own receipt key: each one verifies, and each one is refused.
  const auto server_s2 = server.session_info(s->device_id(), "s-2");
  REQUIRE(server_s2["receipt"].is_object());
  const auto real_s2 = protocol::decode_receipt(server_s2["receipt"]).value();
  const Bytes seed = server.receipt_seed();
  const Bytes pub = server.receipt_public_key();
  const auto entries = s->journal_entries("s-2").value();
  const auto resigned = [&](protocol::Receipt r) {
    REQUIRE(protocol::sign_receipt(r, seed, pub));
    REQUIRE(protocol::verify_receipt(r, pub));
    return r;
  };
  struct Case {
    std::string name;
    protocol::Receipt receipt;
    std::string says;
  };
  std::vector<Case> cases;
  cases.push_back({"a genuine receipt for another session", *genuine_s1, "names another session"});
  {
    auto r = real_s2;  // a shorter journal: ends one record before the submission
    r.final_seq -= 1;
    r.head_hash = journal::record_hash(entries[r.final_seq - 1].record);
    cases.push_back({"a shorter journal", resigned(r), "ends at record"});
  }
  {
    auto r = real_s2;
    r.head_hash[0] ^= 1;
    cases.push_back({"another final record", resigned(r), "different final record"});
  }
  {
    auto r = real_s2;
    r.device_id = std::string(32, 'a');  // well formed, not this device
    cases.push_back({"another device", resigned(r), "another device"});
  }
  {
    auto r = real_s2;
    r.candidate_id = "c-2";
    cases.push_back({"another candidate", resigned(r), "another candidate"});
  }
  {
    auto r = real_s2;
    r.blobs.clear();
    cases.push_back({"without the evidence", resigned(r), "different evidence"});
  }
  {
    auto r = real_s2;  // the right content, signed by a key that is not the server's
    auto other = crypto::ed25519_generate().value();
    REQUIRE(protocol::sign_receipt(r, crypto::view(other.seed), other.public_key));
    cases.push_back({"a key that is not the server's", r, "does not verify"});
  }
  for (const auto& c : cases) {
    INFO(c.name);
    served_for_s2 = c.receipt;
    auto r = engine.run_once();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::integrity);
    CHECK(r.error().message.find(c.says) != std::string::npos);
    CHECK_FALSE(s->receipt("s-2").value());
    CHECK(s->sessions_awaiting_receipt().value() == std::vector<std::string>{"s-2"});
    CHECK(engine.progress().receipts_pending == 1);
  }

  // The real server's receipt is kept once it arrives unaltered.
  tamper_s2 = false;
  REQUIRE(engine.run_once().value());
  auto kept = s->receipt("s-2").value();
  REQUIRE(kept);
  CHECK(protocol::parse_receipt(*kept).value() == real_s2);
}

TEST_CASE("an acknowledgement past the batch sent drops nothing that was not sent") {
  TestServer server;
  TempDir dir;
  auto s = enrolled_store(server, dir);
  for (int i = 0; i < 4; ++i) REQUIRE(s->save_answer("s-1", "a" + std::to_string(i), "A"));
  auto real = sync::transport_for(*s).value();
  TamperingTransport transport(*real);
  int posts = 0;
  // While the first batch (records 1..5) is in flight the candidate saves three more answers;
  // the server's answer then claims the whole journal (8), which it was never sent.
  transport.before = [&](const protocol::HttpRequest& req) {
    if (!is_records_post(req) || posts++ != 0) return;
    for (int i = 0; i < 3; ++i) REQUIRE(s->save_answer("s-1", "b" + std::to_string(i), "B"));
  };
  transport.after = [&](const protocol::HttpRequest& req, protocol::HttpResponse& resp) {
    if (!is_records_post(req) || posts != 1) return;
    auto ack = protocol::parse_batch_ack(resp.body);
    REQUIRE(ack);
    CHECK(ack->highest_contiguous_seq == 5);
    ack->highest_contiguous_seq = 8;
    resp.body = protocol::to_json(*ack).dump();
  };
  sync::SyncOptions opts;
  opts.batch_records = 5;
  sync::SyncEngine engine(*s, transport, opts);
  REQUIRE(engine.run_once());
  // Records 6..8 were never sent and stayed queued, whatever the server claimed, so the same
  // pass sent them in a second batch.
  CHECK(posts == 2);
  CHECK(server.session_info(s->device_id(), "s-1")["records"] == 8);
  CHECK(s->outbox_counts().value().records == 0);
  transport.before = nullptr;
  transport.after = nullptr;
  // The session goes on and ends with a receipt for all of it.
  REQUIRE(s->submit_session("s-1"));
  sync_until_done(engine);
  const auto info = server.session_info(s->device_id(), "s-1");
  CHECK(info["records"] == 9);
  CHECK(info["head_seq"] == 9);
  CHECK(info["flags"].empty());
  CHECK(s->outbox_counts().value().records == 0);
}
