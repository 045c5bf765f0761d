#pragma once
// journal::verify checks a chain of records and reports exactly what is wrong with it.
//
// What each finding means (and how it is recognised):
//  - modified:  a record no longer hashes to what its successor (or a signed checkpoint)
//               committed to, or its payload no longer matches payload_hash. Reported at the
//               record whose content changed. (If a record's own prev_hash field was altered,
//               two consecutive links break and both positions are named.)
//  - deleted:   sequence numbers are missing between two records, or a signed checkpoint names a
//               sequence the records no longer reach (truncation at the end).
//  - inserted:  an extra record for a sequence number that is already taken, which the chain does
//               not link through, or whose back-link points at nothing in the chain.
//  - reordered: records are stored out of sequence order (the chain itself may still be intact).
//  - forked:    two different records both extend the same predecessor and each is continued:
//               the device ran two histories (e.g. a restored backup continued alongside).
//  - time_backwards: monotonic time decreased within one boot, or the wall clock went back.
//  - clock_jump: within one boot, wall time moved more than the tolerance against monotonic time.
//  - bad_checkpoint: a checkpoint for another chain, or whose signature does not verify.
//
// Verification continues past the first finding so one report names every problem; findings are
// sorted by sequence number. `intact_through` is the highest sequence up to which the chain has no
// structural finding (modified, deleted, inserted, forked): what a server may anchor. Clock and
// storage-order findings are flags for review and do not limit it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shared/journal/journal.hpp"

namespace vigil::journal {

enum class FindingKind { modified, deleted, inserted, reordered, forked, time_backwards, clock_jump, bad_checkpoint };

std::string_view finding_name(FindingKind k) noexcept;

struct Finding {
  FindingKind kind;
  std::uint64_t seq;      // the record (or checkpoint) position the finding is about
  std::string detail;     // one sentence for a proctor's timeline

  bool operator==(const Finding&) const = default;
};

struct Entry {
  Record record;
  std::optional<Bytes> payload;  // when present, checked against record.payload_hash
};

struct VerifyOptions {
  // How far wall time may drift from monotonic time between two records of one boot before it
  // counts as a clock change (NTP slews and suspend rounding stay well inside this).
  std::int64_t clock_jump_tolerance_ms = 5'000;
};

struct Report {
  std::vector<Finding> findings;
  std::uint64_t records_checked = 0;
  std::uint64_t intact_through = 0;  // highest seq with no structural finding at or before it
  std::uint64_t last_seq = 0;

  bool ok() const noexcept { return findings.empty(); }
  bool has(FindingKind k) const noexcept;
  std::string summary() const;  // multi-line, human readable
};

struct VerifyInput {
  std::string chain_id;
  Head start;                           // usually Head::genesis(chain_id); or the server's anchor
  std::span<const Entry> entries;       // in storage order
  std::span<const Checkpoint> checkpoints;
  ByteView device_public_key;           // Ed25519; checkpoints fail if empty
};

Report verify(const VerifyInput& in, const VerifyOptions& options = {});

}  // namespace vigil::journal
