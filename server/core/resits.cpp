#include "server/core/resits.hpp"

#include "server/core/packages.hpp"
#include "server/core/results_sqlite_repository.hpp"
#include "shared/certificate/credential.hpp"

namespace vigil::server::core {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

constexpr const char* k_resit_columns =
    "SELECT resit_of, candidate_id, attempt, endorsed_by, endorsed_wall_ms, sitting_id FROM resits ";

ResitRow read_resit(const sqlite::Statement& st) {
  ResitRow r;
  r.resit_of = st.column_text(0);
  r.candidate_id = st.column_text(1);
  r.attempt = st.column_int(2);
  r.endorsed_by = st.column_int(3);
  r.endorsed_wall_ms = st.column_int(4);
  if (!st.column_is_null(5)) r.sitting_id = st.column_text(5);
  return r;
}

}  // namespace

// ---- storage ---

Status SqliteResitRepository::add_resit(const ResitRow& r) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("INSERT INTO resits(resit_of, candidate_id, attempt, endorsed_by, endorsed_wall_ms) "
                                          "VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, r.resit_of).bind(2, r.candidate_id).bind(3, r.attempt).bind(4, r.endorsed_by).bind(5, r.endorsed_wall_ms);
  auto ok = st.run();
  if (!ok && ok.error().code == Errc::conflict) return fail(Errc::conflict, "this result has already been re-endorsed for a resit");
  return ok;
}

Result<std::optional<ResitRow>> SqliteResitRepository::resit_of(std::string_view not_met_sitting_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_resit_columns) + "WHERE resit_of = ?"));
  st.bind(1, not_met_sitting_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<ResitRow>{};
  return std::optional<ResitRow>{read_resit(st)};
}

Result<std::optional<ResitRow>> SqliteResitRepository::resit_by_sitting(std::string_view sitting_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_resit_columns) + "WHERE sitting_id = ?"));
  st.bind(1, sitting_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<ResitRow>{};
  return std::optional<ResitRow>{read_resit(st)};
}

Status SqliteResitRepository::link_resit(std::string_view not_met_sitting_id, std::string_view sitting_id, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE resits SET sitting_id = ?, linked_wall_ms = ? WHERE resit_of = ? AND sitting_id IS NULL"));
  st.bind(1, sitting_id).bind(2, now_ms).bind(3, not_met_sitting_id);
  VIGIL_TRY(st.run());
  if (sqlite3_changes(base_.db().handle()) != 1) return fail(Errc::conflict, "this re-endorsement already has its resit");
  return {};
}

Result<std::vector<WindowSummary>> SqliteResitRepository::windows() {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(R"sql(
SELECT s.assessment_id, count(*),
       sum(EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL)),
       count(r.sitting_id), coalesce(sum(r.outcome = 'incomplete'), 0), coalesce(sum(r.outcome = 'met'), 0),
       coalesce(sum(r.outcome = 'not_met'), 0), count(r.released_wall_ms)
  FROM sittings s LEFT JOIN results r ON r.sitting_id = s.sitting_id
 GROUP BY s.assessment_id ORDER BY s.assessment_id)sql"));
  return sqlite::collect<WindowSummary>(st, [](const sqlite::Statement& s) {
    return WindowSummary{s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3), s.column_int(4),
                         s.column_int(5), s.column_int(6), s.column_int(7)};
  });
}

Result<std::vector<std::string>> SqliteResitRepository::submitted_unreleased(std::string_view assessment_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(R"sql(
SELECT s.sitting_id FROM sittings s LEFT JOIN results r ON r.sitting_id = s.sitting_id
 WHERE s.assessment_id = ? AND r.released_wall_ms IS NULL
   AND EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL)
 ORDER BY s.sitting_id)sql"));
  st.bind(1, assessment_id);
  return sqlite::collect<std::string>(st, [](const sqlite::Statement& s) { return s.column_text(0); });
}

Result<std::vector<CouncilResultRow>> SqliteResitRepository::released_of_council(std::string_view council_id,
                                                                                std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(R"sql(
SELECT r.sitting_id, r.candidate_id, r.assessment_id, r.version, r.outcome, r.report, r.scored_wall_ms, r.released_wall_ms,
       c.full_name
  FROM results r JOIN candidates c ON c.candidate_id = r.candidate_id
 WHERE c.council_id = ? AND r.released_wall_ms IS NOT NULL
 ORDER BY c.full_name, c.candidate_id, r.released_wall_ms LIMIT ?)sql"));
  st.bind(1, council_id).bind(2, limit);
  return sqlite::collect<CouncilResultRow>(st, [](const sqlite::Statement& s) {
    return CouncilResultRow{result_row_from(s), s.column_text(8)};
  });
}

// ---- rules ---

Result<std::optional<ResultRow>> latest_released(ResultsRepository& results, std::string_view candidate_id) {
  VIGIL_ASSIGN(auto rows, results.results_of_candidate(candidate_id));
  std::optional<ResultRow> best;
  for (auto& r : rows) {
    if (!r.released_wall_ms) continue;
    if (!best || *r.released_wall_ms > *best->released_wall_ms ||
        (*r.released_wall_ms == *best->released_wall_ms && r.scored_wall_ms > best->scored_wall_ms)) {
      best = std::move(r);
    }
  }
  return best;
}

Result<std::int64_t> attempt_of(ResitRepository& resits, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto r, resits.resit_by_sitting(sitting_id));
  return r ? r->attempt : std::int64_t{1};
}

Result<ResitRow> reendorse_for_resit(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                     std::string_view candidate_id, std::string_view council_id, std::int64_t by_user,
                                     const time::Clock& clock) {
  VIGIL_ASSIGN(auto candidate, repo.candidate(candidate_id));
  // Another council's candidate is "not found", as everywhere on the council pages.
  if (!candidate || candidate->council_id != council_id) return fail(Errc::not_found, "no such candidate in this council");
  VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
  if (!latest) {
    return fail(Errc::conflict, candidate->full_name + " has no released result yet; only a released \"not met\" result can be "
                                "re-endorsed for a resit");
  }
  if (latest->outcome != "not_met") {
    return fail(Errc::conflict, candidate->full_name + "'s latest released result is met; there is nothing to resit");
  }
  VIGIL_ASSIGN(auto existing, resits.resit_of(latest->sitting_id));
  if (existing) {
    return fail(Errc::conflict, candidate->full_name + " was already re-endorsed for a resit on " +
                                    certificate::date_of(existing->endorsed_wall_ms));
  }
  VIGIL_ASSIGN(auto attempt, attempt_of(resits, latest->sitting_id));
  ResitRow r{latest->sitting_id, std::string(candidate_id), attempt + 1, by_user, clock.wall_ms(), std::nullopt};
  VIGIL_TRY(resits.add_resit(r));
  return r;
}

Result<ScheduledAttempt> schedule_attempt(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                          std::string_view candidate_id, std::string_view assessment_id,
                                          std::optional<std::uint32_t> version, std::int64_t start_ms,
                                          std::int64_t window_hours, const time::Clock& clock) {
  VIGIL_ASSIGN(auto existing, repo.sitting_of(candidate_id, assessment_id));
  if (existing) {
    // (3) Moving a sitting: allowed until its result is released; it keeps its attempt.
    VIGIL_ASSIGN(auto result, results.result(existing->sitting_id));
    if (result && result->released_wall_ms) {
      return fail(Errc::conflict, "sitting " + existing->sitting_id + " of " + std::string(assessment_id) +
                                      " already has a released result and cannot be moved; a resit is a new sitting in a "
                                      "later window: schedule it with that window's assessment id");
    }
    VIGIL_ASSIGN(auto moved, schedule_sitting(repo, candidate_id, assessment_id, version, start_ms, window_hours, clock));
    VIGIL_ASSIGN(auto link, resits.resit_by_sitting(moved.sitting_id));
    if (link) return ScheduledAttempt{std::move(moved), link->attempt, link->resit_of};
    // A resit left unlinked by a failure after schedule_sitting (below) is linked on the move.
    VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
    if (latest && latest->outcome == "not_met" && latest->sitting_id != moved.sitting_id) {
      VIGIL_ASSIGN(auto pending, resits.resit_of(latest->sitting_id));
      if (pending && !pending->sitting_id) {
        VIGIL_TRY(repo.transaction([&]() -> Status { return resits.link_resit(pending->resit_of, moved.sitting_id, clock.wall_ms()); }));
        return ScheduledAttempt{std::move(moved), pending->attempt, pending->resit_of};
      }
    }
    return ScheduledAttempt{std::move(moved), 1, std::nullopt};
  }
  // (2) A new sitting after a released "not met" needs a re-endorsement that has no resit yet.
  VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
  std::optional<ResitRow> resit;
  if (latest && latest->outcome == "not_met") {
    VIGIL_ASSIGN(resit, resits.resit_of(latest->sitting_id));
    if (!resit) {
      return fail(Errc::conflict, "candidate " + std::string(candidate_id) + "'s latest result (sitting " + latest->sitting_id +
                                      ", released " + certificate::date_of(*latest->released_wall_ms) +
                                      ") is not met: their council manager must re-endorse them for a resit (council page, "
                                      "Results) before they are scheduled again");
    }
    if (resit->sitting_id) {
      return fail(Errc::conflict, "candidate " + std::string(candidate_id) + " already has their resit scheduled (sitting " +
                                      *resit->sitting_id + "); move that sitting instead of adding another");
    }
  }
  VIGIL_ASSIGN(auto s, schedule_sitting(repo, candidate_id, assessment_id, version, start_ms, window_hours, clock));
  if (!resit) return ScheduledAttempt{std::move(s), 1, std::nullopt};
  // A separate transaction from schedule_sitting's (they do not nest); if this step fails the
  // sitting exists unlinked, and scheduling the same window again (a move) links it.
  VIGIL_TRY(repo.transaction([&]() -> Status { return resits.link_resit(resit->resit_of, s.sitting_id, clock.wall_ms()); }));
  return ScheduledAttempt{std::move(s), resit->attempt, resit->resit_of};
}

}  // namespace vigil::server::core
