#include "client/sync/results.hpp"

#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::client::sync {

Result<std::vector<results::ReleasedResult>> fetch_results(store::Store& store, Transport& transport) {
  protocol::HttpRequest req;
  req.method = "GET";
  req.target = "/v1/results";
  VIGIL_ASSIGN(auto resp, transport.roundtrip(req));
  if (resp.status != 200) return fail(http::decode_error(resp).retry_later());
  auto list = results::parse_released_results(resp.body);
  if (!list) return fail(std::move(list).error().context("the server's results could not be read"));
  VIGIL_TRY(store.put_state(k_results_state, as_bytes(resp.body)));  // (1), (2)
  return list;
}

Result<std::optional<std::vector<results::ReleasedResult>>> kept_results(store::Store& store) {
  VIGIL_ASSIGN(auto kept, store.get_state(k_results_state));
  if (!kept) return std::optional<std::vector<results::ReleasedResult>>{};
  auto list = results::parse_released_results(as_chars(*kept));
  if (!list) return fail(Errc::integrity, "the results kept on this device are unreadable: fetch them again when online");
  return std::optional<std::vector<results::ReleasedResult>>{std::move(*list)};
}

}  // namespace vigil::client::sync
