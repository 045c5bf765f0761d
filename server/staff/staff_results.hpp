#pragma once
// The staff API's results endpoints (docs/STAFF.md "Results: scoring, release and resits"): the
// programme admin's per-window Results page (counts, the withheld sittings and why, score
// submitted sittings, thresholds, release, CSV) and the council manager's Results view (released
// results, and withheld or void ones with their state and public reason; CSV; re-endorsement
// after "not met"). Each is one row of k_endpoints in staff_api.cpp.
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_result_windows(Ctx& c);
Result<HttpResponse> post_window_score(Ctx& c);
Result<HttpResponse> get_window_thresholds(Ctx& c);
Result<HttpResponse> put_window_thresholds(Ctx& c);
Result<HttpResponse> post_window_release(Ctx& c);
Result<HttpResponse> get_window_csv(Ctx& c);
Result<HttpResponse> get_window_withheld(Ctx& c);
Result<HttpResponse> get_council_results(Ctx& c);
Result<HttpResponse> get_council_results_csv(Ctx& c);
Result<HttpResponse> post_reendorse(Ctx& c);

}  // namespace vigil::server::staff_detail
