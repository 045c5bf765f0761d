#pragma once
// The staff API and pages (issue 6): programme admins, council managers and proctors, signed in
// with a password in a browser. A pure function like Api: request in, response out.
//
//   /staff/                 the pages (HTML, CSS, JS embedded in the binary; no build step)
//   /staff/api/...          the JSON API the pages use (docs/api/openapi.yaml, docs/STAFF.md)
//
// Invariants:
//  (1) Every endpoint is one row of k_endpoints (staff_api.cpp): its permission, and where its
//      scope (council, session) comes from. authorise() is the only place a role and a scope
//      become allow or deny; no handler runs before it said allow.
//  (2) A signed-in browser holds a random token in a Secure, HttpOnly, SameSite=Strict cookie;
//      the server keeps only its SHA-256. Every request that changes something also carries the
//      session's CSRF token in X-CSRF-Token.
//  (3) Sign-in attempts are throttled per email at an address, per address and per email
//      (schema 9 invariant 4), the same for unknown and known accounts; failures are logged and
//      counted, and reach the audit log with the account's next sign-in (not one entry each).
//      The password KDF runs off the I/O threads (runs_password_kdf() tells the listener which
//      requests), so sign-ins cannot stall device sync.
//  (7) A session ends after idle_minutes without a request; it reaches nothing but the account
//      endpoints while it owes a second factor, a password change or an authenticator set-up
//      (staff_accounts.hpp); user management, release, adverse review decisions and a "does not
//      match" identity decision need a re-authentication within reauth_minutes (401
//      reauth_required).
//  (4) Evidence is opened (decrypted) only in the response to a proctor's view, and every view and
//      every decision is written to the audit log in the same transaction as its effect. Identity
//      photos are opened only for the check's own proctors (the assigned one, and the second once
//      the check was passed on): nobody else, admins included, reaches the endpoint.
//  (5) An adverse session decision (concerns, breach) takes effect only when a second, different
//      proctor makes the same decision. If they disagree, only a proctor who took no part in that
//      review round may decide it. A decided round is final; a later flag opens a new round and the
//      earlier outcome stays (schema 8, review_outcomes).
//  (6) An endorsement upload is all or nothing: every bad row is reported and none is stored.
//  (8) An appeal (issue 16 part 4, staff_appeals.hpp) is reviewed and decided by two people who
//      took no part in the decision, each assigned by an admin; its evidence opens only for them,
//      and every view, assignment and decision is audited. Its decisions need a re-authentication.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "server/device/api.hpp"
#include "server/results/csv.hpp"
#include "server/storage/staff_repository.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/x25519.hpp"
#include "shared/protocol/http.hpp"
#include "shared/results/analysis.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

struct StaffApiConfig {
  std::int64_t session_minutes = 8 * 60;   // absolute, from sign-in
  std::int64_t idle_minutes = 30;          // without a request (ASVS 3.3.2)
  std::int64_t reauth_minutes = 5;         // how long a re-authentication covers sensitive endpoints
  // Sign-in throttles (the key is filled in per attempt; see invariant 3). One email at one address:
  // 5 free tries, then 30 s doubling to 15 min, one failure forgotten per 10 min.
  ThrottleRule throttle_pair{"", 5, 30'000, 15 * 60'000, 10 * 60'000};
  // One address, any emails (password spraying).
  ThrottleRule throttle_address{"", 20, 30'000, 30 * 60'000, 2 * 60'000};
  // One email from any address (distributed guessing): only slows, at most a minute, so that no
  // one can lock an account's owner out.
  ThrottleRule throttle_account{"", 50, 5'000, 60'000, 10 * 60'000};
  // The listener's body_limit (2 MiB by default) applies first; this is the API's own bound.
  std::size_t csv_limit_bytes = 2 * 1024 * 1024;
  std::size_t csv_limit_rows = 20'000;
  std::int64_t code_valid_days = 14;
  // How soon a proctor should decide what waits on them, from when it arrived (a review: its first
  // flag; an identity check: the submission); the queues mark what is past it as overdue
  // (config.json review_target_hours, identity_target_hours; docs/SERVER.md).
  std::int64_t review_target_hours = 48;
  std::int64_t identity_target_hours = 24;
  // The appeal period in days (config.json appeal_window_days), shown on the appeal pages.
  std::int64_t appeal_window_days = 28;
  crypto::ScryptParams password_scrypt{};   // defaults: N = 2^15, r = 8
  // When a written script is marked twice and when two markings disagree (shared/results/analysis.hpp).
  results::SecondMarkingPolicy second_marking{};
  // Opens evidence for proctors; without it evidence views answer 503.
  std::optional<crypto::X25519KeyPair> evidence_key;
  // One key=value line per notable event (failed sign-in, lockout); never passwords or names.
  std::function<void(const std::string&)> log;
};

class ResultsRepository;     // server/storage/results_repository.hpp
class EqualitiesRepository;  // server/storage/equalities_repository.hpp
class MarkingRepository;     // server/storage/marking_repository.hpp
class AppealRepository;      // server/storage/appeals_repository.hpp
struct IssuerSigner;         // server/home/issuer_keys.hpp

// What the results, marking and equalities endpoints need beyond the staff repository; every
// member but the signer is required (the composition root, server/app/composition.hpp, always
// provides them). The signer issues certificates on release; without it (no issuer key available
// at start-up) release still works and certificates are issued later with `vigil-server
// certificate issue`.
class ResitRepository;  // server/storage/results_repository.hpp
struct StaffResultsDeps {
  ResultsRepository& results;
  const ServerKeys& keys;
  const IssuerSigner* signer;
  ResitRepository& resits;            // windows, council results, re-endorsement
  EqualitiesRepository& equalities;   // the equalities declarations (reports only)
  MarkingRepository& marking;         // the assessors' marking queue
  AppealRepository& appeals;          // candidates' appeals (schema 14)
};

struct Principal {
  std::int64_t user_id = 0;
  Role role = Role::proctor;
  std::string council_id;
};

enum class Permission {
  public_page,        // no sign-in
  signed_in,          // any role
  users_manage,
  councils_list,
  councils_manage,
  candidates_read,    // scope: the council in the path
  candidates_write,   // scope: the council in the path
  review_queue,
  review_assign,
  review_read,        // scope: the session in the path
  review_evidence,    // scope: the session in the path
  review_decide,      // scope: the session in the path
  audit_read,
  results_release,
  account,            // any role, even before a password change or second factor is done
  marking,            // assessors only: the marking queue, a script, submitting marks
  marking_progress,   // programme admins: counts per window, never script text
  council_results,    // scope: the council in the path (its candidates' released results)
  reports_read,       // aggregate equalities report and item statistics: programme admins only
  identity_queue,     // proctors (their own checks) and programme admins (every check, to assign)
  identity_read,      // scope: the session in the path; only the check's proctors (photos, decisions)
  identity_view,      // scope: the session in the path; the check's proctors, and programme admins to follow a
                      // withheld result (the check and its decisions, never the photos)
  own_work,           // proctors only: what waits on them ("My work")
  appeals_list,       // programme admins (every appeal, to assign) and proctors (the appeals assigned to them)
  appeal_assign,      // programme admins
  appeal_read,        // scope: the appeal in the path; programme admins, and its two reviewers
  appeal_review,      // scope: the appeal in the path; its two reviewers only (evidence, decisions)
};

// What a request is about: the council, the session or the appeal named in its path.
struct Scope {
  std::string council_id;
  std::string device_id;
  std::string session_id;
  std::int64_t appeal_id = 0;
};

// The one authorisation decision (invariant 1). Proctors' session scope is looked up in `repo`,
// an appeal's reviewers in `appeals` (without it, appeal scopes are denied to proctors).
Status authorise(const Principal& who, Permission p, const Scope& scope, StaffRepository& repo,
                 AppealRepository* appeals = nullptr);

// Every row of the endpoint table (method, path pattern with {name} captures, permission), for
// tests that check a rule against every endpoint rather than a hand-kept list.
struct EndpointInfo {
  std::string method;
  std::string pattern;
  Permission permission;
};
std::vector<EndpointInfo> staff_endpoints();

// Hashes a new staff password (scrypt, random salt). Refuses passwords under 12 characters.
Result<std::pair<Bytes, Bytes>> hash_staff_password(std::string_view password, const crypto::ScryptParams& params);

class StaffApi {
 public:
  StaffApi(Repository& repo, StaffRepository& staff, const time::Clock& clock, StaffResultsDeps results,
           StaffApiConfig config = {})
      : repo_(repo), staff_(staff), clock_(clock), config_(std::move(config)), results_(results) {}

  // True for the paths this API answers (/staff and below).
  static bool handles(std::string_view path) noexcept;
  // True for the requests that may run the password KDF (sign-in, password change, re-authentication,
  // creating or resetting an account): the listener runs these on its bounded worker pool.
  static bool runs_password_kdf(const protocol::HttpRequest& request) noexcept;
  protocol::HttpResponse handle(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);

 private:
  Result<protocol::HttpResponse> route(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);
  Result<protocol::HttpResponse> login(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);

  Repository& repo_;
  StaffRepository& staff_;
  const time::Clock& clock_;
  StaffApiConfig config_;
  StaffResultsDeps results_;
};

// The evidence private key from a server home (DIR/keys/evidence.key); nullopt if the operator
// keeps it elsewhere (evidence views then answer 503).
Result<std::optional<crypto::X25519KeyPair>> load_evidence_key(const std::filesystem::path& home_dir);

// What `vigil-server admin add-candidate` does, in one transaction: saves the council (renamed to
// council_name when one is given; without one an existing council keeps its name and a new one is
// named by its id), adds the candidate, which puts them on the council's roster (schema 10: the
// same rows the council's page writes), issues a first enrolment code and audits it as the
// command line's (no user).
Result<NewEnrolmentCode> add_candidate_with_code(Repository& repo, StaffRepository& staff, const CandidateRow& c,
                                                 std::string_view council_name, const time::Clock& clock,
                                                 std::int64_t valid_days);

// Creates a staff account (validated as the API does) and audits it; returns its id.
Result<std::int64_t> create_staff_user(Repository& repo, StaffRepository& staff, std::string_view email,
                                       std::string_view display_name, std::string_view role, std::string_view council_id,
                                       std::string_view password, const time::Clock& clock,
                                       const crypto::ScryptParams& params = {},
                                       std::optional<std::int64_t> by = std::nullopt);

// Sets a one-time password for an account (an admin's reset, or `vigil-server admin
// reset-password`): its owner must change it at the next sign-in and it expires after
// k_one_time_password_days (staff_accounts.hpp). Ends the account's sessions and throttles; with
// remove_mfa (the CLI only: a lost phone) the authenticator and recovery codes go too. Audited.
Result<std::int64_t> reset_staff_password(Repository& repo, StaffRepository& staff, std::string_view email,
                                          std::string_view password, const time::Clock& clock,
                                          const crypto::ScryptParams& params = {},
                                          std::optional<std::int64_t> by = std::nullopt, bool remove_mfa = false);

}  // namespace vigil::server
