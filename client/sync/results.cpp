#include "client/sync/results.hpp"

#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::client::sync {

Result<results::CandidateResults> fetch_results(store::Store& store, Transport& transport) {
  protocol::HttpRequest req;
  req.method = "GET";
  req.target = std::string(k_results_target);
  VIGIL_ASSIGN(auto resp, transport.roundtrip(req));
  if (resp.status != 200) return fail(http::decode_error(resp).retry_later());
  auto all = results::parse_candidate_results(resp.body);
  if (!all) return fail(std::move(all).error().context("the server's results could not be read"));
  VIGIL_TRY(store.put_state(k_results_state, as_bytes(resp.body)));  // (1), (2)
  return all;
}

Result<std::optional<results::CandidateResults>> kept_results(store::Store& store) {
  VIGIL_ASSIGN(auto kept, store.get_state(k_results_state));
  if (!kept) return std::optional<results::CandidateResults>{};
  auto all = results::parse_candidate_results(as_chars(*kept));  // (3)
  if (!all) return fail(Errc::integrity, "the results kept on this device are unreadable: fetch them again when online");
  return std::optional<results::CandidateResults>{std::move(*all)};
}

}  // namespace vigil::client::sync
