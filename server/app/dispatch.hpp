#pragma once
// The listener's one handler: /staff/... goes to the staff API, everything else to the device API.
#include "server/device/api.hpp"
#include "server/staff/staff_api.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::server {

protocol::HttpResponse route_request(Api& api, StaffApi& staff, const protocol::HttpRequest& request,
                                     const protocol::PeerIdentity& peer);

}  // namespace vigil::server
