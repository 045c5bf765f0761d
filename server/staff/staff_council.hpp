#pragma once
// The council endpoints of the staff API (docs/STAFF.md "Councils"): the candidate list and its
// CSV, the summary and headcount, endorsement (one candidate or a CSV import), withdrawal and
// enrolment codes. Each is one row of k_endpoints in staff_api.cpp, run only after authorise()
// allowed it for the council in the path.
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_candidates(Ctx& c);        // GET  /staff/api/councils/{council}/candidates
Result<HttpResponse> get_candidates_csv(Ctx& c);    // GET  /staff/api/councils/{council}/candidates.csv
Result<HttpResponse> get_summary(Ctx& c);           // GET  /staff/api/councils/{council}/summary
Result<HttpResponse> put_headcount(Ctx& c);         // PUT  /staff/api/councils/{council}/headcount
Result<HttpResponse> post_candidate(Ctx& c);        // POST /staff/api/councils/{council}/candidates
Result<HttpResponse> post_import(Ctx& c);           // POST /staff/api/councils/{council}/import
Result<HttpResponse> post_withdraw(Ctx& c);         // POST /staff/api/councils/{council}/candidates/{candidate}/withdraw
Result<HttpResponse> post_codes(Ctx& c);            // POST /staff/api/councils/{council}/codes

}  // namespace vigil::server::staff_detail
