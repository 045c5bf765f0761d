#include "server/staff/staff_workload.hpp"

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::server::staff_detail {

namespace {

// An item as the work pages show it: a review names its candidate by id only (as the review
// queue does); an identity check by the roster's name, which the proctor compares.
json work_json(const WorkItem& w, const Ctx& c) {
  json j{{"kind", work_kind_name(w.kind)}, {"device_id", w.device_id}, {"session_id", w.session_id},
         {"candidate_id", w.candidate_id}, {"since_wall_ms", w.since_wall_ms}, {"part", w.part},
         {"state", w.state}, {"proctor_id", w.proctor_id}};
  if (w.kind == WorkKind::identity) j["full_name"] = w.full_name;
  j.update(timing_json(w.since_wall_ms, c.now(), target_hours(c.config, w.kind)));
  return j;
}

json targets_json(const StaffApiConfig& config) {
  return json{{"review_hours", config.review_target_hours}, {"identity_hours", config.identity_target_hours}};
}

Result<HttpResponse> reassign(Ctx& c, WorkKind kind) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const std::int64_t proctor_id, in.integer("proctor_id"));
  VIGIL_ASSIGN(auto reason, str_field(in, "reason", 500));
  VIGIL_TRY(in.finish());
  if (trim(reason).empty() || has_control(reason)) {
    return fail(Error(Errc::invalid_argument, "say why you reassign it (one line)", "reason"));
  }
  VIGIL_ASSIGN(const auto to, active_proctor(c, proctor_id));
  const std::string& device = c.params.at("device");
  const std::string& session = c.params.at("session");
  if (kind == WorkKind::review) {
    VIGIL_ASSIGN(const auto row, c.staff.review_session(device, session));
    if (!row) return fail(Errc::not_found, "no flagged session with this id");
  } else {
    VIGIL_ASSIGN(const auto row, c.staff.identity_check(device, session));
    if (!row) return fail(Errc::not_found, "no identity check for this session");
  }
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(const auto from, c.staff.waiting_on(kind, device, session));
    VIGIL_TRY(c.staff.reassign_work(kind, device, session, proctor_id, c.who.user_id, c.now()));
    std::string was = from.empty() ? "nobody" : "";
    for (const auto id : from) was += (was.empty() ? "proctor " : ", proctor ") + std::to_string(id);
    return c.audit(std::string(work_kind_name(kind)) + ".reassign", "session/" + device + "/" + session,
                   "from " + was + " to proctor " + std::to_string(proctor_id) + " (" + to.display_name + "): " + reason);
  }));
  return json_response(200, json{{"v", 1}, {"kind", work_kind_name(kind)}, {"assigned", proctor_id}});
}

}  // namespace

Result<StaffUser> active_proctor(Ctx& c, std::int64_t id) {
  VIGIL_ASSIGN(auto p, c.staff.user(id));
  if (!p || p->role != Role::proctor || p->disabled) {
    return fail(Error(Errc::invalid_argument, "proctor_id is not an active proctor", "proctor_id"));
  }
  return std::move(*p);
}

Result<HttpResponse> get_my_work(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  VIGIL_ASSIGN(auto items, c.staff.open_work(c.who.user_id, int_param(q, "limit", 200, 1, 1000)));
  json list = json::array();
  for (const auto& w : items) list.push_back(work_json(w, c));
  return json_response(200, json{{"v", 1}, {"targets", targets_json(c.config)}, {"items", list}});
}

Result<HttpResponse> get_workload(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  VIGIL_ASSIGN(auto loads, c.staff.workload());
  VIGIL_ASSIGN(auto items, c.staff.open_work(std::nullopt, int_param(q, "limit", 500, 1, 5000)));
  std::map<std::int64_t, std::string> names;
  json proctors = json::array();
  for (const auto& l : loads) {
    names[l.proctor_id] = l.display_name;
    json p{{"proctor_id", l.proctor_id},
           {"display_name", l.display_name},
           {"open_reviews", l.open_reviews},
           {"open_identity_checks", l.open_identity_checks},
           {"oldest_age_ms", l.oldest_since_wall_ms ? json(std::max<std::int64_t>(0, c.now() - *l.oldest_since_wall_ms)) : json()}};
    proctors.push_back(std::move(p));
  }
  json list = json::array();
  for (const auto& w : items) {
    auto j = work_json(w, c);
    if (w.proctor_id != 0) j["proctor_name"] = names[w.proctor_id];
    list.push_back(std::move(j));
  }
  return json_response(200, json{{"v", 1}, {"targets", targets_json(c.config)}, {"proctors", proctors}, {"items", list}});
}

Result<HttpResponse> post_review_reassign(Ctx& c) { return reassign(c, WorkKind::review); }
Result<HttpResponse> post_identity_reassign(Ctx& c) { return reassign(c, WorkKind::identity); }

}  // namespace vigil::server::staff_detail
