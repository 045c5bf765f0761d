#pragma once
// StaffRepository: what the staff API (server/staff/staff_api.hpp) stores and reads: staff
// accounts and their browser sessions, endorsements, completion status, the proctor review
// queue, decisions and the audit log. Separate from Repository (the device API's storage) but
// sharing its database and transactions: run a multi-step change inside Repository::transaction.
//
// Invariants the implementations keep:
//  (1) The audit log is append-only (the schema refuses UPDATE and DELETE).
//  (2) Every list is bounded by a limit the caller passes.
//  (3) Completion status is derived from what the device API stores (devices, sessions,
//      receipts, review state); nothing here duplicates it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/storage/repository.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::server {

// assessor: marks written answers blind (docs/STAFF.md "Assessors"); sees nothing else.
enum class Role { programme_admin, council_manager, proctor, assessor };
std::string_view role_name(Role r) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;

struct StaffUser {
  std::int64_t user_id = 0;
  std::string email;
  std::string display_name;
  Role role = Role::proctor;
  std::string council_id;   // council managers only
  Bytes password_salt;
  Bytes password_hash;
  std::int64_t failed_logins = 0;          // before schema 9; sign-in throttling is login_throttle now
  std::int64_t locked_until_wall_ms = 0;   // before schema 9
  bool disabled = false;
  // Schema 9 (issue 13): a one-time password must be changed at the next sign-in and stops
  // working at password_expires_wall_ms (0: no deadline).
  bool must_change_password = false;
  std::int64_t password_expires_wall_ms = 0;
  Bytes totp_secret;           // empty: no second factor
  Bytes totp_pending_secret;   // an enrolment not yet confirmed with a code
  std::int64_t totp_last_step = -1;
};

struct StaffSessionRow {
  std::int64_t user_id = 0;
  std::string csrf_token;
  std::int64_t expires_wall_ms = 0;
  std::int64_t last_seen_wall_ms = 0;   // idle timeout
  bool mfa_ok = true;                   // false: the second factor is still owed
  std::int64_t reauth_wall_ms = 0;      // when the password (and code) were last entered
};

// One sign-in throttle: its key (an email, an address or both: never whether an account exists),
// the attempts it allows before a block (a successful one is given back), then a block that starts at base_ms and doubles per failure up to
// cap_ms; failures leak away at one per leak_ms.
struct ThrottleRule {
  std::string key;
  std::int64_t free = 5;
  std::int64_t base_ms = 30'000;
  std::int64_t cap_ms = 15 * 60'000;
  std::int64_t leak_ms = 10 * 60'000;
};

// Failed sign-ins since the account's last successful one (StaffRepository::take_login_failures).
struct LoginFailures {
  std::int64_t failures = 0;
  std::int64_t last_wall_ms = 0;
  std::string last_address;
};

struct EndorsementRow {
  CandidateRow candidate;
  std::string employee_ref;
  std::string exemptions;   // "" or "knowledge_only" (exempt from the scenario and written sections)
  std::int64_t extra_time_percent = 0;
  std::int64_t extra_break_minutes = 0;
  std::optional<std::int64_t> withdrawn_wall_ms;
};

// Completion states, in the order a candidate moves through them.
//   endorsed, enrolled, package_downloaded (a device asked for a sitting's grant), in_progress,
//   under_review (submitted; the identity check or a proctor review is not finished), submitted
//   and received (checks finished, waiting for the release), result_released; or, by a decision
//   of two proctors, void_after_review or withheld_identity; or withdrawn. From under_review on,
//   the state of the candidate's current sitting (shared/results/outcome.hpp, schema 12).
struct CandidateStatusRow {
  std::string candidate_id;
  std::string council_id;
  std::string full_name;
  std::string work_email;
  std::string employee_ref;
  std::string level;
  std::string status;
  std::optional<std::int64_t> last_seen_wall_ms;
  std::string outcome;   // met | not_met: the latest released result (results table), until a resit is scheduled
  bool reendorsed = false;  // re-endorsed for a resit that is not scheduled yet (server/results/resits.hpp)
  std::int64_t attempt = 1; // of the candidate's current sitting
  std::string public_reason;  // void_after_review, withheld_identity: the decision's public reason
  std::string appeal;         // the current sitting's latest appeal: "", open, upheld or overturned (schema 14)
};

struct StatusQuery {
  std::string council_id;   // empty: every council (programme admins)
  std::string status;       // empty: any
  std::string search;       // in name, email or employee reference; empty: any
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};

struct StatusPage {
  std::vector<CandidateStatusRow> rows;
  std::int64_t total = 0;
};

struct StatusSummary {
  std::vector<std::pair<std::string, std::int64_t>> by_status;
  std::int64_t eligible_headcount = -1;   // -1: not set
  std::int64_t met = 0;
};

struct QueueEntry {
  std::string device_id;
  std::string session_id;
  std::string candidate_id;
  std::int64_t flag_count = 0;
  std::int64_t max_severity = 0;
  double max_confidence = 0;
  std::int64_t first_flag_wall_ms = 0;
  std::string state;
  std::string proposed_decision;
  std::int64_t proposed_by = 0;
  std::string decision;       // the current round's, once decided
  std::int64_t round = 1;     // review round: a flag after a decision opens the next (schema 8)
  bool disputed = false;      // two proctors disagreed in this round: a third must decide
};

struct ReviewFlagRow {
  std::int64_t flag_row = 0;
  std::uint64_t seq = 0;
  std::string source;
  std::string flag_id;
  std::string check;
  std::int64_t severity = 0;
  double confidence = 0;
  std::int64_t start_wall_ms = 0;
  std::optional<std::int64_t> end_wall_ms;
  std::vector<std::string> evidence;
  std::string decision;
  std::string decision_note;
  std::int64_t decided_by = 0;
};

struct TimelineEvent {
  std::uint64_t seq = 0;
  std::int64_t wall_ms = 0;
  std::string type;
  std::string payload;
};

struct DecisionRow {
  std::int64_t proctor_id = 0;
  std::string decision;
  std::string note;            // the proctor's own reasons: shown on the review pages only
  std::int64_t wall_ms = 0;
  std::int64_t round = 1;
  std::string public_reason;   // an adverse decision's reason for the candidate and council (schema 12)
};

// One page of a session's timeline: events after a sequence number, bounded by count and bytes.
struct TimelinePage {
  std::vector<TimelineEvent> events;
  bool more = false;  // events after the last one remain: ask again from its seq
};

struct AuditEntry {
  std::int64_t audit_id = 0;
  std::int64_t wall_ms = 0;
  std::optional<std::int64_t> user_id;
  std::string action;
  std::string target;
  std::string detail;
};

// An entry as the audit log shows it: who acted, in words (the user's display name and email,
// "command line", "device", or "not signed in" for sign-in failures logged before schema 9).
struct AuditLine : AuditEntry {
  std::string who;
};

// An identity check (schema 11): one per submitted session, with its candidate's roster name and
// level.
struct IdentityCheckRow {
  std::string device_id;
  std::string session_id;
  std::string candidate_id;
  std::string full_name;
  std::string level;
  std::int64_t created_wall_ms = 0;
  std::int64_t proctor_id = 0;          // 0: not assigned
  std::int64_t second_proctor_id = 0;   // 0: none
  std::string state;                    // open | awaiting_second | decided
  std::string proposed_decision;
  std::int64_t proposed_by = 0;
  std::string decision;                 // matches | does_not_match, once decided
  std::int64_t decided_wall_ms = 0;
};

struct IdentityDecisionRow {
  std::int64_t proctor_id = 0;
  int stage = 1;
  std::string decision;
  std::string note;            // the proctor's own reasons: shown on the identity pages only
  std::int64_t wall_ms = 0;
  std::string public_reason;   // a "does not match"'s reason for the candidate and council (schema 12)
};

// What the session's journal says about its identity step: the sealed photos' blob hashes (from
// its identity.checked record; empty when the candidate took none) and its first thumbnails.
struct IdentityEvidence {
  std::string face_photo;
  std::string id_photo;
  std::vector<std::string> thumbnails;
};

// A proctor's work (schema 13, migrations/013_proctor_workload.sql): a flagged session's review or
// an identity check, and who it waits on.
enum class WorkKind { review, identity };
std::string_view work_kind_name(WorkKind k) noexcept;

struct WorkItem {
  WorkKind kind = WorkKind::review;
  std::string device_id;
  std::string session_id;
  std::string candidate_id;
  std::string full_name;            // the roster's
  std::int64_t since_wall_ms = 0;   // a review: its first flag; an identity check: its submission
  std::int64_t proctor_id = 0;      // who it waits on; 0: nobody yet
  std::string part;                 // first | second (a review's third proctor after a disagreement: first)
  std::string state;                // open | awaiting_second
};

// One active proctor's load: what waits on them (schema 13 invariant 2).
struct ProctorLoad {
  std::int64_t proctor_id = 0;
  std::string display_name;
  std::int64_t open_reviews = 0;
  std::int64_t open_identity_checks = 0;
  std::optional<std::int64_t> oldest_since_wall_ms;   // none: nothing waits on them
};

class StaffRepository {
 public:
  virtual ~StaffRepository() = default;

  // Staff accounts.
  virtual Result<std::int64_t> add_user(const StaffUser& u, std::int64_t now_ms) = 0;
  virtual Result<std::optional<StaffUser>> user_by_email(std::string_view email) = 0;
  virtual Result<std::optional<StaffUser>> user(std::int64_t user_id) = 0;
  virtual Result<std::vector<StaffUser>> users(std::int64_t limit) = 0;
  virtual Status set_login_failures(std::int64_t user_id, std::int64_t failed, std::int64_t locked_until_ms) = 0;
  // Disables the account and ends its browser sessions.
  virtual Status disable_user(std::int64_t user_id, std::int64_t now_ms) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> councils() = 0;
  // A new password hash; must_change marks it one-time (schema 9 invariant 1), expiring at
  // expires_ms (0: never). Ends the account's browser sessions except keep_session (may be empty).
  virtual Status set_password(std::int64_t user_id, ByteView salt, ByteView hash, bool must_change, std::int64_t expires_ms,
                              ByteView keep_session) = 0;
  // TOTP: a pending secret (not yet in force), confirming it (with its recovery code hashes,
  // replacing any earlier ones), removing the factor, and accepting a time step: true only if
  // `step` is later than every step accepted before (replay refused atomically).
  virtual Status set_totp_pending(std::int64_t user_id, ByteView secret) = 0;
  virtual Status confirm_totp(std::int64_t user_id, ByteView secret, std::int64_t step,
                              const std::vector<Bytes>& recovery_hashes) = 0;
  virtual Status remove_totp(std::int64_t user_id) = 0;
  virtual Result<bool> accept_totp_step(std::int64_t user_id, std::int64_t step) = 0;
  // Spends a recovery code: true if it was one of the account's and unused.
  virtual Result<bool> use_recovery_code(std::int64_t user_id, ByteView code_hash, std::int64_t now_ms) = 0;
  virtual Result<std::int64_t> recovery_codes_left(std::int64_t user_id) = 0;

  // Sign-in throttling (schema 9 invariant 4). Counts one attempt against each rule in order,
  // stopping at the first rule whose block is in force; returns 0 if every rule allowed it, or
  // when the blocking rule's block ends.
  virtual Result<std::int64_t> throttle_attempt(const std::vector<ThrottleRule>& rules, std::int64_t now_ms) = 0;
  // After a successful attempt: forgets `forget` and gives back the attempt counted on `refund`.
  virtual Status throttle_success(const std::vector<std::string>& forget, const std::vector<std::string>& refund) = 0;
  // Every throttle keyed on this email (an admin's unlock).
  virtual Status clear_throttle_for(std::string_view email) = 0;
  // Failed sign-ins (schema 9 invariant 5): counted per account (user_id set) and per hour.
  virtual Status count_login_failure(std::optional<std::int64_t> user_id, std::string_view address, bool throttled,
                                     std::int64_t now_ms) = 0;
  // The failures since the last successful sign-in, which are then forgotten.
  virtual Result<LoginFailures> take_login_failures(std::int64_t user_id) = 0;

  // Browser sessions (keyed by the SHA-256 of the cookie token).
  virtual Status add_staff_session(ByteView token_hash, const StaffSessionRow& s, std::int64_t now_ms) = 0;
  virtual Result<std::optional<StaffSessionRow>> staff_session(ByteView token_hash, std::int64_t now_ms) = 0;
  virtual Status delete_staff_session(ByteView token_hash) = 0;
  // Marks activity (the idle timeout), and records a completed second factor or re-authentication.
  virtual Status touch_staff_session(ByteView token_hash, std::int64_t now_ms) = 0;
  virtual Status set_staff_session_auth(ByteView token_hash, bool mfa_ok, std::int64_t reauth_ms) = 0;

  // Endorsements: the roster. Every candidate has one row, however they were added (schema 10
  // invariant 1: Repository::add_candidate writes it); add_endorsement adds the candidate with the
  // council's details (employee reference, exemptions, extra time) and their accommodations.
  virtual Status add_endorsement(const EndorsementRow& e, std::int64_t endorsed_by, std::int64_t now_ms) = 0;
  virtual Result<std::optional<EndorsementRow>> endorsement(std::string_view candidate_id) = 0;
  // True if the council already has a candidate with this employee reference or work email.
  virtual Result<bool> employee_ref_taken(std::string_view council_id, std::string_view employee_ref) = 0;
  virtual Result<bool> work_email_taken(std::string_view council_id, std::string_view email) = 0;
  virtual Result<bool> candidate_id_taken(std::string_view candidate_id) = 0;
  virtual Status withdraw(std::string_view candidate_id, std::string_view reason, std::int64_t now_ms) = 0;
  virtual Status set_headcount(std::string_view council_id, std::int64_t eligible, std::int64_t now_ms) = 0;
  // Endorsed, not withdrawn, not enrolled, and holding no usable enrolment code.
  virtual Result<std::vector<std::string>> candidates_needing_codes(std::string_view council_id, std::int64_t now_ms,
                                                                    std::int64_t limit) = 0;

  // Completion status (3).
  virtual Result<StatusPage> status(const StatusQuery& q) = 0;
  virtual Result<StatusSummary> status_summary(std::string_view council_id) = 0;

  // Review.
  // proctor_id set: only sessions assigned to that proctor. state empty: sessions not decided.
  virtual Result<std::vector<QueueEntry>> queue(std::optional<std::int64_t> proctor_id, std::string_view state,
                                                std::int64_t limit) = 0;
  virtual Result<std::optional<QueueEntry>> review_session(std::string_view device_id, std::string_view session_id) = 0;
  virtual Result<std::vector<ReviewFlagRow>> review_flags(std::string_view device_id, std::string_view session_id) = 0;
  // Events with seq > after_seq in order, at most `limit` of them and, after the first, no more
  // than max_bytes of payload in all (a device's payloads are up to 1 MiB each).
  virtual Result<TimelinePage> timeline(std::string_view device_id, std::string_view session_id, std::uint64_t after_seq,
                                        std::int64_t limit, std::size_t max_bytes) = 0;
  virtual Result<std::vector<std::int64_t>> assigned_proctors(std::string_view device_id, std::string_view session_id) = 0;
  virtual Status assign(std::string_view device_id, std::string_view session_id, std::int64_t proctor_id,
                        std::int64_t by, std::int64_t now_ms) = 0;
  // True if the session's journal references this blob (a flag's evidence, a thumbnail, identity
  // photos, the submission manifest).
  virtual Result<bool> session_references_blob(std::string_view device_id, std::string_view session_id,
                                               std::string_view sha_hex) = 0;
  virtual Status decide_flag(std::int64_t flag_row, std::string_view device_id, std::string_view session_id,
                             std::string_view decision, std::string_view note, std::int64_t by, std::int64_t now_ms) = 0;
  virtual Status add_session_decision(std::string_view device_id, std::string_view session_id, const DecisionRow& d) = 0;
  virtual Status set_review_state(std::string_view device_id, std::string_view session_id, std::string_view state,
                                  std::string_view proposed, std::int64_t proposed_by, std::string_view decision, bool disputed,
                                  std::int64_t now_ms) = 0;
  virtual Result<std::vector<DecisionRow>> decisions(std::string_view device_id, std::string_view session_id) = 0;
  // The reviews of a sitting's sessions on its own candidate's devices (the admin's withheld list
  // links to them); at most 20.
  virtual Result<std::vector<QueueEntry>> reviews_of_sitting(std::string_view sitting_id, std::string_view candidate_id) = 0;

  // Identity checks (schema 11). proctor_id set: the checks waiting for that proctor (open and
  // theirs, or awaiting them as the second); unset: every check not decided. Oldest first.
  virtual Result<std::vector<IdentityCheckRow>> identity_queue(std::optional<std::int64_t> proctor_id,
                                                               std::int64_t limit) = 0;
  virtual Result<std::optional<IdentityCheckRow>> identity_check(std::string_view device_id,
                                                                 std::string_view session_id) = 0;
  // Sets the first (second = false) or second proctor of a check that is not decided.
  virtual Status assign_identity(std::string_view device_id, std::string_view session_id, bool second,
                                 std::int64_t proctor_id) = 0;
  // Records a decision and moves the check on; conflict if the check was decided meanwhile. The
  // decision is written first, so that a "does not match" that decides the check withholds the
  // result with its public reason (schema 12 invariant 4).
  virtual Status decide_identity(std::string_view device_id, std::string_view session_id, const IdentityDecisionRow& d,
                                 std::string_view state, std::string_view proposed, std::int64_t proposed_by,
                                 std::string_view decision) = 0;
  virtual Result<std::vector<IdentityDecisionRow>> identity_decisions(std::string_view device_id,
                                                                      std::string_view session_id) = 0;
  // The identity checks of a sitting's sessions on its own candidate's devices; at most 20.
  virtual Result<std::vector<IdentityCheckRow>> identity_checks_of_sitting(std::string_view sitting_id,
                                                                           std::string_view candidate_id) = 0;
  // At most max_thumbnails thumbnails.
  virtual Result<IdentityEvidence> identity_evidence(std::string_view device_id, std::string_view session_id,
                                                     std::int64_t max_thumbnails) = 0;

  // Workload (schema 13): the one rule for giving reviews and identity checks to proctors.
  // The least-loaded active proctor (fewest reviews and identity checks waiting on them, then the
  // lowest user id) who took no part in this item (assigned to it, or decided it or its flags).
  virtual Result<std::optional<std::int64_t>> least_loaded_proctor(WorkKind kind, std::string_view device_id,
                                                                   std::string_view session_id) = 0;
  // If nobody active waits on the item (not decided), gives its next step to least_loaded_proctor:
  // a review gains an assignment (assigned_by 0), an open identity check its first proctor, one
  // awaiting a second its second. Returns who, or nullopt (nothing to do, or no proctor free).
  virtual Result<std::optional<std::int64_t>> assign_next_proctor(WorkKind kind, std::string_view device_id,
                                                                  std::string_view session_id, std::int64_t now_ms) = 0;
  // assign_next_proctor for every item nobody active waits on, oldest first; returns how many were
  // assigned. add_user (a proctor) and disable_user run it themselves.
  virtual Result<std::int64_t> assign_waiting_work(std::int64_t now_ms) = 0;
  // An admin's reassignment: the item's waiting step moves to `to` (a review: the assignments of
  // those waiting on it are removed and `to` added; an identity check: its first or second
  // proctor). conflict if it is decided or `to` took part in it.
  virtual Status reassign_work(WorkKind kind, std::string_view device_id, std::string_view session_id, std::int64_t to,
                               std::int64_t by, std::int64_t now_ms) = 0;
  // Work not decided, oldest first: what waits on `proctor_id`, or (nullopt) every item with whom
  // it waits on (one row per waiting proctor; proctor_id 0 when nobody does).
  virtual Result<std::vector<WorkItem>> open_work(std::optional<std::int64_t> proctor_id, std::int64_t limit) = 0;
  // The proctors the item waits on now (open_work), disabled ones included.
  virtual Result<std::vector<std::int64_t>> waiting_on(WorkKind kind, std::string_view device_id,
                                                       std::string_view session_id) = 0;
  // Every active proctor's load, by name.
  virtual Result<std::vector<ProctorLoad>> workload() = 0;

  // Audit log (1).
  // An entry without a user is the command line's (schema 10 invariant 4).
  virtual Status audit(const AuditEntry& e) = 0;
  // Newest first, entries with audit_id < before (0: from the newest).
  virtual Result<std::vector<AuditLine>> audit_entries(std::int64_t before, std::int64_t limit) = 0;
};

}  // namespace vigil::server
