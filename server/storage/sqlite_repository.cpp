#include "server/storage/sqlite_repository.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include "server/embedded/server_migrations.hpp"

namespace vigil::server {

namespace {

using sqlite::Statement;
using Lock = std::lock_guard<std::recursive_mutex>;

template <std::size_t N>
bool copy_digest(const Bytes& from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::copy(from.begin(), from.end(), to.begin());
  return true;
}

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

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

}  // namespace

Result<std::unique_ptr<SqliteRepository>> SqliteRepository::open(const std::filesystem::path& db_path) {
  std::unique_ptr<SqliteRepository> r(new SqliteRepository());
  VIGIL_ASSIGN(r->db_, sqlite::Db::open(db_path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX));
  VIGIL_ASSIGN(auto mode, r->db_.query_text("PRAGMA journal_mode = WAL"));
  if (!mode || *mode != "wal") return fail(Errc::io, "the database could not switch to write-ahead logging");
  VIGIL_TRY(r->db_.exec("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000"));
  VIGIL_TRY(migrate(r->db_));
  VIGIL_TRY(r->db_.exec("PRAGMA foreign_keys = ON"));
  return r;
}

Status SqliteRepository::transaction(const std::function<Status()>& fn) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  VIGIL_TRY(fn());
  return tx.commit();
}

Status SqliteRepository::add_council(std::string_view council_id, std::string_view name, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO councils(council_id, name, created_wall_ms) VALUES (?, ?, ?) "
                                   "ON CONFLICT(council_id) DO UPDATE SET name = excluded.name"));
  st.bind(1, council_id).bind(2, name).bind(3, now_ms);
  return st.run();
}

Status SqliteRepository::add_candidate(const CandidateRow& c, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO candidates(candidate_id, council_id, full_name, work_email, level, "
                                   "created_wall_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  st.bind(1, c.candidate_id).bind(2, c.council_id).bind(3, c.full_name).bind(4, c.work_email).bind(5, c.level).bind(6, now_ms);
  return st.run();
}

Result<std::optional<CandidateRow>> SqliteRepository::candidate(std::string_view candidate_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT candidate_id, council_id, full_name, work_email, level FROM candidates "
                                   "WHERE candidate_id = ?"));
  st.bind(1, candidate_id);
  return sqlite::one<CandidateRow>(st, [](const Statement& s) {
    return CandidateRow{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4)};
  });
}

Result<bool> SqliteRepository::candidate_withdrawn(std::string_view candidate_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT 1 FROM endorsements WHERE candidate_id = ? AND withdrawn_wall_ms IS NOT NULL"));
  st.bind(1, candidate_id);
  return st.step();
}

Status SqliteRepository::add_audit(std::string_view action, std::string_view target, std::string_view detail,
                                   std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO audit_log(wall_ms, user_id, action, target, detail) VALUES (?, NULL, ?, ?, ?)"));
  st.bind(1, now_ms).bind(2, action).bind(3, target).bind(4, detail);
  return st.run();
}

Status SqliteRepository::add_enrolment_code(const EnrolmentCodeRow& code, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO enrolment_codes(handle, candidate_id, salt, secret_hash, "
                                   "created_wall_ms, expires_wall_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  st.bind(1, code.handle).bind(2, code.candidate_id).bind(3, ByteView(code.salt)).bind(4, ByteView(code.secret_hash))
      .bind(5, now_ms).bind(6, code.expires_wall_ms);
  return st.run();
}

Result<std::optional<EnrolmentCodeRow>> SqliteRepository::enrolment_code(std::string_view handle) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT handle, candidate_id, salt, secret_hash, expires_wall_ms, used_wall_ms, "
                                   "failed_attempts FROM enrolment_codes WHERE handle = ?"));
  st.bind(1, handle);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<EnrolmentCodeRow>{};
  EnrolmentCodeRow c{st.column_text(0), st.column_text(1), st.column_blob(2), st.column_blob(3), st.column_int(4),
                     std::nullopt, st.column_int(6)};
  if (!st.column_is_null(5)) c.used_wall_ms = st.column_int(5);
  return std::optional<EnrolmentCodeRow>{std::move(c)};
}

Status SqliteRepository::count_failed_enrolment(std::string_view handle) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE enrolment_codes SET failed_attempts = failed_attempts + 1 WHERE handle = ?"));
  st.bind(1, handle);
  return st.run();
}

Result<std::int64_t> SqliteRepository::expire_enrolment_codes(std::string_view candidate_id, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE enrolment_codes SET expires_wall_ms = ? WHERE candidate_id = ? AND "
                                   "used_wall_ms IS NULL AND expires_wall_ms > ?"));
  st.bind(1, now_ms).bind(2, candidate_id).bind(3, now_ms);
  VIGIL_TRY(st.run());
  return static_cast<std::int64_t>(sqlite3_changes(db_.handle()));
}

Status SqliteRepository::mark_enrolment_code_used(std::string_view handle, std::string_view device_id, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE enrolment_codes SET used_wall_ms = ?, used_by_device = ? "
                                   "WHERE handle = ? AND used_wall_ms IS NULL"));
  st.bind(1, now_ms).bind(2, device_id).bind(3, handle);
  VIGIL_TRY(st.run());
  if (sqlite3_changes(db_.handle()) != 1) return fail(Errc::conflict, "the enrolment code has already been used");
  return {};
}

Status SqliteRepository::add_device(const DeviceRow& d) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO devices(device_id, candidate_id, cert_serial, signing_public_key, "
                                   "enrolled_wall_ms) VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, d.device_id).bind(2, d.candidate_id).bind(3, d.cert_serial).bind(4, ByteView(d.signing_public_key))
      .bind(5, d.enrolled_wall_ms);
  auto r = st.run();
  if (!r && r.error().code == Errc::conflict) return fail(Errc::conflict, "this device is already enrolled");
  return r;
}

Result<std::optional<DeviceRow>> SqliteRepository::device(std::string_view device_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT device_id, candidate_id, cert_serial, signing_public_key, enrolled_wall_ms, "
                                   "revoked_wall_ms FROM devices WHERE device_id = ?"));
  st.bind(1, device_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<DeviceRow>{};
  DeviceRow d{st.column_text(0), st.column_text(1), st.column_text(2), st.column_blob(3), st.column_int(4), std::nullopt};
  if (!st.column_is_null(5)) d.revoked_wall_ms = st.column_int(5);
  return std::optional<DeviceRow>{std::move(d)};
}

Status SqliteRepository::revoke_device(std::string_view device_id, std::string_view reason, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE devices SET revoked_wall_ms = ?, revoked_reason = ? WHERE device_id = ? "
                                   "AND revoked_wall_ms IS NULL"));
  st.bind(1, now_ms).bind(2, reason).bind(3, device_id);
  VIGIL_TRY(st.run());
  if (sqlite3_changes(db_.handle()) != 1) {
    return fail(Errc::not_found, "no enrolled, unrevoked device " + std::string(device_id));
  }
  return {};
}

Result<std::optional<SessionRow>> SqliteRepository::session(std::string_view device_id, std::string_view session_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, head_wall_ms, "
                                   "submitted_seq, coalesce(manifest, ''), coalesce(receipt, '') FROM sessions "
                                   "WHERE device_id = ? AND session_id = ?"));
  st.bind(1, device_id).bind(2, session_id);
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
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached(
      "INSERT INTO sessions(device_id, session_id, candidate_id, head_seq, head_hash, head_boot_id, head_mono_ns, "
      "head_wall_ms, first_seen_wall_ms, last_seen_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
      "ON CONFLICT(device_id, session_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash, "
      "head_boot_id = excluded.head_boot_id, head_mono_ns = excluded.head_mono_ns, head_wall_ms = excluded.head_wall_ms, "
      "last_seen_wall_ms = excluded.last_seen_wall_ms WHERE excluded.head_seq >= sessions.head_seq"));
  st.bind(1, s.device_id).bind(2, s.session_id).bind(3, s.candidate_id).bind(4, i64(s.head.seq))
      .bind(5, ByteView(s.head.hash)).bind(6, s.head.boot_id).bind(7, i64(s.head.monotonic_ns)).bind(8, s.head.wall_ms)
      .bind(9, now_ms);
  return st.run();
}

Status SqliteRepository::set_session_submitted(std::string_view device_id, std::string_view session_id,
                                               std::uint64_t seq, std::string_view manifest) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE sessions SET submitted_seq = ?, manifest = ? WHERE device_id = ? AND "
                                   "session_id = ? AND submitted_seq IS NULL"));
  st.bind(1, i64(seq)).bind(2, manifest).bind(3, device_id).bind(4, session_id);
  return st.run();
}

Result<bool> SqliteRepository::submitted_by_candidate(std::string_view session_id, std::string_view candidate_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT 1 FROM sessions WHERE session_id = ? AND candidate_id = ? AND "
                                   "submitted_seq IS NOT NULL LIMIT 1"));
  st.bind(1, session_id).bind(2, candidate_id);
  return st.step();
}

Status SqliteRepository::set_session_receipt(std::string_view device_id, std::string_view session_id,
                                             std::string_view receipt_json) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE sessions SET receipt = ? WHERE device_id = ? AND session_id = ? AND "
                                   "receipt IS NULL"));
  st.bind(1, receipt_json).bind(2, device_id).bind(3, session_id);
  return st.run();
}

Result<std::optional<StoredRecord>> SqliteRepository::record(std::string_view device_id, std::string_view session_id,
                                                             std::uint64_t seq) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash FROM records "
                                   "WHERE device_id = ? AND session_id = ? AND seq = ?"));
  st.bind(1, device_id).bind(2, session_id).bind(3, i64(seq));
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
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO records(device_id, session_id, seq, prev_hash, boot_id, mono_ns, "
                                   "wall_ms, type, payload_hash, payload, received_wall_ms) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  const auto& r = d.record;
  st.bind(1, device_id).bind(2, session_id).bind(3, i64(r.seq)).bind(4, ByteView(r.prev_hash)).bind(5, r.boot_id)
      .bind(6, i64(r.monotonic_ns)).bind(7, r.wall_ms).bind(8, r.type).bind(9, ByteView(r.payload_hash))
      .bind(10, ByteView(d.payload)).bind(11, now_ms);
  return st.run();
}

Status SqliteRepository::insert_checkpoint(std::string_view device_id, std::string_view session_id,
                                           const journal::Checkpoint& c) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO checkpoints(device_id, session_id, seq, head_hash, wall_ms, signature) "
                                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
  st.bind(1, device_id).bind(2, session_id).bind(3, i64(c.seq)).bind(4, ByteView(c.head_hash)).bind(5, c.wall_ms)
      .bind(6, ByteView(c.signature));
  return st.run();
}

Result<bool> SqliteRepository::has_checkpoint(std::string_view device_id, std::string_view session_id, std::uint64_t seq) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT 1 FROM checkpoints WHERE device_id = ? AND session_id = ? AND seq = ?"));
  st.bind(1, device_id).bind(2, session_id).bind(3, i64(seq));
  return st.step();
}

Status SqliteRepository::add_flag(const FlagRow& f, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO integrity_flags(device_id, session_id, seq, kind, detail, "
                                   "created_wall_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
  st.bind(1, f.device_id).bind(2, f.session_id).bind(3, i64(f.seq)).bind(4, f.kind).bind(5, f.detail).bind(6, now_ms);
  return st.run();
}

Result<std::vector<FlagRow>> SqliteRepository::flags(std::string_view device_id, std::string_view session_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT seq, kind, detail FROM integrity_flags WHERE device_id = ? AND "
                                   "session_id = ? ORDER BY flag_id"));
  st.bind(1, device_id).bind(2, session_id);
  return sqlite::collect<FlagRow>(st, [&](const sqlite::Statement& s) {
    return FlagRow{std::string(device_id), std::string(session_id), u64(s.column_int(0)), s.column_text(1), s.column_text(2)};
  });
}

Result<std::uint64_t> SqliteRepository::count_records(std::string_view device_id, std::string_view session_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT count(*) FROM records WHERE device_id = ? AND session_id = ?"));
  st.bind(1, device_id).bind(2, session_id);
  VIGIL_ASSIGN(bool row, st.step());
  (void)row;
  return u64(st.column_int(0));
}

Result<std::optional<BlobRow>> SqliteRepository::blob(std::string_view device_id, ByteView sha256) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT blob_id, size, received, complete_wall_ms FROM blobs WHERE device_id = ? "
                                   "AND sha256 = ?"));
  st.bind(1, device_id).bind(2, sha256);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<BlobRow>{};
  BlobRow b;
  b.blob_id = st.column_int(0);
  std::copy(sha256.begin(), sha256.end(), b.sha256.begin());
  b.size = u64(st.column_int(1));
  b.received = u64(st.column_int(2));
  b.complete = !st.column_is_null(3);
  return std::optional<BlobRow>{b};
}

Result<std::uint64_t> SqliteRepository::device_blob_bytes(std::string_view device_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT coalesce(sum(size), 0) FROM blobs WHERE device_id = ?"));
  st.bind(1, device_id);
  VIGIL_ASSIGN(bool row, st.step());
  (void)row;
  return u64(st.column_int(0));
}

Result<BlobRow> SqliteRepository::create_blob(std::string_view device_id, ByteView sha256, std::uint64_t size) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO blobs(device_id, sha256, size, received, data) VALUES (?, ?, ?, 0, "
                                   "zeroblob(?))"));
  st.bind(1, device_id).bind(2, sha256).bind(3, i64(size)).bind(4, i64(size));
  VIGIL_TRY(st.run());
  BlobRow b;
  b.blob_id = sqlite3_last_insert_rowid(db_.handle());
  std::copy(sha256.begin(), sha256.end(), b.sha256.begin());
  b.size = size;
  return b;
}

Status SqliteRepository::write_blob(const BlobRow& b, std::uint64_t offset, ByteView data) {
  Lock lock(mu_);
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
  Lock lock(mu_);
  sqlite3_blob* h = nullptr;
  Bytes out(length);
  int rc = sqlite3_blob_open(db_.handle(), "main", "blobs", "data", b.blob_id, 0, &h);
  if (rc == SQLITE_OK) rc = sqlite3_blob_read(h, out.data(), static_cast<int>(length), static_cast<int>(offset));
  sqlite3_blob_close(h);
  if (rc != SQLITE_OK) return fail(db_.error(rc, "reading blob data"));
  return out;
}

Status SqliteRepository::set_blob_progress(const BlobRow& b, std::uint64_t received, std::optional<std::int64_t> complete_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE blobs SET received = ?, complete_wall_ms = ? WHERE blob_id = ?"));
  st.bind(1, i64(received));
  if (complete_ms) {
    st.bind(2, *complete_ms);
  } else {
    st.bind_null(2);
  }
  st.bind(3, b.blob_id);
  return st.run();
}

// ---- packages and sittings ----

Status SqliteRepository::add_package(const PackageRow& p, std::string_view marking_scheme_json) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO packages(assessment_id, version, level, title, key_id, content_key_wrapped, "
                                   "plaintext_sha256, package, package_sha256, created_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, p.assessment_id).bind(2, std::int64_t{p.version}).bind(3, p.level).bind(4, p.title).bind(5, p.key_id)
      .bind(6, ByteView(p.content_key_wrapped)).bind(7, ByteView(p.plaintext_sha256)).bind(8, ByteView(p.package))
      .bind(9, ByteView(p.package_sha256)).bind(10, p.created_wall_ms);
  VIGIL_TRY(st.run());
  VIGIL_ASSIGN(auto ms, db_.cached("INSERT INTO marking_schemes(assessment_id, version, scheme) VALUES (?, ?, ?)"));
  ms.bind(1, p.assessment_id).bind(2, std::int64_t{p.version}).bind(3, marking_scheme_json);
  return ms.run();
}

Result<std::optional<PackageRow>> SqliteRepository::package(std::string_view assessment_id, std::uint32_t version,
                                                            bool with_file) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached(with_file
                                       ? "SELECT level, title, key_id, content_key_wrapped, plaintext_sha256, package_sha256, "
                                         "created_wall_ms, package FROM packages WHERE assessment_id = ? AND version = ?"
                                       : "SELECT level, title, key_id, content_key_wrapped, plaintext_sha256, package_sha256, "
                                         "created_wall_ms, length(package) FROM packages WHERE assessment_id = ? AND version = ?"));
  st.bind(1, assessment_id).bind(2, std::int64_t{version});
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<PackageRow>{};
  PackageRow p;
  p.assessment_id = std::string(assessment_id);
  p.version = version;
  p.level = st.column_text(0);
  p.title = st.column_text(1);
  p.key_id = st.column_text(2);
  p.content_key_wrapped = st.column_blob(3);
  p.plaintext_sha256 = st.column_blob(4);
  p.package_sha256 = st.column_blob(5);
  p.created_wall_ms = st.column_int(6);
  if (with_file) p.package = st.column_blob(7);
  return std::optional<PackageRow>{std::move(p)};
}

Result<std::optional<std::uint32_t>> SqliteRepository::latest_package_version(std::string_view assessment_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT max(version) FROM packages WHERE assessment_id = ?"));
  st.bind(1, assessment_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row || st.column_is_null(0)) return std::optional<std::uint32_t>{};
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(st.column_int(0))};
}

Result<std::optional<std::string>> SqliteRepository::marking_scheme(std::string_view assessment_id, std::uint32_t version) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT scheme FROM marking_schemes WHERE assessment_id = ? AND version = ?"));
  st.bind(1, assessment_id).bind(2, std::int64_t{version});
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<std::string>{};
  return std::optional<std::string>{st.column_text(0)};
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
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO sittings(sitting_id, candidate_id, assessment_id, version, "
                                   "scheduled_start_wall_ms, window_end_wall_ms, created_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT(candidate_id, assessment_id) DO UPDATE SET version = excluded.version, "
                                   "scheduled_start_wall_ms = excluded.scheduled_start_wall_ms, "
                                   "window_end_wall_ms = excluded.window_end_wall_ms"));
  st.bind(1, s.sitting_id).bind(2, s.candidate_id).bind(3, s.assessment_id).bind(4, std::int64_t{s.version})
      .bind(5, s.scheduled_start_ms).bind(6, s.window_end_ms).bind(7, now_ms);
  VIGIL_TRY(st.run());
  VIGIL_ASSIGN(auto stored, sitting_of(s.candidate_id, s.assessment_id));
  if (!stored) return fail(Errc::internal, "the sitting was not stored");
  return std::move(*stored);
}

Result<std::optional<SittingRow>> SqliteRepository::sitting(std::string_view sitting_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached(std::string(k_sitting_columns) + "WHERE sitting_id = ?"));
  st.bind(1, sitting_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<SittingRow>{};
  return std::optional<SittingRow>{sitting_from(st)};
}

Result<std::optional<SittingRow>> SqliteRepository::sitting_of(std::string_view candidate_id, std::string_view assessment_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached(std::string(k_sitting_columns) + "WHERE candidate_id = ? AND assessment_id = ?"));
  st.bind(1, candidate_id).bind(2, assessment_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<SittingRow>{};
  return std::optional<SittingRow>{sitting_from(st)};
}

Result<std::vector<SittingRow>> SqliteRepository::sittings_of(std::string_view candidate_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached(std::string(k_sitting_columns) + "WHERE candidate_id = ? ORDER BY scheduled_start_wall_ms, sitting_id"));
  st.bind(1, candidate_id);
  return sqlite::collect<SittingRow>(st, sitting_from);
}

Status SqliteRepository::put_start_code(const StartCodeRow& c) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT OR REPLACE INTO start_codes(sitting_id, salt, scrypt_n, scrypt_r, scrypt_p, nonce, "
                                   "locked_key, issued_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, c.sitting_id).bind(2, ByteView(c.salt)).bind(3, i64(c.scrypt_n)).bind(4, std::int64_t{c.scrypt_r})
      .bind(5, std::int64_t{c.scrypt_p}).bind(6, ByteView(c.nonce)).bind(7, ByteView(c.locked_key)).bind(8, c.issued_wall_ms);
  return st.run();
}

Result<std::optional<StartCodeRow>> SqliteRepository::start_code(std::string_view sitting_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT salt, scrypt_n, scrypt_r, scrypt_p, nonce, locked_key, issued_wall_ms FROM "
                                   "start_codes WHERE sitting_id = ?"));
  st.bind(1, sitting_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<StartCodeRow>{};
  return std::optional<StartCodeRow>{StartCodeRow{std::string(sitting_id), st.column_blob(0), u64(st.column_int(1)),
                                                  static_cast<std::uint32_t>(st.column_int(2)),
                                                  static_cast<std::uint32_t>(st.column_int(3)), st.column_blob(4),
                                                  st.column_blob(5), st.column_int(6)}};
}

Status SqliteRepository::put_sitting_device(std::string_view sitting_id, std::string_view device_id, ByteView kx_public,
                                            std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT INTO sitting_devices(sitting_id, device_id, kx_public, granted_wall_ms) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT(sitting_id, device_id) DO UPDATE SET "
                                   "kx_public = excluded.kx_public, granted_wall_ms = excluded.granted_wall_ms"));
  st.bind(1, sitting_id).bind(2, device_id).bind(3, kx_public).bind(4, now_ms);
  return st.run();
}

Result<std::optional<Bytes>> SqliteRepository::sitting_device_kx(std::string_view sitting_id, std::string_view device_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT kx_public FROM sitting_devices WHERE sitting_id = ? AND device_id = ?"));
  st.bind(1, sitting_id).bind(2, device_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<Bytes>{};
  return std::optional<Bytes>{st.column_blob(0)};
}

Status SqliteRepository::mark_key_released(std::string_view sitting_id, std::string_view device_id, std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("UPDATE sitting_devices SET key_released_wall_ms = coalesce(key_released_wall_ms, ?) "
                                   "WHERE sitting_id = ? AND device_id = ?"));
  st.bind(1, now_ms).bind(2, sitting_id).bind(3, device_id);
  return st.run();
}

Status SqliteRepository::set_accommodations(std::string_view candidate_id, const assessment::Accommodations& a,
                                            std::int64_t now_ms) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("INSERT OR REPLACE INTO candidate_accommodations(candidate_id, extra_time_percent, "
                                   "extra_break_minutes, knowledge_only, updated_wall_ms) VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, candidate_id).bind(2, std::int64_t{a.extra_time_percent}).bind(3, std::int64_t{a.extra_break_minutes})
      .bind(4, std::int64_t{a.knowledge_only ? 1 : 0}).bind(5, now_ms);
  return st.run();
}

Result<assessment::Accommodations> SqliteRepository::accommodations(std::string_view candidate_id) {
  Lock lock(mu_);
  VIGIL_ASSIGN(auto st, db_.cached("SELECT extra_time_percent, extra_break_minutes, knowledge_only FROM "
                                   "candidate_accommodations WHERE candidate_id = ?"));
  st.bind(1, candidate_id);
  VIGIL_ASSIGN(bool row, st.step());
  assessment::Accommodations a;
  if (!row) return a;
  a.extra_time_percent = static_cast<std::uint32_t>(st.column_int(0));
  a.extra_break_minutes = static_cast<std::uint32_t>(st.column_int(1));
  a.knowledge_only = st.column_int(2) != 0;
  return a;
}

}  // namespace vigil::server
