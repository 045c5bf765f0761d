#pragma once
// A request as a test sends it to a handler or over the wire: method, target and, when given, a
// body with its Content-Type. Tests add any further headers themselves.
#include <string>
#include <utility>

#include "shared/protocol/http.hpp"

namespace vigil::testing {

inline protocol::HttpRequest make_request(std::string method, std::string target, std::string body = {},
                                          std::string content_type = {}) {
  protocol::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  if (!content_type.empty()) r.headers["Content-Type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}

}  // namespace vigil::testing
