#include "server/staff/staff_identity.hpp"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "server/results/identity.hpp"
#include "server/staff/staff_workload.hpp"
#include "shared/results/outcome.hpp"

namespace vigil::server::staff_detail {

namespace {

// The check page shows a few of the session's thumbnails beside the photos.
constexpr std::int64_t k_identity_thumbnails = 6;

IdentityCheckState state_of(const IdentityCheckRow& r) {
  return {r.state, r.proctor_id, r.second_proctor_id, r.proposed_decision, r.proposed_by};
}

std::string target_of(const IdentityCheckRow& r) { return "session/" + r.device_id + "/" + r.session_id; }

json identity_json(const IdentityCheckRow& r, const Ctx& c) {
  json j{{"device_id", r.device_id}, {"session_id", r.session_id}, {"candidate_id", r.candidate_id},
         {"full_name", r.full_name}, {"level", r.level},           {"created_wall_ms", r.created_wall_ms},
         {"state", r.state},         {"proctor_id", r.proctor_id}, {"second_proctor_id", r.second_proctor_id}};
  j.update(timing_json(r.created_wall_ms, c.now(), c.config.identity_target_hours));
  if (!r.proposed_decision.empty()) {
    j["proposed_decision"] = r.proposed_decision;
    j["proposed_by"] = r.proposed_by;
  }
  if (!r.decision.empty()) j["decision"] = r.decision;
  return j;
}

Result<IdentityCheckRow> identity_row(Ctx& c) {
  VIGIL_ASSIGN(auto r, c.staff.identity_check(c.params.at("device"), c.params.at("session")));
  if (!r) return fail(Errc::not_found, "no identity check for this session");
  return std::move(*r);
}

}  // namespace

Result<HttpResponse> get_identity_queue(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  // Checks are assigned as they arrive, and those that arrived while no proctor was active when one
  // becomes active (schema 13 invariant 3); oldest first.
  std::optional<std::int64_t> proctor;
  if (c.who.role == Role::proctor) proctor = c.who.user_id;
  VIGIL_ASSIGN(auto rows, c.staff.identity_queue(proctor, int_param(q, "limit", 100, 1, 1000)));
  json list = json::array();
  for (const auto& r : rows) {
    auto j = identity_json(r, c);
    j["your_part"] = r.state == "awaiting_second" && r.second_proctor_id == c.who.user_id ? "second" : "first";
    list.push_back(std::move(j));
  }
  return json_response(200, json{{"v", 1}, {"checks", list}});
}

Result<HttpResponse> post_identity_assign(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const std::int64_t proctor_id, in.integer("proctor_id"));
  VIGIL_ASSIGN(const auto second, in.optional_boolean("second"));
  VIGIL_TRY(in.finish());
  VIGIL_TRY(active_proctor(c, proctor_id));
  const bool as_second = second.value_or(false);
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto row, identity_row(c));
    // The two proctors of a check are two people (server/results/identity.hpp invariant 3).
    if (as_second ? proctor_id == row.proctor_id || proctor_id == row.proposed_by : proctor_id == row.second_proctor_id) {
      return fail(Error(Errc::conflict, "the first and second proctors of a check must be different people", "proctor_id"));
    }
    if (as_second && row.state != "awaiting_second") {
      return fail(Errc::conflict, "this check is not waiting for a second proctor");
    }
    VIGIL_TRY(c.staff.assign_identity(row.device_id, row.session_id, as_second, proctor_id));
    return c.audit("identity.assign", target_of(row), std::string(as_second ? "second" : "first") + " proctor " +
                                                          std::to_string(proctor_id));
  }));
  return json_response(200, json{{"v", 1}, {"assigned", proctor_id}, {"second", as_second}});
}

Result<HttpResponse> get_identity_check(Ctx& c) {
  VIGIL_ASSIGN(auto row, identity_row(c));
  VIGIL_ASSIGN(auto evidence, c.staff.identity_evidence(row.device_id, row.session_id, k_identity_thumbnails));
  VIGIL_ASSIGN(auto decisions, c.staff.identity_decisions(row.device_id, row.session_id));
  json jd = json::array();
  for (const auto& d : decisions) {
    json j{{"proctor_id", d.proctor_id}, {"stage", d.stage}, {"decision", d.decision}, {"note", d.note},
           {"wall_ms", d.wall_ms}};
    if (!d.public_reason.empty()) j["public_reason"] = d.public_reason;
    jd.push_back(std::move(j));
  }
  VIGIL_TRY(c.audit("identity.view", target_of(row)));
  auto out = identity_json(row, c);
  out["v"] = 1;
  out["face_photo"] = !evidence.face_photo.empty();
  out["id_photo"] = !evidence.id_photo.empty();
  // An admin follows the check (a withheld result's link) but never opens its photos.
  out["thumbnails"] = c.who.role == Role::proctor ? json(evidence.thumbnails) : json::array();
  out["photos_for_you"] = c.who.role == Role::proctor;
  out["decisions"] = jd;
  // The first proctor's public reason, for the second proctor to keep or reword (schema 12).
  if (row.state == "awaiting_second") {
    for (auto it = decisions.rbegin(); it != decisions.rend(); ++it) {
      if (it->stage == 1) {
        if (!it->public_reason.empty()) out["proposed_public_reason"] = it->public_reason;
        break;
      }
    }
  }
  out["you"] = c.who.user_id;
  return json_response(200, out);
}

Result<HttpResponse> get_identity_photo(Ctx& c) {
  VIGIL_ASSIGN(auto row, identity_row(c));
  VIGIL_ASSIGN(auto evidence, c.staff.identity_evidence(row.device_id, row.session_id, k_identity_thumbnails));
  const std::string& which = c.params.at("which");
  std::string sha;
  if (which == "face") sha = evidence.face_photo;
  if (which == "id") sha = evidence.id_photo;
  if (std::find(evidence.thumbnails.begin(), evidence.thumbnails.end(), which) != evidence.thumbnails.end()) sha = which;
  if (sha.empty()) return fail(Errc::not_found, "this identity check has no such photo");
  // Audited before anything is opened: a view that fails is still a view that was asked for.
  VIGIL_TRY(c.audit("identity.photo", target_of(row), which == "face" || which == "id" ? which : "thumbnail " + which));
  // Photos and thumbnails are sealed with the session id as context (EVENTS.md): a photo the same
  // device sealed for another session (an earlier sitting's face, referenced again) does not open.
  VIGIL_ASSIGN(auto opened, open_session_blob(c, row.device_id, sha, {row.session_id}));
  return image_response(opened);
}

Result<HttpResponse> post_identity_decision(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto decision, str_field(in, "decision", 20));
  VIGIL_ASSIGN(auto note, str_field(in, "note", 2000, false));
  VIGIL_ASSIGN(auto public_reason, in.optional_string("public_reason", 4 * results::k_public_reason_max));
  VIGIL_TRY(in.finish());
  json out{{"v", 1}};
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto row, identity_row(c));
    VIGIL_ASSIGN(auto step, identity_step(state_of(row), decision, note, public_reason.value_or(""), c.who.user_id));
    VIGIL_TRY(c.staff.decide_identity(row.device_id, row.session_id,
                                      {c.who.user_id, step.stage, decision, note, c.now(), step.public_reason}, step.state,
                                      step.proposed_decision, step.proposed_by, step.decision));
    if (step.state == "awaiting_second") {
      // The second proctor: the least-loaded active proctor who took no part in the check
      // (schema 13); none free leaves it waiting until one becomes active, or an admin reassigns.
      VIGIL_ASSIGN(auto second, c.staff.assign_next_proctor(WorkKind::identity, row.device_id, row.session_id, c.now()));
      out["second_proctor_id"] = second.value_or(0);
    }
    out["state"] = step.state;
    if (!step.decision.empty()) out["decision"] = step.decision;
    out["withheld"] = step.decision == "does_not_match";
    return c.audit("identity.decide", target_of(row),
                   decision + " -> " + step.state + ": " + note +
                       (step.public_reason.empty() ? "" : " (public reason: " + step.public_reason + ")"));
  }));
  return json_response(200, out);
}

}  // namespace vigil::server::staff_detail
