#pragma once
// The proctors' workload (issue 16 part 5; docs/STAFF.md "Workload"): a proctor's own work,
// reviews and identity checks together; the admins' view of every active proctor's load and of
// every item not decided; and an admin's reassignment of a review or an identity check, audited
// with who and why. Who gets what is the storage's one rule (StaffRepository::least_loaded_proctor,
// schema 13). Each is one row of k_endpoints in staff_api.cpp, run only after authorise().
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

Result<HttpResponse> get_my_work(Ctx& c);             // GET  /staff/api/my-work
Result<HttpResponse> get_workload(Ctx& c);            // GET  /staff/api/workload
Result<HttpResponse> post_review_reassign(Ctx& c);    // POST /staff/api/sessions/{device}/{session}/reassign
Result<HttpResponse> post_identity_reassign(Ctx& c);  // POST /staff/api/identity/{device}/{session}/reassign

// An active proctor's account, or invalid_argument on field proctor_id.
Result<StaffUser> active_proctor(Ctx& c, std::int64_t id);

}  // namespace vigil::server::staff_detail
