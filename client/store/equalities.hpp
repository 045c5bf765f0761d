#pragma once
// The candidate's optional equalities declaration on the device (docs/EQUALITIES.md): kept in the
// encrypted store's named state, never in the journal (the journal reaches proctors; this must
// not), and sent by the sync engine (client/sync/equalities.hpp) to PUT /v1/equalities.
//
// Invariants:
//  (1) The declaration is pending while the copy the server last acknowledged differs from the
//      kept one: a lost connection or a restart loses nothing, and a change made while an older
//      copy is on its way is sent again.
//  (2) Only a declaration that parsed (shared/results/equalities.hpp) is kept.
#include <optional>
#include <string>
#include <string_view>

#include "client/store/store.hpp"
#include "shared/results/equalities.hpp"

namespace vigil::client::store {

inline constexpr std::string_view k_equalities_state = "equalities.declaration";
inline constexpr std::string_view k_equalities_sent_state = "equalities.acknowledged";

// Keeps the declaration (replacing any earlier one) as its canonical JSON body.
Status save_equalities(Store& store, const results::EqualitiesDeclaration& d);
// The kept declaration; nullopt when the candidate never answered.
Result<std::optional<results::EqualitiesDeclaration>> kept_equalities(Store& store);
// (1) The body to send, or nullopt when the server holds the kept declaration already.
Result<std::optional<std::string>> pending_equalities(Store& store);
// Records that the server stored this body.
Status mark_equalities_sent(Store& store, std::string_view body);

}  // namespace vigil::client::store
