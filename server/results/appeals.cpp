#include "server/results/appeals.hpp"

#include <algorithm>

#include "server/results/outcome.hpp"
#include "server/results/results.hpp"
#include "shared/results/outcome.hpp"
#include "shared/time/format.hpp"

namespace vigil::server {

namespace {

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

Result<LodgedAppeal> lodge_appeal(Repository& repo, ResultsRepository& results, AppealRepository& appeals,
                                  const DeviceRow& device, std::string_view sitting_id, const results::AppealRequest& request,
                                  std::int64_t window_days, const time::Clock& clock) {
  const auto now = clock.wall_ms();
  LodgedAppeal out;
  bool not_theirs = false;
  auto st = repo.transaction([&]() -> Status {
    // (2) The same request again: the appeal it made.
    VIGIL_ASSIGN(auto same, appeals.appeal_by_request(device.device_id, request.request_id));
    if (same) {
      if (same->sitting_id != sitting_id) {
        return fail(Error(Errc::conflict, "this request id was used for another sitting's appeal", "request_id"));
      }
      out.appeal = std::move(*same);
      return {};
    }
    // (1) Only the device's own candidate's sitting; another's and a missing one answer alike.
    VIGIL_ASSIGN(auto sitting, repo.sitting(sitting_id));
    if (!sitting || sitting->candidate_id != device.candidate_id) {
      not_theirs = true;
      return fail(Error(Errc::forbidden, "this computer may appeal only its own candidate's results", "sitting"));
    }
    VIGIL_ASSIGN(auto view, sitting_outcome(results, sitting_id));
    if (!view || !results::is_decided_hold(view->state)) {
      const auto label = view ? results::outcome_state_label(view->state) : std::string_view("not yet released");
      return fail(Error(Errc::conflict,
                        "only a result that is void following a review, or withheld because the identity was not "
                        "confirmed, can be appealed; this one is: " + std::string(label),
                        "sitting"));
    }
    const std::int64_t told = view->since_wall_ms.value_or(0);
    // (2) Once per decision.
    VIGIL_ASSIGN(auto earlier, appeals.appeals_of_sitting(sitting_id));
    for (const auto& a : earlier) {
      if (a.state != "decided") {
        return fail(Error(Errc::conflict, "an appeal of this result is already open (received on " +
                                              time::utc_date(a.lodged_wall_ms) + ")", "sitting"));
      }
      if (a.lodged_wall_ms >= told) {
        return fail(Error(Errc::conflict, "your appeal of this decision was decided on " + time::utc_date(a.decided_wall_ms) +
                                              " (the decision " + (a.outcome == "upheld" ? "stands" : "was overturned") +
                                              "); that decision is final", "sitting"));
      }
    }
    // (2) Within the period, by the server's clock.
    const auto deadline = results::appeal_deadline_ms(told, window_days);
    if (now >= deadline) {
      return fail(Error(Errc::conflict,
                        "the period for appealing this decision ended at the end of " + time::utc_date(deadline - 1) +
                            " (UTC): an appeal must reach the programme within " + std::to_string(window_days) +
                            " days of the decision, which was made on " + time::utc_date(told),
                        "sitting"));
    }
    AppealRow a;
    a.sitting_id = std::string(sitting_id);
    a.candidate_id = device.candidate_id;
    a.device_id = device.device_id;
    a.request_id = request.request_id;
    a.reason = request.reason;
    a.appealed_state = std::string(results::outcome_state_name(view->state));
    a.decision_wall_ms = told;
    a.lodged_wall_ms = now;
    a.written_wall_ms = request.written_wall_ms;
    VIGIL_ASSIGN(a.appeal_id, appeals.add_appeal(a));
    VIGIL_TRY(repo.add_audit("appeal.lodge", "sitting/" + a.sitting_id,
                             "appeal " + std::to_string(a.appeal_id) + " from device " + device.device_id + " against " +
                                 a.appealed_state,
                             now));
    VIGIL_ASSIGN(auto stored, appeals.appeal(a.appeal_id));
    out.appeal = stored.value_or(a);
    out.created = true;
    return {};
  });
  if (!st) {
    if (not_theirs) {
      // (1) Audited after the rollback, in a transaction of its own.
      VIGIL_TRY(repo.transaction([&]() -> Status {
        return repo.add_audit("device.refused", "device/" + device.device_id,
                              "appeal of sitting " + std::string(sitting_id) + ", not candidate " + device.candidate_id +
                                  "'s: refused",
                              now);
      }));
    }
    return fail(st.error());
  }
  return out;
}

bool may_review_appeal(std::int64_t user, const std::vector<std::int64_t>& deciders,
                       const std::vector<AppealDecisionRow>& earlier) {
  if (user == 0 || contains(deciders, user)) return false;
  return std::none_of(earlier.begin(), earlier.end(), [&](const AppealDecisionRow& d) { return d.staff_id == user; });
}

bool may_see_appeal(const AppealRow& appeal, std::int64_t user) noexcept {
  return user != 0 && (appeal.reviewer_id == user || appeal.second_reviewer_id == user);
}

Result<AppealStep> appeal_step(const AppealRow& appeal, std::string_view outcome, std::string_view public_reason,
                               std::string_view note, std::int64_t by, const std::vector<std::int64_t>& deciders,
                               const std::vector<AppealDecisionRow>& earlier) {
  if (outcome != "upheld" && outcome != "overturned") {
    return fail(Error(Errc::invalid_argument, "outcome must be upheld or overturned", "outcome"));
  }
  AppealStep step;
  VIGIL_ASSIGN(step.public_reason, results::check_public_reason(public_reason));
  if (blank(note)) {
    return fail(Error(Errc::invalid_argument, "say in a note what you considered: it stays on the appeal pages", "note"));
  }
  if (appeal.state == "decided") return fail(Errc::conflict, "this appeal has already been decided");
  if (contains(deciders, by)) {
    return fail(Errc::forbidden, "you took part in the decision under appeal, so you cannot decide the appeal");
  }
  if (appeal.state == "lodged") return fail(Errc::conflict, "no reviewer has been assigned to this appeal yet");
  if (appeal.state == "assigned") {
    if (by != appeal.reviewer_id) return fail(Errc::forbidden, "this appeal is not assigned to you as its reviewer");
    if (std::any_of(earlier.begin(), earlier.end(), [&](const AppealDecisionRow& d) { return d.staff_id == by; })) {
      return fail(Errc::conflict, "you have already made a decision on this appeal; someone who has not must decide it");
    }
    step.state = "proposed";
    step.proposed_outcome = std::string(outcome);
    step.proposed_by = by;
    return step;
  }
  // proposed
  if (by == appeal.proposed_by) {
    return fail(Errc::conflict, "you proposed this outcome; the second reviewer, a different person, must confirm it");
  }
  if (appeal.second_reviewer_id == 0) {
    return fail(Errc::conflict, "no second reviewer has been assigned to this appeal yet");
  }
  if (by != appeal.second_reviewer_id) {
    return fail(Errc::forbidden, "this appeal is not assigned to you as its second reviewer");
  }
  step.stage = 2;
  step.proposed_outcome = appeal.proposed_outcome;
  step.proposed_by = appeal.proposed_by;
  if (outcome == appeal.proposed_outcome) {
    step.state = "decided";
    step.outcome = std::string(outcome);
  } else {
    // The two reviewers disagree: back to the admin, for people who made no decision on it.
    step.state = "lodged";
    step.proposed_outcome.clear();
    step.proposed_by = 0;
    step.disputed = true;
  }
  return step;
}

Result<AfterOverturn> release_after_appeal(Repository& repo, ResultsRepository& results, AppealRepository& appeals,
                                           const IssuerSigner* signer, std::string_view sitting_id,
                                           const time::Clock& clock) {
  AfterOverturn out;
  VIGIL_ASSIGN(auto view, sitting_outcome(results, sitting_id));
  if (!view) return fail(Errc::not_found, "no sitting " + std::string(sitting_id));
  const auto& row = view->row;
  const bool decided = row.outcome == "met" || row.outcome == "not_met";
  if (view->state == results::OutcomeState::not_released) {
    if (!decided) {
      out.note = row.outcome.empty() ? "the result is not scored yet: it is released with its window once scored"
                                     : "the result awaits marking: it is released with its window once marked";
      return out;
    }
    VIGIL_ASSIGN(const bool window_out, appeals.window_released(row.assessment_id));
    if (!window_out) {
      out.note = "the window's results are not released yet: this result is released with them";
      return out;
    }
    VIGIL_TRY(repo.transaction([&]() -> Status {
      VIGIL_ASSIGN(const auto changed, appeals.release_sitting(sitting_id, clock.wall_ms()));
      out.released_now = changed > 0;
      if (out.released_now) {
        VIGIL_TRY(repo.add_audit("appeal.release", "sitting/" + std::string(sitting_id),
                                 "released after an overturned appeal: " + row.outcome, clock.wall_ms()));
      }
      return {};
    }));
  } else if (view->state == results::OutcomeState::under_review) {
    out.note = "another check of the sitting is not finished: the result is released with its window once it is";
    return out;
  } else if (!results::is_released(view->state)) {
    out.note = "another decision still holds the result";
    return out;
  }
  VIGIL_ASSIGN(auto now_row, results.result(sitting_id));
  if (!now_row || now_row->outcome != "met" || !now_row->released_wall_ms) {
    if (out.note.empty()) out.note = out.released_now ? "released now" : "released";
    return out;
  }
  VIGIL_ASSIGN(auto existing, results.current_credential(sitting_id));
  if (existing) {
    out.note = "released; its certificate stands";
    return out;
  }
  if (!signer) {
    out.note = "released; no issuer key was loaded: issue its certificate with vigil-server certificate issue";
    return out;
  }
  VIGIL_ASSIGN(auto c, issue_certificate(repo, results, *signer, sitting_id, clock));
  out.certificate = std::move(c);
  out.note = "released with its certificate";
  return out;
}

}  // namespace vigil::server
