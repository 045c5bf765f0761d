#include "server/staff/staff_appeals.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include <nlohmann/json.hpp>

#include "server/results/appeals.hpp"
#include "server/results/outcome.hpp"
#include "server/storage/appeals_repository.hpp"
#include "shared/results/appeal.hpp"
#include "shared/results/outcome.hpp"

namespace vigil::server::staff_detail {

namespace {

constexpr std::int64_t k_appeal_thumbnails = 6;

std::string target_of(const AppealRow& a) { return "appeal/" + std::to_string(a.appeal_id); }

json appeal_json(const AppealRow& a, std::int64_t window_days) {
  const auto state = results::parse_outcome_state(a.appealed_state).value_or(results::OutcomeState::void_after_review);
  json j{{"appeal_id", a.appeal_id},
         {"sitting_id", a.sitting_id},
         {"candidate_id", a.candidate_id},
         {"full_name", a.full_name},
         {"council_id", a.council_id},
         {"council_name", a.council_name},
         {"assessment_id", a.assessment_id},
         {"appealed_state", a.appealed_state},
         {"appealed_state_label", results::outcome_state_label(state)},
         {"decision_wall_ms", a.decision_wall_ms},
         {"appeal_until_wall_ms", results::appeal_deadline_ms(a.decision_wall_ms, window_days)},
         {"lodged_wall_ms", a.lodged_wall_ms},
         {"state", a.state},
         {"reviewer_id", a.reviewer_id},
         {"second_reviewer_id", a.second_reviewer_id},
         {"disputed", a.disputed}};
  if (!a.proposed_outcome.empty()) {
    j["proposed_outcome"] = a.proposed_outcome;
    j["proposed_by"] = a.proposed_by;
  }
  if (a.state == "decided") {
    j["outcome"] = a.outcome;
    j["public_reason"] = a.public_reason;
    j["decided_wall_ms"] = a.decided_wall_ms;
  }
  return j;
}

Result<AppealRow> appeal_row(Ctx& c) {
  VIGIL_ASSIGN(const auto id, appeal_id_of(c.params.at("appeal")));
  VIGIL_ASSIGN(auto a, c.results.appeals.appeal(id));
  if (!a) return fail(Errc::not_found, "no such appeal");
  return std::move(*a);
}

// Active proctors who may review this appeal (appeals.hpp invariant 3).
Result<std::vector<StaffUser>> eligible_reviewers(Ctx& c, const AppealRow& a) {
  VIGIL_ASSIGN(auto deciders, c.results.appeals.sitting_deciders(a.sitting_id));
  VIGIL_ASSIGN(auto earlier, c.results.appeals.appeal_decisions(a.appeal_id));
  VIGIL_ASSIGN(auto users, c.staff.users(1000));
  std::vector<StaffUser> out;
  for (auto& u : users) {
    if (u.role == Role::proctor && !u.disabled && may_review_appeal(u.user_id, deciders, earlier)) out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

Result<std::int64_t> appeal_id_of(std::string_view s) {
  std::int64_t id = 0;
  if (s.empty() || std::from_chars(s.data(), s.data() + s.size(), id).ptr != s.data() + s.size() || id <= 0) {
    return fail(Errc::not_found, "no such appeal");
  }
  return id;
}

Result<HttpResponse> get_appeals(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  AppealQuery query;
  if (auto it = q.find("state"); it != q.end() && !it->second.empty()) {
    static const std::array<std::string_view, 5> k_states{"open", "lodged", "assigned", "proposed", "decided"};
    if (std::find(k_states.begin(), k_states.end(), it->second) == k_states.end()) {
      return fail(Error(Errc::invalid_argument, "state must be open, lodged, assigned, proposed or decided", "state"));
    }
    query.state = it->second;
  }
  query.limit = int_param(q, "limit", 100, 1, 1000);
  const bool admin = c.who.role == Role::programme_admin;
  if (!admin) query.reviewer = c.who.user_id;   // a proctor: the appeals assigned to them
  VIGIL_ASSIGN(auto rows, c.results.appeals.appeals(query));
  json list = json::array();
  for (const auto& a : rows) {
    auto j = appeal_json(a, c.config.appeal_window_days);
    if (admin && (a.state == "lodged" || a.state == "assigned")) {
      VIGIL_ASSIGN(auto eligible, eligible_reviewers(c, a));
      json ids = json::array();
      for (const auto& u : eligible) ids.push_back(u.user_id);
      j["eligible_reviewers"] = std::move(ids);
    }
    if (!admin) j["your_part"] = a.reviewer_id == c.who.user_id ? "reviewer" : "second";
    list.push_back(std::move(j));
  }
  json out{{"v", 1}, {"appeals", list}, {"appeal_window_days", c.config.appeal_window_days}};
  if (admin) {
    json proctors = json::array();
    VIGIL_ASSIGN(auto users, c.staff.users(1000));
    for (const auto& u : users) {
      if (u.role == Role::proctor && !u.disabled) proctors.push_back({{"user_id", u.user_id}, {"display_name", u.display_name}});
    }
    out["proctors"] = std::move(proctors);
  }
  return json_response(200, out);
}

Result<HttpResponse> post_appeal_assign(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const std::int64_t reviewer, in.integer("reviewer_id"));
  VIGIL_ASSIGN(const auto second, in.optional_integer("second_reviewer_id"));
  VIGIL_TRY(in.finish());
  const std::int64_t second_id = second.value_or(0);
  if (second_id != 0 && second_id == reviewer) {
    return fail(Error(Errc::invalid_argument, "the reviewer and the second reviewer must be two people", "second_reviewer_id"));
  }
  json out{{"v", 1}};
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto a, appeal_row(c));
    VIGIL_ASSIGN(auto eligible, eligible_reviewers(c, a));
    const auto ok = [&](std::int64_t id) {
      return std::any_of(eligible.begin(), eligible.end(), [&](const StaffUser& u) { return u.user_id == id; });
    };
    // Invariant 3 of appeals.hpp, before the schema's trigger: never someone who took part.
    if (!ok(reviewer)) {
      return fail(Error(Errc::conflict, "this person cannot review the appeal: they took part in the decision, made a "
                                        "decision on this appeal already, or are not an active proctor", "reviewer_id"));
    }
    if (second_id != 0 && !ok(second_id)) {
      return fail(Error(Errc::conflict, "this person cannot be the second reviewer: they took part in the decision, made "
                                        "a decision on this appeal already, or are not an active proctor", "second_reviewer_id"));
    }
    VIGIL_TRY(c.results.appeals.assign_appeal(a.appeal_id, reviewer, second_id, c.who.user_id));
    out["reviewer_id"] = reviewer;
    out["second_reviewer_id"] = second_id;
    return c.audit("appeal.assign", target_of(a),
                   "reviewer " + std::to_string(reviewer) + (second_id ? ", second reviewer " + std::to_string(second_id) : ""));
  }));
  return json_response(200, out);
}

Result<HttpResponse> get_appeal(Ctx& c) {
  VIGIL_ASSIGN(auto a, appeal_row(c));
  const bool reviewer = may_see_appeal(a, c.who.user_id);
  auto out = appeal_json(a, c.config.appeal_window_days);
  out["v"] = 1;
  out["reason"] = a.reason;   // the candidate's words
  if (a.written_wall_ms) out["written_wall_ms"] = *a.written_wall_ms;
  // The decision under appeal: its state now and the proctors' decisions with their public
  // reasons, for each review and identity check of the sitting.
  VIGIL_ASSIGN(auto view, sitting_outcome(c.results.results, a.sitting_id));
  if (view) {
    out["state_now"] = results::outcome_state_name(view->state);
    out["state_now_label"] = results::outcome_state_label(view->state);
    if (!view->public_reason.empty()) out["public_reason_now"] = view->public_reason;
  }
  json reviews = json::array();
  VIGIL_ASSIGN(auto review_rows, c.staff.reviews_of_sitting(a.sitting_id, a.candidate_id));
  for (const auto& r : review_rows) {
    json jr = queue_json(r);
    json decisions = json::array();
    VIGIL_ASSIGN(auto ds, c.staff.decisions(r.device_id, r.session_id));
    for (const auto& d : ds) {
      json jd{{"proctor_id", d.proctor_id}, {"decision", d.decision}, {"note", d.note}, {"wall_ms", d.wall_ms}, {"round", d.round}};
      if (!d.public_reason.empty()) jd["public_reason"] = d.public_reason;
      decisions.push_back(std::move(jd));
    }
    jr["decisions"] = std::move(decisions);
    json flags = json::array();
    VIGIL_ASSIGN(auto fs, c.staff.review_flags(r.device_id, r.session_id));
    for (const auto& f : fs) {
      json jf{{"flag_row", f.flag_row}, {"check", f.check}, {"severity", severity_name(f.severity)},
              {"confidence", f.confidence}, {"start_wall_ms", f.start_wall_ms},
              {"evidence", reviewer ? json(f.evidence) : json::array()}};
      if (!f.decision.empty()) jf["decision"] = {{"decision", f.decision}, {"note", f.decision_note}, {"by", f.decided_by}};
      flags.push_back(std::move(jf));
    }
    jr["flags"] = std::move(flags);
    reviews.push_back(std::move(jr));
  }
  out["reviews"] = std::move(reviews);
  json checks = json::array();
  VIGIL_ASSIGN(auto check_rows, c.staff.identity_checks_of_sitting(a.sitting_id, a.candidate_id));
  for (const auto& k : check_rows) {
    json jk{{"device_id", k.device_id}, {"session_id", k.session_id}, {"state", k.state}, {"full_name", k.full_name},
            {"level", k.level}};
    if (!k.decision.empty()) jk["decision"] = k.decision;
    json decisions = json::array();
    VIGIL_ASSIGN(auto ds, c.staff.identity_decisions(k.device_id, k.session_id));
    for (const auto& d : ds) {
      json jd{{"proctor_id", d.proctor_id}, {"stage", d.stage}, {"decision", d.decision}, {"note", d.note}, {"wall_ms", d.wall_ms}};
      if (!d.public_reason.empty()) jd["public_reason"] = d.public_reason;
      decisions.push_back(std::move(jd));
    }
    jk["decisions"] = std::move(decisions);
    // The photos and thumbnails the proctors saw, for the appeal's reviewers only.
    if (reviewer) {
      VIGIL_ASSIGN(auto ev, c.staff.identity_evidence(k.device_id, k.session_id, k_appeal_thumbnails));
      jk["face_photo"] = !ev.face_photo.empty();
      jk["id_photo"] = !ev.id_photo.empty();
      jk["thumbnails"] = ev.thumbnails;
    }
    checks.push_back(std::move(jk));
  }
  out["identity_checks"] = std::move(checks);
  json decisions = json::array();
  VIGIL_ASSIGN(auto ds, c.results.appeals.appeal_decisions(a.appeal_id));
  for (const auto& d : ds) {
    decisions.push_back({{"staff_id", d.staff_id}, {"stage", d.stage}, {"outcome", d.outcome},
                         {"public_reason", d.public_reason}, {"note", d.note}, {"wall_ms", d.wall_ms}});
  }
  out["decisions"] = std::move(decisions);
  // The proposal's public reason, for the second reviewer to keep or reword.
  if (a.state == "proposed") {
    for (auto it = ds.rbegin(); it != ds.rend(); ++it) {
      if (it->stage == 1 && it->staff_id == a.proposed_by) {
        out["proposed_public_reason"] = it->public_reason;
        break;
      }
    }
  }
  out["evidence_for_you"] = reviewer;
  out["you"] = c.who.user_id;
  if (c.who.role == Role::programme_admin && (a.state == "lodged" || a.state == "assigned")) {
    VIGIL_ASSIGN(auto eligible, eligible_reviewers(c, a));
    json ids = json::array();
    for (const auto& u : eligible) ids.push_back(u.user_id);
    out["eligible_reviewers"] = std::move(ids);
  }
  VIGIL_TRY(c.audit("appeal.view", target_of(a)));
  return json_response(200, out);
}

Result<HttpResponse> get_appeal_evidence(Ctx& c) {
  VIGIL_ASSIGN(auto a, appeal_row(c));
  const std::string& device = c.params.at("device");
  const std::string& which = c.params.at("which");
  // Only the sitting's own sessions, and only what they reference (a flag's evidence, a
  // thumbnail, the identity photos).
  VIGIL_ASSIGN(auto checks, c.staff.identity_checks_of_sitting(a.sitting_id, a.candidate_id));
  VIGIL_ASSIGN(auto reviews, c.staff.reviews_of_sitting(a.sitting_id, a.candidate_id));
  const bool known = std::any_of(checks.begin(), checks.end(), [&](const IdentityCheckRow& k) { return k.device_id == device; }) ||
                     std::any_of(reviews.begin(), reviews.end(), [&](const QueueEntry& r) { return r.device_id == device; });
  if (!known) return fail(Errc::not_found, "this appeal's sitting has no such evidence");
  std::string sha = which;
  if (which == "face" || which == "id") {
    VIGIL_ASSIGN(auto ev, c.staff.identity_evidence(device, a.sitting_id, k_appeal_thumbnails));
    sha = which == "face" ? ev.face_photo : ev.id_photo;
    if (sha.empty()) return fail(Errc::not_found, "the candidate took no such photo");
  } else {
    VIGIL_ASSIGN(bool referenced, c.staff.session_references_blob(device, a.sitting_id, sha));
    if (!referenced) return fail(Errc::not_found, "this appeal's sitting has no such evidence");
  }
  // Audited before anything is opened, as the identity photos are.
  VIGIL_TRY(c.audit("appeal.evidence", target_of(a), "session/" + device + "/" + a.sitting_id + " " + which));
  VIGIL_ASSIGN(auto opened, open_session_blob(c, device, sha, {a.sitting_id, std::string_view()}));
  return image_response(opened);
}

Result<HttpResponse> post_appeal_decision(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto outcome, str_field(in, "outcome", 20));
  VIGIL_ASSIGN(auto note, str_field(in, "note", 4000, false));
  VIGIL_ASSIGN(auto public_reason, in.optional_string("public_reason", 4 * results::k_public_reason_max));
  VIGIL_TRY(in.finish());
  json out{{"v", 1}};
  AppealRow decided;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto a, appeal_row(c));
    VIGIL_ASSIGN(auto deciders, c.results.appeals.sitting_deciders(a.sitting_id));
    VIGIL_ASSIGN(auto earlier, c.results.appeals.appeal_decisions(a.appeal_id));
    VIGIL_ASSIGN(auto step, appeal_step(a, outcome, public_reason.value_or(""), note, c.who.user_id, deciders, earlier));
    VIGIL_TRY(c.results.appeals.add_appeal_decision(
        a.appeal_id, {c.who.user_id, step.stage, outcome, step.public_reason, note, c.now()}));
    VIGIL_TRY(c.results.appeals.set_appeal_state(
        a.appeal_id, {step.state, step.proposed_outcome, step.proposed_by, step.outcome, step.public_reason, c.now(),
                      step.disputed || a.disputed}));
    out["state"] = step.state;
    out["disputed"] = step.disputed;
    if (!step.outcome.empty()) out["outcome"] = step.outcome;
    decided = a;
    decided.outcome = step.outcome;
    return c.audit("appeal.decide", target_of(a),
                   std::string(step.stage == 1 ? "proposes " : "answers ") + outcome + " -> " + step.state + ": " + note +
                       " (public reason: " + step.public_reason + ")");
  }));
  // An overturned appeal lifted the holds with the decision (schema 14); the result is released
  // now when nothing else holds it and its window is out (appeals.hpp invariant 4).
  if (decided.outcome == "overturned") {
    VIGIL_ASSIGN(auto after, release_after_appeal(c.repo, c.results.results, c.results.appeals, c.results.signer,
                                                  decided.sitting_id, c.clock));
    out["released"] = after.released_now;
    out["certificate_issued"] = after.certificate.has_value();
    if (after.certificate) out["credential_id"] = after.certificate->credential_id;
    out["next"] = after.note;
    VIGIL_TRY(c.repo.transaction([&]() -> Status {
      return c.audit("appeal.overturned", target_of(decided),
                     after.note + (after.certificate ? " (certificate " + after.certificate->credential_id + ")" : ""));
    }));
  }
  return json_response(200, out);
}

}  // namespace vigil::server::staff_detail
