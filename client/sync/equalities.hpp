#pragma once
// Sends the candidate's pending equalities declaration (client/store/equalities.hpp) to
// PUT /v1/equalities. Called by the sync engine on every pass, so it is retried with the
// engine's back-off while the server cannot be reached.
#include "client/store/store.hpp"
#include "client/sync/transport.hpp"

namespace vigil::client::sync {

// true: nothing pending (sent now or earlier). false: the server does not collect declarations
// (404); kept and tried again on a later pass. Errors: Errc::unavailable when offline or the
// server failed (retry later), forbidden for an unknown device.
Result<bool> push_equalities(store::Store& store, Transport& transport);

}  // namespace vigil::client::sync
