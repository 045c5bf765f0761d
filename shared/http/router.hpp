#pragma once
// One router for the device API, the staff API and the client UI (issue 14): a table of rows,
// each with a method and a path pattern of literal segments and {name} captures
// ("/staff/api/sessions/{device}/{session}"), matched against the decoded path segments
// (request.hpp). A capture takes one whole segment that passes the table's capture rule; by
// default an id: 1 to 128 of A-Z a-z 0-9 - _ . (so "..", a decoded '/', spaces, quotes or
// control characters never reach a handler).
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/core/result.hpp"

namespace vigil::http {

using Captures = std::map<std::string, std::string, std::less<>>;

// True for 1 to 128 of A-Z a-z 0-9 - _ . (not "." or "..").
bool plain_id(std::string_view s) noexcept;

using CaptureRule = bool (*)(std::string_view) noexcept;

// The captures when `segments` match `pattern`, nullopt otherwise.
std::optional<Captures> match(std::string_view pattern, const std::vector<std::string>& segments,
                              CaptureRule rule = plain_id);

template <class Row>
struct Routed {
  const Row* row = nullptr;  // the row whose pattern and method match, if any
  Captures captures;
};

// The first row (in table order) matching the path and the method. No row: not_found when no
// pattern matches the path, invalid_argument ("method not allowed here") when only the method
// differs. Row needs `method` and `pattern` members convertible to std::string_view.
template <class Row>
Result<Routed<Row>> route(std::span<const Row> table, std::string_view method, const std::vector<std::string>& segments,
                          CaptureRule rule = plain_id) {
  bool path_known = false;
  for (const auto& row : table) {
    auto captures = match(row.pattern, segments, rule);
    if (!captures) continue;
    path_known = true;
    if (std::string_view(row.method) == method) return Routed<Row>{&row, std::move(*captures)};
  }
  if (path_known) return fail(Errc::invalid_argument, "method not allowed here");
  return fail(Errc::not_found, "no such endpoint");
}

}  // namespace vigil::http
