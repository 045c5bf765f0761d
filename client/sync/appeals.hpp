#pragma once
// Sends the candidate's appeals waiting on this device (client/store/appeals.hpp) to
// POST /v1/sittings/{sitting}/appeal, and shows the result page what each sitting's appeal is.
// push_appeals is called by the sync engine on every pass (retried with its back-off while the
// server cannot be reached) and before the result page fetches the results.
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/store/appeals.hpp"
#include "client/store/store.hpp"
#include "client/sync/transport.hpp"
#include "shared/results/released.hpp"

namespace vigil::client::sync {

// true: nothing waits to be sent (each request was received or refused). false: the server has
// no appeals endpoint yet (404): kept and tried again later. Errors: Errc::unavailable when
// offline or the server failed (retry later), forbidden for an unknown device.
Result<bool> push_appeals(store::Store& store, Transport& transport);

// What the result page shows of each sitting's appeal, added to the page's body (v3 results):
// "appeal": {state: sent | received | decided | refused, label, ...}, from the server's word when
// it has one for the sitting, otherwise from the request kept here; and the appeal period.
void add_appeals_for_page(nlohmann::json& body, const results::CandidateResults& results,
                          const std::vector<store::KeptAppeal>& kept);

}  // namespace vigil::client::sync
