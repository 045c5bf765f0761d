#pragma once
// The identity-check endpoints of the staff API (issue 16 part 2; docs/STAFF.md "Identity
// checks"): the queue (proctors see theirs, admins every check not decided), assignment by an
// admin, the check page's data, its photos (opened only for the proctors of the check, every view
// audited) and decisions (server/results/identity.hpp). Each is one row of k_endpoints in
// staff_api.cpp, run only after authorise() allowed it.
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_identity_queue(Ctx& c);      // GET  /staff/api/identity
Result<HttpResponse> post_identity_assign(Ctx& c);    // POST /staff/api/identity/{device}/{session}/assign
Result<HttpResponse> get_identity_check(Ctx& c);      // GET  /staff/api/identity/{device}/{session}
Result<HttpResponse> get_identity_photo(Ctx& c);      // GET  /staff/api/identity/{device}/{session}/photos/{which}
Result<HttpResponse> post_identity_decision(Ctx& c);  // POST /staff/api/identity/{device}/{session}/decision

}  // namespace vigil::server::staff_detail
