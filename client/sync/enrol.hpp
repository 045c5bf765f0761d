#pragma once
// Enrolment: turns a one-time code from the candidate's council into this device's identity at
// the server. The device makes its own TLS key (it never leaves the device), sends a certificate
// request with the code, checks what comes back, and keeps it in the encrypted store.
#include <memory>
#include <string_view>

#include "client/store/store.hpp"
#include "client/sync/https_transport.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::sync {

// Errors say what to do: a code that is wrong, used, expired or locked (Errc::forbidden,
// conflict, expired, rate_limited with the server's message), no connection (unavailable),
// already enrolled (already_exists).
Status enrol(store::Store& store, const protocol::ClientTrust& trust, std::string_view code);

// The transport for an enrolled store: our CA, our pins, the device certificate.
Result<std::unique_ptr<HttpsTransport>> transport_for(store::Store& store);

}  // namespace vigil::client::sync
