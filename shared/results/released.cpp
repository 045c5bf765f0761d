#include "shared/results/released.hpp"

#include <sstream>

#include "shared/assessment/json.hpp"
#include "shared/certificate/credential.hpp"

namespace vigil::results {

using nlohmann::json;
using protocol::ObjectReader;

json to_json(const std::vector<ReleasedResult>& results) {
  json list = json::array();
  for (const auto& r : results) {
    json j{{"sitting_id", r.sitting_id},
           {"released_wall_ms", r.released_wall_ms},
           {"report", to_json(r.report, false)},
           {"next_steps", r.next_steps}};
    if (r.certificate) j["certificate"] = json::parse(*r.certificate);
    list.push_back(std::move(j));
  }
  return json{{"v", 1}, {"results", std::move(list)}};
}

Result<std::vector<ReleasedResult>> parse_released_results(std::string_view body) {
  return protocol::parse_top<std::vector<ReleasedResult>>(body, [](ObjectReader& r) -> Result<std::vector<ReleasedResult>> {
    VIGIL_TRY(r.version(1));
    std::vector<ReleasedResult> out;
    VIGIL_ASSIGN(auto list, r.objects("results", 100));
    for (auto& e : list) {
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
      out.push_back(std::move(rr));
    }
    VIGIL_TRY(r.finish());
    return out;
  });
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

}  // namespace vigil::results
