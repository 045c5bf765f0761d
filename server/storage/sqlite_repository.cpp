#include "server/storage/sqlite_repository.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include "server/embedded/server_migrations.hpp"
#include "shared/results/outcome.hpp"

namespace vigil::server {

namespace {

using sqlite::Statement;
template <std::size_t N>
bool copy_digest(const Bytes& from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::copy(from.begin(), from.end(), to.begin());
  return true;
}

std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }
std::uint64_t read_u64(const Statement& s) { return u64(s.column_int(0)); }
std::string read_text(const Statement& s) { return s.column_text(0); }

// The embedded numbered migrations, through the one runner (sqlite::migrate: a transaction each,
// foreign keys checked before each commits). A database from a newer server is refused first, in
// the words an operator expects.
Status migrate(sqlite::Db& db) {
  VIGIL_ASSIGN(auto current, db.query_int("PRAGMA user_version"));
  const auto files = server_migrations();
  if (current > static_cast<std::int64_t>(files.size())) {
    return fail(Errc::unsupported_version, "the database was written by a newer vigil-server (schema " +
                                               std::to_string(current) + ")");
  }
  std::vector<std::string_view> sql(files.size());
  std::ranges::transform(files, sql.begin(), &EmbeddedFile::text);
  return sqlite::migrate(db, sql);
}

// vigil_outcome_state(submitted, released, void_after_review, identity_withheld, review_open,
// review_awaiting_second, identity_pending, identity_awaiting_second, appeal_overturned): the name
// of the outcome state, by the one rule (shared/results/outcome.hpp), for the SQL that filters or
// counts by state (the completion status). Its arguments are the columns of sitting_outcome_facts
// (schema 12; appeal_overturned since schema 14); NULL counts as false.
constexpr int k_outcome_facts = 9;
void outcome_state_sql(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != k_outcome_facts) {
    sqlite3_result_error(ctx, "vigil_outcome_state takes the 9 facts of sitting_outcome_facts", -1);
    return;
  }
  const auto at = [&](int i) { return sqlite3_value_type(argv[i]) != SQLITE_NULL && sqlite3_value_int64(argv[i]) != 0; };
  const results::OutcomeFacts f{at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8)};
  const auto name = results::outcome_state_name(results::outcome_state(f));
  sqlite3_result_text(ctx, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
}

}  // namespace

Result<std::unique_ptr<SqliteRepository>> SqliteRepository::open(const std::filesystem::path& db_path,
                                                                 const char* sqlite_vfs) {
  std::unique_ptr<SqliteRepository> r(new SqliteRepository());
  VIGIL_ASSIGN(r->db_, sqlite::Db::open(db_path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                        sqlite_vfs));
  VIGIL_ASSIGN(auto mode, r->db_.query_text("PRAGMA journal_mode = WAL"));
  if (!mode || *mode != "wal") return fail(Errc::io, "the database could not switch to write-ahead logging");
  VIGIL_TRY(r->db_.exec("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000"));
  VIGIL_TRY(migrate(r->db_));
  VIGIL_TRY(r->db_.exec("PRAGMA foreign_keys = ON"));
  if (sqlite3_create_function_v2(r->db_.handle(), "vigil_outcome_state", k_outcome_facts, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                 outcome_state_sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Errc::internal, "could not register vigil_outcome_state with SQLite");
  }
  return r;
}

Status SqliteRepository::transaction(const std::function<Status()>& fn) {
  const auto lock = hold();
  VIGIL_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  VIGIL_TRY(fn());
  return tx.commit();
}

Status SqliteRepository::add_council(std::string_view council_id, std::string_view name, std::int64_t now_ms) {
  // An empty name keeps an existing council's name (a new council is named by its id).
  return run(
      "INSERT INTO councils(council_id, name, created_wall_ms) VALUES (?1, coalesce(nullif(?2, ''), ?1), ?3) "
      "ON CONFLICT(council_id) DO UPDATE SET name = excluded.name WHERE ?2 <> ''",
      council_id, name, now_ms);
}

Status SqliteRepository::add_candidate(const CandidateRow& c, std::int64_t now_ms) {
  return run(
      "INSERT INTO candidates(candidate_id, council_id, full_name, work_email, level, created_wall_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      c.candidate_id, c.council_id, c.full_name, c.work_email, c.level, now_ms);
}

Result<std::optional<CandidateRow>> SqliteRepository::candidate(std::string_view candidate_id) {
  return one(
      "SELECT candidate_id, council_id, full_name, work_email, level FROM candidates WHERE candidate_id = ?",
      [](const Statement& s) {
        return CandidateRow{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4)};
      },
      candidate_id);
}

Result<bool> SqliteRepository::candidate_withdrawn(std::string_view candidate_id) {
  return exists("SELECT 1 FROM endorsements WHERE candidate_id = ? AND withdrawn_wall_ms IS NOT NULL", candidate_id);
}

Status SqliteRepository::add_audit(std::string_view action, std::string_view target, std::string_view detail,
                                   std::int64_t now_ms) {
  return run("INSERT INTO audit_log(wall_ms, user_id, action, target, detail, via) VALUES (?, NULL, ?, ?, ?, 'device')", now_ms,
             action, target, detail);
}

Status SqliteRepository::add_enrolment_code(const EnrolmentCodeRow& code, std::int64_t now_ms) {
  return run(
      "INSERT INTO enrolment_codes(handle, candidate_id, salt, secret_hash, created_wall_ms, expires_wall_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      code.handle, code.candidate_id, code.salt, code.secret_hash, now_ms, code.expires_wall_ms);
}

Result<std::optional<EnrolmentCodeRow>> SqliteRepository::enrolment_code(std::string_view handle) {
  return one(
      "SELECT handle, candidate_id, salt, secret_hash, expires_wall_ms, used_wall_ms, failed_attempts "
      "FROM enrolment_codes WHERE handle = ?",
      [](const Statement& s) {
        return EnrolmentCodeRow{s.column_text(0), s.column_text(1),        s.column_blob(2), s.column_blob(3),
                                s.column_int(4),  s.column_int_or_null(5), s.column_int(6)};
      },
      handle);
}

Status SqliteRepository::count_failed_enrolment(std::string_view handle) {
  return run("UPDATE enrolment_codes SET failed_attempts = failed_attempts + 1 WHERE handle = ?", handle);
}

Result<std::int64_t> SqliteRepository::expire_enrolment_codes(std::string_view candidate_id, std::int64_t now_ms) {
  return changes(
      "UPDATE enrolment_codes SET expires_wall_ms = ?1 WHERE candidate_id = ?2 AND used_wall_ms IS NULL "
      "AND expires_wall_ms > ?1",
      now_ms, candidate_id);
}

Status SqliteRepository::mark_enrolment_code_used(std::string_view handle, std::string_view device_id, std::int64_t now_ms) {
  VIGIL_ASSIGN(const auto changed, changes("UPDATE enrolment_codes SET used_wall_ms = ?, used_by_device = ? "
                                           "WHERE handle = ? AND used_wall_ms IS NULL",
                                           now_ms, device_id, handle));
  if (changed != 1) return fail(Errc::conflict, "the enrolment code has already been used");
  return {};
}

Status SqliteRepository::add_device(const DeviceRow& d) {
  auto r =
      run("INSERT INTO devices(device_id, candidate_id, cert_serial, signing_public_key, enrolled_wall_ms) "
          "VALUES (?, ?, ?, ?, ?)",
          d.device_id, d.candidate_id, d.cert_serial, d.signing_public_key, d.enrolled_wall_ms);
  if (!r && r.error().code == Errc::conflict) return fail(Errc::conflict, "this device is already enrolled");
  return r;
}

Result<std::optional<DeviceRow>> SqliteRepository::device(std::string_view device_id) {
  return one(
      "SELECT device_id, candidate_id, cert_serial, signing_public_key, enrolled_wall_ms, revoked_wall_ms "
      "FROM devices WHERE device_id = ?",
      [](const Statement& s) {
        return DeviceRow{s.column_text(0), s.column_text(1), s.column_text(2),
                         s.column_blob(3), s.column_int(4),  s.column_int_or_null(5)};
      },
      device_id);
}

Status SqliteRepository::revoke_device(std::string_view device_id, std::string_view reason, std::int64_t now_ms) {
  VIGIL_ASSIGN(const auto changed, changes("UPDATE devices SET revoked_wall_ms = ?, revoked_reason = ? "
                                           "WHERE device_id = ? AND revoked_wall_ms IS NULL",
                                           now_ms, reason, device_id));
  if (changed != 1) {
    return fail(Errc::not_found, "no enrolled, unrevoked device " + std::string(device_id));
  }
  return {};
}

Result<std::optional<SessionRow>> SqliteRepository::session(std::string_view device_id, std::string_view session_id) {
  const auto lock = hold();
  VIGIL_ASSIGN(auto st, bound("SELECT candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, head_wall_ms, "
                              "submitted_seq, coalesce(manifest, ''), coalesce(receipt, '') FROM sessions "
                              "WHERE device_id = ? AND session_id = ?",
                              device_id, session_id));
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<SessionRow>{};
  SessionRow s;
  s.device_id = std::string(device_id);
  s.session_id = std::string(session_id);
  s.candidate_id = st.column_text(0);
  s.head.seq = u64(st.column_int(1));
  if (!copy_digest(st.column_blob(2), s.head.hash)) return fail(Errc::integrity, "a session head hash is damaged");
  s.head.boot_id = st.column_text(3);
  s.head.monotonic_ns = u64(st.column_int(4));
  s.head.wall_ms = st.column_int(5);
  if (!st.column_is_null(6)) s.submitted_seq = u64(st.column_int(6));
  s.manifest = st.column_text(7);
  s.receipt = st.column_text(8);
  return std::optional<SessionRow>{std::move(s)};
}

Status SqliteRepository::put_session_head(const SessionRow& s, std::int64_t now_ms) {
  return run(
      "INSERT INTO sessions(device_id, session_id, candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, "
      "head_wall_ms, first_seen_wall_ms, last_seen_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
      "ON CONFLICT(device_id, session_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash, "
      "head_boot_id = excluded.head_boot_id, head_mono_ns = excluded.head_mono_ns, head_wall_ms = "
      "excluded.head_wall_ms, "
      "last_seen_wall_ms = excluded.last_seen_wall_ms WHERE excluded.head_seq >= sessions.head_seq",
      s.device_id, s.session_id, s.candidate_id, s.head.seq, s.head.hash, s.head.boot_id, s.head.monotonic_ns,
      s.head.wall_ms, now_ms);
}

Status SqliteRepository::set_session_submitted(std::string_view device_id, std::string_view session_id,
                                               std::uint64_t seq, std::string_view manifest) {
  return run(
      "UPDATE sessions SET submitted_seq = ?, manifest = ? WHERE device_id = ? AND session_id = ? AND "
      "submitted_seq IS NULL",
      seq, manifest, device_id, session_id);
}

Result<bool> SqliteRepository::submitted_by_candidate(std::string_view session_id, std::string_view candidate_id) {
  return exists(
      "SELECT 1 FROM sessions WHERE session_id = ? AND candidate_id = ? AND submitted_seq IS NOT NULL LIMIT 1",
      session_id, candidate_id);
}

Status SqliteRepository::set_session_receipt(std::string_view device_id, std::string_view session_id,
                                             std::string_view receipt_json) {
  return run("UPDATE sessions SET receipt = ? WHERE device_id = ? AND session_id = ? AND receipt IS NULL", receipt_json,
             device_id, session_id);
}

Result<std::optional<StoredRecord>> SqliteRepository::record(std::string_view device_id, std::string_view session_id,
                                                             std::uint64_t seq) {
  const auto lock = hold();
  VIGIL_ASSIGN(auto st, bound("SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash FROM records "
                              "WHERE device_id = ? AND session_id = ? AND seq = ?",
                              device_id, session_id, seq));
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<StoredRecord>{};
  journal::Record r;
  r.seq = u64(st.column_int(0));
  if (!copy_digest(st.column_blob(1), r.prev_hash) || !copy_digest(st.column_blob(6), r.payload_hash)) {
    return fail(Errc::integrity, "a stored record is damaged");
  }
  r.boot_id = st.column_text(2);
  r.monotonic_ns = u64(st.column_int(3));
  r.wall_ms = st.column_int(4);
  r.type = st.column_text(5);
  return std::optional<StoredRecord>{StoredRecord{journal::record_hash(r), r.payload_hash}};
}

Status SqliteRepository::insert_record(std::string_view device_id, std::string_view session_id,
                                       const protocol::RecordDto& d, std::int64_t now_ms) {
  const auto& r = d.record;
  return run(
      "INSERT INTO records(device_id, session_id, seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash, "
      "payload, received_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      device_id, session_id, r.seq, r.prev_hash, r.boot_id, r.monotonic_ns, r.wall_ms, r.type, r.payload_hash,
      d.payload, now_ms);
}

Status SqliteRepository::insert_checkpoint(std::string_view device_id, std::string_view session_id,
                                           const journal::Checkpoint& c) {
  return run(
      "INSERT INTO checkpoints(device_id, session_id, seq, head_hash, wall_ms, signature) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      device_id, session_id, c.seq, c.head_hash, c.wall_ms, c.signature);
}

Result<bool> SqliteRepository::has_checkpoint(std::string_view device_id, std::string_view session_id, std::uint64_t seq) {
  return exists("SELECT 1 FROM checkpoints WHERE device_id = ? AND session_id = ? AND seq = ?", device_id, session_id,
                seq);
}

Status SqliteRepository::add_flag(const FlagRow& f, std::int64_t now_ms) {
  return run(
      "INSERT INTO integrity_flags(device_id, session_id, seq, kind, detail, created_wall_ms) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      f.device_id, f.session_id, f.seq, f.kind, f.detail, now_ms);
}

Result<std::vector<FlagRow>> SqliteRepository::flags(std::string_view device_id, std::string_view session_id) {
  return collect(
      "SELECT seq, kind, detail FROM integrity_flags WHERE device_id = ? AND session_id = ? ORDER BY flag_id",
      [&](const Statement& s) {
        return FlagRow{std::string(device_id), std::string(session_id), u64(s.column_int(0)), s.column_text(1),
                       s.column_text(2)};
      },
      device_id, session_id);
}

Result<std::uint64_t> SqliteRepository::count_records(std::string_view device_id, std::string_view session_id) {
  VIGIL_ASSIGN(const auto n, one("SELECT count(*) FROM records WHERE device_id = ? AND session_id = ?", read_u64,
                                 device_id, session_id));
  return n.value_or(0);
}

Result<std::optional<BlobRow>> SqliteRepository::blob(std::string_view device_id, ByteView sha256) {
  return one(
      "SELECT blob_id, size, received, complete_wall_ms FROM blobs WHERE device_id = ? AND sha256 = ?",
      [&](const Statement& s) {
        BlobRow b;
        b.blob_id = s.column_int(0);
        std::copy(sha256.begin(), sha256.end(), b.sha256.begin());
        b.size = u64(s.column_int(1));
        b.received = u64(s.column_int(2));
        b.complete = !s.column_is_null(3);
        return b;
      },
      device_id, sha256);
}

Result<std::uint64_t> SqliteRepository::device_blob_bytes(std::string_view device_id) {
  VIGIL_ASSIGN(const auto n, one("SELECT coalesce(sum(size), 0) FROM blobs WHERE device_id = ?", read_u64, device_id));
  return n.value_or(0);
}

Result<BlobRow> SqliteRepository::create_blob(std::string_view device_id, ByteView sha256, std::uint64_t size) {
  const auto lock = hold();  // until the row id is read
  VIGIL_TRY(run("INSERT INTO blobs(device_id, sha256, size, received, data) VALUES (?1, ?2, ?3, 0, zeroblob(?3))",
                device_id, sha256, size));
  BlobRow b;
  b.blob_id = sqlite3_last_insert_rowid(db_.handle());
  std::copy(sha256.begin(), sha256.end(), b.sha256.begin());
  b.size = size;
  return b;
}

Status SqliteRepository::write_blob(const BlobRow& b, std::uint64_t offset, ByteView data) {
  const auto lock = hold();
  sqlite3_blob* h = nullptr;
  int rc = sqlite3_blob_open(db_.handle(), "main", "blobs", "data", b.blob_id, 1, &h);
  if (rc == SQLITE_OK) {
    rc = sqlite3_blob_write(h, data.data(), static_cast<int>(data.size()), static_cast<int>(offset));
  }
  const int close_rc = sqlite3_blob_close(h);
  if (rc != SQLITE_OK) return fail(db_.error(rc, "writing blob data"));
  if (close_rc != SQLITE_OK) return fail(db_.error(close_rc, "writing blob data"));
  return {};
}

Result<Bytes> SqliteRepository::read_blob(const BlobRow& b, std::uint64_t offset, std::size_t length) {
  const auto lock = hold();
  sqlite3_blob* h = nullptr;
  Bytes out(length);
  int rc = sqlite3_blob_open(db_.handle(), "main", "blobs", "data", b.blob_id, 0, &h);
  if (rc == SQLITE_OK) rc = sqlite3_blob_read(h, out.data(), static_cast<int>(length), static_cast<int>(offset));
  sqlite3_blob_close(h);
  if (rc != SQLITE_OK) return fail(db_.error(rc, "reading blob data"));
  return out;
}

Status SqliteRepository::set_blob_progress(const BlobRow& b, std::uint64_t received, std::optional<std::int64_t> complete_ms) {
  return run("UPDATE blobs SET received = ?, complete_wall_ms = ? WHERE blob_id = ?", received, complete_ms, b.blob_id);
}

// ---- packages and sittings ----

Status SqliteRepository::add_package(const PackageRow& p, std::string_view marking_scheme_json) {
  const auto lock = hold();
  VIGIL_TRY(
      run("INSERT INTO packages(assessment_id, version, level, title, key_id, content_key_wrapped, plaintext_sha256, "
          "package, package_sha256, created_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          p.assessment_id, p.version, p.level, p.title, p.key_id, p.content_key_wrapped, p.plaintext_sha256, p.package,
          p.package_sha256, p.created_wall_ms));
  return run("INSERT INTO marking_schemes(assessment_id, version, scheme) VALUES (?, ?, ?)", p.assessment_id, p.version,
             marking_scheme_json);
}

Result<std::optional<PackageRow>> SqliteRepository::package(std::string_view assessment_id, std::uint32_t version,
                                                            bool with_file) {
  return one(
      with_file ? "SELECT level, title, key_id, content_key_wrapped, plaintext_sha256, package_sha256, "
                  "created_wall_ms, package FROM packages WHERE assessment_id = ? AND version = ?"
                : "SELECT level, title, key_id, content_key_wrapped, plaintext_sha256, package_sha256, "
                  "created_wall_ms, length(package) FROM packages WHERE assessment_id = ? AND version = ?",
      [&](const Statement& s) {
        PackageRow p;
        p.assessment_id = std::string(assessment_id);
        p.version = version;
        p.level = s.column_text(0);
        p.title = s.column_text(1);
        p.key_id = s.column_text(2);
        p.content_key_wrapped = s.column_blob(3);
        p.plaintext_sha256 = s.column_blob(4);
        p.package_sha256 = s.column_blob(5);
        p.created_wall_ms = s.column_int(6);
        if (with_file) p.package = s.column_blob(7);
        return p;
      },
      assessment_id, version);
}

Result<std::optional<std::uint32_t>> SqliteRepository::latest_package_version(std::string_view assessment_id) {
  VIGIL_ASSIGN(const auto latest, one(
                                      "SELECT max(version) FROM packages WHERE assessment_id = ?",
                                      [](const Statement& s) { return s.column_int_or_null(0); }, assessment_id));
  if (!latest || !*latest) return std::optional<std::uint32_t>{};
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(**latest)};
}

Result<std::optional<std::string>> SqliteRepository::marking_scheme(std::string_view assessment_id, std::uint32_t version) {
  return one("SELECT scheme FROM marking_schemes WHERE assessment_id = ? AND version = ?", read_text, assessment_id,
             version);
}

namespace {
SittingRow sitting_from(const Statement& st) {
  return SittingRow{st.column_text(0), st.column_text(1), st.column_text(2), static_cast<std::uint32_t>(st.column_int(3)),
                    st.column_int(4), st.column_int(5)};
}
constexpr const char* k_sitting_columns =
    "SELECT sitting_id, candidate_id, assessment_id, version, scheduled_start_wall_ms, window_end_wall_ms FROM sittings ";
}  // namespace

Result<SittingRow> SqliteRepository::put_sitting(const SittingRow& s, std::int64_t now_ms) {
  const auto lock = hold();  // until the stored row is read back
  VIGIL_TRY(run(
      "INSERT INTO sittings(sitting_id, candidate_id, assessment_id, version, scheduled_start_wall_ms, "
      "window_end_wall_ms, created_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(candidate_id, assessment_id) DO UPDATE SET version = excluded.version, "
      "scheduled_start_wall_ms = excluded.scheduled_start_wall_ms, window_end_wall_ms = excluded.window_end_wall_ms",
      s.sitting_id, s.candidate_id, s.assessment_id, s.version, s.scheduled_start_ms, s.window_end_ms, now_ms));
  VIGIL_ASSIGN(auto stored, sitting_of(s.candidate_id, s.assessment_id));
  if (!stored) return fail(Errc::internal, "the sitting was not stored");
  return std::move(*stored);
}

Result<std::optional<SittingRow>> SqliteRepository::sitting(std::string_view sitting_id) {
  return one(std::string(k_sitting_columns) + "WHERE sitting_id = ?", sitting_from, sitting_id);
}

Result<std::optional<SittingRow>> SqliteRepository::sitting_of(std::string_view candidate_id, std::string_view assessment_id) {
  return one(std::string(k_sitting_columns) + "WHERE candidate_id = ? AND assessment_id = ?", sitting_from,
             candidate_id, assessment_id);
}

Result<std::vector<SittingRow>> SqliteRepository::sittings_of(std::string_view candidate_id) {
  return collect(std::string(k_sitting_columns) + "WHERE candidate_id = ? ORDER BY scheduled_start_wall_ms, sitting_id",
                 sitting_from, candidate_id);
}

Status SqliteRepository::put_start_code(const StartCodeRow& c) {
  return run(
      "INSERT OR REPLACE INTO start_codes(sitting_id, salt, scrypt_n, scrypt_r, scrypt_p, nonce, locked_key, "
      "issued_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      c.sitting_id, c.salt, c.scrypt_n, c.scrypt_r, c.scrypt_p, c.nonce, c.locked_key, c.issued_wall_ms);
}

Result<std::optional<StartCodeRow>> SqliteRepository::start_code(std::string_view sitting_id) {
  return one(
      "SELECT salt, scrypt_n, scrypt_r, scrypt_p, nonce, locked_key, issued_wall_ms FROM start_codes "
      "WHERE sitting_id = ?",
      [&](const Statement& s) {
        return StartCodeRow{std::string(sitting_id),
                            s.column_blob(0),
                            u64(s.column_int(1)),
                            static_cast<std::uint32_t>(s.column_int(2)),
                            static_cast<std::uint32_t>(s.column_int(3)),
                            s.column_blob(4),
                            s.column_blob(5),
                            s.column_int(6)};
      },
      sitting_id);
}

Status SqliteRepository::put_sitting_device(std::string_view sitting_id, std::string_view device_id, ByteView kx_public,
                                            std::int64_t now_ms) {
  return run(
      "INSERT INTO sitting_devices(sitting_id, device_id, kx_public, granted_wall_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(sitting_id, device_id) DO UPDATE SET kx_public = excluded.kx_public, "
      "granted_wall_ms = excluded.granted_wall_ms",
      sitting_id, device_id, kx_public, now_ms);
}

Result<std::optional<Bytes>> SqliteRepository::sitting_device_kx(std::string_view sitting_id, std::string_view device_id) {
  return one(
      "SELECT kx_public FROM sitting_devices WHERE sitting_id = ? AND device_id = ?",
      [](const Statement& s) { return s.column_blob(0); }, sitting_id, device_id);
}

Status SqliteRepository::mark_key_released(std::string_view sitting_id, std::string_view device_id, std::int64_t now_ms) {
  return run(
      "UPDATE sitting_devices SET key_released_wall_ms = coalesce(key_released_wall_ms, ?) "
      "WHERE sitting_id = ? AND device_id = ?",
      now_ms, sitting_id, device_id);
}

Status SqliteRepository::set_accommodations(std::string_view candidate_id, const assessment::Accommodations& a,
                                            std::int64_t now_ms) {
  return run(
      "INSERT OR REPLACE INTO candidate_accommodations(candidate_id, extra_time_percent, extra_break_minutes, "
      "knowledge_only, updated_wall_ms) VALUES (?, ?, ?, ?, ?)",
      candidate_id, a.extra_time_percent, a.extra_break_minutes, a.knowledge_only, now_ms);
}

Result<assessment::Accommodations> SqliteRepository::accommodations(std::string_view candidate_id) {
  VIGIL_ASSIGN(auto a, one(
                           "SELECT extra_time_percent, extra_break_minutes, knowledge_only FROM "
                           "candidate_accommodations WHERE candidate_id = ?",
                           [](const Statement& s) {
                             return assessment::Accommodations{static_cast<std::uint32_t>(s.column_int(0)),
                                                               static_cast<std::uint32_t>(s.column_int(1)),
                                                               s.column_int(2) != 0};
                           },
                           candidate_id));
  return a.value_or(assessment::Accommodations{});
}

}  // namespace vigil::server
