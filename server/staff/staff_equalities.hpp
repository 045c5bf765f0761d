#pragma once
// The staff API's reports (docs/EQUALITIES.md, docs/STAFF.md "Reports"): the aggregate
// equalities report and the item statistics of an assessment window, for programme admins only
// (Permission::reports_read). Rows of k_endpoints in staff_api.cpp; no handler here returns a
// per-person value (server/results/equalities.hpp invariant 2).
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

// GET /staff/api/reports/windows: the windows with scored sittings.
Result<HttpResponse> get_report_windows(Ctx& c);
// GET /staff/api/reports/{assessment}/equalities and .../equalities.csv
Result<HttpResponse> get_equalities_report(Ctx& c);
Result<HttpResponse> get_equalities_csv(Ctx& c);
// GET /staff/api/reports/{assessment}/items: facility and discrimination per objective item.
Result<HttpResponse> get_item_statistics(Ctx& c);

}  // namespace vigil::server::staff_detail
