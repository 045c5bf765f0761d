#pragma once
// Transport: the client's one seam to the network (tests may fake it). The real implementation
// is HttpsTransport (client/sync/https_transport.hpp): TLS 1.3 to the Vigil server, our CA only,
// pinned, with the device certificate.
#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::client::sync {

class Transport {
 public:
  virtual ~Transport() = default;
  // One request and its response. Errors: Errc::unavailable for anything that means "no usable
  // connection right now" (refused, reset, timed out, TLS failure, cut mid-response); the caller
  // retries later. An HTTP error status is a response, not an error.
  virtual Result<protocol::HttpResponse> roundtrip(const protocol::HttpRequest& request) = 0;
};

}  // namespace vigil::client::sync
