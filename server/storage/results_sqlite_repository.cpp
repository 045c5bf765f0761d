#include "server/storage/results_sqlite_repository.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <sqlite3.h>

#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::server {

namespace {

constexpr const char* k_result_columns =
    "SELECT sitting_id, candidate_id, assessment_id, version, outcome, report, scored_wall_ms, released_wall_ms "
    "FROM results ";
constexpr const char* k_credential_columns =
    "SELECT credential_id, sitting_id, candidate_id, credential, issued_wall_ms, revoked_wall_ms, revoked_reason "
    "FROM credentials ";

// The columns of sitting_outcome_facts (schema 12; appeal_overturned since schema 14) that SittingFactsRow reads, in its order.
constexpr const char* k_facts_columns =
    "f.sitting_id, f.candidate_id, f.assessment_id, f.outcome, f.released_wall_ms, f.submitted_wall_ms, f.submitted, "
    "f.void_wall_ms, f.void_reason, f.identity_withheld_wall_ms, f.identity_reason, f.review_open, "
    "f.review_awaiting_second, f.review_since_wall_ms, f.identity_pending, f.identity_awaiting_second, "
    "f.appeal_overturned";

SittingFactsRow read_facts(const sqlite::Statement& st) {
  SittingFactsRow r;
  r.sitting_id = st.column_text(0);
  r.candidate_id = st.column_text(1);
  r.assessment_id = st.column_text(2);
  r.outcome = st.column_text_or_null(3).value_or("");
  r.released_wall_ms = st.column_int_or_null(4);
  r.submitted_wall_ms = st.column_int_or_null(5);
  r.facts.submitted = st.column_int(6) != 0;
  r.facts.released = r.released_wall_ms.has_value();
  r.void_wall_ms = st.column_int_or_null(7);
  r.void_reason = st.column_text_or_null(8).value_or("");
  r.facts.void_after_review = r.void_wall_ms.has_value();
  r.identity_withheld_wall_ms = st.column_int_or_null(9);
  r.identity_reason = st.column_text_or_null(10).value_or("");
  r.facts.identity_withheld = r.identity_withheld_wall_ms.has_value();
  r.facts.review_open = st.column_int(11) != 0;
  r.facts.review_awaiting_second = st.column_int(12) != 0;
  r.review_since_wall_ms = st.column_int_or_null(13);
  r.facts.identity_pending = st.column_int(14) != 0;
  r.facts.identity_awaiting_second = st.column_int(15) != 0;
  r.facts.appeal_overturned = st.column_int(16) != 0;
  return r;
}

CredentialRow credential_row(const sqlite::Statement& st) {
  CredentialRow c{st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_int(4),
                  std::nullopt, {}};
  if (!st.column_is_null(5)) c.revoked_wall_ms = st.column_int(5);
  if (!st.column_is_null(6)) c.revoked_reason = st.column_text(6);
  return c;
}

}  // namespace

ResultRow result_row_from(const sqlite::Statement& st) {
  ResultRow r{st.column_text(0), st.column_text(1), st.column_text(2), static_cast<std::uint32_t>(st.column_int(3)),
              st.column_text(4), st.column_text(5), st.column_int(6), std::nullopt};
  if (!st.column_is_null(7)) r.released_wall_ms = st.column_int(7);
  return r;
}

Status SqliteResultsRepository::put_thresholds(std::string_view assessment_id, std::string_view json, std::int64_t now_ms) {
  return base_.run(
      "INSERT INTO result_thresholds(assessment_id, thresholds, updated_wall_ms) "
      "VALUES (?, ?, ?) ON CONFLICT(assessment_id) DO UPDATE SET "
      "thresholds = excluded.thresholds, updated_wall_ms = excluded.updated_wall_ms",
      assessment_id, json, now_ms);
}

Result<std::optional<std::string>> SqliteResultsRepository::thresholds(std::string_view assessment_id) {
  return base_.one(
      "SELECT thresholds FROM result_thresholds WHERE assessment_id = ?",
      [](const sqlite::Statement& s) { return s.column_text(0); }, assessment_id);
}

Status SqliteResultsRepository::put_written_marks(std::string_view sitting_id,
                                                  const std::vector<results::WrittenAreaMark>& marks, std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_TRY(base_.run("DELETE FROM written_marks WHERE sitting_id = ?", sitting_id));
  for (const auto& m : marks) {
    VIGIL_TRY(
        base_.run("INSERT INTO written_marks(sitting_id, kss, mark, max_mark, entered_wall_ms) VALUES (?, ?, ?, ?, ?)",
                  sitting_id, m.kss, m.mark, m.max, now_ms));
  }
  return {};
}

Result<std::optional<std::vector<results::WrittenAreaMark>>> SqliteResultsRepository::written_marks(std::string_view sitting_id) {
  VIGIL_ASSIGN(auto rows, base_.collect(
                              "SELECT kss, mark, max_mark FROM written_marks WHERE sitting_id = ? ORDER BY kss",
                              [](const sqlite::Statement& s) {
                                return results::WrittenAreaMark{s.column_text(0),
                                                                static_cast<std::uint32_t>(s.column_int(1)),
                                                                static_cast<std::uint32_t>(s.column_int(2))};
                              },
                              sitting_id));
  if (rows.empty()) return std::optional<std::vector<results::WrittenAreaMark>>{};
  return std::optional<std::vector<results::WrittenAreaMark>>{std::move(rows)};
}

// Which answer records count (issue 13, findings 1, 2 and 7; docs/SYNC.md "Which answers count"):
//  - only records from devices of the sitting's own candidate;
//  - on a device that submitted, only records before its session.submitted record;
//  - once the sitting is submitted, only records the server received by the time the first
//    submission arrived (the server's clock): a device cannot add answers afterwards;
//  - per item, the most recently enrolled device that answered it wins; revisions are compared
//    only within one device (each store numbers its own), ties going to the later record.
Result<results::Answers> SqliteResultsRepository::answers(std::string_view session_id) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto st, base_.db().cached(R"(
    WITH mine AS (
      SELECT d.device_id, d.enrolled_wall_ms FROM sittings t JOIN devices d ON d.candidate_id = t.candidate_id
       WHERE t.sitting_id = ?1),
    final AS (
      SELECT min(r.received_wall_ms) AS at FROM records r JOIN mine m ON m.device_id = r.device_id
       WHERE r.session_id = ?1 AND r.type = ?3)
    SELECT r.device_id, r.payload FROM records r JOIN mine m ON m.device_id = r.device_id
      LEFT JOIN sessions s ON s.device_id = r.device_id AND s.session_id = r.session_id
     WHERE r.session_id = ?1 AND r.type = ?2
       AND (s.submitted_seq IS NULL OR r.seq <= s.submitted_seq)
       AND ((SELECT at FROM final) IS NULL OR r.received_wall_ms <= (SELECT at FROM final))
     ORDER BY m.enrolled_wall_ms, r.device_id, r.seq)"));
  st.bind_all(session_id, protocol::k_answer_saved_type, protocol::k_session_submitted_type);
  struct Latest {
    std::string device_id;
    std::uint64_t revision = 0;
    std::string value;
  };
  std::map<std::string, Latest, std::less<>> latest;
  for (;;) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    std::string device = st.column_text(0);
    const Bytes payload = st.column_blob(1);
    // The journal verified these records' hashes when they arrived; an unreadable payload is
    // not an answer (it scores 0), not a reason to refuse the whole sitting.
    auto a = protocol::parse_answer_saved(as_chars(payload));
    if (!a) continue;
    auto& slot = latest[a->item_id];
    // Rows come device by device, oldest enrolment first: a later device replaces what earlier
    // devices saved; within one device the higher revision (then the later record) wins.
    if (slot.device_id != device || a->revision >= slot.revision) slot = {std::move(device), a->revision, std::move(a->value)};
  }
  results::Answers out;
  for (auto& [item, v] : latest) out.emplace(item, std::move(v.value));
  return out;
}

Result<bool> SqliteResultsRepository::submitted(std::string_view session_id) {
  return base_.exists(
      "SELECT 1 FROM sessions s JOIN sittings t ON t.sitting_id = s.session_id AND "
      "t.candidate_id = s.candidate_id WHERE s.session_id = ? AND "
      "s.submitted_seq IS NOT NULL LIMIT 1",
      session_id);
}

Status SqliteResultsRepository::put_result(const ResultRow& r) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto existing, result(r.sitting_id));
  if (existing && existing->released_wall_ms) {
    return fail(Errc::conflict, "the result of sitting " + r.sitting_id + " has been released and cannot change");
  }
  return base_.run(
      "INSERT INTO results(sitting_id, candidate_id, assessment_id, version, outcome, report, scored_wall_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sitting_id) DO UPDATE SET "
      "candidate_id = excluded.candidate_id, assessment_id = excluded.assessment_id, "
      "version = excluded.version, outcome = excluded.outcome, report = excluded.report, "
      "scored_wall_ms = excluded.scored_wall_ms",
      r.sitting_id, r.candidate_id, r.assessment_id, r.version, r.outcome, r.report_json, r.scored_wall_ms);
}

Result<std::optional<ResultRow>> SqliteResultsRepository::result(std::string_view sitting_id) {
  return base_.one(std::string(k_result_columns) + "WHERE sitting_id = ?", result_row_from, sitting_id);
}

Result<std::vector<ResultRow>> SqliteResultsRepository::results_of_assessment(std::string_view assessment_id) {
  return base_.collect(std::string(k_result_columns) + "WHERE assessment_id = ? ORDER BY sitting_id", result_row_from,
                       assessment_id);
}

Result<std::vector<ResultRow>> SqliteResultsRepository::results_of_candidate(std::string_view candidate_id) {
  return base_.collect(std::string(k_result_columns) + "WHERE candidate_id = ? ORDER BY scored_wall_ms",
                       result_row_from, candidate_id);
}

Result<ReleaseCounts> SqliteResultsRepository::release(std::string_view assessment_id, std::int64_t now_ms) {
  const auto lock = base_.hold();
  ReleaseCounts c;
  // (6) One rule for every sitting of the window, read and written under the one lock (the caller's
  // transaction): what the admin's page counts as withheld is exactly what stays back here.
  VIGIL_ASSIGN(auto rows, sitting_facts_of_assessment(assessment_id));
  for (const auto& r : rows) {
    if (r.outcome.empty()) continue;   // not scored: nothing to release
    if (r.released_wall_ms) {
      ++c.already;
      continue;
    }
    if (r.outcome == "incomplete") {
      ++c.incomplete;
      continue;
    }
    switch (results::outcome_state(r.facts)) {
      case results::OutcomeState::void_after_review: ++c.withheld_adverse; break;
      case results::OutcomeState::withheld_identity: ++c.withheld_identity; break;
      case results::OutcomeState::under_review:
        // A proctor review first (it may end in a decision), then the identity check.
        if (r.facts.review_open || r.facts.review_awaiting_second) ++c.withheld_under_review;
        else ++c.awaiting_identity;
        break;
      case results::OutcomeState::released:
      case results::OutcomeState::released_after_appeal: break;   // released_wall_ms is set: counted above
      case results::OutcomeState::not_released: {
        VIGIL_ASSIGN(const auto changed,
                     base_.changes("UPDATE results SET released_wall_ms = ? WHERE sitting_id = ? AND released_wall_ms IS NULL "
                                   "AND outcome IN ('met', 'not_met')",
                                   now_ms, r.sitting_id));
        c.released += changed;
        break;
      }
    }
  }
  return c;
}

Result<ReviewHold> SqliteResultsRepository::review_hold(std::string_view sitting_id) {
  // The facts read the sitting's own candidate's reviews only: another candidate's device cannot
  // hold (or free) someone else's result.
  VIGIL_ASSIGN(const auto row, sitting_facts(sitting_id));
  if (!row) return ReviewHold::none;
  if (row->facts.void_after_review) return ReviewHold::adverse;
  if (row->facts.review_open || row->facts.review_awaiting_second) return ReviewHold::under_review;
  return ReviewHold::none;
}

Result<IdentityHold> SqliteResultsRepository::identity_hold(std::string_view sitting_id) {
  VIGIL_ASSIGN(const auto row, sitting_facts(sitting_id));
  if (!row) return IdentityHold::none;
  if (row->facts.identity_withheld) return IdentityHold::withheld;
  if (row->facts.identity_pending || row->facts.identity_awaiting_second) return IdentityHold::pending;
  return IdentityHold::none;
}

Result<std::optional<SittingFactsRow>> SqliteResultsRepository::sitting_facts(std::string_view sitting_id) {
  return base_.one(std::string("SELECT ") + k_facts_columns + " FROM sitting_outcome_facts f WHERE f.sitting_id = ?",
                   read_facts, sitting_id);
}

Result<std::vector<SittingFactsRow>> SqliteResultsRepository::sitting_facts_of_candidate(std::string_view candidate_id) {
  return base_.collect(std::string("SELECT ") + k_facts_columns +
                           " FROM sitting_outcome_facts f JOIN sittings s ON s.sitting_id = f.sitting_id"
                           " WHERE f.candidate_id = ? ORDER BY s.scheduled_start_wall_ms, f.sitting_id",
                       read_facts, candidate_id);
}

Result<std::vector<SittingFactsRow>> SqliteResultsRepository::sitting_facts_of_assessment(std::string_view assessment_id) {
  return base_.collect(std::string("SELECT ") + k_facts_columns +
                           " FROM sitting_outcome_facts f WHERE f.assessment_id = ? ORDER BY f.sitting_id",
                       read_facts, assessment_id);
}

Result<std::vector<SittingFactsRow>> SqliteResultsRepository::sitting_facts_of_council(std::string_view council_id,
                                                                                      std::int64_t limit) {
  return base_.collect(std::string("SELECT ") + k_facts_columns +
                           " FROM candidates c JOIN sitting_outcome_facts f ON f.candidate_id = c.candidate_id"
                           " JOIN sittings s ON s.sitting_id = f.sitting_id WHERE c.council_id = ?"
                           " ORDER BY c.full_name, c.candidate_id, s.scheduled_start_wall_ms, f.sitting_id LIMIT ?",
                       read_facts, council_id, limit);
}

Status SqliteResultsRepository::add_credential(const CredentialRow& c) {
  return base_.run(
      "INSERT INTO credentials(credential_id, sitting_id, candidate_id, credential, "
      "issued_wall_ms) VALUES (?, ?, ?, ?, ?)",
      c.credential_id, c.sitting_id, c.candidate_id, c.credential_json, c.issued_wall_ms);
}

Result<std::optional<CredentialRow>> SqliteResultsRepository::credential(std::string_view credential_id) {
  return base_.one(std::string(k_credential_columns) + "WHERE credential_id = ?", credential_row, credential_id);
}

Result<std::optional<CredentialRow>> SqliteResultsRepository::current_credential(std::string_view sitting_id) {
  return base_.one(std::string(k_credential_columns) +
                       "WHERE sitting_id = ? AND revoked_wall_ms IS NULL ORDER BY issued_wall_ms DESC LIMIT 1",
                   credential_row, sitting_id);
}

Status SqliteResultsRepository::revoke_credential(std::string_view credential_id, std::string_view reason, std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto existing, credential(credential_id));
  if (!existing) return fail(Errc::not_found, "no certificate " + std::string(credential_id) + " was issued here");
  if (existing->revoked_wall_ms) return {};  // (3)
  return base_.run("UPDATE credentials SET revoked_wall_ms = ?, revoked_reason = ? WHERE credential_id = ?", now_ms,
                   reason, credential_id);
}

Result<std::vector<CredentialRow>> SqliteResultsRepository::revoked_credentials() {
  return base_.collect(std::string(k_credential_columns) + "WHERE revoked_wall_ms IS NOT NULL ORDER BY credential_id",
                       credential_row);
}

namespace {

constexpr const char* k_resit_columns =
    "SELECT resit_of, candidate_id, attempt, endorsed_by, endorsed_wall_ms, sitting_id FROM resits ";

ResitRow read_resit(const sqlite::Statement& st) {
  return ResitRow{st.column_text(0), st.column_text(1), st.column_int(2),
                  st.column_int(3),  st.column_int(4),  st.column_text_or_null(5)};
}

}  // namespace

// ---- resits ----

Status SqliteResitRepository::add_resit(const ResitRow& r) {
  auto ok = base_.run(
      "INSERT INTO resits(resit_of, candidate_id, attempt, endorsed_by, endorsed_wall_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      r.resit_of, r.candidate_id, r.attempt, r.endorsed_by, r.endorsed_wall_ms);
  if (!ok && ok.error().code == Errc::conflict) return fail(Errc::conflict, "this result has already been re-endorsed for a resit");
  return ok;
}

Result<std::optional<ResitRow>> SqliteResitRepository::resit_of(std::string_view not_met_sitting_id) {
  return base_.one(std::string(k_resit_columns) + "WHERE resit_of = ?", read_resit, not_met_sitting_id);
}

Result<std::optional<ResitRow>> SqliteResitRepository::resit_by_sitting(std::string_view sitting_id) {
  return base_.one(std::string(k_resit_columns) + "WHERE sitting_id = ?", read_resit, sitting_id);
}

Status SqliteResitRepository::link_resit(std::string_view not_met_sitting_id, std::string_view sitting_id, std::int64_t now_ms) {
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE resits SET sitting_id = ?, linked_wall_ms = ? WHERE resit_of = ? "
                             "AND sitting_id IS NULL",
                             sitting_id, now_ms, not_met_sitting_id));
  if (changed != 1) return fail(Errc::conflict, "this re-endorsement already has its resit");
  return {};
}

Result<std::vector<WindowSummary>> SqliteResitRepository::windows() {
  return base_.collect(R"sql(
SELECT s.assessment_id, count(*),
       sum(EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL)),
       count(r.sitting_id), coalesce(sum(r.outcome = 'incomplete'), 0), coalesce(sum(r.outcome = 'met'), 0),
       coalesce(sum(r.outcome = 'not_met'), 0), count(r.released_wall_ms)
  FROM sittings s LEFT JOIN results r ON r.sitting_id = s.sitting_id
 GROUP BY s.assessment_id ORDER BY s.assessment_id)sql",
                       [](const sqlite::Statement& s) {
                         return WindowSummary{s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3),
                                              s.column_int(4),  s.column_int(5), s.column_int(6), s.column_int(7)};
                       });
}

Result<std::vector<std::string>> SqliteResitRepository::submitted_unreleased(std::string_view assessment_id) {
  return base_.collect(R"sql(
SELECT s.sitting_id FROM sittings s LEFT JOIN results r ON r.sitting_id = s.sitting_id
 WHERE s.assessment_id = ? AND r.released_wall_ms IS NULL
   AND EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL)
 ORDER BY s.sitting_id)sql",
                       [](const sqlite::Statement& s) { return s.column_text(0); }, assessment_id);
}

}  // namespace vigil::server
