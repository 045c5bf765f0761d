#include "client/sync/equalities.hpp"

#include "client/store/equalities.hpp"
#include "shared/http/status.hpp"

namespace vigil::client::sync {

Result<bool> push_equalities(store::Store& store, Transport& transport) {
  VIGIL_ASSIGN(auto body, store::pending_equalities(store));
  if (!body) return true;
  protocol::HttpRequest req;
  req.method = "PUT";
  req.target = "/v1/equalities";
  req.headers["Content-Type"] = "application/json";
  req.body = *body;
  VIGIL_ASSIGN(auto resp, transport.roundtrip(req));
  if (resp.status == 200) {
    VIGIL_TRY(store::mark_equalities_sent(store, *body));
    return true;
  }
  if (resp.status == 404) return false;
  if (resp.status == 400) {
    // The device checked the answers with the same rules: only a server with a different
    // vocabulary refuses them. Sending again cannot help; keep the answers and stop trying.
    VIGIL_TRY(store::mark_equalities_sent(store, *body));
    return true;
  }
  return fail(http::decode_error(resp).retry_later());  // 429 and 5xx: try again later
}

}  // namespace vigil::client::sync
