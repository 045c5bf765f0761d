#pragma once
// The embedded default Repository: one SQLite database in WAL mode (synchronous=FULL), numbered
// migrations embedded in the binary. Serialised by a mutex: SQLite has one writer at a time
// anyway, and every request's work here is short.
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "server/storage/repository.hpp"
#include "shared/sqlite/sqlite.hpp"

namespace vigil::server {

class SqliteRepository final : public Repository {
  template <class Make>
  using RowOf = std::decay_t<std::invoke_result_t<Make&, const sqlite::Statement&>>;

 public:
  // sqlite_vfs: the fault-injection seam for tests (tests/support/power_cut_vfs.hpp); nullptr, the
  // default, is what the server runs with.
  static Result<std::unique_ptr<SqliteRepository>> open(const std::filesystem::path& db_path,
                                                        const char* sqlite_vfs = nullptr);

  Status transaction(const std::function<Status()>& fn) override;

  Status add_council(std::string_view council_id, std::string_view name, std::int64_t now_ms) override;
  Status add_candidate(const CandidateRow& c, std::int64_t now_ms) override;
  Result<std::optional<CandidateRow>> candidate(std::string_view candidate_id) override;
  Result<bool> candidate_withdrawn(std::string_view candidate_id) override;
  Status add_audit(std::string_view action, std::string_view target, std::string_view detail, std::int64_t now_ms) override;

  Status add_enrolment_code(const EnrolmentCodeRow& code, std::int64_t now_ms) override;
  Result<std::optional<EnrolmentCodeRow>> enrolment_code(std::string_view handle) override;
  Status count_failed_enrolment(std::string_view handle) override;
  Result<std::int64_t> expire_enrolment_codes(std::string_view candidate_id, std::int64_t now_ms) override;
  Status mark_enrolment_code_used(std::string_view handle, std::string_view device_id, std::int64_t now_ms) override;

  Status add_device(const DeviceRow& d) override;
  Result<std::optional<DeviceRow>> device(std::string_view device_id) override;
  Status revoke_device(std::string_view device_id, std::string_view reason, std::int64_t now_ms) override;

  Result<std::optional<SessionRow>> session(std::string_view device_id, std::string_view session_id) override;
  Status put_session_head(const SessionRow& s, std::int64_t now_ms) override;
  Status set_session_submitted(std::string_view device_id, std::string_view session_id, std::uint64_t seq,
                               std::string_view manifest) override;
  Result<bool> submitted_by_candidate(std::string_view session_id, std::string_view candidate_id) override;
  Status set_session_receipt(std::string_view device_id, std::string_view session_id,
                             std::string_view receipt_json) override;

  Result<std::optional<StoredRecord>> record(std::string_view device_id, std::string_view session_id,
                                             std::uint64_t seq) override;
  Status insert_record(std::string_view device_id, std::string_view session_id, const protocol::RecordDto& r,
                       std::int64_t now_ms) override;
  Status insert_checkpoint(std::string_view device_id, std::string_view session_id,
                           const journal::Checkpoint& c) override;
  Result<bool> has_checkpoint(std::string_view device_id, std::string_view session_id, std::uint64_t seq) override;
  Status add_flag(const FlagRow& f, std::int64_t now_ms) override;
  Result<std::vector<FlagRow>> flags(std::string_view device_id, std::string_view session_id) override;
  Result<std::uint64_t> count_records(std::string_view device_id, std::string_view session_id) override;

  Result<std::optional<BlobRow>> blob(std::string_view device_id, ByteView sha256) override;
  Result<std::uint64_t> device_blob_bytes(std::string_view device_id) override;
  Result<BlobRow> create_blob(std::string_view device_id, ByteView sha256, std::uint64_t size) override;
  Status write_blob(const BlobRow& b, std::uint64_t offset, ByteView data) override;
  Result<Bytes> read_blob(const BlobRow& b, std::uint64_t offset, std::size_t length) override;
  Status set_blob_progress(const BlobRow& b, std::uint64_t received, std::optional<std::int64_t> complete_ms) override;

  // For the staff and results repositories (server/storage/staff_sqlite_repository.hpp,
  // results_repository), which share this connection, its lock and therefore its transactions.
  sqlite::Db& db() noexcept { return db_; }
  // Holds the connection's lock until the returned guard goes: for a method whose statements must
  // see one state of the database (it is recursive, so the calls below may run inside it).
  [[nodiscard]] std::unique_lock<std::recursive_mutex> hold() { return std::unique_lock(mu_); }

  // One cached statement under the lock, args bound to its parameters 1, 2, ... in order
  // (sqlite::Statement::bind_all). Every repository on this connection runs its single-statement
  // methods through these; a method whose statements must see one consistent database holds
  // hold() (or a transaction) around them itself.
  //   run: no rows expected.  changes: run, then how many rows it changed.
  //   exists: whether it returns a row.  one / collect: sqlite::one / sqlite::collect with make.
  template <class... Args>
  Status run(std::string_view sql, const Args&... args) {
    const auto lock = hold();
    VIGIL_ASSIGN(auto st, bound(sql, args...));
    return st.run();
  }
  template <class... Args>
  Result<std::int64_t> changes(std::string_view sql, const Args&... args) {
    const auto lock = hold();
    VIGIL_TRY(run(sql, args...));
    return static_cast<std::int64_t>(sqlite3_changes(db_.handle()));
  }
  template <class... Args>
  Result<bool> exists(std::string_view sql, const Args&... args) {
    const auto lock = hold();
    VIGIL_ASSIGN(auto st, bound(sql, args...));
    return st.step();
  }
  template <class Make, class... Args>
  Result<std::optional<RowOf<Make>>> one(std::string_view sql, Make make, const Args&... args) {
    const auto lock = hold();
    VIGIL_ASSIGN(auto st, bound(sql, args...));
    return sqlite::one<RowOf<Make>>(st, make);
  }
  template <class Make, class... Args>
  Result<std::vector<RowOf<Make>>> collect(std::string_view sql, Make make, const Args&... args) {
    const auto lock = hold();
    VIGIL_ASSIGN(auto st, bound(sql, args...));
    return sqlite::collect<RowOf<Make>>(st, make);
  }

  Status add_package(const PackageRow& p, std::string_view marking_scheme_json) override;
  Result<std::optional<PackageRow>> package(std::string_view assessment_id, std::uint32_t version,
                                            bool with_file = true) override;
  Result<std::optional<std::uint32_t>> latest_package_version(std::string_view assessment_id) override;
  Result<std::optional<std::string>> marking_scheme(std::string_view assessment_id, std::uint32_t version) override;
  Result<SittingRow> put_sitting(const SittingRow& s, std::int64_t now_ms) override;
  Result<std::optional<SittingRow>> sitting(std::string_view sitting_id) override;
  Result<std::optional<SittingRow>> sitting_of(std::string_view candidate_id, std::string_view assessment_id) override;
  Result<std::vector<SittingRow>> sittings_of(std::string_view candidate_id) override;
  Status put_start_code(const StartCodeRow& c) override;
  Result<std::optional<StartCodeRow>> start_code(std::string_view sitting_id) override;
  Status put_sitting_device(std::string_view sitting_id, std::string_view device_id, ByteView kx_public,
                            std::int64_t now_ms) override;
  Result<std::optional<Bytes>> sitting_device_kx(std::string_view sitting_id, std::string_view device_id) override;
  Status mark_key_released(std::string_view sitting_id, std::string_view device_id, std::int64_t now_ms) override;
  Status set_accommodations(std::string_view candidate_id, const assessment::Accommodations& a, std::int64_t now_ms) override;
  Result<assessment::Accommodations> accommodations(std::string_view candidate_id) override;
 private:
  SqliteRepository() = default;
  template <class... Args>
  Result<sqlite::Statement> bound(std::string_view sql, const Args&... args) {
    VIGIL_ASSIGN(auto st, db_.cached(sql));
    st.bind_all(args...);
    return st;
  }
  std::recursive_mutex mu_;  // transaction() holds it while fn calls the other methods
  sqlite::Db db_;
};

}  // namespace vigil::server
