#pragma once
// The journal: an append-only, hash-chained log of everything that happens in a session on the
// candidate's device (answers saved, sections started, interruptions, integrity flags...).
//
// Invariants (checked by journal::verify, see verifier.hpp):
//  (1) Records of one chain have sequence numbers 1, 2, 3, ... with no gaps.
//  (2) Record 1's prev_hash is genesis_hash(chain_id); record n's prev_hash is
//      record_hash(record n-1). So changing, removing, inserting or reordering any record breaks
//      a link, and a chain cannot be transplanted to another device or session.
//  (3) A record commits to its payload only through payload_hash; payloads travel and are stored
//      beside the record, and may be dropped after their retention without breaking the chain.
//  (4) Within one boot_id, monotonic_ns never decreases; wall_ms is what the OS said and is
//      compared against monotonic time to detect clock changes.
//  (5) A checkpoint is the device's Ed25519 signature over (chain_id, seq, head hash, time). The
//      server stores each batch only as a verified extension of its stored head, which then moves
//      to the batch's last record: everything up to that head is fixed (docs/JOURNAL.md).
//
// Hashes use the canonical encoding (docs/CANONICAL-ENCODING.md); the record layout and domains
// are in docs/JOURNAL.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/time/clock.hpp"

namespace vigil::journal {

using Hash = crypto::Digest;

inline constexpr std::string_view k_genesis_domain = "vigil.journal.genesis.v1";
inline constexpr std::string_view k_record_domain = "vigil.journal.record.v1";
inline constexpr std::string_view k_checkpoint_domain = "vigil.journal.checkpoint.v1";

struct Record {
  std::uint64_t seq = 0;
  Hash prev_hash{};
  std::string boot_id;
  std::uint64_t monotonic_ns = 0;
  std::int64_t wall_ms = 0;
  std::string type;        // dotted lower-case, e.g. "answer.saved", "session.started"
  Hash payload_hash{};

  bool operator==(const Record&) const = default;
};

// What the chain currently ends with: enough to append the next record or to check that a batch
// extends it. The start of a chain is Head::genesis(chain_id).
struct Head {
  std::uint64_t seq = 0;
  Hash hash{};
  std::string boot_id;          // of the last record (empty at genesis)
  std::uint64_t monotonic_ns = 0;
  std::int64_t wall_ms = 0;

  static Head genesis(std::string_view chain_id);
  static Head after(const Record& r);
};

struct Checkpoint {
  std::string chain_id;
  std::uint64_t seq = 0;
  Hash head_hash{};
  std::int64_t wall_ms = 0;
  Bytes signature;  // Ed25519 over checkpoint_message(*this)

  bool operator==(const Checkpoint&) const = default;
};

Hash genesis_hash(std::string_view chain_id);
// The canonical bytes of a record (without domain); exposed for documentation vectors.
Bytes record_bytes(const Record& r);
Hash record_hash(const Record& r);
Hash payload_hash(ByteView payload);
Bytes checkpoint_message(const Checkpoint& c);

// REQUIRES: seed is an Ed25519 seed (32 bytes).
Result<Checkpoint> make_checkpoint(std::string_view chain_id, const Head& head, ByteView signing_seed);
bool verify_checkpoint(const Checkpoint& c, ByteView public_key) noexcept;

// Builds the next record of a chain. Holds no storage: the caller persists each record (with its
// payload) and only then calls commit(), so a failed write leaves the appender where it was.
class Appender {
 public:
  Appender(std::string chain_id, Head head) : chain_id_(std::move(chain_id)), head_(std::move(head)) {}

  // The record that would come next, stamped with the clock's readings.
  Record next(std::string_view type, ByteView payload, const time::Clock& clock) const;
  // Accept a record returned by next() as written. REQUIRES: r.seq == head().seq + 1.
  void commit(const Record& r);

  const Head& head() const noexcept { return head_; }
  const std::string& chain_id() const noexcept { return chain_id_; }

 private:
  std::string chain_id_;
  Head head_;
};

std::string chain_id_for(std::string_view device_id, std::string_view session_id);

}  // namespace vigil::journal
