#pragma once
// The candidate's released results (docs/RESULTS.md): fetched from GET /v1/results when online
// and kept in the store (Store::put_state), so the result, its feedback per KSS area and the
// signed certificate stay available offline, with no server at all.
//
// Invariants:
//  (1) The kept copy is replaced only by a response that decoded completely; a failed fetch
//      leaves the last good copy.
//  (2) What is kept is the server's body as received, so a certificate inside it keeps the exact
//      fields its signature covers.
#include <optional>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"
#include "client/sync/transport.hpp"
#include "shared/results/released.hpp"

namespace vigil::client::sync {

inline constexpr std::string_view k_results_state = "results.released";

// Fetches and keeps (1) the released results. Errors: unavailable when offline (the kept copy
// stays), the server's error otherwise.
Result<std::vector<results::ReleasedResult>> fetch_results(store::Store& store, Transport& transport);

// The copy kept by the last successful fetch; nullopt when results were never fetched.
Result<std::optional<std::vector<results::ReleasedResult>>> kept_results(store::Store& store);

}  // namespace vigil::client::sync
