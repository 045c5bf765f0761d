#include "client/store/equalities.hpp"

namespace vigil::client::store {

Status save_equalities(Store& store, const results::EqualitiesDeclaration& d) {
  return store.put_state(k_equalities_state, as_bytes(results::to_json(d).dump()));
}

Result<std::optional<results::EqualitiesDeclaration>> kept_equalities(Store& store) {
  VIGIL_ASSIGN(auto kept, store.get_state(k_equalities_state));
  if (!kept) return std::optional<results::EqualitiesDeclaration>{};
  const auto j = nlohmann::json::parse(as_chars(*kept), nullptr, false);
  auto d = results::parse_equalities(j);
  if (!d) return fail(Errc::integrity, "the equalities answers kept on this device are unreadable: answer again");
  return std::optional<results::EqualitiesDeclaration>{std::move(*d)};
}

Result<std::optional<std::string>> pending_equalities(Store& store) {
  VIGIL_ASSIGN(auto kept, store.get_state(k_equalities_state));
  if (!kept) return std::optional<std::string>{};
  VIGIL_ASSIGN(auto sent, store.get_state(k_equalities_sent_state));
  if (sent && *sent == *kept) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(as_chars(*kept))};
}

Status mark_equalities_sent(Store& store, std::string_view body) {
  return store.put_state(k_equalities_sent_state, as_bytes(body));
}

}  // namespace vigil::client::store
