#pragma once
// Appeals of void or withheld results (issue 16 part 4; docs/RESULTS.md "Appeals", docs/STAFF.md
// "Appeals"): lodging one from the candidate's device, the two-person decision on it, and what an
// overturned appeal does to the result. No HTTP: the device API and the staff API call these;
// storage is AppealRepository (schema 14), whose triggers refuse what these refuse in any case.
//
// Invariants:
//  (1) A device appeals only its own candidate's sitting: any other sitting (or none) is refused
//      with the same forbidden answer, audited, and nothing is written.
//  (2) Only a result in a state decided by two proctors (void_after_review, withheld_identity) is
//      appealed, within the period (shared/results/appeal.hpp invariant 3: the server's clock on
//      arrival against the decision's time), once per decision: a second request while one is
//      open, or after the appeal of the same decision was decided, is refused with the reason.
//      The same request again (its request_id) answers with the appeal it made.
//  (3) Nobody who took part in the decision (AppealRepository::sitting_deciders) reviews, proposes
//      or confirms; the reviewer and the second reviewer are two people; the second confirms the
//      reviewer's proposal or sends it back (disputed), after which only people who made no
//      decision on this appeal are assigned. Every decision carries a public reason (what the
//      candidate and council see) and a note (the appeal pages only).
//  (4) Overturned: the schema lifts the holds (schema 14 invariant 5) in the decision's own
//      statement; then the result is released at once, with its certificate when it is met, if
//      it is scored and decided, nothing else holds it (an identity check or review still open)
//      and its window has been released; otherwise the window's next release releases it, as any
//      other. Upheld: nothing changes; the state stays, with the decision's public reason.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/home/issuer_keys.hpp"
#include "server/storage/appeals_repository.hpp"
#include "server/storage/repository.hpp"
#include "server/storage/results_repository.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/results/appeal.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

struct LodgedAppeal {
  AppealRow appeal;
  bool created = false;   // false: the same request again (2)
};

// (1), (2) In one transaction; a refusal of another candidate's sitting is audited after it.
Result<LodgedAppeal> lodge_appeal(Repository& repo, ResultsRepository& results, AppealRepository& appeals,
                                  const DeviceRow& device, std::string_view sitting_id, const results::AppealRequest& request,
                                  std::int64_t window_days, const time::Clock& clock);

// What one decision does to the appeal (3).
struct AppealStep {
  std::string state;              // proposed | decided | lodged (sent back after a disagreement)
  std::string proposed_outcome;
  std::int64_t proposed_by = 0;
  std::string outcome;            // once decided
  int stage = 1;
  bool disputed = false;
  std::string public_reason;      // checked, trimmed
};
// Checks the outcome (upheld | overturned; field "outcome"), public reason and note, and who
// decides (3); conflict, forbidden or invalid_argument when not allowed.
Result<AppealStep> appeal_step(const AppealRow& appeal, std::string_view outcome, std::string_view public_reason,
                               std::string_view note, std::int64_t by, const std::vector<std::int64_t>& deciders,
                               const std::vector<AppealDecisionRow>& earlier);

// (3) Whether `user` may be assigned as reviewer or second reviewer: took no part in the decision,
// and, once the appeal was disputed, made no decision on it.
bool may_review_appeal(std::int64_t user, const std::vector<std::int64_t>& deciders,
                       const std::vector<AppealDecisionRow>& earlier);
// The assigned reviewers may open the appeal's evidence (the admin sees the appeal, never it).
bool may_see_appeal(const AppealRow& appeal, std::int64_t user) noexcept;

// (4) After an overturned appeal.
struct AfterOverturn {
  bool released_now = false;
  std::optional<certificate::Credential> certificate;   // issued now
  std::string note;                                     // what happens next, in words
};
Result<AfterOverturn> release_after_appeal(Repository& repo, ResultsRepository& results, AppealRepository& appeals,
                                           const IssuerSigner* signer, std::string_view sitting_id,
                                           const time::Clock& clock);

}  // namespace vigil::server
