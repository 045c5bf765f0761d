#pragma once
// Plain HTTP message types shared by the server's API handlers (which never see sockets) and the
// client's Transport seam. The net layers (server/net, client/sync/https_transport) translate
// between these and Beast; nothing else includes Beast.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace vigil::protocol {

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const noexcept;
  using is_transparent = void;
};

using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method;   // "GET", "POST", "PUT", ...
  std::string target;   // path and query, e.g. "/v1/blobs/ab12...?x=1"
  Headers headers;
  std::string body;

  std::string_view path() const noexcept;   // target without the query
  std::string_view query() const noexcept;  // after '?', or empty
  std::string header(std::string_view name) const;  // empty if absent
};

struct HttpResponse {
  int status = 200;
  Headers headers;      // Content-Type is set by the handler; Content-Length by the net layer
  std::string body;

  std::string header(std::string_view name) const;
};

// Who is on the other end of a TLS connection, as the server's TLS layer verified it. Handlers
// decide what each endpoint requires; the net layer only reports.
struct PeerIdentity {
  bool client_certificate = false;  // a client certificate chained to the device CA was presented
  std::string subject_cn;           // the device id for device certificates
  std::string serial_hex;           // certificate serial, lower-case hex
  std::string remote_address;       // "127.0.0.1"
};

}  // namespace vigil::protocol
