#include "shared/results/released.hpp"

#include <algorithm>
#include <sstream>

#include "shared/assessment/json.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/time/format.hpp"

namespace vigil::results {

using nlohmann::json;
using protocol::ObjectReader;

namespace {

json result_json(const ReleasedResult& r) {
  json j{{"sitting_id", r.sitting_id},
         {"released_wall_ms", r.released_wall_ms},
         {"report", to_json(r.report, false)},
         {"next_steps", r.next_steps}};
  if (r.certificate) j["certificate"] = json::parse(*r.certificate);
  return j;
}

Result<ReleasedResult> decode_result(ObjectReader& e) {
  ReleasedResult rr;
  VIGIL_ASSIGN(rr.sitting_id, e.non_empty_string("sitting_id", 128));
  VIGIL_ASSIGN(rr.released_wall_ms, e.integer("released_wall_ms"));
  VIGIL_ASSIGN(auto report, e.object("report"));
  VIGIL_ASSIGN(rr.report, decode_score_report(report));
  VIGIL_ASSIGN(rr.next_steps, e.string("next_steps", 4000));
  VIGIL_ASSIGN(auto cert, e.optional_object("certificate"));
  if (cert) {
    const std::string text = cert->value().dump();
    if (auto c = certificate::parse_credential(text); !c) {
      return fail(e.error("certificate", "is not a readable certificate: " + c.error().message));
    }
    rr.certificate = text;
  }
  VIGIL_TRY(e.finish());
  return rr;
}

}  // namespace

json to_json(const std::vector<ReleasedResult>& results) {
  json list = json::array();
  for (const auto& r : results) list.push_back(result_json(r));
  return json{{"v", 1}, {"results", std::move(list)}};
}

json to_json(const CandidateResults& r, int version) {
  json list = json::array();
  for (const auto& x : r.results) list.push_back(result_json(x));
  json sittings = json::array();
  for (const auto& s : r.sittings) sittings.push_back(to_json(s, version));
  return json{{"v", version}, {"results", std::move(list)}, {"sittings", std::move(sittings)}};
}

Result<CandidateResults> parse_candidate_results(std::string_view body) {
  return protocol::parse_top<CandidateResults>(body, [](ObjectReader& r) -> Result<CandidateResults> {
    VIGIL_ASSIGN(const auto v, r.integer("v"));
    if (v < 1 || v > 3) {
      return fail(Error(Errc::unsupported_version, "results version " + std::to_string(v) + " is not supported (1 to 3)", "v"));
    }
    CandidateResults out;
    VIGIL_ASSIGN(auto list, r.objects("results", 100));
    for (auto& e : list) {
      VIGIL_ASSIGN(auto rr, decode_result(e));
      out.results.push_back(std::move(rr));
    }
    if (v == 1) {
      // An older server's body: every result it sent was released.
      for (const auto& x : out.results) {
        out.sittings.push_back({x.sitting_id, x.report.assessment_id, OutcomeState::released, {}, std::nullopt, std::nullopt});
      }
    } else {
      VIGIL_ASSIGN(auto sittings, r.objects("sittings", 100));
      for (auto& e : sittings) {
        VIGIL_ASSIGN(auto s, decode_sitting_outcome(e, static_cast<int>(v)));
        out.sittings.push_back(std::move(s));
      }
      // (1): a result only for a released sitting, and every released sitting with its result.
      for (const auto& x : out.results) {
        const bool listed = std::any_of(out.sittings.begin(), out.sittings.end(), [&](const SittingOutcome& s) {
          return s.sitting_id == x.sitting_id && is_released(s.state);
        });
        if (!listed) return fail(r.error("results", "has a result for sitting " + x.sitting_id + ", which is not released"));
      }
      for (const auto& s : out.sittings) {
        const bool has = std::any_of(out.results.begin(), out.results.end(),
                                     [&](const ReleasedResult& x) { return x.sitting_id == s.sitting_id; });
        if (is_released(s.state) && !has) {
          return fail(r.error("sittings", "says sitting " + s.sitting_id + " is released but its result is missing"));
        }
      }
    }
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<std::vector<ReleasedResult>> parse_released_results(std::string_view body) {
  VIGIL_ASSIGN(auto all, parse_candidate_results(body));
  return std::move(all.results);
}

std::string describe(const ReleasedResult& r) {
  std::ostringstream o;
  const auto& rep = r.report;
  o << "Assessment " << rep.assessment_id << " (version " << rep.version << ", " << assessment::level_name(rep.level)
    << ")\n";
  o << "Outcome: " << (rep.outcome == Outcome::met ? "MET" : rep.outcome == Outcome::not_met ? "NOT MET" : "INCOMPLETE")
    << "  (overall " << rep.overall.percent() << "%, pass mark " << rep.overall_threshold << "%)\n\n";
  o << "Stages:\n";
  for (const auto& s : rep.stages) {
    o << "  " << assessment::section_kind_name(s.stage) << ": ";
    switch (s.status) {
      case StageStatus::met:
      case StageStatus::not_met:
        o << (s.status == StageStatus::met ? "met" : "not met") << ", " << s.marks.raw << "/" << s.marks.max << " = "
          << s.marks.percent() << "% (pass mark " << s.threshold << "%)";
        break;
      case StageStatus::exempt: o << "exempt (" << s.exempt_reason << ")"; break;
      case StageStatus::awaiting_marking: o << "awaiting marking"; break;
      case StageStatus::not_assessed: o << "not part of this assessment"; break;
    }
    o << "\n";
  }
  o << "\nFeedback per KSS area:\n";
  for (const auto& a : rep.areas) {
    o << "  " << a.kss << ": " << a.marks.percent() << "% — "
      << (a.at_standard ? "at the standard" : "an area to develop") << "\n";
  }
  o << "\nNext steps: " << r.next_steps << "\n";
  if (r.certificate) o << "A signed certificate is stored with this result (vigil-client result --save-certificate FILE).\n";
  return o.str();
}

std::string describe(const SittingOutcome& s) {
  std::ostringstream o;
  o << "Assessment " << s.assessment_id << " (sitting " << s.sitting_id << ")\n";
  o << outcome_state_label(s.state);
  if (is_decided_hold(s.state) && !s.public_reason.empty()) o << ": " << s.public_reason;
  o << "\n";
  switch (s.state) {
    case OutcomeState::under_review:
      o << "Your result is held back until the checks on your sitting are finished: a person checks the identity "
           "photos of every sitting, and proctors look more closely at some. This is not a decision about you. Your "
           "result will be here once the checks are finished and the results of your window are released.\n";
      break;
    case OutcomeState::void_after_review:
      o << "Two proctors reviewed your sitting and decided that its result cannot stand. No result or certificate "
           "will be issued for this sitting unless an appeal overturns the decision. Your endorsing manager can see "
           "this decision and its reason.\n";
      break;
    case OutcomeState::withheld_identity:
      o << "Two proctors compared the photos taken at the start of your sitting with the name you were endorsed "
           "under and could not confirm that they show you, so your result is withheld. Your endorsing manager can "
           "see this decision and its reason.\n";
      break;
    case OutcomeState::not_released:
      o << "Results are released for everyone in an assessment window at once; your council will tell you when.\n";
      break;
    case OutcomeState::released:
    case OutcomeState::released_after_appeal: break;
  }
  o << describe_appeal(s);
  return o.str();
}

std::string describe_appeal(const SittingOutcome& s) {
  std::ostringstream o;
  if (s.appeal && s.appeal->state == "decided") {
    o << "Appeal decided on " << time::utc_date(s.appeal->decided_wall_ms) << ": "
      << (s.appeal->outcome == "overturned" ? "the decision is overturned and your result is released"
                                            : "the decision stands");
    if (!s.appeal->public_reason.empty()) o << ". " << s.appeal->public_reason;
    o << "\n";
  } else if (s.appeal) {
    o << "Appeal received on " << time::utc_date(s.appeal->lodged_wall_ms)
      << ": a reviewer who took no part in the decision is looking at it, and a second person must agree with the "
         "outcome.\n";
  } else if (s.appeal_until_wall_ms) {
    o << "You may appeal this decision until " << time::utc_date(*s.appeal_until_wall_ms - 1)
      << " (end of the day, UTC), on your result page (vigil-client start, then Your result).\n";
  }
  return o.str();
}

}  // namespace vigil::results
