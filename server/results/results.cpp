#include "server/results/results.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "server/results/csv.hpp"
#include "server/results/outcome.hpp"
#include "server/packages/packages.hpp"
#include "server/results/resits.hpp"
#include "shared/time/format.hpp"
#include "shared/assessment/json.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/random.hpp"
#include "shared/package/package.hpp"

namespace vigil::server {

namespace {

Result<SittingRow> must_sitting(Repository& repo, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto s, repo.sitting(sitting_id));
  if (!s) return fail(Errc::not_found, "no sitting " + std::string(sitting_id) + ": check the id (admin schedule prints it)");
  return *s;
}

Result<results::ScoreReport> stored_report(const ResultRow& row) {
  VIGIL_ASSIGN(auto j, protocol::parse_json(row.report_json));
  protocol::ObjectReader r(j);
  auto rep = results::decode_score_report(r);
  if (!rep) return fail(Errc::integrity, "the stored result of " + row.sitting_id + " is unreadable: " + rep.error().message);
  return rep;
}

}  // namespace

Result<assessment::Assessment> load_assessment(Repository& repo, const ServerKeys& keys, std::string_view assessment_id,
                                               std::uint32_t version) {
  VIGIL_ASSIGN(auto pkg, repo.package(assessment_id, version));
  if (!pkg) return fail(Errc::not_found, "no package " + std::string(assessment_id) + " version " + std::to_string(version));
  VIGIL_ASSIGN(auto verified, package::verify_package(pkg->package, keys.package_public));
  VIGIL_ASSIGN(auto key, content_key_of(keys, *pkg));
  return package::decrypt_package(verified, crypto::view(key));
}

Result<results::Thresholds> thresholds_for(ResultsRepository& results, std::string_view assessment_id) {
  VIGIL_ASSIGN(auto text, results.thresholds(assessment_id));
  if (!text) return results::Thresholds{};
  auto t = results::parse_thresholds(*text);
  if (!t) return fail(Errc::integrity, "the stored thresholds of " + std::string(assessment_id) + " are unreadable");
  return t;
}

Status set_thresholds(ResultsRepository& results, std::string_view assessment_id, const results::Thresholds& t,
                      const time::Clock& clock) {
  return results.put_thresholds(assessment_id, results::to_json(t).dump(), clock.wall_ms());
}

Status set_written_marks(Repository& repo, ResultsRepository& results, const ServerKeys& keys,
                         std::string_view sitting_id, const std::vector<results::WrittenAreaMark>& marks,
                         const time::Clock& clock) {
  VIGIL_ASSIGN(auto sitting, must_sitting(repo, sitting_id));
  VIGIL_ASSIGN(auto a, load_assessment(repo, keys, sitting.assessment_id, sitting.version));
  VIGIL_ASSIGN(auto scheme_text, repo.marking_scheme(sitting.assessment_id, sitting.version));
  if (!scheme_text) return fail(Errc::not_found, "the package has no marking scheme");
  VIGIL_ASSIGN(auto scheme, assessment::parse_marking_scheme(*scheme_text));
  // The scoring rules check the marks; score nothing else (no answers, no exemptions).
  VIGIL_TRY(results::score(a, scheme, {}, marks, results::Thresholds{}, {}));
  return repo.transaction([&]() -> Status { return results.put_written_marks(sitting_id, marks, clock.wall_ms()); });
}

Result<results::ScoreReport> score_sitting(Repository& repo, ResultsRepository& results, const ServerKeys& keys,
                                           std::string_view sitting_id, const time::Clock& clock) {
  VIGIL_ASSIGN(auto sitting, must_sitting(repo, sitting_id));
  VIGIL_ASSIGN(bool submitted, results.submitted(sitting_id));
  if (!submitted) {
    return fail(Errc::conflict, "sitting " + std::string(sitting_id) + " has not been submitted yet (no session.submitted "
                                "record has arrived): score it once the candidate's device has synced its submission");
  }
  VIGIL_ASSIGN(auto a, load_assessment(repo, keys, sitting.assessment_id, sitting.version));
  VIGIL_ASSIGN(auto scheme_text, repo.marking_scheme(sitting.assessment_id, sitting.version));
  if (!scheme_text) return fail(Errc::not_found, "the package has no marking scheme");
  VIGIL_ASSIGN(auto scheme, assessment::parse_marking_scheme(*scheme_text));
  VIGIL_ASSIGN(auto answers, results.answers(sitting_id));
  VIGIL_ASSIGN(auto written, results.written_marks(sitting_id));
  VIGIL_ASSIGN(auto thresholds, thresholds_for(results, sitting.assessment_id));
  VIGIL_ASSIGN(auto acc, repo.accommodations(sitting.candidate_id));
  VIGIL_ASSIGN(auto report, results::score(a, scheme, answers, written, thresholds, results::exemptions_from(acc)));
  ResultRow row{std::string(sitting_id), sitting.candidate_id, sitting.assessment_id, sitting.version,
                std::string(results::outcome_name(report.outcome)), results::to_json(report, true).dump(),
                clock.wall_ms(), std::nullopt};
  VIGIL_TRY(repo.transaction([&]() -> Status { return results.put_result(row); }));
  return report;
}

Result<ReleaseOutcome> release_results(Repository& repo, ResultsRepository& results, std::string_view assessment_id,
                                       const IssuerSigner* signer, const time::Clock& clock) {
  ReleaseOutcome out;
  const auto now = clock.wall_ms();
  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(out.counts, results.release(assessment_id, now));
    return {};
  }));
  if (!signer) return out;
  VIGIL_ASSIGN(auto rows, results.results_of_assessment(assessment_id));
  for (const auto& row : rows) {
    if (row.outcome != "met" || row.released_wall_ms != now) continue;
    VIGIL_ASSIGN(auto existing, results.current_credential(row.sitting_id));
    if (existing) continue;
    VIGIL_ASSIGN(auto c, issue_certificate(repo, results, *signer, row.sitting_id, clock));
    out.certificates.push_back(std::move(c));
  }
  return out;
}

Result<certificate::Credential> issue_certificate(Repository& repo, ResultsRepository& results, const IssuerSigner& signer,
                                                  std::string_view sitting_id, const time::Clock& clock,
                                                  std::uint32_t valid_years) {
  if (valid_years < 1 || valid_years > 10) return fail(Errc::invalid_argument, "a certificate is valid for 1 to 10 years");
  VIGIL_ASSIGN(auto row, results.result(sitting_id));
  if (!row) return fail(Errc::not_found, "sitting " + std::string(sitting_id) + " has no result: score it first");
  if (!row->released_wall_ms) return fail(Errc::conflict, "the result of " + std::string(sitting_id) + " is not released yet");
  if (row->outcome != "met") return fail(Errc::conflict, "only a met result is certified; this one is " + row->outcome);
  // A late flag can reopen the review of a released sitting; an adverse outcome stands for ever
  // (ResultsRepository invariant 4): neither gets a (new) certificate.
  VIGIL_ASSIGN(auto hold, results.review_hold(sitting_id));
  if (hold == ReviewHold::adverse) {
    return fail(Errc::conflict, "proctors recorded an adverse decision on " + std::string(sitting_id) + ": no certificate is issued");
  }
  if (hold == ReviewHold::under_review) {
    return fail(Errc::conflict, "the proctors' review of " + std::string(sitting_id) + " is not finished: issue the certificate once it is decided");
  }
  // Nor a result whose identity check is undecided or found a mismatch (ResultsRepository invariant 5).
  VIGIL_ASSIGN(auto identity, results.identity_hold(sitting_id));
  if (identity != IdentityHold::none) {
    return fail(Errc::conflict, identity == IdentityHold::withheld
                                    ? "the result of " + std::string(sitting_id) + " is withheld: two proctors found the identity photos do not match"
                                    : "the identity check of " + std::string(sitting_id) + " is not decided: issue the certificate once it is");
  }
  VIGIL_ASSIGN(auto candidate, repo.candidate(row->candidate_id));
  if (!candidate) return fail(Errc::not_found, "the candidate of this result no longer exists");
  VIGIL_ASSIGN(auto report, stored_report(*row));
  VIGIL_ASSIGN(auto id, crypto::random_bytes(16));

  certificate::Credential c;
  c.credential_id = to_hex(id);
  c.candidate_name = candidate->full_name;
  c.candidate_id = candidate->candidate_id;
  c.level = std::string(assessment::level_name(report.level));
  c.outcome = row->outcome;
  c.award_date = time::utc_date(*row->released_wall_ms);
  c.expiry_date = certificate::add_years(c.award_date, valid_years);
  c.assessment_id = row->assessment_id;
  c.assessment_version = row->version;
  for (const auto& a : report.areas) c.feedback.push_back({a.kss, a.marks.percent(), a.at_standard});
  c.issued_wall_ms = clock.wall_ms();
  VIGIL_TRY(certificate::sign_credential(c, crypto::view(signer.seed), signer.public_key));
  CredentialRow cr{c.credential_id, std::string(sitting_id), c.candidate_id, certificate::to_json(c).dump(),
                   c.issued_wall_ms, std::nullopt, {}};
  VIGIL_TRY(repo.transaction([&]() -> Status { return results.add_credential(cr); }));
  return c;
}

Result<std::vector<results::ReleasedResult>> released_results_for(ResultsRepository& results, std::string_view candidate_id) {
  VIGIL_ASSIGN(auto rows, results.results_of_candidate(candidate_id));
  VIGIL_ASSIGN(auto facts, results.sitting_facts_of_candidate(candidate_id));
  std::vector<results::ReleasedResult> out;
  for (const auto& row : rows) {
    if (!row.released_wall_ms) continue;  // (2)
    // (2) A released result stays released only while no decision voids it (outcome.hpp invariant 2).
    const auto f = std::find_if(facts.begin(), facts.end(), [&](const SittingFactsRow& x) { return x.sitting_id == row.sitting_id; });
    if (f == facts.end() || !results::is_released(results::outcome_state(f->facts))) continue;
    VIGIL_ASSIGN(auto report, stored_report(row));
    report.items.clear();
    results::ReleasedResult r{row.sitting_id, *row.released_wall_ms, std::move(report), {}, std::nullopt};
    r.next_steps = results::next_steps(r.report.outcome);
    VIGIL_ASSIGN(auto cert, results.current_credential(row.sitting_id));
    if (cert) r.certificate = cert->credential_json;
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_score_table(const results::ScoreReport& r, std::string_view sitting_id) {
  std::ostringstream o;
  char line[160];
  o << "sitting " << sitting_id << "  assessment " << r.assessment_id << " v" << r.version << "  outcome "
    << results::outcome_name(r.outcome) << "\n\n";
  std::snprintf(line, sizeof line, "%-10s %-17s %7s %7s %8s %10s\n", "stage", "status", "raw", "max", "percent", "threshold");
  o << line;
  for (const auto& s : r.stages) {
    std::snprintf(line, sizeof line, "%-10s %-17s %7u %7u %7u%% %9u%%\n", std::string(assessment::section_kind_name(s.stage)).c_str(),
                  std::string(results::stage_status_name(s.status)).c_str(), s.marks.raw, s.marks.max, s.marks.percent(),
                  s.threshold);
    o << line;
    if (s.status == results::StageStatus::exempt) o << "           exempt: " << s.exempt_reason << "\n";
  }
  std::snprintf(line, sizeof line, "%-10s %-17s %7u %7u %7u%% %9u%%\n\n", "overall", "", r.overall.raw, r.overall.max,
                r.overall.percent(), r.overall_threshold);
  o << line;
  std::snprintf(line, sizeof line, "%-10s %7s %7s %8s  %s\n", "KSS area", "raw", "max", "percent", "at standard");
  o << line;
  for (const auto& a : r.areas) {
    std::snprintf(line, sizeof line, "%-10s %7u %7u %7u%%  %s\n", a.kss.c_str(), a.marks.raw, a.marks.max,
                  a.marks.percent(), a.at_standard ? "yes" : "no");
    o << line;
  }
  std::uint32_t answered = 0;
  for (const auto& i : r.items) answered += i.answered ? 1 : 0;
  o << "\nitems scored: " << r.items.size() << ", answered: " << answered << "\n";
  return o.str();
}

Result<std::string> results_csv(Repository& repo, ResultsRepository& results, std::string_view assessment_id,
                                const std::optional<std::string>& council_id, const ResultsCsvOptions& options) {
  VIGIL_ASSIGN(auto outcomes, window_outcomes(results, assessment_id));
  struct Line {
    SittingOutcomeView outcome;
    CandidateRow candidate;
    std::optional<ResultRow> row;               // the scores shown, if any
    std::optional<results::ScoreReport> report;
    std::int64_t attempt = 1;
  };
  std::vector<Line> lines;
  std::vector<std::string> areas;
  for (auto& v : outcomes) {
    // The admin's export: every scored sitting. The council's: what its Results view lists.
    if (options.released_only ? v.state == results::OutcomeState::not_released : v.row.outcome.empty()) continue;
    VIGIL_ASSIGN(auto cand, repo.candidate(v.row.candidate_id));
    if (!cand) continue;
    if (council_id && cand->council_id != *council_id) continue;
    Line l{v, *cand, std::nullopt, std::nullopt, 1};
    if (options.resits) {
      VIGIL_ASSIGN(l.attempt, attempt_of(*options.resits, v.row.sitting_id));
    }
    // A council sees the scores of a released result only (never of a void one).
    if (!v.row.outcome.empty() && (!options.released_only || results::is_released(v.state))) {
      VIGIL_ASSIGN(l.row, results.result(v.row.sitting_id));
      if (l.row) {
        VIGIL_ASSIGN(l.report, stored_report(*l.row));
        for (const auto& a : l.report->areas) {
          if (std::find(areas.begin(), areas.end(), a.kss) == areas.end()) areas.push_back(a.kss);
        }
      }
    }
    lines.push_back(std::move(l));
  }
  std::sort(areas.begin(), areas.end(), [](const auto& a, const auto& b) { return results::kss_less(a, b); });
  CsvWriter csv(CsvWriter::Quote::when_needed);
  for (std::string_view column : {"sitting_id", "candidate_id", "candidate_name", "council_id", "attempt", "outcome", "released",
                                  "state", "public_reason", "overall_percent"}) {
    csv.plain(column);
  }
  for (std::string_view st : {"knowledge", "scenario", "written"}) {
    csv.plain(std::string(st) + "_status").plain(std::string(st) + "_percent");
  }
  for (const auto& a : areas) csv.text(a + "_percent");  // area names come from the content
  csv.end_row();
  for (const auto& l : lines) {
    const auto& v = l.outcome;
    csv.text(v.row.sitting_id).text(l.candidate.candidate_id).text(l.candidate.full_name).text(l.candidate.council_id);
    csv.number(l.attempt).plain(l.row ? l.row->outcome : std::string());
    csv.plain(l.row && l.row->released_wall_ms ? time::utc_date(*l.row->released_wall_ms) : std::string());
    csv.plain(results::outcome_state_name(v.state)).text(v.public_reason);   // the proctors' words: defused
    if (l.report) csv.number(static_cast<std::int64_t>(l.report->overall.percent()));
    else csv.plain("");
    for (std::size_t i = 0; i < 3; ++i) {
      if (!l.report || i >= l.report->stages.size()) {
        csv.plain("").plain("");
        continue;
      }
      const auto& st = l.report->stages[i];
      const bool scored = st.status == results::StageStatus::met || st.status == results::StageStatus::not_met;
      csv.plain(results::stage_status_name(st.status));
      if (scored) csv.number(static_cast<std::int64_t>(st.marks.percent()));
      else csv.plain("");
    }
    for (const auto& a : areas) {
      if (!l.report) {
        csv.plain("");
        continue;
      }
      auto it = std::find_if(l.report->areas.begin(), l.report->areas.end(), [&](const auto& x) { return x.kss == a; });
      if (it != l.report->areas.end()) csv.number(static_cast<std::int64_t>(it->marks.percent()));
      else csv.plain("");
    }
    csv.end_row();
  }
  return csv.take();
}

Result<std::vector<results::ItemStatistic>> item_statistics_for(ResultsRepository& results, std::string_view assessment_id) {
  VIGIL_ASSIGN(auto rows, results.results_of_assessment(assessment_id));
  std::vector<results::ScoreReport> reports;
  for (const auto& row : rows) {
    VIGIL_ASSIGN(auto r, stored_report(row));
    reports.push_back(std::move(r));
  }
  return results::item_statistics(reports);
}

std::string format_item_statistics(const std::vector<results::ItemStatistic>& stats) {
  std::ostringstream o;
  char line[160];
  std::snprintf(line, sizeof line, "%-24s %10s %9s %15s\n", "item", "candidates", "facility", "discrimination");
  o << line;
  for (const auto& s : stats) {
    char disc[32] = "n/a";
    if (s.discrimination) std::snprintf(disc, sizeof disc, "%.2f", *s.discrimination);
    std::snprintf(line, sizeof line, "%-24s %10zu %9.2f %15s\n", s.item_id.c_str(), s.candidates, s.facility, disc);
    o << line;
  }
  o << "facility: proportion right (very high or low items tell little); discrimination: correlation with the rest "
       "of the objective score (below 0.2 deserves review; n/a: no variation)\n";
  return o.str();
}

}  // namespace vigil::server
