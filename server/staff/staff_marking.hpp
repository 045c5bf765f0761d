#pragma once
// The marking endpoints of the staff API (docs/STAFF.md "Assessors", docs/RESULTS.md "Marking
// written answers"): each is one row of k_endpoints in staff_api.cpp, run only after
// authorise() allowed it (Permission::marking: assessors; Permission::marking_progress:
// programme admins).
#include "server/staff/staff_detail.hpp"

namespace vigil::server::staff_detail {

// The fixed marking scale: every KSS area of a written script gets a whole mark 0..k_mark_max.
inline constexpr std::uint32_t k_mark_max = 10;
// The longest comment per area, in bytes of UTF-8.
inline constexpr std::size_t k_comment_max = 2000;

Result<HttpResponse> get_marking_queue(Ctx& c);      // GET  /staff/api/marking/queue
Result<HttpResponse> get_marking_script(Ctx& c);     // GET  /staff/api/marking/scripts/{script}
Result<HttpResponse> post_marking_marks(Ctx& c);     // POST /staff/api/marking/scripts/{script}/marks
Result<HttpResponse> get_marking_progress(Ctx& c);   // GET  /staff/api/marking/progress

}  // namespace vigil::server::staff_detail
