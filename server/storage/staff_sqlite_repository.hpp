#pragma once
// StaffRepository on the server's SQLite database, sharing SqliteRepository's connection and lock
// so that a change spanning both (an endorsement adds a candidate) is one transaction.
#include "server/storage/sqlite_repository.hpp"
#include "server/storage/staff_repository.hpp"

namespace vigil::server {

class SqliteStaffRepository final : public StaffRepository {
 public:
  explicit SqliteStaffRepository(SqliteRepository& base) : base_(base) {}

  Result<std::int64_t> add_user(const StaffUser& u, std::int64_t now_ms) override;
  Result<std::optional<StaffUser>> user_by_email(std::string_view email) override;
  Result<std::optional<StaffUser>> user(std::int64_t user_id) override;
  Result<std::vector<StaffUser>> users(std::int64_t limit) override;
  Status set_login_failures(std::int64_t user_id, std::int64_t failed, std::int64_t locked_until_ms) override;
  Status disable_user(std::int64_t user_id, std::int64_t now_ms) override;
  Result<std::vector<std::pair<std::string, std::string>>> councils() override;
  Status set_password(std::int64_t user_id, ByteView salt, ByteView hash, bool must_change, std::int64_t expires_ms,
                      ByteView keep_session) override;
  Status set_totp_pending(std::int64_t user_id, ByteView secret) override;
  Status confirm_totp(std::int64_t user_id, ByteView secret, std::int64_t step,
                      const std::vector<Bytes>& recovery_hashes) override;
  Status remove_totp(std::int64_t user_id) override;
  Result<bool> accept_totp_step(std::int64_t user_id, std::int64_t step) override;
  Result<bool> use_recovery_code(std::int64_t user_id, ByteView code_hash, std::int64_t now_ms) override;
  Result<std::int64_t> recovery_codes_left(std::int64_t user_id) override;
  Result<std::int64_t> throttle_attempt(const std::vector<ThrottleRule>& rules, std::int64_t now_ms) override;
  Status throttle_success(const std::vector<std::string>& forget, const std::vector<std::string>& refund) override;
  Status clear_throttle_for(std::string_view email) override;
  Status count_login_failure(std::optional<std::int64_t> user_id, std::string_view address, bool throttled,
                             std::int64_t now_ms) override;
  Result<LoginFailures> take_login_failures(std::int64_t user_id) override;

  Status add_staff_session(ByteView token_hash, const StaffSessionRow& s, std::int64_t now_ms) override;
  Result<std::optional<StaffSessionRow>> staff_session(ByteView token_hash, std::int64_t now_ms) override;
  Status delete_staff_session(ByteView token_hash) override;
  Status touch_staff_session(ByteView token_hash, std::int64_t now_ms) override;
  Status set_staff_session_auth(ByteView token_hash, bool mfa_ok, std::int64_t reauth_ms) override;

  Status add_endorsement(const EndorsementRow& e, std::int64_t endorsed_by, std::int64_t now_ms) override;
  Result<std::optional<EndorsementRow>> endorsement(std::string_view candidate_id) override;
  Result<bool> employee_ref_taken(std::string_view council_id, std::string_view employee_ref) override;
  Result<bool> work_email_taken(std::string_view council_id, std::string_view email) override;
  Result<bool> candidate_id_taken(std::string_view candidate_id) override;
  Status withdraw(std::string_view candidate_id, std::string_view reason, std::int64_t now_ms) override;
  Status set_headcount(std::string_view council_id, std::int64_t eligible, std::int64_t now_ms) override;
  Result<std::vector<std::string>> candidates_needing_codes(std::string_view council_id, std::int64_t now_ms,
                                                            std::int64_t limit) override;

  Result<StatusPage> status(const StatusQuery& q) override;
  Result<StatusSummary> status_summary(std::string_view council_id) override;

  Result<std::vector<QueueEntry>> queue(std::optional<std::int64_t> proctor_id, std::string_view state,
                                        std::int64_t limit) override;
  Result<std::optional<QueueEntry>> review_session(std::string_view device_id, std::string_view session_id) override;
  Result<std::vector<ReviewFlagRow>> review_flags(std::string_view device_id, std::string_view session_id) override;
  Result<TimelinePage> timeline(std::string_view device_id, std::string_view session_id, std::uint64_t after_seq,
                                std::int64_t limit, std::size_t max_bytes) override;
  Result<std::vector<std::int64_t>> assigned_proctors(std::string_view device_id, std::string_view session_id) override;
  Status assign(std::string_view device_id, std::string_view session_id, std::int64_t proctor_id, std::int64_t by,
                std::int64_t now_ms) override;
  Result<bool> session_references_blob(std::string_view device_id, std::string_view session_id,
                                       std::string_view sha_hex) override;
  Status decide_flag(std::int64_t flag_row, std::string_view device_id, std::string_view session_id,
                     std::string_view decision, std::string_view note, std::int64_t by, std::int64_t now_ms) override;
  Status add_session_decision(std::string_view device_id, std::string_view session_id, const DecisionRow& d) override;
  Status set_review_state(std::string_view device_id, std::string_view session_id, std::string_view state,
                          std::string_view proposed, std::int64_t proposed_by, std::string_view decision, bool disputed,
                          std::int64_t now_ms) override;
  Result<std::vector<DecisionRow>> decisions(std::string_view device_id, std::string_view session_id) override;
  Result<std::vector<QueueEntry>> reviews_of_sitting(std::string_view sitting_id, std::string_view candidate_id) override;

  Status audit(const AuditEntry& e) override;
  Result<std::vector<AuditLine>> audit_entries(std::int64_t before, std::int64_t limit) override;

  // Identity checks: staff_sqlite_identity.cpp.
  Result<std::vector<IdentityCheckRow>> identity_queue(std::optional<std::int64_t> proctor_id, std::int64_t limit) override;
  Result<std::optional<IdentityCheckRow>> identity_check(std::string_view device_id, std::string_view session_id) override;
  Status assign_identity(std::string_view device_id, std::string_view session_id, bool second,
                         std::int64_t proctor_id) override;
  Status decide_identity(std::string_view device_id, std::string_view session_id, const IdentityDecisionRow& d,
                         std::string_view state, std::string_view proposed, std::int64_t proposed_by,
                         std::string_view decision) override;
  Result<std::vector<IdentityDecisionRow>> identity_decisions(std::string_view device_id, std::string_view session_id) override;
  Result<std::vector<IdentityCheckRow>> identity_checks_of_sitting(std::string_view sitting_id,
                                                                   std::string_view candidate_id) override;
  Result<IdentityEvidence> identity_evidence(std::string_view device_id, std::string_view session_id,
                                             std::int64_t max_thumbnails) override;

  // Workload: staff_sqlite_identity.cpp.
  Result<std::optional<std::int64_t>> least_loaded_proctor(WorkKind kind, std::string_view device_id,
                                                           std::string_view session_id) override;
  Result<std::optional<std::int64_t>> assign_next_proctor(WorkKind kind, std::string_view device_id,
                                                          std::string_view session_id, std::int64_t now_ms) override;
  Result<std::int64_t> assign_waiting_work(std::int64_t now_ms) override;
  Status reassign_work(WorkKind kind, std::string_view device_id, std::string_view session_id, std::int64_t to,
                       std::int64_t by, std::int64_t now_ms) override;
  Result<std::vector<WorkItem>> open_work(std::optional<std::int64_t> proctor_id, std::int64_t limit) override;
  Result<std::vector<std::int64_t>> waiting_on(WorkKind kind, std::string_view device_id,
                                               std::string_view session_id) override;
  Result<std::vector<ProctorLoad>> workload() override;

 private:
  SqliteRepository& base_;
};

}  // namespace vigil::server
