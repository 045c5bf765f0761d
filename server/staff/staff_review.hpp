#pragma once
// The review endpoints of the staff API (docs/STAFF.md "Review"): the proctors' queue, assignment,
// a session's timeline (paged) and sealed evidence, and decisions on flags and sessions (two
// people for anything adverse). Each is one row of k_endpoints in staff_api.cpp, run only after
// authorise() allowed it for the session in the path.
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_queue(Ctx& c);             // GET  /staff/api/queue
Result<HttpResponse> post_assign(Ctx& c);           // POST /staff/api/sessions/{device}/{session}/assign
Result<HttpResponse> get_session(Ctx& c);           // GET  /staff/api/sessions/{device}/{session}
Result<HttpResponse> get_evidence(Ctx& c);          // GET  /staff/api/sessions/{device}/{session}/evidence/{sha}
Result<HttpResponse> post_flag_decision(Ctx& c);    // POST /staff/api/sessions/{device}/{session}/flags/{flag}
Result<HttpResponse> post_session_decision(Ctx& c); // POST /staff/api/sessions/{device}/{session}/decision

}  // namespace vigil::server::staff_detail
