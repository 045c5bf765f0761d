#include "server/app/dispatch.hpp"

namespace vigil::server {

protocol::HttpResponse route_request(Api& api, StaffApi& staff, const protocol::HttpRequest& request,
                                     const protocol::PeerIdentity& peer) {
  if (StaffApi::handles(request.path())) return staff.handle(request, peer);
  return api.handle(request, peer);
}

}  // namespace vigil::server
