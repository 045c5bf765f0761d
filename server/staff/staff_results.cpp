#include "server/staff/staff_results.hpp"

#include <algorithm>

#include "server/results/outcome.hpp"
#include "server/storage/appeals_repository.hpp"
#include "server/results/resits.hpp"
#include "server/results/results.hpp"
#include "shared/time/format.hpp"
#include "shared/certificate/credential.hpp"

namespace vigil::server::staff_detail {

namespace {

struct Deps {
  const StaffResultsDeps& d;
  ResitRepository& resits;
};

// The results dependencies with the resits storage.
Deps need(const Ctx& c) { return Deps{c.results, c.results.resits}; }

// The window in the path, which must have at least one sitting (so a typo is "not found", not an
// empty window).
Result<std::string> path_window(Ctx& c, ResitRepository& resits) {
  const auto& id = c.params.at("assessment");
  VIGIL_ASSIGN(auto all, resits.windows());
  for (const auto& w : all) {
    if (w.assessment_id == id) return id;
  }
  return fail(Errc::not_found, "no assessment window " + id + " has any sittings");
}

bool window_has_release(ResultsRepository& results, std::string_view assessment_id, bool* has) {
  auto rows = results.results_of_assessment(assessment_id);
  if (!rows) return false;
  *has = std::any_of(rows->begin(), rows->end(), [](const ResultRow& r) { return r.released_wall_ms.has_value(); });
  return true;
}

json withheld_json(const WithheldCounts& w) {
  return json{{"total", w.withheld},
              {"under_review", w.under_review},
              {"void_after_review", w.void_after_review},
              {"withheld_identity", w.withheld_identity},
              {"review_open", w.review_open},
              {"review_awaiting_second", w.review_awaiting_second},
              {"identity_pending", w.identity_pending},
              {"identity_awaiting_second", w.identity_awaiting_second}};
}

json window_json(const WindowSummary& w, const results::Thresholds& t, const WithheldCounts& withheld) {
  return json{{"assessment_id", w.assessment_id}, {"sittings", w.sittings},   {"submitted", w.submitted},
              {"scored", w.scored},               {"incomplete", w.incomplete}, {"met", w.met},
              {"not_met", w.not_met},             {"released", w.released},   {"thresholds", results::to_json(t)},
              {"withheld", withheld_json(withheld)}, {"ready_to_release", withheld.ready_to_release}};
}

// The reasons the withheld list can be narrowed to: a state, or one unfinished check.
bool withheld_reason_matches(const SittingOutcomeView& v, std::string_view reason) {
  if (!results::is_withheld(v.state)) return false;
  if (reason.empty()) return true;
  if (reason == results::outcome_state_name(v.state)) return true;
  return std::any_of(v.pending.begin(), v.pending.end(),
                     [&](results::PendingCheck p) { return results::pending_check_name(p) == reason; });
}

bool known_withheld_reason(std::string_view reason) {
  if (reason == "under_review" || reason == "void_after_review" || reason == "withheld_identity") return true;
  return value_named(results::k_pending_check_names, reason).has_value();
}

// The body {"confirm": true}: true when it confirms, false when it does not; an error for any
// other member or a confirm that is not true or false.
Result<bool> confirmed(const HttpRequest& req) {
  VIGIL_ASSIGN(const auto body, json_body(req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const auto confirm, in.optional_boolean("confirm"));
  VIGIL_TRY(in.finish());
  return confirm.value_or(false);
}

}  // namespace

// ---- programme admin: per assessment window ---

Result<HttpResponse> get_result_windows(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto all, deps.resits.windows());
  json list = json::array();
  for (const auto& w : all) {
    VIGIL_ASSIGN(auto t, thresholds_for(deps.d.results, w.assessment_id));
    VIGIL_ASSIGN(auto outcomes, window_outcomes(deps.d.results, w.assessment_id));
    list.push_back(window_json(w, t, withheld_counts(outcomes)));
  }
  return json_response(200, json{{"v", 1}, {"windows", list}});
}

// The window's withheld sittings (server/results/outcome.hpp): who, which council, why, since
// when, and the reviews and identity checks to open; ?reason= narrows it to one state or one
// unfinished check. The public reason of a decision, never the proctors' notes.
Result<HttpResponse> get_window_withheld(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  std::string reason;
  if (const auto it = q.find("reason"); it != q.end() && !it->second.empty()) {
    if (!known_withheld_reason(it->second)) {
      return fail(Error(Errc::invalid_argument,
                        "reason must be under_review, void_after_review, withheld_identity or one of " +
                            names_list(results::k_pending_check_names),
                        "reason"));
    }
    reason = it->second;
  }
  VIGIL_ASSIGN(auto outcomes, window_outcomes(deps.d.results, id));
  VIGIL_ASSIGN(auto councils, c.staff.councils());
  std::map<std::string, std::string> council_names(councils.begin(), councils.end());
  json list = json::array();
  for (const auto& v : outcomes) {
    if (!withheld_reason_matches(v, reason)) continue;
    VIGIL_ASSIGN(auto candidate, c.repo.candidate(v.row.candidate_id));
    json pending = json::array();
    for (const auto p : v.pending) pending.push_back({{"check", results::pending_check_name(p)}, {"label", results::pending_check_label(p)}});
    json reviews = json::array();
    VIGIL_ASSIGN(auto review_rows, c.staff.reviews_of_sitting(v.row.sitting_id, v.row.candidate_id));
    for (const auto& r : review_rows) {
      reviews.push_back({{"device_id", r.device_id}, {"session_id", r.session_id}, {"state", r.state}, {"decision", r.decision}});
    }
    json checks = json::array();
    VIGIL_ASSIGN(auto check_rows, c.staff.identity_checks_of_sitting(v.row.sitting_id, v.row.candidate_id));
    for (const auto& r : check_rows) {
      checks.push_back({{"device_id", r.device_id}, {"session_id", r.session_id}, {"state", r.state}, {"decision", r.decision}});
    }
    const std::string council = candidate ? candidate->council_id : "";
    json j{{"sitting_id", v.row.sitting_id},
           {"candidate_id", v.row.candidate_id},
           {"full_name", candidate ? candidate->full_name : ""},
           {"council_id", council},
           {"council_name", council_names.count(council) ? council_names[council] : council},
           {"state", results::outcome_state_name(v.state)},
           {"state_label", results::outcome_state_label(v.state)},
           {"pending", pending},
           {"reviews", reviews},
           {"identity_checks", checks}};
    j["since_wall_ms"] = v.since_wall_ms ? json(*v.since_wall_ms) : json();
    if (v.state != results::OutcomeState::under_review) j["public_reason"] = v.public_reason;
    list.push_back(std::move(j));
  }
  return json_response(200, json{{"v", 1}, {"assessment_id", id}, {"reason", reason}, {"counts", withheld_json(withheld_counts(outcomes))},
                                 {"sittings", list}});
}

// Scores every submitted, unreleased sitting; one sitting's failure is reported and does not stop
// the others (a package problem or missing answers on one device must not hold back the rest).
Result<HttpResponse> post_window_score(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  VIGIL_ASSIGN(auto sittings, deps.resits.submitted_unreleased(id));
  json scored = json::array(), failed = json::array();
  for (const auto& s : sittings) {
    auto r = score_sitting(c.repo, deps.d.results, deps.d.keys, s, c.clock);
    if (r) {
      scored.push_back({{"sitting_id", s}, {"outcome", results::outcome_name(r->outcome)}});
    } else {
      failed.push_back({{"sitting_id", s}, {"error", r.error().message}});
    }
  }
  VIGIL_TRY(c.audit("results.score", "assessment/" + id,
                    std::to_string(scored.size()) + " scored, " + std::to_string(failed.size()) + " failed"));
  return json_response(200, json{{"v", 1}, {"assessment_id", id}, {"scored", scored}, {"failed", failed}});
}

Result<HttpResponse> get_window_thresholds(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  VIGIL_ASSIGN(auto t, thresholds_for(deps.d.results, id));
  return json_response(200, json{{"v", 1}, {"assessment_id", id}, {"thresholds", results::to_json(t)}});
}

// Pass marks are fixed once any result of the window is released: a window's candidates are all
// judged against one standard. Results scored before a change are re-scored with "Score
// submitted sittings".
Result<HttpResponse> put_window_thresholds(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  VIGIL_ASSIGN(auto t, results::parse_thresholds(c.req.body));
  bool released = false;
  if (!window_has_release(deps.d.results, id, &released)) return fail(Errc::internal, "could not read the window's results");
  if (released) {
    return fail(Errc::conflict, "results of " + id + " have been released, so its pass marks can no longer change (every "
                                "candidate of a window is judged against the same standard)");
  }
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(set_thresholds(deps.d.results, id, t, c.clock));
    return c.audit("results.thresholds", "assessment/" + id, results::to_json(t).dump());
  }));
  return json_response(200, json{{"v", 1}, {"assessment_id", id}, {"thresholds", results::to_json(t)},
                           {"note", "re-score the window's submitted sittings so their results use these pass marks"}});
}

// The one release path (release_results): every decided result of the window, certificates for
// the met ones. The body must confirm ({"confirm": true}): the page asks first.
Result<HttpResponse> post_window_release(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(const bool confirm, confirmed(c.req));
  if (!confirm) {
    return fail(Error(Errc::invalid_argument, "confirm the release: a released result cannot be changed or withdrawn", "confirm"));
  }
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  auto released = release_results(c.repo, deps.d.results, id, deps.d.signer, c.clock);
  if (!released) {
    // The release itself commits before certificates are issued: a failure may leave results
    // released without their certificates (issue them with `vigil-server certificate issue`), so
    // the attempt is audited either way.
    (void)c.audit("results.release", "assessment/" + id, "failed: " + released.error().message);
    return fail(released.error());
  }
  const auto& out = *released;
  const auto detail = std::to_string(out.counts.released) + " released, " + std::to_string(out.counts.already) +
                      " already, " + std::to_string(out.counts.incomplete) + " awaiting marking, " +
                      std::to_string(out.counts.withheld_under_review) + " withheld under review, " +
                      std::to_string(out.counts.withheld_adverse) + " withheld after an adverse decision, " +
                      std::to_string(out.certificates.size()) + " certificate(s); identity check: " +
                      std::to_string(out.counts.awaiting_identity) + " not decided, " +
                      std::to_string(out.counts.withheld_identity) + " withheld";
  VIGIL_TRY(c.audit("results.release", "assessment/" + id, detail));
  return json_response(200, json{{"v", 1},
                           {"assessment_id", id},
                           {"released", out.counts.released},
                           {"already", out.counts.already},
                           {"awaiting_marking", out.counts.incomplete},
                           {"withheld_under_review", out.counts.withheld_under_review},
                           {"withheld_adverse", out.counts.withheld_adverse},
                           {"awaiting_identity", out.counts.awaiting_identity},
                           {"withheld_identity", out.counts.withheld_identity},
                           {"certificates", out.certificates.size()},
                           {"certificates_deferred", deps.d.signer == nullptr}});
}

Result<HttpResponse> get_window_csv(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(auto id, path_window(c, deps.resits));
  VIGIL_ASSIGN(auto csv, results_csv(c.repo, deps.d.results, id, std::nullopt, ResultsCsvOptions{false, &deps.resits}));
  VIGIL_TRY(c.audit("results.export", "assessment/" + id));
  return csv_download(std::move(csv), "vigil-results-" + id + ".csv");
}

// ---- council manager: their own candidates, released results only ---

// The council's own candidates' sittings once there is something to say about a result: the
// released ones with their scores, and those withheld (under review, void following a review,
// withheld: identity not confirmed) with their state and the decision's public reason, never the
// proctors' notes and never a void result's scores (server/results/outcome.hpp).
Result<HttpResponse> get_council_results(Ctx& c) {
  const auto deps = need(c);
  const auto& council = c.params.at("council");
  VIGIL_ASSIGN(auto outcomes, council_outcomes(deps.d.results, council, 10'000));
  std::map<std::string, std::string> names;
  json list = json::array();
  for (const auto& v : outcomes) {
    if (v.state == results::OutcomeState::not_released) continue;
    const auto& candidate_id = v.row.candidate_id;
    if (!names.count(candidate_id)) {
      VIGIL_ASSIGN(auto cand, c.repo.candidate(candidate_id));
      names[candidate_id] = cand ? cand->full_name : "";
    }
    VIGIL_ASSIGN(auto attempt, attempt_of(deps.resits, v.row.sitting_id));
    json j{{"sitting_id", v.row.sitting_id},
           {"candidate_id", candidate_id},
           {"full_name", names[candidate_id]},
           {"assessment_id", v.row.assessment_id},
           {"attempt", attempt},
           {"state", results::outcome_state_name(v.state)},
           {"state_label", results::outcome_state_label(v.state)}};
    j["since"] = v.since_wall_ms ? json(time::utc_date(*v.since_wall_ms)) : json();
    // The sitting's latest appeal (schema 14): the council sees that one is open, and its outcome.
    VIGIL_ASSIGN(auto appeals, deps.d.appeals.appeals_of_sitting(v.row.sitting_id));
    if (!appeals.empty()) {
      const auto& a = appeals.front();
      j["appeal"] = a.state == "decided" ? json{{"state", "decided"}, {"outcome", a.outcome}, {"public_reason", a.public_reason}}
                                         : json{{"state", "open"}};
    }
    if (!results::is_released(v.state)) {
      if (v.state != results::OutcomeState::under_review) j["public_reason"] = v.public_reason;
      j["reendorsed"] = false;
      j["can_reendorse"] = false;
      list.push_back(std::move(j));
      continue;
    }
    VIGIL_ASSIGN(auto stored, deps.d.results.result(v.row.sitting_id));
    if (!stored || !stored->released_wall_ms) continue;
    const auto& r = *stored;
    auto report = json::parse(r.report_json, nullptr, false);
    if (report.is_discarded()) return fail(Errc::integrity, "the stored result of " + r.sitting_id + " is unreadable");
    report.erase("items");   // item detail stays with the programme
    VIGIL_ASSIGN(auto resit, deps.resits.resit_of(r.sitting_id));
    VIGIL_ASSIGN(auto latest, latest_released(deps.d.results, r.candidate_id));
    j["outcome"] = r.outcome;
    j["released"] = time::utc_date(*r.released_wall_ms);
    j["stages"] = report.value("stages", json::array());
    j["areas"] = report.value("areas", json::array());
    j["overall"] = report.value("overall", json::object());
    j["reendorsed"] = resit.has_value();
    if (resit && resit->sitting_id) j["resit_sitting_id"] = *resit->sitting_id;
    // Only the candidate's latest released result, when not met and not yet re-endorsed.
    j["can_reendorse"] = r.outcome == "not_met" && !resit && latest && latest->sitting_id == r.sitting_id;
    list.push_back(std::move(j));
  }
  return json_response(200, json{{"v", 1}, {"council_id", council}, {"results", list}});
}

Result<HttpResponse> get_council_results_csv(Ctx& c) {
  const auto deps = need(c);
  const auto& council = c.params.at("council");
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  const auto it = q.find("assessment");
  if (it == q.end() || !safe_id(it->second, 128)) {
    return fail(Error(Errc::invalid_argument, "name the assessment window: ?assessment=ID", "assessment"));
  }
  VIGIL_ASSIGN(auto csv, results_csv(c.repo, deps.d.results, it->second, council, ResultsCsvOptions{true, &deps.resits}));
  VIGIL_TRY(c.audit("results.export", "council/" + council, "assessment/" + it->second));
  return csv_download(std::move(csv), "vigil-results-" + council + "-" + it->second + ".csv");
}

// Re-endorsement after "not met" (resits.hpp invariant 1). The body must confirm.
Result<HttpResponse> post_reendorse(Ctx& c) {
  const auto deps = need(c);
  VIGIL_ASSIGN(const bool confirm, confirmed(c.req));
  if (!confirm) return fail(Error(Errc::invalid_argument, "confirm the re-endorsement", "confirm"));
  const auto& council = c.params.at("council");
  const auto& candidate = c.params.at("candidate");
  VIGIL_ASSIGN(auto endorsement, c.staff.endorsement(candidate));
  if (endorsement && endorsement->withdrawn_wall_ms && endorsement->candidate.council_id == council) {
    return fail(Errc::conflict, endorsement->candidate.full_name + "'s endorsement was withdrawn; endorse them again instead");
  }
  ResitRow row;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(row, reendorse_for_resit(c.repo, deps.d.results, deps.resits, candidate, council, c.who.user_id, c.clock));
    return c.audit("candidate.reendorse", "candidate/" + candidate,
                   "resit of sitting " + row.resit_of + ", attempt " + std::to_string(row.attempt));
  }));
  return json_response(200, json{{"v", 1}, {"candidate_id", candidate}, {"resit_of", row.resit_of}, {"attempt", row.attempt}});
}

}  // namespace vigil::server::staff_detail
