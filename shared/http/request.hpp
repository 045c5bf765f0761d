#pragma once
// Reading a protocol::HttpRequest (issue 14: one HTTP layer for the device API, the staff API and
// the client's local UI). Paths and queries are percent-decoded strictly with Boost.URL: a
// malformed escape ("%4", "%zz") is an error (400 invalid_argument, field "path" or "query"),
// never passed through.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::http {

using Query = std::map<std::string, std::string, std::less<>>;

// The decoded, non-empty segments of a path ("/v1//blobs/a%20b" -> {"v1", "blobs", "a b"}).
Result<std::vector<std::string>> path_segments(std::string_view path);

// The decoded parameters of a query string (application/x-www-form-urlencoded: '+' is a space);
// the last of repeated names wins, a parameter without '=' has the value "".
Result<Query> query_params(std::string_view query);
// The named parameter clamped to [lo, hi]; dflt when absent or not a whole number.
std::int64_t int_param(const Query& q, std::string_view name, std::int64_t dflt, std::int64_t lo, std::int64_t hi);

// The value of the named cookie in the Cookie header, or "".
std::string cookie_value(const protocol::HttpRequest& req, std::string_view name);

// A header that must be a whole number (at most 19 digits); invalid_argument naming the header.
Result<std::uint64_t> header_uint(const protocol::HttpRequest& req, std::string_view name);

// Refuses a body whose Content-Type is not application/json (field "Content-Type").
Status require_json(const protocol::HttpRequest& req);
// The body as a JSON object, strictly (protocol::parse_json: no duplicate keys, bounded depth),
// after require_json. Read it with protocol::ObjectReader.
Result<nlohmann::json> json_body(const protocol::HttpRequest& req, std::size_t max_depth = 32);

}  // namespace vigil::http
