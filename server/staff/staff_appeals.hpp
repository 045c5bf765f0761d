#pragma once
// The appeal endpoints of the staff API (issue 16 part 4; docs/STAFF.md "Appeals"): the admin's
// list with the reviewers each appeal may be given to, assignment (reviewer and second reviewer,
// never anyone who took part in the decision), the reviewer's page (the decision's public reasons
// and the proctors' decisions, the candidate's words, the evidence the proctors saw, the appeal's
// decisions), the evidence itself (opened only for the appeal's two reviewers, every view
// audited) and the two-person decision (server/results/appeals.hpp), after which an overturned
// result is released with its certificate. Each is one row of k_endpoints in staff_api.cpp, run
// only after authorise() allowed it.
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_appeals(Ctx& c);            // GET  /staff/api/appeals
Result<HttpResponse> post_appeal_assign(Ctx& c);     // POST /staff/api/appeals/{appeal}/assign
Result<HttpResponse> get_appeal(Ctx& c);             // GET  /staff/api/appeals/{appeal}
Result<HttpResponse> get_appeal_evidence(Ctx& c);    // GET  /staff/api/appeals/{appeal}/evidence/{device}/{which}
Result<HttpResponse> post_appeal_decision(Ctx& c);   // POST /staff/api/appeals/{appeal}/decision

// The appeal id of a path ({appeal}); not_found when it is not a number.
Result<std::int64_t> appeal_id_of(std::string_view text);

}  // namespace vigil::server::staff_detail
