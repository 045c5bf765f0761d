#pragma once
// The candidate's results (docs/RESULTS.md): fetched from GET /v1/results?v=2 when online and kept
// in the store (Store::put_state), so the result, its feedback per KSS area, the signed
// certificate and the state of each submitted sitting (released, withheld: under review, void
// following a review, withheld: identity not confirmed, not yet released; with the decision's
// public reason) stay available offline, with no server at all.
//
// Invariants:
//  (1) The kept copy is replaced only by a response that decoded completely; a failed fetch
//      leaves the last good copy.
//  (2) What is kept is the server's body as received, so a certificate inside it keeps the exact
//      fields its signature covers.
//  (3) A body of any version reads back (shared/results/released.hpp): an older server's v1 or v2,
//      or the copy this client kept before it asked for v3.
#include <optional>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"
#include "client/sync/transport.hpp"
#include "shared/results/released.hpp"

namespace vigil::client::sync {

inline constexpr std::string_view k_results_state = "results.released";
// Version 3 (issue 16 part 4) adds each sitting's appeal and until when a decision may be appealed.
inline constexpr std::string_view k_results_target = "/v1/results?v=3";

// Fetches and keeps (1) the results and sittings. Errors: unavailable when offline (the kept copy
// stays), the server's error otherwise.
Result<results::CandidateResults> fetch_results(store::Store& store, Transport& transport);

// The copy kept by the last successful fetch; nullopt when results were never fetched.
Result<std::optional<results::CandidateResults>> kept_results(store::Store& store);

}  // namespace vigil::client::sync
