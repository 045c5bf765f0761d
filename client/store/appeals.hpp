#pragma once
// The candidate's appeals on the device (issue 16 part 4; docs/RESULTS.md "Appeals"): an appeal
// the candidate sends from the result page is kept in the encrypted store's named state before
// the page says "Appeal sent", and the sync engine (client/sync/appeals.hpp) posts it to
// POST /v1/sittings/{sitting}/appeal whenever a connection exists, as it sends the journal and
// the equalities declaration. Offline, it waits; a restart loses nothing.
//
// Invariants:
//  (1) A request is kept (durably: Store::put_state) before the UI answers; it is "sent" until
//      the server acknowledges it ("received"), or refuses it ("refused", with the server's
//      reason: late, not a void or withheld result, already appealed), and is then never posted
//      again.
//  (2) One request id per request (shared/results/appeal.hpp invariant 2): posting it again after
//      a lost answer finds the appeal it made.
//  (3) A second appeal of a sitting is refused here while one is sent or received.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"
#include "shared/results/appeal.hpp"

namespace vigil::client::store {

inline constexpr std::string_view k_appeals_state = "appeals.requests";

struct KeptAppeal {
  std::string sitting_id;
  results::AppealRequest request;
  std::string status;              // sent | received | refused
  std::string message;             // refused: the server's reason
  std::int64_t lodged_wall_ms = 0; // received: the server's time
  bool operator==(const KeptAppeal&) const = default;
};

// (1), (3) Keeps a new request for the sitting with the candidate's reason (checked as the server
// will: results::check_appeal_reason).
Result<KeptAppeal> save_appeal(Store& store, std::string_view sitting_id, std::string_view reason, std::int64_t now_ms);
// Every kept request, oldest first.
Result<std::vector<KeptAppeal>> kept_appeals(Store& store);
// Records the server's answer to one request (by its request id).
Status mark_appeal(Store& store, std::string_view request_id, std::string_view status, std::string_view message,
                   std::int64_t lodged_wall_ms);

}  // namespace vigil::client::store
