#pragma once
// Log lines are `key=value` pairs on one line (stderr, kept by the service manager). A value that
// comes from outside (a request's method or path, a peer's certificate, an error message that
// quotes the network or a file name) must not be able to end its own field, add a key or start a
// new line: log_value() writes it as one quoted, escaped token.
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

}  // namespace vigil
