#include "server/staff/staff_review.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/staff/staff_detail.hpp"
#include "server/staff/staff_workload.hpp"
#include "shared/protocol/json_limits.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/results/outcome.hpp"

namespace vigil::server::staff_detail {

namespace {

// ---- review ---

// One page of a session's timeline in the staff view (finding 4): bounded by events and bytes.
constexpr std::int64_t k_timeline_page_events = 500;
constexpr std::size_t k_timeline_page_bytes = 2 * 1024 * 1024;

}  // namespace

Result<HttpResponse> get_queue(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  std::string state;
  if (auto it = q.find("state"); it != q.end() && !it->second.empty()) {
    if (it->second != "open" && it->second != "awaiting_second" && it->second != "decided") {
      return fail(Error(Errc::invalid_argument, "state must be open, awaiting_second or decided", "state"));
    }
    state = it->second;
  }
  // Proctors see only what is assigned to them; admins see everything (to assign it).
  std::optional<std::int64_t> proctor;
  if (c.who.role == Role::proctor) proctor = c.who.user_id;
  VIGIL_ASSIGN(auto entries, c.staff.queue(proctor, state, int_param(q, "limit", 100, 1, 1000)));
  json list = json::array();
  for (const auto& e : entries) {
    auto j = queue_json(e);
    j.update(timing_json(e.first_flag_wall_ms, c.now(), c.config.review_target_hours));
    list.push_back(std::move(j));
  }
  return json_response(200, json{{"v", 1}, {"sessions", list}});
}

namespace {

Result<QueueEntry> review_row(Ctx& c) {
  VIGIL_ASSIGN(auto r, c.staff.review_session(c.params.at("device"), c.params.at("session")));
  if (!r) return fail(Errc::not_found, "no flagged session with this id");
  return std::move(*r);
}

}  // namespace

Result<HttpResponse> post_assign(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const std::int64_t proctor_id, in.integer("proctor_id"));
  VIGIL_TRY(in.finish());
  VIGIL_TRY(active_proctor(c, proctor_id));
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.assign(row.device_id, row.session_id, proctor_id, c.who.user_id, c.now()));
    return c.audit("review.assign", "session/" + row.device_id + "/" + row.session_id, "proctor " + std::to_string(proctor_id));
  }));
  return json_response(200, json{{"v", 1}, {"assigned", proctor_id}});
}

Result<HttpResponse> get_session(Ctx& c) {
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_ASSIGN(auto flags, c.staff.review_flags(row.device_id, row.session_id));
  // The timeline is paged (issue 13, finding 4): ?after_seq=N continues after event N; a page holds
  // at most k_timeline_page_events events and k_timeline_page_bytes of payload.
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  const auto after_seq = static_cast<std::uint64_t>(int_param(q, "after_seq", 0, 0, std::numeric_limits<std::int64_t>::max()));
  VIGIL_ASSIGN(auto page, c.staff.timeline(row.device_id, row.session_id, after_seq, k_timeline_page_events,
                                           k_timeline_page_bytes));
  VIGIL_ASSIGN(auto decisions, c.staff.decisions(row.device_id, row.session_id));
  VIGIL_ASSIGN(auto proctors, c.staff.assigned_proctors(row.device_id, row.session_id));
  json jf = json::array();
  for (const auto& f : flags) {
    json j{{"flag_row", f.flag_row}, {"seq", f.seq}, {"source", f.source}, {"flag_id", f.flag_id}, {"check", f.check},
           {"severity", severity_name(f.severity)}, {"confidence", f.confidence}, {"start_wall_ms", f.start_wall_ms},
           {"evidence", f.evidence}};
    if (f.end_wall_ms) j["end_wall_ms"] = *f.end_wall_ms;
    if (!f.decision.empty()) j["decision"] = {{"decision", f.decision}, {"note", f.decision_note}, {"by", f.decided_by}};
    jf.push_back(j);
  }
  json je = json::array();
  for (const auto& e : page.events) {
    // Bounded depth (shared/protocol/json_limits.hpp): records stored before the ingest check, or
    // anything not JSON, are shown as text.
    auto payload = protocol::parse_bounded(e.payload);
    je.push_back({{"seq", e.seq}, {"wall_ms", e.wall_ms}, {"type", e.type}, {"payload", payload.is_discarded() ? json(e.payload) : payload}});
  }
  json jd = json::array();
  for (const auto& d : decisions) {
    json j{{"proctor_id", d.proctor_id}, {"decision", d.decision}, {"note", d.note}, {"wall_ms", d.wall_ms}, {"round", d.round}};
    if (!d.public_reason.empty()) j["public_reason"] = d.public_reason;
    jd.push_back(std::move(j));
  }
  // The proposal's public reason, for the second proctor to keep or reword (schema 12).
  json session = queue_json(row);
  if (row.state == "awaiting_second") {
    for (auto it = decisions.rbegin(); it != decisions.rend(); ++it) {
      if (it->round == row.round && it->proctor_id == row.proposed_by && it->decision == row.proposed_decision) {
        session["proposed_public_reason"] = it->public_reason;
        break;
      }
    }
  }
  VIGIL_TRY(c.audit("review.view", "session/" + row.device_id + "/" + row.session_id));
  json out{{"v", 1}, {"session", session}, {"flags", jf}, {"timeline", je}, {"timeline_truncated", page.more},
           {"decisions", jd}, {"assigned_proctors", proctors}, {"you", c.who.user_id}};
  if (page.more) out["timeline_next_after_seq"] = page.events.back().seq;
  return json_response(200, out);
}

namespace {

// A proctor's decision as both decision endpoints take it: {"decision", "note"}, the decision one
// of `allowed`; every decision but the first (the benign one) needs a note, `note_needed` says so.
// With `public_reason` (the session decision), every decision but the first also needs a public
// reason (schema 12 invariant 1), and the first takes none.
struct DecisionBody {
  std::string decision;
  std::string note;
  std::string public_reason;
};
Result<DecisionBody> decision_body(Ctx& c, const std::array<std::string_view, 3>& allowed, std::size_t note_max,
                                   std::string_view note_needed, bool public_reason = false) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto decision, str_field(in, "decision", 20));
  VIGIL_ASSIGN(auto note, str_field(in, "note", note_max, false));
  std::optional<std::string> reason;
  if (public_reason) {
    VIGIL_ASSIGN(reason, in.optional_string("public_reason", 4 * results::k_public_reason_max));
  }
  VIGIL_TRY(in.finish());
  if (std::find(allowed.begin(), allowed.end(), decision) == allowed.end()) {
    return fail(Error(Errc::invalid_argument,
                      "decision must be " + std::string(allowed[0]) + ", " + std::string(allowed[1]) + " or " +
                          std::string(allowed[2]),
                      "decision"));
  }
  if (decision != allowed[0] && trim(note).empty()) {
    return fail(Error(Errc::invalid_argument, std::string(note_needed), "note"));
  }
  DecisionBody out{std::move(decision), std::move(note), {}};
  if (public_reason && out.decision != allowed[0]) {
    VIGIL_ASSIGN(out.public_reason, results::check_public_reason(reason.value_or("")));
  } else if (public_reason && !trim(reason.value_or("")).empty()) {
    return fail(Error(Errc::invalid_argument, "a public reason is given only with concerns or a breach", "public_reason"));
  }
  return out;
}

}  // namespace

Result<HttpResponse> get_evidence(Ctx& c) {
  const std::string& sha_hex = c.params.at("sha");
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_ASSIGN(bool referenced, c.staff.session_references_blob(row.device_id, row.session_id, sha_hex));
  if (!referenced) return fail(Errc::not_found, "this session has no such evidence");
  // Sealed by the device with the session id as context (EVENTS.md): a box moved to another
  // session does not open.
  VIGIL_ASSIGN(auto opened, open_session_blob(c, row.device_id, sha_hex, {row.session_id}));
  VIGIL_TRY(c.audit("evidence.view", "session/" + row.device_id + "/" + row.session_id, "blob " + sha_hex));
  return image_response(opened);
}

Result<HttpResponse> post_flag_decision(Ctx& c) {
  VIGIL_ASSIGN(auto body, decision_body(c, {"dismiss", "note", "concern"}, 2000, "write a note saying what you saw"));
  // Named references, not a structured binding: the lambdas below capture them, which clang
  // before 16 (the fuzz build's clang 14) refuses for structured bindings.
  const std::string& decision = body.decision;
  const std::string& note = body.note;
  VIGIL_ASSIGN(auto row, review_row(c));
  if (row.state == "decided") return fail(Errc::conflict, "this session has been decided; its flags can no longer change");
  std::int64_t flag_row = 0;
  const auto& f = c.params.at("flag");
  if (std::from_chars(f.data(), f.data() + f.size(), flag_row).ptr != f.data() + f.size()) {
    return fail(Errc::not_found, "no such flag in this session");
  }
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.decide_flag(flag_row, row.device_id, row.session_id, decision, note, c.who.user_id, c.now()));
    return c.audit("flag.decide", "session/" + row.device_id + "/" + row.session_id, "flag " + f + ": " + decision + ": " + note);
  }));
  return json_response(200, json{{"v", 1}, {"flag_row", flag_row}, {"decision", decision}});
}

Result<HttpResponse> post_session_decision(Ctx& c) {
  VIGIL_ASSIGN(auto body, decision_body(c, {"no_concerns", "concerns", "breach"}, 4000,
                                        "an adverse decision needs a note giving the reasons", true));
  const std::string& decision = body.decision;
  const std::string& note = body.note;
  const std::string& public_reason = body.public_reason;
  const bool adverse = decision != "no_concerns";
  json out{{"v", 1}};
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto row, review_row(c));
    const std::string target = "session/" + row.device_id + "/" + row.session_id;
    if (row.state == "decided") return fail(Errc::conflict, "this session has already been decided");
    VIGIL_ASSIGN(auto flags, c.staff.review_flags(row.device_id, row.session_id));
    if (std::any_of(flags.begin(), flags.end(), [](const ReviewFlagRow& f) { return f.decision.empty(); })) {
      return fail(Errc::conflict, "decide every flag of this session first");
    }
    VIGIL_ASSIGN(auto earlier, c.staff.decisions(row.device_id, row.session_id));
    const bool took_part = std::any_of(earlier.begin(), earlier.end(), [&](const DecisionRow& d) {
      return d.round == row.round && d.proctor_id == c.who.user_id;
    });
    // Invariant 5: after a disagreement only a proctor who took no part in this round decides
    // (issue 13, finding 5): the second proctor cannot overrule the first alone.
    if (row.disputed && took_part) {
      return fail(Error(Errc::conflict, "two proctors disagreed on this session: a third proctor who has not decided it "
                                        "in this round must decide", "decision"));
    }
    VIGIL_TRY(c.staff.add_session_decision(row.device_id, row.session_id,
                                           {c.who.user_id, decision, note, c.now(), row.round, public_reason}));
    std::string state, proposed, final_decision;
    std::int64_t proposed_by = 0;
    bool disputed = row.disputed;
    if (row.state == "awaiting_second") {
      // Invariant 5: the second proctor must be someone else.
      if (row.proposed_by == c.who.user_id) {
        return fail(Errc::conflict, "you proposed this decision; a second, different proctor must confirm it");
      }
      if (decision == row.proposed_decision) {
        state = "decided";
        final_decision = decision;
      } else {
        state = "open";   // the two proctors disagree: back for review by a third
        disputed = true;
      }
    } else if (adverse) {
      state = "awaiting_second";
      proposed = decision;
      proposed_by = c.who.user_id;
    } else {
      state = "decided";
      final_decision = decision;
    }
    VIGIL_TRY(c.staff.set_review_state(row.device_id, row.session_id, state, proposed, proposed_by, final_decision, disputed,
                                       c.now()));
    if (state != "decided") {
      // The next step (a second proctor, or a third after a disagreement) goes to the
      // least-loaded active proctor who took no part in it, unless someone already waits on it
      // (schema 13); none free leaves it waiting until one becomes active, or an admin reassigns.
      VIGIL_ASSIGN(auto next, c.staff.assign_next_proctor(WorkKind::review, row.device_id, row.session_id, c.now()));
      if (next) out["next_proctor_id"] = *next;
    }
    out["disputed"] = disputed;
    out["state"] = state;
    if (!final_decision.empty()) out["decision"] = final_decision;
    return c.audit("session.decide", target,
                   decision + " -> " + state + ": " + note + (public_reason.empty() ? "" : " (public reason: " + public_reason + ")"));
  }));
  return json_response(200, out);
}

}  // namespace vigil::server::staff_detail
