#pragma once
// A printable page for a certificate: a standalone, accessible HTML document (no scripts, no
// external resources, print styles) a candidate can print or keep. The paper is a convenience,
// not the proof: the page says so and shows how to verify the signed file (docs/CREDENTIALS.md).
#include <string>

#include "shared/certificate/credential.hpp"

namespace vigil::certificate {

// Every value is HTML-escaped. REQUIRES: c decoded or signed by us (dates valid).
std::string printable_html(const Credential& c);

}  // namespace vigil::certificate
