#pragma once
// Results on the server (docs/RESULTS.md): scoring a sitting from its synced answers and the
// stored marking scheme, written marks per KSS area, release per assessment window, and issuing
// and revoking certificates. Pure functions over the repositories, so the admin commands
// (server/app/main.cpp), the device API (GET /v1/results) and the staff API (marking queue,
// release button, council views) all call the same code.
//
// Invariants:
//  (1) A sitting is scored only once a device has submitted it; a released result never changes.
//  (2) Only released results reach a device, and only its own candidate's; a released result that
//      a later review decision voided no longer does (server/results/outcome.hpp).
//  (3) A certificate is issued only for a released "met" result, signed by the active issuer key,
//      and never while the proctors' review is unfinished or after an adverse outcome.
//  (4) Release withholds sittings under review or with an adverse review outcome (ResultsRepository
//      invariant 4) and reports how many, and why; release_results is the only release path (the
//      CLI and the staff pages both call it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/home/server_keys.hpp"
#include "server/home/issuer_keys.hpp"
#include "server/storage/repository.hpp"
#include "server/storage/results_repository.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/results/analysis.hpp"
#include "shared/results/released.hpp"
#include "shared/results/scoring.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

// The assessment of a stored package, decrypted with the server's keys.
Result<assessment::Assessment> load_assessment(Repository& repo, const ServerKeys& keys, std::string_view assessment_id,
                                               std::uint32_t version);

// The window's thresholds, or the defaults (results::Thresholds{}) when none were set.
Result<results::Thresholds> thresholds_for(ResultsRepository& results, std::string_view assessment_id);
Status set_thresholds(ResultsRepository& results, std::string_view assessment_id, const results::Thresholds& t,
                      const time::Clock& clock);

// Records the agreed written marks of a sitting, checked against the areas its written stage
// assesses (every area once, 0 <= mark <= max, max > 0).
Status set_written_marks(Repository& repo, ResultsRepository& results, const ServerKeys& keys,
                         std::string_view sitting_id, const std::vector<results::WrittenAreaMark>& marks,
                         const time::Clock& clock);

// (1) Scores the sitting and stores the result (replacing an unreleased earlier score).
Result<results::ScoreReport> score_sitting(Repository& repo, ResultsRepository& results, const ServerKeys& keys,
                                           std::string_view sitting_id, const time::Clock& clock);

struct ReleaseOutcome {
  ReleaseCounts counts;
  std::vector<certificate::Credential> certificates;  // issued now, for the met results released now
};
// Releases every decided result of the window that review does not withhold (4); with a signer,
// issues the certificates of the met results released now.
Result<ReleaseOutcome> release_results(Repository& repo, ResultsRepository& results, std::string_view assessment_id,
                                       const IssuerSigner* signer, const time::Clock& clock);

// (3) Issues (or re-issues: a new id) the certificate of a released met result.
Result<certificate::Credential> issue_certificate(Repository& repo, ResultsRepository& results, const IssuerSigner& signer,
                                                  std::string_view sitting_id, const time::Clock& clock,
                                                  std::uint32_t valid_years = certificate::k_default_valid_years);

// (2) The candidate's released results with their current certificates.
Result<std::vector<results::ReleasedResult>> released_results_for(ResultsRepository& results, std::string_view candidate_id);

class ResitRepository;  // server/results/resits.hpp
struct ResultsCsvOptions {
  // The council view's export: the sittings its Results view lists (released, and withheld: under
  // review, void following a review, identity not confirmed), scores for released results only.
  bool released_only = false;
  ResitRepository* resits = nullptr;   // attempt numbers; without it every row is attempt 1
};
// CSV of a window's results (one row per scored sitting; the council view: see above), optionally
// one council's candidates only (the council view's export). Columns: sitting_id, candidate_id,
// candidate_name, council_id, attempt (1, or 2+ for a resit), outcome, released (ISO date or
// empty), state (server/results/outcome.hpp), public_reason (of a void or withheld result),
// overall_percent, then status and percent per stage, then percent per KSS area (empty where not
// assessed). Text that a spreadsheet would run as a formula (= + - @ at the start) is prefixed
// with an apostrophe.
Result<std::string> results_csv(Repository& repo, ResultsRepository& results, std::string_view assessment_id,
                                const std::optional<std::string>& council_id = std::nullopt,
                                const ResultsCsvOptions& options = {});

// Facility and discrimination of every objective item over a window's scored sittings.
Result<std::vector<results::ItemStatistic>> item_statistics_for(ResultsRepository& results, std::string_view assessment_id);
std::string format_item_statistics(const std::vector<results::ItemStatistic>& stats);

// A readable table of a score report for the admin command line.
std::string format_score_table(const results::ScoreReport& r, std::string_view sitting_id);

}  // namespace vigil::server
