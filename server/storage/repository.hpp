#pragma once
// Repository: everything the API handlers store or read, behind one interface, so that SQL and
// its dialect live only in the storage implementation (SQLite now; PostgreSQL is the planned
// engine when one machine is no longer enough, DESIGN.md section 3).
//
// Invariants the implementations keep:
//  (1) transaction(fn) runs fn atomically and durably (SQLite: BEGIN IMMEDIATE ... COMMIT with
//      synchronous=FULL); a failed fn leaves nothing behind.
//  (2) A record is stored at most once per (device, session, seq); the session's head only
//      moves forward, to a record that is stored.
//  (3) A used or locked enrolment code is never accepted again.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shared/assessment/model.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::server {

struct CandidateRow {
  std::string candidate_id;
  std::string council_id;
  std::string full_name;
  std::string work_email;
  std::string level;
};

struct EnrolmentCodeRow {
  std::string handle;
  std::string candidate_id;
  Bytes salt;
  Bytes secret_hash;
  std::int64_t expires_wall_ms = 0;
  std::optional<std::int64_t> used_wall_ms;
  std::int64_t failed_attempts = 0;
};

struct DeviceRow {
  std::string device_id;
  std::string candidate_id;
  std::string cert_serial;
  Bytes signing_public_key;
  std::int64_t enrolled_wall_ms = 0;
  std::optional<std::int64_t> revoked_wall_ms;
};

struct SessionRow {
  std::string device_id;
  std::string session_id;
  std::string candidate_id;
  journal::Head head;
  std::optional<std::uint64_t> submitted_seq;
  std::string manifest;   // payload of the session.submitted record, if received
  std::string receipt;    // receipt JSON, once complete
};

struct StoredRecord {
  journal::Hash record_hash{};
  journal::Hash payload_hash{};
};

struct FlagRow {
  std::string device_id;
  std::string session_id;
  std::uint64_t seq = 0;
  std::string kind;
  std::string detail;
};

struct BlobRow {
  std::int64_t blob_id = 0;
  std::array<std::uint8_t, 32> sha256{};
  std::uint64_t size = 0;
  std::uint64_t received = 0;
  bool complete = false;
};

// ---- Packages and sittings (schema 2, docs/PACKAGE-FORMAT.md) ----

struct PackageRow {
  std::string assessment_id;
  std::uint32_t version = 0;
  std::string level;
  std::string title;
  std::string key_id;
  Bytes content_key_wrapped;  // nonce || AES-256-GCM(server wrap key, content key)
  Bytes plaintext_sha256;
  Bytes package;
  Bytes package_sha256;
  std::int64_t created_wall_ms = 0;
};

struct SittingRow {
  std::string sitting_id;
  std::string candidate_id;
  std::string assessment_id;
  std::uint32_t version = 0;
  std::int64_t scheduled_start_ms = 0;
  std::int64_t window_end_ms = 0;
};

struct StartCodeRow {
  std::string sitting_id;
  Bytes salt;
  std::uint64_t scrypt_n = 0;
  std::uint32_t scrypt_r = 0;
  std::uint32_t scrypt_p = 0;
  Bytes nonce;
  Bytes locked_key;
  std::int64_t issued_wall_ms = 0;
};

class Repository {
 public:
  virtual ~Repository() = default;

  // (1) Runs fn inside one transaction; commits if it succeeds, rolls back otherwise.
  virtual Status transaction(const std::function<Status()>& fn) = 0;

  // Councils and candidates (the staff API of issue 6 builds on these).
  // Creates or renames a council. An empty name renames nothing: an existing council keeps its
  // name, a new one is named by its id (the command line's --council without a name).
  virtual Status add_council(std::string_view council_id, std::string_view name, std::int64_t now_ms) = 0;
  // Adds the candidate to their council's roster too (schema 10 invariant 1: one endorsements row,
  // no employee reference, endorsed by nobody: the command line), in the same statement.
  virtual Status add_candidate(const CandidateRow& c, std::int64_t now_ms) = 0;
  virtual Result<std::optional<CandidateRow>> candidate(std::string_view candidate_id) = 0;
  // True when the candidate's endorsement has been withdrawn (staff schema 3).
  virtual Result<bool> candidate_withdrawn(std::string_view candidate_id) = 0;
  // One row in the append-only audit log, for refusals the device API makes (no staff user).
  virtual Status add_audit(std::string_view action, std::string_view target, std::string_view detail,
                           std::int64_t now_ms) = 0;

  virtual Status add_enrolment_code(const EnrolmentCodeRow& code, std::int64_t now_ms) = 0;
  virtual Result<std::optional<EnrolmentCodeRow>> enrolment_code(std::string_view handle) = 0;
  virtual Status count_failed_enrolment(std::string_view handle) = 0;
  // Ends every unused code of the candidate now (withdrawal, or a code reported lost).
  virtual Result<std::int64_t> expire_enrolment_codes(std::string_view candidate_id, std::int64_t now_ms) = 0;
  virtual Status mark_enrolment_code_used(std::string_view handle, std::string_view device_id, std::int64_t now_ms) = 0;

  virtual Status add_device(const DeviceRow& d) = 0;
  virtual Result<std::optional<DeviceRow>> device(std::string_view device_id) = 0;
  virtual Status revoke_device(std::string_view device_id, std::string_view reason, std::int64_t now_ms) = 0;

  virtual Result<std::optional<SessionRow>> session(std::string_view device_id, std::string_view session_id) = 0;
  // Creates the session row or moves its head (2); also sets last_seen.
  virtual Status put_session_head(const SessionRow& s, std::int64_t now_ms) = 0;
  virtual Status set_session_submitted(std::string_view device_id, std::string_view session_id, std::uint64_t seq,
                                       std::string_view manifest) = 0;
  // True when a device of the candidate has sent the session.submitted record of the session.
  virtual Result<bool> submitted_by_candidate(std::string_view session_id, std::string_view candidate_id) = 0;
  virtual Status set_session_receipt(std::string_view device_id, std::string_view session_id,
                                     std::string_view receipt_json) = 0;

  virtual Result<std::optional<StoredRecord>> record(std::string_view device_id, std::string_view session_id,
                                                     std::uint64_t seq) = 0;
  virtual Status insert_record(std::string_view device_id, std::string_view session_id, const protocol::RecordDto& r,
                               std::int64_t now_ms) = 0;
  virtual Status insert_checkpoint(std::string_view device_id, std::string_view session_id,
                                   const journal::Checkpoint& c) = 0;
  virtual Result<bool> has_checkpoint(std::string_view device_id, std::string_view session_id, std::uint64_t seq) = 0;
  // Adds a flag unless the same (device, session, seq, kind) is already flagged.
  virtual Status add_flag(const FlagRow& f, std::int64_t now_ms) = 0;
  virtual Result<std::vector<FlagRow>> flags(std::string_view device_id, std::string_view session_id) = 0;
  virtual Result<std::uint64_t> count_records(std::string_view device_id, std::string_view session_id) = 0;

  virtual Result<std::optional<BlobRow>> blob(std::string_view device_id, ByteView sha256) = 0;
  virtual Result<std::uint64_t> device_blob_bytes(std::string_view device_id) = 0;
  // Allocates a blob of `size` bytes (zero-filled) and returns it.
  virtual Result<BlobRow> create_blob(std::string_view device_id, ByteView sha256, std::uint64_t size) = 0;
  virtual Status write_blob(const BlobRow& b, std::uint64_t offset, ByteView data) = 0;
  virtual Result<Bytes> read_blob(const BlobRow& b, std::uint64_t offset, std::size_t length) = 0;
  virtual Status set_blob_progress(const BlobRow& b, std::uint64_t received, std::optional<std::int64_t> complete_ms) = 0;

  // Packages and sittings.
  virtual Status add_package(const PackageRow& p, std::string_view marking_scheme_json) = 0;
  // Without the package bytes when with_file is false (listing).
  virtual Result<std::optional<PackageRow>> package(std::string_view assessment_id, std::uint32_t version,
                                                    bool with_file = true) = 0;
  virtual Result<std::optional<std::uint32_t>> latest_package_version(std::string_view assessment_id) = 0;
  virtual Result<std::optional<std::string>> marking_scheme(std::string_view assessment_id, std::uint32_t version) = 0;
  // Inserts the sitting, or moves the existing sitting of (candidate, assessment) to s's version
  // and times, keeping its id. Returns the stored row.
  virtual Result<SittingRow> put_sitting(const SittingRow& s, std::int64_t now_ms) = 0;
  virtual Result<std::optional<SittingRow>> sitting(std::string_view sitting_id) = 0;
  virtual Result<std::optional<SittingRow>> sitting_of(std::string_view candidate_id, std::string_view assessment_id) = 0;
  virtual Result<std::vector<SittingRow>> sittings_of(std::string_view candidate_id) = 0;
  // Replaces the sitting's start code (the old one is revoked).
  virtual Status put_start_code(const StartCodeRow& c) = 0;
  virtual Result<std::optional<StartCodeRow>> start_code(std::string_view sitting_id) = 0;
  virtual Status put_sitting_device(std::string_view sitting_id, std::string_view device_id, ByteView kx_public,
                                    std::int64_t now_ms) = 0;
  virtual Result<std::optional<Bytes>> sitting_device_kx(std::string_view sitting_id, std::string_view device_id) = 0;
  virtual Status mark_key_released(std::string_view sitting_id, std::string_view device_id, std::int64_t now_ms) = 0;
  virtual Status set_accommodations(std::string_view candidate_id, const assessment::Accommodations& a,
                                    std::int64_t now_ms) = 0;
  // All zero / false when none were set.
  virtual Result<assessment::Accommodations> accommodations(std::string_view candidate_id) = 0;
};

}  // namespace vigil::server
