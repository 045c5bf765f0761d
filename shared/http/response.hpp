#pragma once
// Building a protocol::HttpResponse (issue 14): JSON, errors (with status_for), bytes, pages, CSV
// downloads and the security headers, the same for the device API, the staff API and the client UI.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::http {

// JSON with Content-Type application/json. Invalid UTF-8 in a string (device text) is replaced
// with U+FFFD rather than thrown on mid-response.
protocol::HttpResponse json_response(int status, const nlohmann::json& body);

// Whether a 5xx error's message reaches the caller: a server hides its internals (the caller
// logs them); the client's local UI shows the candidate what went wrong.
enum class Internals { hide, show };
// {"v":1,"error":{"code","message","field"?}} with status_for(e.code).
protocol::HttpResponse error_response(const Error& e, Internals internals = Internals::hide);
// An error with a code of its own ("session_idle") and extra top-level members.
protocol::HttpResponse error_response(int status, std::string_view code, std::string_view message,
                                      const nlohmann::json& extra = nlohmann::json::object());

// A 200 answer of bytes with the given Content-Type.
protocol::HttpResponse bytes_response(std::string content_type, std::string body);
// The Content-Type of an embedded page file by its extension (.html, .css, .js, .svg, .json);
// application/octet-stream otherwise.
std::string_view content_type_for(std::string_view file_name);
// A text/csv attachment with the given file name.
protocol::HttpResponse csv_download(std::string body, std::string_view filename);

// The headers on every answer of a browser-facing API: nosniff, no referrer, never framed, not
// cached unless the handler set Cache-Control, the given Content-Security-Policy, and HSTS when
// the answer went over TLS.
struct BrowserPolicy {
  std::string_view content_security_policy;
  bool tls = true;
};
void harden(protocol::HttpResponse& r, const BrowserPolicy& policy);

}  // namespace vigil::http
