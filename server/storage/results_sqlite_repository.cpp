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

// Inside an UPDATE of results: the sitting has an adverse review outcome (any round) or a review
// that is not decided, among its own candidate's devices (ResultsRepository invariant 4).
constexpr const char* k_review_hold_exists = R"(EXISTS (
    SELECT 1 FROM review_sessions rs WHERE rs.session_id = results.sitting_id AND rs.candidate_id = results.candidate_id
       AND (rs.state <> 'decided' OR EXISTS (SELECT 1 FROM review_outcomes o WHERE o.device_id = rs.device_id AND
            o.session_id = rs.session_id AND o.decision IN ('concerns', 'breach')))))";

// Inside an UPDATE of results (invariant 5): a submitted session of the sitting's own candidate
// whose identity check is not decided (a missing check counts as not decided), or a decision that
// withholds the result and has not been lifted. ?1 of identity_hold's query is the sitting.
constexpr const char* k_identity_pending_exists = R"(EXISTS (
    SELECT 1 FROM sessions x WHERE x.session_id = results.sitting_id AND x.candidate_id = results.candidate_id
       AND x.submitted_seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM identity_checks ic WHERE
           ic.device_id = x.device_id AND ic.session_id = x.session_id AND ic.state = 'decided')))";
constexpr const char* k_identity_withheld_exists = R"(EXISTS (
    SELECT 1 FROM withheld_results w WHERE w.sitting_id = results.sitting_id AND w.candidate_id = results.candidate_id
       AND w.lifted_wall_ms IS NULL))";

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
  VIGIL_ASSIGN(auto rows, results_of_assessment(assessment_id));
  for (const auto& r : rows) {
    if (r.released_wall_ms) {
      ++c.already;
      continue;
    }
    if (r.outcome == "incomplete") {
      ++c.incomplete;
      continue;
    }
    VIGIL_ASSIGN(auto hold, review_hold(r.sitting_id));
    if (hold == ReviewHold::under_review) ++c.withheld_under_review;
    if (hold == ReviewHold::adverse) ++c.withheld_adverse;
    if (hold != ReviewHold::none) continue;
    VIGIL_ASSIGN(auto identity, identity_hold(r.sitting_id));
    if (identity == IdentityHold::withheld) ++c.withheld_identity;
    if (identity == IdentityHold::pending) ++c.awaiting_identity;
  }
  VIGIL_ASSIGN(c.released,
               base_.changes(std::string("UPDATE results SET released_wall_ms = ? WHERE assessment_id = ? AND "
                                         "released_wall_ms IS NULL AND outcome IN ('met', 'not_met') AND NOT ") +
                                 k_review_hold_exists + " AND NOT " + k_identity_withheld_exists + " AND NOT " +
                                 k_identity_pending_exists,
                             now_ms, assessment_id));
  return c;
}

Result<ReviewHold> SqliteResultsRepository::review_hold(std::string_view sitting_id) {
  // Reviews of the sitting's own candidate's devices only: another candidate's device cannot hold
  // (or free) someone else's result.
  VIGIL_ASSIGN(const auto hold, base_.one(R"(
    SELECT
      EXISTS (SELECT 1 FROM review_outcomes o JOIN review_sessions rs ON rs.device_id = o.device_id AND
                     rs.session_id = o.session_id JOIN sittings t ON t.sitting_id = rs.session_id AND
                     t.candidate_id = rs.candidate_id
               WHERE o.session_id = ?1 AND o.decision IN ('concerns', 'breach')),
      EXISTS (SELECT 1 FROM review_sessions rs JOIN sittings t ON t.sitting_id = rs.session_id AND
                     t.candidate_id = rs.candidate_id
               WHERE rs.session_id = ?1 AND rs.state <> 'decided'))",
                                          [](const sqlite::Statement& s) {
                                            if (s.column_int(0) != 0) return ReviewHold::adverse;
                                            if (s.column_int(1) != 0) return ReviewHold::under_review;
                                            return ReviewHold::none;
                                          },
                                          sitting_id));
  return hold.value_or(ReviewHold::none);
}

Result<IdentityHold> SqliteResultsRepository::identity_hold(std::string_view sitting_id) {
  // The same conditions as the release's UPDATE (invariant 5), on the sitting's results row.
  VIGIL_ASSIGN(const auto hold, base_.one(std::string("SELECT ") + k_identity_withheld_exists + ", " +
                                              k_identity_pending_exists + " FROM results WHERE results.sitting_id = ?",
                                          [](const sqlite::Statement& s) {
                                            if (s.column_int(0) != 0) return IdentityHold::withheld;
                                            if (s.column_int(1) != 0) return IdentityHold::pending;
                                            return IdentityHold::none;
                                          },
                                          sitting_id));
  return hold.value_or(IdentityHold::none);
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

Result<std::vector<CouncilResultRow>> SqliteResitRepository::released_of_council(std::string_view council_id,
                                                                                std::int64_t limit) {
  return base_.collect(R"sql(
SELECT r.sitting_id, r.candidate_id, r.assessment_id, r.version, r.outcome, r.report, r.scored_wall_ms, r.released_wall_ms,
       c.full_name
  FROM results r JOIN candidates c ON c.candidate_id = r.candidate_id
 WHERE c.council_id = ? AND r.released_wall_ms IS NOT NULL
 ORDER BY c.full_name, c.candidate_id, r.released_wall_ms LIMIT ?)sql",
                       [](const sqlite::Statement& s) {
                         return CouncilResultRow{result_row_from(s), s.column_text(8)};
                       },
                       council_id, limit);
}

}  // namespace vigil::server
