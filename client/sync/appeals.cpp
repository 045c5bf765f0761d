#include "client/sync/appeals.hpp"

#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::client::sync {

using nlohmann::json;

Result<bool> push_appeals(store::Store& store, Transport& transport) {
  VIGIL_ASSIGN(auto kept, store::kept_appeals(store));
  bool done = true;
  for (const auto& a : kept) {
    if (a.status != "sent") continue;
    protocol::HttpRequest req;
    req.method = "POST";
    req.target = "/v1/sittings/" + a.sitting_id + "/appeal";
    req.headers["Content-Type"] = "application/json";
    req.body = results::to_json(a.request).dump();
    VIGIL_ASSIGN(auto resp, transport.roundtrip(req));
    if (resp.status == 200 || resp.status == 201) {
      const auto body = json::parse(resp.body, nullptr, false);
      std::int64_t lodged = 0;
      if (body.is_object() && body.contains("appeal") && body["appeal"].is_object()) {
        lodged = body["appeal"].value("lodged_wall_ms", std::int64_t{0});
      }
      VIGIL_TRY(store::mark_appeal(store, a.request.request_id, "received", "", lodged));
      continue;
    }
    if (resp.status == 404) {
      done = false;   // an older server: try again later
      continue;
    }
    if (resp.status == 400 || resp.status == 403 || resp.status == 409 || resp.status == 422) {
      // The server's reason (late, not a void or withheld result, appealed already, not this
      // candidate's): sending it again cannot change it.
      auto err = protocol::parse_error_body(resp.body);
      VIGIL_TRY(store::mark_appeal(store, a.request.request_id, "refused",
                                   err ? err->message : "the programme did not accept this appeal", 0));
      continue;
    }
    return fail(http::decode_error(resp).retry_later());  // 429, 5xx: later
  }
  return done;
}

void add_appeals_for_page(json& body, const results::CandidateResults& results, const std::vector<store::KeptAppeal>& kept) {
  if (!body.contains("sittings") || !body["sittings"].is_array()) return;
  for (std::size_t i = 0; i < results.sittings.size() && i < body["sittings"].size(); ++i) {
    const auto& s = results.sittings[i];
    auto& j = body["sittings"][i];
    // The latest request kept here for this sitting.
    const store::KeptAppeal* local = nullptr;
    for (const auto& a : kept) {
      if (a.sitting_id == s.sitting_id) local = &a;
    }
    json appeal;
    if (s.appeal && (!local || local->status != "sent" || s.appeal->lodged_wall_ms >= local->request.written_wall_ms ||
                     s.appeal->state == "decided")) {
      appeal = {{"state", s.appeal->state}, {"lodged_wall_ms", s.appeal->lodged_wall_ms}};
      if (s.appeal->state == "decided") {
        appeal["outcome"] = s.appeal->outcome;
        appeal["decided_wall_ms"] = s.appeal->decided_wall_ms;
        appeal["public_reason"] = s.appeal->public_reason;
        appeal["label"] = "Appeal decided";
      } else {
        appeal["label"] = "Appeal received";
      }
    } else if (local && local->status == "sent") {
      appeal = {{"state", "sent"}, {"label", "Appeal sent"}, {"written_wall_ms", local->request.written_wall_ms}};
    } else if (local && local->status == "received") {
      appeal = {{"state", "received"}, {"label", "Appeal received"}, {"lodged_wall_ms", local->lodged_wall_ms}};
    } else if (local && local->status == "refused" && !s.appeal) {
      appeal = {{"state", "refused"}, {"label", "Appeal not accepted"}, {"message", local->message}};
    }
    if (!appeal.is_null()) {
      if (local) appeal["reason"] = local->request.reason;   // the candidate's own words, kept here
      j["appeal"] = std::move(appeal);
    }
  }
}

}  // namespace vigil::client::sync
