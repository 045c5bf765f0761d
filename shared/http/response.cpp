#include "shared/http/response.hpp"

#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::http {

using protocol::HttpResponse;
using json = nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse error_response(const Error& e, Internals internals) {
  const int status = status_for(e.code);
  Error shown = e;
  if (internals == Internals::hide && status >= 500 && e.code != Errc::disk_full) {
    shown.message = "the server could not complete this request";
  }
  return json_response(status, protocol::to_json(protocol::error_body_from(shown)));
}

HttpResponse error_response(int status, std::string_view code, std::string_view message, const json& extra) {
  json body{{"v", 1}, {"error", {{"code", code}, {"message", message}}}};
  for (const auto& [k, v] : extra.items()) body[k] = v;
  return json_response(status, body);
}

HttpResponse bytes_response(std::string content_type, std::string body) {
  HttpResponse r;
  r.headers["Content-Type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}

std::string_view content_type_for(std::string_view name) {
  const auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

HttpResponse csv_download(std::string body, std::string_view filename) {
  auto r = bytes_response("text/csv; charset=utf-8", std::move(body));
  r.headers["Content-Disposition"] = "attachment; filename=\"" + std::string(filename) + "\"";
  return r;
}

void harden(HttpResponse& r, const BrowserPolicy& policy) {
  r.headers["Content-Security-Policy"] = std::string(policy.content_security_policy);
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["X-Frame-Options"] = "DENY";
  if (policy.tls) r.headers["Strict-Transport-Security"] = "max-age=31536000";
  if (!r.headers.count("Cache-Control")) r.headers["Cache-Control"] = "no-store";
}

}  // namespace vigil::http
