#include "client/store/appeals.hpp"

#include <nlohmann/json.hpp>

#include "shared/crypto/random.hpp"

namespace vigil::client::store {

namespace {

using nlohmann::json;

json to_json(const KeptAppeal& a) {
  return {{"sitting_id", a.sitting_id}, {"request", results::to_json(a.request)}, {"status", a.status},
          {"message", a.message},       {"lodged_wall_ms", a.lodged_wall_ms}};
}

Status save_all(Store& store, const std::vector<KeptAppeal>& all) {
  json list = json::array();
  for (const auto& a : all) list.push_back(to_json(a));
  return store.put_state(k_appeals_state, as_bytes(list.dump()));
}

}  // namespace

Result<std::vector<KeptAppeal>> kept_appeals(Store& store) {
  VIGIL_ASSIGN(auto kept, store.get_state(k_appeals_state));
  std::vector<KeptAppeal> out;
  if (!kept) return out;
  const auto list = json::parse(as_chars(*kept), nullptr, false);
  const auto unreadable = [] { return fail(Errc::integrity, "the appeals kept on this device are unreadable"); };
  if (!list.is_array()) return unreadable();
  for (const auto& j : list) {
    if (!j.is_object() || !j.contains("request")) return unreadable();
    KeptAppeal a;
    a.sitting_id = j.value("sitting_id", "");
    auto request = results::parse_appeal_request(j.at("request").dump());
    if (!request) return unreadable();
    a.request = std::move(*request);
    a.status = j.value("status", "sent");
    a.message = j.value("message", "");
    a.lodged_wall_ms = j.value("lodged_wall_ms", std::int64_t{0});
    out.push_back(std::move(a));
  }
  return out;
}

Result<KeptAppeal> save_appeal(Store& store, std::string_view sitting_id, std::string_view reason, std::int64_t now_ms) {
  VIGIL_ASSIGN(auto text, results::check_appeal_reason(reason));
  VIGIL_ASSIGN(auto all, kept_appeals(store));
  for (const auto& a : all) {
    if (a.sitting_id == sitting_id && a.status != "refused") {
      return fail(Error(Errc::conflict, a.status == "sent" ? "Your appeal of this result is already waiting to be sent."
                                                          : "The programme has already received your appeal of this result.",
                        "sitting_id"));
    }
  }
  VIGIL_ASSIGN(auto id, crypto::random_bytes(16));
  KeptAppeal a;
  a.sitting_id = std::string(sitting_id);
  a.request = {to_hex(id), std::move(text), now_ms};
  a.status = "sent";
  all.push_back(a);
  VIGIL_TRY(save_all(store, all));  // (1) durable before the page is told
  return a;
}

Status mark_appeal(Store& store, std::string_view request_id, std::string_view status, std::string_view message,
                   std::int64_t lodged_wall_ms) {
  VIGIL_ASSIGN(auto all, kept_appeals(store));
  for (auto& a : all) {
    if (a.request.request_id != request_id) continue;
    a.status = std::string(status);
    a.message = std::string(message);
    a.lodged_wall_ms = lodged_wall_ms;
  }
  return save_all(store, all);
}

}  // namespace vigil::client::store
