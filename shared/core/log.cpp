#include "shared/core/log.hpp"

#include <nlohmann/json.hpp>

namespace vigil {

// JSON string escaping from nlohmann/json (already a dependency of shared/) rather than an escaper
// of our own: it is well tested, and log readers can unescape a value with any JSON parser.
std::string log_value(std::string_view v) {
  return nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> parse_log_value(std::string_view token) {
  auto j = nlohmann::json::parse(token, nullptr, false);
  if (j.is_discarded() || !j.is_string()) return fail(Errc::invalid_argument, "not a quoted log value");
  return j.get<std::string>();
}

}  // namespace vigil
