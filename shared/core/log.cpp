#include "shared/core/log.hpp"

#include <algorithm>
#include <cassert>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

namespace log {

namespace {

[[maybe_unused]] bool is_name(std::string_view s) {  // for the asserts only
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

std::string line(std::string_view event, std::initializer_list<Field> fields) {
  assert(is_name(event));
  std::string out = "event=";
  out += event;
  for (const auto& f : fields) {
    assert(is_name(f.key()));
    out += ' ';
    out += f.key();
    out += '=';
    out += f.value();
  }
  return out;
}

void info(std::string_view event, std::initializer_list<Field> fields) { spdlog::info("{}", line(event, fields)); }
void warn(std::string_view event, std::initializer_list<Field> fields) { spdlog::warn("{}", line(event, fields)); }
void error(std::string_view event, std::initializer_list<Field> fields) { spdlog::error("{}", line(event, fields)); }
void write(std::string_view whole_line) { spdlog::info("{}", whole_line); }

void use_stderr(const std::string& program) {
  auto logger = spdlog::stderr_logger_mt(program + " log");
  // "\n", not spdlog's platform default ("\r\n" on Windows, where stderr's text mode would then
  // write "\r\r\n"): one line ending everywhere.
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(program + ": %v", spdlog::pattern_time_type::local, "\n"));
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace log

}  // namespace vigil
