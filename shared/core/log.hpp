#pragma once
// Log lines are `key=value` pairs on one line (stderr, kept by the service manager). A value that
// comes from outside (a request's method or path, a peer's certificate, an error message that
// quotes the network or a file name) must not be able to end its own field, add a key or start a
// new line: log_value() writes it as one quoted, escaped token.
#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>

#include "shared/core/result.hpp"

namespace vigil {

// `v` as a double-quoted JSON string: `"` and `\` are escaped, every control byte (below 0x20)
// becomes \n, \r, \t, \b, \f or \u00XX, so the result never holds a line break. Valid UTF-8
// passes as it is (readable names and messages); invalid UTF-8 bytes become U+FFFD.
std::string log_value(std::string_view v);

// The value back from a token log_value wrote (for log readers and tests). Errc::invalid_argument
// if `token` is not one quoted string.
Result<std::string> parse_log_value(std::string_view token);

// ---- event lines -------------------------------------------------------------------------------
// One event is one line `event=<name> key=value ...`. The name and keys are the program's own
// constants (lower case and _); every text value goes through log_value, an integer is written
// as it is (it cannot end its field). The lines go through spdlog's default logger, which
// use_stderr() points at stderr: `vigil::log::warn("accept_failed", {{"reason", ec.message()}})`.
namespace log {

class Field {
 public:
  Field(std::string_view key, std::string_view text) : key_(key), value_(log_value(text)) {}
  Field(std::string_view key, const char* text) : Field(key, std::string_view(text)) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Field(std::string_view key, T n) : key_(key), value_(std::to_string(n)) {}

  std::string_view key() const noexcept { return key_; }
  const std::string& value() const noexcept { return value_; }

 private:
  std::string_view key_;
  std::string value_;
};

// The text of one event line (for code that reports through a sink function it was given).
std::string line(std::string_view event, std::initializer_list<Field> fields = {});

void info(std::string_view event, std::initializer_list<Field> fields = {});
void warn(std::string_view event, std::initializer_list<Field> fields = {});
void error(std::string_view event, std::initializer_list<Field> fields = {});
// A line that is already whole (from line() or a sink), at info level.
void write(std::string_view whole_line);

// spdlog's default logger writes `<program>: <line>` to stderr, flushed line by line (kept by the
// service manager); call once at the start of main.
void use_stderr(const std::string& program);

}  // namespace log

}  // namespace vigil
