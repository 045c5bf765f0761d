// The client store on real SQLCipher files in a temp dir.
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <limits>
#include <iterator>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "client/store/store.hpp"
#include "shared/core/file.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/protocol/messages.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client::store;
using vigil::testing::TempDir;
namespace fs = std::filesystem;

namespace {

Result<std::unique_ptr<Store>> open_in(const fs::path& dir, const time::Clock* clock = nullptr) {
  StoreOptions so;
  so.dir = dir;
  so.key_storage = KeyStorePreference::file;
  so.clock = clock;
  so.checkpoint_every = 4;
  return Store::open(std::move(so));
}

std::unique_ptr<Store> must_open(const fs::path& dir, const time::Clock* clock = nullptr) {
  auto s = open_in(dir, clock);
  if (!s) FAIL(s.error().describe());
  return std::move(*s);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

crypto::Digest file_hash(const fs::path& p) { return crypto::sha256(as_bytes(read_file(p))); }

}  // namespace

TEST_CASE("a saved answer is there after the store is closed and reopened") {
  TempDir dir;
  std::string device;
  {
    auto s = must_open(dir.path());
    device = s->device_id();
    REQUIRE(s->begin_session("s1", "naas-pr-1"));
    auto r = s->save_answer("s1", "pr-k-001", "B");
    REQUIRE(r);
    CHECK(r->revision == 1);
    CHECK(r->seq == 2);  // after session.started
  }
  auto s = must_open(dir.path());
  CHECK(s->device_id() == device);
  auto a = s->answer("s1", "pr-k-001");
  REQUIRE(a);
  REQUIRE(a->has_value());
  CHECK((*a)->value == "B");
  CHECK((*a)->revision == 1);
}

TEST_CASE("every revision of a written answer is kept in order") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  for (const char* v : {"First draft.", "First draft. More.", "Final."}) REQUIRE(s->save_answer("s1", "pr-w-001", v));
  auto h = s->answer_history("s1", "pr-w-001");
  REQUIRE(h);
  REQUIRE(h->size() == 3);
  CHECK((*h)[0].value == "First draft.");
  CHECK((*h)[2].value == "Final.");
  CHECK((*h)[2].revision == 3);
  CHECK(s->answer("s1", "pr-w-001").value()->value == "Final.");
}

TEST_CASE("each save writes its journal record and outbox row in the same transaction") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->save_answer("s1", "pr-k-001", "B"));
  REQUIRE(s->save_answer("s1", "pr-k-002", "A;C"));

  auto entries = s->journal_entries("s1");
  REQUIRE(entries);
  REQUIRE(entries->size() == 3);
  const auto& last = entries->back();
  CHECK(last.record.type == "answer.saved");
  auto payload = protocol::parse_answer_saved(as_chars(*last.payload));
  REQUIRE(payload);
  CHECK(payload->item_id == "pr-k-002");
  CHECK(payload->value == "A;C");

  auto pending = s->outbox_pending(10);
  REQUIRE(pending);
  REQUIRE(pending->size() == 3);
  // Session start is a submission-class record and goes first; answers before events.
  CHECK((*pending)[0].priority == OutboxPriority::submission);
  CHECK((*pending)[1].priority == OutboxPriority::answers);
  CHECK((*pending)[2].seq == 3);
}

TEST_CASE("the outbox keeps a record until the server acknowledges it") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  for (int i = 0; i < 5; ++i) REQUIRE(s->save_answer("s1", "item-" + std::to_string(i), "A"));
  CHECK(s->outbox_counts().value().records == 6);
  REQUIRE(s->acknowledge("s1", {1, 6}, 4));
  auto left = s->outbox_pending(10).value();
  REQUIRE(left.size() == 2);
  CHECK(left[0].seq == 5);
  CHECK(left[1].seq == 6);
  // Acknowledging does not touch the answers or the journal.
  CHECK(s->answers("s1").value().size() == 5);
  CHECK(s->journal_entries("s1").value().size() == 6);
}

TEST_CASE("the journal verifies, carries signed checkpoints and continues across reopening") {
  TempDir dir;
  time::ManualClock clock;
  {
    auto s = must_open(dir.path(), &clock);
    REQUIRE(s->begin_session("s1", "naas-pr-1"));
    for (int i = 0; i < 6; ++i) {
      clock.advance_ms(1500);
      REQUIRE(s->save_answer("s1", "item-" + std::to_string(i), "A"));
    }
  }
  clock.reboot("boot-2", 60'000);
  auto s = must_open(dir.path(), &clock);
  clock.advance_ms(500);
  REQUIRE(s->record_event("s1", "session.resumed", "{\"v\":1}"));
  auto report = s->verify_journal("s1");
  REQUIRE(report);
  INFO(report->summary());
  CHECK(report->ok());
  CHECK(report->last_seq == 8);
  CHECK(s->checkpoints("s1").value().size() == 2);  // at 4 and 8
}

TEST_CASE("a clock set back during a session shows in the journal verification") {
  TempDir dir;
  time::ManualClock clock;
  auto s = must_open(dir.path(), &clock);
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  clock.advance_ms(1000);
  REQUIRE(s->save_answer("s1", "a", "A"));
  clock.set_wall_ms(clock.wall_ms() - 3'600'000);
  REQUIRE(s->save_answer("s1", "b", "B"));
  auto report = s->verify_journal("s1");
  REQUIRE(report);
  CHECK(report->has(journal::FindingKind::time_backwards));
}

TEST_CASE("bad input to the store is refused with a clear error and nothing is written") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  CHECK(s->save_answer("nope", "a", "A").error().code == Errc::not_found);
  CHECK(s->save_answer("s1", "", "A").error().code == Errc::invalid_argument);
  CHECK(s->save_answer("s1", "a b", "A").error().code == Errc::invalid_argument);
  CHECK(s->save_answer("s1", "a", std::string("\xff\xfe", 2)).error().code == Errc::invalid_argument);
  CHECK(s->save_answer("s1", "a", std::string(protocol::k_max_answer_bytes + 1, 'x')).error().code == Errc::invalid_argument);
  CHECK(s->record_event("s1", "Not A Type", "{}").error().code == Errc::invalid_argument);
  CHECK(s->begin_session("s1", "other-assessment").error().code == Errc::conflict);
  CHECK(s->journal_entries("s1").value().size() == 1);
  CHECK(s->outbox_counts().value().records == 1);
}

TEST_CASE("a second client on the same store is refused while the first is open") {
  TempDir dir;
  auto first = must_open(dir.path());
  auto second = open_in(dir.path());
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::busy);
  CHECK(second.error().message.find("another Vigil client") != std::string::npos);
  first.reset();
  CHECK(open_in(dir.path()));  // the lock goes with the process that held it
}

TEST_CASE("a wrong key is a clear error and the store file is left untouched") {
  TempDir dir;
  {
    auto s = must_open(dir.path());
    REQUIRE(s->begin_session("s1", "naas-pr-1"));
    REQUIRE(s->save_answer("s1", "a", "A"));
  }
  const auto before = file_hash(dir / "store.db");
  fs::remove(dir / "store.key");
  {
    std::ofstream key(dir / "store.key", std::ios::binary);  // "\n", not Windows text mode's "\r\n"
    key << "vigil-store-key-v1 " << std::string(64, 'a') << "\n";
  }
  fs::permissions(dir / "store.key", fs::perms::owner_read | fs::perms::owner_write);
  auto s = open_in(dir.path());
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::wrong_key);
  CHECK(s.error().message.find("could not be decrypted") != std::string::npos);
  CHECK(file_hash(dir / "store.db") == before);
}

TEST_CASE("a store whose key has gone missing is an error, never a new empty store") {
  TempDir dir;
  {
    auto s = must_open(dir.path());
    REQUIRE(s->begin_session("s1", "naas-pr-1"));
  }
  const auto before = file_hash(dir / "store.db");
  fs::remove(dir / "store.key");
  auto s = open_in(dir.path());
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::wrong_key);
  CHECK(s.error().message.find("key was not found") != std::string::npos);
  CHECK(file_hash(dir / "store.db") == before);
  CHECK_FALSE(fs::exists(dir / "store.key"));
}

TEST_CASE("foreign, empty and unencrypted files are refused as not a Vigil store") {
  TempDir dir;
  { auto s = must_open(dir.path()); }  // creates the key

  SECTION("an empty file") {
    std::ofstream(dir / "store.db", std::ios::trunc).close();
    auto s = open_in(dir.path());
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::not_a_store);
    CHECK(fs::file_size(dir / "store.db") == 0);
  }
  SECTION("random bytes") {
    std::ofstream out(dir / "store.db", std::ios::trunc | std::ios::binary);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>((i * 7919) & 0xff));
    out.close();
    const auto before = file_hash(dir / "store.db");
    auto s = open_in(dir.path());
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::wrong_key);
    CHECK(file_hash(dir / "store.db") == before);
  }
  SECTION("a plain SQLite database") {
    fs::remove(dir / "store.db");
    {
      auto plain = Db::open((dir / "store.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      REQUIRE(plain);
      REQUIRE(plain->exec("CREATE TABLE t(x); INSERT INTO t VALUES ('Maya Okafor');"));
    }
    const auto before = file_hash(dir / "store.db");
    auto s = open_in(dir.path());
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::not_a_store);
    CHECK(s.error().message.find("unencrypted SQLite") != std::string::npos);
    CHECK(file_hash(dir / "store.db") == before);
  }
}

#ifndef _WIN32  // Windows: the key files rely on the profile's ACL (docs/PLATFORMS.md), not on modes
TEST_CASE("a key file readable by other users is refused") {
  TempDir dir;
  { auto s = must_open(dir.path()); }
  ::chmod((dir / "store.key").c_str(), 0644);
  auto s = open_in(dir.path());
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("chmod 600") != std::string::npos);
}

TEST_CASE("the store and its key are readable by their owner only") {
  TempDir dir;
  { auto s = must_open(dir.path()); }
  struct stat st {};
  REQUIRE(::stat((dir / "store.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
  REQUIRE(::stat((dir / "store.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
}
#endif

TEST_CASE("answer text and candidate names never appear in the store file or its WAL") {
  TempDir dir;
  const std::string name = "Adaeze Whitfield-Okonkwo";
  const std::string answer = "I would arrange a strategy discussion with the police and health colleagues";
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->record_event("s1", "identity.confirmed", "{\"name\":\"" + name + "\",\"v\":1}"));
  for (int i = 0; i < 50; ++i) REQUIRE(s->save_answer("s1", "pr-w-001", answer + " (draft " + std::to_string(i) + ")"));

  // While the store is open the recent pages live in the WAL: check both files, like `strings`.
  const fs::path wal = dir.path() / "store.db-wal";
  REQUIRE(fs::exists(wal));
  REQUIRE(fs::file_size(wal) > 0);
  for (const fs::path& f : {dir.path() / "store.db", wal}) {
    const std::string bytes = read_file(f);
    INFO(f.string());
    CHECK(bytes.find("strategy discussion") == std::string::npos);
    CHECK(bytes.find("Whitfield") == std::string::npos);
    CHECK(bytes.find("answer.saved") == std::string::npos);   // not even the schema or record types
    CHECK(bytes.find("CREATE TABLE") == std::string::npos);
  }
  // And the same store does read back through the key.
  CHECK(s->answer("s1", "pr-w-001").value()->value.find("strategy discussion") != std::string::npos);
}

TEST_CASE("a store file removed while its key remains is an error, never a silent new store") {
  TempDir dir;
  std::string device;
  {
    auto s = must_open(dir.path());
    device = s->device_id();
  }
  fs::remove(dir / "store.db");
  auto s = open_in(dir.path());
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::not_a_store);
  CHECK(s.error().message.find("missing although its key exists") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "store.db"));
}

TEST_CASE("a write-ahead log without its store file is refused rather than replayed into a new store") {
  TempDir dir;
  { auto s = must_open(dir.path()); }
  fs::remove(dir / "store.db");
  std::ofstream(dir / "store.db-wal") << "old frames";
  auto s = open_in(dir.path());
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::not_a_store);
  CHECK(s.error().message.find("-wal") != std::string::npos);
}

TEST_CASE("an interrupted store creation leaves no half-made store behind") {
  TempDir dir;
  // What a crash during creation leaves: a key and a partial temporary file, but no store.db.
  { auto s = must_open(dir.path()); }
  fs::remove(dir / "store.db");
  std::ofstream(dir / "store.db.creating") << "partial";
  fs::permissions(dir / "store.db.creating", fs::perms::owner_read | fs::perms::owner_write);
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  CHECK_FALSE(fs::exists(dir / "store.db.creating"));
}

TEST_CASE("a wrong key leaves a store with a live write-ahead log exactly as it was") {
  // Regression: SQLite checkpointed the leftover WAL into the file when the failed connection
  // closed, so a "left untouched" store had in fact been rewritten.
  TempDir dir;
  TempDir copy;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  for (int i = 0; i < 20; ++i) REQUIRE(s->save_answer("s1", "a" + std::to_string(i), "A"));
  // A copy taken while the store is open has a hot WAL, as after a crash.
  for (const char* f : {"store.db", "store.db-wal"}) fs::copy_file(dir / f, copy / f);
  REQUIRE(fs::file_size(copy / "store.db-wal") > 0);
  {
    std::ofstream key(copy / "store.key", std::ios::binary);
    key << "vigil-store-key-v1 " << std::string(64, 'b') << "\n";
  }
  fs::permissions(copy / "store.key", fs::perms::owner_read | fs::perms::owner_write);
  const auto db_before = file_hash(copy / "store.db");
  const auto wal_before = file_hash(copy / "store.db-wal");
  auto wrong = open_in(copy.path());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::wrong_key);
  REQUIRE(fs::exists(copy / "store.db-wal"));
  CHECK(file_hash(copy / "store.db") == db_before);
  CHECK(file_hash(copy / "store.db-wal") == wal_before);
}

TEST_CASE("an acknowledgement beyond what the store wrote is refused and drops nothing") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->save_answer("s1", "a", "A"));
  auto r = s->acknowledge("s1", {1, 2}, 3);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(s->outbox_counts().value().records == 2);
  CHECK_FALSE(s->acknowledge("s1", {1, 2}, std::numeric_limits<std::uint64_t>::max()));
  CHECK(s->outbox_counts().value().records == 2);
  // No batch, no acknowledgement.
  CHECK(s->acknowledge("s1", {0, 0}, 2).error().code == Errc::invalid_argument);
  CHECK(s->acknowledge("s1", {2, 1}, 2).error().code == Errc::invalid_argument);
  CHECK(s->outbox_counts().value().records == 2);
}

TEST_CASE("an acknowledgement removes only the rows of the batch it answers") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  for (int i = 0; i < 3; ++i) REQUIRE(s->save_answer("s1", "a" + std::to_string(i), "A"));
  // Records 1..4 are sent; meanwhile the candidate saves twice more (records 5 and 6).
  REQUIRE(s->pending_records("s1", 10).value().size() == 4);
  REQUIRE(s->save_answer("s1", "b", "B"));
  REQUIRE(s->save_answer("s1", "c", "C"));
  // The server claims to hold record 6 too, which it was never sent: only 1..4 leave.
  REQUIRE(s->acknowledge("s1", {1, 4}, 6));
  auto left = s->outbox_pending(10).value();
  REQUIRE(left.size() == 2);
  CHECK(left[0].seq == 5);
  CHECK(left[1].seq == 6);
  // An acknowledgement short of the batch keeps the rest of the batch.
  REQUIRE(s->acknowledge("s1", {5, 6}, 5));
  left = s->outbox_pending(10).value();
  REQUIRE(left.size() == 1);
  CHECK(left[0].seq == 6);
}

TEST_CASE("an empty answer is saved as empty text") {
  // Regression: an empty string_view was bound as SQL NULL and the save failed.
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->save_answer("s1", "pr-w-001", "Draft"));
  REQUIRE(s->save_answer("s1", "pr-w-001", std::string_view{}));
  CHECK(s->answer("s1", "pr-w-001").value()->value.empty());
}

TEST_CASE("the outbox stays in sequence order when the wall clock is set back") {
  TempDir dir;
  time::ManualClock clock;
  auto s = must_open(dir.path(), &clock);
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->save_answer("s1", "a", "A"));
  clock.set_wall_ms(clock.wall_ms() - 86'400'000);
  REQUIRE(s->save_answer("s1", "b", "B"));
  auto pending = s->outbox_pending(10).value();
  REQUIRE(pending.size() == 3);
  CHECK(pending[1].seq == 2);
  CHECK(pending[2].seq == 3);
}

TEST_CASE("records the server lost are queued again from the journal") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  for (int i = 0; i < 5; ++i) REQUIRE(s->save_answer("s1", "a" + std::to_string(i), "A"));
  REQUIRE(s->acknowledge("s1", {1, 6}, 6));
  CHECK(s->outbox_counts().value().records == 0);
  // The server was restored from a backup and now holds only records 1..3.
  REQUIRE(s->requeue("s1", 4));
  auto pending = s->pending_records("s1", 10).value();
  REQUIRE(pending.size() == 3);
  CHECK(pending.front().record.seq == 4);
  CHECK(pending.back().record.seq == 6);
  REQUIRE(pending.back().payload);
  CHECK(journal::payload_hash(*pending.back().payload) == pending.back().record.payload_hash);
}

TEST_CASE("a submitted session is signed at its last record and refuses further answers") {
  TempDir dir;
  auto s = must_open(dir.path());
  REQUIRE(s->begin_session("s1", "naas-pr-1"));
  REQUIRE(s->save_answer("s1", "a", "A"));
  auto seq = s->submit_session("s1");
  REQUIRE(seq);
  CHECK(*seq == 3);
  CHECK(s->submit_session("s1").value() == 3);  // idempotent
  auto cps = s->checkpoints("s1").value();
  REQUIRE_FALSE(cps.empty());
  CHECK(cps.back().seq == 3);
  auto late = s->save_answer("s1", "a", "B");
  REQUIRE_FALSE(late);
  CHECK(late.error().code == Errc::conflict);
  CHECK(s->answer("s1", "a").value()->value == "A");
  CHECK(s->verify_journal("s1").value().ok());
}

TEST_CASE("named state survives reopening, is replaced in place and can be erased") {
  TempDir dir;
  {
    auto s = must_open(dir.path());
    REQUIRE(s->put_state("runner.s1", as_bytes("first")));
    REQUIRE(s->put_state("runner.s1", as_bytes("second")));
    auto missing = s->get_state("nothing");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
  }
  auto s = must_open(dir.path());
  auto v = s->get_state("runner.s1");
  REQUIRE(v);
  REQUIRE(v->has_value());
  CHECK(std::string(v->value().begin(), v->value().end()) == "second");
  REQUIRE(s->erase_state("runner.s1"));
  auto gone = s->get_state("runner.s1");
  REQUIRE(gone);
  CHECK_FALSE(gone->has_value());
}

TEST_CASE("device secrets are stable per device and purpose and differ between purposes and devices") {
  TempDir a, b;
  Bytes kx_first;
  {
    auto s = must_open(a.path());
    auto k = s->derive_device_secret("kx");
    REQUIRE(k);
    kx_first.assign(k->begin(), k->end());
    auto other = s->derive_device_secret("other");
    REQUIRE(other);
    CHECK(Bytes(other->begin(), other->end()) != kx_first);
    CHECK_FALSE(s->derive_device_secret(""));
  }
  auto again = must_open(a.path())->derive_device_secret("kx");
  REQUIRE(again);
  CHECK(Bytes(again->begin(), again->end()) == kx_first);
  auto elsewhere = must_open(b.path())->derive_device_secret("kx");
  REQUIRE(elsewhere);
  CHECK(Bytes(elsewhere->begin(), elsewhere->end()) != kx_first);
}

TEST_CASE("a store key protected for a Windows user is kept, never replaced by a new key") {
  TempDir dir;
  // A blob this machine cannot unprotect (a store copied from another computer or user).
  REQUIRE(write_new_file(dir / "store.key.dpapi", as_bytes("vigil-store-key-dpapi-v1\n" + std::string(200, 'x'))));
  auto ks = choose_key_store(dir.path(), KeyStorePreference::automatic);
  CHECK(ks->description().find("DPAPI") != std::string::npos);
  auto loaded = ks->load();
  REQUIRE_FALSE(loaded);  // Linux: no DPAPI; Windows: not a blob of this user
  CHECK((loaded.error().code == Errc::unavailable || loaded.error().code == Errc::wrong_key));
  StoreOptions so;
  so.dir = dir.path();
  auto s = Store::open(std::move(so));
  REQUIRE_FALSE(s);
  CHECK(read_file(dir / "store.key.dpapi").size() == 25 + 200);
  CHECK_FALSE(fs::exists(dir / "store.db"));
}

#ifdef _WIN32
TEST_CASE("on Windows the store key is protected by DPAPI for this user, beside the store") {
  TempDir dir;
  StoreOptions so;
  so.dir = dir.path();
  { auto s = Store::open(std::move(so)); REQUIRE(s); CHECK((*s)->key_storage_kind().find("Windows") != std::string::npos); }
  CHECK(fs::exists(dir / "store.key.dpapi"));
  CHECK_FALSE(fs::exists(dir / "store.key"));
  StoreOptions again;
  again.dir = dir.path();
  CHECK(Store::open(std::move(again)));
  auto ks = choose_key_store(dir.path(), KeyStorePreference::automatic);
  CHECK(ks->save(crypto::SecretBytes(32, 1)).error().code == Errc::already_exists);
}
#endif
