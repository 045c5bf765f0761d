#include "server/staff/staff_equalities.hpp"

#include "server/results/equalities.hpp"
#include "server/results/results.hpp"

namespace vigil::server::staff_detail {

namespace {

Result<EqualitiesReport> report_of(Ctx& c) {
  return equalities_report(c.results.equalities, c.results.keys, c.params.at("assessment"));
}

}  // namespace

Result<HttpResponse> get_report_windows(Ctx& c) {
  VIGIL_ASSIGN(auto windows, c.results.equalities.windows_with_results());
  return json_response(200, json{{"v", 1}, {"windows", windows}});
}

Result<HttpResponse> get_equalities_report(Ctx& c) {
  VIGIL_ASSIGN(auto report, report_of(c));
  VIGIL_TRY(c.audit("report.equalities.view", "assessment/" + report.assessment_id));
  auto out = to_json(report);
  out["vocabulary"] = results::equalities_vocabulary_json();
  return json_response(200, out);
}

Result<HttpResponse> get_equalities_csv(Ctx& c) {
  VIGIL_ASSIGN(auto report, report_of(c));
  VIGIL_TRY(c.audit("report.equalities.export", "assessment/" + report.assessment_id));
  return csv_download(equalities_csv(report), "vigil-equalities-" + report.assessment_id + ".csv");
}

Result<HttpResponse> get_item_statistics(Ctx& c) {
  const auto& assessment = c.params.at("assessment");
  VIGIL_ASSIGN(auto stats, item_statistics_for(c.results.results, assessment));
  json items = json::array();
  for (const auto& s : stats) {
    items.push_back({{"item_id", s.item_id},
                     {"candidates", s.candidates},
                     {"facility", s.facility},
                     {"discrimination", s.discrimination ? json(*s.discrimination) : json()}});
  }
  VIGIL_TRY(c.audit("report.items.view", "assessment/" + assessment));
  return json_response(200, json{{"v", 1}, {"assessment_id", assessment}, {"items", items}});
}

}  // namespace vigil::server::staff_detail
