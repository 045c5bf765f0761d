// The journal and its verifier: every kind of tampering is named, at the right record.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <limits>

#include "shared/crypto/ed25519.hpp"
#include "shared/journal/journal.hpp"
#include "shared/journal/verifier.hpp"

using namespace vigil;
using namespace vigil::journal;

namespace {

const std::string k_chain = "device-1/session-1";

// A chain of n records on a manual clock, one second apart, with a signed checkpoint every 4.
struct Fixture {
  crypto::Ed25519KeyPair key = crypto::ed25519_generate().value();
  time::ManualClock clock;
  std::vector<Entry> entries;
  std::vector<Checkpoint> checkpoints;
  Appender app{k_chain, Head::genesis(k_chain)};

  explicit Fixture(int n = 10) {
    for (int i = 0; i < n; ++i) append("answer.saved", "{\"n\":" + std::to_string(i) + "}");
  }

  void append(std::string type, const std::string& payload) {
    clock.advance_ms(1000);
    Record r = app.next(type, as_bytes(payload), clock);
    app.commit(r);
    entries.push_back({r, to_bytes(payload)});
    if (r.seq % 4 == 0) checkpoints.push_back(make_checkpoint(k_chain, app.head(), crypto::view(key.seed)).value());
  }

  Report run(Head start = Head::genesis(k_chain)) const {
    VerifyInput in{k_chain, std::move(start), entries, checkpoints, key.public_key};
    return verify(in);
  }

  std::size_t index_of(std::uint64_t seq) const {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].record.seq == seq) return i;
    }
    FAIL("no record " << seq);
    return 0;
  }
  void erase(std::uint64_t seq) { entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(index_of(seq))); }
};

std::vector<std::pair<FindingKind, std::uint64_t>> kinds(const Report& r) {
  std::vector<std::pair<FindingKind, std::uint64_t>> out;
  for (const auto& f : r.findings) out.emplace_back(f.kind, f.seq);
  return out;
}

using K = FindingKind;
using Expected = std::vector<std::pair<FindingKind, std::uint64_t>>;

// Runs the verifier over the fixture and checks that it finds exactly `want`; the report, for any
// further checks.
Report expect_findings(Fixture& f, const Expected& want) {
  const Report r = f.run();
  INFO(r.summary());
  CHECK(kinds(r) == want);
  return r;
}

}  // namespace

TEST_CASE("record and genesis hashes match the documented vectors") {
  // Vectors from tests/support/vce_reference.py (docs/JOURNAL.md).
  CHECK(to_hex(genesis_hash("device-1/session-1")) == "8af798889dc24d869d44d39b2b1af28c978cfcb9e248dcdad62a8f4bc540acd0");
  Record r;
  r.seq = 1;
  r.prev_hash = genesis_hash("device-1/session-1");
  r.boot_id = "boot-1";
  r.monotonic_ns = 1'000'000'000;
  r.wall_ms = 1'790'000'000'000;
  r.type = "session.started";
  r.payload_hash = payload_hash(as_bytes("{\"v\":1}"));
  CHECK(to_hex(record_hash(r)) == "cacbd62bc9d30a2de805628d97c225475bc29dfe8ce39a40a89e0822e9884ab9");
}

TEST_CASE("an untouched chain verifies with no findings") {
  Fixture f;
  const Report r = f.run();
  INFO(r.summary());
  CHECK(r.ok());
  CHECK(r.intact_through == 10);
  CHECK(r.last_seq == 10);
  CHECK(r.records_checked == 10);
}

TEST_CASE("a changed record is reported as modified at that record") {
  Fixture f;
  f.entries[f.index_of(5)].record.type = "answer.deleted";
  const Report r = f.run();
  CHECK(kinds(r) == Expected{{K::modified, 5}});
  CHECK(r.intact_through == 4);
}

TEST_CASE("a changed payload is reported as modified even though the chain links hold") {
  Fixture f;
  f.entries[f.index_of(3)].payload = to_bytes("{\"n\":99}");
  CHECK(kinds(f.run()) == Expected{{K::modified, 3}});
}

TEST_CASE("a changed last record is caught by the signed checkpoint that covers it") {
  Fixture f(8);  // checkpoint at 8 covers the last record
  f.entries.back().record.wall_ms += 1;
  CHECK(kinds(f.run()) == Expected{{K::modified, 8}});
}

TEST_CASE("a record removed from the middle is reported as deleted") {
  Fixture f;
  f.erase(4);
  const Report r = expect_findings(f, Expected{{K::deleted, 4}});
  CHECK(r.intact_through == 3);
}

TEST_CASE("records cut from the end are reported as deleted through the checkpoint") {
  Fixture f;
  f.checkpoints.push_back(make_checkpoint(k_chain, f.app.head(), crypto::view(f.key.seed)).value());  // at 10
  f.erase(10);
  f.erase(9);
  expect_findings(f, Expected{{K::deleted, 9}});
}

TEST_CASE("an extra record that the chain does not pass through is reported as inserted") {
  Fixture f;
  Record extra = f.entries[f.index_of(4)].record;
  extra.type = "answer.saved";
  extra.payload_hash = payload_hash(as_bytes("{\"forged\":true}"));
  f.entries.insert(f.entries.begin() + static_cast<std::ptrdiff_t>(f.index_of(4)) + 1, {extra, std::nullopt});
  expect_findings(f, Expected{{K::inserted, 4}});
}

TEST_CASE("a record whose back-link points at nothing in the chain is reported as inserted") {
  Fixture f;
  Record extra = f.entries[f.index_of(6)].record;
  extra.prev_hash.fill(0x42);
  f.entries.insert(f.entries.begin() + 6, {extra, std::nullopt});
  CHECK(kinds(f.run()) == Expected{{K::inserted, 6}});
}

TEST_CASE("records stored out of order are reported as reordered and the chain still verifies") {
  Fixture f;
  std::swap(f.entries[5], f.entries[6]);  // seq 6 and 7
  const Report r = f.run();
  CHECK(kinds(r) == Expected{{K::reordered, 6}});
  CHECK(r.intact_through == 10);
}

TEST_CASE("two histories continuing from one record are reported as a fork, once") {
  Fixture f(5);
  Fixture other = f;  // same device, same chain so far: e.g. a restored backup
  f.append("answer.saved", "{\"branch\":\"a\"}");
  f.append("answer.saved", "{\"branch\":\"a2\"}");
  other.clock.advance_ms(500);
  other.append("answer.saved", "{\"branch\":\"b\"}");
  other.append("answer.saved", "{\"branch\":\"b2\"}");
  f.entries.push_back(other.entries[5]);
  f.entries.push_back(other.entries[6]);
  std::stable_sort(f.entries.begin(), f.entries.end(),
                   [](const Entry& a, const Entry& b) { return a.record.seq < b.record.seq; });
  expect_findings(f, Expected{{K::forked, 6}});
}

TEST_CASE("monotonic time going backwards within one boot is reported") {
  Fixture f;
  f.clock.set_monotonic_ns(5);
  f.append("focus.lost", "{}");
  CHECK(kinds(f.run()) == Expected{{K::time_backwards, 11}});
}

TEST_CASE("the wall clock set back is reported as time going backwards") {
  Fixture f;
  f.clock.set_wall_ms(f.clock.wall_ms() - 3'600'000);
  f.append("answer.saved", "{}");
  CHECK(kinds(f.run()) == Expected{{K::time_backwards, 11}});
}

TEST_CASE("the wall clock set forward is reported as a clock jump") {
  Fixture f;
  f.clock.set_wall_ms(f.clock.wall_ms() + 600'000);
  f.append("answer.saved", "{}");
  const Report r = f.run();
  CHECK(kinds(r) == Expected{{K::clock_jump, 11}});
  CHECK(r.intact_through == 11);  // a clock finding is a flag, not a break in the chain
}

TEST_CASE("a reboot with a new boot id and restarted monotonic clock is normal") {
  Fixture f;
  f.clock.reboot("boot-2", 120'000);
  f.append("session.resumed", "{}");
  f.append("answer.saved", "{}");
  CHECK(f.run().ok());
}

TEST_CASE("after a reboot a wall clock earlier than before is reported") {
  Fixture f;
  f.clock.reboot("boot-2", -7'200'000);
  f.append("session.resumed", "{}");
  CHECK(kinds(f.run()) == Expected{{K::time_backwards, 11}});
}

TEST_CASE("a checkpoint not signed by the device is reported") {
  Fixture f;
  f.checkpoints[0].signature[0] ^= 1;
  CHECK(kinds(f.run()) == Expected{{K::bad_checkpoint, 4}});

  Fixture g;
  const auto stranger = crypto::ed25519_generate().value();
  VerifyInput in{k_chain, Head::genesis(k_chain), g.entries, g.checkpoints, stranger.public_key};
  CHECK(verify(in).has(K::bad_checkpoint));
}

TEST_CASE("a chain moved to another session does not verify from that session's genesis") {
  Fixture f;
  VerifyInput in{"device-1/session-2", Head::genesis("device-1/session-2"), f.entries, {}, f.key.public_key};
  const Report r = verify(in);
  CHECK(kinds(r) == Expected{{K::modified, 1}});
  CHECK(r.intact_through == 0);
}

TEST_CASE("a batch is verified as an extension of the anchored head") {
  Fixture f;
  const Head anchor = Head::after(f.entries[4].record);  // the server holds 1..5
  Fixture tail = f;
  tail.entries.erase(tail.entries.begin(), tail.entries.begin() + 5);
  const Report ok = tail.run(anchor);
  INFO(ok.summary());
  CHECK(ok.ok());
  CHECK(ok.intact_through == 10);

  // A batch that does not continue from the anchor is caught at its first record.
  Head wrong = anchor;
  wrong.hash.fill(7);
  CHECK(kinds(tail.run(wrong)) == Expected{{K::modified, 5}});
}

TEST_CASE("the summary names each finding for a human reader") {
  Fixture f;
  f.erase(4);
  const std::string s = f.run().summary();
  CHECK(s.find("deleted @4: record 4 is missing") != std::string::npos);
  CHECK(s.find("intact through record 3") != std::string::npos);
}

TEST_CASE("extreme times from a hostile device are reported, not overflowed") {
  // Regression: wall-clock differences were computed in 64 bits and overflowed (UBSan abort).
  Fixture f(2);
  f.clock.set_wall_ms(std::numeric_limits<std::int64_t>::min());
  f.append("answer.saved", "{}");
  f.clock.set_wall_ms(std::numeric_limits<std::int64_t>::max() - 10'000);
  f.clock.set_monotonic_ns(std::numeric_limits<std::uint64_t>::max() - 2'000'000'000u);
  f.append("answer.saved", "{}");
  const Report r = f.run();
  CHECK(kinds(r) == Expected{{K::time_backwards, 3}, {K::clock_jump, 4}});
}

TEST_CASE("an exact second copy of a record is an insertion and does not hide later tampering") {
  // Regression: two identical copies were taken for a fork and everything after them skipped.
  Fixture f;
  f.entries.insert(f.entries.begin() + 2, f.entries[1]);  // record 2 twice
  f.entries[f.index_of(7)].payload = to_bytes("{\"n\":\"changed\"}");
  const Report r = expect_findings(f, Expected{{K::inserted, 2}, {K::modified, 7}});
  CHECK(r.last_seq == 10);
}
