#pragma once
// The server side TLS settings of every listener, in one place: TLS 1.3 only (Mozilla "modern"),
// no session resumption, the certificate chain and key from PEM files and, for the device
// listener, client certificates verified against the device CA. HttpsServer builds one context at
// start() and a fresh one on reload_certificate(); a connection keeps the context it was accepted
// with, so a reload never disturbs a connection that is already open.
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "shared/core/result.hpp"

namespace vigil::server::net {

struct TlsFiles {
  std::filesystem::path certificate_chain_pem;  // server certificate, then intermediates
  std::filesystem::path private_key_pem;
  // The device CA(s): client certificates are asked for and verified against them. Empty: no
  // client certificate is asked for (a listener for staff browsers).
  std::filesystem::path client_ca_pem;
};

// What a loaded context serves, for the log line of a (re)load.
struct TlsCertificateInfo {
  std::string serial_hex;  // `openssl x509 -serial`, lower case
  std::string not_after;   // as OpenSSL prints it, e.g. "Mar  1 12:00:00 2027 GMT"
};

// Errors: a file missing (not_found); a file that does not parse, a key that does not match the
// certificate, a CA file without certificates (invalid_argument); OpenSSL refusing the settings
// (crypto). Never a partly configured context.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsFiles& files);

// The leaf certificate a context serves.
TlsCertificateInfo certificate_info(boost::asio::ssl::context& context);

// The serial of a certificate as lower-case hex of its big-endian magnitude bytes.
std::string serial_hex(const X509* cert);

}  // namespace vigil::server::net
